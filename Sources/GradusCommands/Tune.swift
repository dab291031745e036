import ArgumentParser
import Foundation
import Gradus
import GradusDistributed
#if canImport(Glibc)
import Glibc
#endif

/// `gradus tune`: a hyperparameter search (see ``Tuner``) over the options of `gradus train`.
public struct Tune: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "tune",
        abstract: "Search hyperparameters: trials scored on a validation split, the best retrained and tested once.",
        discussion: """
        Each trial trains the model `gradus train` builds from the same flags, with the values of one point of \
        the search space, and is scored after every epoch on a validation part carved from the training data \
        (--validation-fraction, seeded): accuracy for classification (higher is better), loss for regression. \
        Unpromising trials are stopped early (--pruner). The test set is never used by the trials: after the \
        search, the best configuration is retrained on the whole training part into OUT/best/ and evaluated \
        once on the test set.

        Search space (--space, repeatable, or --space-file FILE.json; see docs/tuning.md): \
        lr=loguniform:1e-4:1e-1, weight-decay=loguniform:1e-6:1e-2, momentum=uniform:0:0.99, \
        batch-size=choice:16,32,64, hidden=choice:64,128,256 (lists of layers: hidden=choice:64|128,64), \
        depth=int:1:3, epochs=int:3:10, optimizer=choice:sgd,adam, schedule=choice:none,cosine,onecycle. \
        Default: lr=loguniform:1e-4:1e-1, hidden=choice:64,128,256 (mlp only), batch-size=choice:16,32,64.

        Outputs in --out (default runs/tune-<data>/): study.jsonl (the journal; a killed study continues \
        with --resume), results.csv (one row per trial), study.svg (score per trial and best so far), \
        trials/NNNN/ (each trial's checkpoint), best/checkpoint.safetensors and best/command.txt (the \
        `gradus train` command that reproduces the best configuration).

        Examples:
          gradus tune --trials 20 --epochs 5
          gradus tune --data /data/mnist --space lr=loguniform:1e-4:1e-1 --space batch-size=choice:32,64,128 --pruner asha
          gradus tune --resume --out runs/tune-digits --trials 40
          gradus tune --trials 12 --epochs 3 --workers 2      # two trials at a time
        """
    )

    /// The samplers.
    public enum SamplerName: String, CaseIterable, ExpressibleByArgument, Sendable {
        /// Random search.
        case random
        /// Grid search.
        case grid
        /// Tree-structured Parzen Estimator.
        case tpe
    }

    /// The pruners.
    public enum PrunerName: String, CaseIterable, ExpressibleByArgument, Sendable {
        /// No pruning.
        case none
        /// The median stopping rule.
        case median
        /// Asynchronous successive halving.
        case asha
    }

    @OptionGroup public var dataOptions: DataOptions

    @OptionGroup public var resources: ResourceOptions

    @Option(name: .customLong("space"),
            help: ArgumentHelp("A hyperparameter and its distribution, e.g. lr=loguniform:1e-4:1e-1, epochs=int:3:10, optimizer=choice:sgd,adam (repeat for several).",
                               valueName: "name=spec"))
    public var space: [String] = []

    @Option(help: ArgumentHelp("The search space as a JSON file (see docs/tuning.md).", valueName: "file"))
    public var spaceFile: String?

    @Option(help: "The sampler: random, grid or tpe (Tree-structured Parzen Estimator, Optuna's default).")
    public var sampler: SamplerName = .tpe

    @Option(help: "The pruner: none, median (the median stopping rule) or asha (asynchronous successive halving).")
    public var pruner: PrunerName = .median

    @Option(help: "The number of trials of the study (with --resume: the total, earlier trials included).")
    public var trials: Int = 20

    @Option(help: ArgumentHelp("Stop searching after this many seconds: no trial starts after it, a running one is stopped (recorded as pruned). The retraining of the best configuration follows.",
                               valueName: "seconds"))
    public var timeLimit: Double?

    @Option(help: "The share of the training data held out to score the trials.")
    public var validationFraction: Double = 0.2

    @Option(help: "Grid search: points per numeric parameter.")
    public var gridPoints: Int = 5

    @Option(help: "The seed of the study (the sampler) and of every trial's weights, data order and split.")
    public var seed: UInt64 = 0

    @Option(help: ArgumentHelp("The study's folder (default: runs/tune-<data>/).", valueName: "dir"))
    public var out: String?

    @Flag(help: "Continue the study in --out from its journal (its own space and settings are used).")
    public var resume = false

    @Option(help: "The model: mlp, linear or lenet.")
    public var model: ModelSpec.Architecture = .mlp

    @Option(help: ArgumentHelp("Hidden layer sizes of the MLP when not searched, comma-separated.", valueName: "sizes"))
    public var hidden: String = "128"

    @Option(help: "classify (validation accuracy is maximized) or regress (validation loss is minimized).")
    public var task: LearningTask = .classify

    @Option(help: "The optimizer when not searched.")
    public var optimizer: OptimizerSpec.Kind = .adam

    @Option(help: "The learning rate when not searched (default: the optimizer's).")
    public var lr: Double?

    @Option(help: "Momentum for sgd and rmsprop when not searched (default: 0.9 for sgd, 0 otherwise).")
    public var momentum: Double?

    @Option(help: "Weight decay when not searched.")
    public var weightDecay: Double = 0

    @Option(help: "The learning-rate schedule when not searched: none, step, cosine, onecycle or plateau.")
    public var schedule: ScheduleSpec = .cosine

    @Option(help: "Epochs per trial when not searched.")
    public var epochs: Int = 10

    @Option(help: "Samples per batch when not searched.")
    public var batchSize: Int = 32

    @Option(help: "The fraction of CSV/NPY data held out for testing when it has no split of its own.")
    public var testFraction: Double = 0.2

    @Option(help: "The seed of the train/test split (default: --seed).")
    public var splitSeed: UInt64?

    @Option(help: ArgumentHelp("A test set of its own (same format and columns as --data).", valueName: "file"))
    public var testData: String?

    @Flag(inversion: .prefixedNo, help: "Standardize flat features (default as gradus train).")
    public var standardize: Bool?

    @Flag(help: "Regression: standardize the targets.")
    public var standardizeTarget = false

    @Option(help: "Threads for the tensor kernels (default: all cores; with --workers: --worker-threads per worker).")
    public var threads: Int?

    @Option(help: "Trials trained at the same time, each in a worker process of this program (1: one after another in this process).")
    public var workers: Int = 1

    @Option(help: "Compute threads of each worker process (with --workers above 1).")
    public var workerThreads: Int = 1

    @Flag(help: "Print only the final lines.")
    public var quiet = false

    public init() {}

    /// The search space used when neither --space nor --space-file is given.
    public static func defaultSpace(model: ModelSpec.Architecture) -> [String] {
        ["lr=loguniform:1e-4:1e-1"] + (model == .mlp ? ["hidden=choice:64,128,256"] : []) + ["batch-size=choice:16,32,64"]
    }

    public func validate() throws {
        guard trials >= 1 && trials <= Tuner.maxTrials else {
            throw ValidationError("--trials must lie in 1...\(Tuner.maxTrials), got \(trials)")
        }
        if let timeLimit, !(timeLimit > 0 && timeLimit.isFinite) {
            throw ValidationError("--time-limit must be a positive number of seconds, got \(timeLimit)")
        }
        guard validationFraction > 0, validationFraction < 1 else {
            throw ValidationError("--validation-fraction must lie strictly between 0 and 1, got \(validationFraction)")
        }
        guard gridPoints >= 1 && gridPoints <= 1000 else { throw ValidationError("--grid-points must lie in 1...1000, got \(gridPoints)") }
        guard epochs >= 1 && epochs <= RunConfig.maxEpochs else {
            throw ValidationError("--epochs must lie in 1...\(RunConfig.maxEpochs), got \(epochs)")
        }
        guard batchSize >= 1 && batchSize <= RunConfig.maxBatchSize else {
            throw ValidationError("--batch-size must lie in 1...\(RunConfig.maxBatchSize), got \(batchSize)")
        }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
        guard workers >= 1 && workers <= TrialWorkers.maxCount else {
            throw ValidationError("--workers must lie in 1...\(TrialWorkers.maxCount), got \(workers)")
        }
        guard workerThreads >= 1 && workerThreads <= 1024 else {
            throw ValidationError("--worker-threads must lie in 1...1024, got \(workerThreads)")
        }
        if let lr, !(lr > 0 && lr.isFinite) { throw ValidationError("--lr must be a positive number, got \(lr)") }
        if let momentum, !(momentum >= 0 && momentum < 1) { throw ValidationError("--momentum must lie in [0, 1), got \(momentum)") }
        guard weightDecay >= 0, weightDecay.isFinite else { throw ValidationError("--weight-decay must not be negative, got \(weightDecay)") }
        guard testFraction > 0, testFraction < 1 else {
            throw ValidationError("--test-fraction must lie strictly between 0 and 1, got \(testFraction)")
        }
        guard space.isEmpty || spaceFile == nil else { throw ValidationError("give the search space with --space or with --space-file, not both") }
        if let spaceFile { try CommandSupport.checkFile(spaceFile, option: "--space-file") }
        if !space.isEmpty {
            do { _ = try SearchSpace.parse(space) } catch let e as TrainingError { throw ValidationError("--space: " + e.message) }
        }
    }

    /// The base training configuration: what `gradus train` makes of the same flags.
    public func baseConfig() throws -> RunConfig {
        var args = ["--model", model.rawValue, "--hidden", hidden, "--task", task.rawValue, "--optimizer", optimizer.rawValue,
                    "--weight-decay", "\(weightDecay)", "--schedule", schedule.rawValue, "--epochs", "\(epochs)",
                    "--batch-size", "\(batchSize)", "--seed", "\(seed)", "--test-fraction", "\(testFraction)"]
        if let lr { args += ["--lr", "\(lr)"] }
        if let momentum { args += ["--momentum", "\(momentum)"] }
        if let splitSeed { args += ["--split-seed", "\(splitSeed)"] }
        if let testData { args += ["--test-data", testData] }
        if let standardize { args.append(standardize ? "--standardize" : "--no-standardize") }
        if standardizeTarget { args.append("--standardize-target") }
        if let data = dataOptions.data { args += ["--data", data] }
        if let format = dataOptions.format { args += ["--format", format.rawValue] }
        if let target = dataOptions.target { args += ["--target", target] }
        let train: Train
        do {
            train = try Train.parse(args)
        } catch {
            throw ValidationError(Train.message(for: error))
        }
        return try train.runConfig()
    }

    /// The search space of the flags (or the default one).
    public func searchSpace() throws -> SearchSpace {
        if let spaceFile { return try SearchSpace.load(file: spaceFile) }
        return try SearchSpace.parse(space.isEmpty ? Self.defaultSpace(model: model) : space)
    }

    /// The study's settings from the flags.
    public func settings() throws -> StudySettings {
        let samplerSpec: SamplerSpec
        switch sampler {
        case .random: samplerSpec = .random
        case .grid: samplerSpec = .grid(pointsPerDimension: gridPoints)
        case .tpe: samplerSpec = .tpe()
        }
        let prunerSpec: PrunerSpec
        switch pruner {
        case .none: prunerSpec = .off
        case .median: prunerSpec = .median()
        case .asha: prunerSpec = .asha()
        }
        return StudySettings(space: try searchSpace(), base: try baseConfig(), seed: seed, sampler: samplerSpec,
                             pruner: prunerSpec, validationFraction: validationFraction)
    }

    /// The default study folder, `runs/tune-<data>`.
    func defaultOut(_ config: RunConfig) -> String {
        var name = config.data.format.rawValue
        if let path = config.data.path, config.data.format == .csv || config.data.format == .npy {
            name = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
        }
        return "runs/tune-\(name)"
    }

    public func run() throws { try execute(console: .standard) }

    /// Runs the study, writing to `console`; returns its result.
    @discardableResult
    public func execute(console: Console) throws -> StudyResult {
        // Under mpirun: rank 0 coordinates the study, every other rank trains one trial at a time.
        guard ProcessGroup.isLaunchedByMPI else { return try study(console: console, bridge: nil) }
        let group = try ProcessGroup.initialize()
        guard group.worldSize > 1 else {
            let result = try study(console: console, bridge: nil)
            try group.finalize()
            return result
        }
        guard workers == 1 else {
            throw ValidationError("--workers: under mpirun every process but the first trains trials (\(group.worldSize - 1) at a time); leave out --workers")
        }
        if group.rank != 0 {
            try MPITrialBridge.serveTrials(group: group, executable: TrialWorkers.currentExecutable)
            try group.finalize()
            throw ExitCode.success
        }
        let bridge = try MPITrialBridge(group: group)
        do {
            let result = try study(console: console, bridge: bridge)
            try bridge.stop()
            try group.finalize()
            return result
        } catch {
            try? bridge.stop()
            try? group.finalize()
            throw error
        }
    }

    /// The study itself, its trials in this process, in worker processes, or on the ranks of an MPI job
    /// through `bridge`.
    func study(console: Console, bridge: MPITrialBridge?) throws -> StudyResult {
        try CommandSupport.setThreads(threads)
        try resources.apply()
        let tuner: Tuner
        if resume {
            let folder = try out ?? defaultOut(baseConfig())
            tuner = try Tuner(resuming: folder)
            if !quiet {
                let finished = tuner.trials.filter { $0.state.isFinished }.count
                let unfinished = tuner.trials.count - finished
                console.line("gradus tune: resuming the study in \(folder): \(finished) trial\(finished == 1 ? "" : "s") finished"
                             + (unfinished > 0 ? ", \(unfinished) unfinished (run again)" : ""))
                if !space.isEmpty || spaceFile != nil {
                    console.line("gradus tune: the study's own search space and settings are used; --space and --space-file are ignored")
                }
            }
        } else {
            let studySettings = try self.settings()
            tuner = try Tuner(settings: studySettings, directory: out ?? defaultOut(studySettings.base))
        }
        if workers > 1 { tuner.workers = TrialWorkers(count: workers, threads: workerThreads) }
        if let bridge {
            let ranks = ProcessGroup.isLaunchedByMPI ? (try ProcessGroup.initialize().worldSize - 1) : 1
            var relayed = TrialWorkers(count: ranks, arguments: ["tune-worker", "--relay", bridge.socketPath], threads: workerThreads)
            relayed.singleWorkerInProcess = false
            tuner.workers = relayed
        }
        let s = tuner.settings
        let direction = s.direction
        let names = s.space.names
        let short = direction == .maximize ? "val acc" : "val loss"
        if !quiet {
            let b = s.base
            var parallel = ""
            if bridge != nil { parallel = ", \(tuner.workers?.count ?? 1) MPI processes training one trial each" }
            if workers > 1 { parallel = ", \(workers) workers of \(workerThreads) thread\(workerThreads == 1 ? "" : "s")" }
            let limitText = timeLimit.map { String(format: ", time limit %.0f s", $0) } ?? ""
            let shareText = "\(Int((s.validationFraction * 100).rounded()))%"
            console.line("gradus tune: \(s.sampler.name) sampler, pruner \(s.pruner.name), \(trials) trials" + limitText + parallel
                         + ", \(short) on \(shareText) of the training part, seed \(s.seed); study in \(tuner.directory)")
            console.line("base: \(b.model.architecture.rawValue)"
                         + (b.model.architecture == .mlp ? " hidden \(b.model.hidden.map(String.init).joined(separator: ","))" : "")
                         + ", \(b.optimizer.summary), schedule \(b.schedule.rawValue), batch \(b.batchSize), \(b.epochs) epochs, seed \(b.seed)")
            console.line("space: " + s.space.dimensions.map { "\($0.name)=\($0.parameter.specText)" }.joined(separator: "  "))
        }
        let isQuiet = quiet
        let budget = trials
        let bestDirectory = tuner.bestDirectory
        tuner.onEvent = { event in
            guard !isQuiet else { return }
            switch event {
            case .trialFinished(let t):
                var line = "[\(t.number + 1)/\(budget)] trial \(t.number)  "
                switch t.state {
                case .complete: line += "complete  \(short) \(direction.format(t.score))"
                case .pruned: line += "pruned at epoch \(t.epochsRun)  \(short) \(direction.format(t.score))"
                case .failed: line += "failed"
                case .running: line += "running"
                }
                line += "  \(t.epochsRun) epoch\(t.epochsRun == 1 ? "" : "s")  " + String(format: "%.1f s", t.seconds)
                line += "  " + t.parameterText(order: names)
                if t.state == .failed, let m = t.message { line += "  (\(m))" }
                console.line(line)
            case .retraining(let t, let config):
                console.line("retraining trial \(t.number)'s configuration on the whole training part (\(config.epochs) epochs) into \(bestDirectory)")
            default:
                break
            }
        }
        Interruption.reset()
        Interruption.installSignalHandlers()
        let result: StudyResult
        do {
            result = try tuner.run(trials: trials, timeLimit: timeLimit)
        } catch let stop as TrainingInterrupted {
            console.line("gradus tune: interrupted (\(stop.signal == SIGTERM ? "SIGTERM" : "SIGINT")); the study is saved in \(tuner.journalPath). "
                         + "Continue it with: gradus tune --resume --out \(TrainCommandLine.quote(tuner.directory))")
            throw ExitCode(stop.exitStatus)
        }
        for line in Self.summary(result, direction: direction, task: s.base.task, names: names, tuner: tuner) { console.line(line) }
        return result
    }

    /// The final lines: counts, best validation score, test score of the retrained best, the command.
    static func summary(_ r: StudyResult, direction: StudyDirection, task: LearningTask, names: [String], tuner: Tuner) -> [String] {
        var lines: [String] = []
        let count = { (state: Trial.State) in r.trials.filter { $0.state == state }.count }
        lines.append("searched \(r.trials.count) trial\(r.trials.count == 1 ? "" : "s") (\(count(.complete)) complete, \(count(.pruned)) pruned, \(count(.failed)) failed)"
                     + (r.searchSeconds > 0 ? String(format: " in %.1f s", r.searchSeconds) : "")
                     + (r.stoppedByTimeLimit ? "; stopped by the time limit" : ""))
        guard let best = r.best else {
            lines.append("no trial completed: nothing was retrained and the test set was not used")
            lines.append("wrote \(tuner.resultsPath), \(tuner.plotPath)")
            return lines
        }
        lines.append("best trial \(best.number): \(direction.scoreName) \(direction.format(best.score))  \(best.parameterText(order: names))")
        if let test = r.test {
            lines.append("retrained on the whole training part and tested once (\(test.count) samples):")
            lines += Evaluation(task: task, count: test.count, loss: test.loss, accuracy: test.accuracy, confusion: nil).summaryLines
        }
        if let command = r.command { lines.append("reproduce: \(command)") }
        lines.append("wrote \(tuner.resultsPath), \(tuner.plotPath), \(r.bestCheckpoint), "
                     + (tuner.bestDirectory as NSString).appendingPathComponent("command.txt"))
        return lines
    }
}
