extension Linalg {
    /// The singular value decomposition A = U·diag(S)·Vh of each matrix (PyTorch's
    /// `torch.linalg.svd`), with the k = min(m, n) singular values in descending order. With
    /// `fullMatrices` (the default, as in PyTorch) U is `m × m` and Vh `n × n`; otherwise `m × k` and
    /// `k × n`. Singular vectors are defined up to sign (and rotations within repeated singular values):
    /// compare results through quantities that do not depend on that choice.
    ///
    /// The gradient is PyTorch's (which assumes distinct singular values, and for rectangular matrices
    /// full rank; it is infinite or NaN otherwise when the loss reads U or Vh; when only S reaches the
    /// loss it is U·diag(G_S)·Vh, always finite). With `fullMatrices`, the
    /// columns of U and rows of Vh beyond k get no gradient, as in PyTorch. Differentiable again.
    ///
    /// A matrix holding NaN or an infinity is an error, as in PyTorch.
    ///
    /// - Parameters:
    ///   - a: `[…, m, n]`.
    ///   - fullMatrices: return square U and Vh.
    /// - Returns: `u`, `s` (`[…, k]`) and `vh`.
    ///
    /// ```swift
    /// let (u, s, vh) = Linalg.svd(x, fullMatrices: false)
    /// let rank1 = (u.slice(axis: -1, end: 1) * s.slice(axis: -1, end: 1).unsqueeze(-2)).matmul(vh.slice(axis: -2, end: 1))
    /// ```
    public static func svd(_ a: Tensor, fullMatrices: Bool = true) -> (u: Tensor, s: Tensor, vh: Tensor) {
        checked(or: (Tensor.placeholder(), Tensor.placeholder(), Tensor.placeholder())) {
            let op = "linalg.svd"
            let batch = try LinalgBatch(a, op: op, square: false)
            if let bad = batch.firstNonFinite {
                throw GradusError(.nonFinite, "\(op): the matrix\(batch.label(bad)) holds NaN or infinite values, for which the algorithm does not converge", op: op)
            }
            let (m, n) = (batch.rows, batch.columns), k = Swift.min(m, n)
            let uColumns = fullMatrices ? m : k, vhRows = fullMatrices ? n : k
            try require(k <= LAPACK.largestSVD && LAPACK.fits(m * uColumns, vhRows * n),
                        "\(op): matrices of \(m) × \(n) are larger than LAPACK's workspace sizes allow", .invalidArgument)
            try LinalgBatch.requireMemory([[batch.count, m, uColumns], [batch.count, k], [batch.count, vhRows, n]], op: op)
            let (uCount, sCount, vhCount) = (batch.count * m * uColumns, batch.count * k, batch.count * vhRows * n)
            // One recorded output holding U, S and Vh one after the other; the three results are slices of
            // it, so that a backward pass sees their gradients together.
            var us: [Double] = [], ss: [Double] = [], vhs: [Double] = []
            us.reserveCapacity(uCount); ss.reserveCapacity(sCount); vhs.reserveCapacity(vhCount)
            for b in 0..<(uCount + sCount + vhCount == 0 ? 0 : batch.count) {
                var matrix = batch.columnMajor(b)
                let (u, s, vt, info) = LAPACK.svd(&matrix, m: m, n: n, full: fullMatrices, vectors: true)
                try require(info == 0, "\(op): the algorithm did not converge for the matrix\(batch.label(b)) (LAPACK info \(info))", .invalidArgument)
                LinalgBatch.appendRowMajor(u, rows: m, columns: uColumns, to: &us)
                ss.append(contentsOf: s)
                LinalgBatch.appendRowMajor(vt, rows: vhRows, columns: n, to: &vhs)
            }
            let packed = Tensor(shape: [uCount + sCount + vhCount], values: us + ss + vhs, dtype: a.dtype)
            let uShape = batch.batchShape + [m, uColumns], sShape = batch.batchShape + [k], vhShape = batch.batchShape + [vhRows, n]
            func parts(_ t: Tensor) -> (u: Tensor, s: Tensor, vh: Tensor) {
                (t.slice(axis: 0, start: 0, end: uCount).reshape(uShape),
                 t.slice(axis: 0, start: uCount, end: uCount + sCount).reshape(sShape),
                 t.slice(axis: 0, start: uCount + sCount, end: uCount + sCount + vhCount).reshape(vhShape))
            }
            Tensor.record(op, output: packed, inputs: [a]) { g, packed in
                var (u, s, vh) = parts(packed)
                var (gu, gs, gvh) = parts(g)
                if fullMatrices {
                    (u, gu) = (u.slice(axis: -1, start: 0, end: k), gu.slice(axis: -1, start: 0, end: k))
                    (vh, gvh) = (vh.slice(axis: -2, start: 0, end: k), gvh.slice(axis: -2, start: 0, end: k))
                }
                return [svdBackward(gu, gs, gvh, u: u, s: s, vh: vh, m: m, n: n)]
            }
            return parts(packed)
        }
    }

    /// The singular values of each matrix, in descending order (PyTorch's `torch.linalg.svdvals`); see
    /// ``svd(_:fullMatrices:)``. The gradient is U·diag(G)·Vh.
    ///
    /// - Parameter a: `[…, m, n]`.
    /// - Returns: `[…, min(m, n)]`.
    ///
    /// ```swift
    /// let conditionNumber = Linalg.svdvals(a).max() / Linalg.svdvals(a).min()
    /// ```
    public static func svdvals(_ a: Tensor) -> Tensor { svd(a, fullMatrices: false).s }

    /// PyTorch's `svd_backward` for the reduced factors (U `m × k`, Vh `k × n`), in tensor operations.
    private static func svdBackward(_ gu: Tensor, _ gs: Tensor, _ gvh: Tensor, u: Tensor, s: Tensor, vh: Tensor,
                                    m: Int, n: Int) -> Tensor {
        let k = Swift.min(m, n)
        // Only the singular values used: U·diag(G_S)·Vh, without dividing by S or by the gaps (PyTorch's
        // rule when neither U nor Vh has a gradient), finite for repeated or zero singular values.
        if gu.isAllZero && gvh.isAllZero { return (u * gs.unsqueeze(-2)).matmul(vh) }
        func skew(_ x: Tensor) -> Tensor { x - x.mT }
        let uhgu = skew(u.mT.matmul(gu)), vhgv = skew(vh.matmul(gvh.mT))
        let s2 = s * s
        // E_ij = s_j² − s_i², 1 on the diagonal.
        let gaps = s2.unsqueeze(-2) - s2.unsqueeze(-1) + Tensor.eye(k, dtype: s.dtype)
        var inner = (uhgu * s.unsqueeze(-2) + s.unsqueeze(-1) * vhgv) / gaps + gs.diagonalMatrices()
        // The terms in G_U·S⁻¹ and S⁻¹·G_Vh only where those gradients exist (PyTorch's `defined()`): a
        // rank-deficient matrix whose U (or Vh) the loss does not read keeps a finite gradient.
        if m > n && !gu.isAllZero {
            // [U·inner + (I − U·Uᵀ)·G_U·S⁻¹]·Vh
            inner = u.matmul(inner)
            let guOverS = gu / s.unsqueeze(-2)
            return (inner + guOverS - u.matmul(u.mT.matmul(guOverS))).matmul(vh)
        }
        if m < n && !gvh.isAllZero {
            // U·[inner·Vh + S⁻¹·G_Vh·(I − Vᵀ·V)]
            inner = inner.matmul(vh)
            let gvhOverS = gvh / s.unsqueeze(-1)
            return u.matmul(inner + gvhOverS - gvhOverS.matmul(vh.mT).matmul(vh))
        }
        return u.matmul(inner).matmul(vh)
    }
}
