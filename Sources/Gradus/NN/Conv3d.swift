/// A 3-D convolution layer over `[N, C, D, H, W]` batches of volumes or clips (PyTorch's `nn.Conv3d`),
/// computed on the 2-D convolution (see ``Functional/conv3d(_:weight:bias:stride:padding:dilation:groups:)-(_,_,_,_,(Int,Int,Int),_,_)``).
///
/// Parameters: `weight` `[out, in / groups, kD, kH, kW]` and `bias` `[out]`, initialized as in PyTorch
/// (Kaiming uniform with a = √5, bias in ±1/√fanIn), so PyTorch state dicts load unchanged.
///
/// ```swift
/// let conv = Conv3d(1, 8, kernelSize: 3, padding: 1)
/// let y = conv(scans)   // [N, 1, 16, 64, 64] -> [N, 8, 16, 64, 64]
/// ```
public final class Conv3d: Module, Layer {
    /// The filters, `[outChannels, inChannels / groups, kD, kH, kW]`.
    @Parameter public var weight: Tensor
    /// The bias, `[outChannels]`, or nil.
    @Parameter public var bias: Tensor?
    /// The step between windows.
    public let stride: Size3
    /// The padding around the input: a number per side, or `.same`.
    public let padding: ConvPadding3d
    /// What the padding holds (PyTorch's `padding_mode`): zeros (`.constant`, the default), the input
    /// mirrored (`.reflect`), its edge repeated (`.replicate`) or wrapped around (`.circular`).
    public let paddingMode: PaddingMode
    /// The spacing between kernel elements.
    public let dilation: Size3
    /// The number of channel groups.
    public let groups: Int

    /// The number of input channels.
    public var inChannels: Int { _weight.shape[1] * groups }
    /// The number of output channels.
    public var outChannels: Int { _weight.shape[0] }
    /// The kernel size.
    public var kernelSize: Size3 { Size3(_weight.shape[2], _weight.shape[3], _weight.shape[4]) }

    /// A layer with the given weight and bias.
    ///
    /// - Parameters:
    ///   - weight: `[out, in / groups, kD, kH, kW]`.
    ///   - bias: `[out]`, or nil.
    ///   - stride: the step between windows.
    ///   - padding: zeros on each side, or `.same`.
    ///   - dilation: the spacing between kernel elements.
    ///   - groups: channel groups.
    ///   - paddingMode: what the padding holds.
    ///
    /// ```swift
    /// let conv = Conv3d(weight: Tensor.ones([4, 2, 3, 3, 3]), bias: nil, padding: 1)
    /// ```
    public init(weight: Tensor, bias: Tensor?, stride: Size3 = 1, padding: ConvPadding3d = 0, dilation: Size3 = 1,
                groups: Int = 1, paddingMode: PaddingMode = .constant) {
        var weight = weight, bias = bias, stride = stride, padding = padding, groups = groups, dilation = dilation
        let positive = 1...Int(Int32.max)
        if !validSetting([dilation.depth, dilation.height, dilation.width].allSatisfy(positive.contains),
                         "Conv3d: dilation \(dilation) must be between 1 and \(Int32.max)") { dilation = 1 }
        if !validSetting(weight.rank == 5, "Conv3d: weight must be [out, in/groups, kD, kH, kW], got \(weight.shape)") {
            weight = Tensor.standIn([0, 0, 1, 1, 1], for: weight)
        }
        if !validSetting(groups >= 1 && weight.shape[0] % groups == 0,
                         "Conv3d: \(weight.shape[0]) output channels are not divisible by \(groups) groups") { groups = 1 }
        if let b = bias, !validSetting(b.shape == [weight.shape[0]], "Conv3d: bias shape \(b.shape) must be [\(weight.shape[0])]") {
            bias = Tensor.zeros([weight.shape[0]], dtype: weight.dtype)
        }
        if !validSetting({ try padding.check("Conv3d", stride: stride.triple) }) { (stride, padding) = (1, .valid) }
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
    ///   - kernelSize: the filter size (depth, rows, columns).
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
    /// let conv = Conv3d(3, 16, kernelSize: [1, 3, 3], padding: [0, 1, 1], generator: &rng)
    /// ```
    public convenience init(_ inChannels: Int, _ outChannels: Int, kernelSize: Size3, stride: Size3 = 1,
                            padding: ConvPadding3d = 0, dilation: Size3 = 1, groups: Int = 1, bias: Bool = true,
                            paddingMode: PaddingMode = .constant, dtype: DType = .float32, generator: inout SeededGenerator) {
        var groups = groups
        if !validSetting(groups >= 1 && inChannels % groups == 0 && outChannels % groups == 0,
                         "Conv3d: channels \(inChannels) -> \(outChannels) are not divisible by \(groups) groups") { groups = 1 }
        let shape = [outChannels, inChannels / groups, kernelSize.depth, kernelSize.height, kernelSize.width]
        let (w, b) = Linear.defaultParameters(weightShape: shape, biasCount: bias ? outChannels : nil,
                                              fanIn: saturatingProduct(shape.dropFirst()), dtype: dtype, generator: &generator)
        self.init(weight: w, bias: b, stride: stride, padding: padding, dilation: dilation, groups: groups, paddingMode: paddingMode)
    }

    /// A layer with PyTorch's default initialization drawn from the default generator (``Random``).
    ///
    /// ```swift
    /// let conv = Conv3d(1, 8, kernelSize: 3)
    /// ```
    public convenience init(_ inChannels: Int, _ outChannels: Int, kernelSize: Size3, stride: Size3 = 1,
                            padding: ConvPadding3d = 0, dilation: Size3 = 1, groups: Int = 1, bias: Bool = true,
                            paddingMode: PaddingMode = .constant, dtype: DType = .float32) {
        var g = splitDefaultGenerator()
        self.init(inChannels, outChannels, kernelSize: kernelSize, stride: stride, padding: padding,
                  dilation: dilation, groups: groups, bias: bias, paddingMode: paddingMode, dtype: dtype, generator: &g)
    }

    /// Applies the convolution to `[N, inChannels, D, H, W]` (or one unbatched `[inChannels, D, H, W]`).
    public func callAsFunction(_ input: Tensor) -> Tensor { withForwardHooks(input) { forward($0) } }

    /// The computation on a batched or unbatched input; the hooks run once, around it.
    private func forward(_ input: Tensor) -> Tensor {
        if let y = Functional.unbatched(input, batchedRank: 5, { forward($0) }) { return y }
        // Padding other than zeros is applied first (PyTorch's F.pad with the mode), then the
        // convolution runs unpadded.
        let (x, zeros) = paddingMode == .constant ? (input, padding) : (paddedInput(input), ConvPadding3d.valid)
        return Functional.conv3d(x, weight: weight, bias: bias, stride: stride.triple, padding: zeros,
                                 dilation: dilation.triple, groups: groups)
    }

    /// The input padded by ``padding`` with ``paddingMode`` (rank checked by the convolution after).
    private func paddedInput(_ input: Tensor) -> Tensor {
        guard input.rank == 5 else { return input }
        let k = kernelSize, dilations = [dilation.depth, dilation.height, dilation.width]
        let amounts = [k.depth, k.height, k.width].enumerated().map {
            padding.amounts(dimension: $0.offset, kernel: $0.element, dilation: dilations[$0.offset])
        }
        if amounts.allSatisfy({ $0 == (0, 0) }) { return input }
        return input.pad([amounts[2].before, amounts[2].after, amounts[1].before, amounts[1].after,
                          amounts[0].before, amounts[0].after], mode: paddingMode)
    }

    /// The configuration shown by ``Module/description`` (PyTorch's `extra_repr`).
    public override var extraDescription: String {
        var s = "\(inChannels), \(outChannels), kernelSize: \(kernelSize), stride: \(stride)"
        if padding != 0 { s += ", padding: \(padding)" }
        if dilation != 1 { s += ", dilation: \(dilation)" }
        if groups != 1 { s += ", groups: \(groups)" }
        if bias == nil { s += ", bias: false" }
        if paddingMode != .constant { s += ", paddingMode: \(paddingMode.rawValue)" }
        return s
    }
}

/// The product of `sizes`, or Int.max where it would overflow (a fan-in that no tensor can have: the
/// weight's creation then refuses the shape).
func saturatingProduct<S: Sequence<Int>>(_ sizes: S) -> Int {
    sizes.reduce(1) { product, size in
        let (p, overflow) = product.multipliedReportingOverflow(by: size)
        return overflow ? Int.max : p
    }
}
