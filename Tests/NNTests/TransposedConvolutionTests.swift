@_spi(KernelTesting) import Gradus
import GradusTestSupport
import Testing

/// Transposed convolutions, computed as the input gradient of a convolution (oneDNN's backward-data
/// kernels or unfolding): Float64 values against the definition written as loops, Float32 values and
/// gradients on both backends against Float64, and the passes given to oneDNN counted where they ran.
/// (Float64 gradients are checked against finite differences and PyTorch in the op table's cases.)
@Suite("Transposed convolutions")
struct TransposedConvolutionTests {
    struct Geometry: Sendable, CustomTestStringConvertible {
        var batch: Int, inChannels: Int, size: (Int, Int), outChannels: Int, groups = 1
        var kernel: (Int, Int), stride = (1, 1), padding = (0, 0), outputPadding = (0, 0), dilation = (1, 1)
        var bias = true
        var scale: Float = 1

        var outSize: (Int, Int) {
            ((size.0 - 1) * stride.0 - 2 * padding.0 + dilation.0 * (kernel.0 - 1) + outputPadding.0 + 1,
             (size.1 - 1) * stride.1 - 2 * padding.1 + dilation.1 * (kernel.1 - 1) + outputPadding.1 + 1)
        }
        var testDescription: String {
            "\(batch)×\(inChannels)×\(size.0)×\(size.1) → \(outChannels) in \(groups) group(s), kernel \(kernel), stride \(stride), "
                + "padding \(padding), output padding \(outputPadding), dilation \(dilation)" + (bias ? "" : ", no bias")
                + (scale == 1 ? "" : ", scale \(scale)")
        }
    }

    static let geometries: [Geometry] = [
        // A DCGAN generator's layers: 4×4 stride 2 padding 1, into many channels and into RGB (the latter's
        // convolution has 3 input channels: its input-gradient pass, this forward, stays unfolded).
        Geometry(batch: 8, inChannels: 64, size: (4, 4), outChannels: 32, kernel: (4, 4), stride: (2, 2), padding: (1, 1), bias: false),
        Geometry(batch: 4, inChannels: 32, size: (8, 8), outChannels: 3, kernel: (4, 4), stride: (2, 2), padding: (1, 1)),
        // From a 1×1 code (a generator's first layer), stride 1.
        Geometry(batch: 16, inChannels: 20, size: (1, 1), outChannels: 32, kernel: (4, 4), bias: false),
        // Output padding below the stride, unequal strides and paddings.
        Geometry(batch: 3, inChannels: 16, size: (6, 5), outChannels: 16, kernel: (3, 3), stride: (2, 3), padding: (1, 0),
                 outputPadding: (1, 2)),
        // Grouped with dilation; depthwise.
        Geometry(batch: 2, inChannels: 32, size: (7, 6), outChannels: 48, groups: 2, kernel: (3, 2), stride: (2, 1), padding: (1, 1),
                 dilation: (2, 2)),
        Geometry(batch: 4, inChannels: 16, size: (8, 8), outChannels: 16, groups: 16, kernel: (4, 4), stride: (2, 2), padding: (1, 1)),
        // An output padding of at least the stride (allowed by the dilation): the composed path.
        Geometry(batch: 2, inChannels: 16, size: (5, 5), outChannels: 16, kernel: (3, 3), outputPadding: (1, 1), dilation: (2, 2)),
        // One image with enough work to split over two threads.
        Geometry(batch: 1, inChannels: 64, size: (16, 16), outChannels: 64, kernel: (3, 3), padding: (1, 1)),
        // Huge and tiny magnitudes.
        Geometry(batch: 4, inChannels: 16, size: (8, 8), outChannels: 16, kernel: (4, 4), stride: (2, 2), padding: (1, 1), scale: 1e15),
        Geometry(batch: 4, inChannels: 16, size: (8, 8), outChannels: 16, kernel: (4, 4), stride: (2, 2), padding: (1, 1), scale: 1e-18),
    ]

    /// The output and the gradients of sum(output · upstream) for input, weight and bias.
    static func run(_ g: Geometry, dtype: DType) -> [Tensor] {
        let (x, w, b) = operands(g, dtype: dtype)
        let y = Functional.convTranspose2d(x, weight: w, bias: g.bias ? b : nil, stride: g.stride, padding: g.padding,
                                           outputPadding: g.outputPadding, dilation: g.dilation, groups: g.groups)
        let u = Tensor(shape: y.shape, values: ConvolutionBackendTests.values(y.shape, seed: 24, scale: 1).map(Double.init), dtype: dtype)
        (y * u).sum().backward()
        return [y, x.grad!, w.grad!] + (g.bias ? [b.grad!] : [])
    }

    static func operands(_ g: Geometry, dtype: DType) -> (Tensor, Tensor, Tensor) {
        func make(_ shape: [Int], seed: UInt64, scale: Float) -> Tensor {
            Tensor(shape: shape, values: ConvolutionBackendTests.values(shape, seed: seed, scale: scale).map(Double.init), dtype: dtype)
                .requiringGrad()
        }
        return (make([g.batch, g.inChannels, g.size.0, g.size.1], seed: 21, scale: g.scale),
                make([g.inChannels, g.outChannels / g.groups, g.kernel.0, g.kernel.1], seed: 22, scale: g.scale),
                make([g.outChannels], seed: 23, scale: g.scale * g.scale))
    }

    /// The definition: each input value times each of its filter's taps, added where the tap lands.
    static func definition(_ g: Geometry, _ x: [Double], _ w: [Double], _ b: [Double]?) -> [Double] {
        let (outH, outW) = g.outSize
        let (cg, og) = (g.inChannels / g.groups, g.outChannels / g.groups)
        var out = [Double](repeating: 0, count: g.batch * g.outChannels * outH * outW)
        for n in 0..<g.batch {
            for c in 0..<g.inChannels {
                let group = c / cg
                for iy in 0..<g.size.0 {
                    for ix in 0..<g.size.1 {
                        let v = x[((n * g.inChannels + c) * g.size.0 + iy) * g.size.1 + ix]
                        for o in 0..<og {
                            for ky in 0..<g.kernel.0 {
                                let oy = iy * g.stride.0 - g.padding.0 + ky * g.dilation.0
                                guard oy >= 0 && oy < outH else { continue }
                                for kx in 0..<g.kernel.1 {
                                    let ox = ix * g.stride.1 - g.padding.1 + kx * g.dilation.1
                                    guard ox >= 0 && ox < outW else { continue }
                                    let channel = group * og + o
                                    out[((n * g.outChannels + channel) * outH + oy) * outW + ox]
                                        += v * w[((c * og + o) * g.kernel.0 + ky) * g.kernel.1 + kx]
                                }
                            }
                        }
                    }
                }
            }
            if let b {
                for o in 0..<g.outChannels {
                    for p in 0..<(outH * outW) { out[(n * g.outChannels + o) * outH * outW + p] += b[o] }
                }
            }
        }
        return out
    }

    @Test("Float64 values equal the definition", arguments: geometries)
    func float64MatchesDefinition(_ g: Geometry) {
        let (x, w, b) = Self.operands(g, dtype: .float64)
        let y = Functional.convTranspose2d(x, weight: w, bias: g.bias ? b : nil, stride: g.stride, padding: g.padding,
                                           outputPadding: g.outputPadding, dilation: g.dilation, groups: g.groups)
        let expected = Self.definition(g, x.scalars(as: Double.self), w.scalars(as: Double.self), g.bias ? b.scalars(as: Double.self) : nil)
        #expect(y.shape == [g.batch, g.outChannels, g.outSize.0, g.outSize.1])
        let largest = expected.map(abs).max() ?? 0
        let problem = mismatch(y, Tensor(shape: y.shape, values: expected, dtype: .float64), rtol: 1e-12, atol: 1e-12 * largest)
        #expect(problem == nil, "\(problem ?? "")")
    }

    @Test("Float32 on each backend, at one and two threads, agrees with Float64; the passes given to oneDNN run there",
          arguments: geometries, [ConvolutionBackend.oneDNN, .unfolded])
    func float32AgreesWithFloat64(_ g: Geometry, backend: ConvolutionBackend) {
        let expected = Self.run(g, dtype: .float64)
        // The convolution whose input gradient this is: from the output [N, O, outH, outW] to the input.
        let composed = g.outputPadding.0 >= g.stride.0 || g.outputPadding.1 >= g.stride.1
        let (rules, kernels) = Threading.withCount(1) {
            (KernelTesting.convolutionPassesOnOneDNN(batch: g.batch, inChannels: g.outChannels, height: g.outSize.0, width: g.outSize.1,
                                                     outChannels: g.inChannels, kernel: g.kernel, stride: g.stride, padding: g.padding,
                                                     dilation: g.dilation, groups: g.groups),
             (0..<3).map {
                 KernelTesting.convolutionKernel(pass: $0, batch: g.batch, inChannels: g.outChannels, height: g.outSize.0, width: g.outSize.1,
                                                 outChannels: g.inChannels, kernel: g.kernel, stride: g.stride, padding: g.padding,
                                                 dilation: g.dilation, groups: g.groups)
             })
        }
        for threads in [1, 2] {
            let before = KernelTesting.convolutionPassesRunOnOneDNN
            let actual = Threading.withCount(threads) { KernelTesting.withConvolutionBackend(backend) { Self.run(g, dtype: .float32) } }
            ConvolutionBackendTests.expectClose(actual, expected, "\(backend), \(threads) thread(s)")
            #if arch(x86_64)
            if threads == 1 {
                // The transposed convolution is the input-gradient pass; its input gradient the forward
                // pass, its weight gradient the weight-gradient pass (with the operands swapped).
                let given = [rules.inputGradient, rules.forward, rules.weightGradient]
                let kernelFor = [kernels[1], kernels[0], kernels[2]]
                let predicted = backend == .unfolded || composed ? 0 : zip(given, kernelFor).filter { $0 && !$1.isEmpty }.count
                #expect(KernelTesting.convolutionPassesRunOnOneDNN - before == predicted, "\(rules), kernels \(kernels)")
            }
            #endif
        }
    }

    @Test("empty batches and channels keep their shapes and give zero gradients")
    func empty() {
        for (xShape, wShape) in [([0, 4, 3, 3], [4, 2, 3, 3]), ([2, 0, 3, 3], [0, 2, 3, 3]), ([2, 4, 3, 3], [4, 0, 3, 3])] {
            let x = Tensor.zeros(xShape).requiringGrad(), w = Tensor.ones(wShape).requiringGrad()
            let y = Functional.convTranspose2d(x, weight: w, stride: (2, 2), padding: (1, 1))
            #expect(y.shape == [xShape[0], wShape[1], 5, 5])
            y.sum().backward()
            #expect(w.grad?.shape == wShape && w.grad?.scalars(as: Float.self).allSatisfy { $0 == 0 } == true)
            #expect(x.grad?.shape == xShape && x.grad?.scalars(as: Float.self).allSatisfy { $0 == 0 } == true)
        }
    }
}
