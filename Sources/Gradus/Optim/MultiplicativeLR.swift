import Synchronization

/// Multiplies the learning rate by a function of the epoch at every step (PyTorch's `MultiplicativeLR`):
///
///     η_epoch = η_(epoch−1) · λ(epoch),   η_0 = η₀
///
/// computed as η₀ · λ(1) · … · λ(epoch).
///
/// ```swift
/// let schedule = MultiplicativeLR(optimizer) { _ in 0.95 }
/// ```
public final class MultiplicativeLR: LRScheduler, @unchecked Sendable {
    private let factor: @Sendable (Int) -> Double
    /// The product of the factors of epochs 1...epoch for the last epoch asked for, so that stepping on
    /// costs one factor per step.
    private let cursor = Mutex<(epoch: Int, product: Double)>((0, 1))

    /// Creates the schedule.
    /// - Parameters:
    ///   - optimizer: the optimizer to drive.
    ///   - lrLambda: the factor applied at each epoch from 1 on.
    public init(_ optimizer: Optimizer, lrLambda: @escaping @Sendable (Int) -> Double) {
        factor = lrLambda
        super.init(optimizer)
        start()
    }

    /// The learning rate of each group at `epoch`: one factor more than the epoch before (stepping on),
    /// the product from epoch 1 otherwise.
    public override func learningRates(atEpoch epoch: Int) -> [Double] {
        let epoch = Swift.max(epoch, 0)
        let product = cursor.withLock { c -> Double in
            if epoch < c.epoch { c = (0, 1) }
            while c.epoch < epoch {
                c.epoch += 1
                c.product *= factor(c.epoch)
            }
            return c.product
        }
        return baseLearningRates.map { $0 * product }
    }
}
