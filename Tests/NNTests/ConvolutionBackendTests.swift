import Dispatch
@_spi(KernelTesting) import Gradus
import GradusTestSupport
import Testing

/// Ungrouped Float32 convolutions on both backends (oneDNN's convolution primitives, and unfolding with
/// a product per sample) against the same convolution in Float64 (the unfolded path, whose gradients the
/// Float64 gradient checks verify): values, input, weight and bias gradients, second derivatives.
@Suite("Convolution backends")
struct ConvolutionBackendTests {
    struct Geometry: Sendable, CustomTestStringConvertible {
        var batch: Int, inChannels: Int, height: Int, width: Int, outChannels: Int
        var kernel: (Int, Int), stride = (1, 1), padding = (0, 0), dilation = (1, 1)
        var bias = true
        /// Inputs and weights multiplied by this (1e15: sums near 1e31; 1e-18: products near 1e-36, still normal).
        var scale: Float = 1

        var testDescription: String {
            "\(batch)×\(inChannels)×\(height)×\(width) → \(outChannels), kernel \(kernel), stride \(stride), padding \(padding), dilation \(dilation)"
                + (bias ? "" : ", no bias") + (scale == 1 ? "" : ", scale \(scale)")
        }
    }

    static let geometries: [Geometry] = [
        // 3×3 with padding, stride 1: the image CNN's layers.
        Geometry(batch: 4, inChannels: 16, height: 9, width: 11, outChannels: 24, kernel: (3, 3), padding: (1, 1)),
        // 4×4 stride 2 (a GAN discriminator's layers).
        Geometry(batch: 5, inChannels: 16, height: 16, width: 16, outChannels: 32, kernel: (4, 4), stride: (2, 2), padding: (1, 1)),
        // Three input channels (the input gradient stays unfolded), unequal strides, paddings and kernel sides.
        Geometry(batch: 3, inChannels: 3, height: 26, width: 20, outChannels: 8, kernel: (4, 3), stride: (2, 3), padding: (1, 2)),
        // Pointwise (unfolded on both: a single product per sample), without bias.
        Geometry(batch: 2, inChannels: 32, height: 7, width: 7, outChannels: 16, kernel: (1, 1), bias: false),
        // 1×1 with stride 2 (not pointwise: oneDNN), without bias.
        Geometry(batch: 4, inChannels: 16, height: 15, width: 16, outChannels: 16, kernel: (1, 1), stride: (2, 2), bias: false),
        // Dilated.
        Geometry(batch: 2, inChannels: 16, height: 12, width: 12, outChannels: 16, kernel: (3, 3), padding: (2, 2), dilation: (2, 2)),
        // The stride leaves the last input row and column unread (the output size rounded down).
        Geometry(batch: 3, inChannels: 20, height: 31, width: 29, outChannels: 12, kernel: (2, 2), stride: (3, 3), dilation: (2, 2)),
        // Padding wider than the kernel reaches: windows entirely in the zeros.
        Geometry(batch: 4, inChannels: 16, height: 4, width: 5, outChannels: 8, kernel: (2, 2), padding: (3, 2)),
        // The kernel as large as the padded input: one output position per image (unfolded for 3 images,
        // oneDNN for 256).
        Geometry(batch: 3, inChannels: 16, height: 5, width: 6, outChannels: 10, kernel: (7, 8), padding: (1, 1)),
        Geometry(batch: 256, inChannels: 16, height: 5, width: 6, outChannels: 10, kernel: (7, 8), padding: (1, 1)),
        // One image with enough work to split (oneDNN at one thread; unfolded at two, its products split).
        Geometry(batch: 1, inChannels: 32, height: 20, width: 20, outChannels: 64, kernel: (3, 3), padding: (1, 1)),
        // An odd batch over two threads (parts of 3 and 4 samples).
        Geometry(batch: 7, inChannels: 16, height: 12, width: 12, outChannels: 32, kernel: (3, 3), padding: (1, 1)),
        // One output channel, one input channel (LeNet's first layer's kind).
        Geometry(batch: 6, inChannels: 1, height: 14, width: 14, outChannels: 1, kernel: (5, 5), padding: (2, 2)),
        // An RGB image's first layer: stride 1, C·kH·kW = 27 < 32, 16 outputs (the forward pass stays unfolded).
        Geometry(batch: 4, inChannels: 3, height: 16, width: 16, outChannels: 16, kernel: (3, 3), padding: (1, 1)),
        // Huge and tiny magnitudes.
        Geometry(batch: 4, inChannels: 16, height: 8, width: 8, outChannels: 16, kernel: (3, 3), padding: (1, 1), scale: 1e15),
        Geometry(batch: 4, inChannels: 16, height: 8, width: 8, outChannels: 16, kernel: (3, 3), padding: (1, 1), scale: 1e-18),
    ]

    static func values(_ shape: [Int], seed: UInt64, scale: Float) -> [Float] {
        var rng = SeededGenerator(seed: seed)
        return Tensor.normal(shape, dtype: .float32, generator: &rng).scalars(as: Float.self).map { $0 * scale }
    }

    /// The output and the gradients of sum(output · upstream) with respect to input, weight and bias.
    static func run(_ g: Geometry, dtype: DType) -> [Tensor] {
        let xShape = [g.batch, g.inChannels, g.height, g.width], wShape = [g.outChannels, g.inChannels, g.kernel.0, g.kernel.1]
        let x = Tensor(shape: xShape, values: values(xShape, seed: 1, scale: g.scale).map(Double.init), dtype: dtype).requiringGrad()
        let w = Tensor(shape: wShape, values: values(wShape, seed: 2, scale: g.scale).map(Double.init), dtype: dtype).requiringGrad()
        let b = Tensor(shape: [g.outChannels], values: values([g.outChannels], seed: 3, scale: g.scale * g.scale).map(Double.init),
                       dtype: dtype).requiringGrad()
        let y = Functional.conv2d(x, weight: w, bias: g.bias ? b : nil, stride: g.stride, padding: g.padding, dilation: g.dilation)
        let u = Tensor(shape: y.shape, values: values(y.shape, seed: 4, scale: 1).map(Double.init), dtype: dtype)
        (y * u).sum().backward()
        return [y, x.grad!, w.grad!] + (g.bias ? [b.grad!] : [])
    }

    /// Results (value, input, weight and bias gradients) within `tolerance` of the largest expected
    /// magnitude of each, and `tolerance` relative. The default 1e-4 is for Float32 against Float64 (a sum
    /// of a few hundred products rounds to about 1e-6 of its terms' size).
    static func expectClose(_ actual: [Tensor], _ expected: [Tensor], _ what: String, tolerance: Double = 1e-4) {
        for (name, (a, e)) in zip(["value", "input gradient", "weight gradient", "bias gradient"], zip(actual, expected)) {
            let largest = e.scalars(as: Double.self).map(abs).max() ?? 0
            let problem = mismatch(a, e, rtol: tolerance, atol: tolerance * largest)
            #expect(problem == nil, "\(what) \(name): \(problem ?? "")")
        }
    }

    @Test("each pass on each backend agrees with Float64, at one and two threads",
          arguments: geometries, [ConvolutionBackend.oneDNN, .unfolded])
    func agreesWithFloat64(_ g: Geometry, backend: ConvolutionBackend) {
        let expected = Self.run(g, dtype: .float64)
        // Which passes oneDNN computes at one thread, by Gradus's rules (the test covers both kinds).
        let onOneDNN = Threading.withCount(1) {
            KernelTesting.convolutionPassesOnOneDNN(batch: g.batch, inChannels: g.inChannels, height: g.height, width: g.width,
                                                    outChannels: g.outChannels, kernel: g.kernel, stride: g.stride,
                                                    padding: g.padding, dilation: g.dilation)
        }
        let pointwise = g.kernel == (1, 1) && g.stride == (1, 1) && g.padding == (0, 0)
        let few = g.batch * ((g.height + 2 * g.padding.0 - g.dilation.0 * (g.kernel.0 - 1) - 1) / g.stride.0 + 1)
            * ((g.width + 2 * g.padding.1 - g.dilation.1 * (g.kernel.1 - 1) - 1) / g.stride.1 + 1) < 256
        #expect(onOneDNN.weightGradient == !(pointwise || few), "\(onOneDNN)")
        #expect(onOneDNN.inputGradient == (onOneDNN.weightGradient && g.inChannels >= 16), "\(onOneDNN)")
        let rgbFirstLayer = g.stride == (1, 1) && g.inChannels * g.kernel.0 * g.kernel.1 < 32 && g.outChannels >= 16
        #expect(onOneDNN.forward == (onOneDNN.weightGradient && !rgbFirstLayer), "\(onOneDNN)")
        for threads in [1, 2] {
            let before = KernelTesting.convolutionPassesRunOnOneDNN
            let actual = Threading.withCount(threads) { KernelTesting.withConvolutionBackend(backend) { Self.run(g, dtype: .float32) } }
            Self.expectClose(actual, expected, "\(backend), \(threads) thread(s)")
            #if arch(x86_64)   // oneDNN's optimized kernels (elsewhere it may offer only its reference ones, which Gradus refuses)
            if threads == 1 {
                // At one thread every pass ran on this thread: those predicted for oneDNN did run there.
                let predicted = backend == .unfolded ? 0 : [onOneDNN.forward, onOneDNN.inputGradient, onOneDNN.weightGradient].filter { $0 }.count
                let kernels = (0..<3).map {
                    KernelTesting.convolutionKernel(pass: $0, batch: g.batch, inChannels: g.inChannels, height: g.height, width: g.width,
                                                    outChannels: g.outChannels, kernel: g.kernel, stride: g.stride, padding: g.padding,
                                                    dilation: g.dilation)
                }
                #expect(KernelTesting.convolutionPassesRunOnOneDNN - before == predicted, "\(onOneDNN), kernels \(kernels)")
            }
            #endif
        }
    }

    @Test("second derivatives through the convolution's gradient passes agree with Float64 on both backends",
          arguments: [ConvolutionBackend.oneDNN, .unfolded])
    func secondDerivatives(backend: ConvolutionBackend) {
        func run(_ dtype: DType) -> [Tensor] {
            let x = Tensor(shape: [8, 16, 16, 16], values: Self.values([8, 16, 16, 16], seed: 5, scale: 1).map(Double.init), dtype: dtype).requiringGrad()
            let w = Tensor(shape: [16, 16, 4, 4], values: Self.values([16, 16, 4, 4], seed: 6, scale: 1).map(Double.init), dtype: dtype).requiringGrad()
            let y = Functional.conv2d(x, weight: w, stride: (2, 2), padding: (1, 1))
            let grads = Autograd.gradients(of: y.square().sum(), wrt: [x, w], createGraph: true)
            (grads[0].square().sum() + grads[1].square().sum()).backward()
            return [x.grad!, w.grad!]
        }
        let expected = run(.float64)
        let actual = KernelTesting.withConvolutionBackend(backend) { run(.float32) }
        Self.expectClose([Tensor.zeros([1])] + actual, [Tensor.zeros([1])] + expected, "\(backend)")
    }

    @Test("with products in bfloat16, each pass on each backend agrees with Float64 to bfloat16's rounding; oneDNN's bfloat16 kernels round",
          arguments: [ConvolutionBackend.oneDNN, .unfolded])
    func bfloat16(backend: ConvolutionBackend) {
        let g = Geometry(batch: 8, inChannels: 32, height: 16, width: 16, outChannels: 96, kernel: (4, 4), stride: (2, 2), padding: (1, 1))
        let expected = Self.run(g, dtype: .float64)
        let float32 = KernelTesting.withConvolutionBackend(backend) { Self.run(g, dtype: .float32) }
        let before = KernelTesting.convolutionPassesRunOnOneDNN
        let mixed = Threading.withCount(1) {
            KernelTesting.withConvolutionBackend(backend) {
                MatrixProductBackend.withFloat32Precision(.medium) { Self.run(g, dtype: .float32) }
            }
        }
        let runs = KernelTesting.convolutionPassesRunOnOneDNN - before
        // Inputs rounded to 8 significant bits (relative error ≤ 2^-9 each), sums of 512 products in Float32.
        Self.expectClose(mixed, expected, "\(backend)", tolerance: 2e-2)
        let onOneDNN = Threading.withCount(1) {
            MatrixProductBackend.withFloat32Precision(.medium) {
                KernelTesting.convolutionPassesOnOneDNN(batch: g.batch, inChannels: g.inChannels, height: g.height, width: g.width,
                                                        outChannels: g.outChannels, kernel: g.kernel, stride: g.stride, padding: g.padding)
            }
        }
        let native = MatrixProductBackend.hasNativeBFloat16
        #expect(onOneDNN.forward && onOneDNN.inputGradient && onOneDNN.weightGradient && onOneDNN.bfloat16 == native, "\(onOneDNN)")
        #if arch(x86_64)   // the three passes ran on oneDNN's optimized kernels
        #expect(runs == (backend == .oneDNN ? 3 : 0), "\(runs) passes on oneDNN")
        #endif
        // A layer with one output channel (a discriminator's last) and layers with few input channels
        // (LeNet-5's) stay Float32 on oneDNN.
        for (c, o, size) in [(512, 1, 19), (1, 6, 28), (6, 16, 14)] {
            let small = Threading.withCount(1) {
                MatrixProductBackend.withFloat32Precision(.medium) {
                    KernelTesting.convolutionPassesOnOneDNN(batch: 64, inChannels: c, height: size, width: size, outChannels: o, kernel: (4, 4))
                }
            }
            #expect(small.weightGradient && !small.bfloat16, "\(c) → \(o): \(small)")
        }
        if backend == .oneDNN && native {
            // Where the processor has bfloat16 dot products, the oneDNN pass really computed from rounded
            // inputs: its value is farther from Float32's than Float32 rounding could put it.
            let (a, f) = (mixed[0].scalars(as: Float.self), float32[0].scalars(as: Float.self))
            let largest = f.map(abs).max() ?? 0
            let farthest = zip(a, f).map { abs($0 - $1) }.max() ?? 0
            #expect(farthest > 1e-4 * largest, "bfloat16 value within \(farthest) of Float32's (largest \(largest))")
        }
    }

    @Test("oneDNN computes the benchmark CNNs' layers with its optimized kernels, never its reference loops")
    func optimizedKernels() {
        #if arch(x86_64)
        let layers: [(c: Int, h: Int, o: Int, k: Int, s: Int, p: Int)] = [
            (3, 32, 64, 4, 2, 1), (64, 16, 128, 4, 2, 1), (3, 32, 32, 3, 1, 1), (32, 16, 64, 3, 1, 1),
            (64, 8, 128, 3, 1, 1), (1, 28, 6, 5, 1, 2), (6, 14, 16, 5, 1, 0),
        ]
        for l in layers {
            for pass in 0..<3 {
                let name = KernelTesting.convolutionKernel(pass: pass, batch: 32, inChannels: l.c, height: l.h, width: l.h,
                                                           outChannels: l.o, kernel: (l.k, l.k), stride: (l.s, l.s), padding: (l.p, l.p))
                #expect(!name.isEmpty && !name.hasPrefix("ref"), "\(l), pass \(pass): \(name)")
            }
        }
        #endif
        // No kernel for an empty batch: Gradus computes it (nothing to compute).
        #expect(KernelTesting.convolutionKernel(pass: 0, batch: 0, inChannels: 3, height: 8, width: 8, outChannels: 4, kernel: (3, 3)) == "")
    }

    @Test("calls from several threads at once, each with its own shapes, give the results computed one at a time")
    func concurrentCalls() {
        let shapes = (0..<6).map { i in
            Geometry(batch: 4 + i % 3, inChannels: 16, height: 16 + i, width: 17 + i, outChannels: 8 + 8 * (i % 2), kernel: (3, 3),
                     stride: (1 + i % 2, 1 + i % 2), padding: (1, 1))
        }
        @Sendable func run(_ g: Geometry) -> [[Float]] {
            Threading.withCount(1) { KernelTesting.withConvolutionBackend(.oneDNN) { Self.run(g, dtype: .float32).map { $0.scalars(as: Float.self) } } }
        }
        let before = KernelTesting.convolutionPassesRunOnOneDNN
        let serial = shapes.map(run)
        #if arch(x86_64)   // each pass ran on oneDNN's optimized kernels
        #expect(KernelTesting.convolutionPassesRunOnOneDNN - before == 3 * shapes.count)
        #endif
        let results = UnsafeMutableBufferPointer<[[Float]]>.allocate(capacity: shapes.count * 4)
        results.initialize(repeating: [])
        defer { results.deinitialize(); results.deallocate() }
        let slots = UncheckedResults(pointer: results)
        DispatchQueue.concurrentPerform(iterations: shapes.count * 4) { i in
            // Each iteration writes its own slot.
            slots.pointer[i] = run(shapes[i % shapes.count])
        }
        let all = Array(results)
        for i in 0..<all.count {
            #expect(all[i] == serial[i % shapes.count], "call \(i), \(shapes[i % shapes.count])")
        }
    }

    struct UncheckedResults: @unchecked Sendable { let pointer: UnsafeMutableBufferPointer<[[Float]]> }

    @Test("more shapes than a thread keeps primitives for: evicted ones are made again with the same results")
    func manyShapes() {
        // 3 passes × 30 shapes = 90 primitives on one thread, more than the 64 kept.
        let shapes = (0..<30).map { i in
            Geometry(batch: 1 + i % 4, inChannels: 16, height: 16 + i % 7, width: 16 + i / 7, outChannels: 8, kernel: (2, 2), padding: (1, 1))
        }
        func run(_ g: Geometry) -> [[Float]] {
            Threading.withCount(1) { KernelTesting.withConvolutionBackend(.oneDNN) { Self.run(g, dtype: .float32).map { $0.scalars(as: Float.self) } } }
        }
        let before = KernelTesting.convolutionPassesRunOnOneDNN
        let first = shapes.map(run)
        let again = shapes.map(run)
        #expect(first == again)
        #if arch(x86_64)   // each pass ran on oneDNN's optimized kernels
        #expect(KernelTesting.convolutionPassesRunOnOneDNN - before == 2 * 3 * shapes.count)
        #endif
    }

    /// Five steps of training a classifier on 8 random images of `imageShape` (labels 0…7) on each
    /// backend: the losses agree to 1e-4 and fall.
    static func expectTrainingAgrees(seed: UInt64, imageShape: [Int], model build: (inout SeededGenerator) -> Sequential,
                                     optimizer makeOptimizer: ([Tensor]) -> Optimizer) {
        func losses(_ backend: ConvolutionBackend) -> [Float] {
            KernelTesting.withConvolutionBackend(backend) {
                var rng = SeededGenerator(seed: seed)
                let model = build(&rng)
                let optimizer = makeOptimizer(model.parameters())
                let x = Tensor.rand([8] + imageShape, generator: &rng)
                let labels = Tensor(shape: [8], values: (0..<8).map { Double($0 % 10) }, dtype: .int64)
                return (0..<5).map { _ in
                    optimizer.zeroGrad()
                    let loss = model(x).crossEntropy(labels)
                    loss.backward()
                    optimizer.step()
                    return loss.item(Float.self)
                }
            }
        }
        let (a, b) = (losses(.oneDNN), losses(.unfolded))
        for (x, y) in zip(a, b) { #expect(abs(x - y) <= 1e-4 * max(1, abs(y)), "\(a) vs \(b)") }
        #expect(a.last! < a.first!, "the loss falls: \(a)")
    }

    @Test("a strided CNN trains the same on both backends: five Adam steps' losses to 1e-4")
    func trainingAgrees() {
        Self.expectTrainingAgrees(seed: 9, imageShape: [3, 32, 32], model: { rng in
            Sequential {
                Conv2d(3, 16, kernelSize: 4, stride: 2, padding: 1, generator: &rng)
                LeakyReLU(negativeSlope: 0.2)
                Conv2d(16, 32, kernelSize: 4, stride: 2, padding: 1, generator: &rng)
                LeakyReLU(negativeSlope: 0.2)
                Flatten()
                Linear(32 * 8 * 8, 10, generator: &rng)
            }
        }, optimizer: { Adam($0, lr: 1e-3) })
    }

    @Test("GRADUS_CONVOLUTION_BACKEND selects a backend, and a value naming none is reported")
    func environmentChoice() {
        #expect(KernelTesting.convolutionBackendChoice(environmentValue: nil) == (.oneDNN, nil))
        #expect(KernelTesting.convolutionBackendChoice(environmentValue: "").0 == .oneDNN)
        #expect(KernelTesting.convolutionBackendChoice(environmentValue: "Unfolded") == (.unfolded, nil))
        #expect(KernelTesting.convolutionBackendChoice(environmentValue: "ONEDNN") == (.oneDNN, nil))
        let (choice, warning) = KernelTesting.convolutionBackendChoice(environmentValue: "cudnn")
        #expect(choice == .oneDNN && warning?.contains("cudnn") == true && warning?.contains("unfolded") == true)
    }
}
