extension Linalg {
    /// The determinant of each square matrix (PyTorch's `torch.linalg.det`), from an LU factorization;
    /// 0 for a singular matrix, 1 for an empty `0 × 0` one.
    ///
    /// The gradient is G·det(A)·A⁻ᵀ (differentiable again) where every matrix of the batch is invertible,
    /// and otherwise G times the cofactor matrix, computed from a singular value decomposition, which is
    /// the derivative also at singular matrices (that form is not differentiated again). PyTorch uses the
    /// same cofactors when it records the backward graph; without one it answers 0 at an exactly
    /// singular matrix.
    ///
    /// - Parameter a: `[…, n, n]`, Float32 or Float64.
    /// - Returns: `[…]`.
    ///
    /// ```swift
    /// Linalg.det(Tensor([[1.0, 2.0], [3.0, 4.0]]))   // -2
    /// ```
    public static func det(_ a: Tensor) -> Tensor {
        checked {
            let op = "linalg.det"
            let batch = try LinalgBatch(a, op: op, square: true)
            let n = batch.rows
            try LinalgBatch.requireMemory([[batch.count]], op: op)
            var dets: [Double] = n == 0 ? [Double](repeating: 1, count: batch.count) : []
            for b in 0..<(n == 0 ? 0 : batch.count) {
                var m = batch.columnMajor(b)
                let (pivots, _) = LAPACK.luFactor(&m, n: n)
                dets.append(LAPACK.determinant(lu: m, pivots: pivots, n: n))
            }
            let y = Tensor(shape: batch.batchShape, values: dets, dtype: a.dtype)
            Tensor.record(op, output: y, inputs: [a]) { g, y in
                let scale = (g * y).unsqueeze(-1).unsqueeze(-1)
                if dets.allSatisfy({ $0 != 0 && $0.isFinite }) { return [scale * Linalg.inv(a).mT] }
                let matrices = try LinalgBatch(a, op: op, square: true)   // read again: not kept alive by the graph
                return [g.unsqueeze(-1).unsqueeze(-1) * (try cofactors(matrices, dtype: a.dtype))]
            }
            return y
        }
    }

    /// The sign (−1, 0 or 1) and the natural logarithm of the absolute value of each determinant
    /// (PyTorch's `torch.linalg.slogdet`): the logarithm stays finite where the determinant itself would
    /// overflow or underflow. A singular matrix gives sign 0 and −∞.
    ///
    /// The gradient of `logAbsDet` is G·A⁻ᵀ (infinite or NaN for a singular matrix, as in PyTorch);
    /// `sign` has none.
    ///
    /// - Parameter a: `[…, n, n]`, Float32 or Float64.
    /// - Returns: `sign` and `logAbsDet`, each `[…]`.
    ///
    /// ```swift
    /// let (sign, logAbsDet) = Linalg.slogdet(covariance)
    /// let logDeterminant = logAbsDet   // where sign is 1
    /// ```
    public static func slogdet(_ a: Tensor) -> (sign: Tensor, logAbsDet: Tensor) {
        checked(or: (Tensor.placeholder(), Tensor.placeholder())) {
            let op = "linalg.slogdet"
            let batch = try LinalgBatch(a, op: op, square: true)
            let n = batch.rows
            try LinalgBatch.requireMemory([[batch.count, 2]], op: op)
            var signs: [Double] = n == 0 ? [Double](repeating: 1, count: batch.count) : []
            var logs: [Double] = n == 0 ? [Double](repeating: 0, count: batch.count) : []
            for b in 0..<(n == 0 ? 0 : batch.count) {
                var m = batch.columnMajor(b)
                let (pivots, _) = LAPACK.luFactor(&m, n: n)
                let (s, l) = LAPACK.signAndLogAbsDeterminant(lu: m, pivots: pivots, n: n)
                signs.append(s)
                logs.append(l)
            }
            let sign = Tensor(shape: batch.batchShape, values: signs, dtype: a.dtype)
            let logAbs = Tensor(shape: batch.batchShape, values: logs, dtype: a.dtype)
            Tensor.record(op, output: logAbs, inputs: [a]) { g, logAbs in
                if !signs.contains(where: { $0 == 0 || $0.isNaN }) { return [g.unsqueeze(-1).unsqueeze(-1) * Linalg.inv(a).mT] }
                // A singular matrix: cofactors / 0, infinite or NaN, as PyTorch's gradient there is.
                let matrices = try LinalgBatch(a, op: op, square: true)
                let dets = (Tensor(shape: logAbs.shape, values: signs, dtype: a.dtype) * logAbs.exp()).unsqueeze(-1).unsqueeze(-1)
                return [g.unsqueeze(-1).unsqueeze(-1) * (try cofactors(matrices, dtype: a.dtype)) / dets]
            }
            return (sign, logAbs)
        }
    }

    /// The cofactor matrices det(A)·A⁻ᵀ of a batch, for any A (singular ones included), from
    /// A = U·diag(s)·Vᵀ: det(U)·det(V)·U·diag(∏_{j≠i} s_j)·Vᵀ.
    private static func cofactors(_ batch: LinalgBatch, dtype: DType) throws -> Tensor {
        try require(batch.rows <= LAPACK.largestSVD, "linalg.det backward: matrices of \(batch.rows) × \(batch.rows) are larger than LAPACK's workspace sizes allow for the singular value decomposition", .invalidArgument)
        let n = batch.rows
        var out: [Double] = []
        out.reserveCapacity(batch.values.count)
        for b in 0..<batch.count {
            var m = batch.columnMajor(b)
            // A matrix holding NaN or an infinity has NaN cofactors (PyTorch's gradient there is NaN too).
            let (u, s, vt, info) = m.allSatisfy(\.isFinite) ? LAPACK.svd(&m, m: n, n: n, full: true, vectors: true) : ([], [], [], -1)
            if info != 0 {
                out.append(contentsOf: repeatElement(.nan, count: n * n))
                continue
            }
            var products = [Double](repeating: 1, count: n)
            for i in 0..<n { for j in 0..<n where j != i { products[i] *= s[j] } }
            var uLU = u, vtLU = vt
            let (pu, _) = LAPACK.luFactor(&uLU, n: n), (pv, _) = LAPACK.luFactor(&vtLU, n: n)
            let orientation = LAPACK.determinant(lu: uLU, pivots: pu, n: n) * LAPACK.determinant(lu: vtLU, pivots: pv, n: n) < 0 ? -1.0 : 1.0
            // Row-major result: C[i][j] = orientation · Σ_k U[i][k] · p_k · Vᵀ[k][j] (column-major U, Vᵀ).
            for i in 0..<n {
                for j in 0..<n {
                    var sum = 0.0
                    for k in 0..<n { sum += u[i + k * n] * products[k] * vt[k + j * n] }
                    out.append(orientation * sum)
                }
            }
        }
        return Tensor(shape: batch.batchShape + [n, n], values: out, dtype: dtype)
    }
}

extension Tensor {
    /// The determinant of each square matrix in the last two dimensions (``Linalg/det(_:)``; PyTorch's
    /// `Tensor.det`).
    ///
    /// ```swift
    /// let volume = jacobian.det().abs()
    /// ```
    public func det() -> Tensor { Linalg.det(self) }
}
