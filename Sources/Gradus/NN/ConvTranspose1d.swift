/// A transposed 1-D convolution layer (PyTorch's `nn.ConvTranspose1d`), the adjoint of ``Conv1d``: it
/// maps `[N, in, L]` to `[N, out, (L − 1)·stride − 2·padding + dilation·(k − 1) + outputPadding + 1]`,
/// used to upsample signals (audio decoders, sequence autoencoders). Computed as ``ConvTranspose2d``
/// over a height of 1.
///
/// Parameters: `weight` `[in, out / groups, k]` and `bias` `[out]`, initialized as in PyTorch (Kaiming
/// uniform with a = √5 on that shape, so fanIn = out / groups · k).
///
/// ```swift
/// let up = ConvTranspose1d(16, 8, kernelSize: 4, stride: 2, padding: 1)
/// let y = up(x)   // [N, 16, 100] -> [N, 8, 200]
/// ```
public final class ConvTranspose1d: Module, Layer {
    /// The filters, `[inChannels, outChannels / groups, kernelSize]`.
    @Parameter public var weight: Tensor
    /// The bias, `[outChannels]`, or nil.
    @Parameter public var bias: Tensor?
    /// The stride of the equivalent forward convolution.
    public let stride: Int
    /// The padding of the equivalent forward convolution (removed from both ends of the output).
    public let padding: Int
    /// Extra positions added at the end of the output.
    public let outputPadding: Int
    /// The spacing between kernel elements.
    public let dilation: Int
    /// The number of channel groups.
    public let groups: Int

    /// The number of input channels.
    public var inChannels: Int { _weight.shape[0] }
    /// The number of output channels.
    public var outChannels: Int { _weight.shape[1].multipliedReportingOverflow(by: groups).partialValue }
    /// The kernel size.
    public var kernelSize: Int { _weight.shape[2] }

    /// A layer with the given weight and bias.
    ///
    /// ```swift
    /// let up = ConvTranspose1d(weight: Tensor.ones([4, 2, 3]), bias: nil, stride: 2)
    /// ```
    public init(weight: Tensor, bias: Tensor?, stride: Int = 1, padding: Int = 0, outputPadding: Int = 0,
                dilation: Int = 1, groups: Int = 1) {
        var weight = weight, bias = bias, groups = groups
        if !validSetting(weight.rank == 3, "ConvTranspose1d: weight must be [in, out/groups, k], got \(weight.shape)") {
            weight = Tensor.standIn([0, 0, 1], for: weight)
        }
        if !validSetting(groups >= 1 && groups <= Swift.max(weight.shape[0], 1) && weight.shape[0] % groups == 0,
                         "ConvTranspose1d: \(weight.shape[0]) input channels are not divisible by \(groups) groups") { groups = 1 }
        let out = weight.shape[1] * groups   // groups ≤ the input channels: no overflow
        if let b = bias, !validSetting(b.shape == [out], "ConvTranspose1d: bias shape \(b.shape) must be [\(out)]") {
            bias = Tensor.zeros([out], dtype: weight.dtype)
        }
        var (stride, padding, outputPadding, dilation) = (stride, padding, outputPadding, dilation)
        if !validSetting(stride >= 1 && padding >= 0 && dilation >= 1 && outputPadding >= 0
                         && outputPadding < Swift.max(stride, dilation),
                         "ConvTranspose1d: needs stride ≥ 1, padding ≥ 0, dilation ≥ 1 and 0 ≤ outputPadding < max(stride, dilation), got stride \(stride), padding \(padding), dilation \(dilation), outputPadding \(outputPadding)") {
            (stride, padding, outputPadding, dilation) = (1, 0, 0, 1)
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
    ///   - inChannels: input channels.
    ///   - outChannels: output channels.
    ///   - kernelSize: the kernel length.
    ///   - stride: the stride of the equivalent forward convolution.
    ///   - padding: removed from both ends of the output.
    ///   - outputPadding: added at the end of the output (less than the stride or the dilation).
    ///   - groups: channel groups (dividing both channel counts).
    ///   - bias: whether to add a learned bias.
    ///   - dilation: the spacing between kernel elements.
    ///   - dtype: the parameters' element type.
    ///   - generator: the source of randomness.
    public convenience init(_ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                            outputPadding: Int = 0, groups: Int = 1, bias: Bool = true, dilation: Int = 1,
                            dtype: DType = .float32, generator: inout SeededGenerator) {
        var groups = groups
        if !validSetting(groups >= 1 && inChannels % groups == 0 && outChannels % groups == 0,
                         "ConvTranspose1d: channels \(inChannels) -> \(outChannels) are not divisible by \(groups) groups") { groups = 1 }
        var shape = [inChannels, outChannels / groups, kernelSize]
        if !validSetting(shape.allSatisfy { $0 >= 0 } && (try? Tensor.elementCount(shape, op: "ConvTranspose1d")) != nil,
                         "ConvTranspose1d: sizes must not be negative nor too large, got \(inChannels), \(outChannels), \(kernelSize)") {
            shape = [0, 0, 1]
        }
        let (w, b) = Linear.defaultParameters(weightShape: shape, biasCount: bias ? shape[1] * groups : nil,
                                              fanIn: shape[1] * shape[2], dtype: dtype, generator: &generator)
        self.init(weight: w, bias: b, stride: stride, padding: padding, outputPadding: outputPadding,
                  dilation: dilation, groups: groups)
    }

    /// A layer with PyTorch's default initialization drawn from the default generator (``Random``).
    ///
    /// ```swift
    /// let up = ConvTranspose1d(16, 8, kernelSize: 2, stride: 2)
    /// ```
    public convenience init(_ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                            outputPadding: Int = 0, groups: Int = 1, bias: Bool = true, dilation: Int = 1,
                            dtype: DType = .float32) {
        var g = splitDefaultGenerator()
        self.init(inChannels, outChannels, kernelSize: kernelSize, stride: stride, padding: padding,
                  outputPadding: outputPadding, groups: groups, bias: bias, dilation: dilation, dtype: dtype, generator: &g)
    }

    /// Applies the transposed convolution to `[N, in, L]` (or one sample `[in, L]`).
    public func callAsFunction(_ input: Tensor) -> Tensor {
        withForwardHooks(input) { input in
            Functional.convTranspose1d(input, weight: weight, bias: bias, stride: stride, padding: padding,
                                       outputPadding: outputPadding, dilation: dilation, groups: groups)
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

extension Functional {
    /// The transposed 1-D convolution (PyTorch's `F.conv_transpose1d`): ``convTranspose2d(_:weight:bias:stride:padding:outputPadding:dilation:groups:)``
    /// over a height of 1, with the same checks and gradients.
    ///
    /// - Parameters:
    ///   - input: `[N, in, L]`, or one unbatched sample `[in, L]`.
    ///   - weight: `[in, out / groups, k]`.
    ///   - bias: `[out]` or nil.
    ///   - stride: the stride of the equivalent forward convolution.
    ///   - padding: removed from both ends of the output.
    ///   - outputPadding: added at the end of the output.
    ///   - dilation: the spacing between kernel elements.
    ///   - groups: the number of channel groups.
    /// - Returns: `[N, out, (L − 1)·stride − 2·padding + dilation·(k − 1) + outputPadding + 1]`.
    ///
    /// ```swift
    /// let y = Functional.convTranspose1d(x, weight: w, stride: 2)
    /// ```
    public static func convTranspose1d(_ input: Tensor, weight: Tensor, bias: Tensor? = nil, stride: Int = 1,
                                       padding: Int = 0, outputPadding: Int = 0, dilation: Int = 1, groups: Int = 1) -> Tensor {
        if let y = unbatched(input, batchedRank: 3, {
            convTranspose1d($0, weight: weight, bias: bias, stride: stride, padding: padding, outputPadding: outputPadding,
                            dilation: dilation, groups: groups)
        }) { return y }
        return checked {
            try require(input.rank == 3 && weight.rank == 3,
                        "convTranspose1d: input must be [N, C, L] and weight [C, O/groups, k], got \(input.shape) and \(weight.shape)",
                        .shapeMismatch)
            let y = convTranspose2d(input.unsqueeze(2), weight: weight.unsqueeze(2), bias: bias, stride: (1, stride),
                                    padding: (0, padding), outputPadding: (0, outputPadding), dilation: (1, dilation),
                                    groups: groups)
            return y.squeeze(2)
        }
    }
}
