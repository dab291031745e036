import CGradusOneDNN
import Synchronization

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

    /// c = op(a)·op(b) + beta·c with a and b rounded to bfloat16 (packed row by row into the calling
    /// thread's kept scratch), beta 0 or 1; false when oneDNN refused or memory ran out (nothing written).
    static func sgemm(m: Int, n: Int, k: Int, _ a: UnsafePointer<Float>, lda: Int, transA: Bool,
                      _ b: UnsafePointer<Float>, ldb: Int, transB: Bool,
                      beta: Float, _ c: UnsafeMutablePointer<Float>, ldc: Int) -> Bool {
        let (aRows, aColumns) = transA ? (k, m) : (m, k)
        let (bRows, bColumns) = transB ? (n, k) : (k, n)
        // The thread's kept buffer: a fresh one per product would be faulted in page by page every time.
        guard let scratch = gradus_bf16_scratch_acquire(aRows * aColumns + bRows * bColumns) else { return false }
        defer { gradus_bf16_scratch_release(scratch) }
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
