import Gradus

// Convolutions: ONNX's `Conv` and `ConvTranspose` take PyTorch's weight layouts, strides, dilations and
// groups as they are; padding is written as explicit begin and end amounts (`same` included).

extension Conv2d: ONNXExportable {
    /// Writes `Conv`; padding other than zeros as a `Pad` (reflect, edge, wrap) before an unpadded `Conv`;
    /// a `[C, H, W]` input is given a batch axis around it.
    public func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String {
        let (batched, single) = try ONNXConvolution.batched(input, rank: 4, graph: graph, op: "Conv2d", layout: "[N, C, H, W]")
        let k = kernelSize
        let (top, bottom) = padding.amounts(dimension: 0, kernel: k.height, dilation: dilation.height)
        let (left, right) = padding.amounts(dimension: 1, kernel: k.width, dilation: dilation.width)
        let (x, pads) = try ONNXConvolution.padded(batched, mode: paddingMode, before: [top, left], after: [bottom, right],
                                                   graph: graph, op: "Conv2d")
        let y = try ONNXConvolution.conv(x, weight: weight, bias: bias, graph: graph, attributes: [
            .ints("kernel_shape", [k.height, k.width]), .ints("strides", [stride.height, stride.width]),
            .ints("pads", pads), .ints("dilations", [dilation.height, dilation.width]),
            .int("group", groups),
        ])
        return single ? graph.squeeze(y, axes: [0]) : y
    }
}

extension Conv1d: ONNXExportable {
    /// Writes `Conv` over one spatial axis; padding other than zeros as a `Pad` before it; a `[C, L]`
    /// input is given a batch axis around it.
    public func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String {
        let (batched, single) = try ONNXConvolution.batched(input, rank: 3, graph: graph, op: "Conv1d", layout: "[N, C, L]")
        let (begin, end) = padding.amounts(dimension: 1, kernel: kernelSize, dilation: dilation)
        let (x, pads) = try ONNXConvolution.padded(batched, mode: paddingMode, before: [begin], after: [end],
                                                   graph: graph, op: "Conv1d")
        let y = try ONNXConvolution.conv(x, weight: weight, bias: bias, graph: graph, attributes: [
            .ints("kernel_shape", [kernelSize]), .ints("strides", [stride]), .ints("pads", pads),
            .ints("dilations", [dilation]), .int("group", groups),
        ])
        return single ? graph.squeeze(y, axes: [0]) : y
    }
}

extension ConvTranspose2d: ONNXExportable {
    /// Writes `ConvTranspose` (weight `[in, out/groups, kH, kW]`, as in PyTorch) with `output_padding`.
    public func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String {
        let (batched, single) = try ONNXConvolution.batched(input, rank: 4, graph: graph, op: "ConvTranspose2d", layout: "[N, C, H, W]")
        let k = kernelSize
        let w = try graph.parameter(weight, name: "weight")
        let b = try bias.map { try graph.parameter($0, name: "bias") }
        let (pads, extra) = try ONNXConvolution.transposedPadding([padding.height, padding.width], outputPadding: [outputPadding.height, outputPadding.width],
                                                                 stride: [stride.height, stride.width], graph: graph, op: "ConvTranspose2d")
        let y = graph.node("ConvTranspose", [batched, w] + (b.map { [$0] } ?? []), attributes: [
            .ints("kernel_shape", [k.height, k.width]), .ints("strides", [stride.height, stride.width]),
            .ints("pads", pads), .ints("output_padding", extra),
            .ints("dilations", [dilation.height, dilation.width]), .int("group", groups),
        ])
        return single ? graph.squeeze(y, axes: [0]) : y
    }
}

extension ConvTranspose1d: ONNXExportable {
    /// Writes `ConvTranspose` over one spatial axis (weight `[in, out/groups, k]`, as in PyTorch) with
    /// `output_padding`; a `[C, L]` input is given a batch axis around it.
    public func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String {
        let (x, single) = try ONNXConvolution.batched(input, rank: 3, graph: graph, op: "ConvTranspose1d", layout: "[N, C, L]")
        let w = try graph.parameter(weight, name: "weight")
        let b = try bias.map { try graph.parameter($0, name: "bias") }
        let (pads, extra) = try ONNXConvolution.transposedPadding([padding], outputPadding: [outputPadding], stride: [stride],
                                                                 graph: graph, op: "ConvTranspose1d")
        let y = graph.node("ConvTranspose", [x, w] + (b.map { [$0] } ?? []), attributes: [
            .ints("kernel_shape", [kernelSize]), .ints("strides", [stride]), .ints("pads", pads),
            .ints("output_padding", extra), .ints("dilations", [dilation]), .int("group", groups),
        ])
        return single ? graph.squeeze(y, axes: [0]) : y
    }
}

/// What the convolutions share.
enum ONNXConvolution {
    /// The input as a batch: itself at rank `rank`, given a batch axis (`Unsqueeze`) one rank below
    /// (one unbatched sample, which the caller squeezes back); other ranks are refused.
    static func batched(_ input: ONNXValue, rank: Int, graph: ONNXGraphBuilder, op: String, layout: String) throws -> (String, Bool) {
        if input.rank == rank { return (input.name, false) }
        guard input.rank == rank - 1 else {
            throw graph.unsupported("\(op) needs \(layout) inputs (or one sample without N), got \(input.shape)")
        }
        return (graph.unsqueeze(input.name, axes: [0]), true)
    }

    /// A transposed convolution's `pads` and `output_padding`. PyTorch allows an output padding below
    /// max(stride, dilation); ONNX Runtime refuses one of a stride or more, so such an amount is taken
    /// off the end padding instead (the same output: the end padding trims what output padding adds),
    /// and refused when the padding is smaller.
    static func transposedPadding(_ padding: [Int], outputPadding: [Int], stride: [Int], graph: ONNXGraphBuilder,
                                  op: String) throws -> (pads: [Int], outputPadding: [Int]) {
        var end = padding, extra = outputPadding
        for i in padding.indices where outputPadding[i] >= stride[i] {
            guard outputPadding[i] <= padding[i] else {
                throw graph.unsupported("\(op): an output padding of \(outputPadding[i]) with stride \(stride[i]) and padding \(padding[i]) has no ONNX form (ONNX Runtime needs output_padding < stride)")
            }
            end[i] = padding[i] - outputPadding[i]
            extra[i] = 0
        }
        return (padding + end, extra)
    }

    /// The convolution's input and its `pads` attribute: zeros stay in the `Conv`; another padding mode
    /// becomes a `Pad` of the spatial axes (`reflect`, `edge`, or `wrap` from opset 19) and no `Conv` padding.
    static func padded(_ x: String, mode: PaddingMode, before: [Int], after: [Int], graph: ONNXGraphBuilder,
                       op: String) throws -> (String, [Int]) {
        let onnxModes: [PaddingMode: String] = [.reflect: "reflect", .replicate: "edge", .circular: "wrap"]
        guard let onnxMode = onnxModes[mode] else { return (x, before + after) }   // zeros: the Conv's own pads
        let none = [Int](repeating: 0, count: before.count * 2)
        if (before + after).allSatisfy({ $0 == 0 }) { return (x, none) }
        guard mode != .circular || graph.opset >= 19 else {
            throw graph.unsupported("\(op): paddingMode circular needs ONNX's Pad mode 'wrap', from opset 19 (exporting opset \(graph.opset))")
        }
        let pads = [0, 0] + before + [0, 0] + after
        return (graph.node("Pad", [x, graph.constant(ints: pads)], attributes: [.string("mode", onnxMode)]), none)
    }

    static func conv(_ x: String, weight: Tensor, bias: Tensor?, graph: ONNXGraphBuilder, attributes: [ONNXAttribute]) throws -> String {
        let w = try graph.parameter(weight, name: "weight")
        let b = try bias.map { try graph.parameter($0, name: "bias") }
        return graph.node("Conv", [x, w] + (b.map { [$0] } ?? []), attributes: attributes)
    }
}
