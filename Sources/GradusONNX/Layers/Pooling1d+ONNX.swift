import Gradus

// 1-D pooling and adaptive max pooling. The 1-D layers run the 2-D kernels on a height of 1 in Gradus,
// and are written the same way: `Unsqueeze` to `[N, C, 1, L]`, the 2-D conversion (so the window rules
// are the ones of `Pooling+ONNX.swift`), `Squeeze`.

extension MaxPool1d: ONNXExportable {
    /// Writes `MaxPool` over a height of 1.
    public func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String {
        let image = try ONNXPooling.asImage(input, graph: graph, op: "MaxPool1d")
        let pooled = try ONNXPooling.maxPool(image, kernel: Size2(1, kernelSize), stride: Size2(1, stride), padding: Size2(0, padding),
                                             dilation: Size2(1, dilation), ceilMode: ceilMode, graph: graph, op: "MaxPool1d")
        return graph.squeeze(pooled, axes: [2])
    }
}

extension AvgPool1d: ONNXExportable {
    /// Writes `AveragePool` over a height of 1, with AvgPool2d's divisor correction.
    public func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String {
        let image = try ONNXPooling.asImage(input, graph: graph, op: "AvgPool1d")
        let pooled = try ONNXPooling.averagePool(image, kernel: Size2(1, kernelSize), stride: Size2(1, stride), padding: Size2(0, padding),
                                                 countIncludePad: countIncludePad, ceilMode: ceilMode, graph: graph, op: "AvgPool1d")
        return graph.squeeze(pooled, axes: [2])
    }
}

extension AdaptiveAvgPool1d: ONNXExportable {
    /// Writes `GlobalAveragePool` for one output, otherwise `x · Aᵀ` with the averaging matrix as a constant.
    public func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String {
        try ONNXPooling.batched(input, spatialAxes: 1, graph: graph) { input in
            let image = try ONNXPooling.asImage(input, graph: graph, op: "AdaptiveAvgPool1d")
            let pooled = try AdaptiveAvgPool2d(Size2(1, outputSize)).exportONNX(image, to: graph)
            return graph.squeeze(pooled, axes: [2])
        }
    }
}

extension AdaptiveMaxPool1d: ONNXExportable {
    /// Writes `GlobalMaxPool` for one output, `MaxPool` where the windows tile the input, and otherwise
    /// the maximum of each window's `Slice` (`ReduceMax`), concatenated.
    public func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String {
        try ONNXPooling.batched(input, spatialAxes: 1, graph: graph) { input in
            let image = try ONNXPooling.asImage(input, graph: graph, op: "AdaptiveMaxPool1d")
            let pooled = try ONNXPooling.adaptiveMaxPool(image, outputSize: Size2(1, outputSize), graph: graph, op: "AdaptiveMaxPool1d")
            return graph.squeeze(pooled, axes: [2])
        }
    }
}

extension AdaptiveMaxPool2d: ONNXExportable {
    /// Writes `GlobalMaxPool` for a 1×1 output, `MaxPool` where the windows tile the input, and otherwise
    /// a separable form: the maximum of each row window (`Slice`, `ReduceMax`, `Concat` along the height),
    /// then of each column window — the maximum over a rectangle is the maximum of its rows' maxima.
    public func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String {
        try ONNXPooling.batched(input, spatialAxes: 2, graph: graph) { input in
            try ONNXPooling.adaptiveMaxPool(input, outputSize: outputSize, graph: graph, op: "AdaptiveMaxPool2d")
        }
    }
}

extension ONNXPooling {
    /// `[N, C, L]` as `[N, C, 1, L]` (an `Unsqueeze`), with Gradus's values for it.
    static func asImage(_ input: ONNXValue, graph: ONNXGraphBuilder, op: String) throws -> ONNXValue {
        guard input.rank == 3 else { throw graph.unsupported("\(op) needs [N, C, L] inputs, got \(input.shape)") }
        return try graph.value(graph.unsqueeze(input.name, axes: [2]), from: [input]) { $0[0].unsqueeze(2) }
    }

    /// The most windows per axis the slice form writes (each is a `Slice` and a `ReduceMax` node).
    static let maxAdaptiveWindows = 4096

    /// Adaptive max pooling of `[N, C, H, W]` to `outputSize`, with PyTorch's windows
    /// ⌊i·H/oh⌋ ..< ⌈(i+1)·H/oh⌉.
    static func adaptiveMaxPool(_ input: ONNXValue, outputSize: Size2, graph: ONNXGraphBuilder, op: String) throws -> String {
        guard input.rank == 4, !input.isDynamic(2), !input.isDynamic(3) else {
            throw graph.unsupported("\(op) needs [N, C, H, W] inputs with fixed H and W, got \(input.shape)")
        }
        let (h, w) = (input.shape[2], input.shape[3])
        let (oh, ow) = (outputSize.height, outputSize.width)
        guard oh >= 1, ow >= 1, h > 0, w > 0 else {
            throw graph.unsupported("\(op): output size \(outputSize) must be positive and the input \(input.shape) must not be empty")
        }
        if oh == 1 && ow == 1 { return graph.node("GlobalMaxPool", [input.name]) }
        if h % oh == 0 && w % ow == 0 {
            return graph.node("MaxPool", [input.name], attributes: [
                .ints("kernel_shape", [h / oh, w / ow]), .ints("strides", [h / oh, w / ow]),
            ])
        }
        for (out, size) in [(oh, h), (ow, w)] where out != size && out > maxAdaptiveWindows {
            throw graph.unsupported("\(op): output size \(outputSize) writes more than \(maxAdaptiveWindows) windows on an axis of \(size) (each a Slice and a ReduceMax)")
        }
        var x = input.name
        for (axis, out, size) in [(2, oh, h), (3, ow, w)] {
            if out == size { continue }   // windows of one element: the identity
            let windows = (0..<out).map { i in
                graph.reduceMax(graph.slice(x, axis: axis, start: i * size / out, end: ((i + 1) * size + out - 1) / out), axes: [axis])
            }
            x = windows.count == 1 ? windows[0] : graph.node("Concat", windows, attributes: [.int("axis", axis)])
        }
        return x
    }
}
