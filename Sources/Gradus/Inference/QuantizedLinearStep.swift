/// A quantized ``Linear`` (``Module/quantizeDynamic()``) in an ``InferencePlan``: the layer's integer path
/// (``DynamicQuantization``) on the plan's buffers, with a following ``ReLU`` fused as ``Sequential`` fuses
/// it, so that the plan computes exactly what the model computes.
///
/// Activations are quantized with the whole batch's range, so the step's result for a sample depends on
/// the other samples of its batch: a plan with such a step never splits a batch into chunks.
final class QuantizedLinearStep: @unchecked Sendable {
    let weights: QuantizedWeights
    /// `[outputs]`, or nil.
    private let bias: [Float]?
    let relu: Bool

    init(weights: QuantizedWeights, bias: Tensor?, relu: Bool) {
        self.weights = weights
        self.bias = bias?.scalars(as: Float.self)
        self.relu = relu
    }

    /// `rows` samples from `x` into `y`; false (nothing written) when an activation is not finite (the
    /// model then computes the layer in Float32).
    func run(_ x: UnsafePointer<Float>, rows: Int, into y: UnsafeMutablePointer<Float>) -> Bool {
        guard let bias else { return DynamicQuantization.linear(x, rows: rows, weights, bias: nil, relu: relu, into: y) }
        return bias.withUnsafeBufferPointer {
            DynamicQuantization.linear(x, rows: rows, weights, bias: $0.baseAddress, relu: relu, into: y)
        }
    }
}
