// Binary cross-entropy on raw scores (logits), computed stably.

extension Tensor {
    /// Binary cross-entropy between σ(x) for these logits and targets in [0, 1]
    /// (PyTorch's `F.binary_cross_entropy_with_logits`), computed without overflow as
    ///
    ///     loss = w · ((1 − y)·x + (1 + (p − 1)·y) · softplus(−x))
    ///
    /// where p is `posWeight` (1 when nil) and softplus(−x) = log(1 + e⁻ˣ) = −log σ(x).
    ///
    /// - Parameters:
    ///   - target: the target probabilities, of the same shape.
    ///   - weight: a rescaling weight broadcast against the elements, or nil.
    ///   - posWeight: a weight of positive examples broadcast against the elements (usually one per
    ///     class, shape `[C]`), or nil. Values above 1 raise recall.
    ///   - reduction: `.mean` (default), `.sum` or `.none`.
    ///
    /// ```swift
    /// let loss = logits.binaryCrossEntropyWithLogits(labels, posWeight: Tensor([3.0]))
    /// ```
    public func binaryCrossEntropyWithLogits(
        _ target: Tensor, weight: Tensor? = nil, posWeight: Tensor? = nil, reduction: Reduction = .mean
    ) -> Tensor {
        checked {
            try requireSameShape(target, "binaryCrossEntropyWithLogits")
            let softplusNeg = (-self).softplus()
            var loss: Tensor
            if let posWeight {
                let logWeight = (posWeight - 1) * target + 1
                loss = (1 - target) * self + logWeight * softplusNeg
            } else {
                loss = (1 - target) * self + softplusNeg
            }
            if let weight { loss = loss * weight }
            return loss.reduced(reduction)
        }
    }
}

/// Binary cross-entropy on logits as a criterion.
///
/// ```swift
/// let criterion = BCEWithLogitsLoss(posWeight: Tensor([2.0, 1.0, 4.0]))
/// let loss = criterion(logits, labels)   // logits and labels of shape [N, 3]
/// ```
public struct BCEWithLogitsLoss: Criterion {
    /// A rescaling weight broadcast against the elements, or nil.
    public var weight: Tensor?
    /// The weight of positive examples, broadcast against the elements, or nil.
    public var posWeight: Tensor?
    /// How per-element losses are combined.
    public var reduction: Reduction

    /// Creates the criterion.
    /// - Parameters:
    ///   - weight: a rescaling weight broadcast against the elements, or nil.
    ///   - posWeight: the weight of positive examples (usually shape `[C]`), or nil.
    ///   - reduction: `.mean` (default), `.sum` or `.none`.
    public init(weight: Tensor? = nil, posWeight: Tensor? = nil, reduction: Reduction = .mean) {
        self.weight = weight
        self.posWeight = posWeight
        self.reduction = reduction
    }

    /// The loss of `logits` against `target`.
    public func callAsFunction(_ logits: Tensor, _ target: Tensor) -> Tensor {
        logits.binaryCrossEntropyWithLogits(target, weight: weight, posWeight: posWeight, reduction: reduction)
    }
}
