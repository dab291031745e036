import Gradus
import GradusTestSupport
import Testing

/// Central-difference gradient checks in Float64 of the convolution, pooling and normalization
/// primitives, on small shapes.
@Suite("Gradient checks (Float64)")
struct NNGradCheckTests {
    func normal(_ shape: [Int], seed: UInt64) -> Tensor {
        var rng = SeededGenerator(seed: seed)
        return Tensor.normal(shape, dtype: .float64, generator: &rng)
    }

    func expectPasses(_ report: GradCheckReport, _ what: String) {
        #expect(report.passed, "\(what):\n\(report)")
    }

    @Test func unfoldAndFold() {
        let x = normal([2, 2, 4, 5], seed: 1)
        expectPasses(GradCheck.check(inputs: [x]) {
            Functional.unfold($0[0], kernelSize: (2, 3), stride: (2, 1), padding: (1, 1), dilation: (1, 2))
        }, "unfold")
        let cols = normal([1, 6, 2 * 4], seed: 2)
        expectPasses(GradCheck.check(inputs: [cols]) {
            Functional.fold($0[0], outputSize: (3, 4), kernelSize: (2, 2), stride: (1, 1), padding: (0, 0))
        }, "fold")
    }

    @Test func conv2d() {
        let x = normal([2, 4, 5, 5], seed: 3), w = normal([6, 2, 3, 2], seed: 4), b = normal([6], seed: 5)
        expectPasses(GradCheck.check(inputs: [x, w, b]) {
            Functional.conv2d($0[0], weight: $0[1], bias: $0[2], stride: (2, 1), padding: (1, 1), dilation: (1, 2), groups: 2)
        }, "conv2d groups")
        let w1 = normal([3, 4, 2, 2], seed: 6)
        expectPasses(GradCheck.check(inputs: [x, w1]) {
            Functional.conv2d($0[0], weight: $0[1], stride: (1, 1), padding: (0, 1))
        }, "conv2d")
        // "same" with an even kernel: one zero more at the bottom and right than at the top and left.
        expectPasses(GradCheck.check(inputs: [x, w1]) {
            Functional.conv2d($0[0], weight: $0[1], padding: .same)
        }, "conv2d same")
        #expect(Functional.conv2d(x, weight: w1, padding: .same).shape == [2, 3, 5, 5])
        #expect(Functional.conv1d(normal([2, 3, 7], seed: 7), weight: normal([2, 3, 4], seed: 8), padding: .same).shape == [2, 2, 7])
    }

    @Test("a convolution over zero input channels is the bias on every path (an empty sum)",
          arguments: [(stride: 1, padding: 1), (stride: 2, padding: 0)])
    func zeroInputChannels(_ c: (stride: Int, padding: Int)) {
        let x = Tensor.zeros([2, 0, 5, 5], dtype: .float64), w = Tensor.zeros([3, 0, 3, 3], dtype: .float64)
        let b = normal([3], seed: 41)
        let y = Functional.conv2d(x, weight: w, bias: b, stride: (c.stride, c.stride), padding: (c.padding, c.padding))
        let plane = y.shape[2] * y.shape[3]
        let expected = (0..<2).flatMap { _ in b.scalars(as: Double.self).flatMap { [Double](repeating: $0, count: plane) } }
        #expect(y.scalars(as: Double.self) == expected)
        let noBias = Functional.conv2d(x, weight: w, stride: (c.stride, c.stride), padding: (c.padding, c.padding))
        #expect(noBias.scalars(as: Double.self).allSatisfy { $0 == 0 })
    }

    @Test("ungrouped conv2d on each kernel path: wide rows, strided, pointwise, dilated",
          arguments: [(stride: 1, padding: 2, dilation: 2, kernel: 3), (stride: 2, padding: 1, dilation: 1, kernel: 3),
                      (stride: 1, padding: 0, dilation: 1, kernel: 1), (stride: 3, padding: 0, dilation: 2, kernel: 2)])
    func conv2dPaths(_ c: (stride: Int, padding: Int, dilation: Int, kernel: Int)) {
        let x = normal([2, 3, 6, 5], seed: 31), w = normal([4, 3, c.kernel, c.kernel], seed: 32), b = normal([4], seed: 33)
        expectPasses(GradCheck.check(inputs: [x, w, b]) {
            Functional.conv2d($0[0], weight: $0[1], bias: $0[2], stride: (c.stride, c.stride),
                              padding: (c.padding, c.padding), dilation: (c.dilation, c.dilation))
        }, "conv2d \(c)")
    }

    @Test func conv1d() {
        let x = normal([2, 2, 7], seed: 7), w = normal([4, 2, 3], seed: 8), b = normal([4], seed: 9)
        expectPasses(GradCheck.check(inputs: [x, w, b]) {
            Functional.conv1d($0[0], weight: $0[1], bias: $0[2], stride: 2, padding: 1, dilation: 2)
        }, "conv1d")
    }

    @Test func convTranspose2d() {
        let x = normal([2, 4, 3, 3], seed: 10), w = normal([4, 1, 3, 2], seed: 11), b = normal([2], seed: 12)
        expectPasses(GradCheck.check(inputs: [x, w, b]) {
            Functional.convTranspose2d($0[0], weight: $0[1], bias: $0[2], stride: (2, 1), padding: (1, 0),
                                       outputPadding: (1, 0), groups: 2)
        }, "convTranspose2d")
    }

    @Test func pooling() {
        let x = normal([2, 2, 5, 6], seed: 13)
        expectPasses(GradCheck.check(inputs: [x]) {
            Functional.maxPool2d($0[0], kernelSize: (3, 2), stride: (2, 2), padding: (1, 1))
        }, "maxPool2d")
        expectPasses(GradCheck.check(inputs: [x]) {
            Functional.avgPool2d($0[0], kernelSize: (3, 3), stride: (2, 2), padding: (1, 1), countIncludePad: false)
        }, "avgPool2d")
        expectPasses(GradCheck.check(inputs: [x]) {
            Functional.maxPool2d($0[0], kernelSize: (2, 3), stride: (2, 2), ceilMode: true)
        }, "maxPool2d ceil mode")
        expectPasses(GradCheck.check(inputs: [x]) {
            Functional.avgPool2d($0[0], kernelSize: (2, 2), stride: (2, 2), padding: (0, 1), ceilMode: true)
        }, "avgPool2d ceil mode")
        expectPasses(GradCheck.check(inputs: [x]) {
            Functional.adaptiveAvgPool2d($0[0], outputSize: (3, 4))
        }, "adaptiveAvgPool2d")
    }

    @Test func normalization() {
        let x = normal([4, 3, 2, 2], seed: 14), g = normal([3], seed: 15), b = normal([3], seed: 16)
        expectPasses(GradCheck.check(inputs: [x, g, b]) {
            Functional.batchNorm($0[0], runningMean: nil, runningVar: nil, weight: $0[1], bias: $0[2], training: true)
        }, "batchNorm training")
        let mean = normal([3], seed: 17), variance = normal([3], seed: 18).abs() + 0.5
        expectPasses(GradCheck.check(inputs: [x, g, b]) {
            Functional.batchNorm($0[0], runningMean: mean, runningVar: variance, weight: $0[1], bias: $0[2], training: false)
        }, "batchNorm eval")
        let y = normal([2, 3, 4], seed: 19), lw = normal([3, 4], seed: 20), lb = normal([3, 4], seed: 21)
        expectPasses(GradCheck.check(inputs: [y, lw, lb]) {
            Functional.layerNorm($0[0], normalizedShape: [3, 4], weight: $0[1], bias: $0[2])
        }, "layerNorm")
        let z = normal([2, 4, 3], seed: 22), gw = normal([4], seed: 23), gb = normal([4], seed: 24)
        expectPasses(GradCheck.check(inputs: [z, gw, gb]) {
            Functional.groupNorm($0[0], groups: 2, weight: $0[1], bias: $0[2])
        }, "groupNorm")
    }

    @Test func layersInFloat64() {
        var rng = SeededGenerator(seed: 25)
        let conv = Conv2d(2, 3, kernelSize: 2, dtype: .float64, generator: &rng)
        let bn = BatchNorm2d(3, dtype: .float64)
        let x = normal([3, 2, 3, 3], seed: 26)
        expectPasses(GradCheck.check(inputs: [x]) { bn(conv($0[0])) }, "Conv2d + BatchNorm2d")
    }

    /// ∂(Σ f(x, rest)²)/∂x with its graph kept, so that it can be checked again: finite differences
    /// evaluate it without recording, so it makes `x` a leaf that requires gradients when it is not one.
    func inputGradient(_ v: [Tensor], _ f: ([Tensor]) -> Tensor) -> Tensor {
        GradMode.with(enabled: true) {
            let x = v[0].requiresGrad ? v[0] : v[0].detach().requiringGrad()
            let y = f([x] + v.dropFirst())
            return Autograd.gradients(of: y.square().sum(), wrt: [x], createGraph: true)[0]
        }
    }

    @Test func secondDerivatives() {
        // Backward rules are made of differentiable primitives, so gradients can be differentiated.
        let x = normal([1, 2, 4, 4], seed: 27), w = normal([2, 2, 2, 2], seed: 28)
        expectPasses(GradCheck.check(inputs: [x, w]) { v in
            inputGradient(v) { Functional.conv2d($0[0], weight: $0[1], padding: (1, 1)) }
        }, "conv2d double backward")
        expectPasses(GradCheck.check(inputs: [x]) { v in
            inputGradient(v) { Functional.maxPool2d($0[0], kernelSize: (2, 2)) }
        }, "maxPool2d double backward")
        // The weight's gradient differentiated again, on the strided and wide paths.
        for (stride, padding) in [(2, 1), (1, 0)] {
            expectPasses(GradCheck.check(inputs: [x, w]) { v in
                GradMode.with(enabled: true) {
                    let wv = v[1].requiresGrad ? v[1] : v[1].detach().requiringGrad()
                    let y = Functional.conv2d(v[0], weight: wv, stride: (stride, stride), padding: (padding, padding))
                    return Autograd.gradients(of: y.square().sum(), wrt: [wv], createGraph: true)[0]
                }
            }, "conv2d weight double backward, stride \(stride)")
        }
    }
}

/// Unflatten is a reshape of one axis: values, the inferred size, its gradient (Float64) and refusals.
@Suite("Unflatten")
struct UnflattenTests {
    @Test func splitsOneAxisLikeReshape() throws {
        var rng = SeededGenerator(seed: 7)
        let x = Tensor.normal([2, 12, 3], dtype: .float64, generator: &rng)
        let y = Unflatten(axis: -2, sizes: [3, -1])(x)
        #expect(y.shape == [2, 3, 4, 3] && y.scalars(as: Double.self) == x.scalars(as: Double.self))
        let report = GradCheck.check(inputs: [x]) { (Unflatten(axis: 1, sizes: [4, 3])($0[0]) * $0[0].reshape([2, 4, 3, 3])).sum() }
        #expect(report.passed, "\(report)")
        #expect(throws: GradusError.self) { try GradusError.catching { _ = Unflatten(axis: 3, sizes: [1])(x) } }
        #expect(throws: GradusError.self) { try GradusError.catching { _ = Unflatten(axis: 1, sizes: [5, 3])(x) } }
    }
}
