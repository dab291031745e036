// Instance normalization (PyTorch's `nn.InstanceNorm1d` / `2d` / `3d`, `F.instance_norm`): each
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

/// Instance normalization over the positions of each sample's channel (the shared implementation of
/// ``InstanceNorm1d``, ``InstanceNorm2d`` and ``InstanceNorm3d``, PyTorch's `_InstanceNorm` without
/// running statistics).
///
/// Use the concrete layers; this class holds what they share: an optional learned per-channel scale
/// and shift (`affine`), and the number of position dimensions its input has.
public class InstanceNorm: Module, Layer {
    /// The per-channel scale `[numFeatures]` (with `affine`), or nil.
    @Parameter public var weight: Tensor?
    /// The per-channel shift `[numFeatures]` (with `affine`), or nil.
    @Parameter public var bias: Tensor?
    /// The number of channels C.
    public let numFeatures: Int
    /// Added to the variance.
    public let eps: Double
    /// The number of position dimensions after the channels: 1 for sequences, 2 for images, 3 for volumes.
    let spatialRank: Int
    /// The input's layout in messages, such as `[N, C, H, W]`.
    let layout: String

    init(numFeatures: Int, eps: Double, affine: Bool, dtype: DType, spatialRank: Int, layout: String) {
        self.spatialRank = spatialRank
        self.layout = layout
        self.numFeatures = validSetting(numFeatures >= 1, "InstanceNorm\(spatialRank)d: numFeatures must be positive, got \(numFeatures)")
            ? numFeatures : 1
        self.eps = eps
        if affine {
            weight = Tensor.ones([self.numFeatures], dtype: dtype).requiringGrad()
            bias = Tensor.zeros([self.numFeatures], dtype: dtype).requiringGrad()
        }
        super.init()
    }

    /// Normalizes a batch `[N, numFeatures, …]`, or one unbatched sample without the batch dimension.
    public func callAsFunction(_ input: Tensor) -> Tensor { withForwardHooks(input) { forward($0) } }

    /// The computation on a batched or unbatched input; the hooks run once, around it.
    private func forward(_ input: Tensor) -> Tensor {
        if let y = Functional.unbatched(input, batchedRank: spatialRank + 2, { forward($0) }) { return y }
        return checked {
            try require(input.rank == spatialRank + 2 && input.shape[1] == numFeatures,
                        "InstanceNorm\(spatialRank)d: expected input \(layout) with C = \(numFeatures), got \(input.shape)", .shapeMismatch)
            return Functional.instanceNorm(input, weight: weight, bias: bias, eps: eps)
        }
    }

    /// The configuration shown by ``Module/description`` (PyTorch's `extra_repr`).
    public override var extraDescription: String { "\(numFeatures), eps: \(eps), affine: \(_weight.storedValue != nil)" }
}

/// Instance normalization of `[N, C, L]` sequences (PyTorch's `nn.InstanceNorm1d`): each sample's
/// channel normalized over its length; learned per-channel scale and shift with `affine`. Takes one
/// unbatched sample `[C, L]` too.
///
/// ```swift
/// let norm = InstanceNorm1d(16)
/// let y = norm(x)   // [N, 16, L]
/// ```
public final class InstanceNorm1d: InstanceNorm {
    /// An instance-normalization layer.
    ///
    /// - Parameters:
    ///   - numFeatures: the number of channels C.
    ///   - eps: added to the variance (default 1e-5).
    ///   - affine: whether to learn a per-channel scale and shift (default false, as PyTorch).
    ///   - dtype: the parameters' element type.
    public init(_ numFeatures: Int, eps: Double = 1e-5, affine: Bool = false, dtype: DType = .float32) {
        super.init(numFeatures: numFeatures, eps: eps, affine: affine, dtype: dtype, spatialRank: 1, layout: "[N, C, L]")
    }
}

/// Instance normalization of `[N, C, H, W]` images (PyTorch's `nn.InstanceNorm2d`, style transfer's
/// normalization): each sample's channel normalized over its pixels. Takes one unbatched sample
/// `[C, H, W]` too.
///
/// ```swift
/// let norm = InstanceNorm2d(64, affine: true)
/// ```
public final class InstanceNorm2d: InstanceNorm {
    /// An instance-normalization layer.
    ///
    /// - Parameters:
    ///   - numFeatures: the number of channels C.
    ///   - eps: added to the variance (default 1e-5).
    ///   - affine: whether to learn a per-channel scale and shift (default false, as PyTorch).
    ///   - dtype: the parameters' element type.
    public init(_ numFeatures: Int, eps: Double = 1e-5, affine: Bool = false, dtype: DType = .float32) {
        super.init(numFeatures: numFeatures, eps: eps, affine: affine, dtype: dtype, spatialRank: 2, layout: "[N, C, H, W]")
    }
}

/// Instance normalization of `[N, C, D, H, W]` volumes (PyTorch's `nn.InstanceNorm3d`, common in 3-D
/// medical segmentation): each sample's channel normalized over its voxels. Takes one unbatched sample
/// `[C, D, H, W]` too.
///
/// ```swift
/// let norm = InstanceNorm3d(32, affine: true)
/// let y = norm(features)   // [N, 32, D, H, W]
/// ```
public final class InstanceNorm3d: InstanceNorm {
    /// An instance-normalization layer.
    ///
    /// - Parameters:
    ///   - numFeatures: the number of channels C.
    ///   - eps: added to the variance (default 1e-5).
    ///   - affine: whether to learn a per-channel scale and shift (default false, as PyTorch).
    ///   - dtype: the parameters' element type.
    public init(_ numFeatures: Int, eps: Double = 1e-5, affine: Bool = false, dtype: DType = .float32) {
        super.init(numFeatures: numFeatures, eps: eps, affine: affine, dtype: dtype, spatialRank: 3, layout: "[N, C, D, H, W]")
    }
}
