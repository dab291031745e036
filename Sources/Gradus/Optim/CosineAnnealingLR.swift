#if canImport(Glibc)
import Glibc
#endif

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
        self.tMax = validSetting(tMax > 0, "CosineAnnealingLR: tMax must be positive, got \(tMax)") ? tMax : 1
        self.etaMin = etaMin
        super.init(optimizer)
        start()
    }

    /// The learning rate of each group at `epoch`.
    public override func learningRates(atEpoch epoch: Int) -> [Double] {
        let c = (1 + cos(Double.pi * Double(epoch) / Double(tMax))) / 2
        return baseLearningRates.map { etaMin + ($0 - etaMin) * c }
    }
}
