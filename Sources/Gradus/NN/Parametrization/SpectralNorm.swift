/// Spectral normalization (Miyato et al., 2018; PyTorch's `parametrizations.spectral_norm`): the weight
/// divided by its largest singular value σ, estimated by power iteration, which keeps the layer
/// 1-Lipschitz (the usual way to steady a GAN's discriminator).
///
/// The weight is seen as a matrix `[size of dim, everything else]`. The singular vectors' estimates
/// are buffers `_u` and `_v` (saved with the model); in training mode each call first runs
/// `nPowerIterations` steps of power iteration on them, in evaluation mode they stay as they are.
/// σ = uᵀ W v, with u and v constants for the gradient, as in PyTorch. A 1-D weight is divided by its
/// norm instead (no buffers).
///
/// Register it with ``Parametrizations/spectralNorm(_:name:nPowerIterations:eps:dim:generator:)``.
///
/// ```swift
/// let critic = try Parametrizations.spectralNorm(Linear(64, 1))
/// ```
public final class SpectralNorm: Module, RightInvertibleParametrization {
    /// The dimension that indexes the rows of the weight's matrix (0; 1 for transposed convolutions).
    public let dim: Int
    /// The power-iteration steps per call in training mode.
    public let nPowerIterations: Int
    /// The smallest norm that vectors are divided by.
    public let eps: Double
    /// The estimate of the left singular vector, `[rows]` (nil for a 1-D weight).
    @Buffer("_u") public private(set) var u: Tensor? = nil
    /// The estimate of the right singular vector, `[columns]` (nil for a 1-D weight).
    @Buffer("_v") public private(set) var v: Tensor? = nil

    /// Spectral normalization for `weight`: random unit vectors improved by 15 steps of power iteration,
    /// as PyTorch starts.
    ///
    /// - Parameters:
    ///   - weight: the tensor it will parametrize (its shape and values start the estimates).
    ///   - nPowerIterations: steps per call in training mode (at least 1).
    ///   - dim: the dimension of the matrix's rows (negative counts from the end).
    ///   - eps: the smallest norm divided by.
    ///   - generator: the source of the random start.
    /// - Throws: ``GradusError`` for a weight of no dimensions, a `dim` out of range, fewer than one
    ///   iteration, or a negative `eps`.
    ///
    /// ```swift
    /// var rng = SeededGenerator(seed: 0)
    /// try conv.registerParametrization(SpectralNorm(weight: conv.weight, generator: &rng), for: "weight")
    /// ```
    public init(weight: Tensor, nPowerIterations: Int = 1, dim: Int = 0, eps: Double = 1e-12,
                generator: inout SeededGenerator) throws {
        try require(weight.rank >= 1, "SpectralNorm: the weight needs at least one dimension, got shape \(weight.shape)", .shapeMismatch)
        try require(dim >= -weight.rank && dim < weight.rank,
                    "SpectralNorm: dim \(dim) is out of range for a weight of shape \(weight.shape)", .indexOutOfRange)
        try require(nPowerIterations > 0, "SpectralNorm: nPowerIterations must be positive, got \(nPowerIterations)")
        try require(eps >= 0 && eps.isFinite, "SpectralNorm: eps must be finite and not negative, got \(eps)")
        try require(weight.dtype.isFloatingPoint, "SpectralNorm: the weight must be floating point, got \(weight.dtype)", .dtypeMismatch)
        self.dim = dim < 0 ? dim + weight.rank : dim
        self.nPowerIterations = nPowerIterations
        self.eps = eps
        super.init()
        if weight.rank > 1 {
            let matrix = GradMode.noGrad { weightMatrix(weight.detach()) }
            let (rows, columns) = (matrix.shape[0], matrix.shape[1])
            let u0 = Tensor.randn([rows], dtype: weight.dtype, generator: &generator)
            let v0 = Tensor.randn([columns], dtype: weight.dtype, generator: &generator)
            u = Functional.normalize(u0, axis: 0, eps: eps)
            v = Functional.normalize(v0, axis: 0, eps: eps)
            try powerIterations(matrix, steps: 15)
        }
    }

    /// A spectral normalization drawing its start from the default generator.
    public convenience init(weight: Tensor, nPowerIterations: Int = 1, dim: Int = 0, eps: Double = 1e-12) throws {
        var g = splitDefaultGenerator()
        try self.init(weight: weight, nPowerIterations: nPowerIterations, dim: dim, eps: eps, generator: &g)
    }

    /// The weight as a matrix: `dim` first, the rest flattened.
    func weightMatrix(_ weight: Tensor) -> Tensor {
        var order = [dim]
        order += (0..<weight.rank).filter { $0 != dim }
        let moved = dim == 0 ? weight : weight.permute(order)
        return moved.reshape([moved.shape[0], moved.shape.dropFirst().reduce(1, *)])   // explicit: -1 is ambiguous with 0 rows
    }

    /// `steps` steps of power iteration on `matrix` (detached), updating `_u` and `_v` in place.
    private func powerIterations(_ matrix: Tensor, steps: Int) throws {
        guard let u, let v else { return }
        try GradMode.noGrad {
            var uNext = u, vNext = v
            for _ in 0..<steps {
                uNext = Functional.normalize(matrix.matmul(vNext), axis: 0, eps: eps)
                vNext = Functional.normalize(matrix.transpose(0, 1).matmul(uNext), axis: 0, eps: eps)
            }
            try GradusError.throwIfRecorded()
            try u.copyValues(from: uNext)
            try v.copyValues(from: vNext)
        }
    }

    /// The weight divided by its estimated largest singular value (by its norm when 1-D).
    ///
    /// - Parameter weight: the original weight.
    public func callAsFunction(_ weight: Tensor) -> Tensor {
        checked {
            guard weight.rank > 1 else {
                try require(u == nil, "SpectralNorm: made for a weight of more than one dimension, given shape \(weight.shape)", .shapeMismatch)
                return Functional.normalize(weight, axis: 0, eps: eps)
            }
            guard let u, let v else {
                throw GradusError(.shapeMismatch, "SpectralNorm: made for a 1-D weight, given shape \(weight.shape)")
            }
            try require(dim < weight.rank, "SpectralNorm: dim \(dim) is out of range for a weight of shape \(weight.shape)", .indexOutOfRange)
            let matrix = weightMatrix(weight)
            try require(matrix.shape == [u.count, v.count],
                        "SpectralNorm: the weight's matrix is \(matrix.shape), the singular vectors are [\(u.count)] and [\(v.count)]",
                        .shapeMismatch)
            if isTraining { try powerIterations(matrix.detach(), steps: nPowerIterations) }
            // Copies: the buffers change in place at the next call, which must not alter this graph.
            let (uFixed, vFixed) = GradMode.noGrad { (u.clone(), v.clone()) }
            let sigma = (uFixed * matrix.matmul(vFixed)).sum()
            return weight / sigma
        }
    }

    /// `value` itself: the original is the unnormalized weight (PyTorch's right inverse here).
    public func rightInverse(_ value: Tensor) -> Tensor { value }

    public override var extraDescription: String { "dim: \(dim), nPowerIterations: \(nPowerIterations), eps: \(eps)" }
}
