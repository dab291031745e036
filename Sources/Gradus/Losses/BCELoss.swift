// Binary cross-entropy on probabilities.

extension Tensor {
    /// Binary cross-entropy between probabilities (this tensor, in [0, 1]) and targets in [0, 1]
    /// (PyTorch's `F.binary_cross_entropy`):
    /// −w·(y·log x + (1 − y)·log(1 − x)), each logarithm clamped at −100 as in PyTorch so that
    /// x = 0 or 1 gives a finite loss; the gradient w·(x − y)/max(x(1 − x), 10⁻¹²) is finite there too.
    ///
    /// Prefer ``binaryCrossEntropyWithLogits(_:weight:posWeight:reduction:)`` on raw scores: it is
    /// stable where the sigmoid saturates.
    ///
    /// - Parameters:
    ///   - target: the target probabilities, of the same shape.
    ///   - weight: a rescaling weight broadcast against the elements, or nil.
    ///   - reduction: `.mean` (default), `.sum` or `.none`.
    ///
    /// ```swift
    /// let loss = model(x).sigmoid().binaryCrossEntropy(labels)
    /// ```
    public func binaryCrossEntropy(_ target: Tensor, weight: Tensor? = nil, reduction: Reduction = .mean) -> Tensor {
        checked {
            try requireSameShape(target, "binaryCrossEntropy")
            func inRange<T: TensorFloat>(_: T.Type) -> Bool {
                let p = pointer(T.self)
                var ok = true
                for i in 0..<count { ok = ok && p[i] >= 0 && p[i] <= 1 }
                return ok
            }
            try requireFloat("binaryCrossEntropy")
            try require(dtype == .float32 ? inRange(Float.self) : inRange(Double.self),
                         "binaryCrossEntropy: every prediction must lie in [0, 1] (shape \(shape)); apply sigmoid first or use binaryCrossEntropyWithLogits", .invalidArgument)
            var loss = GradMode.noGrad {
                -(target * log().clamp(min: -100) + (1 - target) * (1 - self).log().clamp(min: -100))
            }
            // PyTorch's binary_cross_entropy_backward: the denominator x(1 − x) is floored at 1e-12, so
            // a prediction of exactly 0 or 1 (a saturated sigmoid) gets a finite gradient, not NaN.
            record("binaryCrossEntropy", output: loss, inputs: [self, target]) { g, _ in
                [self.requiresGrad ? g * (self - target) / (self * (1 - self)).clamp(min: 1e-12) : nil,
                 target.requiresGrad ? g * ((1 - self).log() - self.log()) : nil]
            }
            if let weight { loss = loss * weight }
            return loss.reduced(reduction)
        }
    }
}

/// Binary cross-entropy on probabilities as a criterion.
///
/// ```swift
/// let loss = BCELoss()(probabilities, labels)
/// ```
public struct BCELoss: Criterion {
    /// A rescaling weight broadcast against the elements, or nil.
    public var weight: Tensor?
    /// How per-element losses are combined.
    public var reduction: Reduction

    /// Creates the criterion.
    /// - Parameters:
    ///   - weight: a rescaling weight broadcast against the elements, or nil.
    ///   - reduction: `.mean` (default), `.sum` or `.none`.
    public init(weight: Tensor? = nil, reduction: Reduction = .mean) {
        self.weight = weight
        self.reduction = reduction
    }

    /// The loss of `prediction` against `target`.
    public func callAsFunction(_ prediction: Tensor, _ target: Tensor) -> Tensor {
        prediction.binaryCrossEntropy(target, weight: weight, reduction: reduction)
    }
}
