/// A transposed 3-D convolution layer (PyTorch's `nn.ConvTranspose3d`), the adjoint of ``Conv3d``: it
/// maps `[N, in, D, H, W]` to `[N, out, (D − 1)·stride − 2·padding + dilation·(k − 1) + outputPadding + 1, …]`,
/// used to upsample volumes (the decoder of a 3-D U-Net).
///
/// Parameters: `weight` `[in, out / groups, kD, kH, kW]` and `bias` `[out]`, initialized as in PyTorch
/// (Kaiming uniform with a = √5 on that shape, so fanIn = out / groups · kD · kH · kW).
///
/// ```swift
/// let up = ConvTranspose3d(16, 8, kernelSize: 2, stride: 2)
/// let y = up(x)   // [N, 16, 4, 8, 8] -> [N, 8, 8, 16, 16]
/// ```
public final class ConvTranspose3d: Module, Layer {
    /// The filters, `[inChannels, outChannels / groups, kD, kH, kW]`.
    @Parameter public var weight: Tensor
    /// The bias, `[outChannels]`, or nil.
    @Parameter public var bias: Tensor?
    /// The stride of the equivalent forward convolution.
    public let stride: Size3
    /// The padding of the equivalent forward convolution (removed from the output's borders).
    public let padding: Size3
    /// Extra positions added at the end of each output dimension.
    public let outputPadding: Size3
    /// The spacing between kernel elements.
    public let dilation: Size3
    /// The number of channel groups.
    public let groups: Int

    /// The number of input channels.
    public var inChannels: Int { _weight.shape[0] }
    /// The number of output channels.
    public var outChannels: Int { _weight.shape[1] * groups }
    /// The kernel size.
    public var kernelSize: Size3 { Size3(_weight.shape[2], _weight.shape[3], _weight.shape[4]) }

    /// A layer with the given weight and bias.
    ///
    /// - Parameters:
    ///   - weight: `[in, out / groups, kD, kH, kW]`.
    ///   - bias: `[out]`, or nil.
    ///   - stride: the stride of the equivalent convolution.
    ///   - padding: the padding of the equivalent convolution.
    ///   - outputPadding: extra size at the end of each output dimension.
    ///   - dilation: the spacing between kernel elements.
    ///   - groups: channel groups.
    ///
    /// ```swift
    /// let up = ConvTranspose3d(weight: Tensor.ones([4, 2, 2, 2, 2]), bias: nil, stride: 2)
    /// ```
    public init(weight: Tensor, bias: Tensor?, stride: Size3 = 1, padding: Size3 = 0, outputPadding: Size3 = 0,
                dilation: Size3 = 1, groups: Int = 1) {
        var weight = weight, bias = bias, groups = groups
        if !validSetting(weight.rank == 5, "ConvTranspose3d: weight must be [in, out/groups, kD, kH, kW], got \(weight.shape)") {
            weight = Tensor.standIn([0, 0, 1, 1, 1], for: weight)
        }
        if !validSetting(groups >= 1 && weight.shape[0] % groups == 0,
                         "ConvTranspose3d: \(weight.shape[0]) input channels are not divisible by \(groups) groups") { groups = 1 }
        let out = weight.shape[1].multipliedReportingOverflow(by: groups).partialValue
        if let b = bias, !validSetting(b.shape == [out], "ConvTranspose3d: bias shape \(b.shape) must be [\(out)]") {
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
    ///   - kernelSize: the filter size (depth, rows, columns).
    ///   - stride: the stride of the equivalent convolution (the upsampling factor).
    ///   - padding: the padding of the equivalent convolution.
    ///   - outputPadding: extra size at the end of each output dimension (less than the stride or the
    ///     dilation, as in PyTorch).
    ///   - groups: channel groups.
    ///   - bias: whether to add a learned bias.
    ///   - dilation: the spacing between kernel elements.
    ///   - dtype: the parameters' element type.
    ///   - generator: the source of randomness.
    ///
    /// ```swift
    /// var rng = SeededGenerator(seed: 0)
    /// let up = ConvTranspose3d(8, 4, kernelSize: 3, stride: 2, padding: 1, outputPadding: 1, generator: &rng)
    /// ```
    public convenience init(_ inChannels: Int, _ outChannels: Int, kernelSize: Size3, stride: Size3 = 1,
                            padding: Size3 = 0, outputPadding: Size3 = 0, groups: Int = 1, bias: Bool = true,
                            dilation: Size3 = 1, dtype: DType = .float32, generator: inout SeededGenerator) {
        var groups = groups
        if !validSetting(groups >= 1 && inChannels % groups == 0 && outChannels % groups == 0,
                         "ConvTranspose3d: channels \(inChannels) -> \(outChannels) are not divisible by \(groups) groups") { groups = 1 }
        let shape = [inChannels, outChannels / groups, kernelSize.depth, kernelSize.height, kernelSize.width]
        let (w, b) = Linear.defaultParameters(weightShape: shape, biasCount: bias ? outChannels : nil,
                                              fanIn: saturatingProduct(shape.dropFirst()), dtype: dtype, generator: &generator)
        self.init(weight: w, bias: b, stride: stride, padding: padding, outputPadding: outputPadding,
                  dilation: dilation, groups: groups)
    }

    /// A layer with PyTorch's default initialization drawn from the default generator (``Random``).
    ///
    /// ```swift
    /// let up = ConvTranspose3d(16, 8, kernelSize: 2, stride: 2)
    /// ```
    public convenience init(_ inChannels: Int, _ outChannels: Int, kernelSize: Size3, stride: Size3 = 1,
                            padding: Size3 = 0, outputPadding: Size3 = 0, groups: Int = 1, bias: Bool = true,
                            dilation: Size3 = 1, dtype: DType = .float32) {
        var g = splitDefaultGenerator()
        self.init(inChannels, outChannels, kernelSize: kernelSize, stride: stride, padding: padding,
                  outputPadding: outputPadding, groups: groups, bias: bias, dilation: dilation, dtype: dtype, generator: &g)
    }

    /// Applies the transposed convolution to `[N, inChannels, D, H, W]` (or one unbatched sample).
    public func callAsFunction(_ input: Tensor) -> Tensor {
        withForwardHooks(input) { input in
            Functional.convTranspose3d(input, weight: weight, bias: bias, stride: stride.triple, padding: padding.triple,
                                       outputPadding: outputPadding.triple, dilation: dilation.triple, groups: groups)
        }
    }

    /// The configuration shown by ``Module/description`` (PyTorch's `extra_repr`).
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
