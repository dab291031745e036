import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// A small supervised training loop: batches in a seeded shuffled order, forward, loss, backward,
/// optimizer and schedule steps, evaluation, and per-batch and per-epoch reports through callbacks.
///
/// Use it either whole, with ``fit(train:test:epochs:batchSize:onBatch:onEpoch:)``, or piece by piece
/// in your own loop with `trainStep(inputs:targets:)` (one optimizer step on a batch you made),
/// ``trainEpoch(_:batchSize:epochs:onBatch:)`` and ``evaluate(_:batchSize:classes:)``.
///
/// The order of the batches of epoch `e` depends only on ``seed`` and `e` (``DataLoader/order(epoch:)``),
/// so a run restored with ``restore(epoch:step:unfinishedEpoch:)`` (and the model's and optimizer's state dictionaries)
/// continues exactly as the uninterrupted run would have.
///
/// A batch whose loss is NaN or infinite is handled by ``nonFiniteLoss``: by default training stops
/// with a ``TrainingError`` naming the epoch, batch and loss, before the weights are touched.
///
/// ```swift
/// var rng = SeededGenerator(seed: 0)
/// let (train, test) = try Digits.trainTestSplit()
/// let model = Sequential { Linear(64, 128, generator: &rng); ReLU(); Linear(128, 10, generator: &rng) }
/// let trainer = Trainer(model: model, optimizer: Adam(model.parameters(), lr: 1e-3))
/// try trainer.fit(train: train, test: test, epochs: 20, batchSize: 32) { m in
///     print("epoch \(m.epoch): test accuracy \(m.testAccuracy!)")
/// }
///
/// // Or your own loop:
/// for (x, y) in DataLoader(train, batchSize: 32, shuffle: true) {
///     let result = try trainer.trainStep(inputs: x, targets: y)
///     print(result.loss)
/// }
///
/// // A model with several inputs (a MultiInputLayer) on a GroupDataset: the same calls.
/// let fused = Trainer(model: imageAndFeatures, optimizer: Adam(imageAndFeatures.parameters(), lr: 1e-3))
/// try fused.fit(train: try GroupDataset(["image": images, "features": features], labels), epochs: 10, batchSize: 32)
/// ```
///
/// A trainer's model takes one tensor (a ``Layer``) or named tensors (a ``MultiInputLayer``); the data
/// must match: a ``Layer`` reads datasets whose ``Dataset/Input`` is ``Tensor``, a ``MultiInputLayer``
/// those whose input is ``TensorGroup``. Other data is a ``GradusError`` before anything is trained.
public final class Trainer {
    /// The outcome of one training step.
    public struct StepResult: Sendable, Equatable {
        /// The batch's mean loss.
        public var loss: Double
        /// The number of samples in the batch.
        public var count: Int
        /// How many samples were classified correctly (0 for regression or a skipped batch).
        public var correct: Int
        /// Whether the update was left out because the loss was not finite (``NonFiniteLossPolicy/skip``).
        public var skipped: Bool = false
        /// For a model with several outputs, each output's mean loss and accuracy on the batch, in the
        /// order of ``Trainer/outputHeads`` (empty for a model with one output).
        public var outputs: [OutputMetrics] = []
        /// The batch's sums per part of the objective (one per output head), for the epoch's metrics.
        var tallies: [OutputTally] = []
    }

    /// The model trained, of either kind (a ``Layer`` or a ``MultiInputLayer``): for its parameters,
    /// modes and state dictionary.
    ///
    /// ```swift
    /// let weights = trainer.module.stateDict()
    /// ```
    public let module: Module
    /// How batches reach the model.
    let forwardModel: ForwardModel
    /// The optimizer updating the model's parameters.
    public let optimizer: Optimizer
    /// Classification or regression: decides the loss and whether accuracy is measured. For a model
    /// with several outputs, each output's task is in ``outputHeads`` and this is the first one's.
    public let task: LearningTask
    /// The outputs learned by a model with several outputs (``MultiOutputLayer``), with their tasks
    /// and loss weights; empty for a model with one output.
    public let outputHeads: [OutputHead]
    /// What is minimized and measured: ``task`` on the one output, or ``outputHeads``.
    let objective: TrainingObjective
    /// An optional learning-rate schedule.
    public let scheduler: LRScheduler?
    /// When ``scheduler`` steps.
    public let schedulerInterval: SchedulerInterval
    /// The seed of the data order.
    public let seed: UInt64
    /// What happens when a batch's loss or a gradient is NaN or infinite.
    public let nonFiniteLoss: NonFiniteLossPolicy
    /// The model's parameters with their names, for the finite checks.
    let namedParameters: [(name: String, tensor: Tensor)]
    /// The number of completed epochs.
    public private(set) var epoch = 0
    /// The number of optimizer steps taken.
    public private(set) var step = 0
    /// The progress of an epoch that was interrupted (or restored from a checkpoint written mid-epoch):
    /// ``trainEpoch(_:batchSize:epochs:onBatch:)`` continues it with the batch after the last one done.
    public private(set) var unfinishedEpoch: EpochProgress? = nil
    /// Asked after every batch whether to stop (returning the signal that asked): by default the
    /// process-wide ``Interruption`` that SIGINT/SIGTERM set. A program running several trainings can
    /// give each its own.
    public var interruptionRequest: () -> Int32? = { Interruption.requested }
    /// The processes this trainer trains with, after ``distribute(over:)``; nil: this process alone.
    public private(set) var dataParallel: (any DataParallelGroup)? = nil
    /// What keeps the gradients averaged over the processes (a `DistributedDataParallel`).
    private var gradientSynchronizer: AnyObject? = nil

    /// Creates a trainer.
    ///
    /// - Parameters:
    ///   - model: the model, called on a batch of inputs.
    ///   - optimizer: the optimizer over the model's parameters.
    ///   - task: `.classify` (cross-entropy, int64 labels) or `.regress` (mean squared error).
    ///   - scheduler: an optional learning-rate schedule.
    ///   - schedulerInterval: whether the schedule steps after each epoch or each batch.
    ///   - seed: the seed of the shuffled data order.
    ///   - nonFiniteLoss: what to do with a batch whose loss is NaN or infinite (default: stop with an error).
    ///
    /// ```swift
    /// let trainer = Trainer(model: model, optimizer: SGD(model.parameters(), lr: 0.05, momentum: 0.9))
    /// ```
    public convenience init(model: any Layer, optimizer: Optimizer, task: LearningTask = .classify,
                            scheduler: LRScheduler? = nil, schedulerInterval: SchedulerInterval = .epoch, seed: UInt64 = 0,
                            nonFiniteLoss: NonFiniteLossPolicy = .stop) {
        self.init(forwardModel: .single(model), optimizer: optimizer, task: task, scheduler: scheduler,
                  schedulerInterval: schedulerInterval, seed: seed, nonFiniteLoss: nonFiniteLoss)
    }

    /// Creates a trainer for a model with several inputs: it trains on datasets whose inputs are
    /// ``TensorGroup``s (``GroupDataset``) and on groups given to `trainStep(inputs:targets:)`.
    ///
    /// - Parameters:
    ///   - model: the model, called on a batch of named inputs.
    ///   - optimizer: the optimizer over the model's parameters.
    ///   - task: `.classify` (cross-entropy, int64 labels) or `.regress` (mean squared error).
    ///   - scheduler: an optional learning-rate schedule.
    ///   - schedulerInterval: whether the schedule steps after each epoch or each batch.
    ///   - seed: the seed of the shuffled data order.
    ///   - nonFiniteLoss: what to do with a batch whose loss is NaN or infinite (default: stop with an error).
    ///
    /// ```swift
    /// let trainer = Trainer(model: imageAndFeatures, optimizer: Adam(imageAndFeatures.parameters(), lr: 1e-3))
    /// ```
    public convenience init(model: any MultiInputLayer, optimizer: Optimizer, task: LearningTask = .classify,
                            scheduler: LRScheduler? = nil, schedulerInterval: SchedulerInterval = .epoch, seed: UInt64 = 0,
                            nonFiniteLoss: NonFiniteLossPolicy = .stop) {
        self.init(forwardModel: .multi(model), optimizer: optimizer, task: task, scheduler: scheduler,
                  schedulerInterval: schedulerInterval, seed: seed, nonFiniteLoss: nonFiniteLoss)
    }

    /// Creates a trainer for a model with several named outputs (a ``MultiOutputLayer``): it minimizes
    /// the weighted sum of the outputs' losses, each with its head's task, on data whose targets name
    /// the same outputs (a ``TensorGroup``, e.g. from ``MultiTargetDataset``), and reports each output's
    /// loss and accuracy (``StepResult/outputs``, ``EpochMetrics/outputs``, ``Evaluation/outputs``).
    /// Outputs of the model that no head names are not trained.
    ///
    /// - Parameters:
    ///   - model: the model, called on a batch of its ``MultiOutputLayer/Input``.
    ///   - optimizer: the optimizer over the model's parameters.
    ///   - outputs: one head per output learned: its name, task and loss weight.
    ///   - scheduler: an optional learning-rate schedule.
    ///   - schedulerInterval: whether the schedule steps after each epoch or each batch.
    ///   - seed: the seed of the shuffled data order.
    ///   - nonFiniteLoss: what to do with a batch whose loss is NaN or infinite (default: stop with an error).
    /// - Throws: ``GradusError`` for no heads, two heads of one name, or a weight that is negative or not finite.
    ///
    /// ```swift
    /// let trainer = try Trainer(model: digitAndParity, optimizer: Adam(digitAndParity.parameters(), lr: 1e-3),
    ///                           outputs: [OutputHead("digit", task: .classify), OutputHead("odd", task: .classify, weight: 0.5)])
    /// ```
    public convenience init<M: MultiOutputLayer>(model: M, optimizer: Optimizer, outputs: [OutputHead],
                                                 scheduler: LRScheduler? = nil, schedulerInterval: SchedulerInterval = .epoch,
                                                 seed: UInt64 = 0, nonFiniteLoss: NonFiniteLossPolicy = .stop) throws {
        try OutputHead.validate(outputs, op: "Trainer")
        self.init(forwardModel: .multiOutput(.init(model)), optimizer: optimizer, task: outputs[0].task, scheduler: scheduler,
                  schedulerInterval: schedulerInterval, seed: seed, nonFiniteLoss: nonFiniteLoss, outputHeads: outputs)
    }

    init(forwardModel: ForwardModel, optimizer: Optimizer, task: LearningTask, scheduler: LRScheduler?,
         schedulerInterval: SchedulerInterval, seed: UInt64, nonFiniteLoss: NonFiniteLossPolicy, outputHeads: [OutputHead] = []) {
        self.forwardModel = forwardModel
        self.module = forwardModel.module
        self.optimizer = optimizer
        self.task = task
        self.outputHeads = outputHeads
        self.objective = outputHeads.isEmpty ? .single(task) : .heads(outputHeads)
        self.scheduler = scheduler
        self.schedulerInterval = schedulerInterval
        self.seed = seed
        self.nonFiniteLoss = nonFiniteLoss
        self.namedParameters = forwardModel.module.namedParameters()
    }

    /// The model of a trainer made from a ``Layer``. A trainer of a ``MultiInputLayer`` has none:
    /// reading it is a ``GradusError`` (a stop with the message outside ``GradusError/catching(_:)``);
    /// use ``module`` or ``multiInputModel`` there.
    ///
    /// ```swift
    /// let logits = trainer.model(x)
    /// ```
    public var model: any Layer {
        checked(or: Identity() as any Layer) {
            guard case .single(let layer) = forwardModel else {
                throw GradusError(.invalidArgument,
                                  "Trainer.model: the trainer's model \(type(of: module)) is a MultiInputLayer, not a Layer; use trainer.module or trainer.multiInputModel")
            }
            return layer
        }
    }

    /// The model of a trainer made from a ``MultiInputLayer``, or nil when the model is a ``Layer``.
    ///
    /// ```swift
    /// if let fused = trainer.multiInputModel { print(fused(batch).shape) }
    /// ```
    public var multiInputModel: (any MultiInputLayer)? {
        if case .multi(let layer) = forwardModel { return layer }
        return nil
    }

    /// Trains data-parallel with the processes of `group` from now on: the model's parameters become the
    /// first process's on every process, and gradients are averaged over the processes after every
    /// backward pass. Each process then reads its share of every epoch's batches (a
    /// ``DistributedSampler`` with the trainer's seed), so that the `batchSize` given to
    /// ``trainEpoch(_:batchSize:epochs:onBatch:)`` and ``fit(train:test:epochs:batchSize:onBatch:onEpoch:)``
    /// is the global batch (it must be divisible by the number of processes) and the processes' `k`-th
    /// batches together are exactly the `k`-th batch one process would train on. Epoch metrics and
    /// evaluations are summed over the processes (exact counts; each process evaluates its share).
    /// The processes agree after every forward pass: when a batch fails or its loss is not finite on
    /// any of them, all skip it or all stop (``nonFiniteLoss``); an interruption stops all at the same batch.
    ///
    /// Call it on every process after loading any checkpoint and before training; every process must
    /// then make the same calls.
    ///
    /// - Parameter group: the processes (GradusDistributed's `ProcessGroup`).
    /// - Throws: what the group throws when the processes' models differ or communication fails.
    ///
    /// ```swift
    /// let group = try ProcessGroup.initialize()
    /// try trainer.distribute(over: group)
    /// try trainer.fit(train: train, test: test, epochs: 10, batchSize: 64)   // 64 over all processes
    /// ```
    public func distribute(over group: any DataParallelGroup) throws {
        gradientSynchronizer = try group.synchronizeGradients(of: module)
        dataParallel = group
    }

    /// Sets the counters of a run being resumed: the next epoch trained is `epoch + 1`. Load the model's
    /// and the optimizer's state first; a schedule is advanced to match.
    ///
    /// - Parameters:
    ///   - epoch: the number of completed epochs.
    ///   - step: the number of optimizer steps taken.
    ///   - unfinishedEpoch: the progress of an epoch interrupted mid-way (``Checkpoint/unfinishedEpoch``);
    ///     the next ``trainEpoch(_:batchSize:epochs:onBatch:)`` continues it.
    ///
    /// ```swift
    /// try model.loadStateDict(checkpoint.model)
    /// try optimizer.loadStateDict(checkpoint.optimizer)
    /// trainer.restore(epoch: checkpoint.epoch, step: checkpoint.step)
    /// ```
    public func restore(epoch: Int, step: Int, unfinishedEpoch: EpochProgress? = nil) {
        checked(or: ()) {
            try require(epoch >= 0 && step >= 0, "Trainer.restore: epoch \(epoch) and step \(step) must not be negative")
            if let problem = unfinishedEpoch?.problem {
                throw GradusError(.invalidArgument, "Trainer.restore: the unfinished epoch's progress is impossible: \(problem)")
            }
            let target = schedulerInterval == .epoch ? epoch : step
            if let final = scheduler?.finalEpoch {
                try require(target <= final, "Trainer.restore: \(schedulerInterval == .epoch ? "epoch" : "step") \(target) is past the end of the learning-rate schedule (\(final))")
            }
            self.epoch = epoch
            self.step = step
            self.unfinishedEpoch = unfinishedEpoch
            scheduler?.advance(to: target)
        }
    }

    /// One optimizer step on a batch: zero the gradients, forward, loss, backward, update, and a
    /// batch-interval schedule step.
    ///
    /// When the loss or a parameter's gradient is not finite, ``nonFiniteLoss`` decides: `.stop` throws
    /// before any update, `.skip` returns a result with ``StepResult/skipped`` set and no update,
    /// `.ignore` steps anyway.
    ///
    /// - Parameters:
    ///   - inputs: a batch of inputs.
    ///   - targets: the batch's targets (int64 labels for classification).
    /// - Returns: the loss, the batch size and the number of correct predictions.
    /// - Throws: ``TrainingError`` under `.stop` when the loss is NaN or infinite; ``GradusError`` when
    ///   the batch does not fit the model (a label outside the model's classes, a wrong input shape),
    ///   before anything is updated — the trainer can go on with the next batch.
    ///
    /// ```swift
    /// let r = try trainer.trainStep(inputs: x, targets: y)
    /// ```
    @discardableResult
    public func trainStep(inputs: Tensor, targets: Tensor) throws -> StepResult {
        try runStep(inputs, targets)
    }

    /// One optimizer step on a batch of named inputs, for a trainer of a ``MultiInputLayer``; otherwise
    /// as `trainStep(inputs:targets:)` (the same checks, error scope and non-finite policy).
    ///
    /// - Parameters:
    ///   - inputs: a batch of named inputs, each `[N, ...]`.
    ///   - targets: the batch's targets (int64 labels for classification).
    /// - Returns: the loss, the batch size and the number of correct predictions.
    /// - Throws: ``GradusError`` when the trainer's model is a ``Layer`` (it takes one tensor), or when
    ///   the batch does not fit the model (a missing field, a wrong shape, a label outside the model's
    ///   classes), before anything is updated; ``TrainingError`` under `.stop` when the loss is not finite.
    ///
    /// ```swift
    /// let r = try trainer.trainStep(inputs: ["image": images, "features": features], targets: labels)
    /// ```
    @discardableResult
    public func trainStep(inputs: TensorGroup, targets: Tensor) throws -> StepResult {
        try runStep(inputs, targets)
    }

    /// One optimizer step on a batch for a trainer of a ``MultiOutputLayer``: named targets, one per
    /// ``OutputHead``; otherwise as `trainStep(inputs:targets:)` (the same checks, error scope and
    /// non-finite policy). The result's ``StepResult/loss`` is the weighted total, ``StepResult/outputs``
    /// holds each output's loss and accuracy.
    ///
    /// - Parameters:
    ///   - inputs: a batch of the model's input (a ``Tensor`` or a ``TensorGroup``), each `[N, ...]`.
    ///   - targets: the batch's targets by output name, each `[N, ...]`.
    /// - Returns: the weighted loss, the batch size and each output's metrics.
    /// - Throws: ``GradusError`` when the model does not give several outputs or does not take `inputs`,
    ///   a head's output or target is missing, or a label is outside its output's classes; ``TrainingError``
    ///   under `.stop` when the loss is not finite.
    ///
    /// ```swift
    /// let r = try trainer.trainStep(inputs: x, targets: ["digit": y, "odd": odd])
    /// print(r.outputs.map { "\($0.name) \($0.loss)" })
    /// ```
    @discardableResult
    public func trainStep<Input: Collatable>(inputs: Input, targets: TensorGroup) throws -> StepResult {
        try runStep(inputs, targets)
    }

    /// `trainStep(inputs:targets:)` for every kind of input and target.
    private func runStep<Input: Collatable, Target: Collatable>(_ inputs: Input, _ targets: Target) throws -> StepResult {
        let forward = try forwardModel.forward(Input.self, op: "Trainer.trainStep")
        try objective.check(Target.self, op: "Trainer.trainStep")
        let (r, problem) = try guardedStep(inputs: inputs, targets: targets, forward: forward)
        if let problem, nonFiniteLoss == .stop {
            throw TrainingError("training stopped at step \(step + 1): \(problem). " + Self.nonFiniteAdvice)
        }
        return r
    }

    /// A step that leaves out the update when the loss or a gradient is not finite (unless the policy is
    /// `.ignore`); the problem is described for the error message. `forward` calls the model on
    /// `inputs` and counts the batch's samples (``ForwardModel/forward(_:op:)``).
    func guardedStep<Input, Target: Collatable>(inputs: Input, targets: Target,
                                               forward: (Input) -> (output: ModelOutput, count: Int)) throws -> (StepResult, problem: String?) {
        optimizer.zeroGrad()
        // Data-parallel: the first process's buffers (running statistics) everywhere, as PyTorch's
        // DistributedDataParallel does before each forward pass.
        if let group = dataParallel { try group.broadcastFromFirst(module.namedBuffers().map(\.tensor)) }
        // The forward pass and the loss run in an error scope: a batch that does not fit the model
        // throws here, before backward and the update.
        let computed: Result<(TrainingObjective.BatchLoss, Tensor, Int), Error> = Result {
            try GradusError.catching {
                let (output, samples) = forward(inputs)
                try GradusError.throwIfRecorded()
                let batchLoss = try objective.loss(output, targets)
                // A language model's unit is the token: its losses and accuracies are means over tokens.
                return (batchLoss, batchLoss.total, objective.count(batchLoss, samples: samples))
            }
        }
        // Data-parallel: every process learns whether any batch failed or has a non-finite loss, so that
        // all go into backward (whose gradient averaging needs every process) or none does.
        var elsewhereNonFinite = false
        if let group = dataParallel {
            let localValue = (try? computed.get()).map { Double($0.1.item(Double.self)) } ?? 0
            let flags = try group.sumAcrossProcesses([(try? computed.get()) == nil ? 1 : 0, localValue.isFinite ? 0 : 1])
            if case .failure(let error) = computed { throw error }
            if flags[0] > 0 {
                throw TrainingError("training stopped at step \(step + 1): a batch failed on another process (its message says why); all processes stop together")
            }
            elsewhereNonFinite = flags[1] > 0 && localValue.isFinite
        }
        let (batchLoss, loss, count) = try computed.get()
        let value = Double(loss.item(Double.self))
        let skipped = StepResult(loss: value, count: count, correct: 0, skipped: true)
        if elsewhereNonFinite, nonFiniteLoss != .ignore {
            return (skipped, "the loss is not finite on another process; no process updated the weights with this batch")
        }
        if !value.isFinite, nonFiniteLoss != .ignore {
            var problem = "the loss is \(value); the weights were not updated with this batch"
            if let bad = FiniteCheck.firstProblem(namedParameters) {
                problem += ", but they were already not finite (\(bad)): an earlier update overflowed, so lower the learning rate"
            }
            return (skipped, problem)
        }
        // In an error scope: a failure in backward (a hook, a collective of data-parallel training,
        // AnomalyMode) is thrown to the caller, not a stop of the process.
        try GradusError.catching { loss.backward() }
        if nonFiniteLoss != .ignore {
            let grads = namedParameters.compactMap { p in p.tensor.grad.map { (name: "the gradient of " + p.name, tensor: $0) } }
            if let bad = FiniteCheck.firstProblem(grads) {
                optimizer.zeroGrad()
                return (skipped, "\(bad) (the loss is \(value)); the weights were not updated with this batch")
            }
        }
        optimizer.step()
        step += 1
        if schedulerInterval == .batch { scheduler?.step() }
        let tallies = GradMode.noGrad {
            batchLoss.parts.map { part in
                // A language model's unit is the token, any other task's the sample.
                let units = part.task == .languageModel ? part.targets.count : count
                // With one output its loss is the total, already read.
                let partLoss = outputHeads.isEmpty ? value : Double(part.loss.item(Double.self))
                return OutputTally(lossSum: partLoss * Double(units), count: units,
                                   correct: part.task.predictsClasses ? Self.countCorrect(part.output, part.targets) : 0)
            }
        }
        var result = StepResult(loss: value, count: count, correct: outputHeads.isEmpty ? tallies[0].correct : 0)
        result.outputs = zip(outputHeads, tallies).map { $1.metrics(name: $0.name, task: $0.task) }
        result.tallies = tallies
        return (result, nil)
    }

    /// Checks that classification targets are int64 class indices in `0..<classes` (the model's output
    /// width); the loss's ignore index is not accepted from data.
    ///
    /// - Throws: ``GradusError`` (`.dtypeMismatch` or `.indexOutOfRange`) naming the label and its position.
    static func checkLabels(_ targets: Tensor, classes: Int) throws {
        try require(targets.dtype == .int64,
                    "Trainer: classification targets must be int64 class indices, got \(targets.dtype) of shape \(targets.shape)",
                    .dtypeMismatch)
        let p = targets.pointer(Int64.self)
        for i in 0..<targets.count where p[i] < 0 || p[i] >= Int64(classes) {
            throw GradusError(.indexOutOfRange,
                              "Trainer: label \(p[i]) at position \(i) of the batch is outside the model's \(classes) classes (0..<\(classes))")
        }
    }

    /// Describes the first parameter holding NaN or Inf ("0.weight holds inf at index 2"), or nil.
    ///
    /// ```swift
    /// if let bad = trainer.nonFiniteParameter() { print("weights corrupted: \(bad)") }
    /// ```
    public func nonFiniteParameter() -> String? { FiniteCheck.firstProblem(namedParameters) }

    /// The signal that asks to stop, agreed by all processes in data-parallel training (any one asking
    /// stops all at the same batch).
    private func agreedInterruption() throws -> Int32? {
        let local = interruptionRequest()
        guard let group = dataParallel else { return local }
        let t = try group.sumAcrossProcesses([local == nil ? 0 : 1, local == SIGTERM ? 1 : 0])
        guard t[0] > 0 else { return nil }
        // A process that was not asked itself takes SIGTERM when any process got it (what mpirun and
        // job schedulers send), else SIGINT.
        return local ?? (t[1] > 0 ? SIGTERM : SIGINT)
    }

    static let nonFiniteAdvice = "Check the data for NaN or infinite values, lower the learning rate, or skip such batches "
        + "(gradus train --on-nonfinite skip, NonFiniteLossPolicy.skip); --detect-anomaly (AnomalyMode) names the first "
        + "operation that produces a non-finite value."

    /// Trains one epoch over `data` in the shuffled order of epoch ``epoch`` + 1.
    ///
    /// - Parameters:
    ///   - data: the training data.
    ///   - batchSize: samples per batch (the last batch may be smaller).
    ///   - epochs: the run's last epoch, used for the progress report's time estimate.
    ///   - onBatch: called after every batch.
    /// - Returns: the epoch's metrics (without test values).
    /// - Throws: ``TrainingError`` naming the epoch, batch and loss when a loss is not finite under
    ///   ``NonFiniteLossPolicy/stop``; ``epoch`` is then not advanced. ``GradusError`` when a batch does
    ///   not fit the model, or when the data's ``Dataset/Input`` is not what the model takes (``Tensor``
    ///   for a ``Layer``, ``TensorGroup`` for a ``MultiInputLayer``).
    ///
    /// ```swift
    /// let m = try trainer.trainEpoch(train, batchSize: 32)
    /// ```
    @discardableResult
    public func trainEpoch<D: Dataset>(_ data: D, batchSize: Int, epochs: Int? = nil,
                                       onBatch: ((TrainingProgress) -> Void)? = nil) throws -> EpochMetrics {
        try require(batchSize >= 1, "Trainer.trainEpoch: batchSize must be at least 1, got \(batchSize)")
        let forward = try forwardModel.forward(D.Input.self, op: "Trainer.trainEpoch")
        try objective.check(D.Target.self, op: "Trainer.trainEpoch")
        module.train()
        let loader: DataLoader<D>
        if let group = dataParallel {
            try require(batchSize % group.worldSize == 0,
                        "Trainer.trainEpoch: the batch of \(batchSize) samples is split over \(group.worldSize) processes and must be divisible by \(group.worldSize)")
            let sampler = try DistributedSampler(count: data.count, worldSize: group.worldSize, rank: group.rank, shuffle: true, seed: seed)
            loader = DataLoader(data, batchSize: batchSize / group.worldSize, sampler: sampler)
        } else {
            loader = DataLoader(data, batchSize: batchSize, shuffle: true, seed: seed)
        }
        let batches = loader.count
        let lastEpoch = Swift.max(epochs ?? (epoch + 1), epoch + 1)
        let start = DispatchTime.now().uptimeNanoseconds
        // `seen` counts the samples of the batches used; `processed` also those of skipped batches.
        // An interrupted epoch continues where it stopped, with its sums (the order of an epoch's
        // batches depends only on the seed and the epoch, so the remaining ones are the same).
        var progress = unfinishedEpoch ?? EpochProgress()
        unfinishedEpoch = nil
        if let group = dataParallel, group.rank != 0 {
            // A restored epoch's sums are the processes' totals (see below): the first process carries them.
            progress = EpochProgress(batches: progress.batches)
        }
        var lossSum = progress.lossSum, seen = progress.seen, processed = progress.processed
        var correct = progress.correct, skipped = progress.skipped
        // Per output head (none for a model with one output); a resumed epoch's sums when it kept them.
        var tallies = progress.outputTallies.isEmpty ? Array(repeating: OutputTally(), count: outputHeads.count) : progress.outputTallies
        func mean(_ total: Double) -> Double { seen == 0 ? (skipped > 0 ? .nan : 0) : total / Double(seen) }
        var epochBatches = loader.batches(epoch: epoch).makeIterator()
        for k in 0..<batches {
            // Each batch is put together in a scope of its own: samples that do not fit together (shapes
            // that differ, a target of the wrong kind) throw here instead of stopping the program.
            guard let batch = try GradusError.catching({ epochBatches.next() }) else { break }
            if k < progress.batches { continue }
            if k > 0, let signal = try agreedInterruption() {
                progress = EpochProgress(batches: k, lossSum: lossSum, seen: seen, processed: processed,
                                         correct: correct, skipped: skipped)
                progress.outputTallies = tallies
                if let group = dataParallel {
                    // The saved progress holds the processes' totals (skipped batches are the same on all).
                    let t = try group.sumAcrossProcesses([lossSum, Double(seen), Double(processed), Double(correct)]
                                                         + tallies.flatMap(\.values))
                    progress = EpochProgress(batches: k, lossSum: t[0], seen: Int(t[1]), processed: Int(t[2]),
                                             correct: Int(t[3]), skipped: skipped)
                    progress.outputTallies = Self.tallies(from: t.dropFirst(4))
                }
                unfinishedEpoch = progress
                throw TrainingInterrupted(signal: signal, epoch: epoch + 1, batch: k, checkpoint: nil)
            }
            let (r, problem) = try guardedStep(inputs: batch.inputs, targets: batch.targets, forward: forward)
            processed += r.count
            if let problem {
                if nonFiniteLoss == .stop {
                    throw TrainingError("training stopped at epoch \(epoch + 1), batch \(k + 1) of \(batches): \(problem). "
                                        + Self.nonFiniteAdvice)
                }
                skipped += 1
            } else {
                lossSum += r.loss * Double(r.count)
                seen += r.count
                correct += r.correct
                for i in tallies.indices { tallies[i].add(r.tallies[i]) }
            }
            if let onBatch {
                let elapsed = Self.seconds(since: start)
                let perBatch = elapsed / Double(k + 1)
                // In Doubles: batches × epochs left overflows Int for "train until stopped" (epochs: Int.max).
                let left = (Double(batches - k - 1) + Double(batches) * Double(lastEpoch - epoch - 1)) * perBatch
                onBatch(TrainingProgress(epoch: epoch + 1, epochs: lastEpoch, batch: k + 1, batches: batches,
                                         loss: mean(lossSum),
                                         accuracy: task.predictsClasses && outputHeads.isEmpty ? mean(Double(correct)) : nil,
                                         samplesPerSecond: Double(processed) / Swift.max(elapsed, 1e-9), secondsLeft: left))
            }
        }
        if let group = dataParallel {
            let t = try group.sumAcrossProcesses([lossSum, Double(seen), Double(processed), Double(correct)] + tallies.flatMap(\.values))
            lossSum = t[0]; seen = Int(t[1]); processed = Int(t[2]); correct = Int(t[3])
            tallies = Self.tallies(from: t.dropFirst(4))
        }
        let elapsed = Self.seconds(since: start)
        let lr = optimizer.learningRate
        epoch += 1
        if schedulerInterval == .epoch { scheduler?.step() }
        var metrics = EpochMetrics(epoch: epoch, trainLoss: mean(lossSum),
                                   trainAccuracy: task.predictsClasses && outputHeads.isEmpty ? mean(Double(correct)) : nil,
                                   learningRate: lr, seconds: elapsed, samplesPerSecond: Double(processed) / Swift.max(elapsed, 1e-9),
                                   skippedBatches: skipped)
        metrics.outputs = zip(outputHeads, tallies).map { $1.metrics(name: $0.name, task: $0.task) }
        return metrics
    }

    /// Tallies from consecutive triples of numbers (``OutputTally/values``).
    static func tallies(from values: ArraySlice<Double>) -> [OutputTally] {
        stride(from: values.startIndex, to: values.endIndex, by: 3).map { OutputTally(values: values[$0..<$0 + 3]) }
    }

    /// Evaluates the model on `data` in evaluation mode without recording gradients.
    ///
    /// Data whose ``Dataset/Input`` is not what the model takes (``Tensor`` for a ``Layer``,
    /// ``TensorGroup`` for a ``MultiInputLayer``) is a ``GradusError`` (recorded inside
    /// ``GradusError/catching(_:)``, a stop with the message outside).
    ///
    /// - Parameters:
    ///   - data: the data.
    ///   - batchSize: samples per forward pass.
    ///   - classes: the confusion matrix's number of classes (nil: the model's output width).
    /// - Returns: the mean loss, and for classification the accuracy and confusion matrix.
    ///
    /// ```swift
    /// let result = trainer.evaluate(test)
    /// print(result.accuracy!)
    /// ```
    public func evaluate<D: Dataset>(_ data: D, batchSize: Int = 256, classes: Int? = nil) -> Evaluation {
        checked(or: Self.failedEvaluation(task)) {
            try Self.runEvaluation(forwardModel, objective: objective, data: data, batchSize: batchSize, classes: classes,
                                   op: "Trainer.evaluate", group: dataParallel)
        }
    }

    /// Evaluates any model on `data` (see ``evaluate(_:batchSize:classes:)``); the model is left in the mode it had.
    /// The data's inputs must be ``Tensor``s (a ``GradusError`` otherwise, recorded inside
    /// ``GradusError/catching(_:)``, a stop with the message outside).
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
        checked(or: failedEvaluation(task)) {
            try runEvaluation(.single(model), objective: .single(task), data: data, batchSize: batchSize, classes: classes,
                              op: "Trainer.evaluate")
        }
    }

    /// Evaluates a model with several inputs on data whose inputs are ``TensorGroup``s (see
    /// ``evaluate(_:batchSize:classes:)``); the model is left in the mode it had.
    ///
    /// - Parameters:
    ///   - model: the model.
    ///   - task: classification or regression.
    ///   - data: the data, e.g. a ``GroupDataset``.
    ///   - batchSize: samples per forward pass.
    ///   - classes: the size of the confusion matrix (default: the model's output width).
    /// - Returns: the evaluation.
    ///
    /// ```swift
    /// let result = Trainer.evaluate(model: imageAndFeatures, task: .classify, data: groupTest)
    /// ```
    public static func evaluate<D: Dataset>(model: any MultiInputLayer, task: LearningTask, data: D, batchSize: Int = 256,
                                            classes: Int? = nil) -> Evaluation where D.Input == TensorGroup {
        checked(or: failedEvaluation(task)) {
            try runEvaluation(.multi(model), objective: .single(task), data: data, batchSize: batchSize, classes: classes,
                              op: "Trainer.evaluate")
        }
    }

    /// Evaluates a model with several outputs (see ``evaluate(_:batchSize:classes:)``): each output's
    /// mean loss and accuracy in ``Evaluation/outputs``, their weighted total in ``Evaluation/loss``. The
    /// model is left in the mode it had. Data whose inputs the model does not take, or whose targets are
    /// not named tensors, is a ``GradusError`` (recorded inside ``GradusError/catching(_:)``, a stop with
    /// the message outside), as are invalid heads.
    ///
    /// - Parameters:
    ///   - model: the model.
    ///   - outputs: the outputs evaluated, with their tasks and weights.
    ///   - data: the data, e.g. a ``MultiTargetDataset``.
    ///   - batchSize: samples per forward pass.
    /// - Returns: the evaluation.
    ///
    /// ```swift
    /// let result = Trainer.evaluate(model: digitAndParity, outputs: heads, data: test)
    /// for o in result.outputs { print(o.name, o.accuracy!) }
    /// ```
    public static func evaluate<M: MultiOutputLayer, D: Dataset>(model: M, outputs: [OutputHead], data: D,
                                                                 batchSize: Int = 256) -> Evaluation {
        checked(or: failedEvaluation(outputs.first?.task ?? .classify)) {
            try OutputHead.validate(outputs, op: "Trainer.evaluate")
            return try runEvaluation(.multiOutput(.init(model)), objective: .heads(outputs), data: data, batchSize: batchSize,
                                     classes: nil, op: "Trainer.evaluate")
        }
    }

    /// What a failed evaluation gives inside a ``GradusError/catching(_:)`` scope.
    static func failedEvaluation(_ task: LearningTask) -> Evaluation {
        Evaluation(task: task, count: 0, loss: .nan, accuracy: nil, confusion: nil)
    }

    /// The evaluation loop shared by every kind of model; `op` names the caller in errors.
    static func runEvaluation<D: Dataset>(_ model: ForwardModel, objective: TrainingObjective, data: D, batchSize: Int,
                                          classes: Int?, op: String, group: (any DataParallelGroup)? = nil) throws -> Evaluation {
        let task = objective.tasks[0]
        let heads: [OutputHead]
        if case .heads(let h) = objective { heads = h } else { heads = [] }
        if let group, group.worldSize > 1 {
            // Each process evaluates every worldSize-th sample; the sums and counts are added up exactly.
            try group.broadcastFromFirst(model.module.namedBuffers().map(\.tensor))
            let share = Subset(base: data, indices: Array(stride(from: group.rank, to: data.count, by: group.worldSize)))
            // Every process takes part in the same sums even when its own share fails, so that a failure
            // is thrown on all of them (the others would otherwise wait for it in the next collective).
            let outcome = Result { try runEvaluation(model, objective: objective, data: share, batchSize: batchSize, classes: classes, op: op) }
            let local = try? outcome.get()
            let elements = Double(local?.elements ?? 0)
            let localClasses = Double(local?.confusion?.classes ?? 0)
            let localTallies = local?.tallies ?? Array(repeating: OutputTally(), count: heads.count)
            // The accuracy of processes without a confusion matrix (more classes than one fits in the
            // memory budget), weighted by their samples, comes last.
            let plainAccuracy = local?.confusion == nil ? local?.accuracy : nil
            let head = try group.sumAcrossProcesses([local == nil ? 1 : 0, (local?.loss ?? 0) * elements, elements,
                                                     localClasses, localClasses > 0 ? 1 : 0, localClasses * localClasses]
                                                    + localTallies.flatMap(\.values)
                                                    + [(plainAccuracy ?? 0) * elements, plainAccuracy == nil ? 0 : elements])
            if case .failure(let error) = outcome { throw error }
            if head[0] > 0 {
                throw GradusError(.invalidArgument, "\(op): the evaluation failed on another process (its message says why)")
            }
            if !heads.isEmpty {
                let tallies = Self.tallies(from: head.dropFirst(6).dropLast(2))
                return Evaluation(task: task, count: data.count, loss: Self.weightedLoss(heads, tallies), accuracy: nil, confusion: nil,
                                  elements: data.count, heads: heads, tallies: tallies)
            }
            var confusion: ConfusionMatrix? = nil
            if head[4] > 0 {
                let n = Int(head[3] / head[4])
                // All processes that counted classes counted the same number: then Σc² = k·n².
                try require(head[5] == head[4] * Double(n * n), "\(op): the processes' models predict different numbers of classes", .shapeMismatch)
                let mine = local?.confusion?.counts.flatMap { $0.map(Double.init) } ?? [Double](repeating: 0, count: n * n)
                let summed = try group.sumAcrossProcesses(mine)
                confusion = ConfusionMatrix(classes: n, counts: (0..<n).map { r in (0..<n).map { Int(summed[r * n + $0]) } })
            }
            let (weighted, weight) = (head[head.count - 2], head[head.count - 1])
            return Evaluation(task: task, count: data.count, loss: head[1] / Swift.max(head[2], 1),
                              accuracy: confusion?.accuracy ?? (weight > 0 ? weighted / weight : nil), confusion: confusion,
                              elements: Int(head[2]))
        }
        // A plan compiles per batch shape (a run of one sample, oneDNN's primitives, packed weights):
        // about one batch's work, repaid from four batches on (below that, the digits MLP's 360 test
        // samples, the epochs of `gradus train` took twice as long).
        let forward = data.count / 4 >= batchSize ? try model.inferenceForward(D.Input.self, op: op)
                                                  : try model.forward(D.Input.self, op: op)
        try objective.check(D.Target.self, op: op)
        let module = model.module
        let wasTraining = module.isTraining
        module.eval()
        defer { module.train(wasTraining) }
        var lossSum = 0.0, elements = 0
        var confusion: ConfusionMatrix? = nil
        // With more classes than a confusion matrix fits in MemoryBudget (a large vocabulary), the
        // accuracy is counted without one.
        var plainCount: (correct: Int, counted: Int)? = nil
        var tallies = Array(repeating: OutputTally(), count: heads.count)
        try GradMode.noGrad {
            for batch in DataLoader(data, batchSize: batchSize, prefetch: false) {
                let output = forward(batch.inputs).output
                // Inside a caller's error scope, a batch that does not fit the model ends the evaluation
                // here (its placeholder output has no classes to count).
                try GradusError.throwIfRecorded()
                let batchLoss = try objective.loss(output, batch.targets, reduction: .sum, checkingLabels: false)
                try GradusError.throwIfRecorded()   // a loss that failed (zero classes, a wrong shape)
                if !heads.isEmpty {
                    for (k, part) in batchLoss.parts.enumerated() {
                        tallies[k].add(OutputTally(lossSum: Double(part.loss.item(Double.self)), count: part.targets.count,
                                                   correct: part.task.predictsClasses ? countCorrect(part.output, part.targets) : 0))
                    }
                    continue
                }
                let part = batchLoss.parts[0]
                lossSum += Double(part.loss.item(Double.self))
                elements += part.targets.count
                if task.predictsClasses {
                    let outputClasses = classes ?? part.output.shape.last ?? 0
                    try require(outputClasses >= 1, "Trainer.evaluate: the model's output \(part.output.shape) has no classes to predict",
                                .shapeMismatch)
                    let predicted = part.output.argmax(axis: part.output.rank - 1).intScalars
                    if outputClasses > ConfusionMatrix.mostClasses {
                        var tally = plainCount ?? (0, 0)
                        for (a, p) in zip(part.targets.intScalars, predicted) where a >= 0 && a < outputClasses {
                            tally.counted += 1
                            if a == p { tally.correct += 1 }
                        }
                        plainCount = tally
                        continue
                    }
                    var cm = confusion ?? ConfusionMatrix(classes: outputClasses)
                    for (a, p) in zip(part.targets.intScalars, predicted) where a >= 0 && a < cm.classes {
                        cm.add(actual: a, predicted: p)
                    }
                    confusion = cm
                }
            }
        }
        if !heads.isEmpty {
            return Evaluation(task: task, count: data.count, loss: Self.weightedLoss(heads, tallies), accuracy: nil, confusion: nil,
                              elements: data.count, heads: heads, tallies: tallies)
        }
        let plainAccuracy = plainCount.map { $0.counted == 0 ? 0 : Double($0.correct) / Double($0.counted) }
        return Evaluation(task: task, count: data.count, loss: lossSum / Double(Swift.max(elements, 1)),
                          accuracy: confusion?.accuracy ?? plainAccuracy, confusion: confusion, elements: elements)
    }

    /// The weighted total of the outputs' mean losses.
    static func weightedLoss(_ heads: [OutputHead], _ tallies: [OutputTally]) -> Double {
        zip(heads, tallies).reduce(0) { $0 + $1.0.weight * $1.1.lossSum / Double(Swift.max($1.1.count, 1)) }
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
    /// - Throws: what `onEpoch` throws, or a ``TrainingError`` when a loss is not finite under
    ///   ``NonFiniteLossPolicy/stop`` (the unfinished epoch is not reported to `onEpoch`); a
    ///   ``GradusError`` when the inputs of `train` or `test` are not what the model takes (checked
    ///   before the first epoch) or a batch of either does not fit the model.
    ///
    /// ```swift
    /// let history = try trainer.fit(train: train, test: test, epochs: 20, batchSize: 32)
    /// ```
    @discardableResult
    public func fit<D: Dataset, E: Dataset>(train: D, test: E?, epochs: Int, batchSize: Int,
                                            onBatch: ((TrainingProgress) -> Void)? = nil,
                                            onEpoch: (EpochMetrics) throws -> Void = { _ in }) throws -> [EpochMetrics] {
        _ = try forwardModel.forward(D.Input.self, op: "Trainer.fit")
        try objective.check(D.Target.self, op: "Trainer.fit")
        if test != nil {
            _ = try forwardModel.forward(E.Input.self, op: "Trainer.fit")
            try objective.check(E.Target.self, op: "Trainer.fit")
        }
        var history: [EpochMetrics] = []
        while epoch < epochs {
            var m = try trainEpoch(train, batchSize: batchSize, epochs: epochs, onBatch: onBatch)
            if let test {
                // In an error scope, as the training steps: test data that does not fit the model throws.
                let e = try GradusError.catching {
                    try Self.runEvaluation(forwardModel, objective: objective, data: test, batchSize: 256, classes: nil, op: "Trainer.fit",
                                           group: dataParallel)
                }
                m.testLoss = e.loss
                m.testAccuracy = e.accuracy
                m.testOutputs = e.outputs
            }
            history.append(m)
            try onEpoch(m)
            if epoch < epochs, let signal = try agreedInterruption() {
                throw TrainingInterrupted(signal: signal, epoch: epoch, batch: 0, checkpoint: nil)
            }
        }
        return history
    }

    /// ``fit(train:test:epochs:batchSize:onBatch:onEpoch:)`` without test data.
    ///
    /// ```swift
    /// try trainer.fit(train: train, epochs: 5, batchSize: 16)
    /// ```
    @discardableResult
    public func fit<D: Dataset>(train: D, epochs: Int, batchSize: Int,
                                onBatch: ((TrainingProgress) -> Void)? = nil,
                                onEpoch: (EpochMetrics) throws -> Void = { _ in }) throws -> [EpochMetrics] {
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
