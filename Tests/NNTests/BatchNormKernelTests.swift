@_spi(KernelTesting) import Gradus
import GradusTestSupport
import Testing

/// Batch normalization as one recorded operation (Functional+BatchNormKernel.swift): values, running
/// statistics and gradients against a Float64 reference written out here, in training and evaluation
/// mode, for [N, C], [N, C, L] and [N, C, H, W] in both float dtypes; Float64 gradient checks (and of
/// the recorded backward, createGraph); the edge cases: one value per channel, an empty batch, a
/// constant channel, values of 1e20 and 1e-20, a large common offset, views, threads.
@Suite("Batch normalization kernels")
struct BatchNormKernelTests {
    init() {
        // The split over channels needs at least two threads; the default is the number of cores.
        if Threading.count < 2 { Threading.count = 2 }
    }

    static func normal(_ shape: [Int], seed: UInt64, dtype: DType = .float64) -> Tensor {
        var rng = SeededGenerator(seed: seed)
        return Tensor.normal(shape, dtype: dtype, generator: &rng)
    }

    /// The values of channel `c` of `[N, C, S…]` values, as (flat index) list.
    static func channelIndices(_ shape: [Int], _ c: Int) -> [Int] {
        let n = shape[0], channels = shape[1], s = shape[2...].reduce(1, *)
        return (0..<n).flatMap { i in (0..<s).map { (i * channels + c) * s + $0 } }
    }

    /// Float64 reference of training-mode batch normalization: per channel the mean, then the biased
    /// variance about it (two passes in Float64, over values with the offset `offset` removed first).
    static func reference(_ x: [Double], shape: [Int], weight: [Double]?, bias: [Double]?, eps: Double = 1e-5,
                          offset: Double = 0) -> (y: [Double], mean: [Double], variance: [Double]) {
        var y = [Double](repeating: 0, count: x.count)
        var means: [Double] = [], variances: [Double] = []
        for c in 0..<shape[1] {
            let idx = channelIndices(shape, c)
            let v = idx.map { x[$0] - offset }
            let m = v.reduce(0, +) / Double(v.count)
            let variance = v.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(v.count)
            for (k, i) in idx.enumerated() {
                y[i] = (v[k] - m) / (variance + eps).squareRoot() * (weight?[c] ?? 1) + (bias?[c] ?? 0)
            }
            means.append(m + offset)
            variances.append(variance)
        }
        return (y, means, variances)
    }

    /// Float64 reference of the training-mode gradients: dx = γ/√(σ²+ε)·(dy − mean(dy) − x̂·mean(dy·x̂)),
    /// dγ = Σ dy·x̂, dβ = Σ dy.
    static func referenceBackward(_ dy: [Double], _ x: [Double], shape: [Int], weight: [Double]?, eps: Double = 1e-5)
        -> (dx: [Double], dw: [Double], db: [Double]) {
        var dx = [Double](repeating: 0, count: x.count), dw: [Double] = [], db: [Double] = []
        for c in 0..<shape[1] {
            let idx = channelIndices(shape, c)
            let n = Double(idx.count)
            let m = idx.map { x[$0] }.reduce(0, +) / n
            let variance = idx.map { (x[$0] - m) * (x[$0] - m) }.reduce(0, +) / n
            let r = 1 / (variance + eps).squareRoot()
            let xhat = idx.map { (x[$0] - m) * r }
            let g = idx.map { dy[$0] }
            let sdy = g.reduce(0, +), sdyx = zip(g, xhat).map { $0 * $1 }.reduce(0, +)
            for (k, i) in idx.enumerated() {
                dx[i] = (weight?[c] ?? 1) * r * (g[k] - sdy / n - xhat[k] * sdyx / n)
            }
            dw.append(sdyx)
            db.append(sdy)
        }
        return (dx, dw, db)
    }

    static func expectClose(_ actual: [Double], _ expected: [Double], tolerance: Double, _ what: String) {
        #expect(actual.count == expected.count, "\(what): \(actual.count) values, expected \(expected.count)")
        let worst = zip(actual, expected).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? 0
        #expect(worst <= tolerance, "\(what): largest error \(worst)")
    }

    static let shapes: [[Int]] = [[7, 3], [4, 3, 5], [3, 4, 5, 6], [2, 2, 40, 60]]

    @Test("training: output, running statistics and gradients match the Float64 reference; one recorded operation",
          arguments: shapes, [DType.float32, .float64])
    func training(_ shape: [Int], _ dtype: DType) {
        let c = shape[1]
        let x = (Self.normal(shape, seed: 1, dtype: dtype) * 3 + 2).requiringGrad()
        let w = (Self.normal([c], seed: 2, dtype: dtype) + 1).requiringGrad(), b = Self.normal([c], seed: 3, dtype: dtype).requiringGrad()
        let rm = Self.normal([c], seed: 4, dtype: dtype), rv = Self.normal([c], seed: 5, dtype: dtype).abs() + 0.5
        let rm0 = rm.scalars(as: Double.self), rv0 = rv.scalars(as: Double.self)
        let y = Functional.batchNorm(x, runningMean: rm, runningVar: rv, weight: w, bias: b, training: true, momentum: 0.2)
        #expect(y.gradFn?.name == "batchNorm" && y.dtype == dtype)
        let xs = x.scalars(as: Double.self), ws = w.scalars(as: Double.self), bs = b.scalars(as: Double.self)
        let ref = Self.reference(xs, shape: shape, weight: ws, bias: bs)
        let tolerance = dtype == .float32 ? 2e-5 : 1e-12
        Self.expectClose(y.scalars(as: Double.self), ref.y, tolerance: tolerance, "y \(shape) \(dtype)")
        let n = Double(xs.count / c)
        Self.expectClose(rm.scalars(as: Double.self), (0..<c).map { 0.8 * rm0[$0] + 0.2 * ref.mean[$0] }, tolerance: tolerance, "running mean")
        Self.expectClose(rv.scalars(as: Double.self), (0..<c).map { 0.8 * rv0[$0] + 0.2 * ref.variance[$0] * n / (n - 1) },
                         tolerance: tolerance, "running var")
        let dy = Self.normal(shape, seed: 6, dtype: dtype)
        (y * dy).sum().backward()
        let grads = Self.referenceBackward(dy.scalars(as: Double.self), xs, shape: shape, weight: ws)
        let gradTolerance = dtype == .float32 ? 1e-4 : 1e-10
        Self.expectClose(x.grad!.scalars(as: Double.self), grads.dx, tolerance: gradTolerance, "dx \(shape) \(dtype)")
        Self.expectClose(w.grad!.scalars(as: Double.self), grads.dw, tolerance: gradTolerance, "dweight \(shape) \(dtype)")
        Self.expectClose(b.grad!.scalars(as: Double.self), grads.db, tolerance: gradTolerance, "dbias \(shape) \(dtype)")
    }

    @Test("the plain C kernels (processors without AVX2+FMA, forced) match the same references",
          arguments: shapes, [DType.float32, .float64])
    func portableKernels(_ shape: [Int], _ dtype: DType) {
        KernelTesting.withPortableKernels {
            training(shape, dtype)
            evaluation(shape, dtype)
        }
    }

    @Test("evaluation: one scale and shift per channel from the running statistics, and its gradients",
          arguments: shapes, [DType.float32, .float64])
    func evaluation(_ shape: [Int], _ dtype: DType) {
        let c = shape[1]
        let x = (Self.normal(shape, seed: 11, dtype: dtype) * 2 - 1).requiringGrad()
        let w = Self.normal([c], seed: 12, dtype: dtype).requiringGrad(), b = Self.normal([c], seed: 13, dtype: dtype).requiringGrad()
        let rm = Self.normal([c], seed: 14, dtype: dtype), rv = Self.normal([c], seed: 15, dtype: dtype).abs() + 0.5
        let before = (rm.scalars(as: Double.self), rv.scalars(as: Double.self))
        let y = Functional.batchNorm(x, runningMean: rm, runningVar: rv, weight: w, bias: b, training: false)
        #expect(y.gradFn?.name == "batchNorm")
        #expect(rm.scalars(as: Double.self) == before.0 && rv.scalars(as: Double.self) == before.1)
        let xs = x.scalars(as: Double.self), ws = w.scalars(as: Double.self), bs = b.scalars(as: Double.self)
        let (m, v) = before
        var expected = [Double](repeating: 0, count: xs.count)
        let dy = Self.normal(shape, seed: 16, dtype: dtype), g = dy.scalars(as: Double.self)
        var dx = expected, dw = [Double](repeating: 0, count: c), db = dw
        for ch in 0..<c {
            let r = 1 / (v[ch] + 1e-5).squareRoot()
            for i in Self.channelIndices(shape, ch) {
                expected[i] = (xs[i] - m[ch]) * r * ws[ch] + bs[ch]
                dx[i] = g[i] * r * ws[ch]
                dw[ch] += g[i] * (xs[i] - m[ch]) * r
                db[ch] += g[i]
            }
        }
        let tolerance = dtype == .float32 ? 2e-5 : 1e-12
        Self.expectClose(y.scalars(as: Double.self), expected, tolerance: tolerance, "y \(shape) \(dtype)")
        (y * dy).sum().backward()
        let gradTolerance = dtype == .float32 ? 1e-4 : 1e-10
        Self.expectClose(x.grad!.scalars(as: Double.self), dx, tolerance: gradTolerance, "dx")
        Self.expectClose(w.grad!.scalars(as: Double.self), dw, tolerance: gradTolerance, "dweight")
        Self.expectClose(b.grad!.scalars(as: Double.self), db, tolerance: gradTolerance, "dbias")
    }

    @Test("Float64 gradient checks of input, weight and bias, training and evaluation, with and without affine",
          arguments: [[5, 3], [3, 2, 5], [4, 3, 2, 2]])
    func gradientChecks(_ shape: [Int]) {
        let c = shape[1]
        let x = Self.normal(shape, seed: 21), w = Self.normal([c], seed: 22), b = Self.normal([c], seed: 23)
        let mean = Self.normal([c], seed: 24), variance = Self.normal([c], seed: 25).abs() + 0.5
        for training in [true, false] {
            let affine = GradCheck.check(inputs: [x, w, b]) {
                Functional.batchNorm($0[0], runningMean: mean.clone(), runningVar: variance.clone(), weight: $0[1], bias: $0[2],
                                     training: training)
            }
            #expect(affine.passed, "\(shape) training \(training):\n\(affine)")
            let plain = GradCheck.check(inputs: [x]) {
                Functional.batchNorm($0[0], runningMean: mean.clone(), runningVar: variance.clone(), weight: nil, bias: nil,
                                     training: training)
            }
            #expect(plain.passed, "\(shape) training \(training), affine false:\n\(plain)")
        }
        // Batch statistics without running ones (a layer that does not track them), weight only.
        let weightOnly = GradCheck.check(inputs: [x, w]) {
            Functional.batchNorm($0[0], runningMean: nil, runningVar: nil, weight: $0[1], bias: nil, training: true)
        }
        #expect(weightOnly.passed, "\(shape) batch statistics without running ones:\n\(weightOnly)")
    }

    /// ∂(Σ (f(x)·u)²)/∂(x, w) recorded (createGraph), as a function that can be checked again.
    static func recordedGradient(_ v: [Tensor], training: Bool, mean: Tensor, variance: Tensor, wrtWeight: Bool) -> Tensor {
        GradMode.with(enabled: true) {
            let x = v[0].requiresGrad ? v[0] : v[0].detach().requiringGrad()
            let w = v[1].requiresGrad ? v[1] : v[1].detach().requiringGrad()
            let y = Functional.batchNorm(x, runningMean: mean.clone(), runningVar: variance.clone(), weight: w, bias: v[2],
                                         training: training)
            let u = Tensor.linspace(0.5, 1.5, count: y.count, dtype: .float64).reshape(y.shape)
            return Autograd.gradients(of: (y * u).square().sum(), wrt: [wrtWeight ? w : x], createGraph: true)[0]
        }
    }

    @Test("with createGraph the backward is recorded: second derivatives check in Float64, first ones equal the kernel's")
    func secondDerivatives() {
        let x = Self.normal([4, 2, 3], seed: 31), w = Self.normal([2], seed: 32), b = Self.normal([2], seed: 33)
        let mean = Self.normal([2], seed: 34), variance = Self.normal([2], seed: 35).abs() + 0.5
        for training in [true, false] {
            for wrtWeight in [false, true] {
                let report = GradCheck.check(inputs: [x, w, b]) {
                    Self.recordedGradient($0, training: training, mean: mean, variance: variance, wrtWeight: wrtWeight)
                }
                #expect(report.passed, "training \(training), of the \(wrtWeight ? "weight" : "input")'s gradient:\n\(report)")
            }
            // The recorded rule and the kernel give the same first derivative.
            let xv = x.detach().requiringGrad(), wv = w.detach().requiringGrad()
            let y = Functional.batchNorm(xv, runningMean: mean.clone(), runningVar: variance.clone(), weight: wv, bias: b, training: training)
            let loss = (y * y).sum()
            let recorded = Autograd.gradients(of: loss, wrt: [xv, wv], retainGraph: true, createGraph: true)
            let direct = Autograd.gradients(of: loss, wrt: [xv, wv])
            for k in 0..<2 {
                Self.expectClose(recorded[k].scalars(as: Double.self), direct[k].scalars(as: Double.self), tolerance: 1e-12,
                                 "training \(training), gradient \(k)")
            }
        }
    }

    @Test("one value per channel in training and an empty batch in training are errors, as before; evaluation takes both")
    func tooFewValues() throws {
        for shape in [[1, 3], [1, 3, 1], [1, 3, 1, 1], [0, 3, 4, 4]] {
            let error = #expect(throws: GradusError.self) {
                try GradusError.catching {
                    _ = Functional.batchNorm(Tensor.zeros(shape), runningMean: nil, runningVar: nil, weight: nil, bias: nil, training: true)
                }
            }
            #expect(error?.message.contains("expected more than 1 value per channel when training") == true, "\(shape)")
        }
        let layer = BatchNorm2d(3)
        #expect(throws: GradusError.self) { try GradusError.catching { _ = layer(Tensor.ones([1, 3, 1, 1])) } }
        layer.eval()
        let one = try GradusError.catching { layer(Tensor.ones([1, 3, 1, 1])) }
        Self.expectClose(one.scalars(as: Double.self), [Double](repeating: 1 / (1 + 1e-5).squareRoot(), count: 3), tolerance: 1e-6, "one sample")
        // An empty batch in evaluation: an empty output, and zero gradients for the parameters.
        let empty = Tensor.zeros([0, 3, 4, 4]).requiringGrad()
        let y = try GradusError.catching { layer(empty) }
        #expect(y.shape == [0, 3, 4, 4])
        try GradusError.catching { y.sum().backward() }
        #expect(layer.weight!.grad?.scalars() == [0, 0, 0] && layer.bias!.grad?.scalars() == [0, 0, 0])
        #expect(empty.grad?.shape == [0, 3, 4, 4])
    }

    @Test("a constant channel (variance 0) gives the bias and finite gradients", arguments: [DType.float32, .float64])
    func constantChannel(_ dtype: DType) {
        let shape = [4, 3, 2, 3]
        var values = Self.normal(shape, seed: 41).scalars(as: Double.self)
        for i in Self.channelIndices(shape, 1) { values[i] = 5 }
        let x = Tensor(shape: shape, values: values, dtype: dtype).requiringGrad()
        let w = Tensor([2, 3, 4], dtype: dtype).requiringGrad(), b = Tensor([0.5, -1, 2], dtype: dtype).requiringGrad()
        let y = Functional.batchNorm(x, runningMean: nil, runningVar: nil, weight: w, bias: b, training: true)
        let ys = y.scalars(as: Double.self)
        #expect(Self.channelIndices(shape, 1).allSatisfy { ys[$0] == -1 })
        let dy = Self.normal(shape, seed: 42, dtype: dtype)
        (y * dy).sum().backward()
        let xs = x.scalars(as: Double.self)
        let grads = Self.referenceBackward(dy.scalars(as: Double.self), xs, shape: shape, weight: [2, 3, 4])
        let tolerance = dtype == .float32 ? 1e-4 : 1e-10
        #expect(x.grad!.scalars(as: Double.self).allSatisfy { $0.isFinite })
        // dx = γ/√ε·(dy − mean(dy)) in the constant channel: values of a few hundred.
        let dx = x.grad!.scalars(as: Double.self)
        let scale = max(1, grads.dx.map(abs).max()!)
        Self.expectClose(dx.map { $0 / scale }, grads.dx.map { $0 / scale }, tolerance: tolerance, "dx")
        Self.expectClose(w.grad!.scalars(as: Double.self), grads.dw, tolerance: tolerance, "dweight")
        #expect(w.grad!.scalars(as: Double.self)[1] == 0)
    }

    @Test("values of 1e20 and 1e-20 are normalized like values of 1 (eps 0)",
          arguments: [1e20, 1e-20], [DType.float32, .float64])
    func extremeMagnitudes(_ magnitude: Double, _ dtype: DType) {
        let shape = [6, 2, 5]
        let unit = Self.normal(shape, seed: 51) + 0.5
        let x = Tensor(shape: shape, values: unit.scalars(as: Double.self).map { $0 * magnitude }, dtype: dtype).requiringGrad()
        let y = Functional.batchNorm(x, runningMean: nil, runningVar: nil, weight: nil, bias: nil, training: true, eps: 0)
        // The Float64 reference on the same values, scaled back to unit size (exactly, by a power of ten
        // applied in Float64, so that it neither over- nor underflows).
        let ref = Self.reference(x.scalars(as: Double.self).map { $0 / magnitude }, shape: shape, weight: nil, bias: nil, eps: 0)
        let tolerance = dtype == .float32 ? 1e-4 : 1e-10
        Self.expectClose(y.scalars(as: Double.self), ref.y, tolerance: tolerance, "y at \(magnitude) \(dtype)")
        let dy = Self.normal(shape, seed: 52)
        (y * dy.to(dtype)).sum().backward()
        // dx scales as 1/magnitude: compare magnitude·dx with the unit-size reference.
        let grads = Self.referenceBackward(dy.to(dtype).scalars(as: Double.self), x.scalars(as: Double.self).map { $0 / magnitude },
                                           shape: shape, weight: nil, eps: 0)
        Self.expectClose(x.grad!.scalars(as: Double.self).map { $0 * magnitude }, grads.dx, tolerance: tolerance * 10, "dx at \(magnitude) \(dtype)")
    }

    @Test("a large common offset (1e4 plus small noise) keeps its precision", arguments: [DType.float32, .float64])
    func largeOffset(_ dtype: DType) {
        let shape = [16, 3, 8, 8]
        let noise = dtype == .float32 ? 1.0 : 1e-3
        let x = Tensor(shape: shape, values: Self.normal(shape, seed: 61).scalars(as: Double.self).map { 1e4 + $0 * noise }, dtype: dtype)
        let rv = Tensor.ones([3], dtype: dtype), rm = Tensor.zeros([3], dtype: dtype)
        let y = Functional.batchNorm(x, runningMean: rm, runningVar: rv, weight: nil, bias: nil, training: true, momentum: 1, eps: 0)
        let ref = Self.reference(x.scalars(as: Double.self), shape: shape, weight: nil, bias: nil, eps: 0, offset: 1e4)
        // Float32: the values are exact multiples of 2^-10 near 1e4, the mean is rounded to one of them.
        Self.expectClose(y.scalars(as: Double.self), ref.y, tolerance: dtype == .float32 ? 2e-3 : 1e-7, "y \(dtype)")
        let n = Double(x.count / 3)
        let expectedVar = ref.variance.map { $0 * n / (n - 1) }
        let runningVar = rv.scalars(as: Double.self)
        for c in 0..<3 {
            #expect(abs(runningVar[c] - expectedVar[c]) <= 1e-4 * expectedVar[c], "running var \(c): \(runningVar[c]) vs \(expectedVar[c])")
        }
    }

    @Test("a permuted view normalizes and differentiates like its contiguous copy")
    func nonContiguousInput() {
        let base = Self.normal([3, 5, 4, 2], seed: 71).requiringGrad()   // [N, H, C, W]
        let view = base.permute([0, 2, 1, 3])   // [N, C, H, W], strided
        #expect(!view.isContiguous)
        let copy = view.detach().contiguous().requiringGrad()
        let w = Self.normal([4], seed: 72), b = Self.normal([4], seed: 73)
        let a = Functional.batchNorm(view, runningMean: nil, runningVar: nil, weight: w, bias: b, training: true)
        let c = Functional.batchNorm(copy, runningMean: nil, runningVar: nil, weight: w, bias: b, training: true)
        #expect(a.scalars(as: Double.self) == c.scalars(as: Double.self))
        let dy = Self.normal([3, 4, 5, 2], seed: 74)
        (a * dy).sum().backward()
        (c * dy).sum().backward()
        #expect(base.grad!.permute([0, 2, 1, 3]).scalars(as: Double.self) == copy.grad!.scalars(as: Double.self))
        // A gradient that arrives as a strided view.
        let x = Self.normal([4, 3, 6], seed: 75).requiringGrad()
        let y = Functional.batchNorm(x, runningMean: nil, runningVar: nil, weight: nil, bias: nil, training: true)
        let upstream = Self.normal([6, 3, 4], seed: 76)
        (y.permute([2, 1, 0]) * upstream).sum().backward()
        let grads = Self.referenceBackward(upstream.permute([2, 1, 0]).contiguous().scalars(as: Double.self), x.scalars(as: Double.self),
                                           shape: [4, 3, 6], weight: nil)
        Self.expectClose(x.grad!.scalars(as: Double.self), grads.dx, tolerance: 1e-12, "dx from a strided gradient")
    }

    @Test("a tensor large enough to be split over threads by channel matches the reference")
    func splitOverThreads() {
        let shape = [16, 5, 48, 48]   // 184,320 elements: two parts of the five channels
        let x = (Self.normal(shape, seed: 81, dtype: .float32) * 2 + 1).requiringGrad()
        let w = Self.normal([5], seed: 82, dtype: .float32).requiringGrad(), b = Self.normal([5], seed: 83, dtype: .float32).requiringGrad()
        let y = Functional.batchNorm(x, runningMean: nil, runningVar: nil, weight: w, bias: b, training: true)
        let xs = x.scalars(as: Double.self), ws = w.scalars(as: Double.self)
        Self.expectClose(y.scalars(as: Double.self), Self.reference(xs, shape: shape, weight: ws, bias: b.scalars(as: Double.self)).y,
                         tolerance: 2e-5, "y")
        let dy = Self.normal(shape, seed: 84, dtype: .float32)
        (y * dy).sum().backward()
        let grads = Self.referenceBackward(dy.scalars(as: Double.self), xs, shape: shape, weight: ws)
        Self.expectClose(x.grad!.scalars(as: Double.self), grads.dx, tolerance: 1e-4, "dx")
        Self.expectClose(w.grad!.scalars(as: Double.self).map { $0 / 100 }, grads.dw.map { $0 / 100 }, tolerance: 1e-4, "dweight")
        let evalY = Functional.batchNorm(x, runningMean: Tensor.zeros([5]), runningVar: Tensor.ones([5]), weight: w, bias: b, training: false)
        let expected = xs.enumerated().map { i, v in
            let c = (i / (48 * 48)) % 5
            return v / (1 + 1e-5).squareRoot() * ws[c] + b.scalars(as: Double.self)[c]
        }
        Self.expectClose(evalY.scalars(as: Double.self), expected, tolerance: 2e-5, "evaluation")
    }

    @Test("mixed dtypes still promote as the tensor operations do (Float32 input, Float64 parameters)")
    func mixedDtypes() {
        let x = Self.normal([4, 2, 3], seed: 91, dtype: .float32)
        let w = Tensor([1.5, -2], dtype: .float64), b = Tensor([0.25, 1], dtype: .float64)
        let y = Functional.batchNorm(x, runningMean: nil, runningVar: nil, weight: w, bias: b, training: true)
        #expect(y.dtype == .float64)
        let ref = Self.reference(x.scalars(as: Double.self), shape: [4, 2, 3], weight: [1.5, -2], bias: [0.25, 1])
        Self.expectClose(y.scalars(as: Double.self), ref.y, tolerance: 1e-5, "y")
    }

    @Test("cumulative running average (momentum nil) over batches")
    func cumulativeAverage() {
        let layer = BatchNorm1d(2, momentum: nil, dtype: .float64)
        var means: [[Double]] = [], variances: [[Double]] = []
        for k in 0..<3 {
            let x = Self.normal([5, 2], seed: 100 + UInt64(k)) * Double(k + 1)
            _ = layer(x)
            let ref = Self.reference(x.scalars(as: Double.self), shape: [5, 2], weight: nil, bias: nil)
            means.append(ref.mean)
            variances.append(ref.variance.map { $0 * 5 / 4 })
        }
        // Running statistics start at 0 and 1; with factors 1, 1/2, 1/3 they become the plain averages.
        let mean = (0..<2).map { c in means.map { $0[c] }.reduce(0, +) / 3 }
        let variance = (0..<2).map { c in variances.map { $0[c] }.reduce(0, +) / 3 }
        Self.expectClose(layer.runningMean!.scalars(as: Double.self), mean, tolerance: 1e-12, "running mean")
        Self.expectClose(layer.runningVar!.scalars(as: Double.self), variance, tolerance: 1e-12, "running var")
    }
}
