import Dispatch

/// A small supervised training loop: batches in a seeded shuffled order, forward, loss, backward,
/// optimizer and schedule steps, evaluation, and per-batch and per-epoch reports through callbacks.
///
/// Use it either whole, with ``fit(train:test:epochs:batchSize:onBatch:onEpoch:)``, or piece by piece
/// in your own loop with ``trainStep(inputs:targets:)`` (one optimizer step on a batch you made),
/// ``trainEpoch(_:batchSize:epochs:onBatch:)`` and ``evaluate(_:batchSize:)``.
///
/// The order of the batches of epoch `e` depends only on ``seed`` and `e` (``DataLoader/order(epoch:)``),
/// so a run restored with ``restore(epoch:step:)`` (and the model's and optimizer's state dictionaries)
/// continues exactly as the uninterrupted run would have.
///
/// ```swift
/// var rng = SeededGenerator(seed: 0)
/// let (train, test) = try Digits.trainTestSplit()
/// let model = Sequential { Linear(64, 128, generator: &rng); ReLU(); Linear(128, 10, generator: &rng) }
/// let trainer = Trainer(model: model, optimizer: Adam(model.parameters(), lr: 1e-3))
/// trainer.fit(train: train, test: test, epochs: 20, batchSize: 32) { m in
///     print("epoch \(m.epoch): test accuracy \(m.testAccuracy!)")
/// }
///
/// // Or your own loop:
/// for (x, y) in DataLoader(train, batchSize: 32, shuffle: true) {
///     let result = trainer.trainStep(inputs: x, targets: y)
///     print(result.loss)
/// }
/// ```
public final class Trainer {
    /// The outcome of one training step.
    public struct StepResult: Sendable, Equatable {
        /// The batch's mean loss.
        public var loss: Double
        /// The number of samples in the batch.
        public var count: Int
        /// How many samples were classified correctly (0 for regression).
        public var correct: Int
    }

    /// The model trained.
    public let model: any Layer
    /// The optimizer updating the model's parameters.
    public let optimizer: Optimizer
    /// Classification or regression: decides the loss and whether accuracy is measured.
    public let task: LearningTask
    /// An optional learning-rate schedule.
    public let scheduler: LRScheduler?
    /// When ``scheduler`` steps.
    public let schedulerInterval: SchedulerInterval
    /// The seed of the data order.
    public let seed: UInt64
    /// The number of completed epochs.
    public private(set) var epoch = 0
    /// The number of optimizer steps taken.
    public private(set) var step = 0

    /// Creates a trainer.
    ///
    /// - Parameters:
    ///   - model: the model, called on a batch of inputs.
    ///   - optimizer: the optimizer over the model's parameters.
    ///   - task: `.classify` (cross-entropy, int64 labels) or `.regress` (mean squared error).
    ///   - scheduler: an optional learning-rate schedule.
    ///   - schedulerInterval: whether the schedule steps after each epoch or each batch.
    ///   - seed: the seed of the shuffled data order.
    ///
    /// ```swift
    /// let trainer = Trainer(model: model, optimizer: SGD(model.parameters(), lr: 0.05, momentum: 0.9))
    /// ```
    public init(model: any Layer, optimizer: Optimizer, task: LearningTask = .classify,
                scheduler: LRScheduler? = nil, schedulerInterval: SchedulerInterval = .epoch, seed: UInt64 = 0) {
        self.model = model
        self.optimizer = optimizer
        self.task = task
        self.scheduler = scheduler
        self.schedulerInterval = schedulerInterval
        self.seed = seed
    }

    /// Sets the counters of a run being resumed: the next epoch trained is `epoch + 1`. Load the model's
    /// and the optimizer's state first; a schedule is advanced to match.
    ///
    /// - Parameters:
    ///   - epoch: the number of completed epochs.
    ///   - step: the number of optimizer steps taken.
    ///
    /// ```swift
    /// try model.loadStateDict(checkpoint.model)
    /// try optimizer.loadStateDict(checkpoint.optimizer)
    /// trainer.restore(epoch: checkpoint.epoch, step: checkpoint.step)
    /// ```
    public func restore(epoch: Int, step: Int) {
        require(epoch >= 0 && step >= 0, "Trainer.restore: epoch \(epoch) and step \(step) must not be negative")
        self.epoch = epoch
        self.step = step
        if let scheduler {
            let target = schedulerInterval == .epoch ? epoch : step
            while scheduler.lastEpoch < target { scheduler.step() }
        }
    }

    /// One optimizer step on a batch: zero the gradients, forward, loss, backward, update, and a
    /// batch-interval schedule step.
    ///
    /// - Parameters:
    ///   - inputs: a batch of inputs.
    ///   - targets: the batch's targets (int64 labels for classification).
    /// - Returns: the loss, the batch size and the number of correct predictions.
    ///
    /// ```swift
    /// let r = trainer.trainStep(inputs: x, targets: y)
    /// ```
    @discardableResult
    public func trainStep(inputs: Tensor, targets: Tensor) -> StepResult {
        optimizer.zeroGrad()
        let output = model(inputs)
        let loss = task.loss(output, targets)
        loss.backward()
        optimizer.step()
        step += 1
        if schedulerInterval == .batch { scheduler?.step() }
        let correct = task == .classify ? GradMode.noGrad { Self.countCorrect(output, targets) } : 0
        return StepResult(loss: Double(loss.item(Double.self)), count: inputs.shape[0], correct: correct)
    }

    /// Trains one epoch over `data` in the shuffled order of epoch ``epoch`` + 1.
    ///
    /// - Parameters:
    ///   - data: the training data.
    ///   - batchSize: samples per batch (the last batch may be smaller).
    ///   - epochs: the run's last epoch, used for the progress report's time estimate.
    ///   - onBatch: called after every batch.
    /// - Returns: the epoch's metrics (without test values).
    ///
    /// ```swift
    /// let m = trainer.trainEpoch(train, batchSize: 32)
    /// ```
    @discardableResult
    public func trainEpoch<D: Dataset>(_ data: D, batchSize: Int, epochs: Int? = nil,
                                       onBatch: ((TrainingProgress) -> Void)? = nil) -> EpochMetrics {
        require(batchSize >= 1, "Trainer.trainEpoch: batchSize must be at least 1, got \(batchSize)")
        model.train()
        let loader = DataLoader(data, batchSize: batchSize, shuffle: true, seed: seed)
        let batches = loader.count
        let lastEpoch = Swift.max(epochs ?? (epoch + 1), epoch + 1)
        let start = DispatchTime.now().uptimeNanoseconds
        var lossSum = 0.0, seen = 0, correct = 0
        for (k, batch) in loader.batches(epoch: epoch).enumerated() {
            let r = trainStep(inputs: batch.inputs, targets: batch.targets)
            lossSum += r.loss * Double(r.count)
            seen += r.count
            correct += r.correct
            if let onBatch {
                let elapsed = Self.seconds(since: start)
                let perBatch = elapsed / Double(k + 1)
                let left = Double(batches - k - 1 + batches * (lastEpoch - epoch - 1)) * perBatch
                onBatch(TrainingProgress(epoch: epoch + 1, epochs: lastEpoch, batch: k + 1, batches: batches,
                                         loss: lossSum / Double(seen),
                                         accuracy: task == .classify ? Double(correct) / Double(seen) : nil,
                                         samplesPerSecond: Double(seen) / Swift.max(elapsed, 1e-9), secondsLeft: left))
            }
        }
        let elapsed = Self.seconds(since: start)
        let lr = optimizer.learningRate
        epoch += 1
        if schedulerInterval == .epoch { scheduler?.step() }
        return EpochMetrics(epoch: epoch, trainLoss: lossSum / Double(Swift.max(seen, 1)),
                            trainAccuracy: task == .classify ? Double(correct) / Double(Swift.max(seen, 1)) : nil,
                            learningRate: lr, seconds: elapsed, samplesPerSecond: Double(seen) / Swift.max(elapsed, 1e-9))
    }

    /// Evaluates the model on `data` in evaluation mode without recording gradients.
    ///
    /// - Parameters:
    ///   - data: the data.
    ///   - batchSize: samples per forward pass.
    /// - Returns: the mean loss, and for classification the accuracy and confusion matrix.
    ///
    /// ```swift
    /// let result = trainer.evaluate(test)
    /// print(result.accuracy!)
    /// ```
    public func evaluate<D: Dataset>(_ data: D, batchSize: Int = 256) -> Evaluation {
        Self.evaluate(model: model, task: task, data: data, batchSize: batchSize)
    }

    /// Evaluates any model on `data` (see ``evaluate(_:batchSize:)``); the model is left in the mode it had.
    ///
    /// - Parameters:
    ///   - model: the model.
    ///   - task: classification or regression.
    ///   - data: the data.
    ///   - batchSize: samples per forward pass.
    ///   - classes: the size of the confusion matrix (default: the model's output width).
    /// - Returns: the evaluation.
    ///
    /// ```swift
    /// let result = Trainer.evaluate(model: model, task: .classify, data: test)
    /// ```
    public static func evaluate<D: Dataset>(model: any Layer, task: LearningTask, data: D, batchSize: Int = 256,
                                            classes: Int? = nil) -> Evaluation {
        let wasTraining = model.isTraining
        model.eval()
        defer { model.train(wasTraining) }
        var lossSum = 0.0, elements = 0
        var confusion: ConfusionMatrix? = nil
        GradMode.noGrad {
            for batch in DataLoader(data, batchSize: batchSize, prefetch: false) {
                let output = model(batch.inputs)
                lossSum += Double(task.loss(output, batch.targets, reduction: .sum).item(Double.self))
                switch task {
                case .classify:
                    elements += batch.targets.count
                    var cm = confusion ?? ConfusionMatrix(classes: classes ?? output.shape[output.rank - 1])
                    let predicted = output.argmax(axis: output.rank - 1).intScalars
                    for (a, p) in zip(batch.targets.intScalars, predicted) where a >= 0 && a < cm.classes {
                        cm.add(actual: a, predicted: p)
                    }
                    confusion = cm
                case .regress:
                    elements += batch.targets.count
                }
            }
        }
        return Evaluation(task: task, count: data.count, loss: lossSum / Double(Swift.max(elements, 1)),
                          accuracy: confusion?.accuracy, confusion: confusion)
    }

    /// Trains until ``epoch`` reaches `epochs`, evaluating on `test` after each epoch.
    ///
    /// - Parameters:
    ///   - train: the training data.
    ///   - test: data evaluated after each epoch, or nil.
    ///   - epochs: the last epoch (a resumed trainer continues from ``epoch`` + 1).
    ///   - batchSize: samples per batch.
    ///   - onBatch: called after every batch, e.g. to draw a progress bar.
    ///   - onEpoch: called after every epoch with its metrics, e.g. to log or save a checkpoint; an error
    ///     thrown here stops the run and is rethrown.
    /// - Returns: the metrics of the epochs trained by this call.
    ///
    /// ```swift
    /// let history = trainer.fit(train: train, test: test, epochs: 20, batchSize: 32)
    /// ```
    @discardableResult
    public func fit<D: Dataset, E: Dataset>(train: D, test: E?, epochs: Int, batchSize: Int,
                                            onBatch: ((TrainingProgress) -> Void)? = nil,
                                            onEpoch: (EpochMetrics) throws -> Void = { _ in }) rethrows -> [EpochMetrics] {
        var history: [EpochMetrics] = []
        while epoch < epochs {
            var m = trainEpoch(train, batchSize: batchSize, epochs: epochs, onBatch: onBatch)
            if let test {
                let e = evaluate(test)
                m.testLoss = e.loss
                m.testAccuracy = e.accuracy
            }
            history.append(m)
            try onEpoch(m)
        }
        return history
    }

    /// ``fit(train:test:epochs:batchSize:onBatch:onEpoch:)`` without test data.
    ///
    /// ```swift
    /// trainer.fit(train: train, epochs: 5, batchSize: 16)
    /// ```
    @discardableResult
    public func fit<D: Dataset>(train: D, epochs: Int, batchSize: Int,
                                onBatch: ((TrainingProgress) -> Void)? = nil,
                                onEpoch: (EpochMetrics) throws -> Void = { _ in }) rethrows -> [EpochMetrics] {
        try fit(train: train, test: Optional<D>.none, epochs: epochs, batchSize: batchSize, onBatch: onBatch,
                onEpoch: onEpoch)
    }

    static func countCorrect(_ output: Tensor, _ targets: Tensor) -> Int {
        let predicted = output.argmax(axis: output.rank - 1).intScalars
        return zip(predicted, targets.intScalars).reduce(0) { $0 + ($1.0 == $1.1 ? 1 : 0) }
    }

    static func seconds(since start: UInt64) -> Double {
        Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }
}
