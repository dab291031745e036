import Foundation

/// A complete training run as `gradus train` performs it: loads the data of a ``RunConfig``, builds the
/// model, optimizer and schedule, trains with a ``Trainer``, and after every epoch writes to its output
/// folder the checkpoint (`checkpoint.safetensors`), the metrics (`metrics.csv`) and their plot
/// (`metrics.svg`). A run made from a checkpoint with ``init(resuming:epochs:data:outputDirectory:nonFiniteLoss:writesOutputs:)``
/// continues bit for bit as the uninterrupted run would have.
///
/// ```swift
/// let run = try TrainingRun(config: RunConfig(), outputDirectory: "runs/digits-mlp")
/// let history = try run.run { metrics in print(metrics.epoch, metrics.testAccuracy!) }
/// print(run.evaluate().summaryLines)
///
/// let resumed = try TrainingRun(resuming: "runs/digits-mlp/checkpoint.safetensors", epochs: 40)
/// try resumed.run()
/// ```
public final class TrainingRun {
    /// The configuration, with the model's input shape and outputs filled in.
    public let config: RunConfig
    /// The data, reshaped and standardized for the model.
    public let data: LoadedData
    /// The model.
    public let model: Module

    /// The model as a ``Layer`` (one input tensor), or nil for a model of several named inputs
    /// (``FusionModel``, a ``MultiInputLayer``).
    ///
    /// ```swift
    /// let logits = run.layer!(x)
    /// ```
    public var layer: (any Layer)? { model as? any Layer }
    /// The loop.
    public let trainer: Trainer
    /// The standardization of the features, if used.
    public let standardizer: Standardizer?
    /// The standardization of regression targets, if used (``DataSpec/standardizeTarget``).
    public let targetStandardizer: Standardizer?
    /// The validation part carved from the training data when the run stops early
    /// (``RunConfig/earlyStopping``); per-epoch scores are then computed on it, not on the test part.
    public let validation: TensorDataset?
    /// Several inputs with early stopping: the validation part held out of the training data, or nil.
    public let validationGroup: GroupDataset?
    /// Several inputs: the standardizer of each feature-vector input (fitted on the training part).
    public let inputStandardizers: [String: Standardizer]
    /// Early stopping's state, when configured.
    let earlyStopping: EarlyStoppingTracker?
    /// ReduceLROnPlateau, for ``ScheduleSpec/plateau``.
    public let plateau: ReduceLROnPlateau?
    /// The metrics of every epoch so far (including those before a resume).
    public private(set) var history: [EpochMetrics]
    /// Where checkpoints, metrics and the plot are written (nil: nowhere).
    public let outputDirectory: String?

    /// The checkpoint file in the output folder.
    public var checkpointPath: String? { outputDirectory.map { Self.join($0, "checkpoint.safetensors") } }

    /// Prepares a new run.
    ///
    /// - Parameters:
    ///   - config: the run's configuration.
    ///   - outputDirectory: the folder for the outputs (created if needed), or nil.
    /// - Throws: ``TrainingError`` or ``DataError`` when the configuration or the data is unusable.
    ///
    /// ```swift
    /// let run = try TrainingRun(config: RunConfig(epochs: 3), outputDirectory: nil)
    /// ```
    public convenience init(config: RunConfig, outputDirectory: String?) throws {
        try self.init(config: config, checkpoint: nil, outputDirectory: outputDirectory)
    }

    /// Prepares the continuation of the run saved in `checkpoint`: weights, optimizer state, counters,
    /// random state and metrics history are restored; the data order continues.
    ///
    /// - Parameters:
    ///   - path: a checkpoint written by a run.
    ///   - epochs: a new total number of epochs, or nil to finish the saved run's own.
    ///   - data: other data (with the same shapes), or nil for the run's own.
    ///   - outputDirectory: where to write, or nil for the checkpoint's folder.
    ///   - nonFiniteLoss: another handling of non-finite losses, or nil for the saved run's.
    ///   - writesOutputs: false for the processes of a data-parallel run other than the first, which
    ///     write nothing.
    /// - Throws: ``DataError`` or ``TrainingError`` when the checkpoint or data cannot be used.
    ///
    /// ```swift
    /// let run = try TrainingRun(resuming: "runs/a/epoch-5.safetensors")
    /// ```
    public convenience init(resuming path: String, epochs: Int? = nil, data: DataSpec? = nil,
                            outputDirectory: String? = nil, nonFiniteLoss: NonFiniteLossPolicy? = nil,
                            writesOutputs: Bool = true) throws {
        let checkpoint = try Checkpoint.load(path)
        guard let json = checkpoint.metadata["config"] else {
            throw TrainingError("\(path): the checkpoint has no run configuration (metadata 'config'); was it written by gradus train?")
        }
        var config = try RunConfig.decode(json: json)
        if let epochs { config.epochs = epochs }
        if let data { config.data = data }
        if let nonFiniteLoss { config.nonFiniteLoss = nonFiniteLoss }
        try self.init(config: config, checkpoint: checkpoint, checkpointFile: path,
                      outputDirectory: writesOutputs ? outputDirectory ?? (path as NSString).deletingLastPathComponent : nil)
    }

    init(config original: RunConfig, checkpoint: Checkpoint?, checkpointFile: String = "checkpoint",
         outputDirectory: String?) throws {
        // A checkpoint is input from a stranger: everything it says is checked before anything is
        // allocated from it.
        let saved = try checkpoint.map { try TrainedModel.validate(original, $0, file: checkpointFile) }
        try original.validate()
        var config = original
        var data = try config.data.load(task: config.task, vocabulary: checkpoint == nil ? nil : config.model.vocabulary)
        guard (data.groups != nil) == (config.model.architecture == .fusion) else {
            throw TrainingError(data.groups != nil ? "data with several named inputs (--inputs) needs --model fusion"
                                                   : "--model fusion needs several named inputs: NPZ data with --inputs a,b")
        }
        // Fill in the model's shapes from the data (a checkpoint's shapes must match).
        var inputShape = [data.sampleShape.reduce(1, *)]
        if let groups = data.groups {
            inputShape = [1]
            if checkpoint == nil {
                config.model.inputs = groups.shapes
            } else if config.model.inputs != groups.shapes {
                throw TrainingError("\(data.source): inputs \(groups.shapes.map { "\($0.name) \($0.shape)" }) do not fit the checkpoint's model \(config.model.summary)")
            }
        } else if config.model.architecture == .lenet {
            if data.sampleShape.count == 3 {
                inputShape = data.sampleShape
            } else if let image = data.imageShape {
                guard image.allSatisfy({ $0 >= 1 }), data.sampleShape.allSatisfy({ $0 >= 1 }) else {
                    throw TrainingError("lenet needs images of positive sizes; \(data.source) holds samples of shape \(data.sampleShape)")
                }
                inputShape = [data.sampleShape.reduce(1, *) / (image[0] * image[1])] + image
            } else {
                throw TrainingError("lenet needs image data; \(data.source) holds \(data.sampleShape) feature vectors")
            }
        }
        let outputs = config.task.predictsClasses ? (data.classes ?? 1) : data.targetWidth
        if checkpoint == nil {
            config.model.inputShape = inputShape
            config.model.outputs = outputs
            config.model.vocabulary = data.vocabulary
        } else if data.groups == nil, config.model.inputFeatures != inputShape.reduce(1, *) {
            throw TrainingError("\(data.source): samples of shape \(data.sampleShape) do not fit the checkpoint's model \(config.model.summary)")
        } else if config.task.predictsClasses, outputs > config.model.outputs {
            throw TrainingError("\(data.source): labels go up to \(outputs - 1) but the checkpoint's model has \(config.model.outputs) classes")
        } else if config.task == .regress, outputs != config.model.outputs {
            throw TrainingError("\(data.source): regression targets have \(outputs) value(s) per sample but the checkpoint's model has \(config.model.outputs) outputs")
        }
        try config.model.validate()
        try config.model.checkMemory(source: checkpoint == nil ? "--hidden" : checkpointFile)
        if data.groups == nil { data = try data.reshaped(to: config.model.sampleShape) }
        // Early stopping watches a validation part carved from the training part (seeded), before any
        // statistics are fitted, so that neither the test set nor the validation part leaks into them.
        var validation: TensorDataset? = nil
        var validationGroup: GroupDataset? = nil
        if let rule = config.earlyStopping {
            guard data.train.count >= 2 else { throw TrainingError("\(data.source): too few training samples to hold out validation data") }
            let parts = try data.train.holdingOut(rule.validationFraction, seed: config.data.splitSeed &+ 0xE5)
            data.train = parts.train
            validation = parts.validation
            if let groups = data.groups {
                let same = try groups.train.holdingOut(rule.validationFraction, seed: config.data.splitSeed &+ 0xE5)
                data.groups?.train = same.train
                validationGroup = same.validation
            }
        }
        // Several inputs: each feature vector is standardized on its own (images are not).
        var inputStandardizers: [String: Standardizer] = [:]
        if config.data.standardize, let groups = data.groups {
            for (name, x) in groups.train.inputs where x.rank == 2 {
                inputStandardizers[name] = try saved?.inputStandardizers[name] ?? Standardizer.fit(x)
            }
            data.groups = groups.standardized(inputStandardizers)
            validationGroup = validationGroup.map { LoadedData.InputGroups.standardize($0, inputStandardizers) }
        }
        var standardizer: Standardizer? = nil
        if config.data.standardize, data.sampleShape.count == 1, config.task != .languageModel, data.groups == nil {
            if let checkpointStandardizer = saved?.standardizer {
                standardizer = checkpointStandardizer
            } else {
                standardizer = try Standardizer.fit(data.train.inputs)
            }
            data = data.standardized(with: standardizer!)
            if let v = validation { validation = TensorDataset(standardizer!.transform(v.inputs), v.targets) }
        }
        var targetStandardizer: Standardizer? = nil
        if config.data.standardizeTarget == true {
            guard config.task == .regress else { throw TrainingError("--standardize-target is for regression (--task regress)") }
            if let checkpointStandardizer = saved?.targetStandardizer {
                targetStandardizer = checkpointStandardizer
            } else {
                targetStandardizer = try Standardizer.fit(data.train.targets.reshape([data.train.count, -1]))
            }
            data = data.targetsStandardized(with: targetStandardizer!)
            if let v = validation {
                validation = TensorDataset(v.inputs, targetStandardizer!.transform(v.targets.reshape([v.count, -1])).reshape(v.targets.shape))
            }
        }
        Random.manualSeed(config.seed)
        var rng = SeededGenerator(seed: config.seed)
        let model = try config.model.build(generator: &rng)
        let optimizer = config.optimizer.make(model.parameters())
        let batches = (data.train.count + config.batchSize - 1) / config.batchSize
        let (scheduler, interval) = config.schedule.make(optimizer, epochs: config.epochs, batchesPerEpoch: batches)
        let trainer = Trainer(forwardModel: try ForwardModel(model), optimizer: optimizer, task: config.task, scheduler: scheduler,
                              schedulerInterval: interval, seed: config.seed, nonFiniteLoss: config.nonFiniteLoss)
        let plateau = config.schedule == .plateau ? ReduceLROnPlateau(optimizer, factor: 0.1, patience: 3) : nil
        let tracker = config.earlyStopping.map(EarlyStoppingTracker.init)
        var history: [EpochMetrics] = []
        if let checkpoint {
            guard checkpoint.epoch <= config.epochs else {
                throw TrainingError("\(checkpointFile): the checkpoint is at epoch \(checkpoint.epoch) of a \(config.epochs)-epoch run; give --epochs \(checkpoint.epoch + 1) or more to continue it")
            }
            guard checkpoint.step == 0 || !checkpoint.optimizer.scalars.isEmpty else {
                throw TrainingError("\(checkpointFile): the checkpoint holds no optimizer state, so the run cannot continue exactly; evaluate or predict with it, or start a new run")
            }
            do {
                try model.loadStateDict(checkpoint.model)
                try optimizer.loadStateDict(checkpoint.optimizer)
            } catch {
                throw TrainingError("the checkpoint does not fit the model \(config.model.summary): \(error)")
            }
            // The counters must agree with the data: a forged step count would spin the schedule.
            // At most the steps up to the end of the checkpoint's next epoch, and never past the run's
            // last step (a schedule over the whole run, as one-cycle, ends there).
            let done = checkpoint.epoch.multipliedReportingOverflow(by: batches)
            let maxStep = done.partialValue.addingReportingOverflow(batches)
            let runSteps = config.epochs.multipliedReportingOverflow(by: batches)
            guard !done.overflow, !maxStep.overflow, !runSteps.overflow,
                  checkpoint.step <= Swift.min(maxStep.partialValue, runSteps.partialValue),
                  (checkpoint.unfinishedEpoch?.batches ?? 0) < batches else {
                throw TrainingError("\(checkpointFile): epoch \(checkpoint.epoch), step \(checkpoint.step) and the unfinished epoch's \(checkpoint.unfinishedEpoch?.batches ?? 0) batches do not fit \(batches) batches per epoch")
            }
            trainer.restore(epoch: checkpoint.epoch, step: checkpoint.step, unfinishedEpoch: checkpoint.unfinishedEpoch)
            if let plateau, let text = checkpoint.metadata["plateau"], !plateau.restore(stateText: text) {
                throw TrainingError("\(checkpointFile): metadata plateau '\(text)' is not a valid scheduler state")
            }
            if let tracker, let text = checkpoint.metadata["early_stopping"] {
                var best: [String: Tensor] = [:]
                for (k, v) in checkpoint.extra where k.hasPrefix("early_stopping.best.") { best[String(k.dropFirst(20))] = v }
                guard tracker.restore(text, weights: best) else {
                    throw TrainingError("\(checkpointFile): metadata early_stopping '\(text)' is not a valid early-stopping state")
                }
            }
            Random.state = checkpoint.rngState
            if let text = checkpoint.metadata["metrics"] { history = try EpochMetrics.parseCSV(text) }
        }
        self.config = config
        self.data = data
        self.model = model
        self.trainer = trainer
        self.standardizer = standardizer
        self.targetStandardizer = targetStandardizer
        self.validation = validation
        self.validationGroup = validationGroup
        self.inputStandardizers = inputStandardizers
        self.earlyStopping = tracker
        self.plateau = plateau
        self.history = history
        self.outputDirectory = outputDirectory
    }

    /// Trains to ``RunConfig/epochs``, writing the outputs after every epoch.
    ///
    /// - Parameters:
    ///   - onBatch: called after every batch (progress bars).
    ///   - onEpoch: called after every epoch, after its files are written.
    /// - Returns: the whole metrics history.
    /// - Throws: ``DataError`` when an output cannot be written, what `onEpoch` throws, or a
    ///   ``TrainingError`` when a loss is not finite under ``NonFiniteLossPolicy/stop``: it names the
    ///   epoch, batch and loss, and the last checkpoint written, which is left untouched.
    ///
    /// ```swift
    /// try run.run(onEpoch: { print($0.csvRow) })
    /// ```
    @discardableResult
    public func run(onBatch: ((TrainingProgress) -> Void)? = nil,
                    onEpoch: (EpochMetrics) throws -> Void = { _ in }) throws -> [EpochMetrics] {
        var lock: FolderLock? = nil
        if let dir = outputDirectory {
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), !isDir.boolValue {
                throw DataError(.io, file: dir, "the output folder is a file; give a folder with --out")
            }
            do {
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            } catch {
                throw DataError(.io, file: dir, "cannot create the output folder: \(error.localizedDescription)")
            }
            // One run per folder; what killed saves left behind is removed once the folder is ours.
            lock = try FolderLock(dir)
            lock?.removeStaleTemporaries()
        }
        defer { withExtendedLifetime(lock) {} }
        var inCallback = false, lastSaved: Int? = nil
        do {
            let perEpoch: (EpochMetrics) throws -> Void = { [self] metrics in
                // The loss checks cannot see an update that overflowed the weights on an epoch's last
                // batch: never save such weights over a good checkpoint.
                if config.nonFiniteLoss != .ignore, let bad = trainer.nonFiniteParameter() {
                    throw TrainingError("training stopped after epoch \(metrics.epoch): the weights are not finite (\(bad)); "
                                        + "an update overflowed, so lower the learning rate.")
                }
                inCallback = true
                defer { inCallback = false }
                history.append(metrics)
                // Schedules and early stopping see validation scores (or the training loss), never the test set.
                plateau?.step(validation != nil || validationGroup != nil ? (metrics.testLoss ?? metrics.trainLoss) : metrics.trainLoss)
                let stop = earlyStopping?.update(metrics, weights: { model.stateDict() }) ?? false
                try writeOutputs()
                lastSaved = metrics.epoch
                try onEpoch(metrics)
                if stop { throw EarlyStopSignal() }
            }
            if let groups = data.groups {
                try trainer.fit(train: groups.train, test: validationGroup ?? groups.test, epochs: config.epochs,
                                batchSize: config.batchSize, onBatch: onBatch, onEpoch: perEpoch)
            } else {
                try trainer.fit(train: data.train, test: validation ?? data.test, epochs: config.epochs, batchSize: config.batchSize,
                                onBatch: onBatch, onEpoch: perEpoch)
            }
        } catch is EarlyStopSignal {
            // Keep the best weights, in the model and in the checkpoint.
            if let tracker = earlyStopping, !tracker.bestWeights.isEmpty {
                try model.loadStateDict(tracker.bestWeights)
                stoppedEarly = (epoch: trainer.epoch, best: tracker.bestEpoch)
                try writeOutputs()
            }
        } catch var stop as TrainingInterrupted {
            // Stopped at a batch boundary: save where it stopped (the epoch's progress included).
            if let path = checkpointPath {
                try writeCheckpoint(to: path)
                stop.checkpoint = path
            }
            throw stop
        } catch let error as TrainingError where !inCallback {
            // A non-finite loss under .stop: say which checkpoint is still good.
            guard let path = checkpointPath else { throw error }
            let note: String
            if let epoch = lastSaved {
                note = " The last checkpoint, \(path) (epoch \(epoch)), is untouched."
            } else if FileManager.default.fileExists(atPath: path) {
                note = " The last checkpoint, \(path), is untouched."
            } else {
                note = " No checkpoint was written."
            }
            throw TrainingError(error.message + note)
        }
        return history
    }

    /// Runs the learning-rate range test on this run's model, optimizer and training data; both are
    /// left as they were (see ``LRFinder``).
    ///
    /// ```swift
    /// let suggestion = try run.findLearningRate().suggested
    /// ```
    public func findLearningRate(_ finder: LRFinder = LRFinder()) throws -> LRFinder.Result {
        guard data.groups == nil, let layer = model as? any Layer else {
            throw TrainingError("the learning-rate range test takes models of one input; give --lr for --model \(config.model.architecture.rawValue)")
        }
        return try finder.run(model: layer, optimizer: trainer.optimizer, data: data.train, task: config.task,
                              batchSize: config.batchSize, seed: config.seed)
    }

    /// Thrown from the epoch callback to end the loop when early stopping decides.
    private struct EarlyStopSignal: Error {}

    /// When early stopping ended the run: the epoch it stopped after and the epoch whose weights were kept.
    public private(set) var stoppedEarly: (epoch: Int, best: Int)? = nil

    /// The run's current state as a checkpoint.
    ///
    /// ```swift
    /// try run.checkpoint().save(to: "snapshot.safetensors")
    /// ```
    public func checkpoint() -> Checkpoint {
        var extra: [String: Tensor] = [:]
        if let standardizer {
            extra["standardizer.mean"] = standardizer.mean
            extra["standardizer.scale"] = standardizer.scale
        }
        if let targetStandardizer {
            extra["target_standardizer.mean"] = targetStandardizer.mean
            extra["target_standardizer.scale"] = targetStandardizer.scale
        }
        if let tracker = earlyStopping {
            for (k, v) in tracker.bestWeights { extra["early_stopping.best." + k] = v }
        }
        for (name, s) in inputStandardizers {
            extra["input_standardizer.\(name).mean"] = s.mean
            extra["input_standardizer.\(name).scale"] = s.scale
        }
        var meta = ["config": config.json(), "metrics": EpochMetrics.csv(history), "model": config.model.summary]
        if let names = data.featureNames { meta["feature_names"] = names.joined(separator: "\n") }
        if let image = data.imageShape { meta["image_shape"] = image.map(String.init).joined(separator: ",") }
        if let scale = data.pixelScale { meta["pixel_scale"] = "\(scale)" }
        if let plateau { meta["plateau"] = plateau.stateText }
        if let tracker = earlyStopping { meta["early_stopping"] = tracker.text }
        var c = Checkpoint(model: model.stateDict(), optimizer: trainer.optimizer.stateDict(), extra: extra,
                           epoch: trainer.epoch, step: trainer.step, rngState: Random.state, metadata: meta)
        c.unfinishedEpoch = trainer.unfinishedEpoch
        return c
    }

    /// Evaluates the model on the test part.
    ///
    /// ```swift
    /// print(run.evaluate().summaryLines.joined(separator: "\n"))
    /// ```
    public func evaluate() -> Evaluation {
        let classes = config.task.predictsClasses ? config.model.outputs : nil
        if let groups = data.groups {
            return trainer.evaluate(groups.test, classes: classes)
        }
        return trainer.evaluate(data.test, classes: classes)
    }

    /// Writes only the checkpoint (an interrupted epoch's progress included).
    func writeCheckpoint(to path: String) throws {
        try checkpoint().save(to: path)
    }

    /// Writes the checkpoint, metrics CSV, metrics plot and configuration to the output folder.
    public func writeOutputs() throws {
        guard let dir = outputDirectory else { return }
        let c = checkpoint()
        try c.save(to: Self.join(dir, "checkpoint.safetensors"))
        if config.saveEvery > 0, trainer.epoch % config.saveEvery == 0 {
            try c.save(to: Self.join(dir, "epoch-\(trainer.epoch).safetensors"))
        }
        try Self.writeText(EpochMetrics.csv(history), to: Self.join(dir, "metrics.csv"))
        try Self.writeText(MetricsPlot.svg(history, title: "\(config.model.summary) on \(config.data.format.rawValue)"),
                           to: Self.join(dir, "metrics.svg"))
        try Self.writeText(config.json() + "\n", to: Self.join(dir, "config.json"))
    }

    static func join(_ dir: String, _ name: String) -> String { (dir as NSString).appendingPathComponent(name) }

    static func writeText(_ text: String, to path: String) throws {
        try AtomicFile.write(to: path) { try $0.write(Array(text.utf8)) }
    }
}
