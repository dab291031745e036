/// What a model learns: class labels (cross-entropy loss, accuracy) or real values (mean squared error).
///
/// ```swift
/// let trainer = Trainer(model: model, optimizer: optimizer, task: .regress)
/// ```
public enum LearningTask: String, Codable, Sendable, CaseIterable {
    /// Classification: integer targets, logits out, cross-entropy loss, accuracy.
    case classify
    /// Regression: real targets, mean squared error.
    case regress

    /// The loss of `output` against `targets`: cross-entropy for ``classify`` (targets `int64` labels),
    /// mean squared error for ``regress`` (an output `[n, 1]` is compared with targets `[n]`).
    ///
    /// - Parameters:
    ///   - output: the model's output for a batch.
    ///   - targets: the batch's targets.
    ///   - reduction: `.mean` (default) or `.sum`.
    /// - Returns: a one-element loss tensor (for `.mean` and `.sum`).
    ///
    /// ```swift
    /// let loss = LearningTask.classify.loss(model(x), y)
    /// ```
    public func loss(_ output: Tensor, _ targets: Tensor, reduction: Reduction = .mean) -> Tensor {
        switch self {
        case .classify:
            return output.crossEntropy(targets, reduction: reduction)
        case .regress:
            let prediction = output.shape == targets.shape || output.count != targets.count
                ? output : output.reshape(targets.shape)
            return prediction.mseLoss(targets.to(output.dtype), reduction: reduction)
        }
    }
}
