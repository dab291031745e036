import ArgumentParser
import Gradus

/// The `gradus` command: train, evaluate, predict and explain models from the command line.
public struct GradusCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "gradus",
        abstract: "Train, evaluate and explain neural networks with Gradus.",
        discussion: """
        Start with `gradus train`: with no arguments it trains an MLP on the embedded 8x8 digits and writes \
        its checkpoint, metrics and plot to runs/digits-mlp/. Then `gradus evaluate --checkpoint \
        runs/digits-mlp/checkpoint.safetensors`.
        """,
        subcommands: [Train.self, Evaluate.self, Predict.self, Generate.self, ExplainCommand.self, Import.self, LRFind.self, Tune.self,
                      Export.self, Quantize.self, TuneWorker.self]
    )

    public init() {}
}

extension DataSpec.Format: ExpressibleByArgument {}
extension ModelSpec.Architecture: ExpressibleByArgument {}
extension LearningTask: ExpressibleByArgument {}
extension OptimizerSpec.Kind: ExpressibleByArgument {}
extension EarlyStopping.Monitor: ExpressibleByArgument {}
extension TextTokenizer: ExpressibleByArgument {}
extension FusionModel.Fusion: ExpressibleByArgument {}
extension ScheduleSpec: ExpressibleByArgument {}
extension NonFiniteLossPolicy: ExpressibleByArgument {}

/// Options naming data, shared by the commands.
public struct DataOptions: ParsableArguments {
    /// The data file or folder.
    @Option(help: ArgumentHelp("A data folder (MNIST IDX files, .npy files) or file (.csv, .npy, .npz, .txt); default: the embedded digits (the embedded Shakespeare corpus for --task language-model).",
                               valueName: "dir-or-file"))
    public var data: String?

    /// The format of `--data`.
    @Option(help: "The data format (default: guessed from --data).")
    public var format: DataSpec.Format?

    /// The CSV target column (or the NPZ target array with --inputs).
    @Option(help: ArgumentHelp("The CSV column holding the target (with --inputs: the NPZ array of targets, default y).", valueName: "column"))
    public var target: String?

    /// Several named input arrays of an NPZ file.
    @Option(help: ArgumentHelp("Several inputs: the names of the NPZ arrays the model reads, comma-separated (e.g. image,features; test arrays <name>_test); for --model fusion.",
                               valueName: "names"))
    public var inputs: String?

    public init() {}

    /// A data description from the options, or nil when no data option was given.
    func spec(base: DataSpec?) throws -> DataSpec? {
        guard data != nil || format != nil || target != nil || inputs != nil else { return nil }
        let format = self.format ?? DataSpec.infer(path: data)
        if format != .digits, format != .text, data == nil { throw ValidationError("--format \(format.rawValue) needs --data") }
        if let data, !FileManager.default.fileExists(atPath: data) {
            throw ValidationError("--data \(data): no such file or folder")
        }
        var spec = base ?? DataSpec(format: format)
        spec.format = format
        spec.path = format == .digits ? nil : data
        if let target { spec.target = target }
        if let inputs {
            let names = inputs.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard !names.isEmpty, names.allSatisfy({ !$0.isEmpty }), Set(names).count == names.count else {
                throw ValidationError("--inputs \(inputs): give distinct array names separated by commas, e.g. image,features")
            }
            guard format == .npy else { throw ValidationError("--inputs reads named arrays of an .npz file (or a folder of .npy files)") }
            spec.inputNames = names
        }
        return spec
    }
}

import Foundation

/// Shared helpers of the commands.
enum CommandSupport {
    /// A regression sample's target for a message: its value, or its values (several outputs), in the
    /// data's units (a standardized target is mapped back, as predictions are).
    static func describeTarget(_ target: Tensor, of trained: TrainedModel) -> String {
        let raw = trained.targetStandardizer.map { s in GradMode.noGrad { s.inverseTransform(target.reshape([1, -1])) } } ?? target
        let values = raw.scalars(as: Double.self)
        let text = values.prefix(8).map { String(format: "%.4g", $0) }
        if values.count == 1 { return text[0] }
        return "[" + text.joined(separator: ", ") + (values.count > 8 ? ", …" : "") + "]"
    }

    static func setThreads(_ threads: Int?) throws {
        guard let threads else { return }
        guard threads >= 1 && threads <= 1024 else { throw ValidationError("--threads must lie in 1...1024, got \(threads)") }
        Threading.count = threads
    }

    /// Refuses an output path that is one of the command's input files (or a folder): writing it would
    /// destroy the input (`explain --out checkpoint.safetensors`).
    static func refuseOverwriting(_ output: String, option: String, inputs: [String]) throws {
        let target = URL(fileURLWithPath: output).resolvingSymlinksInPath().standardizedFileURL.path
        for input in inputs where URL(fileURLWithPath: input).resolvingSymlinksInPath().standardizedFileURL.path == target {
            throw ValidationError("\(option) \(output) is an input of this command; writing it would destroy it — choose another file")
        }
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: output, isDirectory: &isDir), isDir.boolValue {
            throw ValidationError("\(option) \(output) is a folder; give a file name")
        }
    }

    static func checkFile(_ path: String, option: String) throws {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw ValidationError("\(option) \(path): no such file")
        }
        guard !isDir.boolValue else { throw ValidationError("\(option) \(path) is a folder, not a file") }
    }
}
