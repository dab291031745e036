#if canImport(Glibc)
import Glibc
#endif

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

    /// The learning rate of each group at `epoch`.
    public override func learningRates(atEpoch epoch: Int) -> [Double] {
        baseLearningRates.map { $0 * pow(gamma, Double(epoch)) }
    }
}
