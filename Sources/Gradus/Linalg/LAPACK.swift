import CBLAS
#if canImport(Glibc)
import Glibc
#endif

/// LAPACK's factorizations (from OpenBLAS, which Gradus already links for its products) on one Float64
/// matrix at a time, in LAPACK's column-major order. The ``Linalg`` operations convert each matrix of a
/// batch to and from this order (``LinalgBatch``); all of them compute in Float64, also for Float32
/// tensors, and round the results once.
///
/// Every call checks that the sizes fit LAPACK's 32-bit integers before calling.
enum LAPACK {
    /// LAPACK's integer.
    typealias Index = Int32

    /// Whether every size fits a LAPACK integer.
    static func fits(_ sizes: Int...) -> Bool { sizes.allSatisfy { $0 >= 0 && $0 <= Int(Int32.max) } }

    /// The largest n for which dsyevd's workspace, 1 + 6n + 2n², fits a LAPACK integer.
    static let largestSymmetricEigen = 32_766

    /// The largest min(m, n) for which dgesdd's workspace, about 4k² + 7k + max(m, n), fits a LAPACK integer.
    static let largestSVD = 23_000

    /// The LU factorization P·A = L·U of the `n × n` matrix `a`, in place (L below the diagonal with
    /// unit diagonal, U on and above it); returns the pivots (1-based rows, LAPACK's) and `info` (k > 0:
    /// U[k−1, k−1] is exactly zero, the matrix is singular; the factorization is still complete).
    static func luFactor(_ a: inout [Double], n: Int) -> (pivots: [Index], info: Int) {
        var size = Index(n), lda = Index(Swift.max(n, 1)), info: Index = 0
        var pivots = [Index](repeating: 0, count: n)
        if n == 0 { return (pivots, 0) }
        a.withUnsafeMutableBufferPointer { pa in
            pivots.withUnsafeMutableBufferPointer { pp in
                dgetrf_(&size, &size, pa.baseAddress, &lda, pp.baseAddress, &info)
            }
        }
        return (pivots, Int(info))
    }

    /// The determinant's sign (−1, 0 or 1) and the logarithm of its absolute value (−∞ when singular),
    /// from an LU factorization made by ``luFactor(_:n:)``.
    static func signAndLogAbsDeterminant(lu: [Double], pivots: [Index], n: Int) -> (sign: Double, logAbs: Double) {
        var sign = 1.0, logAbs = 0.0
        for i in 0..<n {
            let u = lu[i * n + i]
            if u == 0 { return (0, -.infinity) }
            if u.isNaN { return (.nan, .nan) }
            if u < 0 { sign = -sign }
            if Int(pivots[i]) != i + 1 { sign = -sign }
            logAbs += log(Swift.abs(u))
        }
        return (sign, logAbs)
    }

    /// The determinant from an LU factorization: the product of U's diagonal with the pivots' sign
    /// (computed as a product, as PyTorch does, so that it overflows and underflows where PyTorch's does).
    static func determinant(lu: [Double], pivots: [Index], n: Int) -> Double {
        var det = 1.0
        for i in 0..<n {
            det *= lu[i * n + i]
            if Int(pivots[i]) != i + 1 { det = -det }
        }
        return det
    }

    /// The inverse of the `n × n` matrix `a`, in place; returns `info` (> 0: singular, `a` undefined).
    static func invert(_ a: inout [Double], n: Int) -> Int {
        if n == 0 { return 0 }
        let (pivots, factorInfo) = luFactor(&a, n: n)
        if factorInfo != 0 { return factorInfo }
        var size = Index(n), lda = Index(n), info: Index = 0, query = -1 as Index, best = 0.0
        pivots.withUnsafeBufferPointer { pp in
            dgetri_(&size, &a, &lda, pp.baseAddress, &best, &query, &info)
        }
        var lwork = Index(Swift.max(Int(best), n, 1))
        var work = [Double](repeating: 0, count: Int(lwork))
        a.withUnsafeMutableBufferPointer { pa in
            pivots.withUnsafeBufferPointer { pp in
                dgetri_(&size, pa.baseAddress, &lda, pp.baseAddress, &work, &lwork, &info)
            }
        }
        return Int(info)
    }

    /// Solves A·X = B for the `n × n` matrix `a` (overwritten by its LU factors) and the `n × k`
    /// right-hand sides `b` (overwritten by X); returns `info` (> 0: A is singular).
    static func solve(_ a: inout [Double], n: Int, _ b: inout [Double], columns k: Int) -> Int {
        if n == 0 || k == 0 { return 0 }
        let (pivots, factorInfo) = luFactor(&a, n: n)
        if factorInfo != 0 { return factorInfo }
        var size = Index(n), nrhs = Index(k), lda = Index(n), ldb = Index(n), info: Index = 0
        var trans = CChar(UInt8(ascii: "N"))
        a.withUnsafeBufferPointer { pa in
            pivots.withUnsafeBufferPointer { pp in
                b.withUnsafeMutableBufferPointer { pb in
                    dgetrs_(&trans, &size, &nrhs, pa.baseAddress, &lda, pp.baseAddress, pb.baseAddress, &ldb, &info, 1)
                }
            }
        }
        return Int(info)
    }

    /// The lower Cholesky factor of the symmetric positive-definite `n × n` matrix `a` (only its lower
    /// triangle is read), in place, with the upper triangle set to zero; returns `info` (k > 0: the
    /// leading minor of order k is not positive-definite).
    static func cholesky(_ a: inout [Double], n: Int) -> Int {
        if n == 0 { return 0 }
        var size = Index(n), lda = Index(n), info: Index = 0
        var uplo = CChar(UInt8(ascii: "L"))
        dpotrf_(&uplo, &size, &a, &lda, &info, 1)
        for j in 0..<n { for i in 0..<j { a[i + j * n] = 0 } }   // column j, rows above the diagonal
        return Int(info)
    }

    /// The eigenvalues (ascending) of the symmetric `n × n` matrix `a` (only its lower triangle is read)
    /// and, with `vectors`, its orthonormal eigenvectors, which replace `a` column by column; returns the
    /// values and `info` (> 0: the algorithm did not converge).
    static func symmetricEigen(_ a: inout [Double], n: Int, vectors: Bool) -> (values: [Double], info: Int) {
        var values = [Double](repeating: 0, count: n)
        if n == 0 { return (values, 0) }
        var size = Index(n), lda = Index(n), info: Index = 0, queryWork = -1 as Index, queryIWork = -1 as Index
        var jobz = CChar(UInt8(ascii: vectors ? "V" : "N")), uplo = CChar(UInt8(ascii: "L"))
        var bestWork = 0.0, bestIWork: Index = 0
        dsyevd_(&jobz, &uplo, &size, &a, &lda, &values, &bestWork, &queryWork, &bestIWork, &queryIWork, &info, 1, 1)
        var lwork = Index(Swift.max(Int(bestWork), 1)), liwork = Swift.max(bestIWork, 1)
        var work = [Double](repeating: 0, count: Int(lwork)), iwork = [Index](repeating: 0, count: Int(liwork))
        dsyevd_(&jobz, &uplo, &size, &a, &lda, &values, &work, &lwork, &iwork, &liwork, &info, 1, 1)
        return (values, Int(info))
    }

    /// The singular value decomposition A = U·diag(S)·Vᵀ of the `m × n` matrix `a` (destroyed), with
    /// k = min(m, n) singular values in descending order: U is `m × m` (`full`) or `m × k`, Vᵀ is `n × n`
    /// or `k × n`; without `vectors` only S. Returns `info` (> 0: did not converge).
    static func svd(_ a: inout [Double], m: Int, n: Int, full: Bool, vectors: Bool)
        -> (u: [Double], s: [Double], vt: [Double], info: Int) {
        let k = Swift.min(m, n)
        let uColumns = vectors ? (full ? m : k) : 0, vtRows = vectors ? (full ? n : k) : 0
        var s = [Double](repeating: 0, count: k)
        var u = [Double](repeating: 0, count: m * uColumns), vt = [Double](repeating: 0, count: vtRows * n)
        if k == 0 {
            // No singular value: the full factors of an empty matrix are identities.
            for i in 0..<Swift.min(m, uColumns) { u[i + i * m] = 1 }
            for i in 0..<Swift.min(n, vtRows) { vt[i + i * vtRows] = 1 }
            return (u, s, vt, 0)
        }
        var rows = Index(m), cols = Index(n), lda = Index(m), info: Index = 0, query = -1 as Index
        var ldu = Index(Swift.max(m, 1)), ldvt = Index(Swift.max(vtRows, 1))
        var jobz = CChar(UInt8(ascii: vectors ? (full ? "A" : "S") : "N"))
        var iwork = [Index](repeating: 0, count: 8 * k)
        // LAPACK takes pointers to the factors even when it computes none: one element stands in.
        var uBuffer = u.isEmpty ? [0.0] : u, vtBuffer = vt.isEmpty ? [0.0] : vt
        var best = 0.0
        dgesdd_(&jobz, &rows, &cols, &a, &lda, &s, &uBuffer, &ldu, &vtBuffer, &ldvt, &best, &query, &iwork, &info, 1)
        var lwork = Index(Swift.max(Int(best), 1))
        var work = [Double](repeating: 0, count: Int(lwork))
        dgesdd_(&jobz, &rows, &cols, &a, &lda, &s, &uBuffer, &ldu, &vtBuffer, &ldvt, &work, &lwork, &iwork, &info, 1)
        if !u.isEmpty { u = uBuffer }
        if !vt.isEmpty { vt = vtBuffer }
        return (u, s, vt, Int(info))
    }
    /// The QR factorization of the `m × n` matrix `a` (destroyed), k = min(m, n): Q with orthonormal
    /// columns (`m × k`, or `m × m` when `complete`) and upper-triangular R (`k × n`, or `m × n`), both
    /// column-major. LAPACK's Householder factorization (dgeqrf, dorgqr), PyTorch's as well, so the signs
    /// of R's diagonal are the same. Without `computeQ`, only R.
    static func qr(_ a: inout [Double], m: Int, n: Int, complete: Bool, computeQ: Bool) -> (q: [Double], r: [Double]) {
        let k = Swift.min(m, n), qColumns = complete ? m : k, rRows = complete ? m : k
        var r = [Double](repeating: 0, count: rRows * n)
        var q = [Double](repeating: 0, count: computeQ ? m * qColumns : 0)
        if k == 0 {
            if computeQ { for i in 0..<Swift.min(m, qColumns) { q[i + i * m] = 1 } }
            return (q, r)
        }
        var rows = Index(m), cols = Index(n), lda = Index(m), info: Index = 0, query = -1 as Index, best = 0.0
        var tau = [Double](repeating: 0, count: k)
        dgeqrf_(&rows, &cols, &a, &lda, &tau, &best, &query, &info)
        // The queried block workspace, bounded (n·64 at most; n is the least dgeqrf accepts).
        var lwork = Index(Swift.min(Swift.max(best.isFinite ? Int(best) : n, n, 1), Swift.max(n * 64, 1), Int(Int32.max)))
        var work = [Double](repeating: 0, count: Int(lwork))
        dgeqrf_(&rows, &cols, &a, &lda, &tau, &work, &lwork, &info)
        // R: the upper triangle of the first rRows rows.
        for j in 0..<n { for i in 0..<Swift.min(j + 1, rRows, m) { r[i + j * rRows] = a[i + j * m] } }
        guard computeQ else { return (q, r) }
        // Q: the reflectors (below the diagonal of the first k columns) expanded to qColumns columns.
        for j in 0..<Swift.min(qColumns, n) { for i in 0..<m { q[i + j * m] = a[i + j * m] } }
        var qCols = Index(qColumns), reflectors = Index(k)
        dorgqr_(&rows, &qCols, &reflectors, &q, &lda, &tau, &best, &query, &info)
        lwork = Index(Swift.min(Swift.max(best.isFinite ? Int(best) : qColumns, qColumns, 1), Swift.max(qColumns * 64, 1), Int(Int32.max)))
        work = [Double](repeating: 0, count: Int(lwork))
        dorgqr_(&rows, &qCols, &reflectors, &q, &lda, &tau, &work, &lwork, &info)
        return (q, r)
    }
}
