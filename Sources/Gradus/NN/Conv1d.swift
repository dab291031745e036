/// A 1-D convolution layer over `[N, C, L]` batches (PyTorch's `nn.Conv1d`).
///
/// Parameters: `weight` `[out, in / groups, k]` and `bias` `[out]`, initialized as in PyTorch.
///
/// ```swift
/// let conv = Conv1d(8, 16, kernelSize: 3, padding: 1)
/// let y = conv(signals)   // [N, 8, L] -> [N, 16, L]
/// ```
public final class Conv1d: Module, Layer {
    /// The filters, `[outChannels, inChannels / groups, kernelSize]`.
    @Parameter public var weight: Tensor
    /// The bias, `[outChannels]`, or nil.
    @Parameter public var bias: Tensor?
    /// The step between windows.
    public let stride: Int
    /// The padding around the input: a number per side, or `.same`.
    public let padding: ConvPadding
    /// What the padding holds (PyTorch's `padding_mode`): zeros (`.constant`, the default), the input
    /// mirrored (`.reflect`), its edge repeated (`.replicate`) or wrapped around (`.circular`).
    public let paddingMode: PaddingMode
    /// The spacing between kernel elements.
    public let dilation: Int
    /// The number of channel groups.
    public let groups: Int

    /// The number of input channels.
    public var inChannels: Int { _weight.shape[1] * groups }
    /// The number of output channels.
    public var outChannels: Int { _weight.shape[0] }
    /// The kernel size.
    public var kernelSize: Int { _weight.shape[2] }

    /// A layer with the given weight and bias.
    ///
    /// ```swift
    /// let conv = Conv1d(weight: Tensor.ones([2, 1, 3]), bias: nil)
    /// ```
    public init(weight: Tensor, bias: Tensor?, stride: Int = 1, padding: ConvPadding = 0, dilation: Int = 1,
                groups: Int = 1, paddingMode: PaddingMode = .constant) {
        var weight = weight, bias = bias, stride = stride, padding = padding, groups = groups
        if !validSetting(weight.rank == 3, "Conv1d: weight must be [out, in/groups, k], got \(weight.shape)") {
            weight = Tensor.standIn([0, 0, 1], for: weight)
        }
        if !validSetting(groups >= 1 && weight.shape[0] % groups == 0,
                         "Conv1d: \(weight.shape[0]) output channels are not divisible by \(groups) groups") { groups = 1 }
        if let b = bias, !validSetting(b.shape == [weight.shape[0]], "Conv1d: bias shape \(b.shape) must be [\(weight.shape[0])]") {
            bias = Tensor.zeros([weight.shape[0]], dtype: weight.dtype)
        }
        if !validSetting({ try padding.check("Conv1d", stride: (1, stride), oneDimensional: true) }) {
            (stride, padding) = (1, .valid)
        }
        self.weight = weight.requiringGrad()
        self.bias = bias?.requiringGrad()
        self.stride = stride
        self.padding = padding
        self.paddingMode = paddingMode
        self.dilation = dilation
        self.groups = groups
        super.init()
    }

    /// A layer with PyTorch's default initialization drawn from `generator`.
    ///
    /// - Parameters:
    ///   - inChannels: channels of the input.
    ///   - outChannels: channels of the output.
    ///   - kernelSize: the filter length.
    ///   - stride: the step between windows.
    ///   - padding: added on each side, or `.same` (output as long as the input; stride 1).
    ///   - dilation: the spacing between kernel elements.
    ///   - groups: channel groups.
    ///   - bias: whether to add a learned bias.
    ///   - paddingMode: what the padding holds: zeros (default), or the input reflected, replicated or wrapped.
    ///   - dtype: the parameters' element type.
    ///   - generator: the source of randomness.
    ///
    /// ```swift
    /// var rng = SeededGenerator(seed: 0)
    /// let conv = Conv1d(4, 8, kernelSize: 5, generator: &rng)
    /// ```
    public convenience init(_ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: ConvPadding = 0,
                            dilation: Int = 1, groups: Int = 1, bias: Bool = true, paddingMode: PaddingMode = .constant,
                            dtype: DType = .float32, generator: inout SeededGenerator) {
        var groups = groups
        if !validSetting(groups >= 1 && inChannels % groups == 0 && outChannels % groups == 0,
                         "Conv1d: channels \(inChannels) -> \(outChannels) are not divisible by \(groups) groups") { groups = 1 }
        let shape = [outChannels, inChannels / groups, kernelSize]
        let (w, b) = Linear.defaultParameters(weightShape: shape, biasCount: bias ? outChannels : nil,
                                              fanIn: shape[1] * shape[2], dtype: dtype, generator: &generator)
        self.init(weight: w, bias: b, stride: stride, padding: padding, dilation: dilation, groups: groups,
                  paddingMode: paddingMode)
    }

    /// A layer with PyTorch's default initialization drawn from the default generator (``Random``).
    ///
    /// ```swift
    /// let conv = Conv1d(1, 4, kernelSize: 3)
    /// ```
    public convenience init(_ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: ConvPadding = 0,
                            dilation: Int = 1, groups: Int = 1, bias: Bool = true, paddingMode: PaddingMode = .constant,
                            dtype: DType = .float32) {
        var g = splitDefaultGenerator()
        self.init(inChannels, outChannels, kernelSize: kernelSize, stride: stride, padding: padding,
                  dilation: dilation, groups: groups, bias: bias, paddingMode: paddingMode, dtype: dtype, generator: &g)
    }

    /// Applies the convolution to `[N, inChannels, L]`.
    public func callAsFunction(_ input: Tensor) -> Tensor { withForwardHooks(input) { forward($0) } }

    /// The computation on a batched or unbatched input; the hooks run once, around it.
    private func forward(_ input: Tensor) -> Tensor {
        if let y = Functional.unbatched(input, batchedRank: 3, { forward($0) }) { return y }   // [C, L]
        // Padding other than zeros is applied first (PyTorch's F.pad with the mode), then the
        // convolution runs unpadded.
        guard paddingMode != .constant, input.rank == 3 else {
            return Functional.conv1d(input, weight: weight, bias: bias, stride: stride, padding: padding,
                                     dilation: dilation, groups: groups)
        }
        let (before, after) = padding.amounts(dimension: 1, kernel: kernelSize, dilation: dilation)
        let x = before == 0 && after == 0 ? input : input.pad([before, after], mode: paddingMode)
        return Functional.conv1d(x, weight: weight, bias: bias, stride: stride, padding: .valid, dilation: dilation, groups: groups)
    }

    /// The configuration shown by ``Module/description`` (PyTorch\'s `extra_repr`).

    public override var extraDescription: String {
        var s = "\(inChannels), \(outChannels), kernelSize: \(kernelSize), stride: \(stride)"
        if padding != 0 { s += ", padding: \(padding)" }
        if paddingMode != .constant { s += ", paddingMode: \(paddingMode.rawValue)" }
        if dilation != 1 { s += ", dilation: \(dilation)" }
        if groups != 1 { s += ", groups: \(groups)" }
        if bias == nil { s += ", bias: false" }
        return s
    }
}
