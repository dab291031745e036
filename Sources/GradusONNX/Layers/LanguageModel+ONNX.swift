import Gradus

// Language models: int64 tokens [N, T] to logits [N, T, vocabulary], from a zero state. Export with
// `dynamicAxes: .custom([0: "batch", 1: "sequence"])` to take sequences of any length (up to the GPT's
// context).

extension RecurrentLanguageModel: ONNXExportable {
    /// Writes the embedding (`Gather`), the LSTM or GRU, and the head.
    public func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String {
        let embedded = try graph.apply(embedding, to: input, name: "embedding")
        return try graph.apply(head, to: try graph.apply(rnn, to: embedded, name: "rnn"), name: "head").name
    }
}

extension GPTLanguageModel: ONNXExportable {
    /// Writes token and position embeddings (`Gather`, and a `Slice` of the first T position rows), the
    /// pre-norm Transformer layers with causal attention (an additive mask built from the sequence's
    /// length: `Trilu` over ones, `Where` 0 or −∞), the final normalization and the head tied to the token
    /// embedding (`MatMul` by its transpose).
    public func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String {
        guard input.rank == 2, input.sample.dtype == .int64 else {
            throw graph.unsupported("GPTLanguageModel needs int64 tokens [N, T], got \(input.sample.dtype) \(input.shape)")
        }
        let tokens = try graph.apply(tokenEmbedding, to: input, name: "token_embedding")
        let position = try graph.parameter(positionEmbedding.weight, name: "position_embedding.weight")
        // T as a one-element int64 tensor, from the input's shape (the sequence axis may be dynamic).
        let length = graph.slice(graph.node("Shape", [input.name]), axis: 0, start: 1, end: 2)
        let positions = graph.node("Slice", [position, graph.constant(ints: [0]), length, graph.constant(ints: [0])])
        var x = try graph.value(graph.node("Add", [tokens.name, positions]), from: [tokens]) { [self] in
            let t = $0[0].shape[1]
            return $0[0] + positionEmbedding.weight.slice(axis: 0, start: 0, end: t)
        }
        // The causal mask [T, T]: 0 on and below the diagonal, −∞ above.
        let square = graph.node("Concat", [length, length], attributes: [.int("axis", 0)])
        let ones = graph.node("Expand", [graph.constant(scalar: 1), square])
        let lower = graph.node("Cast", [graph.node("Trilu", [ones], attributes: [.int("upper", 0)])], attributes: [.int("to", 9)])
        let mask = graph.node("Where", [lower, graph.constant(scalar: 0), graph.constant(scalar: -.infinity)])
        for (i, layer) in encoder.layers.enumerated() {
            x = try graph.apply(layer, to: x, name: "encoder.layers.\(i)") { _, v in
                try layer.exportONNX(v, to: graph, additiveMask: mask)
            }
        }
        if let norm = encoder.norm { x = try graph.apply(norm, to: x, name: "encoder.norm") }
        let embedding = try graph.parameter(tokenEmbedding.weight, name: "token_embedding.weight")
        return graph.node("MatMul", [x.name, graph.transpose(embedding, [1, 0])])
    }
}
