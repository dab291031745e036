import Gradus

// 3-D convolutions: ONNX's `Conv` and `ConvTranspose` are N-dimensional, so they take Conv3d's and
// ConvTranspose3d's weights, strides, dilations and groups as the 2-D forms do (ONNXConvolution).

extension Conv3d: ONNXExportable {
    /// Writes `Conv` over three spatial axes; padding other than zeros as a `Pad` before an unpadded
    /// `Conv`; a `[C, D, H, W]` input is given a batch axis around it.
    public func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String {
        let (batched, single) = try ONNXConvolution.batched(input, rank: 5, graph: graph, op: "Conv3d", layout: "[N, C, D, H, W]")
        let k = [kernelSize.depth, kernelSize.height, kernelSize.width]
        let dilations = [dilation.depth, dilation.height, dilation.width]
        let amounts = (0..<3).map { padding.amounts(dimension: $0, kernel: k[$0], dilation: dilations[$0]) }
        let (x, pads) = try ONNXConvolution.padded(batched, mode: paddingMode, before: amounts.map(\.before), after: amounts.map(\.after),
                                                   graph: graph, op: "Conv3d")
        let y = try ONNXConvolution.conv(x, weight: weight, bias: bias, graph: graph, attributes: [
            .ints("kernel_shape", k), .ints("strides", [stride.depth, stride.height, stride.width]),
            .ints("pads", pads), .ints("dilations", dilations), .int("group", groups),
        ])
        return single ? graph.squeeze(y, axes: [0]) : y
    }
}

extension ConvTranspose3d: ONNXExportable {
    /// Writes `ConvTranspose` over three spatial axes (weight `[in, out/groups, kD, kH, kW]`, as in
    /// PyTorch) with `output_padding`; a `[C, D, H, W]` input is given a batch axis around it.
    public func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String {
        let (batched, single) = try ONNXConvolution.batched(input, rank: 5, graph: graph, op: "ConvTranspose3d", layout: "[N, C, D, H, W]")
        let w = try graph.parameter(weight, name: "weight")
        let b = try bias.map { try graph.parameter($0, name: "bias") }
        let strides = [stride.depth, stride.height, stride.width]
        let (pads, extra) = try ONNXConvolution.transposedPadding([padding.depth, padding.height, padding.width],
                                                                 outputPadding: [outputPadding.depth, outputPadding.height, outputPadding.width],
                                                                 stride: strides, graph: graph, op: "ConvTranspose3d")
        let y = graph.node("ConvTranspose", [batched, w] + (b.map { [$0] } ?? []), attributes: [
            .ints("kernel_shape", [kernelSize.depth, kernelSize.height, kernelSize.width]), .ints("strides", strides),
            .ints("pads", pads), .ints("output_padding", extra),
            .ints("dilations", [dilation.depth, dilation.height, dilation.width]), .int("group", groups),
        ])
        return single ? graph.squeeze(y, axes: [0]) : y
    }
}
