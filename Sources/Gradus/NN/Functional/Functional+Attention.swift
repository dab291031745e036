// Attention: softmax(q·kᵀ·scale + mask)·v over batches of sequences. MultiheadAttention splits its
// projections into heads and calls the same core.

extension Functional {
    /// Scaled dot-product attention, like PyTorch's `F.scaled_dot_product_attention`:
    /// `softmax(query·keyᵀ·scale + mask)·value` over the last two dimensions, batch dimensions shared.
    ///
    /// - Parameters:
    ///   - query: `[…, L, E]`.
    ///   - key: `[…, S, E]` (the same batch dimensions as `query`; they do not broadcast).
    ///   - value: `[…, S, Ev]`.
    ///   - attentionMask: a floating-point mask added to the scores, broadcast to `[…, L, S]` (`-inf`
    ///     forbids a position). PyTorch's boolean form (`True` = may attend) has no Gradus dtype: build
    ///     the additive mask instead.
    ///   - dropout: the probability of dropping an attention weight, when `training`.
    ///   - training: whether dropout applies.
    ///   - isCausal: forbid each query position from seeing later key positions (`L × S` upper
    ///     triangle); not together with `attentionMask`.
    ///   - scale: the factor on the scores; nil means `1/√E`.
    /// - Returns: `[…, L, Ev]`.
    ///
    /// ```swift
    /// let out = Functional.scaledDotProductAttention(q, k, v, isCausal: true)
    /// ```
    public static func scaledDotProductAttention(_ query: Tensor, _ key: Tensor, _ value: Tensor,
                                                 attentionMask: Tensor? = nil, dropout: Double = 0,
                                                 training: Bool = true, isCausal: Bool = false,
                                                 scale: Double? = nil) -> Tensor {
        checked {
            try require(attentionMask == nil || !isCausal,
                    "scaledDotProductAttention: give an attention mask or isCausal, not both (as PyTorch requires)")
            try require(attentionMask?.dtype.isFloatingPoint ?? true,
                    "scaledDotProductAttention: the attention mask must be floating point (added to the scores), got \(attentionMask!.dtype)", .dtypeMismatch)
            return try attention(query, key, value, mask: attentionMask, isCausal: isCausal, dropout: dropout, training: training,
                      scale: scale, op: "scaledDotProductAttention").output
        }
    }

    /// The additive form of a mask: floating point as it is, int64 nonzero → −∞ (0 elsewhere).
    static func additiveMask(_ mask: Tensor, dtype: DType) -> Tensor {
        if mask.dtype.isFloatingPoint { return mask.dtype == dtype ? mask : mask.to(dtype) }
        return Tensor.zeros(mask.shape, dtype: dtype).maskedWhere(mask.to(dtype), -.infinity)
    }

    /// A `[L, S]` mask with −∞ where the key position comes after the query position.
    static func causalMask(queries: Int, keys: Int, dtype: DType) -> Tensor {
        var values = [Double](repeating: 0, count: queries * keys)
        for i in 0..<queries { for j in stride(from: i + 1, to: keys, by: 1) { values[i * keys + j] = -.infinity } }
        return Tensor(shape: [queries, keys], values: values, dtype: dtype)
    }

    /// The core of both attention APIs: the output `[…, L, Ev]` and the attention weights `[…, L, S]`.
    static func attention(_ query: Tensor, _ key: Tensor, _ value: Tensor, mask: Tensor?, isCausal: Bool,
                          dropout: Double, training: Bool, scale: Double?, op: String)
        throws -> (output: Tensor, weights: Tensor) {
        try require(query.rank >= 2 && key.rank == query.rank && value.rank == query.rank,
                "\(op): query \(query.shape), key \(key.shape) and value \(value.shape) must share a rank of 2 or more", .shapeMismatch)
        let r = query.rank
        try require(query.shape[r - 1] == key.shape[r - 1] && key.shape[r - 2] == value.shape[r - 2]
                    && Array(query.shape.dropLast(2)) == Array(key.shape.dropLast(2))
                    && Array(key.shape.dropLast(2)) == Array(value.shape.dropLast(2)),
                "\(op): query \(query.shape), key \(key.shape) and value \(value.shape) do not match", .shapeMismatch)
        let (l, s) = (query.shape[r - 2], key.shape[r - 2])
        let factor = scale ?? 1 / Double(query.shape[r - 1]).squareRoot()
        var scores = try Tensor.matmulCore(query * factor, key, transA: false, transB: true)   // [..., L, S]
        if isCausal { scores = scores + causalMask(queries: l, keys: s, dtype: scores.dtype) }
        if let mask { scores = scores + additiveMask(mask, dtype: scores.dtype) }
        let weights = Functional.dropout(scores.softmax(axis: -1), p: dropout, training: training)
        return (weights.matmul(value), weights)
    }
}
