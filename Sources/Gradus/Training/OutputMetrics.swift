/// The loss and accuracy of one output of a model with several outputs, over a batch, an epoch or an
/// evaluation (``Trainer/StepResult/outputs``, ``EpochMetrics/outputs``, ``Evaluation/outputs``).
///
/// ```swift
/// for o in evaluation.outputs { print(o.name, o.loss, o.accuracy ?? .nan) }
/// ```
public struct OutputMetrics: Codable, Sendable, Equatable {
    /// The output's name.
    public var name: String
    /// The output's mean loss (unweighted): per sample, per token for a language model, per element
    /// for regression.
    public var loss: Double
    /// The share of correct predictions for outputs that predict classes, nil for regression.
    public var accuracy: Double?

    /// Creates metrics.
    ///
    /// ```swift
    /// let m = OutputMetrics(name: "digit", loss: 0.12, accuracy: 0.97)
    /// ```
    public init(name: String, loss: Double, accuracy: Double?) {
        self.name = name
        self.loss = loss
        self.accuracy = accuracy
    }
}
