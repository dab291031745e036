import Gradus

// Recurrent layers as ONNX's `LSTM`, `GRU` and `RNN` operators, one per layer (stacked layers chain;
// dropout between them is off in evaluation mode). ONNX orders the gates differently from PyTorch and
// Gradus, so the weights are stored rearranged, per layer, both directions stacked:
// W `[directions, gates·H, inputs]`, R `[directions, gates·H, H]`, B `[directions, 2·gates·H]`.

extension LSTM: ONNXExportable {
    /// Writes `LSTM` nodes; the gates go from Gradus's order (input, forget, cell, output) to ONNX's
    /// (input, output, forget, cell).
    public func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String {
        try ONNXRecurrent.export(self, op: "LSTM", attributes: [], input: input, graph: graph)
    }
}

extension GRU: ONNXExportable {
    /// Writes `GRU` nodes with `linear_before_reset` (the reset gate multiplies the hidden projection
    /// with its bias, as in PyTorch); the gates go from Gradus's order (reset, update, new) to ONNX's
    /// (update, reset, hidden).
    public func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String {
        try ONNXRecurrent.export(self, op: "GRU", attributes: [.int("linear_before_reset", 1)], input: input, graph: graph)
    }
}

extension RNN: ONNXExportable {
    /// Writes `RNN` nodes with the `Tanh` or `Relu` activation.
    public func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String {
        let activation = nonlinearity == .tanh ? "Tanh" : "Relu"
        return try ONNXRecurrent.export(self, op: "RNN",
                                        attributes: [.strings("activations", Array(repeating: activation, count: bidirectional ? 2 : 1))],
                                        input: input, graph: graph)
    }
}

/// What the recurrent layers share.
enum ONNXRecurrent {
    /// ONNX's gate blocks as Gradus's: block j of ONNX's weights is block `order[j]` of Gradus's.
    static func gateOrder(of layer: RecurrentLayer) -> [Int]? {
        switch layer {
        case is LSTM: return [0, 3, 1, 2]
        case is GRU: return [1, 0, 2]
        case is RNN: return [0]
        default: return nil
        }
    }

    static func export(_ layer: RecurrentLayer, op: String, attributes: [ONNXAttribute],
                       input: ONNXValue, graph: ONNXGraphBuilder) throws -> String {
        guard let gateOrder = gateOrder(of: layer) else { throw graph.unsupported("\(type(of: layer)) has no ONNX operator") }
        guard (input.rank == 2 || input.rank == 3) && input.shape.last == layer.inputSize else {
            throw graph.unsupported("\(op) needs [T, N, \(layer.inputSize)] inputs (or [T, \(layer.inputSize)]), got \(input.shape)")
        }
        // ONNX's recurrent operators take time-major [T, N, I].
        var x = input.name
        if input.rank == 2 {
            x = graph.unsqueeze(x, axes: [1])
        } else if layer.batchFirst {
            x = graph.transpose(x, [1, 0, 2])
        }
        let directions = layer.bidirectional ? 2 : 1, gates = gateOrder.count
        func reordered(_ t: Tensor) -> Tensor {
            let parts = t.chunk(gates, axis: 0)
            return Tensor.concatenate(gateOrder.map { parts[$0] }, axis: 0)
        }
        for l in 0..<layer.numLayers {
            let indices = (0..<directions).map { l * directions + $0 }
            let (w, r, b) = GradMode.noGrad { () -> (Tensor, Tensor, Tensor?) in
                let w = Tensor.stack(indices.map { reordered(layer.inputWeights[$0]) }, axis: 0)
                let r = Tensor.stack(indices.map { reordered(layer.hiddenWeights[$0]) }, axis: 0)
                let b = layer.hasBias
                    ? Tensor.stack(indices.map { Tensor.concatenate([reordered(layer.inputBiases[$0]), reordered(layer.hiddenBiases[$0])], axis: 0) }, axis: 0)
                    : nil
                return (w, r, b)
            }
            var inputs = [x, try graph.constant(w, name: "W_l\(l)"), try graph.constant(r, name: "R_l\(l)")]
            if let b { inputs.append(try graph.constant(b, name: "B_l\(l)")) }
            let y = graph.node(op, inputs, attributes: [
                .int("hidden_size", layer.hiddenSize), .string("direction", directions == 2 ? "bidirectional" : "forward"),
            ] + attributes)
            // Y is [T, directions, N, H]; the next layer and the output want [T, N, directions·H].
            x = directions == 1 ? graph.squeeze(y, axes: [1]) : graph.reshape(graph.transpose(y, [0, 2, 1, 3]), [0, 0, -1])
        }
        if input.rank == 2 {
            x = graph.squeeze(x, axes: [1])
        } else if layer.batchFirst {
            x = graph.transpose(x, [1, 0, 2])
        }
        return x
    }
}
