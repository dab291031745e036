/// A description of an optimizer and its hyper-parameters, stored in checkpoints.
///
/// ```swift
/// let spec = OptimizerSpec(kind: .sgd, learningRate: 0.05, momentum: 0.9)
/// let optimizer = spec.make(model.parameters())
/// ```
public struct OptimizerSpec: Codable, Sendable, Equatable {
    /// The optimizers that can be named.
    public enum Kind: String, Codable, Sendable, CaseIterable {
        /// ``SGD``.
        case sgd
        /// ``Adam``.
        case adam
        /// ``AdamW``.
        case adamw
        /// ``RMSprop``.
        case rmsprop
        /// ``Adagrad``.
        case adagrad

        /// A learning rate that works for small models with this optimizer.
        public var defaultLearningRate: Double {
            switch self {
            case .sgd: return 0.05
            case .adam, .adamw: return 2e-3
            case .rmsprop: return 1e-3
            case .adagrad: return 1e-2
            }
        }
    }

    /// Which optimizer.
    public var kind: Kind
    /// The (initial) learning rate.
    public var learningRate: Double
    /// Momentum (SGD, RMSprop).
    public var momentum: Double
    /// Weight decay (L2 penalty; decoupled for AdamW).
    public var weightDecay: Double

    /// Creates a description.
    ///
    /// - Parameters:
    ///   - kind: which optimizer.
    ///   - learningRate: the learning rate; nil for ``Kind/defaultLearningRate``.
    ///   - momentum: momentum for SGD and RMSprop.
    ///   - weightDecay: weight decay.
    ///
    /// ```swift
    /// let adam = OptimizerSpec(kind: .adam)
    /// ```
    public init(kind: Kind, learningRate: Double? = nil, momentum: Double = 0, weightDecay: Double = 0) {
        self.kind = kind
        self.learningRate = learningRate ?? kind.defaultLearningRate
        self.momentum = momentum
        self.weightDecay = weightDecay
    }

    /// Checks the values and throws a ``TrainingError`` naming the bad one.
    ///
    /// ```swift
    /// try spec.validate()
    /// ```
    public func validate() throws {
        guard learningRate.isFinite, learningRate > 0 else {
            throw TrainingError("the learning rate must be a positive number, got \(learningRate)")
        }
        guard momentum.isFinite, momentum >= 0, momentum < 1 else {
            throw TrainingError("momentum must lie in [0, 1), got \(momentum)")
        }
        guard weightDecay.isFinite, weightDecay >= 0 else {
            throw TrainingError("weight decay must be a non-negative number, got \(weightDecay)")
        }
    }

    /// Creates the optimizer over `parameters`.
    ///
    /// - Parameter parameters: the tensors to optimize.
    /// - Returns: the optimizer.
    ///
    /// ```swift
    /// let optimizer = OptimizerSpec(kind: .adam).make(model.parameters())
    /// ```
    public func make(_ parameters: [Tensor]) -> Optimizer {
        switch kind {
        case .sgd: return SGD(parameters, lr: learningRate, momentum: momentum, weightDecay: weightDecay)
        case .adam: return Adam(parameters, lr: learningRate, weightDecay: weightDecay)
        case .adamw: return AdamW(parameters, lr: learningRate, weightDecay: weightDecay)
        case .rmsprop: return RMSprop(parameters, lr: learningRate, weightDecay: weightDecay, momentum: momentum)
        case .adagrad: return Adagrad(parameters, lr: learningRate, weightDecay: weightDecay)
        }
    }

    /// A one-line summary, e.g. `adam lr 0.001`.
    public var summary: String {
        var s = "\(kind.rawValue) lr \(learningRate)"
        if momentum != 0 { s += " momentum \(momentum)" }
        if weightDecay != 0 { s += " weight decay \(weightDecay)" }
        return s
    }
}

/// When a learning-rate schedule steps: after every epoch or after every batch.
///
/// ```swift
/// let trainer = Trainer(model: m, optimizer: o, scheduler: s, schedulerInterval: .batch)
/// ```
public enum SchedulerInterval: String, Codable, Sendable {
    /// `scheduler.step()` after each epoch (StepLR, CosineAnnealingLR).
    case epoch
    /// `scheduler.step()` after each optimizer step (OneCycleLR).
    case batch
}

/// A description of a learning-rate schedule.
///
/// - `none`: a constant rate.
/// - `step`: ``StepLR`` dividing the rate by 10 every third of the run (at least every epoch).
/// - `cosine`: ``CosineAnnealingLR`` over all epochs, down to 0.
/// - `onecycle`: ``OneCycleLR`` over all batches, peaking at the optimizer's learning rate. It cycles
///   momentum as PyTorch does by default (from 0.95 down to 0.85 at the peak rate and back, replacing
///   the optimizer's own momentum or β₁) when the optimizer has betas (Adam, AdamW) or a non-zero
///   momentum (SGD, RMSprop); it leaves momentum alone for SGD and RMSprop without momentum (cycling
///   would switch on a momentum that was not asked for) and for Adagrad (PyTorch refuses to cycle an
///   optimizer without momentum or betas).
///
/// ```swift
/// let (scheduler, interval) = ScheduleSpec.cosine.make(optimizer, epochs: 20, batchesPerEpoch: 45)
/// ```
public enum ScheduleSpec: String, Codable, Sendable, CaseIterable {
    /// A constant learning rate.
    case none
    /// Step decay by 0.1 every `max(1, epochs / 3)` epochs.
    case step
    /// Cosine annealing over the run.
    case cosine
    /// One cycle over all batches of the run.
    case onecycle
    /// PyTorch's ReduceLROnPlateau: the rate ×0.1 after 3 epochs without improvement of the validation
    /// loss (the training loss when the run has no validation part); stepped by ``TrainingRun``.
    case plateau

    /// Creates the scheduler for a run (nil for ``none``), and when it steps.
    ///
    /// - Parameters:
    ///   - optimizer: the optimizer whose rate it sets.
    ///   - epochs: the length of the run.
    ///   - batchesPerEpoch: the number of optimizer steps per epoch.
    /// - Returns: the scheduler and its interval.
    ///
    /// ```swift
    /// let (s, interval) = ScheduleSpec.onecycle.make(optimizer, epochs: 10, batchesPerEpoch: 100)
    /// ```
    public func make(_ optimizer: Optimizer, epochs: Int, batchesPerEpoch: Int) -> (LRScheduler?, SchedulerInterval) {
        switch self {
        case .none, .plateau: return (nil, .epoch)
        case .step: return (StepLR(optimizer, stepSize: Swift.max(1, epochs / 3), gamma: 0.1), .epoch)
        case .cosine: return (CosineAnnealingLR(optimizer, tMax: Swift.max(1, epochs)), .epoch)
        case .onecycle:
            let cycles = optimizer.defaults["beta1"] != nil || (optimizer.defaults["momentum"] ?? 0) > 0
            return (OneCycleLR(optimizer, maxLR: optimizer.learningRate,
                               totalSteps: Swift.max(1, epochs.multipliedReportingOverflow(by: batchesPerEpoch).overflow ? .max : epochs * batchesPerEpoch), cycleMomentum: cycles), .batch)
        }
    }
}
