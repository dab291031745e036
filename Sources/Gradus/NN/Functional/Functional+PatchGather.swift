// The two primitives behind unfolding and average pooling: a per-sample gather of input elements by a
// table of flat indices (im2col) and its adjoint, the scatter-add back (col2im; also max pooling's
// backward when it is recorded for higher derivatives). Each is the other's backward rule, so gradients
// of any order come for free.

/// A table of flat element indices into one sample, `-1` standing for padding (reads as 0, receives
/// nothing). Either shared by every sample of the batch or given per sample.
struct PatchTable: @unchecked Sendable {
    /// Indices, `perSample ? batch × width : width` of them.
    let indices: [Int]
    /// The number of indices per sample.
    let width: Int
    /// Whether each sample has its own row of indices (`indices.count == batch × width`).
    let perSample: Bool
}

extension Functional {
    /// out[n, j] = x[n, table[j]] (0 where the index is −1): shape `[N] + outShape`.
    ///
    /// `input` has shape `[N, …]`; indices count within one sample (`input.count / N` elements).
    static func patchGather(_ input: Tensor, _ table: PatchTable, outShape: [Int]) throws -> Tensor {
        try input.requireFloat("patchGather")
        let n = input.shape[0]
        let plane = n == 0 ? 0 : input.count / n
        let width = table.width
        try require(outShape.reduce(1, *) == width, "patchGather: output shape \(outShape) does not hold \(width) values", .shapeMismatch)
        let out = try Tensor(checkedShape: [n] + outShape, dtype: input.dtype, op: "patchGather")
        func run<T: TensorFloat>(_: T.Type) {
            let src = input.pointer(T.self), dst = out.pointer(T.self)
            table.indices.withUnsafeBufferPointer { idx in
                let ip = UncheckedSendable(idx.baseAddress!)
                Threading.parallelFor(n, grain: Swift.max(1, (1 << 16) / Swift.max(width, 1))) { range in
                    for s in range {
                        let xs = src + s &* plane, ys = dst + s &* width
                        let row = table.perSample ? ip.value + s &* width : ip.value
                        for j in 0..<width {
                            let k = row[j]
                            ys[j] = k >= 0 ? xs[k] : 0
                        }
                    }
                }
            }
        }
        if n > 0 && width > 0 {
            if input.dtype == .float32 { run(Float.self) } else { run(Double.self) }
        }
        let inputShape = input.shape
        Tensor.record("patchGather", output: out, inputs: [input]) { g, _ in
            [try patchScatter(g, table, inputShape: inputShape)]
        }
        return out
    }

    /// The adjoint of ``patchGather(_:_:outShape:)``: a zero tensor of `inputShape` with
    /// x[n, table[j]] += source[n, j].
    static func patchScatter(_ source: Tensor, _ table: PatchTable, inputShape: [Int]) throws -> Tensor {
        try source.requireFloat("patchScatter")
        let n = inputShape[0]
        let width = table.width
        try require(source.shape[0] == n && source.count == n * width,
                     "patchScatter: source shape \(source.shape) does not hold \(n) × \(width) values", .shapeMismatch)
        let out = try Tensor.checkedZeros(inputShape, dtype: source.dtype, op: "patchScatter")
        let plane = n == 0 ? 0 : out.count / n
        func run<T: TensorFloat>(_: T.Type) {
            let src = source.pointer(T.self), dst = out.pointer(T.self)
            table.indices.withUnsafeBufferPointer { idx in
                let ip = UncheckedSendable(idx.baseAddress!)
                Threading.parallelFor(n, grain: Swift.max(1, (1 << 16) / Swift.max(width, 1))) { range in
                    for s in range {
                        let xs = dst + s &* plane, ys = src + s &* width
                        let row = table.perSample ? ip.value + s &* width : ip.value
                        for j in 0..<width {
                            let k = row[j]
                            if k >= 0 { xs[k] += ys[j] }
                        }
                    }
                }
            }
        }
        if n > 0 && width > 0 {
            if source.dtype == .float32 { run(Float.self) } else { run(Double.self) }
        }
        let sourceShape = Array(source.shape.dropFirst())
        Tensor.record("patchScatter", output: out, inputs: [source]) { g, _ in
            [try patchGather(g, table, outShape: sourceShape)]
        }
        return out
    }

    /// The im2col table of a 2-D sliding window over one sample `[C, H, W]`: for each output position
    /// (row-major over `[outH, outW]`), the `C·kH·kW` input indices of its window in the order
    /// (channel, kernel row, kernel column) — PyTorch's weight layout. Out-of-bounds (padding) is −1.
    ///
    /// The table's size comes from the caller's kernel, padding and dilation, not from the input's, so it
    /// is checked against the machine's memory before it is built (a huge padded kernel would otherwise
    /// stop the program in the allocator). With no sample to read (`samples == 0`) only its width is
    /// needed, and no table is built.
    static func windowTable(channels c: Int, height h: Int, width w: Int, kernel k: (Int, Int),
                            stride s: (Int, Int), padding p: (Int, Int), dilation d: (Int, Int),
                            outH: Int, outW: Int, samples: Int, op: String) throws -> PatchTable {
        let count = try Tensor.elementCount([outH, outW, c, k.0, k.1], op: op)
        if samples == 0 { return PatchTable(indices: [], width: count, perSample: false) }
        try require(count <= TensorStorage.physicalMemoryBytes / MemoryLayout<Int>.stride,
                    "\(op): the window table of \(count) indices (kernel \(k), padding \(p), dilation \(d) over [\(c), \(h), \(w)]) "
                    + "is more than this machine's memory (\(MemoryBudget.describe(TensorStorage.physicalMemoryBytes)))", .outOfMemory)
        var table = [Int](repeating: -1, count: count)
        table.withUnsafeMutableBufferPointer { t in
            var o = 0
            for oy in 0..<outH {
                for ox in 0..<outW {
                    for ch in 0..<c {
                        for ky in 0..<k.0 {
                            let iy = oy * s.0 - p.0 + ky * d.0
                            let rowOK = iy >= 0 && iy < h
                            for kx in 0..<k.1 {
                                let ix = ox * s.1 - p.1 + kx * d.1
                                if rowOK && ix >= 0 && ix < w { t[o] = (ch * h + iy) * w + ix }
                                o &+= 1
                            }
                        }
                    }
                }
            }
        }
        return PatchTable(indices: table, width: count, perSample: false)
    }

    /// The output size of a sliding window along one dimension; 0 when the window does not fit.
    /// In ceil mode (pooling) a last, partial window counts too, unless it would start in the right
    /// padding (PyTorch's rule) — so a window longer than the padded input still gives one output when
    /// it starts inside the input (PyTorch's `pooling_output_shape`).
    static func windowOutput(_ size: Int, kernel: Int, stride: Int, padding: Int, dilation: Int,
                             ceilMode: Bool = false) -> Int {
        let span = size + 2 * padding - dilation * (kernel - 1) - 1
        guard ceilMode else { return span < 0 ? 0 : span / stride + 1 }
        // PyTorch rounds (span + stride - 1) / stride toward -∞: a negative numerator leaves no window.
        if span + stride - 1 < 0 { return 0 }
        var count = (span + stride - 1) / stride + 1
        if (count - 1) * stride >= size + padding { count -= 1 }
        return count
    }

    /// Checks a sliding window's parameters as the convolutions do: kernel, stride and dilation at
    /// least 1, padding at least 0.
    static func checkWindow(_ kernel: (Int, Int), _ stride: (Int, Int), _ padding: (Int, Int),
                            _ dilation: (Int, Int), op: String) throws {
        _ = try checkedPair(kernel, "kernelSize", op, min: 1)
        _ = try checkedPair(stride, "stride", op, min: 1)
        _ = try checkedPair(padding, "padding", op, min: 0)
        _ = try checkedPair(dilation, "dilation", op, min: 1)
    }

    /// Unfolds sliding windows of a batch `[N, C, H, W]` into rows (im2col): shape
    /// `[N, outH·outW, C·kH·kW]`, each row one window in PyTorch's weight order. Differentiable
    /// (its backward is ``fold(_:outputSize:kernelSize:stride:padding:dilation:)``).
    ///
    /// ```swift
    /// let cols = Functional.unfold(x, kernelSize: (3, 3), padding: (1, 1))   // [N, H·W, C·9]
    /// ```
    public static func unfold(_ input: Tensor, kernelSize: (Int, Int), stride: (Int, Int) = (1, 1),
                              padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1)) -> Tensor {
        checked {
            try require(input.rank == 4, "unfold: input must be [N, C, H, W], got \(input.shape)", .shapeMismatch)
            try checkWindow(kernelSize, stride, padding, dilation, op: "unfold")
            let (c, h, w) = (input.shape[1], input.shape[2], input.shape[3])
            let outH = windowOutput(h, kernel: kernelSize.0, stride: stride.0, padding: padding.0, dilation: dilation.0)
            let outW = windowOutput(w, kernel: kernelSize.1, stride: stride.1, padding: padding.1, dilation: dilation.1)
            try require(outH > 0 && outW > 0,
                         "unfold: kernel \(kernelSize) with dilation \(dilation) does not fit input \(input.shape) padded by \(padding)", .shapeMismatch)
            _ = try Tensor.elementCount([input.shape[0], outH, outW, c, kernelSize.0, kernelSize.1], op: "unfold")   // no overflow
            let table = try windowTable(channels: c, height: h, width: w, kernel: kernelSize, stride: stride,
                                        padding: padding, dilation: dilation, outH: outH, outW: outW,
                                        samples: input.shape[0], op: "unfold")
            return try patchGather(input, table, outShape: [outH * outW, c * kernelSize.0 * kernelSize.1])
        }
    }

    /// Sums rows of windows back into a batch of images (col2im), the adjoint of
    /// ``unfold(_:kernelSize:stride:padding:dilation:)``: `columns` is `[N, L, C·kH·kW]` and the
    /// result `[N, C, outputSize.0, outputSize.1]`.
    ///
    /// ```swift
    /// let image = Functional.fold(cols, outputSize: (8, 8), kernelSize: (3, 3), padding: (1, 1))
    /// ```
    public static func fold(_ columns: Tensor, outputSize: (Int, Int), kernelSize: (Int, Int),
                            stride: (Int, Int) = (1, 1), padding: (Int, Int) = (0, 0),
                            dilation: (Int, Int) = (1, 1)) -> Tensor {
        checked {
            try require(columns.rank == 3, "fold: columns must be [N, L, C·kH·kW], got \(columns.shape)", .shapeMismatch)
            try checkWindow(kernelSize, stride, padding, dilation, op: "fold")
            _ = try checkedPair(outputSize, "outputSize", "fold", min: 1)
            let k = kernelSize.0 * kernelSize.1
            try require(k > 0 && columns.shape[2] % k == 0,
                         "fold: column width \(columns.shape[2]) is not a multiple of the kernel size \(kernelSize)", .shapeMismatch)
            let c = columns.shape[2] / k
            let (h, w) = outputSize
            let outH = windowOutput(h, kernel: kernelSize.0, stride: stride.0, padding: padding.0, dilation: dilation.0)
            let outW = windowOutput(w, kernel: kernelSize.1, stride: stride.1, padding: padding.1, dilation: dilation.1)
            let (windows, overflow) = outH.multipliedReportingOverflow(by: outW)
            try require(!overflow && windows == columns.shape[1],
                         "fold: \(columns.shape[1]) windows given, but output size \(outputSize) with kernel \(kernelSize), stride \(stride), padding \(padding), dilation \(dilation) has \(outH)×\(outW)", .shapeMismatch)
            _ = try Tensor.elementCount([columns.shape[0], c, h, w], op: "fold")   // no overflow
            let table = try windowTable(channels: c, height: h, width: w, kernel: kernelSize, stride: stride,
                                        padding: padding, dilation: dilation, outH: outH, outW: outW,
                                        samples: columns.shape[0], op: "fold")
            return try patchScatter(columns, table, inputShape: [columns.shape[0], c, h, w])
        }
    }
}
