import ArgumentParser
import Dispatch
import Foundation
import Gradus
import GradusDistributed

/// The precision of `gradus train --precision`.
public enum TrainingPrecision: String, ExpressibleByArgument, CaseIterable, Sendable {
    case float32, bf16
}

/// `gradus train`: trains a model and writes its checkpoint, metrics and plot.
public struct Train: ParsableCommand {
    public static let configuration = CommandConfiguration(
        abstract: "Train a model (default: an MLP on the embedded digits).",
        discussion: """
        With no arguments: an MLP 64-128-10 on the embedded 8x8 digits (1,437 training / 360 test images, \
        standardized), Adam lr 0.002 with a cosine schedule, batch 32, 30 epochs, seed 0. Outputs go to --out (default runs/<data>-<model>/, e.g. \
        runs/digits-mlp/): checkpoint.safetensors (weights, optimizer state, epoch, step, random state and the \
        run's configuration), metrics.csv (one row per epoch), metrics.svg (loss and accuracy plot) and \
        config.json. The last lines are `test accuracy: NN.NN%` and `test loss: N.NNNN` (regression: \
        `test mse: N`).

        A batch whose loss is NaN or infinite (NaN in the data, a learning rate so large that the weights \
        overflow) stops the run with an error naming the epoch, the batch and the loss; the checkpoint of the \
        last finished epoch is left as it was. --on-nonfinite skip leaves such batches out instead and reports \
        how many in each epoch's line; --detect-anomaly stops at the first operation that produces NaN or Inf \
        and names it.

        Examples:
          gradus train
          gradus train --data /data/mnist --model lenet --optimizer sgd --lr 0.05 --momentum 0.9 --batch-size 64 --epochs 5
          gradus train --data points.csv --task regress --target y --model linear --lr 0.1
          gradus train --resume runs/digits-mlp/epoch-10.safetensors
          gradus train --lr 50 --optimizer sgd --on-nonfinite skip
        """
    )

    @OptionGroup public var dataOptions: DataOptions

    @OptionGroup public var resources: ResourceOptions

    @Option(help: "The model: mlp, linear (one Linear layer) or lenet (LeNet-5, images of at least 12x12); for --task language-model: gpt (default), lstm or gru.")
    public var model: ModelSpec.Architecture?

    @Option(help: ArgumentHelp("Hidden layer sizes of the MLP, comma-separated; \"\" for none (default 128). For lstm/gru: the recurrent size (default 256).", valueName: "sizes"))
    public var hidden: String?

    @Option(help: "classify (cross-entropy, accuracy), regress (mean squared error) or language-model (next-token prediction on text; bits per token and perplexity on the validation split).")
    public var task: LearningTask = .classify

    @Option(help: "Language models: tokens per training window, the model's context (default 128).")
    public var context: Int = 128

    @Option(help: "Language models: the embedding width (gpt: the model width; default 128 for gpt, 64 for lstm/gru); fusion: each input's embedding width (default 64).")
    public var embedding: Int?

    @Option(help: "Language models: transformer blocks or recurrent layers (default 4 for gpt, 2 for lstm/gru).")
    public var layers: Int?

    @Option(help: "fusion: how the inputs' embeddings are combined: concat, gated or attention.")
    public var fusion: FusionModel.Fusion = .concat

    @Option(help: "gpt: attention heads per block (default 4).")
    public var heads: Int = 4

    @Option(help: "Language models and fusion: dropout while training (default 0.1 for gpt, 0 otherwise).")
    public var dropout: Double?

    @Option(help: "Language models: character (a vocabulary built from the text; default) or byte (256 byte tokens).")
    public var tokenizer: TextTokenizer = .character

    @Option(help: "The optimizer.")
    public var optimizer: OptimizerSpec.Kind = .adam

    @Option(help: "The learning rate (default: sgd 0.05, adam/adamw 0.002, rmsprop 0.001, adagrad 0.01), or auto: the suggestion of the range test (gradus lr-find) on this model and data.")
    public var lr: LearningRateOption?

    @Option(help: "Momentum for sgd and rmsprop (default: 0.9 for sgd, 0 for rmsprop).")
    public var momentum: Double?

    @Option(help: "Weight decay (default: 0).")
    public var weightDecay: Double = 0

    @Option(help: "The learning-rate schedule: none, step (x0.1 every third of the run), cosine, onecycle (PyTorch's OneCycleLR; it also cycles the momentum, or Adam's beta1, between 0.95 and 0.85 when the optimizer has one), plateau (ReduceLROnPlateau: x0.1 after 3 epochs without improvement of the validation loss, or of the training loss without --early-stopping).")
    public var schedule: ScheduleSpec = .cosine

    @Option(help: "The number of epochs (default: 30; with --resume: the saved run's).")
    public var epochs: Int?

    @Option(help: "Samples per batch.")
    public var batchSize: Int = 32

    @Option(help: "The seed of the weights, the data order and the split.")
    public var seed: UInt64 = 0

    @Option(help: "The fraction of CSV/NPY data held out for testing when it has no split of its own (default 0.2), or of text held out for validation (default 0.1).")
    public var testFraction: Double?

    @Option(help: "The seed of the train/test split (default: --seed), so that runs with other seeds are tested on the same samples.")
    public var splitSeed: UInt64?

    @Option(help: ArgumentHelp("A test set of its own (same format and columns as --data): --data is then used whole for training.",
                               valueName: "file"))
    public var testData: String?

    @Flag(inversion: .prefixedNo,
          help: "Standardize flat features with the training part's mean and deviation (default: on for digits and for classification of CSV/NPY tables; off for regression, so weights stay in data units).")
    public var standardize: Bool?

    @Option(help: ArgumentHelp("Stop when the validation score has not improved for this many epochs, and keep the best weights; the validation part is held out of the training data (--validation-fraction), and the epoch lines then show validation scores.",
                               valueName: "patience"))
    public var earlyStopping: Int?

    @Option(help: "The score early stopping watches: loss or accuracy (validation).")
    public var monitor: EarlyStopping.Monitor = .loss

    @Option(help: "The smallest improvement that counts for early stopping.")
    public var minDelta: Double = 0

    @Option(help: "The share of the training data held out for validation with --early-stopping.")
    public var validationFraction: Double = 0.1

    @Flag(help: "Regression: standardize the targets with the training part's mean and deviation (predictions come back in data units; losses are in standardized units).")
    public var standardizeTarget = false

    @Option(help: "The precision of the matrix products: float32, or bf16 (operands rounded to bfloat16, Float32 accumulation, weights and optimizer state; processors where bfloat16 runs faster than Float32 (AMX, or AVX512_BF16 on AMD), Float32 elsewhere with a message).")
    public var precision: TrainingPrecision = .float32

    @Option(help: "Threads for the tensor kernels (default: all cores).")
    public var threads: Int?

    @Option(help: ArgumentHelp("The output folder (default: runs/<data>-<model>/, e.g. runs/digits-mlp/).", valueName: "dir"))
    public var out: String?

    @Option(help: ArgumentHelp("Also keep epoch-N.safetensors every N epochs (0: only the latest checkpoint).", valueName: "n"))
    public var saveEvery: Int = 0

    @Option(help: ArgumentHelp("Continue the run saved in a checkpoint exactly (weights, optimizer, epoch, data order, random state); its configuration is used, with --epochs, --data, --out and --threads as overrides.",
                               valueName: "checkpoint"))
    public var resume: String?

    @Option(name: .customLong("on-nonfinite"),
            help: ArgumentHelp("When a batch's loss is NaN or infinite: stop (default; an error naming the epoch, batch and loss, the last checkpoint kept), skip (no update for that batch; the epoch line counts them) or ignore (update anyway).",
                               valueName: "stop|skip|ignore"))
    public var onNonFinite: NonFiniteLossPolicy?

    @Flag(help: "Check every operation's result for NaN and its gradient for NaN or Inf, and stop at the first, naming the operation (slow; for debugging).")
    public var detectAnomaly = false

    @Flag(help: "Add the process's resident memory (VmRSS) to each epoch's line, e.g. `rss 123.4 MiB`.")
    public var logMemory = false

    @Flag(help: "Print only the final lines.")
    public var quiet = false

    @Flag(help: "Train data-parallel over the processes of an MPI launch (implied when started by mpirun): --batch-size is the global batch, split evenly over the processes; only the first process prints and writes files.")
    public var distributed = false

    public init() {}

    public func validate() throws {
        if let epochs, epochs < 1 { throw ValidationError("--epochs must be at least 1, got \(epochs)") }
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1, got \(batchSize)") }
        guard saveEvery >= 0 else { throw ValidationError("--save-every must not be negative, got \(saveEvery)") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
        if case .value(let lr)? = lr, !(lr > 0 && lr.isFinite) { throw ValidationError("--lr must be a positive number or auto, got \(lr)") }
        if lr == .auto, resume != nil { throw ValidationError("--lr auto cannot change a resumed run's learning rate") }
        if let momentum, !(momentum >= 0 && momentum < 1) { throw ValidationError("--momentum must lie in [0, 1), got \(momentum)") }
        guard weightDecay >= 0, weightDecay.isFinite else { throw ValidationError("--weight-decay must not be negative, got \(weightDecay)") }
        if let testFraction, !(testFraction > 0 && testFraction < 1) {
            throw ValidationError("--test-fraction must lie strictly between 0 and 1, got \(testFraction)")
        }
        _ = try hiddenSizes()
        if let model, model.isLanguageModel != (task == .languageModel) {
            throw ValidationError(task == .languageModel
                ? "--task language-model needs --model gpt, lstm or gru, not \(model.rawValue)"
                : "--model \(model.rawValue) is a language model: add --task language-model")
        }
        guard context >= 1 && context <= 65536 else { throw ValidationError("--context must lie in 1...65536, got \(context)") }
        if let embedding, !(embedding >= 1 && embedding <= 65536) { throw ValidationError("--embedding must lie in 1...65536, got \(embedding)") }
        if let layers, !(layers >= 1 && layers <= 256) { throw ValidationError("--layers must lie in 1...256, got \(layers)") }
        guard heads >= 1 && heads <= 65536 else { throw ValidationError("--heads must lie in 1...65536, got \(heads)") }
        if let dropout, !(dropout >= 0 && dropout < 1) { throw ValidationError("--dropout must lie in [0, 1), got \(dropout)") }
        if let resume { try CommandSupport.checkFile(resume, option: "--resume") }
    }

    /// The `--hidden` sizes.
    func hiddenSizes() throws -> [Int] {
        let parts = (hidden ?? "128").split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        if parts.allSatisfy(\.isEmpty) { return [] }
        return try parts.map { p in
            guard let v = Int(p), v >= 1 else { throw ValidationError("--hidden: '\(p)' is not a positive layer size (use e.g. --hidden 256,128)") }
            return v
        }
    }

    /// The run configuration the options describe (without `--resume`).
    public func runConfig() throws -> RunConfig {
        if task == .languageModel { return try languageModelConfig() }
        var data = try dataOptions.spec(base: nil) ?? DataSpec(format: .digits)
        guard data.format != .text else { throw ValidationError("text data is for --task language-model") }
        data.testFraction = testFraction ?? 0.2
        data.splitSeed = splitSeed ?? seed
        if standardizeTarget {
            guard task == .regress else { throw ValidationError("--standardize-target is for regression (--task regress)") }
            data.standardizeTarget = true
        }
        if let testData {
            guard data.format == .csv || data.format == .npy else {
                throw ValidationError("--test-data needs CSV or NPY data (MNIST and the digits have their own test sets)")
            }
            try CommandSupport.checkFile(testData, option: "--test-data")
            data.testPath = testData
        }
        data.standardize = standardize ?? (data.format == .digits || (task == .classify && data.format != .mnist))
        let model = self.model ?? .mlp
        var spec = ModelSpec(architecture: model, inputShape: [], hidden: model == .mlp ? try hiddenSizes() : [], outputs: 0)
        if model == .fusion {
            guard data.inputNames != nil else { throw ValidationError("--model fusion needs several named inputs: --data FILE.npz --inputs a,b") }
            spec.hidden = hidden == nil ? [64] : try hiddenSizes()
            spec.embedding = embedding ?? 64
            spec.fusion = fusion
            spec.dropout = dropout ?? 0
        } else if data.inputNames != nil {
            throw ValidationError("--inputs names several inputs: use --model fusion")
        }
        var config = RunConfig(data: data,
                         model: spec,
                         task: task,
                         optimizer: optimizerSpec(),
                         schedule: schedule, epochs: epochs ?? 30, batchSize: batchSize, seed: seed, saveEvery: saveEvery,
                         nonFiniteLoss: onNonFinite ?? .stop)
        try addEarlyStopping(&config)
        return config
    }

    /// The optimizer the options describe.
    func optimizerSpec() -> OptimizerSpec {
        OptimizerSpec(kind: optimizer, learningRate: lr?.value, momentum: momentum ?? (optimizer == .sgd ? 0.9 : 0), weightDecay: weightDecay)
    }

    /// The run configuration of `--task language-model`: text (a file, or the embedded corpus) in
    /// windows of `--context` tokens, and a GPT, LSTM or GRU language model.
    func languageModelConfig() throws -> RunConfig {
        var data = try dataOptions.spec(base: nil) ?? DataSpec(format: .text)
        guard data.format == .text else {
            throw ValidationError("--task language-model reads text: give a .txt file with --data (or --format text), or no --data for the embedded corpus")
        }
        data.testFraction = testFraction ?? 0.1
        data.splitSeed = splitSeed ?? seed
        data.tokenizer = tokenizer
        data.contextLength = context
        data.standardize = false
        if standardize == true { throw ValidationError("--standardize is not for text") }
        let architecture = self.model ?? .gpt
        let gpt = architecture == .gpt
        let recurrentSize = hidden == nil ? [256] : try hiddenSizes()
        if !gpt, recurrentSize.count != 1 {
            throw ValidationError("--hidden \(hidden ?? ""): \(architecture.rawValue) takes one recurrent size")
        }
        var model = ModelSpec(architecture: architecture, inputShape: [context], hidden: gpt ? [] : recurrentSize, outputs: 0)
        model.embedding = embedding ?? (gpt ? 128 : 64)
        model.layers = layers ?? (gpt ? 4 : 2)
        model.heads = gpt ? heads : nil
        model.dropout = dropout ?? (gpt ? 0.1 : 0)
        if gpt, model.embedding! % heads != 0 {
            throw ValidationError("--heads \(heads) must divide --embedding \(model.embedding!)")
        }
        var config = RunConfig(data: data, model: model, task: .languageModel, optimizer: optimizerSpec(), schedule: schedule,
                               epochs: epochs ?? 10, batchSize: batchSize, seed: seed, saveEvery: saveEvery,
                               nonFiniteLoss: onNonFinite ?? .stop)
        try addEarlyStopping(&config)
        return config
    }

    /// Adds `--early-stopping` to a configuration.
    func addEarlyStopping(_ config: inout RunConfig) throws {
        if let earlyStopping {
            config.earlyStopping = EarlyStopping(patience: earlyStopping, monitor: monitor, minDelta: minDelta,
                                                 validationFraction: validationFraction)
            do { try config.earlyStopping!.validate(task: task) } catch let e as TrainingError { throw ValidationError(e.message) }
        }
    }

    /// The default output folder, `runs/<data>-<model>`.
    func defaultOut(_ config: RunConfig) -> String {
        var name = config.data.format == .text && config.data.path == nil ? "shakespeare" : config.data.format.rawValue
        if let path = config.data.path, config.data.format == .csv || config.data.format == .npy || config.data.format == .text {
            name = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
        }
        return "runs/\(name)-\(config.model.architecture.rawValue)"
    }

    public func run() throws { try execute(console: .standard) }

    /// Runs the command, writing to `console`; returns the final evaluation.
    @discardableResult
    public func execute(console: Console) throws -> Evaluation {
        guard distributed || ProcessGroup.isLaunchedByMPI else { return try train(console: console, group: nil) }
        let group = try ProcessGroup.initialize()
        do {
            // One compute thread per core of this machine's share unless --threads says otherwise.
            if threads == nil {
                Threading.count = max(1, ProcessInfo.processInfo.activeProcessorCount / max(1, group.localWorldSize))
            }
            let quietConsole = Console(isTerminal: false, write: { _ in })
            let result = try train(console: group.rank == 0 ? console : quietConsole, group: group)
            try group.barrier()
            try group.finalize()
            return result
        } catch let exit as ExitCode {
            // An interruption that every process agreed on: all leave together.
            try? group.finalize()
            throw exit
        } catch {
            // The others may be waiting in a collective for this process: stop the whole job, naming
            // the process that failed.
            FileHandle.standardError.write(Data("gradus train: process \(group.rank) of \(group.worldSize) (\(group.processorName)) failed: \(error)\n".utf8))
            group.abort(code: 1)
        }
    }

    /// The training itself, alone or as one of the processes of `group`.
    func train(console: Console, group: ProcessGroup?) throws -> Evaluation {
        try CommandSupport.setThreads(threads)
        try resources.apply()
        var productPrecision = Float32ProductPrecision.highest
        if precision == .bf16 {
            if !MatrixProductBackend.hasNativeBFloat16 {
                console.line("gradus train: this processor has no bfloat16 instructions (AVX512_BF16 or AMX); training in Float32")
            } else if !MatrixProductBackend.bfloat16ProductsAreFaster {
                let speedup = MatrixProductBackend.bfloat16DotProductSpeedup
                console.line("gradus train: this processor's bfloat16 dot products (AVX512_BF16, no AMX) run at "
                    + "\(String(format: "%.2f", speedup))x the rate of its Float32 ones, so bf16 would train slower; training in Float32")
            } else {
                productPrecision = .medium
            }
        }
        return try MatrixProductBackend.withFloat32Precision(productPrecision) {
            try trainInScope(console: console, group: group)
        }
    }

    func trainInScope(console: Console, group: ProcessGroup?) throws -> Evaluation {
        let writes = (group?.rank ?? 0) == 0
        let run: TrainingRun
        if let resume {
            run = try TrainingRun(resuming: resume, epochs: epochs, data: try dataOptions.spec(base: nil),
                                  outputDirectory: out, nonFiniteLoss: onNonFinite, writesOutputs: writes)
        } else {
            var config = try runConfig()
            if lr == .auto {
                // The range test on the model and data this run trains (state restored), then the run
                // itself with the suggestion written into its configuration (so resume is exact).
                // Under mpirun the first process runs it and the others take its result, so that every
                // replica trains with the same rate.
                var found: LRFinder.Result? = nil
                if (group?.rank ?? 0) == 0 {
                    found = try TrainingRun(config: config, outputDirectory: nil).findLearningRate()
                }
                if let group {
                    config.optimizer.learningRate = try group.allReduce([found?.suggested ?? 0])[0]
                } else {
                    config.optimizer.learningRate = found!.suggested
                }
                if !quiet, let found {
                    console.line("gradus train: --lr auto: the range test suggests \(String(format: "%.3g", found.suggested)) "
                                 + "(the smaller of steepest descent \(String(format: "%.3g", found.steepest)) and minimum/10 \(String(format: "%.3g", found.minimumOverTen)))")
                }
            }
            run = try TrainingRun(config: config, outputDirectory: writes ? (out ?? defaultOut(config)) : nil)
        }
        let c = run.config
        var processes = ""
        if let group {
            guard c.batchSize % group.worldSize == 0 else {
                throw ValidationError("--batch-size \(c.batchSize) is the global batch, split over \(group.worldSize) processes: give a multiple of \(group.worldSize)")
            }
            try run.trainer.distribute(over: group)
            processes = " over \(group.worldSize) processes (\(c.batchSize / group.worldSize) samples each, \(Threading.count) thread\(Threading.count == 1 ? "" : "s") per process)"
        }
        if !quiet {
            let start = run.trainer.epoch > 0 ? ", resuming after epoch \(run.trainer.epoch)" : ""
            console.line("gradus train: \(c.model.summary) on \(run.data.source) (\(run.data.train.count) train / \(run.data.test.count) test), "
                         + "\(c.optimizer.summary), schedule \(c.schedule.rawValue), batch \(c.batchSize)\(processes), \(c.epochs) epochs, seed \(c.seed)\(start)")
        }
        let anomalyWas = AnomalyMode.isEnabled
        if detectAnomaly { AnomalyMode.isEnabled = true }
        defer { AnomalyMode.isEnabled = anomalyWas }
        let progressBar = console.isTerminal && !quiet
        var lastDraw: UInt64 = 0
        let began = DispatchTime.now().uptimeNanoseconds
        // Ctrl-C and SIGTERM stop at the next batch, save a resumable checkpoint and exit 130 / 143.
        Interruption.reset()
        Interruption.installSignalHandlers()
        do {
        try run.run(onBatch: progressBar ? { p in
            let now = DispatchTime.now().uptimeNanoseconds
            if now - lastDraw > 100_000_000 || p.batch == p.batches {
                lastDraw = now
                console.write("\r" + p.line() + "\u{1B}[K")
            }
        } : nil) { m in
            guard !quiet else { return }
            if progressBar { console.write("\r\u{1B}[K") }
            console.line(Self.epochLine(m, epochs: c.epochs, residentBytes: logMemory ? ResidentMemory.bytes() : nil,
                                        validation: run.validation != nil || c.task == .languageModel,
                                        languageModel: c.task == .languageModel))
        }
        } catch let stop as TrainingInterrupted {
            if progressBar { console.write("\r\u{1B}[K") }
            console.line("gradus train: " + stop.message)
            throw ExitCode(stop.exitStatus)
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - began) / 1e9
        if let stopped = run.stoppedEarly, !quiet {
            console.line("early stopping after epoch \(stopped.epoch): no validation improvement for \(c.earlyStopping!.patience) epochs; kept the weights of epoch \(stopped.best)")
        }
        let result = run.evaluate()
        if !quiet, let dir = run.outputDirectory {
            console.line(String(format: "trained in %.1f s; wrote ", seconds)
                         + "\((dir as NSString).appendingPathComponent("checkpoint.safetensors")), metrics.csv, metrics.svg")
        }
        for line in result.summaryLines { console.line(line) }
        return result
    }

    static func epochLine(_ m: EpochMetrics, epochs: Int, residentBytes: Int? = nil, validation: Bool = false,
                          languageModel: Bool = false) -> String {
        var s = "epoch \(m.epoch)/\(epochs)  loss " + String(format: "%.4f", m.trainLoss)
        if let a = m.trainAccuracy { s += String(format: "  acc %.2f%%", a * 100) }
        let part = validation ? "val" : "test"
        if let l = m.testLoss {
            s += String(format: "  \(part) loss %.4f", l)
            // Bits per token: bits per character with a character vocabulary.
            if languageModel { s += String(format: "  \(part) bpt %.3f", l / log(2.0)) }
        }
        if let a = m.testAccuracy { s += String(format: "  \(part) acc %.2f%%", a * 100) }
        s += String(format: "  lr %.3g  %.0f \(languageModel ? "tokens" : "samples")/s  %.2f s", m.learningRate, m.samplesPerSecond, m.seconds)
        if m.skippedBatches > 0 {
            s += "  skipped \(m.skippedBatches) batch\(m.skippedBatches == 1 ? "" : "es") (non-finite loss)"
        }
        if let residentBytes { s += String(format: "  rss %.1f MiB", Double(residentBytes) / 1_048_576) }
        return s
    }
}

/// `--lr`: a number or `auto`.
public enum LearningRateOption: ExpressibleByArgument, Equatable, Sendable {
    /// A given rate.
    case value(Double)
    /// The range test's suggestion.
    case auto

    public init?(argument: String) {
        if argument.lowercased() == "auto" { self = .auto; return }
        guard let v = Double(argument) else { return nil }
        self = .value(v)
    }

    /// The rate, or nil for `auto`.
    public var value: Double? {
        if case .value(let v) = self { return v }
        return nil
    }
}
