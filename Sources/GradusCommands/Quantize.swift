import ArgumentParser
import Foundation
import Gradus

/// `gradus quantize`: a checkpoint whose linear layers infer with 8-bit weights (dynamic quantization).
public struct Quantize: ParsableCommand {
    public static let configuration = CommandConfiguration(
        abstract: "Quantize a checkpoint's linear and convolution layers to 8-bit weights for faster inference.",
        discussion: """
        Dynamic quantization, as PyTorch's quantize_dynamic: each linear and (ungrouped) convolution layer's weights become 8-bit \
        integers with one scale per output channel, activations are quantized from each batch's range when \
        the model runs, and products are computed in integers (oneDNN, VNNI where the processor has it). \
        The written checkpoint holds the weights the integers stand for and is marked as quantized \
        (metadata quantization = dynamic-int8): gradus predict, evaluate and explain load it as such. \
        The command prints the accuracy (or loss) on the run's test split before and after, so that the \
        cost of quantization is seen before the file is used.

        Example:
          gradus quantize --checkpoint runs/mnist-mlp/checkpoint.safetensors --out runs/mnist-mlp/int8.safetensors
        """
    )

    @Option(help: ArgumentHelp("A checkpoint written by gradus train.", valueName: "file"))
    public var checkpoint: String

    @Option(help: ArgumentHelp("The quantized checkpoint to write.", valueName: "file"))
    public var out: String

    @OptionGroup public var dataOptions: DataOptions

    @OptionGroup public var resources: ResourceOptions

    @Option(help: "Threads for the tensor kernels (default: all cores).")
    public var threads: Int?

    public init() {}

    public func validate() throws {
        try CommandSupport.checkFile(checkpoint, option: "--checkpoint")
        try CommandSupport.refuseOverwriting(out, option: "--out", inputs: [checkpoint])
    }

    public func run() throws { try execute(console: .standard) }

    /// What quantization changed: the test evaluation before and after, and the layers quantized.
    public struct Outcome {
        public var before: Evaluation
        public var after: Evaluation
        public var layers: Int
    }

    /// Runs the command, writing to `console`.
    @discardableResult
    public func execute(console: Console) throws -> Outcome {
        try CommandSupport.setThreads(threads)
        try resources.apply()
        let trained = try TrainedModel.load(checkpoint)
        guard trained.layer != nil else {
            throw ValidationError("--checkpoint \(checkpoint): quantization covers models of one input; this model takes named inputs")
        }
        let data = try trained.loadData(try dataOptions.spec(base: trained.config.data))
        let before = try trained.evaluate(data.test)
        let layers = trained.model.quantizeDynamic()
        guard layers > 0 else {
            throw ValidationError("--checkpoint \(checkpoint): the model \(trained.config.model.summary) has no Float32 linear or convolution layer to quantize")
        }
        let after = try trained.evaluate(data.test)
        var output = trained.checkpoint
        output.model = trained.model.stateDict()
        output.metadata[TrainedModel.quantizationKey] = TrainedModel.dynamicInt8
        try output.save(to: out)
        let parameters = trained.model.parameters().reduce(0) { $0 + $1.count }
        console.line("gradus quantize: \(trained.config.model.summary), \(layers) layer(s) to 8-bit weights (\(parameters) parameters)")
        console.line("test part of \(data.source), \(data.test.count) samples:")
        console.line("  Float32: " + before.summaryLines.joined(separator: ", "))
        console.line("  int8:    " + after.summaryLines.joined(separator: ", "))
        console.line("wrote \(out)")
        return Outcome(before: before, after: after, layers: layers)
    }
}
