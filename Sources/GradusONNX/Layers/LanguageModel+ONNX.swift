import Gradus

extension LSTMLanguageModel: ONNXExportable {
    /// Writes the embedding (`Gather`), the LSTM and the head: int64 tokens `[N, T]` to logits
    /// `[N, T, vocabulary]`, from a zero state. Export with `dynamicAxes: .custom([0: "batch", 1: "sequence"])`
    /// to take sequences of any length.
    public func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String {
        let embedded = try graph.apply(embedding, to: input, name: "embedding")
        return try graph.apply(head, to: try graph.apply(lstm, to: embedded, name: "lstm"), name: "head").name
    }
}
