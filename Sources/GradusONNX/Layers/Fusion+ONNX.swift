import Gradus

extension FusionModel: ONNXMultiInputExportable {
    /// Writes one branch per input (`encoders.<name>`: the layers' own conversions), the fusion and the
    /// head: `Concat` for ``FusionModel/Fusion/concat``; for ``FusionModel/Fusion/gated`` the gate
    /// (`Gemm` on the concatenation, `Sigmoid`) times the embeddings stacked `[N, M, W]` (`Unsqueeze`,
    /// `Concat`), summed over the inputs (`ReduceSum`); for ``FusionModel/Fusion/attention`` the stacked
    /// embeddings plus `input_embedding`, self-attention with a residual `Add`, and `ReduceMean` over the
    /// inputs.
    public func exportONNX(_ values: [String: ONNXValue], to graph: ONNXGraphBuilder) throws -> String {
        var parts: [ONNXValue] = []
        for (name, shape) in inputs {
            guard let x = values[name] else {
                throw graph.unsupported("FusionModel: no graph input named \(name); the model takes \(inputs.map(\.name))")
            }
            guard Array(x.shape.dropFirst()) == shape else {
                throw graph.unsupported("FusionModel: input \(name) is \(x.shape), the model takes [N] + \(shape)")
            }
            parts.append(try graph.apply(encoders[parts.count], to: x, name: "encoders.\(name)"))
        }
        // [N, M·W]
        func concatenated() throws -> ONNXValue {
            try graph.value(graph.node("Concat", parts.map(\.name), attributes: [.int("axis", 1)]), from: parts) {
                Tensor.concatenate($0, axis: 1)
            }
        }
        // [N, M, W]
        func stacked() -> String {
            graph.node("Concat", parts.map { graph.unsqueeze($0.name, axes: [1]) }, attributes: [.int("axis", 1)])
        }
        let fused: ONNXValue
        switch fusion {
        case .concat:
            fused = try concatenated()
        case .gated:
            guard let gate else { throw graph.unsupported("FusionModel: a gated model without its gate") }
            let logits = try graph.apply(gate, to: try concatenated(), name: "gate")
            let weights = graph.unsqueeze(graph.node("Sigmoid", [logits.name]), axes: [2])             // [N, M, 1]
            let weighted = graph.node("Mul", [stacked(), weights])
            let sum = graph.reduceSum(weighted, axes: [1], keepDims: false)
            fused = try graph.value(sum, from: parts + [logits]) { xs in
                (Tensor.stack(Array(xs.dropLast()), axis: 1) * xs.last!.sigmoid().unsqueeze(2)).sum(axes: [1])
            }
        case .attention:
            guard let attention, let inputEmbedding else { throw graph.unsupported("FusionModel: an attention model without its attention") }
            let embedding = try graph.parameter(inputEmbedding, name: "input_embedding")
            let tokens = try graph.value(graph.node("Add", [stacked(), embedding]), from: parts) {
                Tensor.stack($0, axis: 1) + inputEmbedding
            }
            let attended = try graph.apply(attention, to: tokens, name: "attention")
            let mixed = graph.node("Add", [tokens.name, attended.name])
            fused = try graph.value(graph.reduceMean(mixed, axes: [1], keepDims: false), from: [tokens, attended]) {
                ($0[0] + $0[1]).mean(axes: [1])
            }
        }
        return try graph.apply(head, to: fused, name: "head").name
    }
}
