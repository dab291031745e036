// Triangular parts of matrices (over the last two dimensions, batch dimensions kept) and the causal
// mask of sequence models.

extension Tensor {
    /// The upper triangle of the matrices in the last two dimensions (PyTorch's `torch.triu`): element
    /// (i, j) is kept when j − i ≥ `diagonal` and set to zero otherwise.
    ///
    /// The gradient is the upstream gradient with the same elements kept.
    ///
    /// - Parameter diagonal: which diagonal bounds the triangle: 0 the main one, positive values above
    ///   it, negative values below it. Values beyond the matrix's size keep everything or nothing.
    ///
    /// ```swift
    /// Tensor([[1, 2], [3, 4]]).triu()              // [[1, 2], [0, 4]]
    /// Tensor([[1, 2], [3, 4]]).triu(diagonal: 1)   // [[0, 2], [0, 0]]
    /// ```
    public func triu(diagonal: Int = 0) -> Tensor { checked { try triangle(upper: true, diagonal: diagonal) } }

    /// The lower triangle of the matrices in the last two dimensions (PyTorch's `torch.tril`): element
    /// (i, j) is kept when j − i ≤ `diagonal` and set to zero otherwise.
    ///
    /// The gradient is the upstream gradient with the same elements kept.
    ///
    /// - Parameter diagonal: which diagonal bounds the triangle: 0 the main one, positive values above
    ///   it, negative values below it.
    ///
    /// ```swift
    /// Tensor([[1, 2], [3, 4]]).tril()               // [[1, 0], [3, 4]]
    /// Tensor([[1, 2], [3, 4]]).tril(diagonal: -1)   // [[0, 0], [3, 0]]
    /// ```
    public func tril(diagonal: Int = 0) -> Tensor { checked { try triangle(upper: false, diagonal: diagonal) } }

    /// The additive causal mask of a sequence of `size` positions (PyTorch's
    /// `nn.Transformer.generate_square_subsequent_mask`): `[size, size]` with 0 on and below the
    /// diagonal and −∞ above it, so that adding it to attention scores keeps each position from seeing
    /// later ones.
    ///
    /// - Parameters:
    ///   - size: the sequence length.
    ///   - dtype: a floating-point type (default `.float32`).
    ///
    /// ```swift
    /// let mask = Tensor.causalMask(4)
    /// let out = Functional.scaledDotProductAttention(q, k, v, attentionMask: mask)
    /// ```
    public static func causalMask(_ size: Int, dtype: DType = .float32) -> Tensor {
        checked {
            try require(size >= 0, "causalMask: size must not be negative, got \(size)")
            try require(dtype.isFloatingPoint, "causalMask: needs a floating-point dtype (the mask holds -inf), got \(dtype)", .dtypeMismatch)
            return Tensor.full([size, size], value: -.infinity, dtype: dtype).triu(diagonal: 1)
        }
    }

    /// Keeps element (i, j) of each matrix when j − i ≥ k (upper) or j − i ≤ k (lower); zero elsewhere
    /// (a copy, so NaN and infinities outside the triangle become 0 as in PyTorch).
    private func triangle(upper: Bool, diagonal k: Int) throws -> Tensor {
        let op = upper ? "triu" : "tril"
        try require(rank >= 2, "\(op): needs a tensor of at least 2 dimensions, got shape \(shape)", .shapeMismatch)
        let rows = shape[rank - 2], cols = shape[rank - 1]
        let matrices = rows * cols == 0 ? 0 : count / (rows * cols)
        let out = Tensor(uninitializedShape: shape, dtype: dtype)
        func run<T>(_: T.Type, zero: T) {
            let src = pointer(T.self), dst = out.pointer(T.self)
            for b in 0..<matrices {
                for i in 0..<rows {
                    let base = (b &* rows &+ i) &* cols
                    for j in 0..<cols {
                        let keep = upper ? j - i >= k : j - i <= k
                        dst[base &+ j] = keep ? src[base &+ j] : zero
                    }
                }
            }
        }
        switch dtype {
        case .float32: run(Float.self, zero: 0)
        case .float64: run(Double.self, zero: 0)
        case .int64: run(Int64.self, zero: 0)
        }
        record(op, output: out, inputs: [self]) { g, _ in [try g.triangle(upper: upper, diagonal: k)] }
        return out
    }
}
