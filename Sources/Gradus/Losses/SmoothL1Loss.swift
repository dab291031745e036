// Smooth L1: quadratic near zero, linear beyond `beta`.

extension Tensor {
    /// The smooth L1 loss (PyTorch's `F.smooth_l1_loss`): with d = |x − y|,
    /// 0.5·d²/β where d < β, and d − 0.5·β elsewhere. β = 0 gives the L1 loss.
    ///
    /// - Parameters:
    ///   - target: the wanted values, of the same shape.
    ///   - beta: where the quadratic part ends (≥ 0; default 1).
    ///   - reduction: `.mean` (default), `.sum` or `.none`.
    ///
    /// ```swift
    /// let loss = boxes.smoothL1Loss(targetBoxes, beta: 0.5)
    /// ```
    public func smoothL1Loss(_ target: Tensor, beta: Double = 1, reduction: Reduction = .mean) -> Tensor {
        checked {
            try requireSameShape(target, "smoothL1Loss")
            try require(beta >= 0, "smoothL1Loss: beta must be non-negative, got \(beta)")
            if beta == 0 { return l1Loss(target, reduction: reduction) }
            let d = (self - target).abs()
            let quadratic = d.square() * (0.5 / beta)
            let linear = d - 0.5 * beta
            let inside = GradMode.noGrad { d.detach().lt(beta) }
            return Tensor.where(inside, quadratic, linear).reduced(reduction)
        }
    }
}

/// The smooth L1 loss as a criterion.
///
/// ```swift
/// let criterion = SmoothL1Loss(beta: 0.5)
/// let loss = criterion(prediction, target)
/// ```
public struct SmoothL1Loss: Criterion {
    /// Where the quadratic part ends.
    public var beta: Double
    /// How per-element losses are combined.
    public var reduction: Reduction

    /// Creates the criterion.
    /// - Parameters:
    ///   - beta: where the quadratic part ends (default 1).
    ///   - reduction: `.mean` (default), `.sum` or `.none`.
    public init(beta: Double = 1, reduction: Reduction = .mean) {
        self.beta = beta
        self.reduction = reduction
    }

    /// The loss of `prediction` against `target`.
    public func callAsFunction(_ prediction: Tensor, _ target: Tensor) -> Tensor {
        prediction.smoothL1Loss(target, beta: beta, reduction: reduction)
    }
}
