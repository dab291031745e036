@_spi(KernelTesting) import Gradus
import GradusTestSupport
import Testing

/// Batch normalization followed by ReLU as one recorded operation (`Functional.batchNormReLU`, which
/// ``Sequential`` runs for a BatchNorm layer and a ReLU layer): the same values, gradients and running
/// statistics as the two layers run apart, bit for bit (but for the sign of a zero gradient), in
/// training and evaluation, both float dtypes, ranks 2 to 5, a tensor split over threads, the plain C
/// kernels; the ReLU's edges (outputs exactly 0, −0, NaN); hooks and synchronized statistics keep the
/// layers apart; second derivatives. The backward recomputes the ReLU's mask from x: values built to
/// normalize to exactly 0 (where a fused multiply-add would not) in vector lanes and tails check that
/// it rounds as the forward did.
@Suite("Batch normalization fused with ReLU")
struct BatchNormReLUTests {
    init() {
        // The split over channels needs at least two threads; the default is the number of cores.
        if Threading.count < 2 { Threading.count = 2 }
    }

    static func normal(_ shape: [Int], seed: UInt64, dtype: DType) -> Tensor {
        var rng = SeededGenerator(seed: seed)
        return Tensor.normal(shape, dtype: dtype, generator: &rng)
    }

    static func layer(rank: Int, channels: Int, dtype: DType, affine: Bool) -> BatchNorm {
        let bn: BatchNorm = switch rank {
        case 2, 3: BatchNorm1d(channels, affine: affine, dtype: dtype)
        case 4: BatchNorm2d(channels, affine: affine, dtype: dtype)
        default: BatchNorm3d(channels, affine: affine, dtype: dtype)
        }
        if affine {
            GradMode.noGrad {
                // γ of both signs (a negative γ flips which inputs the ReLU keeps), β around 0.
                _ = bn.weight!.assign(normal([channels], seed: 7, dtype: dtype) + 0.3)
                _ = bn.bias!.assign(normal([channels], seed: 8, dtype: dtype) * 0.5)
            }
        }
        return bn
    }

    /// Values equal (bit for bit but for the sign of a zero: an evaluation-mode input gradient that the
    /// ReLU masks is −0 for a negative γ where the separate backward adds a +0 shift), or NaN in both.
    static func expectIdentical(_ a: Tensor?, _ b: Tensor?, _ what: String) {
        guard let a, let b else {
            #expect(a == nil && b == nil, "\(what): one side has no tensor")
            return
        }
        #expect(a.shape == b.shape && a.dtype == b.dtype, "\(what): \(a.shape) \(a.dtype) against \(b.shape) \(b.dtype)")
        let x = a.scalars(as: Double.self), y = b.scalars(as: Double.self)
        let differing = zip(x, y).enumerated().filter { _, p in !(p.0 == p.1 || (p.0.isNaN && p.1.isNaN)) }
        #expect(differing.isEmpty, "\(what): \(differing.count) of \(x.count) values differ, first at \(differing.first.map { "\($0.offset): \($0.element)" } ?? "")")
    }

    /// Runs `Sequential { bn; ReLU() }` and `ReLU()(twin(x))` with a twin layer of the same state on the
    /// same input, and compares outputs, the three gradients and the running statistics.
    static func compareWithSeparateLayers(_ x: Tensor, affine: Bool, training: Bool, _ what: String) {
        let channels = x.shape[1], dtype = x.dtype
        let fusedLayer = layer(rank: x.rank, channels: channels, dtype: dtype, affine: affine)
        let twin = layer(rank: x.rank, channels: channels, dtype: dtype, affine: affine)
        // Running statistics away from their defaults, so that evaluation mode uses them visibly.
        GradMode.noGrad {
            for bn in [fusedLayer, twin] {
                _ = bn.runningMean!.assign(normal([channels], seed: 9, dtype: dtype) * 0.2)
                _ = bn.runningVar!.assign(normal([channels], seed: 10, dtype: dtype).abs() + 0.5)
            }
        }
        for bn in [fusedLayer, twin] { bn.train(training) }
        let model = Sequential { fusedLayer; ReLU() }
        let xa = x.detach().requiringGrad(), xb = x.detach().requiringGrad()
        let ya = model(xa), yb = ReLU()(twin(xb))
        #expect(ya.gradFn?.name == "batchNormReLU", "\(what): the output's operation is \(ya.gradFn?.name ?? "none")")
        expectIdentical(ya, yb, "\(what) output")
        expectIdentical(fusedLayer.runningMean, twin.runningMean, "\(what) running mean")
        expectIdentical(fusedLayer.runningVar, twin.runningVar, "\(what) running variance")
        let upstream = normal(x.shape, seed: 11, dtype: dtype)
        ya.backward(upstream)
        yb.backward(upstream)
        expectIdentical(xa.grad, xb.grad, "\(what) input gradient")
        expectIdentical(fusedLayer.weight?.grad, twin.weight?.grad, "\(what) weight gradient")
        expectIdentical(fusedLayer.bias?.grad, twin.bias?.grad, "\(what) bias gradient")
    }

    /// `Functional.batchNormReLU` and `Functional.batchNorm(…).relu()` on copies of `x` and `weight` that
    /// require gradients (running statistics cloned for each), both backward with `upstream`.
    static func fusedAndSeparate(_ x: Tensor, weight: Tensor, bias: Tensor, mean: Tensor, variance: Tensor, training: Bool,
                                 upstream: Tensor) -> [(y: Tensor, dx: Tensor?, dw: Tensor?)] {
        [true, false].map { fused in
            let xc = x.detach().requiringGrad(), wc = weight.detach().requiringGrad()
            let y = fused
                ? Functional.batchNormReLU(xc, runningMean: mean.clone(), runningVar: variance.clone(), weight: wc, bias: bias,
                                           training: training)
                : Functional.batchNorm(xc, runningMean: mean.clone(), runningVar: variance.clone(), weight: wc, bias: bias,
                                       training: training).relu()
            y.backward(upstream)
            return (y, xc.grad, wc.grad)
        }
    }

    static let shapes: [[Int]] = [[7, 3], [4, 3, 5], [3, 4, 5, 6], [2, 3, 4, 3, 5], [64, 8, 16, 16]]

    @Test("a BatchNorm layer and a ReLU layer in a Sequential: one operation with the values, gradients and statistics of the two",
          arguments: shapes, [DType.float32, .float64])
    func matchesSeparateLayers(_ shape: [Int], _ dtype: DType) {
        let x = Self.normal(shape, seed: 1, dtype: dtype) * 2 + 0.5
        for training in [true, false] {
            for affine in [true, false] {
                Self.compareWithSeparateLayers(x, affine: affine, training: training,
                                               "\(shape) \(dtype) training \(training) affine \(affine)")
            }
        }
    }

    @Test("the plain C kernels (processors without AVX2+FMA, forced) agree with the separate layers too")
    func portableKernels() {
        KernelTesting.withPortableKernels {
            for dtype in [DType.float32, .float64] {
                for training in [true, false] {
                    Self.compareWithSeparateLayers(Self.normal([3, 4, 5, 7], seed: 2, dtype: dtype), affine: true, training: training,
                                                   "portable \(dtype) training \(training)")
                }
            }
        }
    }

    @Test("the ReLU's edges: outputs exactly 0 get no gradient, −0 stays −0, a NaN channel passes its gradient on",
          arguments: [DType.float32, .float64])
    func reluEdges(_ dtype: DType) {
        // Channel 0 constant (variance 0: every output is β = 0 exactly), channel 1 with a NaN, channel 2
        // ordinary (β = −0).
        var values = [Double](repeating: 0, count: 4 * 3 * 5)
        for n in 0..<4 {
            for s in 0..<5 {
                values[(n * 3 + 0) * 5 + s] = 0.75
                values[(n * 3 + 1) * 5 + s] = Double(n * 5 + s) - 9.5
                values[(n * 3 + 2) * 5 + s] = Double((n * 7 + s * 3) % 11) - 5
            }
        }
        values[(2 * 3 + 1) * 5 + 3] = .nan
        let x = Tensor(shape: [4, 3, 5], values: values, dtype: dtype)
        let weight = Tensor(shape: [3], values: [1.5, -0.5, 2], dtype: dtype), bias = Tensor(shape: [3], values: [0, 0.25, -0.0], dtype: dtype)
        for training in [true, false] {
            let mean = Tensor(shape: [3], values: [0.75, 0, -0.0], dtype: dtype), variance = Tensor.ones([3], dtype: dtype)
            let runs = Self.fusedAndSeparate(x, weight: weight, bias: bias, mean: mean, variance: variance, training: training,
                                             upstream: Self.normal([4, 3, 5], seed: 3, dtype: dtype))
            let (ya, yb) = (runs[0].y, runs[1].y)
            Self.expectIdentical(ya, yb, "\(dtype) training \(training) output")
            let channel0 = (0..<4).flatMap { n in (0..<5).map { (n * 3) * 5 + $0 } }
            let out = ya.scalars(as: Double.self)
            #expect(channel0.allSatisfy { out[$0] == 0 }, "the constant channel's outputs are β = 0")
            Self.expectIdentical(runs[0].dx, runs[1].dx, "\(dtype) training \(training) input gradient")
            Self.expectIdentical(runs[0].dw, runs[1].dw, "\(dtype) training \(training) weight gradient")
            let dx = runs[0].dx!.scalars(as: Double.self)
            #expect(channel0.allSatisfy { dx[$0] == 0 }, "outputs exactly 0 pass no gradient (PyTorch's relu backward)")
            let channel1 = (0..<4).flatMap { n in (0..<5).map { (n * 3 + 1) * 5 + $0 } }
            if training {
                #expect(channel1.allSatisfy { out[$0].isNaN && dx[$0].isNaN }, "a NaN makes its channel's outputs and gradients NaN")
            }
        }
        // −0: a constant channel with γ < 0 and β = −0 normalizes to 0·γ + β = −0, which relu keeps
        // (x < 0 is false), as PyTorch's does.
        let zero = Functional.batchNormReLU(Tensor(shape: [2, 1], values: [-1, -1], dtype: dtype), runningMean: nil, runningVar: nil,
                                            weight: Tensor(shape: [1], values: [-1], dtype: dtype),
                                            bias: Tensor(shape: [1], values: [-0.0], dtype: dtype), training: true)
        #expect(zero.scalars(as: Double.self).allSatisfy { $0 == 0 && $0.sign == .minus })
    }

    @Test("values that normalize to exactly 0 (where a fused multiply-add would not), −0 and NaN, in vector lanes and the tail: the backward's recomputed mask is the output's, training and evaluation",
          arguments: [DType.float32, .float64])
    func roundingTies(_ dtype: DType) {
        // [2, 4, 21]: planes of 21 values (vectors of 8 floats or 4 doubles, then a tail).
        let c = 4, s = 21, shape = [2, c, s]
        var values = Self.normal(shape, seed: 61, dtype: .float64).scalars(as: Double.self).map { $0 * 1.7 + 0.3 }
        // Channel 3: its running mean (0.25) at a vector lane and in the tail, a NaN at another lane.
        for (n, position) in [(0, 2), (1, 20)] { values[(n * c + 3) * s + position] = 0.25 }
        values[(1 * c + 3) * s + 9] = .nan
        let x = Tensor(shape: shape, values: values, dtype: dtype)
        let weight = Tensor(shape: [c], values: [1.3, 0.7, 2.1, -1.5], dtype: dtype)
        let mean = Tensor(shape: [c], values: [0.1, -0.2, 0.05, 0.25], dtype: dtype)
        let variance = Tensor(shape: [c], values: [0.9, 1.1, 1.3, 0.8], dtype: dtype)
        // Channels 0-2: the sample-1 value at a vector's first lane, a middle lane and the tail.
        let ties = [0, 5, 19].enumerated().map { channel, position in (1 * c + channel) * s + position }
        for training in [true, false] {
            // The normalized values without a shift, then β = −(the value at each tie), so that it
            // normalizes to fl(fl((x − μ)·scale) + β) = 0 exactly (a fused multiply-add would leave the
            // product's rounding error); channel 3's β is −0.
            let unshifted = Functional.batchNorm(x, runningMean: mean.clone(), runningVar: variance.clone(), weight: weight, bias: nil,
                                                 training: training).scalars(as: Double.self)
            let bias = Tensor(shape: [c], values: ties.map { -unshifted[$0] } + [-0.0], dtype: dtype)
            let runs = Self.fusedAndSeparate(x, weight: weight, bias: bias, mean: mean, variance: variance, training: training,
                                             upstream: Self.normal(shape, seed: 62, dtype: dtype))
            let (ya, yb) = (runs[0].y, runs[1].y)
            let out = ya.scalars(as: Double.self)
            #expect(ties.allSatisfy { out[$0] == 0 }, "\(dtype) training \(training): the ties normalize to exactly 0: \(ties.map { out[$0] })")
            #expect(zip(out, yb.scalars(as: Double.self)).allSatisfy { $0.bitPattern == $1.bitPattern || ($0.isNaN && $1.isNaN) },
                    "\(dtype) training \(training): outputs differ in a bit (a sign of zero included)")
            if !training {
                let negativeZeros = [(0 * c + 3) * s + 2, (1 * c + 3) * s + 20]
                #expect(negativeZeros.allSatisfy { out[$0] == 0 && out[$0].sign == .minus }, "0·γ + (−0) with γ < 0 is −0, kept by the ReLU: \(negativeZeros.map { out[$0] }), inputs \(negativeZeros.map { values[$0] })")
                #expect(out[(1 * c + 3) * s + 9].isNaN)
            }
            Self.expectIdentical(runs[0].dx, runs[1].dx, "\(dtype) training \(training) input gradient")
            Self.expectIdentical(runs[0].dw, runs[1].dw, "\(dtype) training \(training) weight gradient")
        }
    }

    @Test("hooks keep the two layers apart: the ReLU's hook sees its input, the BatchNorm's hook the values before the ReLU; BatchNorm.normalizedReLU likewise")
    func hooksKeepLayersApart() {
        let bn = BatchNorm2d(3), relu = ReLU()
        let model = Sequential { bn; relu }
        let x = Self.normal([4, 3, 2, 2], seed: 4, dtype: .float32).requiringGrad()
        #expect(model(x).gradFn?.name == "batchNormReLU")
        let direct = bn.normalizedReLU(x)
        #expect(direct.gradFn?.name == "batchNormReLU")
        Self.expectIdentical(direct, model(x), "the layer's normalizedReLU and the Sequential")
        var seenByNorm: Tensor?
        let normHook = bn.registerForwardHook { _, _, output in
            seenByNorm = output
            return nil
        }
        let y = model(x)
        #expect(y.gradFn?.name == "relu")
        #expect(bn.normalizedReLU(x).gradFn?.name == "relu", "called directly, a hooked layer runs apart too")
        #expect(seenByNorm.map { $0.scalars(as: Float.self).contains { $0 < 0 } } == true, "the BatchNorm hook saw normalized values")
        normHook.remove()
        let reluHook = relu.registerForwardPreHook { _, _ in nil }
        #expect(model(x).gradFn?.name == "relu")
        reluHook.remove()
        let backwardHook = bn.registerFullBackwardHook { _, _, _ in nil }
        #expect(model(x).gradFn?.name == "relu")
        backwardHook.remove()
        #expect(model(x).gradFn?.name == "batchNormReLU")
        // Synchronized statistics in training run the two layers apart (the cross-process path).
        bn.crossProcess = SingleProcess()
        #expect(model(x).gradFn?.name == "relu")
        bn.eval()
        #expect(model(x).gradFn?.name == "batchNormReLU", "evaluation uses the running statistics: no reduction, fused")
    }

    /// A reduction over one process: the sum is the tensor.
    final class SingleProcess: CrossProcessReduction, @unchecked Sendable {
        func sumAcrossProcesses(_ tensor: Tensor) throws -> Tensor { tensor * 1 }
        func sumZerosAcrossProcesses(count: Int, dtype: DType) throws {}
    }

    @Test("second derivatives (createGraph) check in Float64 and equal the separate operations'")
    func secondDerivatives() {
        let x = Self.normal([4, 2, 3], seed: 5, dtype: .float64), w = Self.normal([2], seed: 6, dtype: .float64)
        let b = Tensor(shape: [2], values: [0.3, -0.2], dtype: .float64)
        let mean = Tensor(shape: [2], values: [0.1, -0.1], dtype: .float64), variance = Tensor(shape: [2], values: [0.8, 1.3], dtype: .float64)
        func gradient(_ v: [Tensor], training: Bool, fused: Bool) -> Tensor {
            GradMode.with(enabled: true) {
                let x = v[0].requiresGrad ? v[0] : v[0].detach().requiringGrad()
                let y = fused
                    ? Functional.batchNormReLU(x, runningMean: mean.clone(), runningVar: variance.clone(), weight: v[1], bias: b, training: training)
                    : Functional.batchNorm(x, runningMean: mean.clone(), runningVar: variance.clone(), weight: v[1], bias: b, training: training).relu()
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
