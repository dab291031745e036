@_spi(KernelTesting) import Gradus
import Testing

/// Layer normalization as one recorded operation (Functional+LayerNormKernel.swift): values and
/// gradients of input, weight and bias against a Float64 reference written out here, for one and two
/// normalized dimensions, with and without each parameter, in both float dtypes and on the portable
/// kernels; Float64 gradient checks (and of the recorded backward, createGraph); the edges: a constant
/// row, one value per row, values of 1e20 and 1e-20, a large common offset, no rows, a view, rows split
/// over threads.
@Suite("Layer normalization kernels")
struct LayerNormKernelTests {
    static func normal(_ shape: [Int], seed: UInt64, dtype: DType = .float64) -> Tensor {
        var rng = SeededGenerator(seed: seed)
        return Tensor.normal(shape, dtype: dtype, generator: &rng)
    }

    /// Float64 reference: each row of `n` values normalized by its mean and biased variance (computed
    /// about the mean), then the affine transform; and the gradients for output gradient `dy`.
    static func reference(_ x: [Double], n: Int, weight: [Double]?, bias: [Double]?, dy: [Double], eps: Double = 1e-5)
        -> (y: [Double], dx: [Double], dw: [Double], db: [Double]) {
        var y = [Double](repeating: 0, count: x.count), dx = y
        var dw = [Double](repeating: 0, count: n), db = dw
        for r in 0..<(n == 0 ? 0 : x.count / n) {
            let row = Array(x[(r * n)..<((r + 1) * n)]), g = Array(dy[(r * n)..<((r + 1) * n)])
            let m = row.reduce(0, +) / Double(n)
            let variance = row.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(n)
            let s = 1 / (variance + eps).squareRoot()
            let xhat = row.map { ($0 - m) * s }
            let d = (0..<n).map { g[$0] * (weight?[$0] ?? 1) }
            let a = d.reduce(0, +) / Double(n), b = zip(d, xhat).map { $0 * $1 }.reduce(0, +) / Double(n)
            for j in 0..<n {
                y[r * n + j] = xhat[j] * (weight?[j] ?? 1) + (bias?[j] ?? 0)
                dx[r * n + j] = s * (d[j] - a - xhat[j] * b)
                dw[j] += g[j] * xhat[j]
                db[j] += g[j]
            }
        }
        return (y, dx, dw, db)
    }

    static func expectClose(_ actual: [Double], _ expected: [Double], tolerance: Double, _ what: String) {
        #expect(actual.count == expected.count, "\(what): \(actual.count) values, expected \(expected.count)")
        let worst = zip(actual, expected).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? 0
        #expect(worst <= tolerance, "\(what): largest error \(worst)")
    }

    /// Normalizes `x` over `normalizedShape` with the parameters asked for and checks values and all
    /// gradients against the reference; the result is one recorded operation.
    static func check(_ x: Tensor, normalizedShape: [Int], weight useWeight: Bool, bias useBias: Bool, seed: UInt64,
                      tolerance: (values: Double, gradients: Double)? = nil, _ label: String) {
        let dtype = x.dtype, n = normalizedShape.reduce(1, *)
        let x = x.requiringGrad()
        let w = useWeight ? (normal(normalizedShape, seed: seed, dtype: dtype) + 1).requiringGrad() : nil
        let b = useBias ? normal(normalizedShape, seed: seed + 1, dtype: dtype).requiringGrad() : nil
        let y = Functional.layerNorm(x, normalizedShape: normalizedShape, weight: w, bias: b)
        #expect(y.gradFn?.name == "layerNorm" && y.dtype == dtype && y.shape == x.shape, "\(label)")
        let dy = normal(x.shape, seed: seed + 2, dtype: dtype)
        (y * dy).sum().backward()
        let ref = reference(x.scalars(as: Double.self), n: n, weight: w?.scalars(as: Double.self), bias: b?.scalars(as: Double.self),
                            dy: dy.scalars(as: Double.self))
        let tol = tolerance ?? (dtype == .float32 ? (2e-5, 2e-4) : (1e-12, 1e-10))
        expectClose(y.scalars(as: Double.self), ref.y, tolerance: tol.values, "y \(label)")
        expectClose(x.grad?.scalars(as: Double.self) ?? [], ref.dx, tolerance: tol.gradients, "dx \(label)")
        if let w {
            #expect(w.grad?.shape == normalizedShape)
            expectClose(w.grad?.scalars(as: Double.self) ?? [], ref.dw, tolerance: tol.gradients, "dweight \(label)")
        }
        if let b { expectClose(b.grad?.scalars(as: Double.self) ?? [], ref.db, tolerance: tol.gradients, "dbias \(label)") }
    }

    static let cases: [([Int], [Int])] = [([7, 5], [5]), ([3, 4, 5], [4, 5]), ([2, 3, 37], [37]), ([4, 128], [128])]

    @Test("values and gradients match the Float64 reference, with and without each parameter",
          arguments: cases.indices, [DType.float32, .float64])
    func matchesReference(_ index: Int, _ dtype: DType) {
        let (shape, normalized) = Self.cases[index]
        for (useWeight, useBias) in [(true, true), (false, false), (true, false), (false, true)] {
            let x = Self.normal(shape, seed: 1, dtype: dtype) * 3 + 2
            Self.check(x, normalizedShape: normalized, weight: useWeight, bias: useBias, seed: 2,
                       "\(shape) over \(normalized) \(dtype) weight \(useWeight) bias \(useBias)")
        }
    }

    @Test("the plain C kernels (processors without AVX2+FMA, forced) match the same reference",
          arguments: cases.indices, [DType.float32, .float64])
    func portableKernels(_ index: Int, _ dtype: DType) {
        KernelTesting.withPortableKernels {
            let (shape, normalized) = Self.cases[index]
            Self.check(Self.normal(shape, seed: 3, dtype: dtype), normalizedShape: normalized, weight: true, bias: true, seed: 4,
                       "portable \(shape) \(dtype)")
        }
    }

    @Test("edges: a constant row, one value per row, 1e20 and 1e-20, a common offset of 1e4, no rows",
          arguments: [DType.float32, .float64])
    func edges(_ dtype: DType) {
        // A constant row: x̂ = 0, y = β, finite gradients (σ² = 0, rstd = 1/√ε).
        Self.check(Tensor.full([3, 6], value: 2.5, dtype: dtype), normalizedShape: [6], weight: true, bias: true, seed: 5,
                   "constant rows \(dtype)")
        // One value per row: the same.
        Self.check(Self.normal([4, 1], seed: 6, dtype: dtype), normalizedShape: [1], weight: true, bias: true, seed: 7,
                   "one value per row \(dtype)")
        // Squares beyond Float32's range (σ ≈ 1e20), and values far below ε.
        Self.check(Self.normal([3, 20], seed: 8, dtype: dtype) * 1e20, normalizedShape: [20], weight: true, bias: true, seed: 9,
                   "1e20 \(dtype)")
        Self.check(Self.normal([3, 20], seed: 10, dtype: dtype) * 1e-20, normalizedShape: [20], weight: true, bias: true, seed: 11,
                   "1e-20 \(dtype)")
        // A large common offset: the mean's rounding is corrected by the second pass. 1e4 + x holds x to
        // about 1e-3 in Float32 and 1e-12 in Float64, so values normalized by a σ of 1 keep about that.
        Self.check(Self.normal([3, 40], seed: 12, dtype: dtype) + 1e4, normalizedShape: [40], weight: true, bias: true, seed: 13,
                   tolerance: dtype == .float32 ? (2e-3, 2e-3) : (1e-10, 1e-9), "offset 1e4 \(dtype)")
        // No rows.
        let empty = Tensor.zeros([0, 8], dtype: dtype).requiringGrad()
        let w = Tensor.ones([8], dtype: dtype).requiringGrad()
        let y = Functional.layerNorm(empty, normalizedShape: [8], weight: w, bias: nil)
        #expect(y.shape == [0, 8])
        y.sum().backward()
        #expect(empty.grad?.shape == [0, 8] && w.grad?.scalars(as: Double.self) == [Double](repeating: 0, count: 8))
    }

    @Test("rows split over two threads, and a transposed view, match the reference; gradients do not depend on the thread count")
    func threadsAndViews() {
        Threading.withCount(2) {
            // 1,024 rows of 160: several times the split grain.
            Self.check(Self.normal([8, 128, 160], seed: 14, dtype: .float32), normalizedShape: [160], weight: true, bias: true,
                       seed: 15, "2 threads")
        }
        // The same bits at 1 and 2 threads (the weight and bias gradients sum over rows).
        func gradients(threads: Int) -> [[Float]] {
            Threading.withCount(threads) {
                let x = Self.normal([1000, 96], seed: 18, dtype: .float32).requiringGrad()
                let w = Self.normal([96], seed: 19, dtype: .float32).requiringGrad()
                let b = Self.normal([96], seed: 20, dtype: .float32).requiringGrad()
                let y = Functional.layerNorm(x, normalizedShape: [96], weight: w, bias: b)
                (y * Self.normal([1000, 96], seed: 21, dtype: .float32)).sum().backward()
                return [y.scalars(), x.grad!.scalars(), w.grad!.scalars(), b.grad!.scalars()]
            }
        }
        #expect(gradients(threads: 1) == gradients(threads: 2))
        let view = Self.normal([6, 9], seed: 16, dtype: .float32).transpose(0, 1)   // [9, 6], not contiguous
        Self.check(view, normalizedShape: [6], weight: true, bias: true, seed: 17, "transposed view")
    }

    @Test("Float64 gradient checks of input, weight and bias, one and two normalized dimensions")
    func gradientChecks() {
        for (shape, normalized) in [([4, 5], [5]), ([2, 3, 4], [3, 4])] {
            let x = Self.normal(shape, seed: 21), w = Self.normal(normalized, seed: 22), b = Self.normal(normalized, seed: 23)
            let affine = GradCheck.check(inputs: [x, w, b]) {
                Functional.layerNorm($0[0], normalizedShape: normalized, weight: $0[1], bias: $0[2])
            }
            #expect(affine.passed, "\(shape):\n\(affine)")
            let plain = GradCheck.check(inputs: [x]) { Functional.layerNorm($0[0], normalizedShape: normalized) }
            #expect(plain.passed, "\(shape) without parameters:\n\(plain)")
        }
    }

    @Test("with createGraph the backward is recorded: second derivatives check in Float64, first ones equal the kernel's")
    func secondDerivatives() {
        let x = Self.normal([3, 6], seed: 31), w = Self.normal([6], seed: 32), b = Self.normal([6], seed: 33)
        let u = Tensor.linspace(0.5, 1.5, count: 18, dtype: .float64).reshape([3, 6])
        for wrtWeight in [false, true] {
            let report = GradCheck.check(inputs: [x, w, b]) { v in
                GradMode.with(enabled: true) {
                    let xv = v[0].requiresGrad ? v[0] : v[0].detach().requiringGrad()
                    let wv = v[1].requiresGrad ? v[1] : v[1].detach().requiringGrad()
                    let y = Functional.layerNorm(xv, normalizedShape: [6], weight: wv, bias: v[2])
                    return Autograd.gradients(of: (y * u).square().sum(), wrt: [wrtWeight ? wv : xv], createGraph: true)[0]
                }
            }
            #expect(report.passed, "of the \(wrtWeight ? "weight" : "input")'s gradient:\n\(report)")
        }
        // The recorded rule and the kernel give the same first derivatives.
        let xv = x.detach().requiringGrad(), wv = w.detach().requiringGrad()
        let loss = (Functional.layerNorm(xv, normalizedShape: [6], weight: wv, bias: b) * u).square().sum()
        let kernel = Autograd.gradients(of: loss, wrt: [xv, wv])
        let recorded = GradMode.with(enabled: true) {
            Autograd.gradients(of: (Functional.layerNorm(xv, normalizedShape: [6], weight: wv, bias: b) * u).square().sum(),
                               wrt: [xv, wv], createGraph: true)
        }
        for (k, r) in zip(kernel, recorded) {
            Self.expectClose(k.scalars(as: Double.self), r.scalars(as: Double.self), tolerance: 1e-12, "kernel vs recorded rule")
        }
    }
}
