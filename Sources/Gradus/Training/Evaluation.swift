import Foundation

/// The result of evaluating a model on a data set: mean loss, and for classification the accuracy and
/// the confusion matrix.
///
/// ```swift
/// let result = trainer.evaluate(testSet)
/// print(result.summaryLines.joined(separator: "\n"))
/// ```
public struct Evaluation: Sendable {
    /// The task evaluated.
    public let task: LearningTask
    /// The number of samples.
    public let count: Int
    /// The mean loss: cross-entropy per sample, or mean squared error per output value.
    public let loss: Double
    /// The fraction classified correctly (classification only).
    public let accuracy: Double?
    /// The confusion matrix (classification only).
    public let confusion: ConfusionMatrix?
    /// The number of terms the mean loss averages (samples, output values or tokens), for adding
    /// evaluations of several processes' shares.
    let elements: Int
    /// For a model with several outputs, each output's mean loss and accuracy, in the order of the
    /// trainer's ``OutputHead``s (``loss`` is then their weighted total; ``accuracy`` and
    /// ``confusion`` are nil); empty for a model with one output.
    public let outputs: [OutputMetrics]
    /// The sums behind ``outputs``, for adding evaluations of several processes' shares.
    let tallies: [OutputTally]

    /// Creates a result.
    ///
    /// ```swift
    /// let e = Evaluation(task: .regress, count: 10, loss: 0.5, accuracy: nil, confusion: nil)
    /// ```
    public init(task: LearningTask, count: Int, loss: Double, accuracy: Double?, confusion: ConfusionMatrix?) {
        self.task = task
        self.count = count
        self.loss = loss
        self.accuracy = accuracy
        self.confusion = confusion
        self.elements = count
        self.outputs = []
        self.tallies = []
    }

    init(task: LearningTask, count: Int, loss: Double, accuracy: Double?, confusion: ConfusionMatrix?, elements: Int,
         heads: [OutputHead] = [], tallies: [OutputTally] = []) {
        self.task = task
        self.count = count
        self.loss = loss
        self.accuracy = accuracy
        self.confusion = confusion
        self.elements = elements
        self.outputs = zip(heads, tallies).map { $1.metrics(name: $0.name, task: $0.task) }
        self.tallies = tallies
    }

    /// A language model's loss in bits per token (bits per character with a character vocabulary):
    /// the mean cross-entropy (nats) divided by ln 2.
    ///
    /// ```swift
    /// print(run.evaluate().bitsPerToken)
    /// ```
    public var bitsPerToken: Double { loss / 0.6931471805599453 }

    /// The perplexity of a language model, e^loss: the effective number of equally likely next tokens.
    ///
    /// ```swift
    /// print(run.evaluate().perplexity)
    /// ```
    public var perplexity: Double { Foundation.exp(loss) }

    /// The lines that end training and evaluation output, in a form scripts can read:
    /// `test accuracy: 98.12%` and `test loss: 0.0612` for classification, `test mse: 0.0012` for
    /// regression, `validation bits per token: 1.9021 (perplexity 3.74)` and the token accuracy
    /// and loss for a language model; for a model with several outputs, `test loss: 0.2140` (the
    /// weighted total) and a line per output (`digit: accuracy 97.50%, loss 0.0840`, `box: mse 0.0012`).
    ///
    /// ```swift
    /// for line in result.summaryLines { print(line) }
    /// ```
    public var summaryLines: [String] {
        if !outputs.isEmpty {
            return ["test loss: \(Format.fixed(loss, 4))"] + outputs.map { o in
                o.accuracy.map { "\(o.name): accuracy \(Format.fixed($0 * 100, 2))%, loss \(Format.fixed(o.loss, 4))" }
                    ?? "\(o.name): mse \(Format.significant(o.loss))"
            }
        }
        switch task {
        case .classify:
            return ["test accuracy: \(Format.fixed((accuracy ?? 0) * 100, 2))%", "test loss: \(Format.fixed(loss, 4))"]
        case .regress:
            return ["test mse: \(Format.significant(loss))"]
        case .languageModel:
            return ["validation bits per token: \(Format.fixed(bitsPerToken, 4)) (perplexity \(Format.fixed(perplexity, 2)))",
                    "validation token accuracy: \(Format.fixed((accuracy ?? 0) * 100, 2))%", "validation loss: \(Format.fixed(loss, 4))"]
        }
    }
}

/// Number formatting shared by the training reports.
enum Format {
    /// `value` with `digits` digits after the point.
    static func fixed(_ value: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", value) }

    /// `value` with 4 significant digits (`%.4g`).
    static func significant(_ value: Double) -> String { String(format: "%.4g", value) }

    /// A duration as `m:ss` or `h:mm:ss`.
    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0, seconds < 1e15 else { return "--:--" }
        let s = Int(seconds.rounded())
        let (h, m, r) = (s / 3600, (s / 60) % 60, s % 60)
        return h > 0 ? String(format: "%d:%02d:%02d", h, m, r) : String(format: "%d:%02d", m, r)
    }
}
