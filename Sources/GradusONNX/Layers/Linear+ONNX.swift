import Gradus

/// `Gemm` (weight transposed by the operator) for `[N, in]` inputs, `MatMul` and `Add` for other ranks.
extension Linear: ONNXExportable {
    /// Writes `x · weightᵀ + bias`.
    public func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String {
        try graph.linear(input.name, rank: input.rank, weight: weight, bias: bias)
    }
}

/// `Gather` of the weight's rows by the int64 indices.
extension Embedding: ONNXExportable {
    /// Writes `Gather(weight, indices)`.
    public func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String {
        guard input.sample.dtype == .int64 else {
            throw graph.unsupported("Embedding needs int64 indices, got \(input.sample.dtype) (give an int64 sample input)")
        }
        return graph.node("Gather", [try graph.parameter(weight, name: "weight"), input.name], attributes: [.int("axis", 0)])
    }
}
