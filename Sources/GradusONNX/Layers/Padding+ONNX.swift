import Gradus

// The padding layers as ONNX's `Pad` (modes constant, reflect, edge, and wrap from opset 19); negative
// amounts, which crop, as a `Slice` before it.

extension PaddingLayer: ONNXExportable {
    /// Writes `Pad` of the last one or two axes (`constant` with the layer's value, `reflect`, `edge` for
    /// replication, `wrap` for circular padding from opset 19); crops (negative amounts) of constant
    /// padding as a `Slice` first.
    public func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String {
        let padded = padding.count / 2
        guard input.rank > padded else {
            throw graph.unsupported("\(type(of: self)) pads the last \(padded) axes and needs a batch or channel axis before them, got \(input.shape)")
        }
        let onnxModes: [PaddingMode: String] = [.constant: "constant", .reflect: "reflect", .replicate: "edge", .circular: "wrap"]
        guard let onnxMode = onnxModes[mode] else { throw graph.unsupported("\(type(of: self)): padding mode \(mode) has no ONNX Pad mode") }
        guard mode != .circular || graph.opset >= 19 else {
            throw graph.unsupported("\(type(of: self)) needs ONNX's Pad mode 'wrap', from opset 19 (exporting opset \(graph.opset))")
        }
        // (before, after) for each input axis, from the layer's pairs (last axis first).
        var before = [Int](repeating: 0, count: input.rank), after = before
        for pair in 0..<padded {
            let axis = input.rank - 1 - pair
            before[axis] = padding[2 * pair]
            after[axis] = padding[2 * pair + 1]
        }
        var x = input.name
        if (before + after).contains(where: { $0 < 0 }) {
            guard mode == .constant else {
                throw graph.unsupported("\(type(of: self)): negative amounts (cropping) export only with constant padding, got \(padding) in mode \(mode)")
            }
            // Crop from both ends of every axis with a negative amount (ends counted from the axis's end,
            // so that no size is written into the graph).
            let cropped = (0..<input.rank).filter { before[$0] < 0 || after[$0] < 0 }
            let starts = cropped.map { Swift.max(-before[$0], 0) }
            let ends = cropped.map { after[$0] < 0 ? after[$0] : Int(Int64.max) }
            x = graph.node("Slice", [x, graph.constant(ints: starts), graph.constant(ints: ends), graph.constant(ints: cropped)])
            before = before.map { Swift.max($0, 0) }
            after = after.map { Swift.max($0, 0) }
        }
        if (before + after).allSatisfy({ $0 == 0 }) { return x }
        var inputs = [x, graph.constant(ints: before + after)]
        if mode == .constant { inputs.append(graph.constant(scalar: value)) }
        return graph.node("Pad", inputs, attributes: [.string("mode", onnxMode)])
    }
}
