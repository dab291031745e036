// Matrix products through OpenBLAS (sgemm for Float32, dgemm for Float64, via RawBLAS), with
// PyTorch's `matmul` semantics. Transposed operands are passed to BLAS as flags, never copied.

extension Tensor {
    /// The matrix product with PyTorch's semantics: 1-D · 1-D is a dot product; a 1-D operand is
    /// treated as a row (left) or column (right) vector and that dimension removed from the result;
    /// batch dimensions (all but the last two) broadcast.
    ///
    /// - Parameter other: the right operand; its second-to-last dimension (or only one) must equal
    ///   this tensor's last.
    ///
    /// ```swift
    /// let y = x.matmul(w)          // [N, K] · [K, M] -> [N, M]
    /// let z = batch.matmul(w)      // [B, N, K] · [K, M] -> [B, N, M]
    /// ```
    public func matmul(_ other: Tensor) -> Tensor {
        checked {
            try require(rank >= 1 && other.rank >= 1, "matmul: operands need at least 1 dimension, got shapes \(shape) and \(other.shape)", .shapeMismatch)
            switch (rank, other.rank) {
            case (1, 1):
                try require(count == other.count, "matmul: shapes \(shape) and \(other.shape) do not match for a dot product", .shapeMismatch)
                return try Tensor.matmulCore(reshape([1, count]), other.reshape([count, 1]), transA: false, transB: false).reshape([])
            case (1, _):
                return try Tensor.matmulCore(unsqueeze(0), other, transA: false, transB: false).squeeze(-2)
            case (_, 1):
                return try Tensor.matmulCore(self, other.unsqueeze(1), transA: false, transB: false).squeeze(-1)
            default:
                return try Tensor.matmulCore(self, other, transA: false, transB: false)
            }
        }
    }

    /// op(a) · op(b) for tensors of rank ≥ 2 with broadcast batch dimensions, where op transposes the
    /// last two dimensions when its flag is set. The primitive behind `matmul` and `linear`; its
    /// backward rules are products of the same kind.
    ///
    /// `rounding` holds bfloat16 copies of tensors that products of the caller share (a backward rule's
    /// output gradient); the product takes its operands' copies from it when it runs in bfloat16.
    static func matmulCore(_ a: Tensor, _ b: Tensor, transA: Bool, transB: Bool,
                           rounding: BFloat16Copies? = nil) throws -> Tensor {
        try require(a.rank >= 2 && b.rank >= 2, "matmul: shapes \(a.shape) and \(b.shape) need 2 or more dimensions", .shapeMismatch)
        if a.dtype == .int64 && b.dtype == .int64 { return try integerProduct(a, b, transA: transA, transB: transB) }
        try require(a.dtype == b.dtype && a.dtype.isFloatingPoint,
                     "matmul: dtypes \(a.dtype) and \(b.dtype) must be the same floating-point type", .dtypeMismatch)
        let k = transA ? a.shape[a.rank - 2] : a.shape[a.rank - 1]
        let kb = transB ? b.shape[b.rank - 1] : b.shape[b.rank - 2]
        try require(k == kb, "matmul: shapes \(a.shape) and \(b.shape) do not match (inner sizes \(k) and \(kb))", .shapeMismatch)
        // A view that BLAS cannot read as stored is copied once, recorded, so the backward products
        // read the copy rather than copying the view again.
        let a = a.isBLASReadable ? a : a.contiguous(), b = b.isBLASReadable ? b : b.contiguous()
        let out = try matmulValues(a.blasOperand(transposed: transA), b.blasOperand(transposed: transB), rounding: rounding)
        record("matmul", output: out, inputs: [a, b]) { g, _ in try matmulGradients(g, a, b, transA: transA, transB: transB) }
        return out
    }

    /// op(a) · op(b) of two int64 tensors (rank ≥ 2, broadcast batch dimensions), exact and wrapping around
    /// on overflow as PyTorch's integer products do; not differentiable. A plain loop: BLAS has no
    /// integer product, and integer products are for indices and counts, not for speed.
    private static func integerProduct(_ a: Tensor, _ b: Tensor, transA: Bool, transB: Bool) throws -> Tensor {
        let a = transA ? a.transpose(-1, -2) : a, b = transB ? b.transpose(-1, -2) : b
        let (m, k) = (a.shape[a.rank - 2], a.shape[a.rank - 1])
        let (kb, n) = (b.shape[b.rank - 2], b.shape[b.rank - 1])
        try require(k == kb, "matmul: shapes \(a.shape) and \(b.shape) do not match (inner sizes \(k) and \(kb))", .shapeMismatch)
        let batchA = Array(a.shape.dropLast(2)), batchB = Array(b.shape.dropLast(2))
        let batch = try Broadcast.shape(batchA, batchB, op: "matmul")
        let out = try Tensor(checkedShape: batch + [m, n], dtype: .int64, op: "matmul")
        let ea = try a.detach().expand(batch + [m, k]).materialized(op: "matmul")
        let eb = try b.detach().expand(batch + [k, n]).materialized(op: "matmul")
        let (pa, pb, po) = (ea.pointer(Int64.self), eb.pointer(Int64.self), out.pointer(Int64.self))
        po.initialize(repeating: 0, count: out.count)
        for i in 0..<(m == 0 || n == 0 ? 0 : out.count / (m * n)) {
            let (x, y, z) = (pa + i * m * k, pb + i * k * n, po + i * m * n)
            for r in 0..<m {
                for p in 0..<k {
                    let v = x[r * k + p]
                    for c in 0..<n { z[r * n + c] = z[r * n + c] &+ v &* y[p * n + c] }
                }
            }
        }
        return out
    }

    /// op(a) · op(b), computed without recording, for operands that ``blasOperand(transposed:)`` made
    /// contiguous (a transposed view arrives as its stored matrix with the flag flipped). When the
    /// products run in bfloat16, each operand is rounded once for all matrices of a batch (or taken from
    /// `rounding`).
    private static func matmulValues(_ lhs: (Tensor, Bool), _ rhs: (Tensor, Bool), rounding: BFloat16Copies?) throws -> Tensor {
        let (a, transA) = lhs, (b, transB) = rhs
        let (ar, br) = (a.rank, b.rank)
        let m = transA ? a.shape[ar - 1] : a.shape[ar - 2]
        let k = transA ? a.shape[ar - 2] : a.shape[ar - 1]
        let n = transB ? b.shape[br - 2] : b.shape[br - 1]

        let out: Tensor
        if br == 2 && !transA {
            // Fold a's batch dimensions into its rows: one large product instead of many small ones.
            let rows = try Tensor.elementCount(Array(a.shape.dropLast()), op: "matmul")   // not count / k, which is 0 when k is
            out = try Tensor(checkedShape: Array(a.shape.dropLast()) + [n], dtype: a.dtype, op: "matmul")
            let pair = roundedPair(a, b, m: rows, n: n, k: k, rounding: rounding)
            gemm(a, 0, b, 0, out, 0, m: rows, n: n, k: k, transA: false, transB: transB, rounded: pair)
        } else {
            let batchA = Array(a.shape.dropLast(2)), batchB = Array(b.shape.dropLast(2))
            let batch = try Broadcast.shape(batchA, batchB, op: "matmul")
            let ea = batchA == batch ? a : a.detach().expand(batch + Array(a.shape.suffix(2)))
            let eb = batchB == batch ? b : b.detach().expand(batch + Array(b.shape.suffix(2)))
            out = try Tensor(checkedShape: batch + [m, n], dtype: a.dtype, op: "matmul")
            let count = batch.reduce(1, *)
            let threads = Threading.count
            let each = m &* n &* k
            let pair = roundedPair(ea, eb, m: m, n: n, k: k, rounding: rounding)
            if threads > 1 && (count % threads == 0 || count >= 4 * threads) && each < RawBLAS.batchSplitMultiplyAdds
                && count &* each >= RawBLAS.splitMultiplyAdds {
                // Many small products (attention's per-head ones): each thread takes whole products,
                // rather than every product split over the threads with a wait after each. Together they
                // must be worth a split (a generated token's per-head products are not).
                Threading.parallelFor(count, grain: 1) { range in
                    for i in range {
                        gemm(ea, i * m * k, eb, i * k * n, out, i * m * n, m: m, n: n, k: k, transA: transA, transB: transB,
                             parallel: false, rounded: pair)
                    }
                }
            } else {
                for i in 0..<count {
                    gemm(ea, i * m * k, eb, i * k * n, out, i * m * n, m: m, n: n, k: k, transA: transA, transB: transB,
                         rounded: pair)
                }
            }
        }
        return out
    }

    /// The bfloat16 copies of a product's operands when its (or each batch matrix's) m×n×k product runs
    /// in bfloat16: from `rounding` (or rounded now when there is none); nil when it runs in Float32.
    static func roundedPair(_ a: Tensor, _ b: Tensor, m: Int, n: Int, k: Int, beta: Double = 0,
                            rounding: BFloat16Copies?) -> (a: BFloat16Copy, b: BFloat16Copy)? {
        // (Matrix-vector products, which gemm computes in Float32, never pass: applies asks for m and n
        // over 32.)
        guard a.dtype == .float32, BFloat16Product.applies(m: m, n: n, k: k, beta: Float(beta)) else { return nil }
        let copies = rounding ?? BFloat16Copies()
        return (copies.copy(of: a), copies.copy(of: b))
    }

    /// The gradients of op(a) · op(b) with respect to `a` and `b`, as products of the same kind (in
    /// bfloat16, both round `g` once between them).
    private static func matmulGradients(_ g: Tensor, _ a: Tensor, _ b: Tensor, transA: Bool, transB: Bool) throws -> [Tensor?] {
        let r = BFloat16Product.enabled ? BFloat16Copies() : nil
        let (ar, br) = (a.rank, b.rank)
        let k = transA ? a.shape[ar - 2] : a.shape[ar - 1]
        let n = transB ? b.shape[br - 2] : b.shape[br - 1]
        var ga: Tensor? = nil, gb: Tensor? = nil
        if a.requiresGrad {
            switch (transA, transB) {
            case (false, false): ga = try matmulCore(g, b, transA: false, transB: true, rounding: r)
            case (false, true): ga = try matmulCore(g, b, transA: false, transB: false, rounding: r)
            case (true, false): ga = try matmulCore(b, g, transA: false, transB: true, rounding: r)
            case (true, true): ga = try matmulCore(b, g, transA: true, transB: true, rounding: r)
            }
        }
        if b.requiresGrad {
            if b.rank == 2 && !transA && a.rank > 2 {
                // Folded forward: the batch sums inside one product.
                let rows = a.shape.dropLast().reduce(1, *)
                let a2 = a.reshape([rows, k]), g2 = g.reshape([rows, n])
                gb = transB ? try matmulCore(g2, a2, transA: true, transB: false, rounding: r)
                    : try matmulCore(a2, g2, transA: true, transB: false, rounding: r)
            } else {
                switch (transA, transB) {
                case (false, false): gb = try matmulCore(a, g, transA: true, transB: false, rounding: r)
                case (false, true): gb = try matmulCore(g, a, transA: true, transB: false, rounding: r)
                case (true, false): gb = try matmulCore(a, g, transA: false, transB: false, rounding: r)
                case (true, true): gb = try matmulCore(g, a, transA: true, transB: true, rounding: r)
                }
            }
        }
        return [ga, gb]
    }

    /// c[cOffset...] = op(a) · op(b) for one pair of row-major matrices, by BLAS: split over Gradus's
    /// threads when large enough, on the calling thread alone when `parallel` is false. The tensors are
    /// floating point (matmul and linear check it). With `rounded`, the bfloat16 copies of a and b
    /// (``roundedPair(_:_:m:n:k:beta:rounding:)``), the product reads them instead of rounding its
    /// operands again, and adds `bias` (a contiguous Float32 `[n]`, only with `rounded`) to every row.
    static func gemm(_ a: Tensor, _ aOffset: Int, _ b: Tensor, _ bOffset: Int, _ c: Tensor, _ cOffset: Int,
                     m: Int, n: Int, k: Int, transA: Bool, transB: Bool, beta: Double = 0, parallel: Bool = true,
                     rounded: (a: BFloat16Copy, b: BFloat16Copy)? = nil, bias: Tensor? = nil) {
        if m == 0 || n == 0 { return }
        let lda = Swift.max(1, transA ? m : k), ldb = Swift.max(1, transB ? k : n)
        if k == 0 {
            if beta == 0 {
                (c.rawPointer + cOffset * c.dtype.byteSize).initializeMemory(as: UInt8.self, repeating: 0, count: m * n * c.dtype.byteSize)
            }
            return
        }
        // A product with one row (one-sample inference) or one column (a layer with one output) is a
        // matrix-vector product: BLAS's gemv streams the matrix once and skips gemm's packing, which
        // dominates at these sizes. With one row, cᵀ = op(B)ᵀ·aᵀ; with one column, c = op(A)·b.
        if m == 1 {
            gemv(matrix: b, bOffset, stored: transB ? (n, k) : (k, n), ld: ldb, transposed: !transB,
                 vector: a, aOffset, out: c, cOffset, beta: beta, parallel: parallel)
            return
        }
        if n == 1 {
            gemv(matrix: a, aOffset, stored: transA ? (k, m) : (m, k), ld: lda, transposed: transA,
                 vector: b, bOffset, out: c, cOffset, beta: beta, parallel: parallel)
            return
        }
        if let rounded, a.dtype == .float32 {
            let pa = a.pointer(Float.self) + aOffset, pb = b.pointer(Float.self) + bOffset
            BFloat16Product.gemm(m: m, n: n, k: k, .init(pa, lda: lda, rounded: rounded.a.pointer + aOffset, roundedLD: lda),
                                 transA: transA, .init(pb, lda: ldb, rounded: rounded.b.pointer + bOffset, roundedLD: ldb),
                                 transB: transB, beta: Float(beta), bias: bias.map { UnsafePointer($0.pointer(Float.self)) },
                                 c.pointer(Float.self) + cOffset, ldc: n, parallel: parallel)
            withExtendedLifetime(rounded) {}
            withExtendedLifetime(bias) {}
            return
        }
        func run<T: TensorFloat>(_: T.Type) {
            let (pa, pb, pc) = (a.pointer(T.self) + aOffset, b.pointer(T.self) + bOffset, c.pointer(T.self) + cOffset)
            if parallel {
                RawBLAS.parallelGemm(m: m, n: n, k: k, pa, lda: lda, transA: transA, pb, ldb: ldb, transB: transB,
                                     beta: T(beta), pc, ldc: n)
            } else {
                RawBLAS.gemm(m: m, n: n, k: k, pa, lda: lda, transA: transA, pb, ldb: ldb, transB: transB,
                             beta: T(beta), pc, ldc: n)
            }
        }
        switch a.dtype {
        case .float32: run(Float.self)
        case .float64: run(Double.self)
        case .int64: invariant(false, "matmul: int64 tensors reached the product")
        }
    }

    /// out = op(matrix)·vector + beta·out for a row-major `matrix` stored as `stored` (rows, columns)
    /// with leading dimension `ld`; op transposes when `transposed`. Vectors are contiguous. Split over
    /// the threads when large enough and `parallel`.
    static func gemv(matrix: Tensor, _ matrixOffset: Int, stored: (Int, Int), ld: Int, transposed: Bool,
                     vector: Tensor, _ vectorOffset: Int, out: Tensor, _ outOffset: Int, beta: Double, parallel: Bool = true) {
        func run<T: TensorFloat>(_: T.Type) {
            let (pm, px, py) = (matrix.pointer(T.self) + matrixOffset, vector.pointer(T.self) + vectorOffset, out.pointer(T.self) + outOffset)
            if parallel {
                RawBLAS.parallelGemv(rows: stored.0, columns: stored.1, pm, ld: ld, transposed: transposed, px, beta: T(beta), py)
            } else {
                RawBLAS.gemv(rows: stored.0, columns: stored.1, pm, ld: ld, transposed: transposed, px, beta: T(beta), py)
            }
        }
        switch matrix.dtype {
        case .float32: run(Float.self)
        case .float64: run(Double.self)
        case .int64: invariant(false, "matmul: int64 tensors reached the product")
        }
    }
}
