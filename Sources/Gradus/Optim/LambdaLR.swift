/// Sets the learning rate to the initial rate times a function of the epoch (PyTorch's `LambdaLR`):
///
///     η = η₀ · λ(epoch)
///
/// One function for every group, or one per group.
///
/// ```swift
/// // Linear warm-up over 10 epochs, then inverse square-root decay.
/// let schedule = LambdaLR(optimizer) { epoch in
///     epoch < 10 ? Double(epoch + 1) / 10 : (10 / Double(epoch + 1)).squareRoot()
/// }
/// ```
public final class LambdaLR: LRScheduler, @unchecked Sendable {
    private let factors: [@Sendable (Int) -> Double]

    /// Creates the schedule with one function for every group.
    /// - Parameters:
    ///   - optimizer: the optimizer to drive.
    ///   - lrLambda: the factor at each epoch (epoch 0 is the rate on construction).
    public convenience init(_ optimizer: Optimizer, lrLambda: @escaping @Sendable (Int) -> Double) {
        self.init(optimizer, lrLambdas: Array(repeating: lrLambda, count: optimizer.parameterGroups.count))
    }

    /// Creates the schedule with one function per parameter group.
    /// - Parameters:
    ///   - optimizer: the optimizer to drive.
    ///   - lrLambdas: the factor of each group at each epoch; as many as the optimizer has groups.
    public init(_ optimizer: Optimizer, lrLambdas: [@Sendable (Int) -> Double]) {
        let groups = optimizer.parameterGroups.count
        factors = validSetting(lrLambdas.count == groups,
                               "LambdaLR: \(lrLambdas.count) functions for \(groups) parameter groups")
            ? lrLambdas : Array(repeating: { _ in 1 }, count: groups)
        super.init(optimizer)
        start()
    }

    /// The learning rate of each group at `epoch`.
    public override func learningRates(atEpoch epoch: Int) -> [Double] {
        zip(baseLearningRates, factors).map { $0 * $1(epoch) }
    }
}
