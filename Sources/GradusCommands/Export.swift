import ArgumentParser
import Foundation
import Gradus
import GradusONNX

/// `gradus export`: writes a checkpoint's model as an ONNX file, with the run's preprocessing in the graph.
public struct Export: ParsableCommand {
    public static let configuration = CommandConfiguration(
        abstract: "Export a checkpoint's model to ONNX, for ONNX Runtime and other runtimes.",
        discussion: """
        The graph takes what `gradus predict` takes, as float32 [batch, features...]: raw pixels as stored \
        (0-255 for MNIST; the graph applies the checkpoint's pixel scale) and unstandardized features (the \
        graph applies the training data's standardization). Classifiers output logits (--probabilities: \
        softmax probabilities, as gradus predict prints); regression models output values in the data's \
        units. --no-preprocessing exports the bare network instead. The batch size is free unless \
        --static-batch. A model of several named inputs (--model fusion) gets one graph input per named \
        input, named after it: feature vectors as stored (standardized in the graph), images as the \
        network saw them in training, 8-bit pixels divided by 255 (values 0-1): the graph does not scale \
        pixels. What the input and output hold is printed and stored in the file's metadata \
        (gradus.input, gradus.output).

        Example:
          gradus export --checkpoint runs/mnist-mlp/checkpoint.safetensors --out mnist.onnx
          then in Python, with onnxruntime and numpy (pixels: uint8 array [n, 784]):
          ort.InferenceSession("mnist.onnx").run(None, {"input": pixels.astype("float32")})[0].argmax(1)
        """
    )

    /// The export formats.
    public enum Format: String, ExpressibleByArgument, CaseIterable, Sendable {
        case onnx
    }

    @Option(help: ArgumentHelp("A checkpoint written by gradus train (or gradus import).", valueName: "file"))
    public var checkpoint: String

    @Option(help: "The format to write.")
    public var format: Format = .onnx

    @Option(help: ArgumentHelp("The file to write, e.g. model.onnx.", valueName: "file"))
    public var out: String

    @Option(help: ArgumentHelp("The ONNX operator set version (\(ONNXExportOptions.supportedOpsets.lowerBound)-\(ONNXExportOptions.supportedOpsets.upperBound)).",
                               valueName: "version"))
    public var opset: Int = 17

    @Flag(help: "Fix the batch size to 1 instead of leaving it free.")
    public var staticBatch = false

    @Flag(help: "Export the bare network: inputs must then be scaled and standardized as in training.")
    public var noPreprocessing = false

    @Flag(help: "End a classifier's graph with softmax: class probabilities instead of logits.")
    public var probabilities = false

    @OptionGroup public var resources: ResourceOptions

    public init() {}

    public func validate() throws {
        try CommandSupport.checkFile(checkpoint, option: "--checkpoint")
        guard ONNXExportOptions.supportedOpsets.contains(opset) else {
            throw ValidationError("--opset \(opset) is not supported; choose \(ONNXExportOptions.supportedOpsets.lowerBound)...\(ONNXExportOptions.supportedOpsets.upperBound)")
        }
        try CommandSupport.refuseOverwriting(out, option: "--out", inputs: [checkpoint])
    }

    public func run() throws { try execute(console: .standard) }

    /// Runs the command, writing to `console`; returns the model written.
    @discardableResult
    public func execute(console: Console) throws -> Onnx_ModelProto {
        try resources.apply()
        let trained = try TrainedModel.load(checkpoint)
        let options = ONNXExportOptions(opset: opset, dynamicAxes: staticBatch ? .none : .batch)
        let proto = try trained.exportONNX(to: out, options: options, preprocessing: !noPreprocessing, probabilities: probabilities)
        let metadata = Dictionary(uniqueKeysWithValues: proto.metadataProps.map { ($0.key, $0.value) })
        let size = (try? FileManager.default.attributesOfItem(atPath: out)[.size] as? Int) ?? nil
        console.line("gradus export: \(trained.config.model.summary) (epoch \(trained.checkpoint.epoch)) -> \(out)"
                     + " (ONNX, opset \(opset), IR version \(proto.irVersion)\(size.map { ", \($0) bytes" } ?? ""))")
        if proto.graph.input.count > 1 || proto.graph.input.first?.name != options.inputName {
            for input in proto.graph.input { console.line("input '\(input.name)': \(metadata["gradus.input.\(input.name)"] ?? "")") }
        } else {
            console.line("input '\(options.inputName)': \(metadata["gradus.input"] ?? "")")
        }
        console.line("output '\(options.outputName)': \(metadata["gradus.output"] ?? "")")
        return proto
    }
}
