import CBLAS

/// Matrix products on raw row-major buffers, for kernels that work on slices of tensors (one sample of a
/// batch, a scratch buffer) rather than on whole tensors.
enum RawBLAS {
    /// c = alpha·op(a)·op(b) + beta·c for row-major matrices: op(a) is m×k, op(b) k×n, c m×n with
    /// leading dimension `ldc`. Leading dimensions of `a` and `b` are those of their stored layouts.
    @inline(__always)
    static func gemm<T: TensorFloat>(m: Int, n: Int, k: Int,
                                     _ a: UnsafePointer<T>, lda: Int, transA: Bool,
                                     _ b: UnsafePointer<T>, ldb: Int, transB: Bool,
                                     beta: T, _ c: UnsafeMutablePointer<T>, ldc: Int) {
        if m == 0 || n == 0 { return }
        let ta = transA ? CblasTrans : CblasNoTrans, tb = transB ? CblasTrans : CblasNoTrans
        if T.self == Float.self {
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

    /// The number of multiply-adds below which OpenBLAS runs a product on the calling thread
    /// (`SMP_THRESHOLD_MIN · GEMM_MULTITHREAD_THRESHOLD` = 65,536 · 4 in OpenBLAS 0.3.21's gemm
    /// interface). Products this small can run concurrently from several Gradus threads.
    static let singleThreadedMultiplyAdds = 65_536 * 4
}
