#if canImport(Glibc)
import Glibc
#endif

/// Decays the learning rate to 0 over `totalIters` epochs along a polynomial (PyTorch's `PolynomialLR`):
///
///     η = η₀ · (1 − min(epoch, totalIters) / totalIters)^power
///
/// ```swift
/// let decay = PolynomialLR(optimizer, totalIters: 100, power: 2)
/// ```
public final class PolynomialLR: LRScheduler, @unchecked Sendable {
    /// The number of epochs to reach 0.
    public let totalIters: Int
    /// The power of the polynomial (1: linear decay).
    public let power: Double

    /// Creates the schedule.
    /// - Parameters:
    ///   - optimizer: the optimizer to drive.
    ///   - totalIters: the number of epochs of the decay, > 0 (default 5).
    ///   - power: the polynomial's power, ≥ 0 (default 1).
    public init(_ optimizer: Optimizer, totalIters: Int = 5, power: Double = 1) {
        self.totalIters = validSetting(totalIters > 0, "PolynomialLR: totalIters must be positive, got \(totalIters)") ? totalIters : 1
        self.power = validSetting(power >= 0 && power.isFinite, "PolynomialLR: power must be finite and ≥ 0, got \(power)") ? power : 1
        super.init(optimizer)
        start()
    }

    /// The learning rate of each group at `epoch`.
    public override func learningRates(atEpoch epoch: Int) -> [Double] {
        let f = Glibc.pow(1 - Double(Swift.min(epoch, totalIters)) / Double(totalIters), power)
        return baseLearningRates.map { $0 * f }
    }
}
