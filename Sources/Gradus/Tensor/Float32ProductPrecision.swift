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

    /// The precision of Float32 products of at least 2^19 multiply-adds, and 32 per value of their operands
    /// (smaller and narrower ones, where converting costs more than it saves, stay Float32).
    /// Process-wide, like PyTorch's setting.
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

    /// Whether bfloat16 products run faster here than Float32 ones: oneDNN computes them on AMX, or this
    /// core's AVX512_BF16 dot products compute more flops per second than its Float32 FMAs (see
    /// ``bfloat16DotProductSpeedup``). True on AMD Zen 4 and 5 (about twice the rate) and on Intel Xeons
    /// with AMX; false on Intel Xeons whose AMX is absent or hidden by the virtual machine (Sapphire and
    /// Emerald Rapids run VDPBF16PS at half their FMA rate), where ``float32Precision`` `.medium` still
    /// computes in bfloat16 when asked but trains slower than Float32 (0.56-0.92× on the benchmarks), and
    /// `gradus train --precision bf16` trains in Float32 with a message.
    ///
    /// ```swift
    /// if MatrixProductBackend.bfloat16ProductsAreFaster { MatrixProductBackend.float32Precision = .medium }
    /// ```
    public static var bfloat16ProductsAreFaster: Bool { BFloat16Product.faster }

    /// How many times more flops per second this core's AVX512_BF16 dot products compute than its
    /// Float32 FMAs, measured once (about 1 ms, twelve independent chains of each, best of five) at the
    /// first question; 0 without AVX512_BF16. `scripts/roofline/bf16_peak.c` measures the same.
    public static var bfloat16DotProductSpeedup: Double { BFloat16Product.dotSpeedup }
}

/// Float32 products computed on bfloat16 operands (``Float32ProductPrecision/medium``).
enum BFloat16Product {
    static let native = gradus_bf16_native() != 0

    /// See ``MatrixProductBackend/bfloat16DotProductSpeedup``.
    static let dotSpeedup = gradus_bf16_dot_speedup()

    /// See ``MatrixProductBackend/bfloat16ProductsAreFaster``: AMX, or dot products at least 1.2 times
    /// the FMA rate (the two kinds of processor measured are at 2 and 0.5, far from the threshold).
    static let faster = native && (gradus_bf16_amx() != 0 || dotSpeedup >= 1.2)

    /// Whether Float32 products large enough run on bfloat16 operands here and now: the calling thread's
    /// precision is ``Float32ProductPrecision/medium`` and the processor computes bfloat16 natively.
    static var enabled: Bool { native && MatrixProductBackend.effectiveFloat32Precision == .medium }

    /// Whether a Float32 product runs on bfloat16 operands here and now: the calling thread's precision
    /// is ``Float32ProductPrecision/medium``, the processor computes bfloat16 natively, beta is 0 or 1,
    /// and the product is large enough (``OneDNNProduct/minimumMultiplyAdds``) and has enough
    /// multiply-adds per operand value (``minimumMultiplyAddsPerRoundedValue``, which also keeps every
    /// matrix-vector product Float32) to repay the rounding.
    static func applies(m: Int, n: Int, k: Int, beta: Float) -> Bool {
        (beta == 0 || beta == 1) && m &* n &* k >= OneDNNProduct.minimumMultiplyAdds
            && m &* n >= minimumMultiplyAddsPerRoundedValue &* (m &+ n)
            && MatrixProductBackend.effectiveFloat32Precision == .medium && native
    }

    /// Multiply-adds per rounded operand value from which a product runs in bfloat16. An m×n×k product
    /// rounds m·k + k·n values for m·n·k multiply-adds: m·n / (m + n) each, whatever k. Rounding costs
    /// about 0.15 ns per value (it streams operands that are rarely in cache), and bfloat16 saves
    /// about half of a Float32 multiply-add's 0.008 ns at this core's peak, so below ~37 the rounding
    /// costs more than it saves: attention's weights·V (128×32 per head) are 26.
    static let minimumMultiplyAddsPerRoundedValue = 32

    /// c = op(a)·op(b) + bias + beta·c with a and b rounded to bfloat16 (packed row by row into the calling
    /// thread's kept scratch), beta 0 or 1, `bias` n values added to every row or nil; false when oneDNN
    /// refused or memory ran out (nothing written).
    ///
    /// With `roundedA`, a's values already rounded (laid out as `a`, leading dimension `lda`), only b is
    /// rounded: a convolution's weight, rounded once for all the samples of a batch.
    static func sgemm(m: Int, n: Int, k: Int, _ a: UnsafePointer<Float>, lda: Int, transA: Bool,
                      _ b: UnsafePointer<Float>, ldb: Int, transB: Bool,
                      beta: Float, bias: UnsafePointer<Float>? = nil, _ c: UnsafeMutablePointer<Float>, ldc: Int,
                      roundedA: UnsafePointer<UInt16>? = nil) -> Bool {
        let (aRows, aColumns) = transA ? (k, m) : (m, k)
        let (bRows, bColumns) = transB ? (n, k) : (k, n)
        let aCount = roundedA == nil ? aRows * aColumns : 0
        // The thread's kept buffer: a fresh one per product would be faulted in page by page every time.
        guard let scratch = gradus_bf16_scratch_acquire(aCount + bRows * bColumns) else { return false }
        defer { gradus_bf16_scratch_release(scratch) }
        let b16 = scratch + aCount
        let (a16, a16LD): (UnsafePointer<UInt16>, Int)
        if let roundedA {
            (a16, a16LD) = (roundedA, lda)
        } else {
            if lda == aColumns { gradus_round_to_bf16(a, aRows * aColumns, scratch) } else {
                for r in 0..<aRows { gradus_round_to_bf16(a + r * lda, aColumns, scratch + r * aColumns) }
            }
            (a16, a16LD) = (UnsafePointer(scratch), aColumns)
        }
        if ldb == bColumns { gradus_round_to_bf16(b, bRows * bColumns, b16) } else {
            for r in 0..<bRows { gradus_round_to_bf16(b + r * ldb, bColumns, b16 + r * bColumns) }
        }
        OneDNNProduct.limitOpenMPThreads()
        return gradus_bf16_gemm_bias(m, n, k, a16, a16LD, transA ? 1 : 0, b16, bColumns, transB ? 1 : 0, beta, bias, c, ldc) == 0
    }

    /// The `count` values at `values` rounded to bfloat16 into a new buffer (the caller deallocates it)
    /// when products of m×n×k (``applies(m:n:k:beta:)``) will read them, nil otherwise: an operand that
    /// several products share, rounded once for all.
    static func roundedOnce<T: TensorFloat>(_ values: UnsafePointer<T>, count: Int, forProductsOf m: Int, _ n: Int, _ k: Int,
                                            beta: T) -> UnsafeMutablePointer<UInt16>? {
        guard T.self == Float.self, applies(m: m, n: n, k: k, beta: Float(beta)) else { return nil }
        let buffer = UnsafeMutablePointer<UInt16>.allocate(capacity: Swift.max(count, 1))
        round(UnsafeRawPointer(values).assumingMemoryBound(to: Float.self), count: count, into: buffer)
        return buffer
    }

    /// Elements from which ``round(_:count:into:)`` splits over the threads (about 10 µs of rounding).
    static let parallelRoundingCount = 1 << 17

    /// `count` contiguous values rounded to bfloat16 into `out`, over the threads when there are many.
    static func round(_ values: UnsafePointer<Float>, count: Int, into out: UnsafeMutablePointer<UInt16>) {
        let parts = count >= parallelRoundingCount ? Threading.count : 1
        guard parts > 1 else {
            gradus_round_to_bf16(values, count, out)
            return
        }
        let (from, to) = (UncheckedSendable(values), UncheckedSendable(out))
        WorkerPool.shared.run(parts: parts) { p in
            // Edges at multiples of 32 values, the width of one AVX512_BF16 conversion.
            let lo = count * p / parts / 32 * 32
            let hi = p == parts - 1 ? count : count * (p + 1) / parts / 32 * 32
            if hi > lo { gradus_round_to_bf16(from.value + lo, hi - lo, to.value + lo) }
        }
    }

    /// ``sgemm(m:n:k:_:lda:transA:_:ldb:transB:beta:_:ldc:)`` split over the threads as `split` cuts the
    /// output: both operands are rounded once, each thread rounding its share of their rows, and each
    /// thread's band is then computed from them. (Splitting
    /// ``sgemm(m:n:k:_:lda:transA:_:ldb:transB:beta:_:ldc:)`` itself would round the operand shared by the
    /// bands once per thread.) A band oneDNN refuses is computed in Float32; false when memory for the
    /// rounded operands ran out (nothing written).
    static func parallelSgemm(m: Int, n: Int, k: Int, _ a: UnsafePointer<Float>, lda: Int, transA: Bool,
                              _ b: UnsafePointer<Float>, ldb: Int, transB: Bool,
                              beta: Float, _ c: UnsafeMutablePointer<Float>, ldc: Int, split: RawBLAS.ProductSplit) -> Bool {
        let (aRows, aColumns) = transA ? (k, m) : (m, k)
        let (bRows, bColumns) = transB ? (n, k) : (k, n)
        guard let scratch = gradus_bf16_scratch_acquire(aRows * aColumns + bRows * bColumns) else { return false }
        defer { gradus_bf16_scratch_release(scratch) }
        let (sa, sb, s16) = (UncheckedSendable(a), UncheckedSendable(b), UncheckedSendable(scratch))
        let parts = split.parts
        WorkerPool.shared.run(parts: parts) { p in
            let a16 = s16.value, b16 = s16.value + aRows * aColumns
            for r in aRows * p / parts..<aRows * (p + 1) / parts {
                gradus_round_to_bf16(sa.value + r * lda, aColumns, a16 + r * aColumns)
            }
            for r in bRows * p / parts..<bRows * (p + 1) / parts {
                gradus_round_to_bf16(sb.value + r * ldb, bColumns, b16 + r * bColumns)
            }
        }
        computeBands(m: m, n: n, k: k, Operand(a, lda: lda, rounded: scratch, roundedLD: aColumns), transA: transA,
                     Operand(b, lda: ldb, rounded: scratch + aRows * aColumns, roundedLD: bColumns), transB: transB,
                     beta: beta, c, ldc: ldc, split: split)
        return true
    }

    /// c = op(a)·op(b) + bias + beta·c (beta 0 or 1; `bias`: n values added to every row, or nil) from
    /// operands already rounded to bfloat16 (``BFloat16Copy``, laid out as their Float32 originals),
    /// split over the threads like ``RawBLAS/parallelGemm(m:n:k:_:lda:transA:_:ldb:transB:beta:_:ldc:)``
    /// when `parallel`. A product (or band) oneDNN refuses is computed in Float32 from the originals.
    static func gemm(m: Int, n: Int, k: Int, _ a: Operand, transA: Bool, _ b: Operand, transB: Bool,
                     beta: Float, bias: UnsafePointer<Float>? = nil, _ c: UnsafeMutablePointer<Float>, ldc: Int, parallel: Bool) {
        if parallel, let split = RawBLAS.ProductSplit(m: m, n: n, k: k) {
            computeBands(m: m, n: n, k: k, a, transA: transA, b, transB: transB, beta: beta, bias: bias, c, ldc: ldc, split: split)
            return
        }
        OneDNNProduct.limitOpenMPThreads()
        guard gradus_bf16_gemm_bias(m, n, k, a.rounded, a.roundedLD, transA ? 1 : 0, b.rounded, b.roundedLD, transB ? 1 : 0,
                                    beta, bias, c, ldc) != 0 else { return }
        var beta = beta
        if let bias {   // Float32: the bias in every row first, then added to
            for i in 0..<m {
                let row = c + i * ldc
                if beta == 0 { row.update(from: bias, count: n) } else { for j in 0..<n { row[j] += bias[j] } }
            }
            beta = 1
        }
        MatrixProductBackend.withFloat32Precision(.highest) {
            RawBLAS.gemm(m: m, n: n, k: k, a.values, lda: a.lda, transA: transA, b.values, ldb: b.lda, transB: transB,
                         beta: beta, c, ldc: ldc)
        }
    }

    /// A product's operand: its Float32 values and the same values rounded to bfloat16, each with its
    /// leading dimension (the rows of a kept copy are as long as the original's, those of a scratch copy
    /// are packed).
    struct Operand: @unchecked Sendable {
        let values: UnsafePointer<Float>
        let lda: Int
        let rounded: UnsafePointer<UInt16>
        let roundedLD: Int

        init(_ values: UnsafePointer<Float>, lda: Int, rounded: UnsafePointer<UInt16>, roundedLD: Int) {
            (self.values, self.lda, self.rounded, self.roundedLD) = (values, lda, rounded, roundedLD)
        }

        /// The operand from element `offset` on (the next matrix of a batch, a band's first row).
        func advanced(by offset: Int, roundedBy roundedOffset: Int) -> Operand {
            Operand(values + offset, lda: lda, rounded: rounded + roundedOffset, roundedLD: roundedLD)
        }
    }

    /// Each thread's band of c = op(a)·op(b) + beta·c from the rounded operands; a band oneDNN refuses
    /// is computed in Float32.
    private static func computeBands(m: Int, n: Int, k: Int, _ a: Operand, transA: Bool, _ b: Operand, transB: Bool,
                                     beta: Float, bias: UnsafePointer<Float>? = nil, _ c: UnsafeMutablePointer<Float>, ldc: Int,
                                     split: RawBLAS.ProductSplit) {
        let sc = UncheckedSendable(c), sbias = UncheckedSendable(bias)
        WorkerPool.shared.run(parts: split.parts) { p in
            let rows = split.band(p)
            guard !rows.isEmpty else { return }
            let lo = rows.lowerBound, count = rows.count
            if split.splitColumns {
                let bBand = transB ? b.advanced(by: lo * b.lda, roundedBy: lo * b.roundedLD) : b.advanced(by: lo, roundedBy: lo)
                gemm(m: m, n: count, k: k, a, transA: transA, bBand, transB: transB, beta: beta, bias: sbias.value.map { $0 + lo },
                     sc.value + lo, ldc: ldc, parallel: false)
            } else {
                let aBand = transA ? a.advanced(by: lo, roundedBy: lo) : a.advanced(by: lo * a.lda, roundedBy: lo * a.roundedLD)
                gemm(m: count, n: n, k: k, aBand, transA: transA, b, transB: transB, beta: beta, bias: sbias.value,
                     sc.value + lo * ldc, ldc: ldc, parallel: false)
            }
        }
    }
}
