import Gradus

extension MultiheadAttention: ONNXExportable {
    /// Writes self-attention (query, key and value all the input, no mask) in elementary operators, as
    /// Gradus computes it: one input projection (`MatMul`, `Add`) sliced into q, k, v; each reshaped to
    /// `[N·heads, L, headDim]`; `softmax(q/√d · kᵀ) · v`; heads merged back and the output projection.
    public func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String {
        try exportONNX(input, to: graph, additiveMask: nil)
    }

    /// Self-attention with an additive mask `[L, L]` (`-inf` where a query must not look) added to the
    /// scores before the softmax, as a causal model needs.
    func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder, additiveMask: String?) throws -> String {
        guard (input.rank == 2 || input.rank == 3) && input.shape.last == embedDim else {
            throw graph.unsupported("MultiheadAttention needs [L, N, \(embedDim)] inputs (or [L, \(embedDim)]), got \(input.shape)")
        }
        guard let inProjWeight else {
            throw graph.unsupported("MultiheadAttention with kdim \(kdim) and vdim \(vdim) attends across inputs of other widths; only self-attention exports")
        }
        var x = input.name   // -> [L, N, E]
        if input.rank == 2 {
            x = graph.unsqueeze(x, axes: [1])
        } else if batchFirst {
            x = graph.transpose(x, [1, 0, 2])
        }
        let e = embedDim, d = headDim
        let projected = try graph.linear(x, rank: 3, weight: inProjWeight, bias: inProjBias, prefix: "in_proj_")
        // [L, N, E] -> [L, N·H, d] -> [N·H, L, d]
        func heads(_ part: Int) -> String {
            let slice = graph.slice(projected, axis: 2, start: part * e, end: (part + 1) * e)
            return graph.transpose(graph.reshape(slice, [0, -1, d]), [1, 0, 2])
        }
        let (q, k, v) = (heads(0), heads(1), heads(2))
        var scores = graph.node("MatMul", [graph.scaled(q, by: 1 / Double(d).squareRoot()), graph.transpose(k, [0, 2, 1])])
        if let additiveMask { scores = graph.node("Add", [scores, additiveMask]) }
        let attended = graph.node("MatMul", [graph.node("Softmax", [scores], attributes: [.int("axis", -1)]), v])
        // [N·H, L, d] -> [L, N·H, d] -> [L, N, E]
        let merged = graph.reshape(graph.transpose(attended, [1, 0, 2]), [0, -1, e])
        var y = try graph.linear(merged, rank: 3, weight: outProj.weight, bias: outProj.bias, prefix: "out_proj.")
        if input.rank == 2 {
            y = graph.squeeze(y, axes: [1])
        } else if batchFirst {
            y = graph.transpose(y, [1, 0, 2])
        }
        return y
    }
}
