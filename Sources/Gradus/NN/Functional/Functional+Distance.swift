// Normalization of vectors and distances between them (PyTorch's `F.normalize`, `F.cosine_similarity`,
// `F.pairwise_distance`, `torch.cdist`): compositions of differentiable operations, with PyTorch's
// formulas — including where its epsilons go — so that values and gradients match its.

extension Functional {
    /// Vectors along `axis` divided by their p-norm, at least `eps` (PyTorch's `F.normalize`):
    /// v / max(‖v‖ₚ, eps).
    ///
    /// - Parameters:
    ///   - input: the tensor; its vectors lie along `axis`.
    ///   - p: the norm's order (default 2).
    ///   - axis: the dimension of the vectors (default 1, as PyTorch's `dim=1`).
    ///   - eps: the smallest divisor (default 1e-12).
    ///
    /// ```swift
    /// let unit = Functional.normalize(embeddings, axis: -1)
    /// ```
    public static func normalize(_ input: Tensor, p: Double = 2, axis: Int = 1, eps: Double = 1e-12) -> Tensor {
        checked {
            try require(eps >= 0, "normalize: eps must not be negative, got \(eps)", .invalidArgument)
            let a = try input.axis(axis, op: "normalize")
            return input / input.norm(p: p, axes: [a], keepDims: true).clamp(min: eps)
        }
    }

    /// The cosine of the angle between the vectors of `x1` and `x2` along `axis`, broadcast together
    /// (PyTorch's `F.cosine_similarity`): Σ (x1 / ‖x1‖)(x2 / ‖x2‖), each norm at least `eps`. As in
    /// PyTorch, the clamp to `eps` changes the value only: the gradient goes through the norms as they are.
    ///
    /// - Parameters:
    ///   - x1: the first vectors.
    ///   - x2: the second vectors, broadcast against `x1`.
    ///   - axis: the dimension of the vectors (default 1).
    ///   - eps: the smallest norm (default 1e-8).
    ///
    /// ```swift
    /// let similarity = Functional.cosineSimilarity(queries, keys, axis: -1)   // in [−1, 1]
    /// ```
    public static func cosineSimilarity(_ x1: Tensor, _ x2: Tensor, axis: Int = 1, eps: Double = 1e-8) -> Tensor {
        checked {
            try require(eps >= 0, "cosineSimilarity: eps must not be negative, got \(eps)", .invalidArgument)
            let target = try Broadcast.shape(x1.shape, x2.shape, op: "cosineSimilarity")
            let a = x1.shape == target ? x1 : x1.expand(target), b = x2.shape == target ? x2 : x2.expand(target)
            let d = try a.axis(axis, op: "cosineSimilarity")
            func clampedNorm(_ v: Tensor) -> Tensor {
                let n = v.norm(axes: [d], keepDims: true)
                return n + GradMode.noGrad { n.detach().clamp(min: eps) - n.detach() }   // PyTorch: clamp_min_ under no_grad
            }
            return ((a / clampedNorm(a)) * (b / clampedNorm(b))).sum(axes: [d])
        }
    }

    /// The p-norm distance between the vectors of `x1` and `x2` along the last dimension, ‖x1 − x2 + eps‖ₚ
    /// (PyTorch's `F.pairwise_distance`, whose `eps` keeps the gradient finite at equal vectors).
    ///
    /// - Parameters:
    ///   - x1: the first vectors, `[…, D]`.
    ///   - x2: the second vectors, broadcast against `x1`.
    ///   - p: the norm's order (default 2).
    ///   - eps: added to the difference (default 1e-6).
    ///   - keepDims: whether to keep the last dimension with size 1.
    ///
    /// ```swift
    /// let d = Functional.pairwiseDistance(anchors, positives)   // [N]
    /// ```
    public static func pairwiseDistance(_ x1: Tensor, _ x2: Tensor, p: Double = 2, eps: Double = 1e-6,
                                        keepDims: Bool = false) -> Tensor {
        checked {
            let difference = x1 - x2 + eps
            try GradusError.throwIfRecorded()
            try require(difference.rank >= 1, "pairwiseDistance: the inputs need at least one dimension, got \(x1.shape) and \(x2.shape)", .shapeMismatch)
            return difference.norm(p: p, axes: [-1], keepDims: keepDims)
        }
    }

    /// The p-norm distance between every row of `x1` and every row of `x2` (PyTorch's `torch.cdist`):
    /// `[…, P, M]` and `[…, R, M]` give `[…, P, R]`, the leading dimensions broadcast. The gradient at
    /// a distance of 0 is 0 (p ≥ 1), as PyTorch's.
    ///
    /// - Parameters:
    ///   - x1: rows `[…, P, M]`.
    ///   - x2: rows `[…, R, M]`.
    ///   - p: the norm's order, at least 0 (default 2).
    ///
    /// ```swift
    /// let distances = Functional.cdist(points, centroids)   // [P, K]
    /// ```
    public static func cdist(_ x1: Tensor, _ x2: Tensor, p: Double = 2) -> Tensor {
        checked {
            try require(x1.rank >= 2 && x2.rank >= 2, "cdist: inputs must be [..., P, M] and [..., R, M], got \(x1.shape) and \(x2.shape)", .shapeMismatch)
            try require(x1.shape.last == x2.shape.last,
                        "cdist: the rows of \(x1.shape) and \(x2.shape) have different lengths", .shapeMismatch)
            try require(p >= 0, "cdist: p must be at least 0, got \(p)", .invalidArgument)
            if x1.shape.last == 0 {
                // Rows of no element are at distance 0 for every p (PyTorch), ±inf norms included.
                let target = try Broadcast.shape(Array(x1.shape.dropLast(2)), Array(x2.shape.dropLast(2)), op: "cdist")
                let zeros = try Tensor.checkedZeros(target + [x1.shape[x1.rank - 2], x2.shape[x2.rank - 2]],
                                                    dtype: Tensor.resultType(x1, x2), op: "cdist")
                return zeros + (x1.sum() + x2.sum()) * 0   // keeps both in the graph
            }
            // [..., P, 1, M] − [..., 1, R, M]: every pair, then the norm over M.
            return (x1.unsqueeze(-2) - x2.unsqueeze(-3)).norm(p: p, axes: [-1])
        }
    }
}
