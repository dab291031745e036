extension Linalg {
    /// The eigenvalues (ascending) and orthonormal eigenvectors (columns) of each real symmetric matrix
    /// (PyTorch's `torch.linalg.eigh`), with A = V·diag(λ)·Vᵀ. Only the lower triangle of A is read.
    /// Each eigenvector is defined up to its sign (and, for repeated eigenvalues, up to a rotation within
    /// their space), so compare results through quantities that do not depend on that choice.
    ///
    /// The gradient is PyTorch's: V·(diag(G_λ) + skew(Vᵀ·G_V) / E)·Vᵀ with E_ij = λ_j − λ_i, where
    /// skew(X) = (X − Xᵀ) / 2; it is infinite or NaN where eigenvalues repeat and G_V is not zero (the
    /// eigenvectors are not differentiable there). When only the eigenvalues reach the loss it is
    /// V·diag(G_λ)·Vᵀ, finite for repeated eigenvalues too. Differentiable again.
    ///
    /// A matrix holding NaN or an infinity is an error (LAPACK's iteration has no answer for it).
    ///
    /// - Parameter a: `[…, n, n]`, symmetric.
    /// - Returns: `eigenvalues` `[…, n]` and `eigenvectors` `[…, n, n]`.
    ///
    /// ```swift
    /// let (values, vectors) = Linalg.eigh(Tensor([[2.0, 1.0], [1.0, 2.0]]))   // values [1, 3]
    /// ```
    public static func eigh(_ a: Tensor) -> (eigenvalues: Tensor, eigenvectors: Tensor) {
        checked(or: (Tensor.placeholder(), Tensor.placeholder())) {
            let op = "linalg.eigh"
            let batch = try LinalgBatch(a, op: op, square: true)
            if let bad = batch.firstNonFinite {
                throw GradusError(.nonFinite, "\(op): the matrix\(batch.label(bad)) holds NaN or infinite values, for which the algorithm has no answer", op: op)
            }
            let n = batch.rows
            try require(n <= LAPACK.largestSymmetricEigen, "\(op): matrices of \(n) × \(n) are larger than LAPACK's workspace sizes allow (at most \(LAPACK.largestSymmetricEigen))", .invalidArgument)
            try LinalgBatch.requireMemory([[batch.count, n, n + 1]], op: op)
            // One recorded output [..., n, n + 1]: the eigenvectors, then the eigenvalues as a last column;
            // both results are slices of it, so that a backward pass sees both gradients at once.
            var packed: [Double] = []
            packed.reserveCapacity(batch.count * n * (n + 1))
            for b in 0..<(n == 0 ? 0 : batch.count) {
                var m = batch.columnMajor(b)
                let (values, info) = LAPACK.symmetricEigen(&m, n: n, vectors: true)
                try require(info == 0, "\(op): the algorithm did not converge for the matrix\(batch.label(b)) (LAPACK info \(info))", .invalidArgument)
                for i in 0..<n {
                    for j in 0..<n { packed.append(m[i + j * n]) }
                    packed.append(values[i])
                }
            }
            let both = Tensor(shape: batch.batchShape + [n, n + 1], values: packed, dtype: a.dtype)
            Tensor.record(op, output: both, inputs: [a]) { g, both in
                let vectors = both.slice(axis: -1, start: 0, end: n), values = both.select(axis: -1, index: n)
                let gVectors = g.slice(axis: -1, start: 0, end: n), gValues = g.select(axis: -1, index: n)
                // Only the eigenvalues used: no division by the gaps (PyTorch's rule without G_V), so that
                // repeated eigenvalues keep a finite gradient.
                if gVectors.isAllZero { return [(vectors * gValues.unsqueeze(-2)).matmul(vectors.mT)] }
                let vtg = vectors.mT.matmul(gVectors)
                let skew = (vtg - vtg.mT) * 0.5
                // E_ij = λ_j − λ_i off the diagonal, 1 on it (where skew is 0).
                let gaps = values.unsqueeze(-2) - values.unsqueeze(-1) + Tensor.eye(n, dtype: a.dtype)
                let inner = skew / gaps + gValues.diagonalMatrices()
                return [vectors.matmul(inner).matmul(vectors.mT)]
            }
            return (both.select(axis: -1, index: n), both.slice(axis: -1, start: 0, end: n))
        }
    }

    /// The eigenvalues (ascending) of each real symmetric matrix (PyTorch's `torch.linalg.eigvalsh`);
    /// see ``eigh(_:)``. The gradient is V·diag(G)·Vᵀ.
    ///
    /// - Parameter a: `[…, n, n]`, symmetric.
    /// - Returns: `[…, n]`.
    ///
    /// ```swift
    /// let spectrum = Linalg.eigvalsh(hessian)
    /// ```
    public static func eigvalsh(_ a: Tensor) -> Tensor { eigh(a).eigenvalues }
}
