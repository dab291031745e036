/// Layer normalization over the last dimensions (PyTorch's `nn.LayerNorm`): each sample is normalized
/// with its own statistics, then scaled by `weight` (ones) and shifted by `bias` (zeros).
///
/// ```swift
/// let norm = LayerNorm(64)
/// let y = norm(x)   // [N, T, 64]
/// ```
public final class LayerNorm: Module, Layer {
    /// The scale, of shape ``normalizedShape``, or nil.
    @Parameter public var weight: Tensor?
    /// The shift, of shape ``normalizedShape``, or nil.
    @Parameter public var bias: Tensor?
    /// The trailing dimensions normalized over.
    public let normalizedShape: [Int]
    /// Added to the variance.
    public let eps: Double

    /// A layer-normalization layer.
    ///
    /// - Parameters:
    ///   - normalizedShape: the trailing dimensions to normalize over.
    ///   - eps: added to the variance.
    ///   - elementwiseAffine: whether to learn `weight` (and `bias`).
    ///   - bias: whether to learn `bias` when affine.
    ///   - dtype: the parameters' element type.
    ///
    /// ```swift
    /// let norm = LayerNorm([8, 8])
    /// ```
    public init(_ normalizedShape: [Int], eps: Double = 1e-5, elementwiseAffine: Bool = true, bias: Bool = true,
                dtype: DType = .float32) {
        var normalizedShape = normalizedShape
        if !validSetting(!normalizedShape.isEmpty && normalizedShape.allSatisfy { $0 > 0 },
                         "LayerNorm: normalized shape \(normalizedShape) must be non-empty and positive") { normalizedShape = [1] }
        self.normalizedShape = normalizedShape
        self.eps = eps
        if elementwiseAffine {
            weight = Tensor.ones(normalizedShape, dtype: dtype).requiringGrad()
            if bias { self.bias = Tensor.zeros(normalizedShape, dtype: dtype).requiringGrad() }
        }
        super.init()
    }

    /// A layer normalizing over the last dimension of size `size`.
    ///
    /// ```swift
    /// let norm = LayerNorm(512)
    /// ```
    public convenience init(_ size: Int, eps: Double = 1e-5, elementwiseAffine: Bool = true, bias: Bool = true,
                            dtype: DType = .float32) {
        self.init([size], eps: eps, elementwiseAffine: elementwiseAffine, bias: bias, dtype: dtype)
    }

    /// Normalizes `[…, normalizedShape…]`.
    public func callAsFunction(_ input: Tensor) -> Tensor {
        withForwardHooks(input) { input in
            Functional.layerNorm(input, normalizedShape: normalizedShape, weight: weight, bias: bias, eps: eps)
        }
    }

    /// The configuration shown by ``Module/description`` (PyTorch\'s `extra_repr`).

    public override var extraDescription: String {
        "\(normalizedShape), eps: \(eps), elementwiseAffine: \(_weight.storedValue != nil)"
    }
}

/// Root-mean-square normalization over the last dimensions (PyTorch's `nn.RMSNorm`, as in LLaMA and
/// T5): each sample is divided by the root of its mean square, then scaled by `weight` (ones). Cheaper
/// than ``LayerNorm``: no mean is subtracted and there is no bias.
///
/// ```swift
/// let norm = RMSNorm(512)
/// let y = norm(x)   // [N, T, 512]
/// ```
public final class RMSNorm: Module, Layer {
    /// The scale, of shape ``normalizedShape``, or nil.
    @Parameter public var weight: Tensor?
    /// The trailing dimensions normalized over.
    public let normalizedShape: [Int]
    /// Added to the mean square; nil for the machine epsilon of the input's dtype (PyTorch's default).
    public let eps: Double?

    /// An RMS-normalization layer.
    ///
    /// - Parameters:
    ///   - normalizedShape: the trailing dimensions to normalize over.
    ///   - eps: added to the mean square; nil for the input dtype's machine epsilon.
    ///   - elementwiseAffine: whether to learn `weight`.
    ///   - dtype: the weight's element type.
    ///
    /// ```swift
    /// let norm = RMSNorm([8, 8], eps: 1e-6)
    /// ```
    public init(_ normalizedShape: [Int], eps: Double? = nil, elementwiseAffine: Bool = true, dtype: DType = .float32) {
        var normalizedShape = normalizedShape
        if !validSetting(!normalizedShape.isEmpty && normalizedShape.allSatisfy { $0 > 0 },
                         "RMSNorm: normalized shape \(normalizedShape) must be non-empty and positive") { normalizedShape = [1] }
        var eps = eps
        if let e = eps, !validSetting(e.isFinite && e >= 0, "RMSNorm: eps must be a finite number >= 0, got \(e)") { eps = nil }
        self.normalizedShape = normalizedShape
        self.eps = eps
        if elementwiseAffine { weight = Tensor.ones(normalizedShape, dtype: dtype).requiringGrad() }
        super.init()
    }

    /// A layer normalizing over the last dimension of size `size`.
    ///
    /// ```swift
    /// let norm = RMSNorm(4096, eps: 1e-5)
    /// ```
    public convenience init(_ size: Int, eps: Double? = nil, elementwiseAffine: Bool = true, dtype: DType = .float32) {
        self.init([size], eps: eps, elementwiseAffine: elementwiseAffine, dtype: dtype)
    }

    /// Normalizes `[…, normalizedShape…]`.
    public func callAsFunction(_ input: Tensor) -> Tensor {
        withForwardHooks(input) { input in
            Functional.rmsNorm(input, normalizedShape: normalizedShape, weight: weight, eps: eps)
        }
    }

    /// The configuration shown by ``Module/description`` (PyTorch's `extra_repr`).
    public override var extraDescription: String {
        "\(normalizedShape), eps: \(eps.map { "\($0)" } ?? "nil"), elementwiseAffine: \(_weight.storedValue != nil)"
    }
}

/// Group normalization (PyTorch's `nn.GroupNorm`): channels are split into groups and each sample's
/// group is normalized with its own statistics, then a per-channel `weight` (ones) and `bias` (zeros).
///
/// ```swift
/// let norm = GroupNorm(4, 32)
/// let y = norm(x)   // [N, 32, H, W]
/// ```
public final class GroupNorm: Module, Layer {
    /// The per-channel scale `[numChannels]`, or nil.
    @Parameter public var weight: Tensor?
    /// The per-channel shift `[numChannels]`, or nil.
    @Parameter public var bias: Tensor?
    /// The number of groups.
    public let numGroups: Int
    /// The number of channels.
    public let numChannels: Int
    /// Added to the variance.
    public let eps: Double

    /// A group-normalization layer.
    ///
    /// - Parameters:
    ///   - numGroups: the number of groups; must divide `numChannels`.
    ///   - numChannels: the number of channels C.
    ///   - eps: added to the variance.
    ///   - affine: whether to learn a per-channel scale and shift.
    ///   - dtype: the parameters' element type.
    ///
    /// ```swift
    /// let norm = GroupNorm(2, 8)
    /// ```
    public init(_ numGroups: Int, _ numChannels: Int, eps: Double = 1e-5, affine: Bool = true, dtype: DType = .float32) {
        var numGroups = numGroups, numChannels = numChannels
        if !validSetting(numGroups >= 1 && numChannels >= 0 && numChannels % numGroups == 0,
                         "GroupNorm: \(numChannels) channels are not divisible by \(numGroups) groups") { (numGroups, numChannels) = (1, 1) }
        self.numGroups = numGroups
        self.numChannels = numChannels
        self.eps = eps
        if affine {
            weight = Tensor.ones([numChannels], dtype: dtype).requiringGrad()
            bias = Tensor.zeros([numChannels], dtype: dtype).requiringGrad()
        }
        super.init()
    }

    /// Normalizes `[N, numChannels, …]`.
    public func callAsFunction(_ input: Tensor) -> Tensor {
        withForwardHooks(input) { input in
            checked {
                try require(input.rank >= 2 && input.shape[1] == numChannels,
                             "GroupNorm: expected input [N, \(numChannels), …], got \(input.shape)", .shapeMismatch)
                return Functional.groupNorm(input, groups: numGroups, weight: weight, bias: bias, eps: eps)
            }
        }
    }

    /// The configuration shown by ``Module/description`` (PyTorch\'s `extra_repr`).

    public override var extraDescription: String {
        "\(numGroups), \(numChannels), eps: \(eps), affine: \(_weight.storedValue != nil)"
    }
}
