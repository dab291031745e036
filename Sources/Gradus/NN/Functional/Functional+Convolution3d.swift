// 3-D convolutions (PyTorch's `F.conv3d`, `F.conv_transpose3d`), for volumes and video clips
// `[N, C, D, H, W]`. Both run on the 2-D convolutions, which carry the optimized kernels and are
// already checked against PyTorch and by finite differences:
//
// - conv3d gathers, for every output depth, the `kD` input slices its window reads and stacks them on
//   the channels, `[N·outD, C·kD, H, W]` (``Functional/depthWindows(_:_:)``, padding slices as zeros); the weight
//   `[O, C/g, kD, kH, kW]` read as `[O, C/g·kD, kH, kW]` then is exactly a 2-D convolution's, with the
//   same groups. The depth part of the im2col is the gather; the 2-D convolution does the rest.
// - convTranspose3d is the adjoint: a 2-D transposed convolution of every input slice to `O·kD`
//   channels, whose `kD` slices are added into their output depths (``Functional/depthWindowsAdjoint``),
//   the depth padding cropped on the way.
//
// Gradients follow from those differentiable primitives (depthWindows ↔ its adjoint, conv2d).

/// `out` (computed without reading `input` or `weight`), recorded as depending on both, so that
/// gradients reach them (zeros) as PyTorch's would. When `out` has values, only an empty operand is
/// connected: multiplying a non-empty one's values by zero would turn a NaN or infinity in it into NaN
/// outputs (an empty output has no values to spoil).
func connectedToEmpty(_ out: Tensor, _ input: Tensor, _ weight: Tensor) -> Tensor {
    var result = out
    for operand in [input, weight] where operand.requiresGrad {
        if operand.count == 0 {
            result = result + operand.sum()
        } else if out.count == 0 {
            result = result + operand.sum() * 0
        }
    }
    return result
}

/// `p` as a triple of at least `min`, at most `Int32.max` (so output-size arithmetic cannot overflow).
func checkedTriple(_ p: (Int, Int, Int), _ what: String, _ op: String, min: Int) throws -> (Int, Int, Int) {
    try require(p.0 >= min && p.1 >= min && p.2 >= min, "\(op): \(what) \(p) must be at least \(min)")
    try require(p.0 <= Int(Int32.max) && p.1 <= Int(Int32.max) && p.2 <= Int(Int32.max), "\(op): \(what) \(p) must be at most \(Int32.max)")
    return p
}

extension Functional {
    /// 3-D cross-correlation over a batch of volumes, like PyTorch's `F.conv3d`.
    ///
    /// - Parameters:
    ///   - input: `[N, C, D, H, W]`, or one unbatched sample `[C, D, H, W]` (as in PyTorch).
    ///   - weight: `[O, C / groups, kD, kH, kW]`.
    ///   - bias: `[O]` or nil.
    ///   - stride: the step between windows (depth, rows, columns).
    ///   - padding: zeros added on each side (depth, rows, columns).
    ///   - dilation: the spacing between kernel elements.
    ///   - groups: the number of channel groups; `C` and `O` must be divisible by it.
    /// - Returns: `[N, O, outD, outH, outW]` with outD = ⌊(D + 2·pad − dil·(kD − 1) − 1) / stride⌋ + 1,
    ///   and likewise for the rows and columns.
    ///
    /// ```swift
    /// let clips = Tensor.randn([2, 3, 8, 32, 32])            // 2 clips of 8 RGB frames
    /// let w = Tensor.randn([16, 3, 3, 3, 3])
    /// let y = Functional.conv3d(clips, weight: w, padding: (1, 1, 1))   // [2, 16, 8, 32, 32]
    /// ```
    public static func conv3d(_ input: Tensor, weight: Tensor, bias: Tensor? = nil, stride: (Int, Int, Int) = (1, 1, 1),
                              padding: (Int, Int, Int) = (0, 0, 0), dilation: (Int, Int, Int) = (1, 1, 1),
                              groups: Int = 1) -> Tensor {
        if let y = unbatched(input, batchedRank: 5, {
            conv3d($0, weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation, groups: groups)
        }) { return y }
        return checked {
            let op = "conv3d"
            try require(input.rank == 5 && weight.rank == 5,
                        "\(op): input must be [N, C, D, H, W] and weight [O, C/groups, kD, kH, kW], got \(input.shape) and \(weight.shape)",
                        .shapeMismatch)
            _ = try checkedTriple(stride, "stride", op, min: 1)
            _ = try checkedTriple(padding, "padding", op, min: 0)
            _ = try checkedTriple(dilation, "dilation", op, min: 1)
            let (n, c, d) = (input.shape[0], input.shape[1], input.shape[2])
            let o = weight.shape[0], k = (weight.shape[2], weight.shape[3], weight.shape[4])
            // As PyTorch: at least one filter per group (so that zero channels cannot hide a huge group count).
            try require(groups >= 1 && o >= groups && c % groups == 0 && o % groups == 0 && weight.shape[1] == c / groups,
                        "\(op): input \(input.shape) and weight \(weight.shape) do not match for \(groups) group(s)", .shapeMismatch)
            if let bias { try require(bias.shape == [o], "\(op): bias shape \(bias.shape) must be [\(o)]", .shapeMismatch) }
            let outD = windowOutput(d, kernel: k.0, stride: stride.0, padding: padding.0, dilation: dilation.0)
            let outH = windowOutput(input.shape[3], kernel: k.1, stride: stride.1, padding: padding.1, dilation: dilation.1)
            let outW = windowOutput(input.shape[4], kernel: k.2, stride: stride.2, padding: padding.2, dilation: dilation.2)
            try require(outD > 0 && outH > 0 && outW > 0,
                        "\(op): kernel \(k) with dilation \(dilation) does not fit input \(input.shape) padded by \(padding)", .shapeMismatch)
            let outputCount = try Tensor.elementCount([n, o, outD, outH, outW], op: op)
            try requireSharedFloatingDType(op, input, weight, bias)
            if outputCount == 0 || input.count == 0 {
                // Nothing to gather (an empty batch, no channels, or no output): the bias on every output
                // position, connected to the operands for their (zero or empty) gradients. The memory
                // check below bounds the gathered windows by the input's size only when it has elements.
                var out = try Tensor.checkedZeros([n, o, outD, outH, outW], dtype: input.dtype, op: op)
                if let bias { out = out + bias.reshape([o, 1, 1, 1]) }
                return connectedToEmpty(out, input, weight)
            }
            // The depth slices every output depth reads, kD of them, in the padded input's coordinates.
            let gathered = try Tensor.elementCount([n, c, outD, k.0, input.shape[3], input.shape[4]], op: op)
            try require(gathered <= TensorStorage.physicalMemoryBytes / input.dtype.byteSize,
                        "\(op): the \(k.0) depth slices of each of the \(outD) output depths of input \(input.shape) need more than this machine's memory",
                        .outOfMemory)
            let (h, w) = (input.shape[3], input.shape[4])
            let windows = DepthWindows(batch: n, channels: c, depth: d, plane: h * w, kernel: k.0, stride: stride.0,
                                       padding: padding.0, dilation: dilation.0, outDepth: outD)
            let stacked = depthWindows(input, windows).reshape([n * outD, c * k.0, h, w])
            let planar = weight.reshape([o, weight.shape[1] * k.0, k.1, k.2])
            let y = conv2d(stacked, weight: planar, bias: bias, stride: (stride.1, stride.2), padding: (padding.1, padding.2),
                           dilation: (dilation.1, dilation.2), groups: groups)                  // [N·outD, O, outH, outW]
            return y.reshape([n, outD, o, outH, outW]).permute([0, 2, 1, 3, 4]).contiguous()
        }
    }

    /// 3-D cross-correlation with padding given as ``ConvPadding3d``: a number of zeros, or `.same`
    /// (PyTorch's `padding='same'`, stride 1 only; an odd extent pads one more zero after).
    ///
    /// - Parameters:
    ///   - input: `[N, C, D, H, W]`, or one unbatched sample `[C, D, H, W]`.
    ///   - weight: `[O, C / groups, kD, kH, kW]`.
    ///   - bias: `[O]` or nil.
    ///   - stride: the step between windows; must be 1 with `.same`.
    ///   - padding: the zeros around the input.
    ///   - dilation: the spacing between kernel elements.
    ///   - groups: the number of channel groups.
    /// - Returns: `[N, O, outD, outH, outW]`; with `.same`, the input's depth, height and width.
    ///
    /// ```swift
    /// let y = Functional.conv3d(volume, weight: w, padding: .same)
    /// ```
    public static func conv3d(_ input: Tensor, weight: Tensor, bias: Tensor? = nil, stride: (Int, Int, Int) = (1, 1, 1),
                              padding: ConvPadding3d, dilation: (Int, Int, Int) = (1, 1, 1), groups: Int = 1) -> Tensor {
        if let y = unbatched(input, batchedRank: 5, {
            conv3d($0, weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation, groups: groups)
        }) { return y }
        return checked {
            try padding.check("conv3d", stride: stride)
            try require(weight.rank == 5, "conv3d: weight must be [O, C/groups, kD, kH, kW], got \(weight.shape)", .shapeMismatch)
            _ = try checkedTriple(dilation, "dilation", "conv3d", min: 1)   // before `same` multiplies by it
            let dilations = [dilation.0, dilation.1, dilation.2]
            let amounts = (0..<3).map { padding.amounts(dimension: $0, kernel: weight.shape[2 + $0], dilation: dilations[$0]) }
            // The symmetric part goes to the convolution; an extra zero after (odd extent) is padded here.
            let extra = amounts.map { $0.after - $0.before }
            let padded = extra.allSatisfy({ $0 == 0 }) ? input : input.pad([0, extra[2], 0, extra[1], 0, extra[0]])
            return conv3d(padded, weight: weight, bias: bias, stride: stride,
                          padding: (amounts[0].before, amounts[1].before, amounts[2].before), dilation: dilation, groups: groups)
        }
    }

    /// The transposed 3-D convolution (the adjoint of ``conv3d(_:weight:bias:stride:padding:dilation:groups:)-(_,_,_,_,(Int,Int,Int),_,_)``
    /// with respect to its input), like PyTorch's `F.conv_transpose3d`.
    ///
    /// - Parameters:
    ///   - input: `[N, C, D, H, W]`, or one unbatched sample `[C, D, H, W]`.
    ///   - weight: `[C, O / groups, kD, kH, kW]`.
    ///   - bias: `[O]` or nil.
    ///   - stride: the step between input positions in the output (the forward convolution's stride).
    ///   - padding: positions removed from each side of the output (the forward convolution's padding).
    ///   - outputPadding: extra positions added on one side of the output, each smaller than its stride
    ///     or its dilation.
    ///   - dilation: the spacing between a window's elements.
    ///   - groups: blocks of channels convolved separately (C and O divisible by it).
    /// - Returns: `[N, O, outD, outH, outW]` with outD = (D − 1)·stride − 2·pad + dil·(kD − 1) + outputPadding + 1,
    ///   and likewise for the rows and columns.
    ///
    /// ```swift
    /// let up = Functional.convTranspose3d(x, weight: w, stride: (2, 2, 2))   // twice the depth, height and width
    /// ```
    public static func convTranspose3d(_ input: Tensor, weight: Tensor, bias: Tensor? = nil, stride: (Int, Int, Int) = (1, 1, 1),
                                       padding: (Int, Int, Int) = (0, 0, 0), outputPadding: (Int, Int, Int) = (0, 0, 0),
                                       dilation: (Int, Int, Int) = (1, 1, 1), groups: Int = 1) -> Tensor {
        if let y = unbatched(input, batchedRank: 5, {
            convTranspose3d($0, weight: weight, bias: bias, stride: stride, padding: padding, outputPadding: outputPadding,
                            dilation: dilation, groups: groups)
        }) { return y }
        return checked {
            let op = "convTranspose3d"
            try require(input.rank == 5 && weight.rank == 5,
                        "\(op): input must be [N, C, D, H, W] and weight [C, O/groups, kD, kH, kW], got \(input.shape) and \(weight.shape)",
                        .shapeMismatch)
            _ = try checkedTriple(stride, "stride", op, min: 1)
            _ = try checkedTriple(padding, "padding", op, min: 0)
            _ = try checkedTriple(dilation, "dilation", op, min: 1)
            try require(outputPadding.0 >= 0 && outputPadding.1 >= 0 && outputPadding.2 >= 0
                        && outputPadding.0 < Swift.max(stride.0, dilation.0) && outputPadding.1 < Swift.max(stride.1, dilation.1)
                        && outputPadding.2 < Swift.max(stride.2, dilation.2),
                        "\(op): outputPadding \(outputPadding) must be smaller than stride \(stride) or dilation \(dilation)")
            let (n, c, d, h, w) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3], input.shape[4])
            try require(groups >= 1 && weight.shape[0] == c && c >= groups && c % groups == 0,
                        "\(op): input \(input.shape) and weight \(weight.shape) do not match for \(groups) group(s)", .shapeMismatch)
            try require(d > 0 && h > 0 && w > 0, "\(op): input \(input.shape) has an empty spatial dimension", .shapeMismatch)
            try requireSharedFloatingDType(op, input, weight, bias)
            let og = weight.shape[1], k = (weight.shape[2], weight.shape[3], weight.shape[4])
            let (o, wide) = og.multipliedReportingOverflow(by: groups)
            try require(!wide && o <= Tensor.maximumElementCount, "\(op): \(og) output channels per group × \(groups) groups is too many", .shapeMismatch)
            if let bias { try require(bias.shape == [o], "\(op): bias shape \(bias.shape) must be [\(o)]", .shapeMismatch) }
            // Sizes in Double first: strides and dilations up to Int32.max would overflow Int.
            func span(_ size: Int, _ s: Int, _ p: Int, _ dil: Int, _ k: Int, _ extra: Int) -> Double {
                Double(size - 1) * Double(s) - 2 * Double(p) + Double(dil) * Double(k - 1) + Double(extra) + 1
            }
            let spans = [span(d, stride.0, padding.0, dilation.0, k.0, outputPadding.0),
                         span(h, stride.1, padding.1, dilation.1, k.1, outputPadding.1),
                         span(w, stride.2, padding.2, dilation.2, k.2, outputPadding.2)]
            let whole = Double(d - 1) * Double(stride.0) + Double(dilation.0) * Double(k.0 - 1) + 1
            try require(spans.allSatisfy { $0 < Double(Tensor.maximumElementCount) } && spans.reduce(1, *) < Double(Tensor.maximumElementCount)
                        && whole * spans[1] * spans[2] < Double(Tensor.maximumElementCount),
                        "\(op): output size \(spans.map { Int($0) }) for input \(input.shape) is too large", .shapeMismatch)
            let outD = (d - 1) * stride.0 - 2 * padding.0 + dilation.0 * (k.0 - 1) + outputPadding.0 + 1
            try require(spans.allSatisfy { $0 > 0 },
                        "\(op): output size \(spans.map { Int($0) }) is not positive for input \(input.shape)", .shapeMismatch)
            let outputCount = try Tensor.elementCount([n, o, outD, Int(spans[1]), Int(spans[2])], op: op)
            if outputCount == 0 || input.count == 0 {
                // No batch, no output channels or no input channels: the bias everywhere.
                var out = try Tensor.checkedZeros([n, o, outD, Int(spans[1]), Int(spans[2])], dtype: input.dtype, op: op)
                if let bias { out = out + bias.reshape([o, 1, 1, 1]) }
                return connectedToEmpty(out, input, weight)
            }
            // A large depth stride makes the output far larger than the slices' transposed convolutions.
            try require(outputCount <= TensorStorage.physicalMemoryBytes / input.dtype.byteSize,
                        "\(op): the output [\(n), \(o), \(outD), \(Int(spans[1])), \(Int(spans[2]))] needs more than this machine's memory",
                        .outOfMemory)
            // Every input slice, transposed-convolved to O·kD planes (channel o·kD + t: output channel o, depth tap t).
            let slices = DepthWindows(batch: n, channels: c, depth: d, plane: h * w, kernel: 1, stride: 1, padding: 0,
                                      dilation: 1, outDepth: d)
            let planes = depthWindows(input, slices).reshape([n * d, c, h, w])
            let planar = weight.reshape([c, og * k.0, k.1, k.2])
            let y = convTranspose2d(planes, weight: planar, stride: (stride.1, stride.2), padding: (padding.1, padding.2),
                                    outputPadding: (outputPadding.1, outputPadding.2), dilation: (dilation.1, dilation.2),
                                    groups: groups)                                           // [N·D, O·kD, outH, outW]
            try GradusError.throwIfRecorded()   // before reading y's shape
            let (outH, outW) = (y.shape[2], y.shape[3])
            // Input depth i with tap t lands at output depth i·stride + t·dilation − padding (the adjoint of
            // conv3d's gather): taps before the output or past it are cropped, depths no tap reaches (the
            // output padding) are zeros.
            let taps = DepthWindows(batch: n, channels: o, depth: outD, plane: outH * outW, kernel: k.0, stride: stride.0,
                                    padding: padding.0, dilation: dilation.0, outDepth: d)
            var out = depthWindowsAdjoint(y.reshape([n * d, o * k.0, outH * outW]), taps, inputShape: [n, o, outD, outH * outW])
                .reshape([n, o, outD, outH, outW])
            if let bias { out = out + bias.reshape([o, 1, 1, 1]) }
            return out
        }
    }
}
