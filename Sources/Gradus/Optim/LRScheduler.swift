#if canImport(Glibc)
import Glibc
#endif

/// The base of epoch- or step-driven learning-rate schedules: it remembers each group's initial
/// learning rate and, on each ``step()``, sets the optimizer's rates to the schedule's value at the
/// new epoch (PyTorch's `LRScheduler`; call `step()` after `optimizer.step()`).
///
/// Schedules are computed in closed form from the initial rates, the form that PyTorch's chainable
/// updates produce when one schedule drives the optimizer. Building a schedule sets the rates of
/// epoch 0.
///
/// ```swift
/// let optimizer = SGD(parameters, lr: 0.1)
/// let schedule = StepLR(optimizer, stepSize: 30, gamma: 0.1)
/// for epoch in 0..<90 {
///     train(epoch)
///     schedule.step()
/// }
/// ```
public class LRScheduler: @unchecked Sendable {
    /// The optimizer whose learning rates this schedule sets.
    public let optimizer: Optimizer
    /// Each group's learning rate at epoch 0.
    public let baseLearningRates: [Double]
    /// The number of ``step()`` calls so far (the current epoch).
    public private(set) var lastEpoch: Int = 0

    init(_ optimizer: Optimizer, baseLearningRates: [Double]? = nil) {
        self.optimizer = optimizer
        self.baseLearningRates = baseLearningRates ?? optimizer.learningRates
        precondition(self.baseLearningRates.count == optimizer.parameterGroups.count,
                     "LRScheduler: \(self.baseLearningRates.count) learning rates for \(optimizer.parameterGroups.count) parameter groups")
    }

    /// Sets the rates of epoch 0; subclasses call it at the end of their initializers.
    func start() {
        optimizer.learningRates = learningRates(atEpoch: 0)
    }

    /// Advances one epoch (or one batch, for per-step schedules) and sets the optimizer's rates.
    ///
    /// ```swift
    /// optimizer.step()
    /// schedule.step()
    /// ```
    public func step() {
        lastEpoch += 1
        optimizer.learningRates = learningRates(atEpoch: lastEpoch)
    }

    /// The learning rates that the schedule gives at `epoch`, one per group.
    ///
    /// ```swift
    /// let planned = (0..<10).map { schedule.learningRates(atEpoch: $0)[0] }
    /// ```
    public func learningRates(atEpoch epoch: Int) -> [Double] {
        preconditionFailure("\(type(of: self)) must override learningRates(atEpoch:)")
    }

    /// The rates set by the last ``step()`` (or by construction).
    public var lastLearningRates: [Double] { optimizer.learningRates }
}

/// Multiplies the learning rate by `gamma` every `stepSize` epochs: γ₀·gamma^⌊epoch / stepSize⌋
/// (PyTorch's `StepLR`).
///
/// ```swift
/// let schedule = StepLR(optimizer, stepSize: 30, gamma: 0.1)
/// ```
public final class StepLR: LRScheduler, @unchecked Sendable {
    /// Epochs between decays.
    public let stepSize: Int
    /// The decay factor.
    public let gamma: Double

    /// Creates the schedule.
    /// - Parameters:
    ///   - optimizer: the optimizer to drive.
    ///   - stepSize: epochs between decays (> 0).
    ///   - gamma: the decay factor (default 0.1).
    public init(_ optimizer: Optimizer, stepSize: Int, gamma: Double = 0.1) {
        precondition(stepSize > 0, "StepLR: stepSize must be positive, got \(stepSize)")
        self.stepSize = stepSize
        self.gamma = gamma
        super.init(optimizer)
        start()
    }

    public override func learningRates(atEpoch epoch: Int) -> [Double] {
        baseLearningRates.map { $0 * pow(gamma, Double(epoch / stepSize)) }
    }
}

/// Multiplies the learning rate by `gamma` at each milestone epoch (a milestone listed twice counts
/// twice), like PyTorch's `MultiStepLR`.
///
/// ```swift
/// let schedule = MultiStepLR(optimizer, milestones: [30, 80], gamma: 0.1)
/// ```
public final class MultiStepLR: LRScheduler, @unchecked Sendable {
    /// The epochs at which the rate decays, sorted.
    public let milestones: [Int]
    /// The decay factor.
    public let gamma: Double

    /// Creates the schedule.
    /// - Parameters:
    ///   - optimizer: the optimizer to drive.
    ///   - milestones: epochs at which to decay.
    ///   - gamma: the decay factor (default 0.1).
    public init(_ optimizer: Optimizer, milestones: [Int], gamma: Double = 0.1) {
        self.milestones = milestones.sorted()
        self.gamma = gamma
        super.init(optimizer)
        start()
    }

    public override func learningRates(atEpoch epoch: Int) -> [Double] {
        let passed = milestones.filter { $0 <= epoch }.count
        return baseLearningRates.map { $0 * pow(gamma, Double(passed)) }
    }
}

/// Multiplies the learning rate by `gamma` every epoch: γ₀·gammaᵉᵖᵒᶜʰ (PyTorch's `ExponentialLR`).
///
/// ```swift
/// let schedule = ExponentialLR(optimizer, gamma: 0.95)
/// ```
public final class ExponentialLR: LRScheduler, @unchecked Sendable {
    /// The decay factor per epoch.
    public let gamma: Double

    /// Creates the schedule.
    /// - Parameters:
    ///   - optimizer: the optimizer to drive.
    ///   - gamma: the decay factor per epoch.
    public init(_ optimizer: Optimizer, gamma: Double) {
        self.gamma = gamma
        super.init(optimizer)
        start()
    }

    public override func learningRates(atEpoch epoch: Int) -> [Double] {
        baseLearningRates.map { $0 * pow(gamma, Double(epoch)) }
    }
}

/// Cosine annealing from the initial rate to `etaMin` over `tMax` epochs (PyTorch's
/// `CosineAnnealingLR`, without restarts):
///
///     η = η_min + (η₀ − η_min) · (1 + cos(π · epoch / tMax)) / 2
///
/// Past `tMax` the cosine continues (the rate rises again), as PyTorch's does.
///
/// ```swift
/// let schedule = CosineAnnealingLR(optimizer, tMax: 100, etaMin: 1e-5)
/// ```
public final class CosineAnnealingLR: LRScheduler, @unchecked Sendable {
    /// Epochs of one half cosine.
    public let tMax: Int
    /// The lowest learning rate.
    public let etaMin: Double

    /// Creates the schedule.
    /// - Parameters:
    ///   - optimizer: the optimizer to drive.
    ///   - tMax: the number of epochs to reach `etaMin` (> 0).
    ///   - etaMin: the lowest learning rate (default 0).
    public init(_ optimizer: Optimizer, tMax: Int, etaMin: Double = 0) {
        precondition(tMax > 0, "CosineAnnealingLR: tMax must be positive, got \(tMax)")
        self.tMax = tMax
        self.etaMin = etaMin
        super.init(optimizer)
        start()
    }

    public override func learningRates(atEpoch epoch: Int) -> [Double] {
        let c = (1 + cos(Double.pi * Double(epoch) / Double(tMax))) / 2
        return baseLearningRates.map { etaMin + ($0 - etaMin) * c }
    }
}

/// Scales the learning rate by a factor moving linearly from `startFactor` to `endFactor` over
/// `totalIters` epochs, then constant (PyTorch's `LinearLR`; a linear warm-up by default):
///
///     η = η₀ · (startFactor + (endFactor − startFactor) · min(epoch, totalIters) / totalIters)
///
/// ```swift
/// let warmup = LinearLR(optimizer, startFactor: 0.1, totalIters: 5)
/// ```
public final class LinearLR: LRScheduler, @unchecked Sendable {
    /// The factor at epoch 0.
    public let startFactor: Double
    /// The factor from `totalIters` on.
    public let endFactor: Double
    /// The number of epochs of the ramp.
    public let totalIters: Int

    /// Creates the schedule.
    /// - Parameters:
    ///   - optimizer: the optimizer to drive.
    ///   - startFactor: the factor at epoch 0, in (0, 1] (default 1/3).
    ///   - endFactor: the final factor, in [0, 1] (default 1).
    ///   - totalIters: the length of the ramp in epochs (default 5).
    public init(_ optimizer: Optimizer, startFactor: Double = 1.0 / 3, endFactor: Double = 1, totalIters: Int = 5) {
        precondition(startFactor > 0 && startFactor <= 1, "LinearLR: startFactor must lie in (0, 1], got \(startFactor)")
        precondition(endFactor >= 0 && endFactor <= 1, "LinearLR: endFactor must lie in [0, 1], got \(endFactor)")
        precondition(totalIters > 0, "LinearLR: totalIters must be positive, got \(totalIters)")
        self.startFactor = startFactor
        self.endFactor = endFactor
        self.totalIters = totalIters
        super.init(optimizer)
        start()
    }

    public override func learningRates(atEpoch epoch: Int) -> [Double] {
        let f = startFactor + (endFactor - startFactor) * Double(Swift.min(epoch, totalIters)) / Double(totalIters)
        return baseLearningRates.map { $0 * f }
    }
}
