// Cosine embedding: pulls the vectors of a pair together (y = 1) or apart beyond a margin (y = −1).

extension Tensor {
    /// The cosine embedding loss with this tensor as x1 (PyTorch's `F.cosine_embedding_loss`):
    /// 1 − cos(x1, x2) where y = 1, max(0, cos(x1, x2) − margin) where y = −1, with the cosine over the
    /// last dimension computed as PyTorch does (Σ x1·x2 / √((Σ x1² + 1e-12)(Σ x2² + 1e-12))).
    ///
    /// - Parameters:
    ///   - other: x2, of the same shape `[N, D]` (or `[D]`).
    ///   - target: y, `[N]` (or `[]`), with values 1 or −1; other values add nothing, as in PyTorch.
    ///   - margin: the largest cosine a dissimilar pair may keep without loss (default 0).
    ///   - reduction: `.mean` (default), `.sum` or `.none`.
    ///
    /// ```swift
    /// let loss = a.cosineEmbeddingLoss(b, target: Tensor([1, -1]), margin: 0.2)
    /// ```
    public func cosineEmbeddingLoss(_ other: Tensor, target: Tensor, margin: Double = 0,
                                    reduction: Reduction = .mean) -> Tensor {
        checked {
            try requireSameShape(other, "cosineEmbeddingLoss")
            try require(rank == 1 || rank == 2, "cosineEmbeddingLoss: inputs must be [N, D] or [D], got \(shape)", .shapeMismatch)
            try require(target.shape == Array(shape.dropLast()),
                        "cosineEmbeddingLoss: target must have shape \(Array(shape.dropLast())), got \(target.shape)", .shapeMismatch)
            let epsilon = 1e-12
            let product = (self * other).sum(axes: [-1])
            let magnitude1 = self.square().sum(axes: [-1]) + epsilon, magnitude2 = other.square().sum(axes: [-1]) + epsilon
            let cos = product / (magnitude1 * magnitude2).sqrt()
            let zeros = Tensor.zeros([], dtype: cos.dtype)
            let positive = Tensor.where(target.eq(1.0), 1 - cos, zeros)
            let negative = Tensor.where(target.eq(-1.0), (cos - margin).clamp(min: 0), zeros)
            return (positive + negative).reduced(reduction)
        }
    }

    /// The triplet margin loss with this tensor as the anchor (PyTorch's `F.triplet_margin_loss`):
    /// max(d(a, p) − d(a, n) + margin, 0), with d the pairwise distance over the last dimension
    /// (``Functional/pairwiseDistance(_:_:p:eps:keepDims:)``). With `swap`, d(a, n) is replaced by
    /// d(p, n) where that is smaller (Balntas et al. 2016).
    ///
    /// - Parameters:
    ///   - positive: vectors that should be close to the anchors, broadcast against them.
    ///   - negative: vectors that should be far from them.
    ///   - margin: the wanted gap (default 1).
    ///   - p: the norm's order (default 2).
    ///   - eps: the distance's epsilon (default 1e-6).
    ///   - swap: whether to use the distance swap.
    ///   - reduction: `.mean` (default), `.sum` or `.none`.
    ///
    /// ```swift
    /// let loss = anchors.tripletMarginLoss(positive: same, negative: other, margin: 0.5)
    /// ```
    public func tripletMarginLoss(positive: Tensor, negative: Tensor, margin: Double = 1, p: Double = 2,
                                  eps: Double = 1e-6, swap: Bool = false, reduction: Reduction = .mean) -> Tensor {
        checked {
            try require(margin.isFinite, "tripletMarginLoss: margin must be finite, got \(margin)", .invalidArgument)
            try require(rank == positive.rank && rank == negative.rank && rank >= 1,
                        "tripletMarginLoss: anchor \(shape), positive \(positive.shape) and negative \(negative.shape) must have the same number of dimensions", .shapeMismatch)
            let toPositive = Functional.pairwiseDistance(self, positive, p: p, eps: eps)
            var toNegative = Functional.pairwiseDistance(self, negative, p: p, eps: eps)
            if swap {
                toNegative = toNegative.minimum(Functional.pairwiseDistance(positive, negative, p: p, eps: eps))
            }
            return (toPositive - toNegative + margin).clamp(min: 0).reduced(reduction)
        }
    }
}

/// The cosine embedding loss as a callable struct: `CosineEmbeddingLoss(margin:)(x1, x2, y)`.
///
/// ```swift
/// let criterion = CosineEmbeddingLoss(margin: 0.2)
/// let loss = criterion(a, b, Tensor([1, -1]))
/// ```
public struct CosineEmbeddingLoss: Sendable {
    /// The largest cosine a dissimilar pair may keep without loss.
    public var margin: Double
    /// How per-pair losses are combined.
    public var reduction: Reduction

    /// Creates the criterion.
    /// - Parameters:
    ///   - margin: default 0.
    ///   - reduction: `.mean` (default), `.sum` or `.none`.
    public init(margin: Double = 0, reduction: Reduction = .mean) {
        self.margin = margin
        self.reduction = reduction
    }

    /// The loss for pairs (`x1`, `x2`) labelled `y` (1 similar, −1 dissimilar).
    public func callAsFunction(_ x1: Tensor, _ x2: Tensor, _ y: Tensor) -> Tensor {
        x1.cosineEmbeddingLoss(x2, target: y, margin: margin, reduction: reduction)
    }
}

/// The triplet margin loss as a callable struct: `TripletMarginLoss(margin:)(anchor, positive, negative)`.
///
/// ```swift
/// let criterion = TripletMarginLoss(margin: 0.5)
/// let loss = criterion(anchors, positives, negatives)
/// ```
public struct TripletMarginLoss: Sendable {
    /// The wanted gap between the negative and the positive distance.
    public var margin: Double
    /// The norm's order.
    public var p: Double
    /// The distance's epsilon.
    public var eps: Double
    /// Whether to use the distance swap.
    public var swap: Bool
    /// How per-triplet losses are combined.
    public var reduction: Reduction

    /// Creates the criterion.
    /// - Parameters:
    ///   - margin: default 1.
    ///   - p: default 2.
    ///   - eps: default 1e-6.
    ///   - swap: default false.
    ///   - reduction: `.mean` (default), `.sum` or `.none`.
    public init(margin: Double = 1, p: Double = 2, eps: Double = 1e-6, swap: Bool = false, reduction: Reduction = .mean) {
        self.margin = margin
        self.p = p
        self.eps = eps
        self.swap = swap
        self.reduction = reduction
    }

    /// The loss of the triplets (`anchor`, `positive`, `negative`).
    public func callAsFunction(_ anchor: Tensor, _ positive: Tensor, _ negative: Tensor) -> Tensor {
        anchor.tripletMarginLoss(positive: positive, negative: negative, margin: margin, p: p, eps: eps, swap: swap,
                                 reduction: reduction)
    }
}
