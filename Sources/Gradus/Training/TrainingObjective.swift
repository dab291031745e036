/// What a ``Trainer`` minimizes and measures on a batch: one ``LearningTask`` on a model's one output,
/// or weighted tasks on the named outputs of a ``MultiOutputLayer`` (``OutputHead``).
enum TrainingObjective {
    case single(LearningTask)
    case heads([OutputHead])

    /// The part of a batch one task measures: the output, its targets and its (unweighted) mean loss.
    struct Part {
        let task: LearningTask
        let output: Tensor
        let targets: Tensor
        let loss: Tensor
    }

    /// A batch's loss to minimize (the weighted sum of the parts' mean losses) and its parts.
    struct BatchLoss {
        let total: Tensor
        let parts: [Part]
    }

    /// The tasks of the parts, in order.
    var tasks: [LearningTask] {
        switch self {
        case .single(let task): return [task]
        case .heads(let heads): return heads.map(\.task)
        }
    }

    /// Checks that the data's targets have the kind this objective reads (a ``Tensor`` for one task, a
    /// ``TensorGroup`` for output heads) before anything is trained.
    func check<Target: Collatable>(_: Target.Type, op: String) throws {
        switch self {
        case .single:
            try require(Target.self == Tensor.self,
                        "\(op): the data's targets are \(Target.self); a model with one output learns one Tensor of targets "
                        + "(a model with several outputs conforms to MultiOutputLayer and its trainer names an OutputHead per output)")
        case .heads:
            try require(Target.self == TensorGroup.self,
                        "\(op): the model has several outputs and learns named targets (a TensorGroup, e.g. from MultiTargetDataset), "
                        + "but the data's targets are \(Target.self)")
        }
    }

    /// The loss of a batch: the model's `output` against `targets`; when `checkingLabels`, labels are
    /// checked against the classes of each output that predicts classes (training refuses the loss's
    /// ignore index and out-of-range labels before anything is updated).
    ///
    /// - Throws: ``GradusError`` for an output or a target missing, a label outside its output's classes.
    func loss<Target: Collatable>(_ output: ModelOutput, _ targets: Target, reduction: Reduction = .mean,
                                  checkingLabels: Bool = true) throws -> BatchLoss {
        switch (self, output) {
        case (.single(let task), .tensor(let y)):
            let t = targets as! Tensor
            if checkingLabels && task.predictsClasses { try Trainer.checkLabels(t, classes: y.shape.last ?? 0) }
            let loss = task.loss(y, t, reduction: reduction)
            return BatchLoss(total: loss, parts: [Part(task: task, output: y, targets: t, loss: loss)])
        case (.heads(let heads), .group(let outputs)):
            let named = targets as! TensorGroup
            var parts: [Part] = []
            var total: Tensor? = nil
            for head in heads {
                guard let y = outputs.tensor(named: head.name) else {
                    throw GradusError(.invalidArgument, "Trainer: the model gave no output named \"\(head.name)\"; its outputs are \(outputs.names)")
                }
                guard let t = named.tensor(named: head.name) else {
                    throw GradusError(.invalidArgument, "Trainer: the data has no target named \"\(head.name)\"; its targets are \(named.names)")
                }
                do {
                    if checkingLabels && head.task.predictsClasses { try Trainer.checkLabels(t, classes: y.shape.last ?? 0) }
                } catch let error as GradusError {
                    throw GradusError(error.kind, "output \"\(head.name)\": \(error.message)")
                }
                let loss = head.task.loss(y, t, reduction: reduction)
                parts.append(Part(task: head.task, output: y, targets: t, loss: loss))
                let weighted = head.weight == 1 ? loss : loss * head.weight
                total = total.map { $0 + weighted } ?? weighted
            }
            return BatchLoss(total: total!, parts: parts)
        default:
            throw GradusError(.invalidArgument, "Trainer: the model's output does not match the trainer's objective (one output, or named outputs with OutputHeads)")
        }
    }

    /// The trainer's number of units of a batch: tokens for a language model with one output, samples otherwise.
    func count(_ loss: BatchLoss, samples: Int) -> Int {
        if case .single(.languageModel) = self { return loss.parts[0].targets.count }
        return samples
    }
}

/// Sums over batches for one part of a ``TrainingObjective``: the loss summed over its units (samples,
/// tokens, or elements in evaluations), the units, and the correct predictions.
struct OutputTally: Sendable, Equatable {
    var lossSum = 0.0
    var count = 0
    var correct = 0

    /// Adds another tally.
    mutating func add(_ other: OutputTally) {
        lossSum += other.lossSum
        count += other.count
        correct += other.correct
    }

    /// The metrics of the tally: mean loss and, for a task that predicts classes, the accuracy.
    func metrics(name: String, task: LearningTask) -> OutputMetrics {
        let n = Double(Swift.max(count, 1))
        return OutputMetrics(name: name, loss: count == 0 ? .nan : lossSum / n,
                             accuracy: task.predictsClasses ? (count == 0 ? .nan : Double(correct) / n) : nil)
    }

    /// The tally's numbers, for summing across processes.
    var values: [Double] { [lossSum, Double(count), Double(correct)] }

    /// A tally from three numbers of ``values``.
    init(values v: ArraySlice<Double>) {
        let i = v.startIndex
        self.init(lossSum: v[i], count: Int(v[i + 1]), correct: Int(v[i + 2]))
    }

    init(lossSum: Double = 0, count: Int = 0, correct: Int = 0) {
        self.lossSum = lossSum
        self.count = count
        self.correct = correct
    }
}
