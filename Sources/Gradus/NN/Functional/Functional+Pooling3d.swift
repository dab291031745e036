// Pooling of volumes `[N, C, D, H, W]` (PyTorch's `F.max_pool3d`, `F.avg_pool3d`,
// `F.adaptive_avg_pool3d`, `F.adaptive_max_pool3d`). A box window is the product of three intervals,
// so each of these pools is separable: the 2-D pool over (H, W) of every depth slice, then the same
// pool over the depth. That runs on the 2-D kernels, already checked against PyTorch, and gives PyTorch's
// 3-D results exactly:
// - maximum: the first largest element in (d, h, w) order is the first depth whose slice maximum is
//   largest, at that slice's first largest position; the last NaN likewise. So values, gradients and
//   indices are PyTorch's, ties and NaN included.
// - average: PyTorch divides each window by the product of its three clipped extents (with or without
//   the padding), which is what averaging the per-axis averages divides by.

extension Functional {
    /// 3-D max pooling, like PyTorch's `F.max_pool3d`: the largest element of each window; padding never
    /// wins. A window with a NaN gives NaN; the gradient goes to the first largest element (in depth,
    /// row, column order) or the last NaN, as PyTorch's CPU kernel chooses.
    ///
    /// - Parameters:
    ///   - input: `[N, C, D, H, W]`, or one unbatched sample `[C, D, H, W]`.
    ///   - kernelSize: the window (depth, rows, columns).
    ///   - stride: the step between windows; `nil` means the kernel size.
    ///   - padding: implicit −∞ padding on each side, at most half the kernel.
    ///   - dilation: the spacing between window elements.
    ///   - ceilMode: whether a last, partial window makes an output too (PyTorch's `ceil_mode`).
    /// - Returns: `[N, C, outD, outH, outW]`.
    ///
    /// ```swift
    /// let y = Functional.maxPool3d(volumes, kernelSize: (2, 2, 2))   // halves depth, height and width
    /// ```
    public static func maxPool3d(_ input: Tensor, kernelSize: (Int, Int, Int), stride: (Int, Int, Int)? = nil,
                                 padding: (Int, Int, Int) = (0, 0, 0), dilation: (Int, Int, Int) = (1, 1, 1),
                                 ceilMode: Bool = false) -> Tensor {
        maxPool3dWithIndices(input, kernelSize: kernelSize, stride: stride, padding: padding, dilation: dilation,
                             ceilMode: ceilMode, indices: false).values
    }

    /// ``maxPool3d(_:kernelSize:stride:padding:dilation:ceilMode:)`` that also returns where each value
    /// came from (PyTorch's `F.max_pool3d(..., return_indices=True)`): int64 flat indices within each
    /// input volume, `(d · H + h) · W + w`, of the output's shape, as ``maxUnpool3d(_:indices:kernelSize:stride:padding:outputSize:)``
    /// takes them. A window lying wholly in the padding (possible with dilation) has index −1.
    ///
    /// ```swift
    /// let (pooled, at) = Functional.maxPool3dWithIndices(x, kernelSize: (2, 2, 2))
    /// ```
    public static func maxPool3dWithIndices(_ input: Tensor, kernelSize: (Int, Int, Int), stride: (Int, Int, Int)? = nil,
                                            padding: (Int, Int, Int) = (0, 0, 0), dilation: (Int, Int, Int) = (1, 1, 1),
                                            ceilMode: Bool = false) -> (values: Tensor, indices: Tensor) {
        let (values, indices) = maxPool3dWithIndices(input, kernelSize: kernelSize, stride: stride, padding: padding,
                                                     dilation: dilation, ceilMode: ceilMode, indices: true)
        return (values, indices ?? Tensor.placeholder())
    }

    private static func maxPool3dWithIndices(_ input: Tensor, kernelSize: (Int, Int, Int), stride: (Int, Int, Int)?,
                                             padding: (Int, Int, Int), dilation: (Int, Int, Int), ceilMode: Bool,
                                             indices: Bool) -> (values: Tensor, indices: Tensor?) {
        checked(or: (Tensor.placeholder(), nil)) {
            if input.rank == 4 {
                let (v, i) = maxPool3dWithIndices(input.unsqueeze(0), kernelSize: kernelSize, stride: stride, padding: padding,
                                                  dilation: dilation, ceilMode: ceilMode, indices: indices)
                return (v.squeeze(0), i?.squeeze(0))
            }
            let op = "maxPool3d"
            let (k, s) = try checkedPoolWindow(input, kernelSize, stride, padding, op: op)
            let d = try checkedTriple(dilation, "dilation", op, min: 1)
            let (n, c, depth, h, w) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3], input.shape[4])
            let out = (windowOutput(depth, kernel: k.0, stride: s.0, padding: padding.0, dilation: d.0, ceilMode: ceilMode),
                       windowOutput(h, kernel: k.1, stride: s.1, padding: padding.1, dilation: d.1, ceilMode: ceilMode),
                       windowOutput(w, kernel: k.2, stride: s.2, padding: padding.2, dilation: d.2, ceilMode: ceilMode))
            try require(out.0 > 0 && out.1 > 0 && out.2 > 0,
                        "\(op): kernel \(k) with dilation \(d) does not fit input \(input.shape) padded by \(padding)", .shapeMismatch)
            // Each slice's (H, W) pool, then the pool of those along the depth.
            let planes = input.reshape([n, c * depth, h, w])
            let cells = out.1 * out.2
            if !indices {
                let slices = maxPool2d(planes, kernelSize: (k.1, k.2), stride: (s.1, s.2), padding: (padding.1, padding.2),
                                       dilation: (d.1, d.2), ceilMode: ceilMode)
                let pooled = maxPool2d(slices.reshape([n, c, depth, cells]), kernelSize: (k.0, 1), stride: (s.0, 1),
                                       padding: (padding.0, 0), dilation: (d.0, 1), ceilMode: ceilMode)
                return (pooled.reshape([n, c, out.0, out.1, out.2]), nil)
            }
            let (slices, inSlice) = maxPool2dWithIndices(planes, kernelSize: (k.1, k.2), stride: (s.1, s.2),
                                                         padding: (padding.1, padding.2), dilation: (d.1, d.2), ceilMode: ceilMode)
            let (pooled, alongDepth) = maxPool2dWithIndices(slices.reshape([n, c, depth, cells]), kernelSize: (k.0, 1),
                                                            stride: (s.0, 1), padding: (padding.0, 0), dilation: (d.0, 1),
                                                            ceilMode: ceilMode)
            // alongDepth holds depth · cells + cell; the winning slice's own index gives the row and column.
            let planeIndex = inSlice.intScalars, depthIndex = alongDepth.intScalars
            var flat = [Int](repeating: -1, count: depthIndex.count)
            for (at, index) in depthIndex.enumerated() where index >= 0 {
                let volume = at / (out.0 * cells), cell = at % cells, slice = Int(index) / cells
                let inPlane = planeIndex[(volume * depth + slice) * cells + cell]
                if inPlane >= 0 { flat[at] = slice * h * w + Int(inPlane) }
            }
            return (pooled.reshape([n, c, out.0, out.1, out.2]), Tensor(shape: [n, c, out.0, out.1, out.2], integers: flat))
        }
    }

    /// Checks a 3-D pool's input rank, kernel, stride and padding (at most half the kernel, as PyTorch)
    /// and returns the kernel and the stride (the kernel when nil).
    private static func checkedPoolWindow(_ input: Tensor, _ kernelSize: (Int, Int, Int), _ stride: (Int, Int, Int)?,
                                          _ padding: (Int, Int, Int), op: String) throws -> ((Int, Int, Int), (Int, Int, Int)) {
        try require(input.rank == 5, "\(op): input must be [N, C, D, H, W] or [C, D, H, W], got \(input.shape)", .shapeMismatch)
        // As PyTorch's pool3d shape check: only the batch may be empty.
        try require(input.shape.dropFirst().allSatisfy { $0 > 0 },
                    "\(op): input \(input.shape) has an empty non-batch dimension", .shapeMismatch)
        let k = try checkedTriple(kernelSize, "kernel size", op, min: 1)
        let s = try checkedTriple(stride ?? kernelSize, "stride", op, min: 1)
        try require(padding.0 >= 0 && padding.1 >= 0 && padding.2 >= 0 && padding.0 <= k.0 / 2 && padding.1 <= k.1 / 2 && padding.2 <= k.2 / 2,
                    "\(op): padding \(padding) must be between 0 and half the kernel size \(k)")
        return (k, s)
    }

    /// The inverse of 3-D max pooling where it can be inverted (PyTorch's `F.max_unpool3d`): each value
    /// is put back at the position its index names within its volume, zeros elsewhere.
    ///
    /// - Parameters:
    ///   - input: `[N, C, D, H, W]` (or `[C, D, H, W]`), pooled values.
    ///   - indices: int64 of the input's shape, flat positions within each output volume, as
    ///     ``maxPool3dWithIndices(_:kernelSize:stride:padding:dilation:ceilMode:)`` gives them.
    ///   - kernelSize: the pooling window.
    ///   - stride: the pooling step; nil means the kernel size.
    ///   - padding: the pooling padding.
    ///   - outputSize: the output's depth, height and width; by default `(D − 1)·stride − 2·padding + kernel`
    ///     along each, and otherwise strictly within one stride of that.
    /// - Returns: `[N, C, outD, outH, outW]`.
    ///
    /// ```swift
    /// let (pooled, at) = Functional.maxPool3dWithIndices(x, kernelSize: (2, 2, 2))
    /// let restored = Functional.maxUnpool3d(pooled, indices: at, kernelSize: (2, 2, 2))
    /// ```
    public static func maxUnpool3d(_ input: Tensor, indices: Tensor, kernelSize: (Int, Int, Int), stride: (Int, Int, Int)? = nil,
                                   padding: (Int, Int, Int) = (0, 0, 0), outputSize: (Int, Int, Int)? = nil) -> Tensor {
        checked {
            let op = "maxUnpool3d"
            try require(indices.shape == input.shape, "\(op): indices \(indices.shape) must have the input's shape \(input.shape)",
                        .shapeMismatch)
            if input.rank == 4 {
                return maxUnpool3d(input.unsqueeze(0), indices: indices.unsqueeze(0), kernelSize: kernelSize, stride: stride,
                                   padding: padding, outputSize: outputSize).squeeze(0)
            }
            try require(input.rank == 5, "\(op): input must be [N, C, D, H, W] or [C, D, H, W], got \(input.shape)", .shapeMismatch)
            let k = try checkedTriple(kernelSize, "kernel size", op, min: 1)
            let s = try checkedTriple(stride ?? kernelSize, "stride", op, min: 1)
            let p = try checkedTriple(padding, "padding", op, min: 0)
            return try maxUnpool(input, indices: indices, kernel: [k.0, k.1, k.2], stride: [s.0, s.1, s.2], padding: [p.0, p.1, p.2],
                                 outputSize: outputSize.map { [$0.0, $0.1, $0.2] }, op: op, region: "volume")
        }
    }

    /// 3-D average pooling, like PyTorch's `F.avg_pool3d`: each window's sum divided by its size, the
    /// part past the padding (ceil mode) never counted, and the padding counted only with `countIncludePad`.
    ///
    /// - Parameters:
    ///   - input: `[N, C, D, H, W]`, or one unbatched sample `[C, D, H, W]`.
    ///   - kernelSize: the window (depth, rows, columns).
    ///   - stride: the step between windows; `nil` means the kernel size.
    ///   - padding: zero padding on each side, at most half the kernel.
    ///   - countIncludePad: whether padded zeros count in each window's divisor (PyTorch's default).
    ///   - ceilMode: whether a last, partial window makes an output too.
    /// - Returns: `[N, C, outD, outH, outW]`.
    ///
    /// ```swift
    /// let y = Functional.avgPool3d(volumes, kernelSize: (2, 2, 2))
    /// ```
    public static func avgPool3d(_ input: Tensor, kernelSize: (Int, Int, Int), stride: (Int, Int, Int)? = nil,
                                 padding: (Int, Int, Int) = (0, 0, 0), countIncludePad: Bool = true,
                                 ceilMode: Bool = false) -> Tensor {
        if let y = unbatched(input, batchedRank: 5, {
            avgPool3d($0, kernelSize: kernelSize, stride: stride, padding: padding, countIncludePad: countIncludePad, ceilMode: ceilMode)
        }) { return y }
        return checked {
            let op = "avgPool3d"
            let (k, s) = try checkedPoolWindow(input, kernelSize, stride, padding, op: op)
            let (n, c, depth, h, w) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3], input.shape[4])
            let out = (windowOutput(depth, kernel: k.0, stride: s.0, padding: padding.0, dilation: 1, ceilMode: ceilMode),
                       windowOutput(h, kernel: k.1, stride: s.1, padding: padding.1, dilation: 1, ceilMode: ceilMode),
                       windowOutput(w, kernel: k.2, stride: s.2, padding: padding.2, dilation: 1, ceilMode: ceilMode))
            try require(out.0 > 0 && out.1 > 0 && out.2 > 0,
                        "\(op): kernel \(k) does not fit input \(input.shape) padded by \(padding)", .shapeMismatch)
            let slices = avgPool2d(input.reshape([n, c * depth, h, w]), kernelSize: (k.1, k.2), stride: (s.1, s.2),
                                   padding: (padding.1, padding.2), countIncludePad: countIncludePad, ceilMode: ceilMode)
            let pooled = avgPool2d(slices.reshape([n, c, depth, out.1 * out.2]), kernelSize: (k.0, 1), stride: (s.0, 1),
                                   padding: (padding.0, 0), countIncludePad: countIncludePad, ceilMode: ceilMode)
            return pooled.reshape([n, c, out.0, out.1, out.2])
        }
    }

    /// 3-D adaptive average pooling, like PyTorch's `F.adaptive_avg_pool3d`: output cell (i, j, l)
    /// averages input depths ⌊i·D/od⌋ ..< ⌈(i+1)·D/od⌉, and the rows and columns likewise. Output
    /// `(1, 1, 1)` is global average pooling.
    ///
    /// - Parameters:
    ///   - input: `[N, C, D, H, W]`, or one unbatched sample `[C, D, H, W]`.
    ///   - outputSize: `(od, oh, ow)`.
    /// - Returns: `[N, C, od, oh, ow]`.
    ///
    /// ```swift
    /// let features = Functional.adaptiveAvgPool3d(x, outputSize: (1, 1, 1)).flatten(startAxis: 1)
    /// ```
    public static func adaptiveAvgPool3d(_ input: Tensor, outputSize: (Int, Int, Int)) -> Tensor {
        adaptivePool3d(input, outputSize: outputSize, op: "adaptiveAvgPool3d", planes: { adaptiveAvgPool2d($0, outputSize: $1) },
                       depth: { adaptiveAvgPool1d($0, outputSize: $1) })
    }

    /// 3-D adaptive max pooling, like PyTorch's `F.adaptive_max_pool3d`: output cell (i, j, l) is the
    /// maximum of input depths ⌊i·D/od⌋ ..< ⌈(i+1)·D/od⌉ and the rows and columns likewise; the first
    /// largest element (in depth, row, column order) wins, or the last NaN.
    ///
    /// - Parameters:
    ///   - input: `[N, C, D, H, W]`, or one unbatched sample `[C, D, H, W]`.
    ///   - outputSize: `(od, oh, ow)`.
    /// - Returns: `[N, C, od, oh, ow]`.
    ///
    /// ```swift
    /// let strongest = Functional.adaptiveMaxPool3d(x, outputSize: (1, 2, 2))
    /// ```
    public static func adaptiveMaxPool3d(_ input: Tensor, outputSize: (Int, Int, Int)) -> Tensor {
        adaptivePool3d(input, outputSize: outputSize, op: "adaptiveMaxPool3d", planes: { adaptiveMaxPool2d($0, outputSize: $1) },
                       depth: { adaptiveMaxPool1d($0, outputSize: $1) })
    }

    /// An adaptive pool of volumes from its 2-D form (each slice's rows and columns) and its 1-D form
    /// (the depth, moved last).
    private static func adaptivePool3d(_ input: Tensor, outputSize: (Int, Int, Int), op: String,
                                       planes: (Tensor, (Int, Int)) -> Tensor, depth: (Tensor, Int) -> Tensor) -> Tensor {
        if let y = unbatched(input, batchedRank: 5, {
            adaptivePool3d($0, outputSize: outputSize, op: op, planes: planes, depth: depth)
        }) { return y }
        return checked {
            try require(input.rank == 5, "\(op): input must be [N, C, D, H, W] or [C, D, H, W], got \(input.shape)", .shapeMismatch)
            let o = try checkedTriple(outputSize, "output size", op, min: 1)
            let (n, c, d, h, w) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3], input.shape[4])
            try require(d > 0 && h > 0 && w > 0, "\(op): input \(input.shape) has an empty spatial dimension", .shapeMismatch)
            _ = try Tensor.elementCount([n, c, o.0, o.1, o.2], op: op)
            _ = try Tensor.elementCount([n, c, d, o.1, o.2], op: op)
            let cells = o.1 * o.2
            let slices = planes(input.reshape([n, c * d, h, w]), (o.1, o.2))                    // [N, C·D, oh, ow]
            let depthLast = slices.reshape([n * c, d, cells]).transpose(1, 2)                    // [N·C, oh·ow, D]
            let pooled = depth(depthLast, o.0)                                                   // [N·C, oh·ow, od]
            return pooled.transpose(1, 2).reshape([n, c, o.0, o.1, o.2])
        }
    }
}
