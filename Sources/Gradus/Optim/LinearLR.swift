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
        self.startFactor = validSetting(startFactor > 0 && startFactor <= 1,
                                        "LinearLR: startFactor must lie in (0, 1], got \(startFactor)") ? startFactor : 1
        self.endFactor = validSetting(endFactor >= 0 && endFactor <= 1,
                                      "LinearLR: endFactor must lie in [0, 1], got \(endFactor)") ? endFactor : 1
        self.totalIters = validSetting(totalIters > 0, "LinearLR: totalIters must be positive, got \(totalIters)") ? totalIters : 1
        super.init(optimizer)
        start()
    }

    /// The learning rate of each group at `epoch`.
    public override func learningRates(atEpoch epoch: Int) -> [Double] {
        let f = startFactor + (endFactor - startFactor) * Double(Swift.min(epoch, totalIters)) / Double(totalIters)
        return baseLearningRates.map { $0 * f }
    }
}
