import Gradus

/// Each layer in turn, its parameters named `0.…`, `1.…` as in `namedParameters()`.
extension Sequential: ONNXExportable {
    /// Writes the layers in order.
    public func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String {
        var x = input
        for (i, layer) in layers.enumerated() { x = try graph.apply(layer, to: x, name: "\(i)") }
        return x.name
    }
}
