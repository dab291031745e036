extension Linalg {
    /// Which norm ``matrixNorm(_:order:keepDims:)`` computes (PyTorch's `ord`).
    public enum MatrixNormOrder: Sendable, Equatable {
        /// The Frobenius norm, √Σ x² (PyTorch's `'fro'`, the default).
        case frobenius
        /// The nuclear norm, the sum of the singular values (`'nuc'`).
        case nuclear
        /// The largest singular value (`2`).
        case spectral
        /// The smallest singular value (`-2`).
        case smallestSingularValue
        /// The largest column sum of absolute values (`1`).
        case maxColumnSum
        /// The smallest column sum of absolute values (`-1`).
        case minColumnSum
        /// The largest row sum of absolute values (`inf`).
        case maxRowSum
        /// The smallest row sum of absolute values (`-inf`).
        case minRowSum
    }

    /// A norm of each matrix in the last two dimensions (PyTorch's `torch.linalg.matrix_norm`),
    /// differentiable (the singular-value norms through ``svdvals(_:)``).
    ///
    /// - Parameters:
    ///   - a: `[…, m, n]`.
    ///   - order: which norm; ``MatrixNormOrder/frobenius`` by default.
    ///   - keepDims: keep the two matrix dimensions with size 1.
    /// - Returns: `[…]` (or `[…, 1, 1]`).
    ///
    /// ```swift
    /// let spectral = Linalg.matrixNorm(w, order: .spectral)   // Lipschitz bound of x ↦ w·x
    /// ```
    public static func matrixNorm(_ a: Tensor, order: MatrixNormOrder = .frobenius, keepDims: Bool = false) -> Tensor {
        checked {
            let op = "linalg.matrix_norm"
            try require(a.rank >= 2, "\(op): expected a matrix or a batch of matrices ([…, m, n]), got shape \(a.shape)", .shapeMismatch)
            try a.requireFloat(op)
            let (m, n) = (a.shape[a.rank - 2], a.shape[a.rank - 1])
            let kept = Array(a.shape.dropLast(2)) + [1, 1]
            func shaped(_ t: Tensor) -> Tensor { keepDims ? t.reshape(kept) : t }
            switch order {
            case .frobenius:
                return shaped(a.norm(axes: [-2, -1]))
            case .nuclear, .spectral, .smallestSingularValue:
                try require(m > 0 && n > 0 || order == .nuclear, "\(op): the \(order) norm of an empty matrix (\(m) × \(n)) is not defined", .shapeMismatch)
                let s = svdvals(a)
                switch order {
                case .nuclear: return shaped(s.sum(axes: [-1]))
                case .spectral: return shaped(s.amax(axes: [-1]))
                default: return shaped(s.amin(axes: [-1]))
                }
            case .maxColumnSum, .minColumnSum, .maxRowSum, .minRowSum:
                let columns = order == .maxColumnSum || order == .minColumnSum
                let sums = a.abs().sum(axes: [columns ? -2 : -1])
                try require(sums.shape.last ?? 0 > 0, "\(op): the \(order) norm of an empty matrix (\(m) × \(n)) is not defined", .shapeMismatch)
                let largest = order == .maxColumnSum || order == .maxRowSum
                return shaped(largest ? sums.amax(axes: [-1]) : sums.amin(axes: [-1]))
            }
        }
    }

    /// The numerical rank of each matrix (PyTorch's `torch.linalg.matrix_rank`): how many singular values
    /// exceed max(`atol`, `rtol`·σ_max), with `rtol` max(m, n)·ε of the dtype by default. Int64; not
    /// differentiable.
    ///
    /// - Parameters:
    ///   - a: `[…, m, n]`.
    ///   - atol: the absolute tolerance (default 0).
    ///   - rtol: the tolerance relative to the largest singular value.
    /// - Returns: `[…]`, int64.
    ///
    /// ```swift
    /// Linalg.matrixRank(Tensor([[1.0, 2.0], [2.0, 4.0]]))   // 1
    /// ```
    public static func matrixRank(_ a: Tensor, atol: Double? = nil, rtol: Double? = nil) -> Tensor {
        checked {
            let op = "linalg.matrix_rank"
            try require(a.rank >= 2, "\(op): expected a matrix or a batch of matrices ([…, m, n]), got shape \(a.shape)", .shapeMismatch)
            let relative = try relativeTolerance(a, atol: atol, rtol: rtol, op: op)
            return GradMode.noGrad {
                let s = svdvals(a.detach())
                if s.shape.last == 0 { return Tensor.zeros(Array(a.shape.dropLast(2)), dtype: .int64) }
                let cutoff = (s.amax(axes: [-1], keepDims: true) * relative).maximum(Tensor.full(like: s.amax(axes: [-1], keepDims: true), value: atol ?? 0))
                return s.gt(cutoff).to(.int64).sum(axes: [-1])
            }
        }
    }

    /// The condition number σ_max / σ_min of each matrix in the spectral norm (PyTorch's
    /// `torch.linalg.cond` with its default `p=None`); ∞ for a singular square matrix, 0 for an empty
    /// one (as PyTorch). Differentiable.
    ///
    /// - Parameter a: `[…, m, n]`.
    /// - Returns: `[…]`.
    ///
    /// ```swift
    /// if Linalg.cond(a).item() > 1e12 { print("nearly singular") }
    /// ```
    public static func cond(_ a: Tensor) -> Tensor {
        checked {
            let op = "linalg.cond"
            try require(a.rank >= 2, "\(op): expected matrices ([…, m, n]), got shape \(a.shape)", .shapeMismatch)
            // Empty matrices: 0, as PyTorch answers.
            if a.shape[a.rank - 2] == 0 || a.shape[a.rank - 1] == 0 { return Tensor.zeros(Array(a.shape.dropLast(2)), dtype: a.dtype) }
            let s = svdvals(a)
            return s.amax(axes: [-1]) / s.amin(axes: [-1])
        }
    }
}
