@_spi(KernelTesting) import Gradus
import GradusTestSupport
import Testing

/// Batch normalization, ReLU and 2×2 max pooling as one recorded operation
/// (`Functional.batchNormReLUMaxPool2x2`, which ``Sequential`` runs for a BatchNorm layer, a ReLU and a
/// MaxPool2d(2)): the values, winners and running statistics of the three layers run apart bit for bit,
/// their gradients up to the per-channel sums' rounding (bit for bit in evaluation mode, where the input
/// gradient has no sums), in both float dtypes, training and evaluation, odd and even sizes, rows of
/// more than one vector of windows, a tensor split over threads and the plain C kernels; the window
/// edges (ties, NaN, −0, windows the ReLU zeroes); which layer stacks fuse; second derivatives.
@Suite("Batch normalization fused with ReLU and 2×2 max pooling")
struct BatchNormReLUPoolTests {
    init() {
        if Threading.count < 2 { Threading.count = 2 }   // the split over channels needs two threads
    }

    /// A BatchNorm2d with γ of both signs, β around 0 and running statistics away from their defaults.
    static func layer(channels: Int, dtype: DType, affine: Bool) -> BatchNorm2d {
        let bn = BatchNorm2d(channels, affine: affine, dtype: dtype)
        GradMode.noGrad {
            if affine {
                _ = bn.weight!.assign(BatchNormReLUTests.normal([channels], seed: 7, dtype: dtype) + 0.3)
                _ = bn.bias!.assign(BatchNormReLUTests.normal([channels], seed: 8, dtype: dtype) * 0.5)
            }
            _ = bn.runningMean!.assign(BatchNormReLUTests.normal([channels], seed: 9, dtype: dtype) * 0.2)
            _ = bn.runningVar!.assign(BatchNormReLUTests.normal([channels], seed: 10, dtype: dtype).abs() + 0.5)
        }
        return bn
    }

    /// Equal bit for bit, or NaN in both; with `zeroSign: false`, a zero of either sign equals the other
    /// (an evaluation-mode input gradient of 0 is 0·γ/√(σ² + ε), −0 for a negative γ as PyTorch's,
    /// where the separate backward adds a +0 shift).
    static func expectIdentical(_ a: Tensor?, _ b: Tensor?, _ what: String, zeroSign: Bool = true) {
        guard let a, let b else {
            #expect(a == nil && b == nil, "\(what): one side has no tensor")
            return
        }
        #expect(a.shape == b.shape && a.dtype == b.dtype, "\(what): \(a.shape) \(a.dtype) against \(b.shape) \(b.dtype)")
        let x = a.scalars(as: Double.self), y = b.scalars(as: Double.self)
        let differing = zip(x, y).enumerated().filter { _, p in
            !(p.0.bitPattern == p.1.bitPattern || (p.0.isNaN && p.1.isNaN) || (!zeroSign && p.0 == 0 && p.1 == 0))
        }
        #expect(differing.isEmpty, "\(what): \(differing.count) of \(x.count) values differ, first at \(differing.first.map { "\($0.offset): \($0.element)" } ?? "")")
    }

    /// Equal within `tolerance` of the largest magnitude (the sums' rounding), NaN where the other is.
    static func expectClose(_ a: Tensor?, _ b: Tensor?, _ what: String, tolerance: Double) {
        guard let a, let b else {
            #expect(a == nil && b == nil, "\(what): one side has no tensor")
            return
        }
        #expect(a.shape == b.shape && a.dtype == b.dtype, "\(what): \(a.shape) \(a.dtype) against \(b.shape) \(b.dtype)")
        let x = a.scalars(as: Double.self), y = b.scalars(as: Double.self)
        let scale = Swift.max(1, y.filter(\.isFinite).map(abs).max() ?? 1)
        let differing = zip(x, y).enumerated().filter { _, p in
            !(abs(p.0 - p.1) <= tolerance * scale || (p.0.isNaN && p.1.isNaN))
        }
        #expect(differing.isEmpty, "\(what): \(differing.count) of \(x.count) values differ beyond \(tolerance)·\(scale), first at \(differing.first.map { "\($0.offset): \($0.element)" } ?? "")")
    }

    /// Runs `Sequential { bn; ReLU(); MaxPool2d(2) }` and the three layers apart (a twin BatchNorm of the
    /// same state) on the same input and upstream gradient, and compares outputs, running statistics
    /// and the three gradients.
    static func compareWithSeparateLayers(_ x: Tensor, affine: Bool, training: Bool, _ what: String) {
        let channels = x.shape[1], dtype = x.dtype
        let fusedLayer = layer(channels: channels, dtype: dtype, affine: affine)
        let twin = layer(channels: channels, dtype: dtype, affine: affine)
        for bn in [fusedLayer, twin] { bn.train(training) }
        let model = Sequential { fusedLayer; ReLU(); MaxPool2d(2) }
        let xa = x.detach().requiringGrad(), xb = x.detach().requiringGrad()
        let ya = model(xa), yb = MaxPool2d(2)(ReLU()(twin(xb)))
        #expect(ya.gradFn?.name == "batchNormReLUMaxPool2x2", "\(what): the output's operation is \(ya.gradFn?.name ?? "none")")
        expectIdentical(ya, yb, "\(what) output")
        expectIdentical(fusedLayer.runningMean, twin.runningMean, "\(what) running mean")
        expectIdentical(fusedLayer.runningVar, twin.runningVar, "\(what) running variance")
        let upstream = BatchNormReLUTests.normal(ya.shape, seed: 11, dtype: dtype)
        ya.backward(upstream)
        yb.backward(upstream)
        let tolerance = dtype == .float32 ? 1e-5 : 1e-13
        if training {
            expectClose(xa.grad, xb.grad, "\(what) input gradient", tolerance: tolerance)
        } else {
            expectIdentical(xa.grad, xb.grad, "\(what) input gradient", zeroSign: false)
        }
        expectClose(fusedLayer.weight?.grad, twin.weight?.grad, "\(what) weight gradient", tolerance: tolerance)
        expectClose(fusedLayer.bias?.grad, twin.bias?.grad, "\(what) bias gradient", tolerance: tolerance)
    }

    // Even and odd sizes (an odd last row or column belongs to no window), rows of 1 to 4 windows, of 8
    // to 15 (the second half of an AVX-512 block partly or wholly masked), of more than 16 (a vector and
    // a tail), 2×2 inputs, and [8, 16, 32, 32] (split over threads by channels).
    static let shapes: [[Int]] = [[4, 3, 8, 8], [3, 5, 7, 9], [2, 2, 2, 2], [2, 3, 5, 35], [3, 2, 3, 2], [2, 3, 4, 16],
                                  [2, 3, 5, 17], [2, 3, 4, 20], [3, 2, 5, 31], [8, 16, 32, 32]]

    @Test("BatchNorm, ReLU and MaxPool2d(2) in a Sequential: one operation with the values, statistics and gradients of the three",
          arguments: shapes, [DType.float32, .float64])
    func matchesSeparateLayers(_ shape: [Int], _ dtype: DType) {
        let x = BatchNormReLUTests.normal(shape, seed: 1, dtype: dtype) * 2 + 0.5
        for training in [true, false] {
            for affine in [true, false] {
                Self.compareWithSeparateLayers(x, affine: affine, training: training,
                                               "\(shape) \(dtype) training \(training) affine \(affine)")
            }
        }
    }

    @Test("the plain C kernels (processors without AVX-512, forced) agree with the separate layers too")
    func portableKernels() {
        KernelTesting.withPortableKernels {
            for dtype in [DType.float32, .float64] {
                for training in [true, false] {
                    for shape in [[3, 4, 5, 7], [2, 3, 4, 36], [2, 3, 5, 23]] {
                        Self.compareWithSeparateLayers(BatchNormReLUTests.normal(shape, seed: 2, dtype: dtype), affine: true, training: training,
                                                       "portable \(shape) \(dtype) training \(training)")
                    }
                }
            }
        }
    }

    @Test("window edges: ties go to the first, a NaN wins, −0 and zeroed windows pass no gradient; the AVX-512 and plain kernels agree",
          arguments: [DType.float32, .float64])
    func windowEdges(_ dtype: DType) {
        // Evaluation mode with mean 0, variance 1, ε = 0, γ = 1 and β = −0: each value normalizes to
        // itself (−0 included), so that windows can be written out. One channel, planes of 4×36 (18 windows a row: a vector of
        // 16 and a tail).
        let (h, w) = (4, 36)
        var values = BatchNormReLUTests.normal([2, 1, h, w], seed: 21, dtype: .float64).scalars(as: Double.self)
        func set(_ n: Int, _ y: Int, _ x: Int, _ window: [Double]) {
            for (k, v) in window.enumerated() { values[(n * h + y + k / 2) * w + x + k % 2] = v }
        }
        set(0, 0, 0, [1, 1, 1, 1])                    // a tie: the first wins
        set(0, 0, 32, [0.5, 2, 2, 1])                 // a tie of the second and third (in the tail vector)
        set(0, 2, 4, [1, .nan, 3, .nan])              // NaNs: the last one wins
        set(0, 2, 8, [1, .nan, 3, 2])                 // a NaN wins against larger values after it
        set(0, 2, 12, [.nan, 2, 1, 0])
        set(1, 0, 2, [-1, -2, -0.5, -3])              // all negative: relu gives 0, no gradient
        set(1, 2, 34, [-0.0, -1, -2, -0.0])           // −0 wins (the first), no gradient
        set(1, 2, 10, [0, 0, 4, 0])
        let x = Tensor(shape: [2, 1, h, w], values: values, dtype: dtype)
        let mean = Tensor.zeros([1], dtype: dtype), variance = Tensor.ones([1], dtype: dtype)
        let weight = Tensor.ones([1], dtype: dtype).requiringGrad(), bias = Tensor(shape: [1], values: [-0.0], dtype: dtype)
        let upstream = BatchNormReLUTests.normal([2, 1, h / 2, w / 2], seed: 22, dtype: dtype)
        func run(fused: Bool) -> (y: Tensor, dx: Tensor?, dw: Tensor?) {
            let xc = x.detach().requiringGrad(), wc = weight.detach().requiringGrad()
            let y = fused
                ? Functional.batchNormReLUMaxPool2x2(xc, runningMean: mean, runningVar: variance, weight: wc, bias: bias, training: false,
                                                     eps: 0)
                : Functional.maxPool2d(Functional.batchNorm(xc, runningMean: mean, runningVar: variance, weight: wc, bias: bias,
                                                            training: false, eps: 0).relu(), kernelSize: (2, 2))
            y.backward(upstream)
            return (y, xc.grad, wc.grad)
        }
        let fused = run(fused: true), separate = run(fused: false)
        let portable = KernelTesting.withPortableKernels { run(fused: true) }
        #expect(fused.y.gradFn?.name == "batchNormReLUMaxPool2x2")
        for (name, other) in [("separate", separate), ("plain kernels", portable)] {
            Self.expectIdentical(fused.y, other.y, "\(dtype) output against the \(name)")
            Self.expectIdentical(fused.dx, other.dx, "\(dtype) input gradient against the \(name)", zeroSign: false)
            Self.expectClose(fused.dw, other.dw, "\(dtype) weight gradient against the \(name)", tolerance: 1e-6)
        }
        let out = fused.y.scalars(as: Double.self), dx = fused.dx!.scalars(as: Double.self)
        let g = upstream.scalars(as: Double.self)
        let ow = w / 2
        func at(_ n: Int, _ y: Int, _ x: Int) -> Int { (n * h + y) * w + x }
        #expect(out[0] == 1 && dx[at(0, 0, 0)] != 0 && [at(0, 0, 1), at(0, 1, 0), at(0, 1, 1)].allSatisfy { dx[$0] == 0 },
                "a tie's gradient goes to the first")
        #expect(out[16] == 2 && dx[at(0, 0, 33)] == g[16] && dx[at(0, 1, 32)] == 0, "the first of two equal maxima in the tail vector wins")
        #expect(out[ow + 2].isNaN && dx[at(0, 3, 5)] == g[ow + 2] && dx[at(0, 2, 5)] == 0 && dx[at(0, 3, 4)] == 0,
                "the last NaN of a window wins, and passes its gradient on")
        #expect(out[ow + 4].isNaN && dx[at(0, 2, 9)] == g[ow + 4] && [at(0, 2, 8), at(0, 3, 8), at(0, 3, 9)].allSatisfy { dx[$0] == 0 },
                "a NaN keeps winning against a larger value after it")
        #expect(out[ow + 6].isNaN && dx[at(0, 2, 12)] == g[ow + 6] && [at(0, 2, 13), at(0, 3, 12), at(0, 3, 13)].allSatisfy { dx[$0] == 0 },
                "a NaN in the first place wins")
        let negative = (1 * h / 2 + 0) * ow + 1
        #expect(out[negative] == 0 && (0..<4).allSatisfy { dx[at(1, $0 / 2, 2 + $0 % 2)] == 0 }, "a window the ReLU zeroes passes no gradient")
        let negativeZero = (1 * h / 2 + 1) * ow + 17
        #expect(out[negativeZero] == 0 && out[negativeZero].sign == .minus, "−0 stays −0 (relu keeps it, the first of equal values wins)")
        #expect(dx[at(1, 2, 34)] == 0, "a winner of −0 passes no gradient")
        #expect(dx[at(1, 3, 10)] == g[(1 * h / 2 + 1) * ow + 5] && dx[at(1, 2, 10)] == 0, "the winner's gradient is the window's (γ·invstd = 1)")
    }

    @Test("which stacks fuse: only 2×2 windows with stride 2, no padding or dilation, an even size with ceilMode, no hooks; BatchNorm.normalizedReLUMaxPool2x2 likewise")
    func whichStacksFuse() {
        let x = BatchNormReLUTests.normal([4, 3, 6, 6], seed: 31, dtype: .float32).requiringGrad()
        func name(_ pool: MaxPool2d, _ input: Tensor = x) -> String? { Sequential { BatchNorm2d(3); ReLU(); pool }(input).gradFn?.name }
        #expect(name(MaxPool2d(2)) == "batchNormReLUMaxPool2x2")
        #expect(name(MaxPool2d(2, stride: 2, ceilMode: true)) == "batchNormReLUMaxPool2x2", "ceilMode with even sizes has the same windows")
        #expect(name(MaxPool2d(2, ceilMode: true), BatchNormReLUTests.normal([4, 3, 5, 6], seed: 32, dtype: .float32)) == "maxPool2d")
        #expect(name(MaxPool2d(3, stride: 2)) == "maxPool2d")
        #expect(name(MaxPool2d(2, stride: 1)) == "maxPool2d")
        #expect(name(MaxPool2d(2, padding: 1)) == "maxPool2d")
        #expect(name(MaxPool2d(2, dilation: 2)) == "maxPool2d")
        // An input smaller than a window is the pooling's error, as apart.
        let tiny = BatchNormReLUTests.normal([4, 3, 1, 6], seed: 33, dtype: .float32)
        #expect(throws: GradusError.self) { try GradusError.catching { _ = Sequential { BatchNorm2d(3); ReLU(); MaxPool2d(2) }(tiny) } }

        let bn = BatchNorm2d(3), relu = ReLU(), pool = MaxPool2d(2)
        let model = Sequential { bn; relu; pool }
        #expect(bn.normalizedReLUMaxPool2x2(x).gradFn?.name == "batchNormReLUMaxPool2x2")
        let hooks: [(String, () -> HookHandle)] = [
            ("a forward hook on the pooling", { pool.registerForwardHook { _, _, _ in nil } }),
            ("a backward hook on the pooling", { pool.registerFullBackwardHook { _, _, _ in nil } }),
            ("a forward pre-hook on the ReLU", { relu.registerForwardPreHook { _, _ in nil } }),
            ("a backward hook on the ReLU", { relu.registerFullBackwardHook { _, _, _ in nil } }),
        ]
        for (what, register) in hooks {
            let hook = register()
            // (A backward hook on the pooling makes its output the hook's node.)
            #expect(model(x).gradFn?.name != "batchNormReLUMaxPool2x2", "\(what) keeps the pooling apart")
            hook.remove()
            #expect(model(x).gradFn?.name == "batchNormReLUMaxPool2x2", "\(what), removed, fuses again")
        }
        var seen: Tensor?
        let normHook = bn.registerForwardHook { _, _, output in
            seen = output
            return nil
        }
        #expect(model(x).gradFn?.name == "maxPool2d")
        #expect(seen?.shape == [4, 3, 6, 6], "the BatchNorm hook saw the normalized values")
        #expect(bn.normalizedReLUMaxPool2x2(x).gradFn?.name == "maxPool2d", "called directly, a hooked layer runs apart too")
        normHook.remove()
        // An input that 2×2 pooling cannot take fails before the running statistics move.
        let flat = BatchNorm1d(3)
        #expect(throws: GradusError.self) { try GradusError.catching { _ = flat.normalizedReLUMaxPool2x2(BatchNormReLUTests.normal([4, 3, 6], seed: 34, dtype: .float32)) } }
        #expect(throws: GradusError.self) { try GradusError.catching { _ = bn.normalizedReLUMaxPool2x2(tiny) } }
        #expect(flat.numBatchesTracked?.scalars(as: Double.self) == [0] && flat.runningMean?.scalars(as: Float.self) == [0, 0, 0])
        bn.crossProcess = BatchNormReLUTests.SingleProcess()
        #expect(model(x).gradFn?.name == "maxPool2d", "synchronized statistics in training run the layers apart")
        bn.eval()
        #expect(model(x).gradFn?.name == "batchNormReLUMaxPool2x2", "evaluation uses the running statistics: fused")
    }

    @Test("second derivatives (createGraph) check in Float64 and equal the separate operations'")
    func secondDerivatives() {
        let x = BatchNormReLUTests.normal([3, 2, 4, 5], seed: 41, dtype: .float64), w = BatchNormReLUTests.normal([2], seed: 42, dtype: .float64)
        let b = Tensor(shape: [2], values: [0.3, -0.2], dtype: .float64)
        let mean = Tensor(shape: [2], values: [0.1, -0.1], dtype: .float64), variance = Tensor(shape: [2], values: [0.8, 1.3], dtype: .float64)
        func gradient(_ v: [Tensor], training: Bool, fused: Bool) -> Tensor {
            GradMode.with(enabled: true) {
                let x = v[0].requiresGrad ? v[0] : v[0].detach().requiringGrad()
                let y = fused
                    ? Functional.batchNormReLUMaxPool2x2(x, runningMean: mean.clone(), runningVar: variance.clone(), weight: v[1], bias: b,
                                                         training: training)
                    : Functional.maxPool2d(Functional.batchNorm(x, runningMean: mean.clone(), runningVar: variance.clone(), weight: v[1],
                                                                bias: b, training: training).relu(), kernelSize: (2, 2))
                let u = Tensor.linspace(0.5, 1.5, count: y.count, dtype: .float64).reshape(y.shape)
                return Autograd.gradients(of: (y * u).square().sum(), wrt: [x], createGraph: true)[0]
            }
        }
        for training in [true, false] {
            let report = GradCheck.check(inputs: [x, w]) { gradient($0, training: training, fused: true) }
            #expect(report.passed, "training \(training):\n\(report)")
            let fused = gradient([x, w], training: training, fused: true), separate = gradient([x, w], training: training, fused: false)
            let worst = zip(fused.scalars(as: Double.self), separate.scalars(as: Double.self)).map { abs($0 - $1) }.max() ?? 0
            #expect(worst < 1e-12, "training \(training): recorded gradients differ by \(worst)")
        }
    }
}
