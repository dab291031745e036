@_spi(KernelTesting) import Gradus
import GradusTestSupport
import Testing

/// Grouped convolutions (depthwise, depth multipliers, ResNeXt-style groups) on both backends against
/// the same convolution written as one ungrouped convolution per group, in Float64: values, input,
/// weight and bias gradients. The ungrouped path is checked against PyTorch and finite differences
/// elsewhere, so this checks the grouping itself (channel and filter offsets, per-group sums) and
/// oneDNN's grouped kernels.
@Suite("Grouped convolutions")
struct GroupedConvolutionTests {
    struct Geometry: Sendable, CustomTestStringConvertible {
        var batch: Int, inChannels: Int, size: (Int, Int), outChannels: Int, groups: Int
        var kernel: (Int, Int), stride = (1, 1), padding = (0, 0), dilation = (1, 1)
        var bias = true
        var scale: Float = 1

        var testDescription: String {
            "\(batch)×\(inChannels)×\(size.0)×\(size.1) → \(outChannels) in \(groups) groups, kernel \(kernel), stride \(stride), "
                + "padding \(padding), dilation \(dilation)" + (bias ? "" : ", no bias") + (scale == 1 ? "" : ", scale \(scale)")
        }
    }

    static let geometries: [Geometry] = [
        // Depthwise 3×3 (MobileNet), stride 1 and 2.
        Geometry(batch: 4, inChannels: 32, size: (10, 12), outChannels: 32, groups: 32, kernel: (3, 3), padding: (1, 1)),
        Geometry(batch: 3, inChannels: 24, size: (11, 9), outChannels: 24, groups: 24, kernel: (3, 3), stride: (2, 2), padding: (1, 1),
                 bias: false),
        // Depthwise 5×5 (oneDNN's weight gradient is its matrix-product kernel: refused, unfolded).
        Geometry(batch: 2, inChannels: 16, size: (9, 9), outChannels: 16, groups: 16, kernel: (5, 5), padding: (2, 2)),
        // A depth multiplier of 2 (every pass refused by oneDNN: unfolded per group), dilated.
        Geometry(batch: 2, inChannels: 8, size: (9, 10), outChannels: 16, groups: 8, kernel: (3, 3), padding: (2, 2), dilation: (2, 2)),
        // 4 channels per group (the weight gradient refused), 8 channels per group, 2 groups of 16.
        Geometry(batch: 3, inChannels: 32, size: (8, 8), outChannels: 32, groups: 8, kernel: (3, 3), padding: (1, 1)),
        Geometry(batch: 2, inChannels: 64, size: (6, 7), outChannels: 32, groups: 8, kernel: (3, 3), stride: (1, 2), padding: (1, 1)),
        Geometry(batch: 2, inChannels: 32, size: (7, 7), outChannels: 48, groups: 2, kernel: (3, 3), padding: (1, 1)),
        // Pointwise grouped (unfolded on both backends: one product per group).
        Geometry(batch: 2, inChannels: 12, size: (5, 5), outChannels: 6, groups: 3, kernel: (1, 1)),
        // One image with enough work to split over two threads; an odd batch over two threads.
        Geometry(batch: 1, inChannels: 64, size: (24, 24), outChannels: 64, groups: 64, kernel: (3, 3), padding: (1, 1)),
        Geometry(batch: 5, inChannels: 16, size: (6, 6), outChannels: 16, groups: 16, kernel: (3, 3), padding: (1, 1)),
        // Unequal kernel sides and strides, windows entirely in the padding, one output position.
        Geometry(batch: 2, inChannels: 16, size: (7, 9), outChannels: 16, groups: 16, kernel: (3, 2), stride: (2, 3), padding: (3, 2)),
        Geometry(batch: 3, inChannels: 16, size: (4, 5), outChannels: 16, groups: 16, kernel: (4, 5)),
        // Huge and tiny magnitudes.
        Geometry(batch: 2, inChannels: 16, size: (6, 6), outChannels: 16, groups: 16, kernel: (3, 3), padding: (1, 1), scale: 1e15),
        Geometry(batch: 2, inChannels: 16, size: (6, 6), outChannels: 16, groups: 4, kernel: (3, 3), padding: (1, 1), scale: 1e-18),
    ]

    /// The output and the gradients of sum(output · upstream) for input, weight and bias, computed by
    /// one grouped convolution or (`perGroup`) by one ungrouped convolution per group, concatenated.
    static func run(_ g: Geometry, dtype: DType, perGroup: Bool) -> [Tensor] {
        let xShape = [g.batch, g.inChannels, g.size.0, g.size.1], wShape = [g.outChannels, g.inChannels / g.groups, g.kernel.0, g.kernel.1]
        func make(_ shape: [Int], seed: UInt64, scale: Float) -> Tensor {
            Tensor(shape: shape, values: ConvolutionBackendTests.values(shape, seed: seed, scale: scale).map(Double.init), dtype: dtype)
                .requiringGrad()
        }
        let x = make(xShape, seed: 11, scale: g.scale), w = make(wShape, seed: 12, scale: g.scale)
        let b = make([g.outChannels], seed: 13, scale: g.scale * g.scale)
        let y: Tensor
        if perGroup {
            let (cg, og) = (g.inChannels / g.groups, g.outChannels / g.groups)
            y = Tensor.concatenate((0..<g.groups).map { i in
                Functional.conv2d(x.narrow(axis: 1, start: i * cg, length: cg), weight: w.narrow(axis: 0, start: i * og, length: og),
                                  bias: g.bias ? b.narrow(axis: 0, start: i * og, length: og) : nil,
                                  stride: g.stride, padding: g.padding, dilation: g.dilation)
            }, axis: 1)
        } else {
            y = Functional.conv2d(x, weight: w, bias: g.bias ? b : nil, stride: g.stride, padding: g.padding, dilation: g.dilation,
                                  groups: g.groups)
        }
        let u = Tensor(shape: y.shape, values: ConvolutionBackendTests.values(y.shape, seed: 14, scale: 1).map(Double.init), dtype: dtype)
        (y * u).sum().backward()
        return [y, x.grad!, w.grad!] + (g.bias ? [b.grad!] : [])
    }

    /// The kernels oneDNN runs for the three passes at one thread ("" where it offers none worth running).
    static func kernels(_ g: Geometry) -> [String] {
        Threading.withCount(1) {
            (0..<3).map {
                KernelTesting.convolutionKernel(pass: $0, batch: g.batch, inChannels: g.inChannels, height: g.size.0, width: g.size.1,
                                                outChannels: g.outChannels, kernel: g.kernel, stride: g.stride, padding: g.padding,
                                                dilation: g.dilation, groups: g.groups)
            }
        }
    }

    @Test("Float64: one grouped convolution equals one ungrouped convolution per group", arguments: geometries)
    func float64MatchesPerGroup(_ g: Geometry) {
        let grouped = Self.run(g, dtype: .float64, perGroup: false), reference = Self.run(g, dtype: .float64, perGroup: true)
        ConvolutionBackendTests.expectClose(grouped, reference, "Float64", tolerance: 1e-12)
    }

    @Test("Float32 on each backend, at one and two threads, agrees with Float64; the passes given to oneDNN run there",
          arguments: geometries, [ConvolutionBackend.oneDNN, .unfolded])
    func float32AgreesWithFloat64(_ g: Geometry, backend: ConvolutionBackend) {
        let expected = Self.run(g, dtype: .float64, perGroup: true)
        let rules = Threading.withCount(1) {
            KernelTesting.convolutionPassesOnOneDNN(batch: g.batch, inChannels: g.inChannels, height: g.size.0, width: g.size.1,
                                                    outChannels: g.outChannels, kernel: g.kernel, stride: g.stride,
                                                    padding: g.padding, dilation: g.dilation, groups: g.groups)
        }
        // Grouped convolutions go to oneDNN whatever their size, unless pointwise (one product per group).
        let pointwise = g.kernel == (1, 1) && g.stride == (1, 1) && g.padding == (0, 0)
        #expect(rules.forward == !pointwise && rules.inputGradient == !pointwise && rules.weightGradient == !pointwise, "\(rules)")
        let kernels = Self.kernels(g)
        for threads in [1, 2] {
            let before = KernelTesting.convolutionPassesRunOnOneDNN
            let actual = Threading.withCount(threads) {
                KernelTesting.withConvolutionBackend(backend) { Self.run(g, dtype: .float32, perGroup: false) }
            }
            ConvolutionBackendTests.expectClose(actual, expected, "\(backend), \(threads) thread(s)")
            #if arch(x86_64)
            if threads == 1 {
                // Each pass given to oneDNN for which it has a kernel worth running ran there, at one thread on this one.
                let given = [rules.forward, rules.inputGradient, rules.weightGradient]
                let predicted = backend == .unfolded ? 0 : zip(given, kernels).filter { $0 && !$1.isEmpty }.count
                #expect(KernelTesting.convolutionPassesRunOnOneDNN - before == predicted, "\(rules), kernels \(kernels)")
            }
            #endif
        }
    }

    @Test("oneDNN runs depthwise layers on its depthwise kernels and refuses its matrix-product kernel for grouped ones")
    func kernelChoice() {
        #if arch(x86_64)
        func usable(_ name: String) -> Bool { !name.isEmpty && !name.contains("gemm") && !name.hasPrefix("ref") }
        let depthwise = Geometry(batch: 8, inChannels: 32, size: (16, 16), outChannels: 32, groups: 32, kernel: (3, 3), padding: (1, 1))
        let names = Self.kernels(depthwise)
        #expect(names.allSatisfy(usable), "\(names)")   // oneDNN 2.6: jit_dw
        // A depth multiplier of 2: oneDNN 2.6 has only its matrix-product kernel ("gemm") for it, slower
        // than unfolding, which is refused (a later oneDNN may offer a direct one).
        let multiplier = Geometry(batch: 8, inChannels: 32, size: (16, 16), outChannels: 64, groups: 32, kernel: (3, 3), padding: (1, 1))
        let multiplierNames = Self.kernels(multiplier)
        #expect(multiplierNames.allSatisfy { $0.isEmpty || usable($0) }, "\(multiplierNames)")
        // 2 groups of 16 channels: its direct kernels.
        let wide = Geometry(batch: 8, inChannels: 32, size: (16, 16), outChannels: 32, groups: 2, kernel: (3, 3), padding: (1, 1))
        let wideNames = Self.kernels(wide)
        #expect(wideNames.allSatisfy(usable), "\(wideNames)")
        #endif
    }

    @Test("with products in bfloat16, depthwise layers stay Float32 and wide groups use bfloat16 where the processor has it")
    func bfloat16Choice() {
        func passes(_ c: Int, _ o: Int, groups: Int) -> (forward: Bool, inputGradient: Bool, weightGradient: Bool, bfloat16: Bool) {
            Threading.withCount(1) {
                MatrixProductBackend.withFloat32Precision(.medium) {
                    KernelTesting.convolutionPassesOnOneDNN(batch: 32, inChannels: c, height: 16, width: 16, outChannels: o,
                                                            kernel: (3, 3), padding: (1, 1), groups: groups)
                }
            }
        }
        #expect(!passes(128, 128, groups: 128).bfloat16)
        #expect(!passes(128, 128, groups: 32).bfloat16)   // 4 channels per group
        #expect(passes(128, 128, groups: 2).bfloat16 == MatrixProductBackend.hasNativeBFloat16)   // 64 → 64 per group
    }

    @Test("with products in bfloat16, a grouped layer on each backend agrees with Float64 to bfloat16's rounding and is measurably off Float32",
          arguments: [ConvolutionBackend.oneDNN, .unfolded])
    func bfloat16Values(backend: ConvolutionBackend) {
        // 2 groups of 64 → 48 channels (bfloat16 on both backends: oneDNN's bfloat16 kernels with 5-D
        // weights, or the per-group bfloat16 products of unfolding).
        let g = Geometry(batch: 4, inChannels: 128, size: (12, 12), outChannels: 96, groups: 2, kernel: (3, 3), padding: (1, 1))
        let expected = Self.run(g, dtype: .float64, perGroup: true)
        let float32 = Threading.withCount(1) { KernelTesting.withConvolutionBackend(backend) { Self.run(g, dtype: .float32, perGroup: false) } }
        let mixed = Threading.withCount(1) {
            KernelTesting.withConvolutionBackend(backend) {
                MatrixProductBackend.withFloat32Precision(.medium) { Self.run(g, dtype: .float32, perGroup: false) }
            }
        }
        // Inputs rounded to 8 significant bits (relative error ≤ 2^-9 each), sums of 576 products in Float32.
        ConvolutionBackendTests.expectClose(mixed, expected, "\(backend)", tolerance: 2e-2)
        if MatrixProductBackend.hasNativeBFloat16 {
            let (a, f) = (mixed[0].scalars(as: Float.self), float32[0].scalars(as: Float.self))
            let largest = f.map(abs).max() ?? 0
            let farthest = zip(a, f).map { abs($0 - $1) }.max() ?? 0
            #expect(farthest > 1e-4 * largest, "bfloat16 value within \(farthest) of Float32's (largest \(largest))")
        }
    }

    @Test("a MobileNet-style block trains the same on both backends: five SGD steps' losses to 1e-4")
    func trainingAgrees() {
        ConvolutionBackendTests.expectTrainingAgrees(seed: 21, imageShape: [3, 16, 16], model: { rng in
            Sequential {
                Conv2d(3, 16, kernelSize: 3, padding: 1, bias: false, generator: &rng)
                ReLU()
                Conv2d(16, 16, kernelSize: 3, stride: 2, padding: 1, groups: 16, bias: false, generator: &rng)
                BatchNorm2d(16)
                ReLU()
                Conv2d(16, 32, kernelSize: 1, generator: &rng)
                ReLU()
                AdaptiveAvgPool2d(1)
                Flatten()
                Linear(32, 10, generator: &rng)
            }
        }, optimizer: { SGD($0, lr: 0.1, momentum: 0.9) })
    }

    @Test("empty batches, empty channels and second derivatives of a grouped convolution")
    func edges() {
        // No samples: an empty output, empty gradients, the bias gradient zero.
        let x = Tensor.zeros([0, 8, 5, 5]).requiringGrad(), w = Tensor.ones([8, 1, 3, 3]).requiringGrad()
        let b = Tensor.ones([8]).requiringGrad()
        let y = Functional.conv2d(x, weight: w, bias: b, padding: (1, 1), groups: 8)
        #expect(y.shape == [0, 8, 5, 5])
        y.sum().backward()
        #expect(x.grad?.shape == [0, 8, 5, 5] && w.grad?.scalars(as: Float.self).allSatisfy { $0 == 0 } == true)
        #expect(b.grad?.scalars(as: Float.self).allSatisfy { $0 == 0 } == true)
        // Second derivatives through the grouped gradient passes, Float32 on oneDNN against Float64.
        func second(_ dtype: DType) -> [Tensor] {
            let x = Tensor(shape: [4, 16, 8, 8], values: ConvolutionBackendTests.values([4, 16, 8, 8], seed: 15, scale: 1).map(Double.init),
                           dtype: dtype).requiringGrad()
            let w = Tensor(shape: [16, 1, 3, 3], values: ConvolutionBackendTests.values([16, 1, 3, 3], seed: 16, scale: 1).map(Double.init),
                           dtype: dtype).requiringGrad()
            let y = Functional.conv2d(x, weight: w, stride: (2, 2), padding: (1, 1), groups: 16)
            let grads = Autograd.gradients(of: y.square().sum(), wrt: [x, w], createGraph: true)
            (grads[0].square().sum() + grads[1].square().sum()).backward()
            return [x.grad!, w.grad!]
        }
        let expected = second(.float64)
        for backend in [ConvolutionBackend.oneDNN, .unfolded] {
            let actual = KernelTesting.withConvolutionBackend(backend) { second(.float32) }
            ConvolutionBackendTests.expectClose([Tensor.zeros([1])] + actual, [Tensor.zeros([1])] + expected, "\(backend)")
        }
    }
}
