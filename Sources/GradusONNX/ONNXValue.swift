import Gradus

/// A tensor of the ONNX graph being built: its name in the graph, and the values Gradus computed for it
/// on the sample input.
///
/// The exporter runs the model on the sample input while it writes the graph, so every value of the
/// graph comes with Gradus's own result for it: converters read shapes from ``sample``. When the
/// export has dynamic axes (the batch, by default), the model also runs on a second sample whose
/// dynamic axes are longer; the axes whose sizes differ between the two runs are ``dynamicAxes``, and a
/// converter must not write their sizes into the graph (a `Reshape` copies them with `0` or infers them
/// with `-1` instead).
///
/// ```swift
/// func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String {
///     guard input.rank == 2 else { throw graph.unsupported("\(type(of: self)) needs [N, features] inputs") }
///     return graph.node("Relu", [input.name])
/// }
/// ```
public struct ONNXValue {
    /// The value's name in the graph.
    public let name: String
    /// Gradus's value for the sample input.
    public let sample: Tensor
    /// Gradus's value for the second sample (with longer dynamic axes), or nil when no axis is dynamic.
    public let alternate: Tensor?

    /// Creates a value from its name and Gradus's results for the samples.
    ///
    /// - Parameters:
    ///   - name: the name in the graph.
    ///   - sample: the value for the sample input.
    ///   - alternate: the value for the second sample, or nil when the export has no dynamic axis.
    ///
    /// ```swift
    /// let v = ONNXValue(name: "input", sample: x, alternate: nil)
    /// ```
    public init(name: String, sample: Tensor, alternate: Tensor?) {
        self.name = name
        self.sample = sample
        self.alternate = alternate
    }

    /// The shape for the sample input.
    public var shape: [Int] { sample.shape }

    /// The number of axes.
    public var rank: Int { sample.rank }

    /// The axes whose size depends on the dynamic input axes (the batch, by default), in increasing order.
    ///
    /// ```swift
    /// x.dynamicAxes   // [0] for a [batch, features] value
    /// ```
    public var dynamicAxes: [Int] {
        guard let alternate, alternate.rank == sample.rank else { return [] }
        return (0..<sample.rank).filter { sample.shape[$0] != alternate.shape[$0] }
    }

    /// Whether the size of `axis` (negative counts from the end) depends on the dynamic input axes.
    ///
    /// - Parameter axis: the axis.
    /// - Returns: true for a dynamic axis.
    public func isDynamic(_ axis: Int) -> Bool {
        let a = axis < 0 ? axis + rank : axis
        return dynamicAxes.contains(a)
    }
}
