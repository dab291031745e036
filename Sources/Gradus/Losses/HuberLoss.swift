// Huber loss: quadratic near zero, linear with slope `delta` beyond it.

extension Tensor {
    /// The Huber loss (PyTorch's `F.huber_loss`): with d = |x − y|, 0.5·d² where d < δ and
    /// δ·(d − 0.5·δ) elsewhere. It equals δ times ``smoothL1Loss(_:beta:reduction:)`` with β = δ.
    ///
    /// - Parameters:
    ///   - target: the wanted values, of the same shape.
    ///   - delta: where the quadratic part ends (> 0; default 1).
    ///   - reduction: `.mean` (default), `.sum` or `.none`.
    ///
    /// ```swift
    /// let loss = prediction.huberLoss(target, delta: 2)
    /// ```
    public func huberLoss(_ target: Tensor, delta: Double = 1, reduction: Reduction = .mean) -> Tensor {
        checked {
            try requireSameShape(target, "huberLoss")
            try require(delta > 0, "huberLoss: delta must be positive, got \(delta)")
            let d = (self - target).abs()
            let quadratic = d.square() * 0.5
            let linear = (d - 0.5 * delta) * delta
            let inside = GradMode.noGrad { d.detach().lt(delta) }
            return Tensor.where(inside, quadratic, linear).reduced(reduction)
        }
    }
}

/// The Huber loss as a criterion.
///
/// ```swift
/// let loss = HuberLoss(delta: 2)(prediction, target)
/// ```
public struct HuberLoss: Criterion {
    /// Where the quadratic part ends.
    public var delta: Double
    /// How per-element losses are combined.
    public var reduction: Reduction

    /// Creates the criterion.
    /// - Parameters:
    ///   - delta: where the quadratic part ends (default 1).
    ///   - reduction: `.mean` (default), `.sum` or `.none`.
    public init(delta: Double = 1, reduction: Reduction = .mean) {
        self.delta = delta
        self.reduction = reduction
    }

    /// The loss of `prediction` against `target`.
    public func callAsFunction(_ prediction: Tensor, _ target: Tensor) -> Tensor {
        prediction.huberLoss(target, delta: delta, reduction: reduction)
    }
}
