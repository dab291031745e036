import Gradus

/// A layer that can write itself into an ONNX graph.
///
/// Gradus's own layers conform (see the ``GradusONNX`` article for the list); a custom layer conforms by
/// appending the nodes that compute its output from `input` and returning the output's name. Child
/// layers are exported with ``ONNXGraphBuilder/apply(_:to:name:)``, which names their parameters after
/// the child's property, as `namedParameters()` does.
///
/// ```swift
/// final class Scale: Module, Layer, ONNXExportable {
///     @Parameter var factor: Tensor
///     init(_ n: Int) { factor = Tensor.ones([n]); super.init() }
///     func callAsFunction(_ x: Tensor) -> Tensor { x * factor }
///     func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String {
///         graph.node("Mul", [input.name, try graph.parameter(factor, name: "factor")])
///     }
/// }
/// ```
public protocol ONNXExportable: Module {
    /// Appends the nodes that compute this layer's output from `input` (in evaluation mode) to `graph`.
    ///
    /// - Parameters:
    ///   - input: the layer's input: its name in the graph and Gradus's value for the sample input.
    ///   - graph: the graph being built.
    /// - Returns: the name of the value holding the layer's output.
    /// - Throws: a `GradusError` when this configuration of the layer cannot be written (use
    ///   ``ONNXGraphBuilder/unsupported(_:)``).
    func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String
}
