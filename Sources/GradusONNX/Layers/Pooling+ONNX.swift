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
        try ONNXPooling.batched(input, spatialAxes: 2, graph: graph) { try exportBatch($0, to: graph) }
    }

    private func exportBatch(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String {
        guard input.rank == 4, !input.isDynamic(2), !input.isDynamic(3) else {
            throw graph.unsupported("AdaptiveAvgPool2d needs [N, C, H, W] (or [C, H, W]) inputs with fixed H and W, got \(input.shape)")
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

/// The window arithmetic the pooling layers share, for any number of spatial axes (1-D pools run as
/// images of height 1, 3-D pools on volumes).
enum ONNXPooling {
    struct Windows {
        /// The output size along each spatial axis.
        var out: [Int]
        /// Padding added at the end of each axis so that floor-mode windows give ceil mode's output size.
        var extra: [Int]
    }

    /// `MaxPool` of `[N, C, H, W]` with PyTorch's window rules (ceil mode as extra end padding).
    static func maxPool(_ input: ONNXValue, kernel: Size2, stride: Size2, padding: Size2, dilation: Size2, ceilMode: Bool,
                        graph: ONNXGraphBuilder, op: String) throws -> String {
        try maxPool(input, kernel: [kernel.height, kernel.width], stride: [stride.height, stride.width],
                    padding: [padding.height, padding.width], dilation: [dilation.height, dilation.width], ceilMode: ceilMode,
                    graph: graph, op: op)
    }

    /// `body` on `input`, or, for one unbatched sample (`[C, spatial…]`, one axis fewer than a batch),
    /// on the sample given a batch axis (`Unsqueeze`), which is removed from the result (`Squeeze`).
    static func batched(_ input: ONNXValue, spatialAxes: Int, graph: ONNXGraphBuilder,
                        _ body: (ONNXValue) throws -> String) throws -> String {
        guard input.rank == spatialAxes + 1 else { return try body(input) }
        let batch = ONNXValue(name: graph.unsqueeze(input.name, axes: [0]), sample: input.sample.unsqueeze(0),
                              alternate: input.alternate?.unsqueeze(0))
        return graph.squeeze(try body(batch), axes: [0])
    }

    /// `MaxPool` over the last `kernel.count` axes with PyTorch's window rules (ceil mode as extra end
    /// padding, which `MaxPool` never picks); one unbatched sample is pooled as a batch of one.
    static func maxPool(_ input: ONNXValue, kernel: [Int], stride: [Int], padding: [Int], dilation: [Int], ceilMode: Bool,
                        graph: ONNXGraphBuilder, op: String) throws -> String {
        try batched(input, spatialAxes: kernel.count, graph: graph) { input in
            try batchedMaxPool(input, kernel: kernel, stride: stride, padding: padding, dilation: dilation, ceilMode: ceilMode,
                               graph: graph, op: op)
        }
    }

    private static func batchedMaxPool(_ input: ONNXValue, kernel: [Int], stride: [Int], padding: [Int], dilation: [Int],
                                       ceilMode: Bool, graph: ONNXGraphBuilder, op: String) throws -> String {
        let windows = try windows(input, kernel: kernel, stride: stride, padding: padding, dilation: dilation,
                                  ceilMode: ceilMode, graph: graph, op: op)
        return graph.node("MaxPool", [input.name], attributes: [
            .ints("kernel_shape", kernel), .ints("strides", stride),
            .ints("pads", padding + zip(padding, windows.extra).map { $0 + $1 }), .ints("dilations", dilation),
        ])
    }

    /// `AveragePool` of `[N, C, H, W]` over the zero-padded input, corrected to Gradus's divisors.
    static func averagePool(_ input: ONNXValue, kernel: Size2, stride: Size2, padding: Size2, countIncludePad: Bool,
                            ceilMode: Bool, graph: ONNXGraphBuilder, op: String) throws -> String {
        try averagePool(input, kernel: [kernel.height, kernel.width], stride: [stride.height, stride.width],
                        padding: [padding.height, padding.width], countIncludePad: countIncludePad, ceilMode: ceilMode,
                        graph: graph, op: op)
    }

    /// `AveragePool` over the last `kernel.count` axes of the zero-padded input, then a `Mul` by kernel
    /// size / divisor where Gradus's divisor differs from the kernel's size; one unbatched sample is
    /// pooled as a batch of one.
    static func averagePool(_ input: ONNXValue, kernel k: [Int], stride s: [Int], padding p: [Int], countIncludePad: Bool,
                            ceilMode: Bool, graph: ONNXGraphBuilder, op: String) throws -> String {
        try batched(input, spatialAxes: k.count, graph: graph) { input in
            try batchedAveragePool(input, kernel: k, stride: s, padding: p, countIncludePad: countIncludePad, ceilMode: ceilMode,
                                   graph: graph, op: op)
        }
    }

    private static func batchedAveragePool(_ input: ONNXValue, kernel k: [Int], stride s: [Int], padding p: [Int],
                                           countIncludePad: Bool, ceilMode: Bool, graph: ONNXGraphBuilder, op: String) throws -> String {
        let w = try windows(input, kernel: k, stride: s, padding: p, dilation: k.map { _ in 1 }, ceilMode: ceilMode,
                            graph: graph, op: op)
        let spatial = k.count, sizes = Array(input.shape.suffix(spatial))
        var x = input.name
        if (p + w.extra).contains(where: { $0 > 0 }) {
            let pads = [0, 0] + p + [0, 0] + zip(p, w.extra).map { $0 + $1 }
            x = graph.node("Pad", [x, graph.constant(ints: pads)], attributes: [.string("mode", "constant")])
        }
        let pooled = graph.node("AveragePool", [x], attributes: [.ints("kernel_shape", k), .ints("strides", s)])
        // Gradus's divisor per window is the product over the axes of its extent clipped to the padded
        // input (countIncludePad) or to the input.
        let extents: [[Int]] = (0..<spatial).map { a in
            let limit = countIncludePad ? sizes[a] + p[a] : sizes[a]
            return (0..<w.out[a]).map { o in
                let start = o * s[a] - p[a]
                return Swift.min(start + k[a], limit) - (countIncludePad ? start : Swift.max(start, 0))
            }
        }
        // Products in Double: three extents of up to Int32.max would overflow Int (exact below 2^53, as
        // every product of two extents is).
        var divisors: [Double] = [1]
        for axis in extents { divisors = divisors.flatMap { d in axis.map { d * Double($0) } } }
        let kernelSize = k.reduce(1.0) { $0 * Double($1) }
        let factors = divisors.map { kernelSize / $0 }
        guard factors.contains(where: { $0 != 1 }) else { return pooled }
        let correction = try graph.constant(Tensor(shape: w.out, values: factors), name: "divisor_correction")
        return graph.node("Mul", [pooled, correction])
    }

    static func windows(_ input: ONNXValue, kernel: [Int], stride: [Int], padding: [Int], dilation: [Int], ceilMode: Bool,
                        graph: ONNXGraphBuilder, op: String) throws -> Windows {
        let spatial = kernel.count
        let layout = ["[N, C, L]", "[N, C, H, W]", "[N, C, D, H, W]"][Swift.min(Swift.max(spatial - 1, 0), 2)]
        guard input.rank == spatial + 2 else { throw graph.unsupported("\(op) needs \(layout) inputs, got \(input.shape)") }
        guard !(2..<input.rank).contains(where: { input.isDynamic($0) }) else {
            throw graph.unsupported("\(op) needs fixed spatial sizes to write its windows; \(input.shape) has a dynamic one")
        }
        // The layer's own call checks these too, but the graph is written before the sample runs.
        for (name, values, least) in [("kernel", kernel, 1), ("stride", stride, 1), ("dilation", dilation, 1), ("padding", padding, 0)]
        where values.contains(where: { !(least...Int(Int32.max)).contains($0) }) {
            throw graph.unsupported("\(op): \(name) \(values) must lie in \(least)...\(Int32.max)")
        }
        var out: [Int] = [], extra: [Int] = []
        for a in 0..<spatial {
            let (size, k, s, p, d) = (input.shape[2 + a], kernel[a], stride[a], padding[a], dilation[a])
            let span = size + 2 * p - d * (k - 1) - 1
            guard span >= 0 else { throw graph.unsupported("\(op): the kernel does not fit the input \(input.shape)") }
            var count = ceilMode ? (span + s - 1) / s + 1 : span / s + 1
            if ceilMode && (count - 1) * s >= size + p { count -= 1 }
            out.append(count)
            extra.append(Swift.max(0, (count - 1) * s + d * (k - 1) + 1 - (size + 2 * p)))
        }
        return Windows(out: out, extra: extra)
    }
}

extension MaxPool3d: ONNXExportable {
    /// Writes `MaxPool` over three spatial axes; ceil mode is written as extra end padding.
    public func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String {
        try ONNXPooling.maxPool(input, kernel: [kernelSize.depth, kernelSize.height, kernelSize.width],
                                stride: [stride.depth, stride.height, stride.width], padding: [padding.depth, padding.height, padding.width],
                                dilation: [dilation.depth, dilation.height, dilation.width], ceilMode: ceilMode, graph: graph, op: "MaxPool3d")
    }
}

extension AvgPool3d: ONNXExportable {
    /// Writes `AveragePool` over three spatial axes of the zero-padded input, with a `Mul` correcting
    /// the divisors where they are not the kernel's size (as ``AvgPool2d``'s export).
    public func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String {
        try ONNXPooling.averagePool(input, kernel: [kernelSize.depth, kernelSize.height, kernelSize.width],
                                    stride: [stride.depth, stride.height, stride.width],
                                    padding: [padding.depth, padding.height, padding.width], countIncludePad: countIncludePad,
                                    ceilMode: ceilMode, graph: graph, op: "AvgPool3d")
    }
}

extension AdaptiveAvgPool3d: ONNXExportable {
    /// Writes `GlobalAveragePool` for a 1×1×1 output (the common use, before a classifier), and, for an
    /// output size that divides the input's, `AveragePool` with the windows that size implies; other
    /// sizes (windows of unequal lengths) are refused.
    public func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String {
        try ONNXPooling.adaptivePool3d(input, outputSize: outputSize, global: "GlobalAveragePool", windowed: "AveragePool",
                                       graph: graph, op: "AdaptiveAvgPool3d")
    }
}

extension AdaptiveMaxPool3d: ONNXExportable {
    /// Writes `GlobalMaxPool` for a 1×1×1 output, and `MaxPool` with the implied windows for an output
    /// size that divides the input's; other sizes are refused.
    public func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String {
        try ONNXPooling.adaptivePool3d(input, outputSize: outputSize, global: "GlobalMaxPool", windowed: "MaxPool",
                                       graph: graph, op: "AdaptiveMaxPool3d")
    }
}

extension ONNXPooling {
    /// An adaptive 3-D pool whose windows are all alike: global (output 1×1×1), or each input size a
    /// multiple of the output's (windows of `input / output` elements, as far apart).
    static func adaptivePool3d(_ input: ONNXValue, outputSize: Size3, global: String, windowed: String,
                               graph: ONNXGraphBuilder, op: String) throws -> String {
        try batched(input, spatialAxes: 3, graph: graph) { input in
            try batchedAdaptivePool3d(input, outputSize: outputSize, global: global, windowed: windowed, graph: graph, op: op)
        }
    }

    private static func batchedAdaptivePool3d(_ input: ONNXValue, outputSize: Size3, global: String, windowed: String,
                                              graph: ONNXGraphBuilder, op: String) throws -> String {
        guard input.rank == 5 else { throw graph.unsupported("\(op) needs [N, C, D, H, W] (or [C, D, H, W]) inputs, got \(input.shape)") }
        let out = [outputSize.depth, outputSize.height, outputSize.width]
        guard out.allSatisfy({ $0 >= 1 }) else { throw graph.unsupported("\(op): output size \(outputSize) must be positive") }
        if out == [1, 1, 1] { return graph.node(global, [input.name]) }
        let sizes = Array(input.shape.suffix(3))
        guard !(2..<5).contains(where: { input.isDynamic($0) }), zip(sizes, out).allSatisfy({ $0 > 0 && $0 % $1 == 0 }) else {
            throw graph.unsupported("\(op): output size \(outputSize) exports only as global pooling or when it divides the input's fixed spatial sizes, got input \(input.shape)")
        }
        let window = zip(sizes, out).map { $0 / $1 }
        return graph.node(windowed, [input.name], attributes: [.ints("kernel_shape", window), .ints("strides", window)])
    }
}
