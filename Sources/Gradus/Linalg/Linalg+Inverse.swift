extension Linalg {
    /// The inverse of each square matrix (PyTorch's `torch.linalg.inv`). A singular matrix is an error
    /// (PyTorch's too); an empty `0 × 0` matrix is its own inverse.
    ///
    /// The gradient is −A⁻ᵀ·G·A⁻ᵀ, written with differentiable operations (so it can be differentiated
    /// again).
    ///
    /// - Parameter a: `[…, n, n]`, Float32 or Float64.
    /// - Returns: `[…, n, n]`.
    ///
    /// ```swift
    /// let a = Tensor([[2.0, 1.0], [1.0, 1.0]])
    /// Linalg.inv(a)   // [[1, -1], [-1, 2]]
    /// ```
    public static func inv(_ a: Tensor) -> Tensor {
        checked {
            let op = "linalg.inv"
            let batch = try LinalgBatch(a, op: op, square: true)
            let n = batch.rows
            var out: [Double] = []
            out.reserveCapacity(batch.values.count)
            for b in 0..<(n == 0 ? 0 : batch.count) {
                var m = batch.columnMajor(b)
                let info = LAPACK.invert(&m, n: n)
                try require(info == 0, "\(op): the matrix\(batch.label(b)) is singular (diagonal element \(info) of its LU factorization is zero), so it has no inverse", .invalidArgument)
                LinalgBatch.appendRowMajor(m, rows: n, columns: n, to: &out)
            }
            let y = Tensor(shape: a.shape, values: out, dtype: a.dtype)
            Tensor.record(op, output: y, inputs: [a]) { g, y in
                let yt = y.mT
                return [-(yt.matmul(g).matmul(yt))]
            }
            return y
        }
    }
}

extension Tensor {
    /// The inverse of each square matrix in the last two dimensions (``Linalg/inv(_:)``; PyTorch's
    /// `Tensor.inverse`).
    ///
    /// ```swift
    /// let identity = a.matmul(a.inverse())
    /// ```
    public func inverse() -> Tensor { Linalg.inv(self) }
}
