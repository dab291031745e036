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
            let out = try LinalgBatch(a, op: op, square: true).mapSquareMatrices({ LAPACK.invert(&$0, n: $1) }) { info, place in
                "\(op): the matrix\(place) is singular (diagonal element \(info) of its LU factorization is zero), so it has no inverse"
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
