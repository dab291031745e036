import Gradus

// Convolutions: ONNX's `Conv` and `ConvTranspose` take PyTorch's weight layouts, strides, dilations and
// groups as they are; padding is written as explicit begin and end amounts (`same` included).

extension Conv2d: ONNXExportable {
    /// Writes `Conv`.
    public func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String {
        guard input.rank == 4 else { throw graph.unsupported("Conv2d needs [N, C, H, W] inputs, got \(input.shape)") }
        let k = kernelSize
        let (top, bottom) = padding.amounts(dimension: 0, kernel: k.height, dilation: dilation.height)
        let (left, right) = padding.amounts(dimension: 1, kernel: k.width, dilation: dilation.width)
        return try ONNXConvolution.conv(input.name, weight: weight, bias: bias, graph: graph, attributes: [
            .ints("kernel_shape", [k.height, k.width]), .ints("strides", [stride.height, stride.width]),
            .ints("pads", [top, left, bottom, right]), .ints("dilations", [dilation.height, dilation.width]),
            .int("group", groups),
        ])
    }
}

extension Conv1d: ONNXExportable {
    /// Writes `Conv` over one spatial axis.
    public func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String {
        guard input.rank == 3 else { throw graph.unsupported("Conv1d needs [N, C, L] inputs, got \(input.shape)") }
        let (begin, end) = padding.amounts(dimension: 1, kernel: kernelSize, dilation: dilation)
        return try ONNXConvolution.conv(input.name, weight: weight, bias: bias, graph: graph, attributes: [
            .ints("kernel_shape", [kernelSize]), .ints("strides", [stride]), .ints("pads", [begin, end]),
            .ints("dilations", [dilation]), .int("group", groups),
        ])
    }
}

extension ConvTranspose2d: ONNXExportable {
    /// Writes `ConvTranspose` (weight `[in, out/groups, kH, kW]`, as in PyTorch) with `output_padding`.
    public func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String {
        guard input.rank == 4 else { throw graph.unsupported("ConvTranspose2d needs [N, C, H, W] inputs, got \(input.shape)") }
        let k = kernelSize
        let w = try graph.parameter(weight, name: "weight")
        let b = try bias.map { try graph.parameter($0, name: "bias") }
        return graph.node("ConvTranspose", [input.name, w] + (b.map { [$0] } ?? []), attributes: [
            .ints("kernel_shape", [k.height, k.width]), .ints("strides", [stride.height, stride.width]),
            .ints("pads", [padding.height, padding.width, padding.height, padding.width]),
            .ints("output_padding", [outputPadding.height, outputPadding.width]),
            .ints("dilations", [dilation.height, dilation.width]), .int("group", groups),
        ])
    }
}

/// What the convolutions share.
enum ONNXConvolution {
    static func conv(_ x: String, weight: Tensor, bias: Tensor?, graph: ONNXGraphBuilder, attributes: [ONNXAttribute]) throws -> String {
        let w = try graph.parameter(weight, name: "weight")
        let b = try bias.map { try graph.parameter($0, name: "bias") }
        return graph.node("Conv", [x, w] + (b.map { [$0] } ?? []), attributes: attributes)
    }
}
