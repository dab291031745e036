import ArgumentParser
import Foundation
import Gradus

/// `gradus evaluate`: loss, accuracy and confusion matrix of a checkpoint on test data.
public struct Evaluate: ParsableCommand {
    public static let configuration = CommandConfiguration(
        abstract: "Evaluate a checkpoint: loss, accuracy and confusion matrix.",
        discussion: """
        Without --data, the run's own test split is used (the checkpoint records the data, split seed and \
        preprocessing). The last lines are `test accuracy: NN.NN%` and `test loss: N.NNNN` (regression: \
        `test mse: N`).
        """
    )

    @Option(help: ArgumentHelp("A checkpoint written by gradus train.", valueName: "file"))
    public var checkpoint: String

    @OptionGroup public var dataOptions: DataOptions

    @OptionGroup public var resources: ResourceOptions

    @Option(help: "Which part of the data to evaluate: test or train.")
    public var split: String = "test"

    @Option(help: "Threads for the tensor kernels (default: all cores).")
    public var threads: Int?

    public init() {}

    public func validate() throws {
        guard split == "test" || split == "train" else { throw ValidationError("--split must be test or train, got '\(split)'") }
        try CommandSupport.checkFile(checkpoint, option: "--checkpoint")
    }

    public func run() throws { try execute(console: .standard) }

    /// Runs the command, writing to `console`; returns the evaluation.
    @discardableResult
    public func execute(console: Console) throws -> Evaluation {
        try CommandSupport.setThreads(threads)
        try resources.apply()
        let trained = try TrainedModel.load(checkpoint)
        let data = try trained.loadData(try dataOptions.spec(base: trained.config.data))
        let result: Evaluation, count: Int
        if let groups = data.groups {
            let part = split == "train" ? groups.train : groups.test
            (result, count) = (try trained.evaluate(part), part.count)
        } else {
            let part = split == "train" ? data.train : data.test
            (result, count) = (try trained.evaluate(part), part.count)
        }
        console.line("gradus evaluate: \(trained.config.model.summary) (epoch \(trained.checkpoint.epoch)) on \(data.source), \(split) part, \(count) samples")
        if let confusion = result.confusion {
            console.line("confusion matrix:")
            console.line(confusion.formatted())
        }
        for line in result.summaryLines { console.line(line) }
        return result
    }
}
