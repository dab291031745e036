extension Linalg {
    /// The solution X of A·X = B (or X·A = B when `left` is false) for square, invertible A (PyTorch's
    /// `torch.linalg.solve`), by an LU factorization with partial pivoting. A singular A is an error.
    ///
    /// B is a batch of vectors when it is 1-D or has A's shape without the last dimension (`[…, n]`,
    /// PyTorch's rule); otherwise `[…, n, k]`. Batch dimensions broadcast. The gradients are
    /// G_B = A⁻ᵀ·G (a solve with Aᵀ) and G_A = −G_B·Xᵀ, differentiable again.
    ///
    /// - Parameters:
    ///   - a: `[…, n, n]`.
    ///   - b: `[…, n, k]` or `[…, n]`, of A's dtype.
    ///   - left: solve A·X = B (default) or X·A = B (B then `[…, k, n]`).
    /// - Returns: X, shaped like B after broadcasting.
    ///
    /// ```swift
    /// let a = Tensor([[3.0, 1.0], [1.0, 2.0]])
    /// Linalg.solve(a, Tensor([9.0, 8.0]))   // [2, 3]
    /// ```
    public static func solve(_ a: Tensor, _ b: Tensor, left: Bool = true) -> Tensor {
        checked {
            let op = "linalg.solve"
            try require(a.rank >= 2, "\(op): A must be a matrix or a batch of matrices ([…, n, n]), got shape \(a.shape)", .shapeMismatch)
            try require(a.dtype == b.dtype, "\(op): A and B must have the same dtype, got \(a.dtype) and \(b.dtype)", .dtypeMismatch)
            if !left {
                try require(b.rank >= 2, "\(op): with left: false, B must be a matrix or a batch of matrices, got shape \(b.shape)", .shapeMismatch)
                return try solveMatrices(a.mT, b.mT, op: op).mT
            }
            let vectors = b.rank == 1 || (b.rank == a.rank - 1 && b.shape == Array(a.shape.dropLast()))
            return vectors ? try solveMatrices(a, b.unsqueeze(-1), op: op).squeeze(-1) : try solveMatrices(a, b, op: op)
        }
    }

    /// A·X = B for `[…, n, n]` A and `[…, n, k]` B with broadcast batch dimensions; recorded.
    static func solveMatrices(_ a: Tensor, _ b: Tensor, op: String) throws -> Tensor {
        try require(b.rank >= 2, "\(op): B must be [\u{2026}, n] or [\u{2026}, n, k], got shape \(b.shape) for A of shape \(a.shape)", .shapeMismatch)
        let n = a.shape[a.rank - 1], k = b.shape[b.rank - 1]
        try require(a.shape[a.rank - 2] == n, "\(op): A must be square, got shape \(a.shape)", .shapeMismatch)
        try require(b.shape[b.rank - 2] == n, "\(op): B of shape \(b.shape) does not match A of shape \(a.shape) (it needs \(n) rows)", .shapeMismatch)
        let batchShape = try Broadcast.shape(Array(a.shape.dropLast(2)), Array(b.shape.dropLast(2)), op: op)
        try LinalgBatch.requireMemory([batchShape + [n, n], batchShape + [n, k]], op: op)
        let matrices = try LinalgBatch(a.detach().expand(batchShape + [n, n]), op: op, square: true)
        let sides = try LinalgBatch(b.detach().expand(batchShape + [n, k]), op: op, square: false)
        var out: [Double] = []
        out.reserveCapacity(sides.values.count)
        for i in 0..<(n == 0 || k == 0 ? 0 : matrices.count) {
            var m = matrices.columnMajor(i), x = sides.columnMajor(i)
            let info = LAPACK.solve(&m, n: n, &x, columns: k)
            try require(info == 0, "\(op): the matrix A\(matrices.label(i)) is singular (diagonal element \(info) of its LU factorization is zero); the system has no unique solution", .invalidArgument)
            LinalgBatch.appendRowMajor(x, rows: n, columns: k, to: &out)
        }
        let x = Tensor(shape: batchShape + [n, k], values: out, dtype: a.dtype)
        Tensor.record(op, output: x, inputs: [a, b]) { g, x in
            let gb = try solveMatrices(a.mT, g, op: op)
            let ga = -gb.matmul(x.mT)
            return [a.requiresGrad ? try ga.unbroadcast(to: a.shape, op: op) : nil,
                    b.requiresGrad ? try gb.unbroadcast(to: b.shape, op: op) : nil]
        }
        return x
    }
}
