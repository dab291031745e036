/// Stateless neural-network operations (PyTorch's `torch.nn.functional`): the computations behind the
/// layers, taking weights as arguments.
///
/// ```swift
/// let y = Functional.conv2d(x, weight: w, bias: b, stride: (1, 1), padding: (2, 2))
/// ```
public enum Functional {}

/// Checks and normalizes a pair of sizes for a 2-D operation.
@inline(__always)
func checkedPair(_ p: (Int, Int), _ what: String, _ op: String, min: Int) throws -> (Int, Int) {
    try require(p.0 >= min && p.1 >= min, "\(op): \(what) \(p) must be at least \(min)")
    // The output-size arithmetic (size + 2·padding − dilation·(kernel − 1)) must not overflow.
    try require(p.0 <= Int(Int32.max) && p.1 <= Int(Int32.max), "\(op): \(what) \(p) must be at most \(Int32.max)")
    return p
}

extension Functional {
    /// `x · weightᵀ + bias` over the last dimension (PyTorch's `F.linear`); one matrix product whatever
    /// the leading dimensions.
    ///
    /// - Parameters:
    ///   - input: `[…, inFeatures]`.
    ///   - weight: `[outFeatures, inFeatures]`.
    ///   - bias: `[outFeatures]` or nil.
    ///
    /// ```swift
    /// let y = Functional.linear(x, weight: w, bias: b)
    /// ```
    public static func linear(_ input: Tensor, weight: Tensor, bias: Tensor?) -> Tensor {
        Tensor.linear(input, weight: weight, bias: bias)
    }

    /// Inverted dropout: in training, zeroes each element with probability `p` and scales the rest by
    /// 1 / (1 − p); otherwise returns the input unchanged.
    ///
    /// - Parameters:
    ///   - input: any tensor.
    ///   - p: the probability of zeroing an element, in [0, 1].
    ///   - training: whether to apply dropout.
    ///   - generator: the source of randomness.
    ///
    /// ```swift
    /// var rng = SeededGenerator(seed: 0)
    /// let h = Functional.dropout(x, p: 0.5, training: true, generator: &rng)
    /// ```
    public static func dropout(_ input: Tensor, p: Double, training: Bool, generator: inout SeededGenerator) -> Tensor {
        checked {
            try require(p >= 0 && p <= 1, "dropout: p must be in [0, 1], got \(p)")
            if !training || p == 0 { return input }
            if p == 1 { return input * 0 }
            let keep = Tensor.bernoulli(input.shape, p: 1 - p, dtype: input.dtype, generator: &generator)
            return input * (keep * (1 / (1 - p)))
        }
    }

    /// ``dropout(_:p:training:generator:)`` drawing from the default generator (``Random``), like
    /// PyTorch's `F.dropout`.
    ///
    /// ```swift
    /// let h = Functional.dropout(x, p: 0.1, training: true)
    /// ```
    public static func dropout(_ input: Tensor, p: Double, training: Bool) -> Tensor {
        Random.withDefault { dropout(input, p: p, training: training, generator: &$0) }
    }

    /// Rows of `weight` picked by integer `indices`: shape `indices.shape + [embeddingDim]`
    /// (PyTorch's `F.embedding`). The gradient is added into the picked rows, except the row
    /// `paddingIdx`, which receives none.
    ///
    /// - Parameters:
    ///   - indices: int64 indices of any shape, each in `0..<numEmbeddings`.
    ///   - weight: the table `[numEmbeddings, embeddingDim]`.
    ///   - paddingIdx: a row that is looked up but never trained, in `-numEmbeddings..<numEmbeddings` (negative counts from the end), or nil.
    ///   - maxNorm: when given, each row that `indices` picks and whose `normType`-norm exceeds it is first
    ///     scaled **in place in `weight`** to norm `maxNorm` (PyTorch's `max_norm`: the factor
    ///     maxNorm / (norm + 1e-7), not recorded; the weight's version changes as with any in-place update).
    ///     Since the lookup writes the weight, threads must not share such a table unguarded.
    ///   - normType: the p of the p-norm for `maxNorm` (2 by default; `.infinity` for the largest magnitude).
    ///
    /// ```swift
    /// let vectors = Functional.embedding(Tensor(labels: [3, 1]), weight: table)
    /// let bounded = Functional.embedding(tokens, weight: table, maxNorm: 1)
    /// ```
    public static func embedding(_ indices: Tensor, weight: Tensor, paddingIdx: Int? = nil, maxNorm: Double? = nil,
                                 normType: Double = 2) -> Tensor {
        checked {
            try require(indices.dtype == .int64, "embedding: indices must be int64, got \(indices.dtype) of shape \(indices.shape)", .dtypeMismatch)
            try require(weight.rank == 2, "embedding: weight must be [numEmbeddings, embeddingDim], got \(weight.shape)", .shapeMismatch)
            let n = weight.shape[0]
            if let paddingIdx {
                try require(paddingIdx >= -n && paddingIdx < n,
                            "embedding: paddingIdx \(paddingIdx) is out of range for \(n) rows", .indexOutOfRange)
            }
            // As PyTorch: a negative paddingIdx counts from the end.
            let paddingIdx = paddingIdx.map { $0 < 0 ? $0 + n : $0 }
            if let maxNorm { try renormalizeRows(weight, pickedBy: indices, maxNorm: maxNorm, normType: normType) }
            let flat = indices.reshape([indices.count])
            var rows = weight.indexSelect(axis: 0, index: flat)
            if let paddingIdx, rows.requiresGrad {
                // Same values; the padding rows' gradient is cut by taking them from a detached copy.
                let isPadding = Tensor(shape: [indices.count, 1], values: flat.intScalars.map { $0 == paddingIdx ? 1.0 : 0.0 },
                                       dtype: weight.dtype)
                rows = Tensor.where(isPadding, rows.detach(), rows)
            }
            return rows.reshape(indices.shape + [weight.shape[1]])
        }
    }

    /// PyTorch's `embedding_renorm_`: each distinct row of `weight` that `indices` name, whose p-norm
    /// exceeds `maxNorm`, multiplied in place by maxNorm / (norm + 1e-7), outside the graph.
    private static func renormalizeRows(_ weight: Tensor, pickedBy indices: Tensor, maxNorm: Double, normType: Double) throws {
        try require(maxNorm.isFinite && maxNorm >= 0, "embedding: maxNorm must be a finite number >= 0, got \(maxNorm)", .invalidArgument)
        try require(normType > 0, "embedding: normType must be > 0, got \(normType)", .invalidArgument)
        try weight.requireFloat("embedding with maxNorm")
        let n = weight.shape[0]
        let rows = Set(indices.intScalars)
        if let bad = rows.first(where: { $0 < 0 || $0 >= n }) {
            throw GradusError(.indexOutOfRange, "embedding: index \(bad) is out of range 0..<\(n)", op: "embedding")
        }
        guard !rows.isEmpty, weight.shape[1] > 0 else { return }   // nothing to rescale
        try GradMode.noGrad {
            // The picked rows' norms in one call of `norm` (in the weight's dtype, as PyTorch computes them).
            let picked = rows.sorted()
            let norms = weight.indexSelect(axis: 0, index: Tensor(shape: [picked.count], integers: picked))
                .norm(p: normType, axes: [1]).scalars(as: Double.self)
            try GradusError.throwIfRecorded()
            for (r, norm) in zip(picked, norms) where norm > maxNorm {
                _ = weight.select(axis: 0, index: r).mulInPlace(maxNorm / (norm + 1e-7))
                try GradusError.throwIfRecorded()
            }
        }
    }
}
