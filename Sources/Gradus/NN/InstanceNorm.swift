// Instance normalization (PyTorch's `nn.InstanceNorm1d` / `nn.InstanceNorm2d`, `F.instance_norm`): each
// sample's channel normalized over its own positions — group normalization with one group per channel.
// As PyTorch's defaults: no affine parameters and no running statistics.

extension Functional {
    /// Normalizes each channel of each sample of `[N, C, …]` over its positions, then applies an
    /// optional per-channel `weight` and `bias` (PyTorch's `F.instance_norm` without running statistics).
    ///
    /// - Parameters:
    ///   - input: `[N, C, L]`, `[N, C, H, W]` or more spatial dimensions.
    ///   - weight: per-channel scale `[C]`, or nil.
    ///   - bias: per-channel shift `[C]`, or nil.
    ///   - eps: added to the variance (default 1e-5).
    ///
    /// ```swift
    /// let y = Functional.instanceNorm(images)
    /// ```
    public static func instanceNorm(_ input: Tensor, weight: Tensor? = nil, bias: Tensor? = nil, eps: Double = 1e-5) -> Tensor {
        checked {
            try require(input.rank >= 3, "instanceNorm: input must be [N, C, …] with at least one position dimension, got \(input.shape)", .shapeMismatch)
            try require(input.shape.dropFirst(2).reduce(1, *) != 1,
                        "instanceNorm: expected more than 1 position per channel, got input \(input.shape)", .shapeMismatch)
            return groupNorm(input, groups: Swift.max(input.shape[1], 1), weight: weight, bias: bias, eps: eps)
        }
    }
}

/// Instance normalization of `[N, C, L]` sequences (PyTorch's `nn.InstanceNorm1d`): each sample's
/// channel normalized over its length; learned per-channel scale and shift with `affine`.
///
/// ```swift
/// let norm = InstanceNorm1d(16)
/// let y = norm(x)   // [N, 16, L]
/// ```
public final class InstanceNorm1d: Module, Layer {
    /// The per-channel scale `[numFeatures]` (with `affine`), or nil.
    @Parameter public var weight: Tensor?
    /// The per-channel shift `[numFeatures]` (with `affine`), or nil.
    @Parameter public var bias: Tensor?
    /// The number of channels C.
    public let numFeatures: Int
    /// Added to the variance.
    public let eps: Double

    /// An instance-normalization layer.
    ///
    /// - Parameters:
    ///   - numFeatures: the number of channels C.
    ///   - eps: added to the variance (default 1e-5).
    ///   - affine: whether to learn a per-channel scale and shift (default false, as PyTorch).
    ///   - dtype: the parameters' element type.
    public init(_ numFeatures: Int, eps: Double = 1e-5, affine: Bool = false, dtype: DType = .float32) {
        self.numFeatures = validSetting(numFeatures >= 1, "InstanceNorm1d: numFeatures must be positive, got \(numFeatures)") ? numFeatures : 1
        self.eps = eps
        if affine {
            weight = Tensor.ones([self.numFeatures], dtype: dtype).requiringGrad()
            bias = Tensor.zeros([self.numFeatures], dtype: dtype).requiringGrad()
        }
        super.init()
    }

    /// Normalizes `[N, numFeatures, L]`, or one unbatched sample `[numFeatures, L]`.
    public func callAsFunction(_ input: Tensor) -> Tensor { withForwardHooks(input) { forward($0) } }

    /// The computation on a batched or unbatched input; the hooks run once, around it.
    private func forward(_ input: Tensor) -> Tensor {
        if let y = Functional.unbatched(input, batchedRank: 3, { forward($0) }) { return y }
        return checked {
            try require(input.rank == 3 && input.shape[1] == numFeatures,
                        "InstanceNorm1d: expected input [N, \(numFeatures), L], got \(input.shape)", .shapeMismatch)
            return Functional.instanceNorm(input, weight: weight, bias: bias, eps: eps)
        }
    }

    /// The configuration shown by ``Module/description`` (PyTorch's `extra_repr`).
    public override var extraDescription: String { "\(numFeatures), eps: \(eps), affine: \(weight != nil)" }
}

/// Instance normalization of `[N, C, H, W]` images (PyTorch's `nn.InstanceNorm2d`, style transfer's
/// normalization): each sample's channel normalized over its pixels.
///
/// ```swift
/// let norm = InstanceNorm2d(64, affine: true)
/// ```
public final class InstanceNorm2d: Module, Layer {
    /// The per-channel scale `[numFeatures]` (with `affine`), or nil.
    @Parameter public var weight: Tensor?
    /// The per-channel shift `[numFeatures]` (with `affine`), or nil.
    @Parameter public var bias: Tensor?
    /// The number of channels C.
    public let numFeatures: Int
    /// Added to the variance.
    public let eps: Double

    /// An instance-normalization layer.
    ///
    /// - Parameters:
    ///   - numFeatures: the number of channels C.
    ///   - eps: added to the variance (default 1e-5).
    ///   - affine: whether to learn a per-channel scale and shift (default false, as PyTorch).
    ///   - dtype: the parameters' element type.
    public init(_ numFeatures: Int, eps: Double = 1e-5, affine: Bool = false, dtype: DType = .float32) {
        self.numFeatures = validSetting(numFeatures >= 1, "InstanceNorm2d: numFeatures must be positive, got \(numFeatures)") ? numFeatures : 1
        self.eps = eps
        if affine {
            weight = Tensor.ones([self.numFeatures], dtype: dtype).requiringGrad()
            bias = Tensor.zeros([self.numFeatures], dtype: dtype).requiringGrad()
        }
        super.init()
    }

    /// Normalizes `[N, numFeatures, H, W]`, or one unbatched sample `[numFeatures, H, W]`.
    public func callAsFunction(_ input: Tensor) -> Tensor { withForwardHooks(input) { forward($0) } }

    /// The computation on a batched or unbatched input; the hooks run once, around it.
    private func forward(_ input: Tensor) -> Tensor {
        if let y = Functional.unbatched(input, batchedRank: 4, { forward($0) }) { return y }
        return checked {
            try require(input.rank == 4 && input.shape[1] == numFeatures,
                        "InstanceNorm2d: expected input [N, \(numFeatures), H, W], got \(input.shape)", .shapeMismatch)
            return Functional.instanceNorm(input, weight: weight, bias: bias, eps: eps)
        }
    }

    /// The configuration shown by ``Module/description`` (PyTorch's `extra_repr`).
    public override var extraDescription: String { "\(numFeatures), eps: \(eps), affine: \(weight != nil)" }
}
