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

/// How Float32 matrix products may trade precision for speed, as PyTorch's
/// `torch.set_float32_matmul_precision`.
public enum Float32ProductPrecision: String, Sendable, CaseIterable {
    /// Float32 throughout (the default; PyTorch's "highest").
    case highest
    /// Operands rounded to bfloat16, products accumulated in Float32 (PyTorch's "medium"), on
    /// processors with bfloat16 instructions (AVX512_BF16, AMX); Float32 elsewhere. Parameters,
    /// gradients and optimizer state stay Float32: this is bf16 mixed-precision training (autocast) for
    /// the products, which carry almost all of the arithmetic.
    case medium
}

extension MatrixProductBackend {
    private static let precisionStored = Atomic<UInt8>(0)   // 0: highest, 1: medium

    /// The precision of Float32 products of at least ``OneDNNProduct/minimumMultiplyAdds`` multiply-adds
    /// (smaller ones, where converting costs more than it saves, stay Float32). Process-wide, like
    /// PyTorch's setting.
    ///
    /// ```swift
    /// if MatrixProductBackend.hasNativeBFloat16 { MatrixProductBackend.float32Precision = .medium }
    /// ```
    public static var float32Precision: Float32ProductPrecision {
        get { precisionStored.load(ordering: .relaxed) == 1 ? .medium : .highest }
        set { precisionStored.store(newValue == .medium ? 1 : 0, ordering: .relaxed) }
    }

    /// Runs `body` with the Float32 products of the calling thread (and of the worker threads its
    /// operations split onto) at `precision`, whatever the process-wide ``float32Precision``; other
    /// threads are not affected. `gradus train --precision bf16` trains inside such a scope.
    ///
    /// ```swift
    /// try MatrixProductBackend.withFloat32Precision(.medium) { try trainer.fit(epochs: 5) }
    /// ```
    public static func withFloat32Precision<R>(_ precision: Float32ProductPrecision, _ body: () throws -> R) rethrows -> R {
        let saved = gradus_precision_scope_get()
        gradus_precision_scope_set(precision == .medium ? 2 : 1)
        defer { gradus_precision_scope_set(saved) }
        return try body()
    }

    /// The precision that applies on the calling thread now: its scope's, else the process-wide one.
    static var effectiveFloat32Precision: Float32ProductPrecision {
        switch gradus_precision_scope_get() {
        case 1: return .highest
        case 2: return .medium
        default: return float32Precision
        }
    }

    /// Whether this processor computes bfloat16 products natively (AVX512_BF16 or AMX, as oneDNN
    /// reports); without, ``float32Precision`` `.medium` computes in Float32.
    public static var hasNativeBFloat16: Bool { BFloat16Product.native }
}

/// Float32 products computed on bfloat16 operands (``Float32ProductPrecision/medium``).
enum BFloat16Product {
    static let native = gradus_bf16_native() != 0

    /// c = op(a)·op(b) + beta·c with a and b rounded to bfloat16 (packed row by row into scratch), beta 0
    /// or 1; false when oneDNN refused (nothing written).
    static func sgemm(m: Int, n: Int, k: Int, _ a: UnsafePointer<Float>, lda: Int, transA: Bool,
                      _ b: UnsafePointer<Float>, ldb: Int, transB: Bool,
                      beta: Float, _ c: UnsafeMutablePointer<Float>, ldc: Int) -> Bool {
        let (aRows, aColumns) = transA ? (k, m) : (m, k)
        let (bRows, bColumns) = transB ? (n, k) : (k, n)
        let scratch = UnsafeMutablePointer<UInt16>.allocate(capacity: aRows * aColumns + bRows * bColumns)
        defer { scratch.deallocate() }
        let a16 = scratch, b16 = scratch + aRows * aColumns
        if lda == aColumns { gradus_round_to_bf16(a, aRows * aColumns, a16) } else {
            for r in 0..<aRows { gradus_round_to_bf16(a + r * lda, aColumns, a16 + r * aColumns) }
        }
        if ldb == bColumns { gradus_round_to_bf16(b, bRows * bColumns, b16) } else {
            for r in 0..<bRows { gradus_round_to_bf16(b + r * ldb, bColumns, b16 + r * bColumns) }
        }
        OneDNNProduct.limitOpenMPThreads()
        return gradus_bf16_gemm(m, n, k, a16, aColumns, transA ? 1 : 0, b16, bColumns, transB ? 1 : 0, beta, c, ldc) == 0
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
