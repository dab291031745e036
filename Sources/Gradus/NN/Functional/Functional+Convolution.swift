// Convolutions. conv2d (and conv1d and conv3d through it), grouped or not, runs on ConvolutionKernels
// (oneDNN's kernels, or per-sample im2col and one product per sample and group) with its own backward
// operations; a transposed convolution is the input gradient of a convolution and runs on the same
// kernels, except with an output padding of at least the stride, which is composed of batched matrix
// products and `fold` (a differentiable scatter).

extension Functional {
    /// Throws a dtype error naming the three unless `input`, `weight` and `bias` (when given) share one
    /// floating-point dtype: the check of every convolution and transposed convolution.
    static func requireSharedFloatingDType(_ op: String, _ input: Tensor, _ weight: Tensor, _ bias: Tensor?) throws {
        try require(input.dtype == weight.dtype && input.dtype.isFloatingPoint && (bias == nil || bias!.dtype == input.dtype),
                    "\(op): input \(input.dtype), weight \(weight.dtype) and bias must share one floating-point dtype", .dtypeMismatch)
    }

    /// 2-D cross-correlation over a batch, like PyTorch's `F.conv2d`.
    ///
    /// - Parameters:
    ///   - input: `[N, C, H, W]`, or one unbatched sample `[C, H, W]` (as in PyTorch).
    ///   - weight: `[O, C / groups, kH, kW]`.
    ///   - bias: `[O]` or nil.
    ///   - stride: the step between windows (rows, columns).
    ///   - padding: zeros added on each side (rows, columns).
    ///   - dilation: the spacing between kernel elements.
    ///   - groups: the number of channel groups; `C` and `O` must be divisible by it.
    /// - Returns: `[N, O, outH, outW]` with outH = ⌊(H + 2·pad − dil·(kH − 1) − 1) / stride⌋ + 1.
    ///
    /// ```swift
    /// let y = Functional.conv2d(x, weight: w, bias: b, padding: (1, 1))
    /// ```
    public static func conv2d(_ input: Tensor, weight: Tensor, bias: Tensor? = nil, stride: (Int, Int) = (1, 1),
                              padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1), groups: Int = 1) -> Tensor {
        if let y = unbatched(input, batchedRank: 4, {
            conv2d($0, weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation, groups: groups)
        }) { return y }
        return checked {
            let op = "conv2d"
            try require(input.rank == 4 && weight.rank == 4,
                         "\(op): input must be [N, C, H, W] and weight [O, C/groups, kH, kW], got \(input.shape) and \(weight.shape)", .shapeMismatch)
            _ = try checkedPair(stride, "stride", op, min: 1)
            _ = try checkedPair(padding, "padding", op, min: 0)
            _ = try checkedPair(dilation, "dilation", op, min: 1)
            let (n, c, h, w) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
            let o = weight.shape[0], k = (weight.shape[2], weight.shape[3])
            try require(groups >= 1 && c % groups == 0 && o % groups == 0 && weight.shape[1] * groups == c,
                         "\(op): input \(input.shape) and weight \(weight.shape) do not match for \(groups) group(s)", .shapeMismatch)
            if let bias { try require(bias.shape == [o], "\(op): bias shape \(bias.shape) must be [\(o)]", .shapeMismatch) }
            let outH = windowOutput(h, kernel: k.0, stride: stride.0, padding: padding.0, dilation: dilation.0)
            let outW = windowOutput(w, kernel: k.1, stride: stride.1, padding: padding.1, dilation: dilation.1)
            try require(outH > 0 && outW > 0,
                         "\(op): kernel \(k) with dilation \(dilation) does not fit input \(input.shape) padded by \(padding)", .shapeMismatch)
            _ = try Tensor.elementCount([n, o, outH, outW], op: op)   // an output size that does not overflow
            try requireSharedFloatingDType(op, input, weight, bias)
            // oneDNN's kernels, or per-sample (and per-group) unfolding and products, channels first
            // (ConvolutionKernels), behind three recorded operations (Functional+ConvolutionOps).
            let geometry = ConvGeometry(batch: n, inChannels: c, height: h, width: w, outChannels: o,
                                        kernelH: k.0, kernelW: k.1, strideH: stride.0, strideW: stride.1,
                                        padH: padding.0, padW: padding.1, dilationH: dilation.0, dilationW: dilation.1,
                                        outH: outH, outW: outW, groups: groups)
            return try convolution(input, weight, bias, geometry)
        }
    }

    /// 2-D cross-correlation with padding given as ``ConvPadding``: a number of zeros, or `.same`
    /// (PyTorch's `padding='same'`, stride 1 only; an odd extent pads one more zero at the bottom or
    /// right).
    ///
    /// - Parameters:
    ///   - input: `[N, C, H, W]`, or one unbatched sample `[C, H, W]` (as in PyTorch).
    ///   - weight: `[O, C / groups, kH, kW]`.
    ///   - bias: `[O]` or nil.
    ///   - stride: the step between windows; must be 1 with `.same`.
    ///   - padding: the zeros around the input.
    ///   - dilation: the spacing between kernel elements.
    ///   - groups: the number of channel groups.
    /// - Returns: `[N, O, outH, outW]`; with `.same`, outH = H and outW = W.
    ///
    /// ```swift
    /// let y = Functional.conv2d(x, weight: w, padding: .same)
    /// ```
    public static func conv2d(_ input: Tensor, weight: Tensor, bias: Tensor? = nil, stride: (Int, Int) = (1, 1),
                              padding: ConvPadding, dilation: (Int, Int) = (1, 1), groups: Int = 1) -> Tensor {
        if let y = unbatched(input, batchedRank: 4, {
            conv2d($0, weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation, groups: groups)
        }) { return y }
        return checked {
            try padding.check("conv2d", stride: stride)
            try require(weight.rank == 4, "conv2d: weight must be [O, C/groups, kH, kW], got \(weight.shape)", .shapeMismatch)
            let rows = padding.amounts(dimension: 0, kernel: weight.shape[2], dilation: dilation.0)
            let columns = padding.amounts(dimension: 1, kernel: weight.shape[3], dilation: dilation.1)
            // The symmetric part goes to the kernels; an extra zero after (odd extent) is padded here.
            let extra = (rows.after - rows.before, columns.after - columns.before)
            let padded = extra == (0, 0) ? input : input.pad([0, extra.1, 0, extra.0])
            return conv2d(padded, weight: weight, bias: bias, stride: stride, padding: (rows.before, columns.before),
                          dilation: dilation, groups: groups)
        }
    }

    /// 1-D cross-correlation over a batch, like PyTorch's `F.conv1d` (computed as a 2-D convolution of
    /// height 1).
    ///
    /// - Parameters:
    ///   - input: `[N, C, L]`, or one unbatched sample `[C, L]` (as in PyTorch).
    ///   - weight: `[O, C / groups, k]`.
    ///   - bias: `[O]` or nil.
    ///   - stride: the step between windows.
    ///   - padding: zeros added at both ends.
    ///   - dilation: the spacing between a window's elements.
    ///   - groups: blocks of channels convolved separately (C and O divisible by it).
    /// - Returns: `[N, O, outL]`.
    ///
    /// ```swift
    /// let y = Functional.conv1d(signal, weight: w, bias: nil, padding: 1)
    /// ```
    public static func conv1d(_ input: Tensor, weight: Tensor, bias: Tensor? = nil, stride: Int = 1,
                              padding: Int = 0, dilation: Int = 1, groups: Int = 1) -> Tensor {
        if let y = unbatched(input, batchedRank: 3, {
            conv1d($0, weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation, groups: groups)
        }) { return y }
        return checked {
            try require(input.rank == 3 && weight.rank == 3,
                         "conv1d: input must be [N, C, L] and weight [O, C/groups, k], got \(input.shape) and \(weight.shape)", .shapeMismatch)
            let x = input.unsqueeze(2), wt = weight.unsqueeze(2)
            let y = conv2d(x, weight: wt, bias: bias, stride: (1, stride), padding: (0, padding),
                           dilation: (1, dilation), groups: groups)
            return y.squeeze(2)
        }
    }

    /// 1-D cross-correlation with padding given as ``ConvPadding``: a number of zeros, or `.same`
    /// (stride 1 only; an odd extent pads one more zero at the end).
    ///
    /// - Parameters:
    ///   - input: `[N, C, L]`, or one unbatched sample `[C, L]` (as in PyTorch).
    ///   - weight: `[O, C / groups, k]`.
    ///   - bias: `[O]` or nil.
    ///   - stride: the step between windows; must be 1 with `.same`.
    ///   - padding: the zeros around the input (one number).
    ///   - dilation: the spacing between kernel elements.
    ///   - groups: the number of channel groups.
    /// - Returns: `[N, O, outL]`; with `.same`, outL = L.
    ///
    /// ```swift
    /// let y = Functional.conv1d(signal, weight: w, padding: .same)
    /// ```
    public static func conv1d(_ input: Tensor, weight: Tensor, bias: Tensor? = nil, stride: Int = 1,
                              padding: ConvPadding, dilation: Int = 1, groups: Int = 1) -> Tensor {
        if let y = unbatched(input, batchedRank: 3, {
            conv1d($0, weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation, groups: groups)
        }) { return y }
        return checked {
            try padding.check("conv1d", stride: (1, stride), oneDimensional: true)
            let alongLength: ConvPadding
            switch padding {
            case .same: alongLength = .same
            case .zeros(let size): alongLength = .zeros(Size2(0, size.width))
            }
            try require(input.rank == 3 && weight.rank == 3,
                    "conv1d: input must be [N, C, L] and weight [O, C/groups, k], got \(input.shape) and \(weight.shape)", .shapeMismatch)
            let y = conv2d(input.unsqueeze(2), weight: weight.unsqueeze(2), bias: bias, stride: (1, stride),
                           padding: alongLength, dilation: (1, dilation), groups: groups)
            return y.squeeze(2)
        }
    }

    /// The transposed 2-D convolution (the adjoint of ``conv2d(_:weight:bias:stride:padding:dilation:groups:)-(_,_,_,_,(Int,Int),_,_)``
    /// with respect to its input, sometimes called deconvolution), like PyTorch's `F.conv_transpose2d`.
    ///
    /// - Parameters:
    ///   - input: `[N, C, H, W]`, or one unbatched sample `[C, H, W]` (as in PyTorch).
    ///   - weight: `[C, O / groups, kH, kW]`.
    ///   - bias: `[O]` or nil.
    ///   - stride: the step between input positions in the output (the forward convolution's stride).
    ///   - padding: rows/columns removed from each side of the output (the forward convolution's padding).
    ///   - outputPadding: extra rows/columns added on one side of the output (less than stride).
    ///   - dilation: the spacing between a window's elements.
    ///   - groups: blocks of channels convolved separately (C and O divisible by it).
    /// - Returns: `[N, O, outH, outW]` with outH = (H − 1)·stride − 2·pad + dil·(kH − 1) + outputPadding + 1.
    ///
    /// ```swift
    /// let up = Functional.convTranspose2d(x, weight: w, stride: (2, 2))
    /// ```
    public static func convTranspose2d(_ input: Tensor, weight: Tensor, bias: Tensor? = nil, stride: (Int, Int) = (1, 1),
                                       padding: (Int, Int) = (0, 0), outputPadding: (Int, Int) = (0, 0),
                                       dilation: (Int, Int) = (1, 1), groups: Int = 1) -> Tensor {
        if let y = unbatched(input, batchedRank: 4, {
            convTranspose2d($0, weight: weight, bias: bias, stride: stride, padding: padding, outputPadding: outputPadding,
                            dilation: dilation, groups: groups)
        }) { return y }
        return checked {
            let op = "convTranspose2d"
            try require(input.rank == 4 && weight.rank == 4,
                         "\(op): input must be [N, C, H, W] and weight [C, O/groups, kH, kW], got \(input.shape) and \(weight.shape)", .shapeMismatch)
            _ = try checkedPair(stride, "stride", op, min: 1)
            _ = try checkedPair(padding, "padding", op, min: 0)
            _ = try checkedPair(dilation, "dilation", op, min: 1)
            // As PyTorch: each output padding smaller than its stride or its dilation.
            try require(outputPadding.0 >= 0 && outputPadding.1 >= 0
                         && outputPadding.0 < Swift.max(stride.0, dilation.0) && outputPadding.1 < Swift.max(stride.1, dilation.1),
                         "\(op): outputPadding \(outputPadding) must be smaller than stride \(stride) or dilation \(dilation)")
            let (n, c, h, w) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
            try require(groups >= 1 && weight.shape[0] == c && c % groups == 0,
                         "\(op): input \(input.shape) and weight \(weight.shape) do not match for \(groups) group(s)", .shapeMismatch)
            let og = weight.shape[1], o = og * groups, k = (weight.shape[2], weight.shape[3])
            if let bias { try require(bias.shape == [o], "\(op): bias shape \(bias.shape) must be [\(o)]", .shapeMismatch) }
            // The output size in Double first: strides and dilations up to Int32.max on a large input
            // would overflow Int.
            func span(_ size: Int, _ s: Int, _ p: Int, _ d: Int, _ k: Int, _ extra: Int) -> Double {
                Double(size - 1) * Double(s) - 2 * Double(p) + Double(d) * Double(k - 1) + Double(extra) + 1
            }
            let spans = (span(h, stride.0, padding.0, dilation.0, k.0, outputPadding.0),
                         span(w, stride.1, padding.1, dilation.1, k.1, outputPadding.1))
            try require(spans.0 * spans.1 < Double(Tensor.maximumElementCount),
                        "\(op): output size \(spans.0)×\(spans.1) for input \(input.shape) is too large", .shapeMismatch)
            let outH = (h - 1) * stride.0 - 2 * padding.0 + dilation.0 * (k.0 - 1) + outputPadding.0 + 1
            let outW = (w - 1) * stride.1 - 2 * padding.1 + dilation.1 * (k.1 - 1) + outputPadding.1 + 1
            try require(outH > 0 && outW > 0, "\(op): output size \(outH)×\(outW) is not positive for input \(input.shape)", .shapeMismatch)
            _ = try Tensor.elementCount([n, o, outH, outW], op: op)
            try requireSharedFloatingDType(op, input, weight, bias)
            if input.count == 0 || weight.count == 0 {
                // An empty batch, no input channels (an empty sum: the bias everywhere) or no output channels.
                var out = try Tensor.checkedZeros([n, o, outH, outW], dtype: input.dtype, op: op)
                if let bias { out = out + bias.reshape([o, 1, 1]) }
                return connectedToEmpty(out, input, weight)
            }
            if outputPadding.0 < stride.0 && outputPadding.1 < stride.1 {
                // The input gradient of the convolution that maps [N, O, outH, outW] to [N, C, H, W] with
                // this weight (its output size is H and W exactly when each output padding is below the
                // stride): oneDNN's backward-data kernels, as PyTorch's CPU deconvolution, or unfolding,
                // with the convolution's recorded operations for its gradients.
                let geometry = ConvGeometry(batch: n, inChannels: o, height: outH, width: outW, outChannels: c,
                                            kernelH: k.0, kernelW: k.1, strideH: stride.0, strideW: stride.1,
                                            padH: padding.0, padW: padding.1, dilationH: dilation.0, dilationW: dilation.1,
                                            outH: h, outW: w, groups: groups)
                var out = try convolutionInputGradient(input, weight, geometry)
                if let bias { out = out + bias.reshape([o, 1, 1]) }
                return out
            }
            // An output padding of at least the stride: the transposed product of each window, scattered
            // back (fold).
            let l = h * w
            let rows = input.reshape([n, c, l]).permute([0, 2, 1])                      // [N, L, C]
            let cols: Tensor
            if groups == 1 {
                cols = try Tensor.matmulCore(rows, weight.reshape([c, -1]), transA: false, transB: false)   // [N, L, O·k]
            } else {
                let cg = c / groups, kg = og * k.0 * k.1
                let rowsG = rows.reshape([n * l, groups, cg]).permute([1, 0, 2])         // [G, N·L, cg]
                let y = try Tensor.matmulCore(rowsG, weight.reshape([groups, cg, kg]), transA: false, transB: false)  // [G, N·L, kg]
                cols = y.reshape([groups, n, l, kg]).permute([1, 2, 0, 3]).reshape([n, l, groups * kg])
            }
            // An output padding of at least the stride (allowed where the dilation is larger) reaches past
            // the windows' last start: fold the whole transposed convolution, then crop the padding on
            // top/left and crop or extend with zeros on the bottom/right to the output size.
            let whole = ((h - 1) * stride.0 + dilation.0 * (k.0 - 1) + 1, (w - 1) * stride.1 + dilation.1 * (k.1 - 1) + 1)
            var out = fold(cols, outputSize: whole, kernelSize: k, stride: stride, padding: (0, 0), dilation: dilation)
                .pad([-padding.1, outW - (whole.1 - padding.1), -padding.0, outH - (whole.0 - padding.0)])
            if let bias { out = out + bias.reshape([o, 1, 1]) }
            return out
        }
    }
}
