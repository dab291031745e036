extension Linalg {
    /// The Cholesky factor of each symmetric positive-definite matrix (PyTorch's
    /// `torch.linalg.cholesky`): lower-triangular L with A = L·Lᵀ, or upper-triangular U = Lᵀ with
    /// A = Uᵀ·U when `upper`. Only the lower triangle of A is read. A matrix that is not positive-definite
    /// is an error naming the leading minor that fails.
    ///
    /// The gradient is PyTorch's: with Φ(X) the lower triangle of X with its diagonal halved,
    /// S = L⁻ᵀ·Φ(Lᵀ·G)·L⁻¹ and G_A = (S + Sᵀ) / 2 (symmetric), differentiable again.
    ///
    /// - Parameters:
    ///   - a: `[…, n, n]`, symmetric positive-definite.
    ///   - upper: return the upper-triangular factor.
    /// - Returns: `[…, n, n]`.
    ///
    /// ```swift
    /// let l = Linalg.cholesky(Tensor([[4.0, 2.0], [2.0, 5.0]]))   // [[2, 0], [1, 2]]
    /// ```
    public static func cholesky(_ a: Tensor, upper: Bool = false) -> Tensor {
        checked {
            if upper { return cholesky(a, upper: false).mT }
            let op = "linalg.cholesky"
            let out = try LinalgBatch(a, op: op, square: true).mapSquareMatrices({ LAPACK.cholesky(&$0, n: $1) }) { info, place in
                "\(op): the matrix\(place) is not positive-definite (the leading minor of order \(info) is not positive-definite)"
            }
            let l = Tensor(shape: a.shape, values: out, dtype: a.dtype)
            Tensor.record(op, output: l, inputs: [a]) { g, l in
                let lInverse = Linalg.inv(l)
                let lower = l.mT.matmul(g).tril()
                let phi = lower - lower.diagonal().diagonalMatrices() * 0.5
                let s = lInverse.mT.matmul(phi).matmul(lInverse)
                return [(s + s.mT) * 0.5]
            }
            return l
        }
    }
}
