/// One output of a model with several outputs (``MultiOutputLayer``), as its ``Trainer`` learns it: the
/// output's name, what it learns (its loss, and whether accuracy is measured) and the weight of its loss
/// in the total that is minimized.
///
/// ```swift
/// let heads = [OutputHead("class", task: .classify),            // cross-entropy, accuracy
///              OutputHead("box", task: .regress, weight: 0.1)]  // mean squared error, weighted 0.1
/// ```
public struct OutputHead: Sendable, Equatable {
    /// The output's name: the model's output field and the data's target field of that name.
    public var name: String
    /// What the output learns: `.classify` (int64 labels, cross-entropy, accuracy), `.regress` (mean
    /// squared error) or `.languageModel` (next tokens).
    public var task: LearningTask
    /// The weight of this output's mean loss in the total loss (finite, not negative).
    public var weight: Double

    /// Creates a head.
    ///
    /// - Parameters:
    ///   - name: the output's name.
    ///   - task: what it learns.
    ///   - weight: its loss's weight in the total (default 1).
    ///
    /// ```swift
    /// let head = OutputHead("odd", task: .classify, weight: 0.5)
    /// ```
    public init(_ name: String, task: LearningTask, weight: Double = 1) {
        self.name = name
        self.task = task
        self.weight = weight
    }

    /// Checks a list of heads: at least one, unique names, finite non-negative weights.
    static func validate(_ heads: [OutputHead], op: String) throws {
        try require(!heads.isEmpty, "\(op): a model with several outputs needs at least one OutputHead")
        var seen = Set<String>()
        for head in heads {
            try require(seen.insert(head.name).inserted, "\(op): the output \"\(head.name)\" has two OutputHeads; names must be unique")
            try require(head.weight.isFinite && head.weight >= 0,
                        "\(op): the weight of output \"\(head.name)\" is \(head.weight); it must be finite and not negative")
        }
    }
}
