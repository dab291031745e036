#if canImport(Glibc)
import Glibc
#endif

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
        self.stepSize = validSetting(stepSize > 0, "StepLR: stepSize must be positive, got \(stepSize)") ? stepSize : 1
        self.gamma = gamma
        super.init(optimizer)
        start()
    }

    /// The learning rate of each group at `epoch`.
    public override func learningRates(atEpoch epoch: Int) -> [Double] {
        baseLearningRates.map { $0 * pow(gamma, Double(epoch / stepSize)) }
    }
}
