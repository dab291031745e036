import CBLAS
import CGradusMath

/// Matrix products on raw row-major buffers, for kernels that work on slices of tensors (one sample of a
/// batch, a scratch buffer) rather than on whole tensors.
enum RawBLAS {
    /// c = alpha·op(a)·op(b) + beta·c for row-major matrices: op(a) is m×k, op(b) k×n, c m×n with
    /// leading dimension `ldc`. Leading dimensions of `a` and `b` are those of their stored layouts.
    /// Float32 products run on ``MatrixProductBackend/active`` from ``OneDNNProduct/minimumMultiplyAdds``
    /// and on OpenBLAS below (or on `backend` at any size, when a test names one); Float64 products on
    /// OpenBLAS; a product of one row runs as a matrix-vector product (``gemv(rows:columns:_:ld:transposed:_:beta:_:)``).
    /// `roundedA`: a's values rounded to bfloat16 (laid out as `a`), for a product that runs in bfloat16
    /// (``BFloat16Product/roundedOnce(_:count:forProductsOf:_:_:beta:)``).
    @inline(__always)
    static func gemm<T: TensorFloat>(m: Int, n: Int, k: Int,
                                     _ a: UnsafePointer<T>, lda: Int, transA: Bool,
                                     _ b: UnsafePointer<T>, ldb: Int, transB: Bool,
                                     beta: T, _ c: UnsafeMutablePointer<T>, ldc: Int,
                                     backend: MatrixProductBackend? = nil, roundedA: UnsafePointer<UInt16>? = nil) {
        if m == 0 || n == 0 { return }
        _ = Threading.count   // sets OpenBLAS to one thread before its first product
        if k == 0 {
            // An empty sum: c = beta·c (BLAS would reject the zero leading dimensions instead).
            for i in 0..<m {
                let row = c + i * ldc
                if beta == 0 { row.update(repeating: 0, count: n) } else { for j in 0..<n { row[j] *= beta } }
            }
            return
        }
        // One row (a recurrent step or a product of one sample): a matrix-vector product, which streams
        // op(b) once and skips gemm's packing — as Tensor.gemm does; cᵀ = op(b)ᵀ·aᵀ. (Not when a test
        // names a backend, nor for a product asked to run in bfloat16 from a rounded operand.)
        if m == 1, backend == nil, roundedA == nil, !transA || lda == 1 {
            gemv(rows: transB ? n : k, columns: transB ? k : n, b, ld: ldb, transposed: !transB, a, beta: beta, c)
            return
        }
        let ta = transA ? CblasTrans : CblasNoTrans, tb = transB ? CblasTrans : CblasNoTrans
        if T.self == Float.self {
            if backend == nil, BFloat16Product.applies(m: m, n: n, k: k, beta: Float(beta)),
               BFloat16Product.sgemm(m: m, n: n, k: k, UnsafeRawPointer(a).assumingMemoryBound(to: Float.self), lda: lda,
                                     transA: transA, UnsafeRawPointer(b).assumingMemoryBound(to: Float.self), ldb: ldb,
                                     transB: transB, beta: Float(beta),
                                     UnsafeMutableRawPointer(c).assumingMemoryBound(to: Float.self), ldc: ldc,
                                     roundedA: roundedA) {
                return
            }
            let useOneDNN = backend.map { $0 == .oneDNN }
                ?? (m &* n &* k >= OneDNNProduct.minimumMultiplyAdds && MatrixProductBackend.active == .oneDNN)
            if useOneDNN,
               OneDNNProduct.sgemm(m: m, n: n, k: k, UnsafeRawPointer(a).assumingMemoryBound(to: Float.self), lda: lda,
                                   transA: transA, UnsafeRawPointer(b).assumingMemoryBound(to: Float.self), ldb: ldb,
                                   transB: transB, beta: Float(beta),
                                   UnsafeMutableRawPointer(c).assumingMemoryBound(to: Float.self), ldc: ldc) {
                return
            }
            cblas_sgemm(CblasRowMajor, ta, tb, Int32(m), Int32(n), Int32(k), 1,
                        UnsafeRawPointer(a).assumingMemoryBound(to: Float.self), Int32(lda),
                        UnsafeRawPointer(b).assumingMemoryBound(to: Float.self), Int32(ldb),
                        Float(beta), UnsafeMutableRawPointer(c).assumingMemoryBound(to: Float.self), Int32(ldc))
        } else {
            cblas_dgemm(CblasRowMajor, ta, tb, Int32(m), Int32(n), Int32(k), 1,
                        UnsafeRawPointer(a).assumingMemoryBound(to: Double.self), Int32(lda),
                        UnsafeRawPointer(b).assumingMemoryBound(to: Double.self), Int32(ldb),
                        Double(beta), UnsafeMutableRawPointer(c).assumingMemoryBound(to: Double.self), Int32(ldc))
        }
    }

    /// Multiply-adds from which a product is split across ``Threading/count`` threads (about 5 µs of
    /// work on one core; a round trip to an awake worker costs about 0.3 µs here). Measured at 2
    /// threads, 5 alternating runs: 2^18 and 2^20 were alike, 2^22 slower on the MLP (-8%) and LeNet.
    static let splitMultiplyAdds = 1 << 18

    /// Multiply-adds below which the products of a batched matmul run whole, one per thread, with the
    /// batch split over the threads (when there are at least as many products as threads), instead of
    /// each product split over the threads with a wait after it. Attention's per-head products (2^19
    /// multiply-adds at 128 positions) spent a sixth of a two-thread Transformer step waiting.
    static let batchSplitMultiplyAdds = 1 << 22

    /// Output rows each thread must get for a product to be split by rows rather than by columns.
    static let minimumRowsPerPart = 64

    /// ``gemm(m:n:k:_:lda:transA:_:ldb:transB:beta:_:ldc:)`` split across Gradus's threads when large:
    /// the output is cut into one block per thread (block edges at multiples of 16, the width of
    /// OpenBLAS's AVX-512 kernel), each block one single-threaded call. Blocks are bands of whole rows
    /// (each thread writes one contiguous part of the output) when every thread gets at least
    /// ``minimumRowsPerPart`` rows, and bands of columns otherwise (bands of rows again when the output
    /// is too narrow for two column bands). Measured at 2 threads against
    /// cutting the larger size, 5-6 alternating runs: the MLP's weight gradient (256×784, k = 64)
    /// 126 → 106 µs, mlp_sgd_b64 107k → 126k samples/s, mlp_adam_b64 87k → 121k, sgemm_2048 278 → 298
    /// GFLOP/s; with 32 rows per thread (the MLP's forward product, 64 rows) rows were slower
    /// (118 → 150 µs).
    static func parallelGemm<T: TensorFloat>(m: Int, n: Int, k: Int,
                                             _ a: UnsafePointer<T>, lda: Int, transA: Bool,
                                             _ b: UnsafePointer<T>, ldb: Int, transB: Bool,
                                             beta: T, _ c: UnsafeMutablePointer<T>, ldc: Int) {
        guard let split = ProductSplit(m: m, n: n, k: k) else {
            gemm(m: m, n: n, k: k, a, lda: lda, transA: transA, b, ldb: ldb, transB: transB, beta: beta, c, ldc: ldc)
            return
        }
        if T.self == Float.self, BFloat16Product.applies(m: m, n: n, k: k, beta: Float(beta)),
           BFloat16Product.parallelSgemm(m: m, n: n, k: k, UnsafeRawPointer(a).assumingMemoryBound(to: Float.self), lda: lda,
                                         transA: transA, UnsafeRawPointer(b).assumingMemoryBound(to: Float.self), ldb: ldb,
                                         transB: transB, beta: Float(beta),
                                         UnsafeMutableRawPointer(c).assumingMemoryBound(to: Float.self), ldc: ldc,
                                         split: split) {
            return
        }
        let (sa, sb, sc) = (UncheckedSendable(a), UncheckedSendable(b), UncheckedSendable(c))
        WorkerPool.shared.run(parts: split.parts) { p in
            let (lo, hi) = (split.band(p).lowerBound, split.band(p).upperBound)
            guard lo < hi else { return }
            if split.splitColumns {
                gemm(m: m, n: hi - lo, k: k, sa.value, lda: lda, transA: transA,
                     sb.value + (transB ? lo * ldb : lo), ldb: ldb, transB: transB, beta: beta, sc.value + lo, ldc: ldc)
            } else {
                gemm(m: hi - lo, n: n, k: k, sa.value + (transA ? lo : lo * lda), lda: lda, transA: transA,
                     sb.value, ldb: ldb, transB: transB, beta: beta, sc.value + lo * ldc, ldc: ldc)
            }
        }
    }

    /// How ``parallelGemm(m:n:k:_:lda:transA:_:ldb:transB:beta:_:ldc:)`` cuts a product over Gradus's
    /// threads: `parts` bands of output rows, or of columns when `splitColumns`, edges at multiples of 16.
    struct ProductSplit {
        let parts: Int
        let splitColumns: Bool
        private let size: Int

        /// The split of an m×n output with k-long sums, or nil when the product runs whole (one thread,
        /// too few multiply-adds, or too narrow an output).
        init?(m: Int, n: Int, k: Int) {
            let threads = Threading.count
            guard threads > 1, m &* n &* k >= splitMultiplyAdds, Swift.max(m, n) >= 32 else { return nil }
            // Rows when each thread gets enough of them, else columns when there are enough (at least 16
            // per part), else rows in blocks of 16 (a narrow output: a classifier's last layer).
            splitColumns = m < minimumRowsPerPart * threads && n / 16 >= 2
            size = splitColumns ? n : m
            parts = Swift.min(threads, size / 16)
            guard parts > 1 else { return nil }
        }

        /// The rows (or columns) of part `p`.
        func band(_ p: Int) -> Range<Int> {
            let lo = Swift.min(size, (size * p / parts + 8) / 16 * 16)
            let hi = p == parts - 1 ? size : Swift.min(size, (size * (p + 1) / parts + 8) / 16 * 16)
            return lo..<Swift.max(lo, hi)
        }
    }

    /// Whether the AVX-512 row kernel of CGradusMath (1.5x OpenBLAS's sgemv here) can run.
    static let hasRowKernel = gradus_sgemv_rows_available() != 0

    /// y = op(M)·x + beta·y for a row-major matrix M stored as `rows` × `columns` with leading
    /// dimension `ld`; op transposes when `transposed`. Vectors are contiguous. Float32 products
    /// with M untransposed (a linear layer on one sample) use CGradusMath's AVX-512 kernel.
    @inline(__always)
    static func gemv<T: TensorFloat>(rows: Int, columns: Int, _ matrix: UnsafePointer<T>, ld: Int, transposed: Bool,
                                     _ x: UnsafePointer<T>, beta: T, _ y: UnsafeMutablePointer<T>) {
        if T.self == Float.self && !transposed && hasRowKernel {
            gradus_sgemv_rows(rows, columns, UnsafeRawPointer(matrix).assumingMemoryBound(to: Float.self), ld,
                              UnsafeRawPointer(x).assumingMemoryBound(to: Float.self), Float(beta),
                              UnsafeMutableRawPointer(y).assumingMemoryBound(to: Float.self))
            return
        }
        let trans = transposed ? CblasTrans : CblasNoTrans
        if T.self == Float.self {
            cblas_sgemv(CblasRowMajor, trans, Int32(rows), Int32(columns), 1,
                        UnsafeRawPointer(matrix).assumingMemoryBound(to: Float.self), Int32(ld),
                        UnsafeRawPointer(x).assumingMemoryBound(to: Float.self), 1, Float(beta),
                        UnsafeMutableRawPointer(y).assumingMemoryBound(to: Float.self), 1)
        } else {
            cblas_dgemv(CblasRowMajor, trans, Int32(rows), Int32(columns), 1,
                        UnsafeRawPointer(matrix).assumingMemoryBound(to: Double.self), Int32(ld),
                        UnsafeRawPointer(x).assumingMemoryBound(to: Double.self), 1, Double(beta),
                        UnsafeMutableRawPointer(y).assumingMemoryBound(to: Double.self), 1)
        }
    }

    /// Matrix elements from which a matrix-vector product is split across threads (each core then
    /// streams its share of the matrix from its own cache).
    static let splitMatrixElements = 1 << 17

    /// ``gemv(rows:columns:_:ld:transposed:_:beta:_:)`` split across Gradus's threads by blocks of the
    /// output when the matrix is large.
    static func parallelGemv<T: TensorFloat>(rows: Int, columns: Int, _ matrix: UnsafePointer<T>, ld: Int, transposed: Bool,
                                             _ x: UnsafePointer<T>, beta: T, _ y: UnsafeMutablePointer<T>) {
        let threads = Threading.count
        let outputs = transposed ? columns : rows
        guard threads > 1, rows &* columns >= splitMatrixElements, outputs >= 32 else {
            gemv(rows: rows, columns: columns, matrix, ld: ld, transposed: transposed, x, beta: beta, y)
            return
        }
        let (sm, sx, sy) = (UncheckedSendable(matrix), UncheckedSendable(x), UncheckedSendable(y))
        let parts = Swift.min(threads, outputs / 16)
        WorkerPool.shared.run(parts: parts) { p in
            let lo = outputs * p / parts, hi = outputs * (p + 1) / parts
            if transposed {
                gemv(rows: rows, columns: hi - lo, sm.value + lo, ld: ld, transposed: true, sx.value, beta: beta, sy.value + lo)
            } else {
                gemv(rows: hi - lo, columns: columns, sm.value + lo * ld, ld: ld, transposed: false, sx.value, beta: beta, sy.value + lo)
            }
        }
    }
}
