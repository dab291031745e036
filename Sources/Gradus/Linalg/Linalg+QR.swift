extension Linalg {
    /// What ``qr(_:mode:)`` returns: PyTorch's `mode` argument.
    public enum QRMode: String, Sendable, CaseIterable {
        /// Q `m × k` and R `k × n`, k = min(m, n) (PyTorch's default).
        case reduced
        /// Q `m × m` and R `m × n`.
        case complete
        /// R only (`k × n`); Q is an empty tensor. Not differentiable, as in PyTorch.
        case r
    }

    /// The QR decomposition A = Q·R of each matrix (PyTorch's `torch.linalg.qr`): Q with orthonormal
    /// columns and R upper-triangular, by Householder reflections (LAPACK's dgeqrf and dorgqr, as
    /// PyTorch, so the signs of R's diagonal agree).
    ///
    /// The gradient (reduced mode, or complete with m ≤ n) is the standard rule for full-rank A: with
    /// M = R·G_Rᵀ − G_Qᵀ·Q, G_A = (G_Q + Q·copyltu(M))·R⁻ᵀ for m ≥ n, where copyltu(M) mirrors M's lower
    /// triangle; for m < n the leading square block takes that rule and the rest Q·G_R. Differentiable
    /// again. A backward pass through the complete mode with m > n, or through mode ``QRMode/r``, is an
    /// error (PyTorch's too: Q's extra columns, or Q itself, are not determined by A's derivative), and so
    /// is one through a rank-deficient matrix, whose R cannot be inverted (PyTorch answers infinities).
    ///
    /// - Parameters:
    ///   - a: `[…, m, n]`.
    ///   - mode: ``QRMode/reduced`` (default), ``QRMode/complete`` or ``QRMode/r``.
    /// - Returns: `q` and `r`.
    ///
    /// ```swift
    /// let (q, r) = Linalg.qr(Tensor([[3.0, 1.0], [4.0, 2.0]]))   // q·r = a, r upper-triangular
    /// ```
    public static func qr(_ a: Tensor, mode: QRMode = .reduced) -> (q: Tensor, r: Tensor) {
        checked(or: (Tensor.placeholder(), Tensor.placeholder())) {
            let op = "linalg.qr"
            let batch = try LinalgBatch(a, op: op, square: false)
            let (m, n) = (batch.rows, batch.columns), k = Swift.min(m, n)
            let complete = mode == .complete, computeQ = mode != .r
            let qColumns = complete ? m : k, rRows = complete ? m : k
            try require(LAPACK.fits(m * qColumns, rRows * n), "\(op): matrices of \(m) × \(n) are larger than LAPACK's sizes allow", .invalidArgument)
            try LinalgBatch.requireMemory([[batch.count, m, computeQ ? qColumns : 0], [batch.count, rRows, n]], op: op)
            let qCount = computeQ ? batch.count * m * qColumns : 0, rCount = batch.count * rRows * n
            var qs: [Double] = [], rs: [Double] = []
            qs.reserveCapacity(qCount); rs.reserveCapacity(rCount)
            for b in 0..<(qCount + rCount == 0 ? 0 : batch.count) {
                var matrix = batch.columnMajor(b)
                let (q, r) = LAPACK.qr(&matrix, m: m, n: n, complete: complete, computeQ: computeQ)
                if computeQ { LinalgBatch.appendRowMajor(q, rows: m, columns: qColumns, to: &qs) }
                LinalgBatch.appendRowMajor(r, rows: rRows, columns: n, to: &rs)
            }
            // One recorded output holding Q then R; both results are slices of it.
            let packed = Tensor(shape: [qCount + rCount], values: qs + rs, dtype: a.dtype)
            let qShape = computeQ ? batch.batchShape + [m, qColumns] : [0], rShape = batch.batchShape + [rRows, n]
            func parts(_ t: Tensor) -> (q: Tensor, r: Tensor) {
                (t.slice(axis: 0, start: 0, end: qCount).reshape(qShape), t.slice(axis: 0, start: qCount, end: qCount + rCount).reshape(rShape))
            }
            Tensor.record(op, output: packed, inputs: [a]) { g, packed in
                try require(computeQ, "\(op) backward: mode r computes no Q, on which the derivative depends; use mode reduced to differentiate", .autograd)
                try require(!complete || m <= n, "\(op) backward: the complete decomposition of a matrix with more rows (\(m)) than columns (\(n)) is not differentiable; use mode reduced", .autograd)
                let (q, r) = parts(packed), (gq, gr) = parts(g)
                return [try qrBackward(gq, gr, q: q, r: r, m: m, n: n)]
            }
            return parts(packed)
        }
    }

    /// The gradient with respect to A of a loss reading Q (`m × k`) and R (`k × n`).
    private static func qrBackward(_ gq: Tensor, _ gr: Tensor, q: Tensor, r: Tensor, m: Int, n: Int) throws -> Tensor {
        // copyltu(M): the lower triangle of M mirrored above the diagonal.
        func copyltu(_ x: Tensor) -> Tensor { x.tril() + x.tril(diagonal: -1).mT }
        func square(_ gq: Tensor, _ gr: Tensor, _ r: Tensor) -> Tensor {
            let mMatrix = r.matmul(gr.mT) - gq.mT.matmul(q)
            let b = gq + q.matmul(copyltu(mMatrix))
            return Linalg.solve(r.mT, b, left: false)   // b·R⁻ᵀ
        }
        if m >= n { return square(gq, gr, r) }
        // A = [X | Y], R = [U | V] with X = Q·U square and Y = Q·V.
        let u = r.slice(axis: -1, start: 0, end: m)
        let gu = gr.slice(axis: -1, start: 0, end: m), gv = gr.slice(axis: -1, start: m, end: n)
        let y = q.matmul(r.slice(axis: -1, start: m, end: n))
        let gx = square(gq + y.matmul(gv.mT), gu, u)
        return Tensor.concatenate([gx, q.matmul(gv)], axis: -1)
    }
}
