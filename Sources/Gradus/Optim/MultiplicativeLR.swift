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
    /// Products of the factors for epochs 1...n, kept as they are computed (steps go forward one at a time).
    private var products: [Double] = [1]

    /// Creates the schedule.
    /// - Parameters:
    ///   - optimizer: the optimizer to drive.
    ///   - lrLambda: the factor applied at each epoch from 1 on.
    public init(_ optimizer: Optimizer, lrLambda: @escaping @Sendable (Int) -> Double) {
        factor = lrLambda
        super.init(optimizer)
        start()
    }

    /// The learning rate of each group at `epoch` (the product of `epoch` factors: time grows with it; the
    /// products of the first 2^16 epochs are kept).
    public override func learningRates(atEpoch epoch: Int) -> [Double] {
        let epoch = Swift.max(epoch, 0)
        while products.count <= Swift.min(epoch, 1 << 16) {
            products.append(products[products.count - 1] * factor(products.count))
        }
        var product = products[Swift.min(epoch, products.count - 1)]
        if epoch >= products.count {
            for e in products.count...epoch { product *= factor(e) }
        }
        return baseLearningRates.map { $0 * product }
    }
}
