// The triplet margin loss with a distance of the caller's choosing, as PyTorch's
// `F.triplet_margin_with_distance_loss` / `nn.TripletMarginWithDistanceLoss`.

extension Tensor {
    /// The triplet margin loss with any distance, like PyTorch's `F.triplet_margin_with_distance_loss`:
    /// max(d(a, p) − d(a, n) + margin, 0) for each triplet of rows, with `d` the given distance
    /// (``Functional/pairwiseDistance(_:_:p:eps:keepDims:)`` when nil). With `swap`, d(a, n) is replaced
    /// by min(d(a, n), d(p, n)) (the distance swap of Balntas et al.).
    ///
    /// - Parameters:
    ///   - positive: vectors that should be close to the anchors (this tensor).
    ///   - negative: vectors that should be far from them; all three with the same number of dimensions.
    ///   - distance: a differentiable distance between two batches of vectors, returning one value per
    ///     pair (e.g. `{ 1 - Functional.cosineSimilarity($0, $1) }`); nil for the Euclidean one.
    ///   - margin: the wanted gap between the negative and the positive distance; must be positive (as in
    ///     PyTorch) and finite (PyTorch's infinite margin gives an infinite loss).
    ///   - swap: whether to use the distance swap.
    ///   - reduction: `.mean` (default), `.sum` or `.none`.
    /// - Returns: the loss (a scalar, or one value per triplet with `.none`).
    ///
    /// ```swift
    /// let loss = anchors.tripletMarginWithDistanceLoss(positive: same, negative: other,
    ///                                                  distance: { 1 - Functional.cosineSimilarity($0, $1) })
    /// ```
    public func tripletMarginWithDistanceLoss(positive: Tensor, negative: Tensor, distance: ((Tensor, Tensor) -> Tensor)? = nil,
                                              margin: Double = 1, swap: Bool = false, reduction: Reduction = .mean) -> Tensor {
        checked {
            let op = "tripletMarginWithDistanceLoss"
            try require(margin.isFinite && margin > 0, "\(op): margin must be greater than 0 and finite, got \(margin)", .invalidArgument)
            try require(rank == positive.rank && rank == negative.rank,
                        "\(op): anchor \(shape), positive \(positive.shape) and negative \(negative.shape) must have the same number of dimensions",
                        .shapeMismatch)
            let d = distance ?? { Functional.pairwiseDistance($0, $1) }
            let toPositive = d(self, positive)
            var toNegative = d(self, negative)
            if swap { toNegative = toNegative.minimum(d(positive, negative)) }
            // The two distances broadcast against each other, as in PyTorch (a shape error names them).
            return (toPositive - toNegative + margin).clamp(min: 0).reduced(reduction)
        }
    }
}

/// The triplet margin loss with a distance of your choosing as a callable struct, like PyTorch's
/// `nn.TripletMarginWithDistanceLoss`.
///
/// ```swift
/// let criterion = TripletMarginWithDistanceLoss(distanceFunction: { Functional.pairwiseDistance($0, $1, p: 1) },
///                                               margin: 0.5, swap: true)
/// let loss = criterion(anchors, positives, negatives)
/// ```
public struct TripletMarginWithDistanceLoss: Sendable {
    /// The distance between two batches of vectors (one value per pair); nil for the Euclidean distance
    /// (``Functional/pairwiseDistance(_:_:p:eps:keepDims:)``).
    public var distanceFunction: (@Sendable (Tensor, Tensor) -> Tensor)?
    /// The wanted gap between the negative and the positive distance (positive).
    public var margin: Double
    /// Whether to use the distance swap.
    public var swap: Bool
    /// How per-triplet losses are combined.
    public var reduction: Reduction

    /// Creates the criterion.
    /// - Parameters:
    ///   - distanceFunction: default nil (Euclidean).
    ///   - margin: default 1; a margin that is not positive fails when the loss is computed.
    ///   - swap: default false.
    ///   - reduction: `.mean` (default), `.sum` or `.none`.
    public init(distanceFunction: (@Sendable (Tensor, Tensor) -> Tensor)? = nil, margin: Double = 1, swap: Bool = false,
                reduction: Reduction = .mean) {
        self.distanceFunction = distanceFunction
        self.margin = margin
        self.swap = swap
        self.reduction = reduction
    }

    /// The loss of the triplets (`anchor`, `positive`, `negative`).
    public func callAsFunction(_ anchor: Tensor, _ positive: Tensor, _ negative: Tensor) -> Tensor {
        anchor.tripletMarginWithDistanceLoss(positive: positive, negative: negative, distance: distanceFunction.map { f in { f($0, $1) } },
                                             margin: margin, swap: swap, reduction: reduction)
    }
}
