import CGradusMath

// Pooling. Max pooling is one recorded operation (Functional+MaxPoolKernel.swift) that keeps each
// window's winner for its backward; average pooling averages the rows of `unfold`; adaptive average
// pooling multiplies by two small averaging matrices.

extension Functional {
    /// 2-D max pooling, like PyTorch's `F.max_pool2d`: the largest element of each window; padding
    /// never wins. A window with a NaN gives NaN. The gradient goes to the element each value came from:
    /// the first largest element of the window, or its last NaN (as PyTorch's CPU kernel chooses). A
    /// window that lies wholly in the padding (possible with dilation) gives −∞ and no gradient. Int64
    /// inputs are pooled exactly, as PyTorch pools them (no gradient; such a window gives Int64.min).
    ///
    /// - Parameters:
    ///   - input: `[N, C, H, W]`, or one unbatched sample `[C, H, W]` (as in PyTorch).
    ///   - kernelSize: the window (rows, columns).
    ///   - stride: the step between windows; `nil` means the kernel size.
    ///   - padding: implicit −∞ padding on each side, at most half the kernel.
    ///   - dilation: the spacing between window elements.
    ///   - ceilMode: whether a last, partial window at the bottom and right makes an output too (rounding
    ///     the output size up, as PyTorch's `ceil_mode`); by default it is dropped.
    /// - Returns: `[N, C, outH, outW]`.
    ///
    /// ```swift
    /// let y = Functional.maxPool2d(x, kernelSize: (2, 2))
    /// let z = Functional.maxPool2d(x, kernelSize: (3, 3), stride: (2, 2), ceilMode: true)   // 8x8 -> 4x4
    /// ```
    public static func maxPool2d(_ input: Tensor, kernelSize: (Int, Int), stride: (Int, Int)? = nil,
                                 padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1),
                                 ceilMode: Bool = false) -> Tensor {
        if let y = unbatched(input, batchedRank: 4, {
            maxPool2d($0, kernelSize: kernelSize, stride: stride, padding: padding, dilation: dilation, ceilMode: ceilMode)
        }) { return y }
        return checked {
            try maxPool2dCore(input, kernelSize: kernelSize, stride: stride, padding: padding, dilation: dilation,
                              ceilMode: ceilMode, indices: false).values
        }
    }

    /// ``maxPool2d(_:kernelSize:stride:padding:dilation:ceilMode:)`` that also returns where each value
    /// came from (PyTorch's `F.max_pool2d(..., return_indices=True)`): int64 flat indices within each
    /// input plane, `row · W + column`, of the output's shape — what ``maxUnpool2d(_:indices:kernelSize:stride:padding:outputSize:)``
    /// takes. A window lying wholly in the padding (possible with dilation) has index −1, where PyTorch
    /// gives one outside the plane; unpooling refuses both.
    ///
    /// ```swift
    /// let (pooled, at) = Functional.maxPool2dWithIndices(x, kernelSize: (2, 2))
    /// let restored = Functional.maxUnpool2d(pooled, indices: at, kernelSize: (2, 2))   // zeros but at the maxima
    /// ```
    public static func maxPool2dWithIndices(_ input: Tensor, kernelSize: (Int, Int), stride: (Int, Int)? = nil,
                                            padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1),
                                            ceilMode: Bool = false) -> (values: Tensor, indices: Tensor) {
        checked(or: (Tensor.placeholder(), Tensor.placeholder())) {
            if input.rank == 3 {
                let (v, i) = try maxPool2dCore(input.unsqueeze(0), kernelSize: kernelSize, stride: stride, padding: padding,
                                               dilation: dilation, ceilMode: ceilMode, indices: true)
                return (v.squeeze(0), i!.squeeze(0))
            }
            let (v, i) = try maxPool2dCore(input, kernelSize: kernelSize, stride: stride, padding: padding, dilation: dilation,
                                           ceilMode: ceilMode, indices: true)
            return (v, i!)
        }
    }

    static func maxPool2dCore(_ input: Tensor, kernelSize: (Int, Int), stride: (Int, Int)?, padding: (Int, Int),
                                      dilation: (Int, Int), ceilMode: Bool, indices: Bool) throws -> (values: Tensor, indices: Tensor?) {
        let op = "maxPool2d"
        try require(input.rank == 4, "\(op): input must be [N, C, H, W], got \(input.shape)", .shapeMismatch)
        let k = try checkedPair(kernelSize, "kernel size", op, min: 1)
        let s = try checkedPair(stride ?? kernelSize, "stride", op, min: 1)
        let d = try checkedPair(dilation, "dilation", op, min: 1)
        try require(padding.0 >= 0 && padding.1 >= 0 && padding.0 <= k.0 / 2 && padding.1 <= k.1 / 2,
                     "\(op): padding \(padding) must be between 0 and half the kernel size \(k)")
        let (h, w) = (input.shape[2], input.shape[3])
        let outH = windowOutput(h, kernel: k.0, stride: s.0, padding: padding.0, dilation: d.0, ceilMode: ceilMode)
        let outW = windowOutput(w, kernel: k.1, stride: s.1, padding: padding.1, dilation: d.1, ceilMode: ceilMode)
        try require(outH > 0 && outW > 0, "\(op): kernel \(k) does not fit input \(input.shape) padded by \(padding)", .shapeMismatch)
        _ = try Tensor.elementCount(Array(input.shape.prefix(2)) + [outH, outW, k.0, k.1], op: op)   // no overflow
        let window = gradus_pool_window(kernelH: k.0, kernelW: k.1, strideH: s.0, strideW: s.1,
                                        padH: padding.0, padW: padding.1, dilationH: d.0, dilationW: d.1,
                                        outH: outH, outW: outW)
        return try maxPoolKernel(input, window, indices: indices)
    }

    /// The inverse of max pooling where it can be inverted (PyTorch's `F.max_unpool2d`): each value is
    /// put back at the position its index names within its plane, zeros elsewhere. The gradient of each
    /// value is the output gradient at its position.
    ///
    /// - Parameters:
    ///   - input: `[N, C, H, W]` (or `[C, H, W]`), pooled values.
    ///   - indices: int64 of the input's shape, flat positions within each output plane, as
    ///     ``maxPool2dWithIndices(_:kernelSize:stride:padding:dilation:ceilMode:)`` gives them.
    ///   - kernelSize: the pooling window.
    ///   - stride: the pooling step; nil means the kernel size.
    ///   - padding: the pooling padding.
    ///   - outputSize: the output's height and width; by default `(H − 1)·stride − 2·padding + kernel`,
    ///     and otherwise strictly within one stride of that (the sizes a pooling could have come from).
    /// - Returns: `[N, C, outH, outW]`.
    ///
    /// ```swift
    /// let (pooled, at) = Functional.maxPool2dWithIndices(x, kernelSize: (2, 2))
    /// let y = Functional.maxUnpool2d(pooled, indices: at, kernelSize: (2, 2), outputSize: (x.shape[2], x.shape[3]))
    /// ```
    public static func maxUnpool2d(_ input: Tensor, indices: Tensor, kernelSize: (Int, Int), stride: (Int, Int)? = nil,
                                   padding: (Int, Int) = (0, 0), outputSize: (Int, Int)? = nil) -> Tensor {
        checked {
            let op = "maxUnpool2d"
            try require(indices.shape == input.shape, "\(op): indices \(indices.shape) must have the input's shape \(input.shape)",
                        .shapeMismatch)
            if input.rank == 3 {
                return maxUnpool2d(input.unsqueeze(0), indices: indices.unsqueeze(0), kernelSize: kernelSize, stride: stride,
                                   padding: padding, outputSize: outputSize).squeeze(0)
            }
            try require(input.rank == 4, "\(op): input must be [N, C, H, W] or [C, H, W], got \(input.shape)", .shapeMismatch)
            let k = try checkedPair(kernelSize, "kernel size", op, min: 1)
            let s = try checkedPair(stride ?? kernelSize, "stride", op, min: 1)
            let p = try checkedPair(padding, "padding", op, min: 0)
            return try maxUnpool(input, indices: indices, kernel: [k.0, k.1], stride: [s.0, s.1], padding: [p.0, p.1],
                                 outputSize: outputSize.map { [$0.0, $0.1] }, op: op, region: "plane")
        }
    }

    /// Max unpooling of `[N, C, spatial…]` with checked kernel, stride and padding per spatial axis
    /// (2-D and 3-D share it): the default output size `(x − 1)·s − 2p + k`, a given one strictly within
    /// one stride of it, indices checked to lie in the output `region` (plane, volume), then a scatter.
    static func maxUnpool(_ input: Tensor, indices: Tensor, kernel: [Int], stride: [Int], padding: [Int], outputSize: [Int]?,
                          op: String, region: String) throws -> Tensor {
        try require(indices.dtype == .int64, "\(op): indices must be int64, got \(indices.dtype)", .dtypeMismatch)
        let (n, c) = (input.shape[0], input.shape[1]), sizes = Array(input.shape.dropFirst(2))
        // (x − 1)·s − 2p + k, refused beyond any tensor's size (kernel, stride and padding are at most
        // Int32.max, so k − 2p cannot overflow; the product is checked), so that ± a stride below cannot overflow.
        var defaults = [Int]()
        for a in sizes.indices {
            let (product, o1) = (sizes[a] - 1).multipliedReportingOverflow(by: stride[a])
            let (size, o2) = product.addingReportingOverflow(kernel[a] - 2 * padding[a])
            try require(!o1 && !o2 && size <= 1 << 48, "\(op): the output size overflows", .invalidArgument)
            defaults.append(size)
        }
        func shown(_ v: [Int]) -> String { "(" + v.map(String.init).joined(separator: ", ") + ")" }
        if let given = outputSize {
            try require(given.count == sizes.count && given.indices.allSatisfy { given[$0] > defaults[$0] - stride[$0] && given[$0] < defaults[$0] + stride[$0] },
                        "\(op): output size \(shown(given)) must be within one stride \(shown(stride)) of \(shown(defaults)) (exclusive)",
                        .invalidArgument)
        }
        let size = outputSize ?? defaults
        try require(size.allSatisfy { $0 > 0 }, "\(op): the output size \(shown(size)) must be positive", .invalidArgument)
        let extent = try Tensor.elementCount(size, op: op)
        _ = try Tensor.elementCount([n, c] + size, op: op)
        // Read through the indices' own pointer (a view's contiguous copy lives as long as the view).
        let positions = UnsafeBufferPointer(start: indices.pointer(Int64.self), count: indices.count)
        let valid = positions.allSatisfy { $0 >= 0 && $0 < Int64(extent) }
        withExtendedLifetime(indices) {}
        try require(valid, "\(op): an index lies outside the \(size.map(String.init).joined(separator: "×")) output \(region) (PyTorch: invalid max index)",
                    .indexOutOfRange)
        let cells = sizes.reduce(1, *)
        let zeros = Tensor.zeros([n, c, extent], dtype: input.dtype)
        return zeros.scatter(axis: 2, index: indices.reshape([n, c, cells]), source: input.reshape([n, c, cells])).reshape([n, c] + size)
    }

    /// 2-D average pooling, like PyTorch's `F.avg_pool2d`.
    ///
    /// - Parameters:
    ///   - input: `[N, C, H, W]`, or one unbatched sample `[C, H, W]` (as in PyTorch).
    ///   - kernelSize: the window (rows, columns).
    ///   - stride: the step between windows; `nil` means the kernel size.
    ///   - padding: zero padding on each side, at most half the kernel.
    ///   - countIncludePad: whether padded zeros count in each window's divisor (PyTorch's default).
    ///   - ceilMode: whether a last, partial window at the bottom and right makes an output too (as
    ///     PyTorch's `ceil_mode`). Its part past the padding never counts in the divisor.
    /// - Returns: `[N, C, outH, outW]`.
    ///
    /// ```swift
    /// let y = Functional.avgPool2d(x, kernelSize: (2, 2))
    /// ```
    public static func avgPool2d(_ input: Tensor, kernelSize: (Int, Int), stride: (Int, Int)? = nil,
                                 padding: (Int, Int) = (0, 0), countIncludePad: Bool = true,
                                 ceilMode: Bool = false) -> Tensor {
        if let y = unbatched(input, batchedRank: 4, {
            avgPool2d($0, kernelSize: kernelSize, stride: stride, padding: padding, countIncludePad: countIncludePad, ceilMode: ceilMode)
        }) { return y }
        return checked {
            let op = "avgPool2d"
            try require(input.rank == 4, "\(op): input must be [N, C, H, W], got \(input.shape)", .shapeMismatch)
            let k = try checkedPair(kernelSize, "kernel size", op, min: 1)
            let s = try checkedPair(stride ?? kernelSize, "stride", op, min: 1)
            try require(padding.0 >= 0 && padding.1 >= 0 && padding.0 <= k.0 / 2 && padding.1 <= k.1 / 2,
                         "\(op): padding \(padding) must be between 0 and half the kernel size \(k)")
            let (n, c, h, w) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
            let outH = windowOutput(h, kernel: k.0, stride: s.0, padding: padding.0, dilation: 1, ceilMode: ceilMode)
            let outW = windowOutput(w, kernel: k.1, stride: s.1, padding: padding.1, dilation: 1, ceilMode: ceilMode)
            try require(outH > 0 && outW > 0, "\(op): kernel \(k) does not fit input \(input.shape) padded by \(padding)", .shapeMismatch)
            _ = try Tensor.elementCount(Array(input.shape.prefix(2)) + [outH, outW, k.0, k.1], op: op)   // no overflow
            if n * c == 0 {   // nothing to pool: no window table or divisors, whose sizes the empty input does not bound
                let empty = try Tensor.checkedZeros([n, c, outH, outW], dtype: input.dtype, op: op)
                return input.requiresGrad ? input.sum() * 0 + empty : empty
            }
            // Each window's elements as a row [N·C, L, kk]; positions outside the input read 0.
            let table = try windowTable(channels: 1, height: h, width: w, kernel: k, stride: s, padding: padding,
                                        dilation: (1, 1), outH: outH, outW: outW, samples: n * c, op: op)
            let cols = try patchGather(input.reshape([n * c, h * w]), table, outShape: [outH * outW, k.0 * k.1])
            // The divisor of each window: its extent clipped to the padded input (countIncludePad) or to
            // the input itself, as PyTorch counts.
            let rowLimit = countIncludePad ? h + padding.0 : h, columnLimit = countIncludePad ? w + padding.1 : w
            var counts = [Double](repeating: 0, count: outH * outW)
            var uniform = true
            for oy in 0..<outH {
                for ox in 0..<outW {
                    let top = oy * s.0 - padding.0, left = ox * s.1 - padding.1
                    let rows = Swift.min(top + k.0, rowLimit) - (countIncludePad ? top : Swift.max(top, 0))
                    let columns = Swift.min(left + k.1, columnLimit) - (countIncludePad ? left : Swift.max(left, 0))
                    counts[oy * outW + ox] = Double(rows * columns)
                    uniform = uniform && rows * columns == k.0 * k.1
                }
            }
            let pooled = uniform
                ? cols.mean(axes: [2])
                : cols.sum(axes: [2]) / Tensor(shape: [outH * outW], values: counts, dtype: input.dtype)
            return pooled.reshape([n, c, outH, outW])
        }
    }

    /// 2-D adaptive average pooling, like PyTorch's `F.adaptive_avg_pool2d`: output cell (i, j) averages
    /// input rows ⌊i·H/oh⌋ ..< ⌈(i+1)·H/oh⌉ and the columns likewise. Output `(1, 1)` is global average
    /// pooling.
    ///
    /// - Parameters:
    ///   - input: `[N, C, H, W]`, or one unbatched sample `[C, H, W]` (as in PyTorch).
    ///   - outputSize: `(oh, ow)`.
    /// - Returns: `[N, C, oh, ow]`.
    ///
    /// ```swift
    /// let features = Functional.adaptiveAvgPool2d(x, outputSize: (1, 1)).flatten(startAxis: 1)
    /// ```
    public static func adaptiveAvgPool2d(_ input: Tensor, outputSize: (Int, Int)) -> Tensor {
        if let y = unbatched(input, batchedRank: 4, { adaptiveAvgPool2d($0, outputSize: outputSize) }) { return y }
        return checked {
            let op = "adaptiveAvgPool2d"
            try require(input.rank == 4, "\(op): input must be [N, C, H, W], got \(input.shape)", .shapeMismatch)
            try input.requireFloat(op)   // as PyTorch ("not implemented for 'Long'"): integer averages would truncate
            let (oh, ow) = try checkedPair(outputSize, "output size", op, min: 1)
            let (h, w) = (input.shape[2], input.shape[3])
            try require(h > 0 && w > 0, "\(op): input \(input.shape) has an empty spatial dimension", .shapeMismatch)
            _ = try Tensor.elementCount([input.shape[0], input.shape[1], oh, ow], op: op)
            // The averaging matrices [oh, H] and [ow, W] are built in memory: at most 2^28 entries each.
            for (o, size) in [(oh, h), (ow, w)] {
                let (entries, overflow) = o.multipliedReportingOverflow(by: size)
                try require(!overflow && entries <= 1 << 28, "\(op): output size \(outputSize) for input \(input.shape) is too large",
                            .shapeMismatch)
            }
            if oh == 1 && ow == 1 { return input.mean(axes: [2, 3], keepDims: true) }
            // Separable: average rows with A [oh, H] and columns with B [ow, W]: out = A · x · Bᵀ.
            func averaging(_ out: Int, _ size: Int) -> Tensor {
                var m = [Double](repeating: 0, count: out * size)
                for i in 0..<out {
                    let start = (i * size) / out, end = ((i + 1) * size + out - 1) / out
                    for j in start..<end { m[i * size + j] = 1 / Double(end - start) }
                }
                return Tensor(shape: [out, size], values: m, dtype: input.dtype)
            }
            let cols = try Tensor.matmulCore(input, averaging(ow, w), transA: false, transB: true)       // [N, C, H, ow]
            let rows = try Tensor.matmulCore(cols.transpose(2, 3), averaging(oh, h), transA: false, transB: true)  // [N, C, ow, oh]
            return rows.transpose(2, 3)
        }
    }
}
