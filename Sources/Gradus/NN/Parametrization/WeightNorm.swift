/// Weight normalization (Salimans & Kingma, 2016; PyTorch's `parametrizations.weight_norm`): the weight
/// is computed as w = g · v / ‖v‖ from a magnitude `g` (`original0`) and a direction `v` (`original1`),
/// the norm taken over every dimension but `dim`, so each slice along `dim` (each output unit, for
/// dim 0) has its own magnitude.
///
/// Register it with ``Parametrizations/weightNorm(_:name:dim:)``. Its right inverse sets g = ‖w‖ and
/// v = w, so a layer computes the same before and after registering.
///
/// ```swift
/// let layer = try Parametrizations.weightNorm(Linear(20, 40))
/// // layer.parametrizations["weight"]!.originals: g [40, 1], v [40, 20]
/// ```
public final class WeightNorm: Module, MultiTensorParametrization {
    /// The dimension kept by the norm, or nil for one norm over the whole tensor (PyTorch's `dim=None`;
    /// as in PyTorch, −1 means the whole tensor too, not the last dimension).
    public let dim: Int?

    /// A weight normalization keeping dimension `dim`.
    ///
    /// - Parameter dim: the dimension with its own magnitudes (default 0: the output units of linear and
    ///   convolution weights), or nil (or −1) for one magnitude for the whole tensor.
    ///
    /// ```swift
    /// try layer.registerParametrization(WeightNorm(dim: 0), for: "weight")
    /// ```
    public init(dim: Int? = 0) {
        self.dim = dim == -1 ? nil : dim
        super.init()
    }

    /// The norm of `v` over every dimension except `dim` (kept, the others of size 1), or over all
    /// (a scalar) when `dim` is nil: PyTorch's `norm_except_dim(v, 2, dim)`.
    func normExceptDim(_ v: Tensor) throws -> Tensor {
        guard let dim else { return v.norm() }
        let axis = dim < 0 ? dim + v.rank : dim
        try require(axis >= 0 && axis < v.rank, "WeightNorm: dim \(dim) is out of range for a weight of shape \(v.shape)",
                    .indexOutOfRange)
        let others = (0..<v.rank).filter { $0 != axis }
        if others.isEmpty { return v.abs() }
        return v.norm(axes: others, keepDims: true)
    }

    /// The weight g · v / ‖v‖.
    ///
    /// - Parameter originals: `[g, v]`.
    public func callAsFunction(_ originals: [Tensor]) -> Tensor {
        checked {
            try require(originals.count == 2, "WeightNorm: expects the originals [g, v], got \(originals.count) tensors", .invalidArgument)
            let g = originals[0], v = originals[1]
            return v * (g / (try normExceptDim(v)))
        }
    }

    /// `[‖w‖, w]`: the magnitude and direction that give `weight`.
    public func rightInverse(_ weight: Tensor) -> [Tensor] {
        checked(or: [Tensor.placeholder(), Tensor.placeholder()]) { [try normExceptDim(weight), weight] }
    }

    public override var extraDescription: String { "dim: \(dim.map(String.init) ?? "nil")" }
}
