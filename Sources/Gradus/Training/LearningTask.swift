/// What a model learns: class labels (cross-entropy loss, accuracy), real values (mean squared error),
/// or the next token of a text (cross-entropy over every position, token accuracy).
///
/// ```swift
/// let trainer = Trainer(model: model, optimizer: optimizer, task: .regress)
/// ```
public enum LearningTask: String, Codable, Sendable, CaseIterable {
    /// Classification: integer targets, logits out, cross-entropy loss, accuracy.
    case classify
    /// Regression: real targets, mean squared error.
    case regress
    /// Language modelling: `[N, T]` int64 tokens in, `[N, T, vocabulary]` logits out, the targets the
    /// same tokens shifted by one; cross-entropy averaged over tokens, token accuracy. Losses are in
    /// nats per token: bits per token (per character with a character vocabulary) are loss / ln 2,
    /// perplexity is e^loss.
    case languageModel = "language-model"

    /// Whether targets are class labels (classification, next tokens): labels are checked against the
    /// model's classes and accuracy is measured.
    public var predictsClasses: Bool { self != .regress }

    /// The loss of `output` against `targets`: cross-entropy for ``classify`` (targets `int64` labels)
    /// and ``languageModel`` (over every position), mean squared error for ``regress`` (an output
    /// `[n, 1]` is compared with targets `[n]`).
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
        case .languageModel:
            let classes = output.shape.last ?? 0
            return output.reshape([-1, classes]).crossEntropy(targets.reshape([-1]), reduction: reduction)
        case .regress:
            let prediction = output.shape == targets.shape || output.count != targets.count
                ? output : output.reshape(targets.shape)
            return prediction.mseLoss(targets.to(output.dtype), reduction: reduction)
        }
    }
}
