/// Attributions: how much each input feature contributes to a model's score for one class.
///
/// - ``saliency(model:input:classIndex:)``: the gradient of the class score with respect to the input
///   (Simonyan et al., 2013).
/// - ``integratedGradients(model:input:classIndex:baseline:steps:)``: `(x − x₀) ⊙` the average gradient
///   along the straight path from a baseline `x₀` to `x` (Sundararajan et al., 2017), approximated by a
///   right Riemann sum; the attributions add up to about `score(x) − score(x₀)`.
///
/// The score is the model's raw output (logit) for `classIndex`; for a regression model use index 0.
/// The model is evaluated in evaluation mode (and left in the mode it had).
///
/// ```swift
/// let x = test.inputs.select(axis: 0, index: 0)               // one sample, e.g. [64]
/// let s = Explain.saliency(model: model, input: x, classIndex: 3)
/// let ig = Explain.integratedGradients(model: model, input: x, classIndex: 3)
/// ```
public enum Explain {
    /// The gradient of the model's output `classIndex` with respect to one input sample.
    ///
    /// - Parameters:
    ///   - model: the model, applied to a batch `[1] + input.shape`.
    ///   - input: one sample, without the batch dimension.
    ///   - classIndex: the output whose score is differentiated.
    /// - Returns: a tensor shaped like `input`.
    ///
    /// ```swift
    /// let grad = Explain.saliency(model: model, input: x, classIndex: 7)
    /// ```
    public static func saliency(model: any Layer, input: Tensor, classIndex: Int) -> Tensor {
        checked {
            let grads = try pathGradients(model: model, points: input.detach().unsqueeze(0), classIndex: classIndex)
            return grads.reshape(input.shape)
        }
    }

    /// Integrated gradients with a right Riemann sum of `steps` points:
    /// `(x − x₀) ⊙ (1/m) Σₖ ∇score(x₀ + (k/m)(x − x₀))`, `k = 1…m`.
    ///
    /// - Parameters:
    ///   - model: the model, applied to a batch of `steps` points.
    ///   - input: one sample, without the batch dimension.
    ///   - classIndex: the output whose score is attributed.
    ///   - baseline: the reference input `x₀` (default: zeros).
    ///   - steps: the number of points `m` on the path (default 50).
    /// - Returns: attributions shaped like `input`.
    ///
    /// ```swift
    /// let ig = Explain.integratedGradients(model: model, input: x, classIndex: 7, steps: 50)
    /// ```
    public static func integratedGradients(model: any Layer, input: Tensor, classIndex: Int,
                                           baseline: Tensor? = nil, steps: Int = 50) -> Tensor {
        checked {
            try require(steps >= 1 && steps <= maximumSteps,
                        "Explain.integratedGradients: steps must lie in 1...\(maximumSteps), got \(steps)")
            let x = input.detach()
            let x0 = baseline?.detach() ?? Tensor.zeros(x.shape, dtype: x.dtype)
            try require(x0.shape == x.shape, "Explain.integratedGradients: baseline \(x0.shape) must match input \(x.shape)", .shapeMismatch)
            let (points, delta) = straightPath(from: x0, to: x, steps: steps)
            let grads = try pathGradients(model: model, points: points, classIndex: classIndex)
            return GradMode.noGrad { grads.mean(axes: [0]) * delta }
        }
    }

    /// The `steps` points `x₀ + (k/m)(x − x₀)`, `k = 1…m`, stacked on a new first axis, and `x − x₀`.
    static func straightPath(from x0: Tensor, to x: Tensor, steps: Int) -> (points: Tensor, delta: Tensor) {
        GradMode.noGrad {
            let delta = x - x0
            let alphas = Tensor(shape: [steps] + Array(repeating: 1, count: x.rank),
                                values: (1...steps).map { Double($0) / Double(steps) }, dtype: x.dtype)
            return (x0.unsqueeze(0) + alphas * delta.unsqueeze(0), delta)
        }
    }

    /// The gradient of the summed score at each point of a batch (rows are independent in eval mode).
    static func pathGradients(model: any Layer, points: Tensor, classIndex: Int) throws -> Tensor {
        let wasTraining = model.isTraining
        model.eval()
        defer { model.train(wasTraining) }
        try require(points.dtype.isFloatingPoint, "Explain: the input must be floating point to have gradients, got \(points.dtype)",
                    .dtypeMismatch)
        let batch = points.detach().requiringGrad()
        let output = model(batch)
        try GradusError.throwIfRecorded()
        try require(output.rank == 2 && classIndex >= 0 && classIndex < output.shape[1],
                     "Explain: class index \(classIndex) is out of range for model output \(output.shape)", .indexOutOfRange)
        let score = output.select(axis: 1, index: classIndex).sum()
        let grads = Autograd.gradients(of: score, wrt: [batch])
        try GradusError.throwIfRecorded()
        try require(grads.count == 1, noGradientMessage, .autograd)
        return grads[0]
    }

    /// When the score has no recorded path back to the input.
    static let noGradientMessage = "Explain: the model's output has no recorded path back to its input "
        + "(is gradient recording off, GradMode.noGrad, around the call?)"

    /// The most points on an integrated-gradients path: each is one sample of the batch that is run.
    public static let maximumSteps = 1 << 20
}
