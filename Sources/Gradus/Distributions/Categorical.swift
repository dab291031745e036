/// The categorical distribution over the classes 0 … K−1 (PyTorch's `torch.distributions.Categorical`),
/// given by probabilities or logits along the last dimension, which are normalized.
///
/// ```swift
/// let policy = try Categorical(logits: scores)   // [N, K]
/// let actions = policy.sample()                  // [N], int64
/// let loss = -(policy.logProb(actions) * returns).mean()
/// ```
public struct Categorical: Distribution {
    /// The normalized probabilities, `[batchShape, K]`.
    public let probs: Tensor
    /// The normalized log-probabilities, `[batchShape, K]` (from probabilities: their logarithms, clamped
    /// away from 0 by the dtype's epsilon, as PyTorch's `probs_to_logits`).
    public let logits: Tensor
    public var batchShape: [Int] { Array(probs.shape.dropLast()) }
    public var eventShape: [Int] { [] }
    /// The number of classes K.
    public var classCount: Int { probs.shape.last ?? 0 }

    /// Categorical distributions with class probabilities proportional to `probs` along the last dimension.
    ///
    /// - Parameter probs: `[batchShape, K]`, non-negative and finite, with a positive sum per row.
    /// - Throws: ``GradusError`` for a tensor of no dimensions or no classes, negative or non-finite
    ///   entries, or a row that sums to zero.
    public init(probs: Tensor) throws {
        try DistributionChecks.parameter(probs, "Categorical: probs")
        try require((probs.shape.last ?? 0) > 0, "Categorical: probs must be [batch…, K] with K ≥ 1, got \(probs.shape)", .shapeMismatch)
        try require(DistributionChecks.all(probs) { $0 >= 0 && $0.isFinite }, "Categorical: probs must be finite and not negative")
        let sums = probs.sum(axes: [-1], keepDims: true)
        try require(DistributionChecks.all(sums) { $0 > 0 }, "Categorical: every row of probs must have a positive sum")
        self.probs = probs / sums
        logits = self.probs.clamp(min: DistributionChecks.epsilon(probs.dtype), max: 1 - DistributionChecks.epsilon(probs.dtype)).log()
    }

    /// Categorical distributions with log-probabilities `logits` (up to a constant per row).
    ///
    /// - Parameter logits: `[batchShape, K]`, no NaN or +∞ (−∞ excludes a class).
    /// - Throws: ``GradusError`` for a tensor of no dimensions or no classes, NaN or +∞ entries, or a row
    ///   of −∞ only.
    public init(logits: Tensor) throws {
        try DistributionChecks.parameter(logits, "Categorical: logits")
        try require((logits.shape.last ?? 0) > 0, "Categorical: logits must be [batch…, K] with K ≥ 1, got \(logits.shape)", .shapeMismatch)
        try require(DistributionChecks.all(logits) { !$0.isNaN && $0 != .infinity }, "Categorical: logits must be real numbers below +inf")
        let normalizer = logits.logsumexp(axes: [-1], keepDims: true)
        try require(DistributionChecks.all(normalizer) { $0.isFinite }, "Categorical: every row of logits needs a finite entry")
        self.logits = logits - normalizer
        probs = self.logits.exp()
    }

    /// NaN: the classes are labels, not numbers (as in PyTorch).
    public var mean: Tensor { Tensor.full(batchShape, value: .nan, dtype: probs.dtype) }
    /// NaN: the classes are labels, not numbers (as in PyTorch).
    public var variance: Tensor { Tensor.full(batchShape, value: .nan, dtype: probs.dtype) }

    /// Class indices (int64) of shape `[sampleShape, batchShape]`.
    public func sample(_ sampleShape: [Int], generator: inout SeededGenerator) -> Tensor {
        // The whole shape checked as every creation function checks it (negative sizes, overflow; PyTorch
        // refuses the same shapes), after which the number of draws cannot overflow.
        let checkedDraws = checked(or: -1) { () -> Int in
            _ = try Tensor.elementCount(extendedShape(sampleShape), op: "Categorical.sample")
            return sampleShape.contains(0) ? 0 : sampleShape.reduce(1, *)
        }
        guard checkedDraws >= 0 else { return Tensor.placeholder() }
        let draws = checkedDraws, rows = batchShape.reduce(1, *)
        guard draws > 0, rows > 0 else { return Tensor.zeros(extendedShape(sampleShape), dtype: .int64) }
        let table = GradMode.noGrad { probs.detach().reshape([rows, classCount]) }
        let drawn = Tensor.multinomial(table, numSamples: draws, replacement: true, generator: &generator)   // [rows, draws]
        return drawn.transpose(0, 1).contiguous().reshape(extendedShape(sampleShape))
    }

    /// The log-probability of each class index in `value`.
    ///
    /// - Parameter value: class indices in 0 ..< K (int64, or whole floating-point numbers), broadcasting
    ///   with ``batchShape``.
    public func logProb(_ value: Tensor) -> Tensor {
        checked {
            try DistributionChecks.value(value, batchShape: batchShape, eventShape: [], "Categorical.logProb", integer: true)
            let k = Double(classCount)
            try require(DistributionChecks.all(value) { $0 >= 0 && $0 < k }, "Categorical.logProb: class indices must lie in 0..<\(classCount)",
                        .indexOutOfRange)
            let shape = try Broadcast.shape(value.shape, batchShape, op: "Categorical.logProb")
            let index = value.to(.int64).expand(shape).unsqueeze(-1).contiguous()
            return logits.expand(shape + [classCount]).gather(axis: -1, index: index).squeeze(-1)
        }
    }

    /// −Σ p log p per row (a class of probability 0 adds nothing).
    public func entropy() -> Tensor {
        -(logits.clamp(min: DistributionChecks.lowest(logits.dtype)) * probs).sum(axes: [-1])
    }
}
