import ArgumentParser
import Foundation
import Gradus

/// `gradus import`: turns the weights of a model trained elsewhere (a PyTorch `state_dict` saved with
/// `safetensors.torch.save_file`) into a Gradus checkpoint, so that `evaluate`, `predict` and `explain`
/// run it.
public struct Import: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Make a checkpoint from a PyTorch model's safetensors weights.",
        discussion: """
        The architecture is given with the flags `gradus train` uses; the weights must carry PyTorch's names \
        for it: an MLP is torch.nn.Sequential(Linear, ReLU, ..., Linear), so its tensors are 0.weight, 0.bias, \
        2.weight, ... (a Flatten first shifts them to 1.weight, ...: give --input-shape with several sizes); \
        LeNet-5 is Sequential(Conv2d(c,6,5,padding=2), ReLU, MaxPool2d(2), Conv2d(6,16,5), ReLU, \
        MaxPool2d(2), Flatten, Linear(.,120), ReLU, Linear(120,84), ReLU, Linear(84,n)). --strip-prefix \
        removes a prefix such as "model." from every name. Every tensor is checked against the architecture \
        (missing, unexpected and mis-shaped names are listed).

        Example (PyTorch side: safetensors.torch.save_file(model.state_dict(), "mlp.safetensors")):
          gradus import --weights mlp.safetensors --model mlp --hidden 256,128 --input-shape 784 --outputs 10 \\
                        --data ../shared/data/mnist --format mnist --pixel-scale 0.00392156862745098 --out runs/torch-mlp
          gradus evaluate --checkpoint runs/torch-mlp/checkpoint.safetensors
        """
    )

    @Option(help: ArgumentHelp("The safetensors file of the model's state_dict.", valueName: "file"))
    public var weights: String

    @Option(help: "The architecture: mlp, linear or lenet.")
    public var model: ModelSpec.Architecture = .mlp

    @Option(help: ArgumentHelp("Hidden layer sizes of the MLP, comma-separated.", valueName: "sizes"))
    public var hidden: String = "128"

    @Option(help: ArgumentHelp("The shape of one input sample, comma-separated (784, or 1,28,28).", valueName: "sizes"))
    public var inputShape: String

    @Option(help: "The number of outputs (classes, or values for regression).")
    public var outputs: Int

    @Option(help: "classify or regress.")
    public var task: LearningTask = .classify

    @Option(help: ArgumentHelp("The factor that turns stored 8-bit pixels into the model's inputs (1/255 for a model trained on pixels in [0, 1]).",
                               valueName: "factor"))
    public var pixelScale: Double?

    @Option(help: ArgumentHelp("A prefix to remove from every tensor name (e.g. \"model.\").", valueName: "prefix"))
    public var stripPrefix: String?

    @OptionGroup public var dataOptions: DataOptions

    @OptionGroup public var resources: ResourceOptions

    @Option(help: ArgumentHelp("The output folder; the checkpoint is written to <dir>/checkpoint.safetensors.", valueName: "dir"))
    public var out: String

    public init() {}

    public func validate() throws {
        try CommandSupport.checkFile(weights, option: "--weights")
        guard outputs >= 1 && outputs <= ModelSpec.maxWidth else {
            throw ValidationError("--outputs must lie in 1...\(ModelSpec.maxWidth), got \(outputs)")
        }
        _ = try sizes(inputShape, option: "--input-shape")
        if model == .mlp { _ = try sizes(hidden, option: "--hidden") }
        if let pixelScale, !(pixelScale > 0 && pixelScale <= 1) {
            throw ValidationError("--pixel-scale must lie in (0, 1], got \(pixelScale)")
        }
    }

    func sizes(_ text: String, option: String) throws -> [Int] {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        return try parts.map { p in
            guard let v = Int(p), v >= 1, v <= ModelSpec.maxWidth else {
                throw ValidationError("\(option): '\(p)' is not a size in 1...\(ModelSpec.maxWidth)")
            }
            return v
        }
    }

    public func run() throws { try execute(console: .standard) }

    /// Writes the checkpoint and returns its path.
    @discardableResult
    public func execute(console: Console) throws -> String {
        try resources.apply()
        let spec = ModelSpec(architecture: model, inputShape: try sizes(inputShape, option: "--input-shape"),
                             hidden: model == .mlp ? try sizes(hidden, option: "--hidden") : [], outputs: outputs)
        try spec.validate()
        try spec.checkMemory(source: "--hidden")
        var rng = SeededGenerator(seed: 0)
        let network = try spec.build(generator: &rng)
        let contents = try SafeTensors.load(weights)
        var state: [String: Tensor] = [:]
        for (name, tensor) in contents.tensors {
            var key = name
            if let stripPrefix, key.hasPrefix(stripPrefix) { key = String(key.dropFirst(stripPrefix.count)) }
            state[key] = tensor.dtype == .float32 ? tensor : tensor.to(.float32)
        }
        do {
            try network.loadStateDict(state)
        } catch {
            throw ValidationError("\(weights): the weights do not fit \(spec.summary) (names follow torch.nn.Sequential; see gradus import --help): \(error)")
        }
        var data = try dataOptions.spec(base: nil) ?? DataSpec(format: .digits)
        data.standardize = false
        let config = RunConfig(data: data, model: spec, task: task, optimizer: OptimizerSpec(kind: .sgd),
                               schedule: .none, epochs: 1, batchSize: 32)
        var metadata = ["config": config.json(), "model": spec.summary, "imported_from": weights]
        if let pixelScale { metadata["pixel_scale"] = "\(pixelScale)" }
        if spec.inputShape.count == 3 {
            metadata["image_shape"] = "\(spec.inputShape[1]),\(spec.inputShape[2])"
        }
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let path = (out as NSString).appendingPathComponent("checkpoint.safetensors")
        try Checkpoint(model: network.stateDict(), metadata: metadata).save(to: path)
        console.line("gradus import: \(spec.summary) from \(weights) (\(state.count) tensors); wrote \(path)")
        return path
    }
}
