import Gradus

// Pooling with PyTorch's window rules written out explicitly, so that no runtime's reading of
// `ceil_mode` or `count_include_pad` can differ: the output sizes are Gradus's, ceil mode becomes
// extra padding at the end, and average pooling divides by exactly the counts Gradus divides by.

extension MaxPool2d: ONNXExportable {
    /// Writes `MaxPool`; ceil mode is written as extra end padding (which `MaxPool` never picks).
    public func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String {
        try ONNXPooling.maxPool(input, kernel: kernelSize, stride: stride, padding: padding, dilation: dilation,
                                ceilMode: ceilMode, graph: graph, op: "MaxPool2d")
    }
}

extension AvgPool2d: ONNXExportable {
    /// Writes `AveragePool` over the input padded with zeros (`Pad`), then, where a window's divisor is
    /// not the kernel's size (windows over the padding with `countIncludePad: false`, ceil-mode windows
    /// past the end), a `Mul` by kernel size / divisor.
    public func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String {
        try ONNXPooling.averagePool(input, kernel: kernelSize, stride: stride, padding: padding, countIncludePad: countIncludePad,
                                    ceilMode: ceilMode, graph: graph, op: "AvgPool2d")
    }
}

extension AdaptiveAvgPool2d: ONNXExportable {
    /// Writes `GlobalAveragePool` for a 1×1 output; otherwise Gradus's separable form `A · x · Bᵀ` with
    /// the averaging matrices as constants (two `MatMul`s).
    public func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String {
        guard input.rank == 4, !input.isDynamic(2), !input.isDynamic(3) else {
            throw graph.unsupported("AdaptiveAvgPool2d needs [N, C, H, W] inputs with fixed H and W, got \(input.shape)")
        }
        let (oh, ow) = (outputSize.height, outputSize.width)
        // Each averaging matrix holds out × in values: at most 2^24, with both sizes positive.
        guard oh >= 1, ow >= 1, oh <= (1 << 24) / Swift.max(input.shape[2], 1), ow <= (1 << 24) / Swift.max(input.shape[3], 1) else {
            throw graph.unsupported("AdaptiveAvgPool2d: output size \(outputSize) must be positive, and the exporter writes averaging matrices of at most 2^24 values (output × input size, input \(input.shape))")
        }
        if oh == 1 && ow == 1 { return graph.node("GlobalAveragePool", [input.name]) }
        func averaging(_ out: Int, _ size: Int) -> Tensor {
            var m = [Double](repeating: 0, count: out * size)
            for i in 0..<out {
                let start = (i * size) / out, end = ((i + 1) * size + out - 1) / out
                for j in start..<end { m[i * size + j] = 1 / Double(end - start) }
            }
            return Tensor(shape: [out, size], values: m)
        }
        let rows = try graph.constant(averaging(oh, input.shape[2]), name: "row_average")
        let columns = try graph.constant(averaging(ow, input.shape[3]).transpose(0, 1).contiguous(), name: "column_average")
        return graph.node("MatMul", [graph.node("MatMul", [rows, input.name]), columns])
    }
}

/// The window arithmetic the pooling layers share.
enum ONNXPooling {
    struct Windows {
        var outHeight: Int, outWidth: Int
        /// Padding added at the end so that floor-mode windows give ceil mode's output size.
        var extraHeight: Int, extraWidth: Int
    }

    /// `MaxPool` of `[N, C, H, W]` with PyTorch's window rules (ceil mode as extra end padding).
    static func maxPool(_ input: ONNXValue, kernel: Size2, stride: Size2, padding: Size2, dilation: Size2, ceilMode: Bool,
                        graph: ONNXGraphBuilder, op: String) throws -> String {
        let windows = try windows(input, kernel: kernel, stride: stride, padding: padding, dilation: dilation,
                                              ceilMode: ceilMode, graph: graph, op: op)
        return graph.node("MaxPool", [input.name], attributes: [
            .ints("kernel_shape", [kernel.height, kernel.width]), .ints("strides", [stride.height, stride.width]),
            .ints("pads", [padding.height, padding.width, padding.height + windows.extraHeight, padding.width + windows.extraWidth]),
            .ints("dilations", [dilation.height, dilation.width]),
        ])
    }

    /// `AveragePool` of `[N, C, H, W]` over the zero-padded input, corrected to Gradus's divisors.
    static func averagePool(_ input: ONNXValue, kernel: Size2, stride: Size2, padding: Size2, countIncludePad: Bool,
                            ceilMode: Bool, graph: ONNXGraphBuilder, op: String) throws -> String {
        let w = try windows(input, kernel: kernel, stride: stride, padding: padding, dilation: 1,
                                        ceilMode: ceilMode, graph: graph, op: op)
        let (h, wd) = (input.shape[2], input.shape[3])
        let (k, s, p) = (kernel, stride, padding)
        var x = input.name
        if p.height > 0 || p.width > 0 || w.extraHeight > 0 || w.extraWidth > 0 {
            let pads = [0, 0, p.height, p.width, 0, 0, p.height + w.extraHeight, p.width + w.extraWidth]
            x = graph.node("Pad", [x, graph.constant(ints: pads)], attributes: [.string("mode", "constant")])
        }
        let pooled = graph.node("AveragePool", [x], attributes: [
            .ints("kernel_shape", [k.height, k.width]), .ints("strides", [s.height, s.width]),
        ])
        // Gradus's divisor per window: its extent clipped to the padded input (countIncludePad) or to the input.
        let rowLimit = countIncludePad ? h + p.height : h, columnLimit = countIncludePad ? wd + p.width : wd
        var factors: [Double] = []
        for oy in 0..<w.outHeight {
            for ox in 0..<w.outWidth {
                let top = oy * s.height - p.height, left = ox * s.width - p.width
                let rows = Swift.min(top + k.height, rowLimit) - (countIncludePad ? top : Swift.max(top, 0))
                let columns = Swift.min(left + k.width, columnLimit) - (countIncludePad ? left : Swift.max(left, 0))
                factors.append(Double(k.height * k.width) / Double(rows * columns))
            }
        }
        guard factors.contains(where: { $0 != 1 }) else { return pooled }
        let correction = try graph.constant(Tensor(shape: [w.outHeight, w.outWidth], values: factors), name: "divisor_correction")
        return graph.node("Mul", [pooled, correction])
    }

    static func windows(_ input: ONNXValue, kernel: Size2, stride: Size2, padding: Size2, dilation: Size2, ceilMode: Bool,
                        graph: ONNXGraphBuilder, op: String) throws -> Windows {
        guard input.rank == 4 else { throw graph.unsupported("\(op) needs [N, C, H, W] inputs, got \(input.shape)") }
        guard !input.isDynamic(2), !input.isDynamic(3) else {
            throw graph.unsupported("\(op) needs fixed H and W to write its windows; \(input.shape) has a dynamic one")
        }
        // The layer's own call checks these too, but the graph is written before the sample runs.
        for (name, pair, least) in [("kernel", kernel, 1), ("stride", stride, 1), ("dilation", dilation, 1), ("padding", padding, 0)]
        where !(least...Int(Int32.max)).contains(pair.height) || !(least...Int(Int32.max)).contains(pair.width) {
            throw graph.unsupported("\(op): \(name) \(pair) must lie in \(least)...\(Int32.max)")
        }
        func axis(_ size: Int, _ k: Int, _ s: Int, _ p: Int, _ d: Int) -> (Int, Int) {
            let span = size + 2 * p - d * (k - 1) - 1
            guard span >= 0 else { return (0, 0) }
            var count = ceilMode ? (span + s - 1) / s + 1 : span / s + 1
            if ceilMode && (count - 1) * s >= size + p { count -= 1 }
            let needed = (count - 1) * s + d * (k - 1) + 1 - (size + 2 * p)
            return (count, Swift.max(0, needed))
        }
        let (oh, eh) = axis(input.shape[2], kernel.height, stride.height, padding.height, dilation.height)
        let (ow, ew) = axis(input.shape[3], kernel.width, stride.width, padding.width, dilation.width)
        guard oh > 0 && ow > 0 else {
            throw graph.unsupported("\(op): the kernel does not fit the input \(input.shape)")
        }
        return Windows(outHeight: oh, outWidth: ow, extraHeight: eh, extraWidth: ew)
    }
}
