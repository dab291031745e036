/// A transposed 2-D convolution layer (PyTorch's `nn.ConvTranspose2d`), the adjoint of ``Conv2d``:
/// it maps `[N, in, H, W]` to `[N, out, (H − 1)·stride − 2·padding + dilation·(k − 1) + outputPadding + 1, …]`,
/// used to upsample.
///
/// Parameters: `weight` `[in, out / groups, kH, kW]` and `bias` `[out]`, initialized as in PyTorch
/// (Kaiming uniform with a = √5 on that shape, so fanIn = out / groups · kH · kW).
///
/// ```swift
/// let up = ConvTranspose2d(16, 8, kernelSize: 2, stride: 2)
/// let y = up(x)   // [N, 16, 7, 7] -> [N, 8, 14, 14]
/// ```
public final class ConvTranspose2d: Module, Layer {
    /// The filters, `[inChannels, outChannels / groups, kH, kW]`.
    @Parameter public var weight: Tensor
    /// The bias, `[outChannels]`, or nil.
    @Parameter public var bias: Tensor?
    /// The stride of the equivalent forward convolution.
    public let stride: Size2
    /// The padding of the equivalent forward convolution (removed from the output's borders).
    public let padding: Size2
    /// Extra rows/columns added at the bottom/right of the output.
    public let outputPadding: Size2
    /// The spacing between kernel elements.
    public let dilation: Size2
    /// The number of channel groups.
    public let groups: Int

    /// The number of input channels.
    public var inChannels: Int { _weight.shape[0] }
    /// The number of output channels.
    public var outChannels: Int { _weight.shape[1] * groups }
    /// The kernel size.
    public var kernelSize: Size2 { Size2(_weight.shape[2], _weight.shape[3]) }

    /// A layer with the given weight and bias.
    ///
    /// ```swift
    /// let up = ConvTranspose2d(weight: Tensor.ones([4, 2, 2, 2]), bias: nil, stride: 2)
    /// ```
    public init(weight: Tensor, bias: Tensor?, stride: Size2 = 1, padding: Size2 = 0, outputPadding: Size2 = 0,
                dilation: Size2 = 1, groups: Int = 1) {
        var weight = weight, bias = bias, groups = groups
        if !validSetting(weight.rank == 4, "ConvTranspose2d: weight must be [in, out/groups, kH, kW], got \(weight.shape)") {
            weight = Tensor.standIn([0, 0, 1, 1], for: weight)
        }
        if !validSetting(groups >= 1 && weight.shape[0] % groups == 0,
                         "ConvTranspose2d: \(weight.shape[0]) input channels are not divisible by \(groups) groups") { groups = 1 }
        let out = weight.shape[1].multipliedReportingOverflow(by: groups).partialValue
        if let b = bias, !validSetting(b.shape == [out], "ConvTranspose2d: bias shape \(b.shape) must be [\(out)]") {
            bias = Tensor.zeros([max(out, 0)], dtype: weight.dtype)
        }
        self.weight = weight.requiringGrad()
        self.bias = bias?.requiringGrad()
        self.stride = stride
        self.padding = padding
        self.outputPadding = outputPadding
        self.dilation = dilation
        self.groups = groups
        super.init()
    }

    /// A layer with PyTorch's default initialization drawn from `generator`.
    ///
    /// - Parameters:
    ///   - inChannels: channels of the input.
    ///   - outChannels: channels of the output.
    ///   - kernelSize: the filter size.
    ///   - stride: the stride of the equivalent convolution (the upsampling factor).
    ///   - padding: the padding of the equivalent convolution.
    ///   - outputPadding: extra size on one side of the output (less than the stride or the dilation, as in PyTorch).
    ///   - groups: channel groups.
    ///   - bias: whether to add a learned bias.
    ///   - dilation: the spacing between kernel elements.
    ///   - dtype: the parameters' element type.
    ///   - generator: the source of randomness.
    ///
    /// ```swift
    /// var rng = SeededGenerator(seed: 0)
    /// let up = ConvTranspose2d(8, 4, kernelSize: 3, stride: 2, padding: 1, outputPadding: 1, generator: &rng)
    /// ```
    public convenience init(_ inChannels: Int, _ outChannels: Int, kernelSize: Size2, stride: Size2 = 1,
                            padding: Size2 = 0, outputPadding: Size2 = 0, groups: Int = 1, bias: Bool = true,
                            dilation: Size2 = 1, dtype: DType = .float32, generator: inout SeededGenerator) {
        var groups = groups
        if !validSetting(groups >= 1 && inChannels % groups == 0 && outChannels % groups == 0,
                         "ConvTranspose2d: channels \(inChannels) -> \(outChannels) are not divisible by \(groups) groups") { groups = 1 }
        let shape = [inChannels, outChannels / groups, kernelSize.height, kernelSize.width]
        let (w, b) = Linear.defaultParameters(weightShape: shape, biasCount: bias ? outChannels : nil,
                                              fanIn: shape[1] * shape[2] * shape[3], dtype: dtype, generator: &generator)
        self.init(weight: w, bias: b, stride: stride, padding: padding, outputPadding: outputPadding,
                  dilation: dilation, groups: groups)
    }

    /// A layer with PyTorch's default initialization drawn from the default generator (``Random``).
    ///
    /// ```swift
    /// let up = ConvTranspose2d(16, 8, kernelSize: 2, stride: 2)
    /// ```
    public convenience init(_ inChannels: Int, _ outChannels: Int, kernelSize: Size2, stride: Size2 = 1,
                            padding: Size2 = 0, outputPadding: Size2 = 0, groups: Int = 1, bias: Bool = true,
                            dilation: Size2 = 1, dtype: DType = .float32) {
        var g = splitDefaultGenerator()
        self.init(inChannels, outChannels, kernelSize: kernelSize, stride: stride, padding: padding,
                  outputPadding: outputPadding, groups: groups, bias: bias, dilation: dilation, dtype: dtype, generator: &g)
    }

    /// Applies the transposed convolution to `[N, inChannels, H, W]`.
    public func callAsFunction(_ input: Tensor) -> Tensor {
        withForwardHooks(input) { input in
            Functional.convTranspose2d(input, weight: weight, bias: bias, stride: stride.pair, padding: padding.pair,
                                       outputPadding: outputPadding.pair, dilation: dilation.pair, groups: groups)
        }
    }

    /// The configuration shown by ``Module/description`` (PyTorch\'s `extra_repr`).

    public override var extraDescription: String {
        var s = "\(inChannels), \(outChannels), kernelSize: \(kernelSize), stride: \(stride)"
        if padding != 0 { s += ", padding: \(padding)" }
        if outputPadding != 0 { s += ", outputPadding: \(outputPadding)" }
        if dilation != 1 { s += ", dilation: \(dilation)" }
        if groups != 1 { s += ", groups: \(groups)" }
        if bias == nil { s += ", bias: false" }
        return s
    }
}
