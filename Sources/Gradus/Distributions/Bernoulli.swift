/// The Bernoulli distribution over {0, 1} (PyTorch's `torch.distributions.Bernoulli`), given by the
/// probabilities of 1 or by their logits.
///
/// ```swift
/// let d = try Bernoulli(logits: scores)
/// let loss = -d.logProb(labels).mean()   // binary cross-entropy with logits
/// ```
public struct Bernoulli: Distribution {
    /// The probabilities of 1, `[batchShape]`.
    public let probs: Tensor
    /// The log-odds log(p / (1 − p)), `[batchShape]` (from probabilities: clamped away from 0 and 1
    /// by the dtype's epsilon, as PyTorch's `probs_to_logits`).
    public let logits: Tensor
    public var batchShape: [Int] { probs.shape }
    public var eventShape: [Int] { [] }

    /// Bernoulli distributions with the probabilities `probs` of 1.
    ///
    /// - Parameter probs: probabilities in [0, 1].
    /// - Throws: ``GradusError`` for a probability outside [0, 1] (or NaN), or an integer tensor.
    public init(probs: Tensor) throws {
        try DistributionChecks.parameter(probs, "Bernoulli: probs")
        try require(DistributionChecks.all(probs) { $0 >= 0 && $0 <= 1 }, "Bernoulli: probs must lie in [0, 1]")
        self.probs = probs
        let eps = DistributionChecks.epsilon(probs.dtype)
        let clamped = probs.clamp(min: eps, max: 1 - eps)
        logits = clamped.log() - (-clamped).log1p()
    }

    /// Bernoulli distributions with log-odds `logits`.
    ///
    /// - Parameter logits: log(p / (1 − p)), no NaN.
    /// - Throws: ``GradusError`` for a NaN logit or an integer tensor.
    public init(logits: Tensor) throws {
        try DistributionChecks.parameter(logits, "Bernoulli: logits")
        try require(DistributionChecks.all(logits) { !$0.isNaN }, "Bernoulli: logits must be real numbers, got NaN")
        self.logits = logits
        probs = logits.sigmoid()
    }

    public var mean: Tensor { probs }
    public var variance: Tensor { probs * (1 - probs) }

    public func sample(_ sampleShape: [Int], generator: inout SeededGenerator) -> Tensor {
        let p = GradMode.noGrad { probs.detach().expand(extendedShape(sampleShape)).contiguous() }
        return Tensor.bernoulli(p, generator: &generator)
    }

    /// log p for values 1, log(1 − p) for values 0 (computed from the logits, as PyTorch does).
    ///
    /// - Parameter value: zeros and ones (floating point).
    public func logProb(_ value: Tensor) -> Tensor {
        checked {
            try DistributionChecks.value(value, batchShape: batchShape, eventShape: [], "Bernoulli.logProb")
            try require(DistributionChecks.all(value) { $0 == 0 || $0 == 1 }, "Bernoulli.logProb: values must be 0 or 1")
            let shape = try Broadcast.shape(logits.shape, value.shape, op: "Bernoulli.logProb")
            let v = value.to(logits.dtype)
            return -logits.expand(shape).binaryCrossEntropyWithLogits(v.expand(shape), reduction: .none)
        }
    }

    public func entropy() -> Tensor { logits.binaryCrossEntropyWithLogits(probs, reduction: .none) }
}
