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

/// `Gather` of the bags' rows and a reduction over each bag, for `[bags, entries]` indices (the form a
/// single tensor gives; offsets and per-sample weights are a second input).
extension EmbeddingBag: ONNXExportable {
    /// Writes `Gather(weight, indices)` and `ReduceSum`, `ReduceMean` or `ReduceMax` over the entries;
    /// with `paddingIdx`, the padding entries are masked out (`Equal`, `Where`), a mean divides by the
    /// entries that count and a bag of padding alone gives zeros, as in the layer.
    public func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String {
        guard input.sample.dtype == .int64, input.rank == 2 else {
            throw graph.unsupported("EmbeddingBag exports for int64 [bags, entries] indices, got \(input.sample.dtype) \(input.shape) (1-D indices need offsets, a second input)")
        }
        guard maxNorm == nil else {
            throw graph.unsupported("EmbeddingBag with maxNorm renormalizes the rows it reads; ONNX has no such operation")
        }
        guard input.shape[1] > 0 else { throw graph.unsupported("EmbeddingBag: bags of no entries, got \(input.shape)") }
        let rows = graph.node("Gather", [try graph.parameter(weight, name: "weight"), input.name], attributes: [.int("axis", 0)])
        guard let paddingIdx else {
            switch mode {
            case .sum: return graph.reduceSum(rows, axes: [1], keepDims: false)
            case .mean: return graph.reduceMean(rows, axes: [1], keepDims: false)
            case .max: return graph.reduceMax(rows, axes: [1], keepDims: false)
            }
        }
        // [bags, entries, 1]: whether each entry counts.
        let counts = graph.unsqueeze(graph.node("Not", [graph.node("Equal", [input.name, graph.constant(ints: [paddingIdx])])]), axes: [2])
        let ones = graph.node("Cast", [counts], attributes: [.int("to", Int(Onnx_TensorProto.DataType.float.rawValue))])
        let entries = graph.reduceSum(ones, axes: [1], keepDims: false)   // [bags, 1]
        switch mode {
        case .sum, .mean:
            // Where, not a product: a padding row holding inf or NaN must not count.
            let sums = graph.reduceSum(graph.node("Where", [counts, rows, graph.constant(scalar: 0)]), axes: [1], keepDims: false)
            guard mode == .mean else { return sums }
            return graph.node("Div", [sums, graph.node("Max", [entries, graph.constant(scalar: 1)])])
        case .max:
            let masked = graph.node("Where", [counts, rows, graph.constant(scalar: -.infinity)])
            let maxima = graph.reduceMax(masked, axes: [1], keepDims: false)
            let nonEmpty = graph.node("Greater", [entries, graph.constant(scalar: 0)])
            return graph.node("Where", [nonEmpty, maxima, graph.constant(scalar: 0)])
        }
    }
}
