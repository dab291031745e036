/// A 2-D convolution layer over `[N, C, H, W]` batches (PyTorch's `nn.Conv2d`), computed by oneDNN's
/// convolution kernels or as im2col plus a matrix product per group (see ``ConvolutionBackend`` and
/// ``Functional/conv2d(_:weight:bias:stride:padding:dilation:groups:)-(_,_,_,_,(Int,Int),_,_)``).
///
/// Parameters: `weight` `[out, in / groups, kH, kW]` and `bias` `[out]`, initialized as in PyTorch
/// (Kaiming uniform with a = √5, bias in ±1/√fanIn).
///
/// ```swift
/// let conv = Conv2d(1, 6, kernelSize: 5, padding: 2)
/// let y = conv(images)   // [N, 1, 28, 28] -> [N, 6, 28, 28]
/// ```
public final class Conv2d: Module, Layer {
    /// The filters, `[outChannels, inChannels / groups, kH, kW]`.
    @Parameter public var weight: Tensor
    /// The bias, `[outChannels]`, or nil.
    @Parameter public var bias: Tensor?
    /// The step between windows.
    public let stride: Size2
    /// The padding around the input: a number per side, or `.same`.
    public let padding: ConvPadding
    /// What the padding holds (PyTorch's `padding_mode`): zeros (`.constant`, the default), the input
    /// mirrored (`.reflect`), its edge repeated (`.replicate`) or wrapped around (`.circular`).
    public let paddingMode: PaddingMode
    /// The spacing between kernel elements.
    public let dilation: Size2
    /// The number of channel groups.
    public let groups: Int

    /// The 8-bit weights (`[O, C·kH·kW]`) that inference uses after ``Module/quantizeDynamic()``, or nil
    /// (Float32).
    public internal(set) var quantizedWeights: QuantizedWeights? {
        didSet {
            quantizedFrom = quantizedWeights == nil ? nil : WeightVersion(weight)
            DynamicQuantization.quantizationChanged()
        }
    }
    /// The weight's storage and version when it was quantized (see ``Linear``).
    private var quantizedFrom: WeightVersion?

    /// The integers inference computes with: ``quantizedWeights`` while the weight is unchanged since
    /// quantizing, else nil.
    var activeQuantizedWeights: QuantizedWeights? { quantizedFrom == WeightVersion(weight) ? quantizedWeights : nil }

    /// The number of input channels.
    public var inChannels: Int { _weight.shape[1] * groups }
    /// The number of output channels.
    public var outChannels: Int { _weight.shape[0] }
    /// The kernel size.
    public var kernelSize: Size2 { Size2(_weight.shape[2], _weight.shape[3]) }

    /// A layer with the given weight and bias.
    ///
    /// ```swift
    /// let conv = Conv2d(weight: Tensor.ones([4, 3, 3, 3]), bias: nil, padding: 1)
    /// ```
    public init(weight: Tensor, bias: Tensor?, stride: Size2 = 1, padding: ConvPadding = 0, dilation: Size2 = 1,
                groups: Int = 1, paddingMode: PaddingMode = .constant) {
        var weight = weight, bias = bias, stride = stride, padding = padding, groups = groups
        if !validSetting(weight.rank == 4, "Conv2d: weight must be [out, in/groups, kH, kW], got \(weight.shape)") {
            weight = Tensor.standIn([0, 0, 1, 1], for: weight)
        }
        if !validSetting(groups >= 1 && weight.shape[0] % groups == 0,
                         "Conv2d: \(weight.shape[0]) output channels are not divisible by \(groups) groups") { groups = 1 }
        if let b = bias, !validSetting(b.shape == [weight.shape[0]], "Conv2d: bias shape \(b.shape) must be [\(weight.shape[0])]") {
            bias = Tensor.zeros([weight.shape[0]], dtype: weight.dtype)
        }
        if !validSetting({ try padding.check("Conv2d", stride: stride.pair) }) { (stride, padding) = (1, .valid) }
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
    ///   - outChannels: channels of the output (number of filters).
    ///   - kernelSize: the filter size.
    ///   - stride: the step between windows.
    ///   - padding: added on each side, or `.same` (output as large as the input; stride 1).
    ///   - dilation: the spacing between kernel elements.
    ///   - groups: channel groups (both channel counts must be divisible by it).
    ///   - bias: whether to add a learned bias.
    ///   - paddingMode: what the padding holds: zeros (default), or the input reflected, replicated or wrapped.
    ///   - dtype: the parameters' element type.
    ///   - generator: the source of randomness.
    ///
    /// ```swift
    /// var rng = SeededGenerator(seed: 0)
    /// let conv = Conv2d(3, 16, kernelSize: 3, padding: 1, generator: &rng)
    /// ```
    public convenience init(_ inChannels: Int, _ outChannels: Int, kernelSize: Size2, stride: Size2 = 1,
                            padding: ConvPadding = 0, dilation: Size2 = 1, groups: Int = 1, bias: Bool = true,
                            paddingMode: PaddingMode = .constant, dtype: DType = .float32, generator: inout SeededGenerator) {
        var groups = groups
        if !validSetting(groups >= 1 && inChannels % groups == 0 && outChannels % groups == 0,
                         "Conv2d: channels \(inChannels) -> \(outChannels) are not divisible by \(groups) groups") { groups = 1 }
        let shape = [outChannels, inChannels / groups, kernelSize.height, kernelSize.width]
        let (w, b) = Linear.defaultParameters(weightShape: shape, biasCount: bias ? outChannels : nil,
                                              fanIn: shape[1] * shape[2] * shape[3], dtype: dtype, generator: &generator)
        self.init(weight: w, bias: b, stride: stride, padding: padding, dilation: dilation, groups: groups,
                  paddingMode: paddingMode)
    }

    /// A layer with PyTorch's default initialization drawn from the default generator (``Random``).
    ///
    /// ```swift
    /// let conv = Conv2d(1, 6, kernelSize: 5)
    /// ```
    public convenience init(_ inChannels: Int, _ outChannels: Int, kernelSize: Size2, stride: Size2 = 1,
                            padding: ConvPadding = 0, dilation: Size2 = 1, groups: Int = 1, bias: Bool = true,
                            paddingMode: PaddingMode = .constant, dtype: DType = .float32) {
        var g = splitDefaultGenerator()
        self.init(inChannels, outChannels, kernelSize: kernelSize, stride: stride, padding: padding,
                  dilation: dilation, groups: groups, bias: bias, paddingMode: paddingMode, dtype: dtype, generator: &g)
    }

    /// Applies the convolution to `[N, inChannels, H, W]`.
    public func callAsFunction(_ input: Tensor) -> Tensor { withForwardHooks(input) { forward($0) } }

    /// The computation on a batched or unbatched input; the hooks run once, around it.
    private func forward(_ input: Tensor) -> Tensor {
        if let y = Functional.unbatched(input, batchedRank: 4, { forward($0) }) { return y }   // [C, H, W]
        // Padding other than zeros is applied first (PyTorch's F.pad with the mode), then the
        // convolution runs unpadded.
        let (x, zeros) = paddingMode == .constant ? (input, padding) : (paddedInput(input), ConvPadding.valid)
        if let activeQuantizedWeights,
           let out = DynamicQuantization.conv2d(x, activeQuantizedWeights, bias: bias, layer: self, padding: zeros) { return out }
        return Functional.conv2d(x, weight: weight, bias: bias, stride: stride.pair, padding: zeros,
                          dilation: dilation.pair, groups: groups)
    }

    /// The input padded by ``padding`` with ``paddingMode`` (rank checked by the convolution after).
    func paddedInput(_ input: Tensor) -> Tensor {
        guard input.rank == 4 else { return input }
        let k = kernelSize
        let rows = padding.amounts(dimension: 0, kernel: k.height, dilation: dilation.height)
        let columns = padding.amounts(dimension: 1, kernel: k.width, dilation: dilation.width)
        if rows == (0, 0) && columns == (0, 0) { return input }
        return input.pad([columns.before, columns.after, rows.before, rows.after], mode: paddingMode)
    }

    /// The configuration shown by ``Module/description`` (PyTorch\'s `extra_repr`).

    public override var extraDescription: String {
        var s = "\(inChannels), \(outChannels), kernelSize: \(kernelSize), stride: \(stride)"
        if padding != 0 { s += ", padding: \(padding)" }
        if dilation != 1 { s += ", dilation: \(dilation)" }
        if groups != 1 { s += ", groups: \(groups)" }
        if bias == nil { s += ", bias: false" }
        if paddingMode != .constant { s += ", paddingMode: \(paddingMode.rawValue)" }
        if quantizedWeights != nil { s += ", int8" }
        return s
    }
}
