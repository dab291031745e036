// Margin ranking: asks x1 to exceed x2 by a margin where y = 1, and the reverse where y = −1.

extension Tensor {
    /// The margin ranking loss max(0, −y·(x1 − x2) + margin) with this tensor as x1
    /// (PyTorch's `F.margin_ranking_loss`). `y` holds 1 (x1 should rank higher) or −1.
    ///
    /// - Parameters:
    ///   - other: x2, of the same shape.
    ///   - target: y, of the same shape, with values 1 or −1.
    ///   - margin: the wanted gap (default 0).
    ///   - reduction: `.mean` (default), `.sum` or `.none`.
    ///
    /// ```swift
    /// let loss = scoresA.marginRankingLoss(scoresB, target: Tensor([1, -1, 1]), margin: 0.5)
    /// ```
    public func marginRankingLoss(_ other: Tensor, target: Tensor, margin: Double = 0,
                                  reduction: Reduction = .mean) -> Tensor {
        checked {
            try requireSameShape(other, "marginRankingLoss")
            try requireSameShape(target, "marginRankingLoss")
            return (-target * (self - other) + margin).clamp(min: 0).reduced(reduction)
        }
    }
}

/// The margin ranking loss as a callable struct: `MarginRankingLoss(margin:)(x1, x2, y)`.
///
/// ```swift
/// let criterion = MarginRankingLoss(margin: 0.5)
/// let loss = criterion(scoresA, scoresB, Tensor([1, -1, 1]))
/// ```
public struct MarginRankingLoss: Sendable {
    /// The wanted gap.
    public var margin: Double
    /// How per-element losses are combined.
    public var reduction: Reduction

    /// Creates the criterion.
    /// - Parameters:
    ///   - margin: the wanted gap (default 0).
    ///   - reduction: `.mean` (default), `.sum` or `.none`.
    public init(margin: Double = 0, reduction: Reduction = .mean) {
        self.margin = margin
        self.reduction = reduction
    }

    /// The loss for pairs (`x1`, `x2`) with preferences `y` (1 or −1).
    public func callAsFunction(_ x1: Tensor, _ x2: Tensor, _ y: Tensor) -> Tensor {
        x1.marginRankingLoss(x2, target: y, margin: margin, reduction: reduction)
    }
}
