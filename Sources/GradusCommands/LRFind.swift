import ArgumentParser
import Foundation
import Gradus

/// `gradus lr-find`: the learning-rate range test (see ``LRFinder``) for the model and data that
/// `gradus train` would use with the same flags.
public struct LRFind: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "lr-find",
        abstract: "Find a learning rate: a short training with an exponentially growing rate (the range test).",
        discussion: """
        Trains a fresh model (the one `gradus train` builds from the same flags) for at most --steps batches \
        while the rate grows from --start-lr to --end-lr, stops when the smoothed loss exceeds 4x its minimum, \
        and prints two candidates, the rate of steepest descent of the smoothed loss and the rate of the \
        minimum divided by 10, and suggests the smaller (what `gradus train --lr auto` uses). Writes the plot to --out \
        (default lr-find.svg).

        Example:
          gradus lr-find --data ../shared/data/mnist --format mnist --optimizer sgd
          gradus train --lr auto --optimizer sgd --schedule onecycle
        """
    )

    @OptionGroup public var dataOptions: DataOptions
    @OptionGroup public var resources: ResourceOptions

    @Option(help: "The model: mlp, linear or lenet.")
    public var model: ModelSpec.Architecture = .mlp
    @Option(help: ArgumentHelp("Hidden layer sizes of the MLP, comma-separated.", valueName: "sizes"))
    public var hidden: String = "128"
    @Option(help: "classify or regress.")
    public var task: LearningTask = .classify
    @Option(help: "The optimizer.")
    public var optimizer: OptimizerSpec.Kind = .adam
    @Option(help: "Samples per batch.")
    public var batchSize: Int = 32
    @Option(help: "The seed of the weights and the data order.")
    public var seed: UInt64 = 0
    @Option(help: "The first learning rate.")
    public var startLR: Double = 1e-7
    @Option(help: "The last learning rate.")
    public var endLR: Double = 10
    @Option(help: "At most this many batches.")
    public var steps: Int = 100
    @Option(help: ArgumentHelp("The SVG plot to write.", valueName: "file"))
    public var out: String = "lr-find.svg"

    public init() {}

    public func validate() throws {
        do { try LRFinder(startLR: startLR, endLR: endLR, steps: steps).validate() } catch let e as TrainingError {
            throw ValidationError(e.message)
        }
        guard batchSize >= 1 && batchSize <= RunConfig.maxBatchSize else {
            throw ValidationError("--batch-size must lie in 1...\(RunConfig.maxBatchSize), got \(batchSize)")
        }
        try CommandSupport.refuseOverwriting(out, option: "--out", inputs: [dataOptions.data].compactMap { $0 })
    }

    public func run() throws { try execute(console: .standard) }

    /// Runs the test, writes the plot and returns the result.
    @discardableResult
    public func execute(console: Console) throws -> LRFinder.Result {
        try resources.apply()
        let arguments = ["--model", model.rawValue, "--hidden", hidden, "--task", task.rawValue, "--optimizer", optimizer.rawValue,
                         "--batch-size", "\(batchSize)", "--seed", "\(seed)"]
            + (dataOptions.data.map { ["--data", $0] } ?? []) + (dataOptions.format.map { ["--format", $0.rawValue] } ?? [])
            + (dataOptions.target.map { ["--target", $0] } ?? [])
        let config = try Train.parse(arguments).runConfig()
        let run = try TrainingRun(config: config, outputDirectory: nil)
        let result = try run.findLearningRate(LRFinder(startLR: startLR, endLR: endLR, steps: steps))
        try AtomicFile.write(to: out) { try $0.write(Array(result.svg(title: "range test: \(config.model.summary), \(config.optimizer.kind.rawValue)").utf8)) }
        console.line("gradus lr-find: \(config.model.summary) on \(run.data.source), \(config.optimizer.kind.rawValue), batch \(batchSize): "
                     + "\(result.learningRates.count) steps from \(startLR) to \(String(format: "%.3g", result.learningRates.last ?? endLR))"
                     + (result.diverged ? " (stopped: the loss diverged)" : ""))
        console.line("steepest descent: \(String(format: "%.3g", result.steepest))")
        console.line("minimum / 10: \(String(format: "%.3g", result.minimumOverTen))")
        console.line("suggested learning rate: \(String(format: "%.3g", result.suggested)); plot: \(out)")
        return result
    }
}
