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
    /// The same for the cells (stored in their operators' `W`, `R`, `B`).
    static func gateOrder(ofCell cell: RecurrentCell) -> [Int]? {
        switch cell {
        case is LSTMCell: return [0, 3, 1, 2]
        case is GRUCell: return [1, 0, 2]
        case is RNNCell: return [0]
        default: return nil
        }
    }

    /// ONNX's gate blocks as Gradus's: block j of ONNX's weights is block `order[j]` of Gradus's.
    static func gateOrder(of layer: RecurrentLayer) -> [Int]? {
        switch layer {
        case is LSTM: return [0, 3, 1, 2]
        case is GRU: return [1, 0, 2]
        case is RNN: return [0]
        default: return nil
        }
    }

    /// A gate-stacked tensor (`[gates·H, …]` or `[gates·H]`) with its blocks in ONNX's order.
    static func reordered(_ t: Tensor, gateOrder: [Int]) -> Tensor {
        let parts = t.chunk(gateOrder.count, axis: 0)
        return Tensor.concatenate(gateOrder.map { parts[$0] }, axis: 0)
    }

    static func export(_ layer: RecurrentLayer, op: String, attributes: [ONNXAttribute],
                       input: ONNXValue, graph: ONNXGraphBuilder) throws -> String {
        guard let gateOrder = gateOrder(of: layer) else { throw graph.unsupported("\(type(of: layer)) has no ONNX operator") }
        guard layer.projSize == 0 else {
            throw graph.unsupported("\(op) with projSize \(layer.projSize): ONNX's \(op) operator has no projection of the hidden state")
        }
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
        let directions = layer.bidirectional ? 2 : 1
        func reordered(_ t: Tensor) -> Tensor { ONNXRecurrent.reordered(t, gateOrder: gateOrder) }
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

// The cells, called with one tensor (a zero state), as one time step of the same operators.

extension LSTMCell: ONNXExportable {
    /// Writes one step of `LSTM` from a zero state and returns its hidden state.
    public func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String {
        try ONNXRecurrent.step(self, op: "LSTM", attributes: [], input: input, graph: graph)
    }
}

extension GRUCell: ONNXExportable {
    /// Writes one step of `GRU` (`linear_before_reset`) from a zero state.
    public func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String {
        try ONNXRecurrent.step(self, op: "GRU", attributes: [.int("linear_before_reset", 1)], input: input, graph: graph)
    }
}

extension RNNCell: ONNXExportable {
    /// Writes one step of `RNN` (`Tanh` or `Relu`) from a zero state.
    public func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String {
        try ONNXRecurrent.step(self, op: "RNN",
                               attributes: [.strings("activations", [nonlinearity == .tanh ? "Tanh" : "Relu"])], input: input, graph: graph)
    }
}

extension ONNXRecurrent {
    /// One time step of `op` for a cell's `[N, inputSize]` (or `[inputSize]`) input and a zero state:
    /// the input as a sequence of length 1, the output `Y` `[1, 1, N, H]` squeezed to `[N, H]` (`[H]`).
    static func step(_ cell: RecurrentCell, op: String, attributes: [ONNXAttribute],
                     input: ONNXValue, graph: ONNXGraphBuilder) throws -> String {
        guard let gateOrder = gateOrder(ofCell: cell) else { throw graph.unsupported("\(type(of: cell)) has no ONNX operator") }
        guard (input.rank == 1 || input.rank == 2) && input.shape.last == cell.inputSize else {
            throw graph.unsupported("\(type(of: cell)) needs [N, \(cell.inputSize)] (or [\(cell.inputSize)]) inputs, got \(input.shape)")
        }
        let x = graph.unsqueeze(input.name, axes: input.rank == 2 ? [0] : [0, 1])
        let (w, r, b) = GradMode.noGrad { () -> (Tensor, Tensor, Tensor?) in
            let w = reordered(cell.inputWeight, gateOrder: gateOrder).unsqueeze(0)
            let r = reordered(cell.hiddenWeight, gateOrder: gateOrder).unsqueeze(0)
            guard let ib = cell.inputBias, let hb = cell.hiddenBias else { return (w, r, nil) }
            return (w, r, Tensor.concatenate([reordered(ib, gateOrder: gateOrder), reordered(hb, gateOrder: gateOrder)], axis: 0).unsqueeze(0))
        }
        var inputs = [x, try graph.constant(w, name: "W"), try graph.constant(r, name: "R")]
        if let b { inputs.append(try graph.constant(b, name: "B")) }
        let y = graph.node(op, inputs, attributes: [.int("hidden_size", cell.hiddenSize), .string("direction", "forward")] + attributes)
        return graph.squeeze(y, axes: input.rank == 2 ? [0, 1] : [0, 1, 2])
    }
}
