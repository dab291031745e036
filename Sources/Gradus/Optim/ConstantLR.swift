/// Multiplies the learning rate by `factor` for the first `totalIters` epochs, then leaves it at the
/// initial rate (PyTorch's `ConstantLR`; a constant warm-up):
///
///     η = η₀ · factor   for epoch < totalIters,   η₀ after
///
/// ```swift
/// let warmup = ConstantLR(optimizer, factor: 0.5, totalIters: 4)
/// ```
public final class ConstantLR: LRScheduler, @unchecked Sendable {
    /// The factor during the first `totalIters` epochs.
    public let factor: Double
    /// The number of epochs at the reduced rate.
    public let totalIters: Int

    /// Creates the schedule.
    /// - Parameters:
    ///   - optimizer: the optimizer to drive.
    ///   - factor: the factor at the start, in [0, 1] (default 1/3).
    ///   - totalIters: the number of epochs it lasts, ≥ 0 (default 5).
    public init(_ optimizer: Optimizer, factor: Double = 1.0 / 3, totalIters: Int = 5) {
        self.factor = validSetting(factor >= 0 && factor <= 1, "ConstantLR: factor must lie in [0, 1], got \(factor)") ? factor : 1
        self.totalIters = validSetting(totalIters >= 0, "ConstantLR: totalIters must not be negative, got \(totalIters)")
            ? totalIters : 0
        super.init(optimizer)
        start()
    }

    /// The learning rate of each group at `epoch`.
    public override func learningRates(atEpoch epoch: Int) -> [Double] {
        baseLearningRates.map { epoch < totalIters ? $0 * factor : $0 }
    }
}
