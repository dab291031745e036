#if canImport(Glibc)
import Glibc
#endif

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

    /// The learning rate of each group at `epoch`.
    public override func learningRates(atEpoch epoch: Int) -> [Double] {
        let passed = milestones.filter { $0 <= epoch }.count
        return baseLearningRates.map { $0 * pow(gamma, Double(passed)) }
    }
}
