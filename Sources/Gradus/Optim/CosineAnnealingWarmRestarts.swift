#if canImport(Glibc)
import Glibc
#endif

/// Cosine annealing that restarts from the initial rate: the first cycle lasts `t0` epochs, each next
/// one `tMult` times longer (PyTorch's `CosineAnnealingWarmRestarts`, SGDR):
///
///     η = η_min + (η₀ − η_min) · (1 + cos(π · T_cur / T_i)) / 2
///
/// where T_i is the current cycle's length and T_cur the epochs since its start.
///
/// ```swift
/// let schedule = CosineAnnealingWarmRestarts(optimizer, t0: 10, tMult: 2)   // cycles of 10, 20, 40, …
/// ```
public final class CosineAnnealingWarmRestarts: LRScheduler, @unchecked Sendable {
    /// The length of the first cycle in epochs.
    public let t0: Int
    /// The factor by which each cycle is longer than the previous one.
    public let tMult: Int
    /// The lowest learning rate.
    public let etaMin: Double

    /// Creates the schedule.
    /// - Parameters:
    ///   - optimizer: the optimizer to drive.
    ///   - t0: the first cycle's length, > 0.
    ///   - tMult: the growth of each next cycle, ≥ 1 (default 1: cycles of equal length).
    ///   - etaMin: the lowest learning rate (default 0).
    public init(_ optimizer: Optimizer, t0: Int, tMult: Int = 1, etaMin: Double = 0) {
        self.t0 = validSetting(t0 > 0, "CosineAnnealingWarmRestarts: t0 must be positive, got \(t0)") ? t0 : 1
        self.tMult = validSetting(tMult >= 1, "CosineAnnealingWarmRestarts: tMult must be ≥ 1, got \(tMult)") ? tMult : 1
        self.etaMin = etaMin
        super.init(optimizer)
        start()
    }

    /// The position in the cycle that `epoch` falls in: epochs since its start, and its length.
    func cyclePosition(_ epoch: Int) -> (current: Int, length: Int) {
        let epoch = Swift.max(epoch, 0)
        if tMult == 1 { return (epoch % t0, t0) }
        // Whole cycles are skipped one by one (their lengths grow geometrically: at most 63 of them).
        var current = epoch, length = t0
        while current >= length {
            current -= length
            let (next, overflow) = length.multipliedReportingOverflow(by: tMult)
            if overflow { break }
            length = next
        }
        return (current, length)
    }

    /// The learning rate of each group at `epoch`.
    public override func learningRates(atEpoch epoch: Int) -> [Double] {
        let (current, length) = cyclePosition(epoch)
        let c = (1 + cos(Double.pi * Double(current) / Double(length))) / 2
        return baseLearningRates.map { etaMin + ($0 - etaMin) * c }
    }
}
