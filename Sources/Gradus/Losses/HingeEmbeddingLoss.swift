// The hinge embedding loss: distances that should be small (y = 1) or at least a margin (y = −1).

extension Tensor {
    /// The hinge embedding loss with this tensor as the distances x (PyTorch's
    /// `F.hinge_embedding_loss`): x where y = 1, max(0, margin − x) where y = −1 (PyTorch's formula adds
    /// both terms for any other y).
    ///
    /// - Parameters:
    ///   - target: y, of the same shape, 1 or −1.
    ///   - margin: the least distance wanted for y = −1 (default 1).
    ///   - reduction: `.mean` (default), `.sum` or `.none`.
    ///
    /// ```swift
    /// let loss = distances.hingeEmbeddingLoss(Tensor([1, -1, -1]), margin: 2)
    /// ```
    public func hingeEmbeddingLoss(_ target: Tensor, margin: Double = 1, reduction: Reduction = .mean) -> Tensor {
        checked {
            try requireSameShape(target, "hingeEmbeddingLoss")
            let marginTerm = (margin - self).clamp(min: 0).maskedWhere(target.eq(1.0), 0)
            let selfTerm = maskedWhere(target.eq(-1.0), 0)
            return (marginTerm + selfTerm).reduced(reduction)
        }
    }
}

/// The hinge embedding loss as a callable struct (PyTorch's `nn.HingeEmbeddingLoss`).
///
/// ```swift
/// let loss = HingeEmbeddingLoss(margin: 2)(distances, Tensor([1, -1, -1]))
/// ```
public struct HingeEmbeddingLoss: Sendable {
    /// The least distance wanted for y = −1.
    public var margin: Double
    /// How per-element losses are combined.
    public var reduction: Reduction

    /// Creates the criterion.
    /// - Parameters:
    ///   - margin: default 1.
    ///   - reduction: `.mean` (default), `.sum` or `.none`.
    public init(margin: Double = 1, reduction: Reduction = .mean) {
        self.margin = margin
        self.reduction = reduction
    }

    /// The loss of distances `input` for ±1 targets.
    public func callAsFunction(_ input: Tensor, _ target: Tensor) -> Tensor {
        input.hingeEmbeddingLoss(target, margin: margin, reduction: reduction)
    }
}
