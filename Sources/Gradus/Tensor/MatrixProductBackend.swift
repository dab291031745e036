import CDNNL
import CGradusOneDNN
#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization

/// The library that computes Gradus's Float32 matrix products (`matmul`, `linear`, convolutions'
/// products, the recurrent layers' steps).
///
/// oneDNN (Intel's deep-learning kernel library, the one PyTorch's CPU build uses for its convolutions)
/// generates its product kernels for the processor it runs on, AVX2, AVX-512 or AMX alike, when it
/// loads; OpenBLAS picks precompiled kernels from the processor's model name. Measured side by side on
/// one core (docs/benchmarks.md, "Matrix products: oneDNN"), oneDNN's `dnnl_sgemm` ran 1.05-1.3× OpenBLAS's
/// `cblas_sgemm` from the LSTM's [32, 128]·[128, 512] step to 4096², so it is the default, for products
/// of at least 2^19 multiply-adds: below, its fixed cost per call outweighs its faster kernel and OpenBLAS
/// computes them. Float64
/// products always run on OpenBLAS, since oneDNN has no double-precision product.
///
/// The choice is read once from `GRADUS_MATRIX_BACKEND` (`onednn` or `openblas`) and can be changed
/// while a program runs; both give the same results up to Float32 rounding (each is deterministic for a
/// given shape and thread count).
///
/// ```swift
/// MatrixProductBackend.active = .openBLAS   // e.g. to compare the two
/// let y = x.matmul(w)
/// ```
public enum MatrixProductBackend: String, Sendable, CaseIterable, CustomStringConvertible {
    /// oneDNN's `dnnl_sgemm`, run on one thread per call (Gradus splits large products over its own
    /// threads, see ``Threading``). The default.
    case oneDNN = "onednn"
    /// OpenBLAS's `cblas_sgemm`, with the kernel that ``BLASKernel`` chose.
    case openBLAS = "openblas"

    public var description: String { self == .oneDNN ? "oneDNN" : "OpenBLAS" }

    private static let stored = Atomic<UInt8>(0)   // 0: not set yet, 1: oneDNN, 2: OpenBLAS

    /// `GRADUS_MATRIX_BACKEND` when it names a backend, otherwise oneDNN; a value that names none is
    /// reported once on standard error and ignored.
    private static let environmentChoice: MatrixProductBackend = {
        let value = getenv("GRADUS_MATRIX_BACKEND").map { String(cString: $0) }
        let (selected, warning) = Self.choice(environmentValue: value)
        if let warning { FileHandle.standardError.write(Data("gradus: \(warning)\n".utf8)) }
        return selected
    }()

    /// The backend that a value of `GRADUS_MATRIX_BACKEND` selects (any letter case), and a warning when
    /// the value names no backend.
    static func choice(environmentValue value: String?) -> (MatrixProductBackend, warning: String?) {
        guard let value, !value.isEmpty else { return (.oneDNN, nil) }
        if let choice = MatrixProductBackend(rawValue: value.lowercased()) { return (choice, nil) }
        return (.oneDNN, "GRADUS_MATRIX_BACKEND=\(value) names no backend (onednn, openblas); using oneDNN")
    }

    /// The backend that Float32 products use now.
    public static var active: MatrixProductBackend {
        get {
            switch stored.load(ordering: .relaxed) {
            case 1: return .oneDNN
            case 2: return .openBLAS
            default: return environmentChoice
            }
        }
        set { stored.store(newValue == .oneDNN ? 1 : 2, ordering: .relaxed) }
    }
}

/// Calls into oneDNN's product on the calling thread.
enum OneDNNProduct {
    /// Multiply-adds from which oneDNN computes a product when it is the active backend. Below, its fixed
    /// cost per call (about 2 µs more than OpenBLAS's) outweighs its faster kernel. Measured on one core
    /// (AMD EPYC, Zen 4), OpenBLAS's time / oneDNN's: the classifier layers' [64, 84]·[84, 10] 0.53 and
    /// [64, 128]·[128, 10] 0.41, LeNet's convolution products (1.3·10^5-3.3·10^5 multiply-adds) 0.92-0.99,
    /// attention's [128, 32]·[32, 128] and [128, 128]·[128, 32] (2^19) 1.19 and 0.97; from 10^6 on
    /// 1.00-1.25 (the LSTM step [32, 128]·[128, 512] 1.25, the MLP's products 1.08-1.14, 4096-row
    /// products 1.04-1.23).
    static let minimumMultiplyAdds = 1 << 19

    private typealias MaxThreads = @convention(c) () -> Int32
    private typealias SetThreads = @convention(c) (Int32) -> Void

    /// libgomp's `omp_get_max_threads` / `omp_set_num_threads`, found at run time: the Debian oneDNN is
    /// built on OpenMP and would otherwise start an OpenMP team of one thread per core inside each
    /// product, spinning against Gradus's own worker pool (the failure mode measured with OpenBLAS's
    /// threads, see ``Threading``). OpenMP's thread limit is per thread, so it is set on each thread that
    /// calls in. Looked up rather than linked, since libgomp is oneDNN's dependency, not ours.
    private static let openMP: (MaxThreads, SetThreads)? = {
        guard let get = dlsym(nil, "omp_get_max_threads"), let set = dlsym(nil, "omp_set_num_threads") else { return nil }
        return (unsafeBitCast(get, to: MaxThreads.self), unsafeBitCast(set, to: SetThreads.self))
    }()

    /// Keeps oneDNN's OpenMP on the calling thread for the calls that follow on this thread.
    @inline(__always)
    static func limitOpenMPThreads() {
        if let (get, set) = openMP, get() != 1 { set(1) }
    }

    /// Lets oneDNN's primitives called next from this thread use `threads` OpenMP threads (an
    /// ``InferencePlan``'s chains, which Gradus cannot split itself); the next product called from
    /// this thread limits it to one again.
    static func allowOpenMPThreads(_ threads: Int) {
        if let (get, set) = openMP, get() != Int32(threads) { set(Int32(threads)) }
    }

    /// c = op(a)·op(b) + bias (in every row) for row-major Float32 matrices (c contiguous, `n` columns),
    /// through kept oneDNN matmul primitives that add the bias themselves, split over the threads as
    /// ``RawBLAS/ProductSplit`` cuts the output; false (nothing to rely on in c) when oneDNN is not the
    /// active backend, the product is too small for it, or oneDNN refused a band. A linear layer's
    /// forward product: with dnnl_sgemm it ran on rows filled with the bias and read them back (beta
    /// 1), 6-16% slower on transformer_l128's products (measured alone on one Zen 5 core:
    /// 4096×128·128×512 2.80 ms against 2.40; docs/benchmarks.md, fifteenth session).
    static func gemmWithBias(m: Int, n: Int, k: Int, _ a: UnsafePointer<Float>, lda: Int,
                             _ b: UnsafePointer<Float>, ldb: Int, transB: Bool,
                             bias: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>) -> Bool {
        guard m > 0, n > 0, k > 0, m &* n &* k >= minimumMultiplyAdds, MatrixProductBackend.active == .oneDNN else { return false }
        let (sa, sb, sbias, sc) = (UncheckedSendable(a), UncheckedSendable(b), UncheckedSendable(bias), UncheckedSendable(c))
        let failed = Atomic<Bool>(false)
        func band(rows: Range<Int>, columns: Range<Int>) {
            guard !rows.isEmpty, !columns.isEmpty else { return }
            limitOpenMPThreads()
            let (lo, co) = (rows.lowerBound, columns.lowerBound)
            let status = gradus_f32_gemm_bias(rows.count, columns.count, k, sa.value + lo * lda, lda, 0,
                                              sb.value + (transB ? co * ldb : co), ldb, transB ? 1 : 0,
                                              sbias.value + co, sc.value + lo * n + co, n)
            if status != 0 { failed.store(true, ordering: .relaxed) }
        }
        if let split = RawBLAS.ProductSplit(m: m, n: n, k: k) {
            WorkerPool.shared.run(parts: split.parts) { p in
                split.splitColumns ? band(rows: 0..<m, columns: split.band(p)) : band(rows: split.band(p), columns: 0..<n)
            }
        } else {
            band(rows: 0..<m, columns: 0..<n)
        }
        return !failed.load(ordering: .relaxed)
    }

    /// c = op(a)·op(b) + beta·c for row-major Float32 matrices (m, n, k > 0); false when oneDNN refused
    /// (it then wrote nothing, and the caller uses OpenBLAS).
    @inline(__always)
    static func sgemm(m: Int, n: Int, k: Int, _ a: UnsafePointer<Float>, lda: Int, transA: Bool,
                      _ b: UnsafePointer<Float>, ldb: Int, transB: Bool,
                      beta: Float, _ c: UnsafeMutablePointer<Float>, ldc: Int) -> Bool {
        limitOpenMPThreads()
        let ta: CChar = transA ? 84 : 78, tb: CChar = transB ? 84 : 78   // "T" / "N"
        let status = dnnl_sgemm(ta, tb, dnnl_dim_t(m), dnnl_dim_t(n), dnnl_dim_t(k), 1, a, dnnl_dim_t(lda),
                                b, dnnl_dim_t(ldb), beta, c, dnnl_dim_t(ldc))
        return status == dnnl_success
    }
}
