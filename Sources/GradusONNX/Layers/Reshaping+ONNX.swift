import Gradus

/// `Flatten` for the usual `startAxis: 1, endAxis: -1`, a `Reshape` otherwise.
extension Flatten: ONNXExportable {
    /// Writes `Flatten` (axis 1) or a `Reshape` to the flattened shape.
    public func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String {
        let rank = input.rank
        let start = startAxis < 0 ? startAxis + rank : startAxis
        let end = endAxis < 0 ? endAxis + rank : endAxis
        if start == 1 && end == rank - 1 && rank >= 2 {
            return graph.node("Flatten", [input.name], attributes: [.int("axis", 1)])
        }
        let result = try ONNXGraphBuilder.run(self, input.sample, at: graph.location)
        let alternate = try input.alternate.map { try ONNXGraphBuilder.run(self, $0, at: graph.location) }
        return try graph.reshape(input, toShapeOf: result.shape, alternate: alternate?.shape)
    }
}

/// Nothing: the output is the input.
extension Identity: ONNXExportable {
    /// Writes nothing.
    public func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String { input.name }
}

/// Nothing: exported models compute in evaluation mode, where dropout passes its input through.
extension Dropout: ONNXExportable {
    /// Writes nothing.
    public func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String { input.name }
}

extension Dropout2d: ONNXExportable {
    /// Writes nothing (the identity at inference, as ``Dropout``).
    public func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String { input.name }
}

/// A `Reshape` that splits one axis into `sizes`.
extension Unflatten: ONNXExportable {
    /// Writes a `Reshape` to the unflattened shape.
    public func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String {
        let result = try ONNXGraphBuilder.run(self, input.sample, at: graph.location)
        let alternate = try input.alternate.map { try ONNXGraphBuilder.run(self, $0, at: graph.location) }
        return try graph.reshape(input, toShapeOf: result.shape, alternate: alternate?.shape)
    }
}
