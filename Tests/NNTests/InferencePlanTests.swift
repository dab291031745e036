import Foundation
@_spi(KernelTesting) import Gradus
import GradusTestSupport
import Testing

/// InferencePlan: every layer it compiles against PyTorch's recorded outputs (whole batches through
/// oneDNN chains, single samples through row products and, forced, through oneDNN inner products),
/// whole models against the same model in Float64, the edges (huge, tiny, zero and NaN inputs, an
/// empty batch, ceil-mode windows), layers it does not compile, and when it must compile again.
@Suite("Inference plans", .serialized)
struct InferencePlanTests {
    /// Layers the plan compiles, with the PyTorch fixture that records them.
    static let compiledCases = [
        "linear", "linear_nobias", "conv2d", "conv2d_dilated", "conv2d_pointwise", "conv2d_strided", "conv2d_lenet",
        "conv2d_same", "conv2d_groups", "maxpool2d", "maxpool2d_pad", "maxpool2d_dilation", "maxpool2d_ceil", "maxpool2d_ceil_pad",
        "avgpool2d", "avgpool2d_pad", "avgpool2d_nopadcount", "avgpool2d_ceil_nopadcount", "avgpool2d_ceil_nopad",
        "adaptiveavgpool2d_1", "batchnorm2d", "batchnorm2d_noaffine", "batchnorm1d", "relu", "leakyrelu", "elu", "gelu", "gelu_tanh", "silu", "sigmoid", "tanh", "mlp", "cnn",
    ]
    /// Layers (or configurations) it leaves to the model, recorded by PyTorch too.
    static let uncompiledCases = ["avgpool2d_ceil", "adaptiveavgpool2d_32", "batchnorm1d_3d", "softmax", "layernorm"]

    func fixtureModel(_ name: String) throws -> (any Layer, Tensor, Tensor) {
        let f = try Fixtures.decode(LayerFixture.self, "nn/\(name).json")
        let layer = Random.withSeed(0) { makeLayer(name) }   // weights replaced below; keeps the shared generator out of it
        // PyTorch's eval run came after its train run, which moved the running statistics.
        var state = f.state.mapValues { $0.tensor() }
        if f.runs["eval"] != nil, let moved = f.runs["train"]?.stateAfter {
            for (key, value) in moved { state[key] = value.tensor() }
        }
        try layer.loadStateDict(state)
        layer.eval()
        let expected = (f.runs["eval"] ?? f.runs["train"]!).output.tensor()
        return (layer, f.input.tensor(), expected)
    }

    @Test("each compiled layer gives PyTorch's output: whole batch, each sample alone, and with oneDNN inner products for single samples",
          arguments: compiledCases)
    func compiledLayersMatchPyTorch(_ name: String) throws {
        let (layer, x, expected) = try fixtureModel(name)
        for rowProducts in [true, false] {
            try KernelTesting.withInferenceRowProducts(rowProducts) {
                let plan = InferencePlan(layer)
                let steps = try plan.steps(forInputShape: x.shape)
                #expect(steps.allSatisfy { !$0.contains("as the model runs it") }, "\(name): \(steps)")
                if let m = mismatch(try plan(x), expected, rtol: 1e-5, atol: 1e-5) { Issue.record("\(name) batch: \(m)") }
                for i in 0..<x.shape[0] {
                    let one = x[i..<(i + 1)]
                    if let m = mismatch(try plan(one), expected[i..<(i + 1)], rtol: 1e-5, atol: 1e-5) {
                        Issue.record("\(name) sample \(i), row products \(rowProducts): \(m)")
                    }
                }
            }
        }
    }

    @Test("layers the plan does not compile run as the model runs them, with PyTorch's output", arguments: uncompiledCases)
    func uncompiledLayersMatchPyTorch(_ name: String) throws {
        let (layer, x, expected) = try fixtureModel(name)
        let plan = InferencePlan(layer)
        #expect(try plan.steps(forInputShape: x.shape) == ["model as it is (no step compiled)"])
        if let m = mismatch(try plan(x), expected, rtol: 1e-5, atol: 1e-5) { Issue.record("\(name): \(m)") }
    }

    /// An image model exercising what the plan fuses and what it does not: convolutions with and
    /// without bias, folded batch normalization (running statistics far from 0 and 1), strides,
    /// padding same, dilation, ceil-mode pooling, a grouped convolution, a softmax it leaves to the
    /// model, dropout, flatten into linear layers with a folded BatchNorm1d, fused ReLU and GELU.
    func imageModel(_ dtype: DType, seed: UInt64) throws -> Sequential {
        var g = SeededGenerator(seed: seed)
        let model = Sequential {
            Conv2d(3, 16, kernelSize: 3, padding: 1, dtype: dtype, generator: &g)
            BatchNorm2d(16, dtype: dtype)
            ReLU()
            MaxPool2d(3, stride: 2, ceilMode: true)
            Conv2d(16, 24, kernelSize: 3, stride: 1, padding: .same, dilation: 2, bias: false, dtype: dtype, generator: &g)
            BatchNorm2d(24, dtype: dtype)
            LeakyReLU(negativeSlope: 0.1)
            Conv2d(24, 24, kernelSize: 3, stride: 2, padding: 1, groups: 3, dtype: dtype, generator: &g)
            SiLU()
            AvgPool2d(2, countIncludePad: false)
            Dropout(p: 0.5)
            Flatten()
            Linear(24 * 2 * 2, 32, dtype: dtype, generator: &g)
            BatchNorm1d(32, dtype: dtype)
            ReLU()
            Linear(32, 16, dtype: dtype, generator: &g)
            GELU()
            Linear(16, 5, dtype: dtype, generator: &g)
            Softmax(axis: -1)
        }
        var r = SeededGenerator(seed: seed + 1)
        var state = model.stateDict()
        for (name, t) in state.sorted(by: { $0.key < $1.key }) where t.dtype.isFloatingPoint && t.rank == 1 {
            let values: [Double] = (0..<t.count).map { _ in
                let u = Double(r.next() % 1000) / 1000
                if name.hasSuffix("running_mean") { return 2 * u - 1 }
                if name.hasSuffix("running_var") { return 4 * u + 0.1 }
                return name.hasSuffix("weight") ? 2 * u + 0.2 : u - 0.5
            }
            state[name] = Tensor(shape: t.shape, values: values, dtype: dtype)
        }
        try model.loadStateDict(state)
        model.eval()
        return model
    }

    @Test("the newer activations: Hardtanh, ReLU6, Hardswish and Mish fused into oneDNN's steps, the others run as the model runs them; values against Float64")
    func newerActivations() throws {
        func build(_ dtype: DType) -> Sequential {
            var g = SeededGenerator(seed: 21)
            return Sequential {
                Conv2d(3, 8, kernelSize: 3, padding: 1, dtype: dtype, generator: &g)
                Hardswish()
                Conv2d(8, 8, kernelSize: 3, padding: 1, dtype: dtype, generator: &g)
                ReLU6()
                Conv2d(8, 8, kernelSize: 3, stride: 2, dtype: dtype, generator: &g)
                Mish()
                Conv2d(8, 4, kernelSize: 1, dtype: dtype, generator: &g)
                PReLU(numParameters: 4, dtype: dtype)
                Flatten()
                Linear(4 * 3 * 3, 16, dtype: dtype, generator: &g)
                Hardtanh(minValue: -0.3, maxValue: 0.4)
                Linear(16, 8, dtype: dtype, generator: &g)
                Hardsigmoid()
                Linear(8, 3, dtype: dtype, generator: &g)
                SELU()
            }
        }
        let model = build(.float32), reference = build(.float64)
        try reference.loadStateDict(model.stateDict().mapValues { $0.to(.float64) })
        model.eval()
        reference.eval()
        var g = SeededGenerator(seed: 5)
        for batch in [1, 4] {
            let x = Tensor.uniform([batch, 3, 8, 8], generator: &g) * 6 - 3
            let expected = reference(x.to(.float64)).to(.float32)
            let plan = InferencePlan(model)
            let steps = try plan.steps(forInputShape: x.shape)
            // PReLU, Hardsigmoid and SELU have no oneDNN form: three layers run as the model runs them.
            #expect(steps.filter { $0.contains("as the model runs it") }.count == 3, "\(steps)")
            if let m = mismatch(try plan(x), expected, rtol: 1e-4, atol: 1e-5) { Issue.record("batch \(batch): \(m)") }
        }
    }

    @Test("a whole image model against the same model in Float64, one sample and a batch, both single-sample paths")
    func imageModelMatchesFloat64() throws {
        let model = try imageModel(.float32, seed: 3)
        let reference = try imageModel(.float64, seed: 3)
        try reference.loadStateDict(model.stateDict().mapValues { $0.dtype == .float32 ? $0.to(.float64) : $0 })
        var g = SeededGenerator(seed: 9)
        for batch in [1, 3] {
            let x = Tensor.uniform([batch, 3, 16, 16], generator: &g) * 4 - 2
            let expected = reference(x.to(.float64)).to(.float32)
            for rowProducts in [true, false] {
                try KernelTesting.withInferenceRowProducts(rowProducts) {
                    let plan = InferencePlan(model)
                    let steps = try plan.steps(forInputShape: x.shape)
                    #expect(steps.filter { $0.contains("as the model runs it") }.count == 1, "\(steps)")   // softmax
                    #expect(steps.contains { $0.hasPrefix("oneDNN") })
                    if let m = mismatch(try plan(x), expected, rtol: 1e-4, atol: 1e-6) { Issue.record("batch \(batch): \(m)") }
                }
            }
        }
    }

    /// A MobileNet-style model: depthwise 3×3 convolutions (stride 1 and 2, one with a depth multiplier
    /// of 2), pointwise ones and a grouped one, each with folded batch normalization and a fused ReLU6,
    /// then global average pooling and a linear layer.
    func mobileNet(_ dtype: DType) -> Sequential {
        var g = SeededGenerator(seed: 31)
        let model = Sequential {
            Conv2d(3, 16, kernelSize: 3, padding: 1, bias: false, dtype: dtype, generator: &g); BatchNorm2d(16, dtype: dtype); ReLU6()
            Conv2d(16, 16, kernelSize: 3, padding: 1, groups: 16, bias: false, dtype: dtype, generator: &g); BatchNorm2d(16, dtype: dtype); ReLU6()
            Conv2d(16, 32, kernelSize: 1, bias: false, dtype: dtype, generator: &g); BatchNorm2d(32, dtype: dtype); ReLU6()
            Conv2d(32, 32, kernelSize: 3, stride: 2, padding: 1, groups: 32, dtype: dtype, generator: &g); ReLU6()
            Conv2d(32, 64, kernelSize: 3, padding: 1, groups: 32, dtype: dtype, generator: &g); ReLU()
            Conv2d(64, 64, kernelSize: 3, padding: 1, groups: 4, dtype: dtype, generator: &g); ReLU()
            AdaptiveAvgPool2d(1)
            Flatten()
            Linear(64, 10, dtype: dtype, generator: &g)
        }
        return Self.evaluating(model, statisticsSeed: 32)
    }

    /// `model` in evaluation mode with its batch normalizations' running statistics spread (means in
    /// [-1, 1), variances in [0.1, 2.1)), drawn from `statisticsSeed` in the order of their names.
    static func evaluating(_ model: Sequential, statisticsSeed: UInt64) -> Sequential {
        var r = SeededGenerator(seed: statisticsSeed)
        var state = model.stateDict()
        for (name, t) in state.sorted(by: { $0.key < $1.key }) where t.dtype.isFloatingPoint && t.rank == 1 {
            let u = (0..<t.count).map { _ in Double(r.next() % 1000) / 1000 }
            if name.hasSuffix("running_mean") { state[name] = Tensor(shape: t.shape, values: u.map { 2 * $0 - 1 }, dtype: t.dtype) }
            if name.hasSuffix("running_var") { state[name] = Tensor(shape: t.shape, values: u.map { 2 * $0 + 0.1 }, dtype: t.dtype) }
        }
        try! model.loadStateDict(state)   // the model's own state, values changed: cannot fail
        model.eval()
        return model
    }

    /// The Float32 `model` through a plan against `reference` (the same model in Float64, given its
    /// weights) on inputs of each batch size: the steps left to the model are `uncompiled` in number and
    /// the first step is a oneDNN chain.
    func expectPlanMatchesFloat64(_ model: Sequential, _ reference: Sequential, sample: [Int], batches: [Int], uncompiled: Int,
                                  seed: UInt64) throws {
        try reference.loadStateDict(model.stateDict().mapValues { $0.dtype == .float32 ? $0.to(.float64) : $0 })
        var g = SeededGenerator(seed: seed)
        for batch in batches {
            let x = Tensor.uniform([batch] + sample, generator: &g) * 4 - 2
            let expected = reference(x.to(.float64)).to(.float32)
            let plan = InferencePlan(model)
            let steps = try plan.steps(forInputShape: x.shape)
            #expect(steps.filter { $0.contains("as the model runs it") }.count == uncompiled, "\(steps)")
            #expect(steps.first?.hasPrefix("oneDNN") == true, "\(steps)")
            if let m = mismatch(try plan(x), expected, rtol: 1e-4, atol: 1e-5) { Issue.record("batch \(batch): \(m)") }
        }
    }

    @Test("a MobileNet-style model compiles into one oneDNN chain (depthwise and grouped convolutions included) and agrees with Float64, one image and a batch")
    func depthwiseModelMatchesFloat64() throws {
        try expectPlanMatchesFloat64(mobileNet(.float32), mobileNet(.float64), sample: [3, 16, 16], batches: [1, 5], uncompiled: 0, seed: 33)
    }

    /// A generator: transposed convolutions from a 1×1 code (stride 1, with bias, then batch
    /// normalization), 4×4 stride 2 padding 1, grouped with dilation and an output padding below the
    /// padding, 1×1 without bias or activation, one whose output padding exceeds its padding and one
    /// into 3 channels (those two left to the model), Tanh.
    func generator(_ dtype: DType) -> Sequential {
        var g = SeededGenerator(seed: 41)
        let model = Sequential {
            ConvTranspose2d(24, 32, kernelSize: 4, dtype: dtype, generator: &g); BatchNorm2d(32, dtype: dtype); ReLU()
            ConvTranspose2d(32, 32, kernelSize: 4, stride: 2, padding: 1, dtype: dtype, generator: &g); LeakyReLU(negativeSlope: 0.2)
            ConvTranspose2d(32, 16, kernelSize: 3, stride: 2, padding: 2, outputPadding: 1, groups: 4, dilation: 2,
                            dtype: dtype, generator: &g); BatchNorm2d(16, dtype: dtype); ReLU()
            ConvTranspose2d(16, 16, kernelSize: 1, bias: false, dtype: dtype, generator: &g)
            ConvTranspose2d(16, 16, kernelSize: 3, stride: 2, padding: 0, outputPadding: 1, dtype: dtype, generator: &g)
            ConvTranspose2d(16, 3, kernelSize: 3, padding: 1, dtype: dtype, generator: &g); Tanh()
        }
        return Self.evaluating(model, statisticsSeed: 42)
    }

    @Test("a generator's transposed convolutions join the oneDNN chain (grouped, dilated, output padding below the padding) and agree with Float64, one code and a batch")
    func transposedConvolutionsMatchFloat64() throws {
        // Left to the model: the output padding past the padding, and the 3-channel layer.
        try expectPlanMatchesFloat64(generator(.float32), generator(.float64), sample: [24, 1, 1], batches: [1, 4], uncompiled: 2, seed: 43)
    }

    /// A convolution with ReLU fused, a shape-keeping transposed convolution whose Tanh is a step of its
    /// own, max pooling, a batch normalization with its ReLU in one step, and a linear layer.
    func stepwiseModel(_ dtype: DType) -> Sequential {
        var g = SeededGenerator(seed: 51)
        let model = Sequential {
            Conv2d(8, 16, kernelSize: 3, padding: 1, dtype: dtype, generator: &g); ReLU()
            ConvTranspose2d(16, 16, kernelSize: 3, padding: 1, dtype: dtype, generator: &g); Tanh()
            MaxPool2d(2)
            BatchNorm2d(16, dtype: dtype); ReLU()
            Flatten()
            Linear(16 * 4 * 4, 10, dtype: dtype, generator: &g)
        }
        return Self.evaluating(model, statisticsSeed: 53)
    }

    @Test("a layer that fails midway through adding its oneDNN steps is left out of the chain wholly and runs as the model runs it: every step limit gives the model's output")
    func failedLayersLeaveTheChainUnchanged() throws {
        let model = stepwiseModel(.float32), reference = stepwiseModel(.float64)
        try reference.loadStateDict(model.stateDict().mapValues { $0.to(.float64) })
        var g = SeededGenerator(seed: 52)
        let x = Tensor.uniform([2, 8, 8, 8], generator: &g) * 4 - 2
        let expected = reference(x.to(.float64)).to(.float32)
        let unlimited = try InferencePlan(model).steps(forInputShape: x.shape)
        #expect(unlimited.allSatisfy { $0.hasPrefix("oneDNN") }, "every layer compiles without a limit: \(unlimited)")
        var leftToModel = Set<Int>()
        for limit in 1...10 {
            try KernelTesting.withInferenceChainStepLimit(limit) {
                let plan = InferencePlan(model)
                let steps = try plan.steps(forInputShape: x.shape)
                leftToModel.insert(steps.filter { $0.contains("as the model runs it") }.count)
                if let m = mismatch(try plan(x), expected, rtol: 1e-4, atol: 1e-5) { Issue.record("limit \(limit): \(m)\n\(steps)") }
            }
        }
        // Small limits left layers to the model (the check above ran on chains cut inside layers).
        #expect(leftToModel.count > 1, "\(leftToModel)")
    }

    /// Three 3×3 convolutions (padding 1; with and without bias; ReLU and Tanh fused) in Float32 and Float64.
    private func convolutionChain(_ dtype: DType) -> Sequential {
        var g = SeededGenerator(seed: 21)
        return Sequential {
            Conv2d(16, 32, kernelSize: 3, padding: 1, dtype: dtype, generator: &g); ReLU()
            Conv2d(32, 32, kernelSize: 3, padding: 1, bias: false, dtype: dtype, generator: &g); Tanh()
            Conv2d(32, 16, kernelSize: 3, padding: 1, dtype: dtype, generator: &g)
        }
    }

    @Test("convolutions computed directly, by oneDNN's first Winograd kernel and by the fastest of all agree with Float64",
          arguments: [KernelTesting.InferenceConvolution.direct, .winograd, .fastest])
    func convolutionAlgorithms(_ algorithm: KernelTesting.InferenceConvolution) throws {
        let model = convolutionChain(.float32), reference = convolutionChain(.float64)
        model.eval()
        var g = SeededGenerator(seed: 22)
        let x = Tensor.uniform([2, 16, 9, 10], generator: &g) * 2 - 1
        let expected = reference(x.to(.float64)).to(.float32)
        try KernelTesting.withInferenceConvolutions(algorithm) {
            let plan = InferencePlan(model)
            let steps = try plan.steps(forInputShape: x.shape).joined(separator: "; ")
            if algorithm == .winograd && KernelTesting.hasQuantizedRowKernel { #expect(steps.contains("wino"), "\(steps)") }
            if algorithm == .direct { #expect(!steps.contains("wino"), "\(steps)") }
            if let m = mismatch(try plan(x), expected, rtol: 1e-4, atol: 1e-5) { Issue.record("\(algorithm): \(m)") }
        }
    }

    @Test("each oneDNN convolution kernel the timed choice can keep agrees with Float64 (Winograd F(4×4, 3×3) and F(2×2, 3×3), brgconv, the AVX-512, AVX2 and SSE4.1 direct kernels, im2col products), one image and three",
          arguments: ["wino_4x3", "wino_2x3", "brgconv", "jit:avx512_core", "jit:avx2", "jit:sse41", "gemm"])
    func eachConvolutionKernel(_ kernel: String) throws {
        let model = convolutionChain(.float32), reference = convolutionChain(.float64)
        model.eval()
        var g = SeededGenerator(seed: 23)
        // One image; a batch timed whole; a batch timed on four of its images and built for all of them.
        for shape in [[1, 16, 12, 12], [3, 16, 9, 10], [6, 16, 12, 11]] {
            let x = Tensor.uniform(shape, generator: &g) * 2 - 1
            let expected = reference(x.to(.float64)).to(.float32)
            try KernelTesting.withInferenceConvolutions(.kernel(kernel)) {
                let plan = InferencePlan(model)
                let steps = try plan.steps(forInputShape: x.shape).joined(separator: "; ")
                // Every AVX-512 processor of ours has these: the test must run them, not fall back (oneDNN
                // offers F(2×2, 3×3) for single images only).
                let offered = shape[0] == 1 ? ["wino_4x3", "wino_2x3", "brgconv", "jit:avx512_core", "jit:avx2", "jit:sse41", "gemm"]
                    : ["wino_4x3", "brgconv", "jit:avx512_core"]
                if shape[0] != 3 && KernelTesting.hasQuantizedRowKernel && offered.contains(kernel) {
                    #expect(steps.components(separatedBy: kernel).count - 1 == 3, "\(shape): \(steps)")
                }
                if let m = mismatch(try plan(x), expected, rtol: 1e-4, atol: 1e-5) { Issue.record("\(kernel) \(shape): \(m)\n\(steps)") }
            }
        }
    }

    @Test("a timed choice is kept and reused by the next plan of the same layer; a choice made under a kernel filter is not served to unfiltered plans, at one and two threads")
    func timedChoicesAreKeptPerSetting() throws {
        let model = convolutionChain(.float32)
        model.eval()
        let shape = [2, 16, 10, 10]
        func steps(_ algorithm: KernelTesting.InferenceConvolution, threads: Int = 1) throws -> String {
            try Threading.withCount(threads) {
                try KernelTesting.withInferenceConvolutions(algorithm) { try InferencePlan(model).steps(forInputShape: shape).joined(separator: "; ") }
            }
        }
        // im2col products are never the fastest on these layers (3× the direct kernels' time): a choice
        // made under the filter must not be served to an unfiltered plan.
        let filtered = try steps(.kernel("gemm"))
        #expect(filtered.components(separatedBy: "gemm").count - 1 == 3, "\(filtered)")
        let fastest = try steps(.fastest)
        #expect(!fastest.contains("gemm"), "\(fastest)")
        let reusedBefore = KernelTesting.reusedConvolutionChoices
        #expect(try steps(.fastest) == fastest)
        // Other suites may compile plans meanwhile: at least this plan's three layers were reused.
        #expect(KernelTesting.reusedConvolutionChoices - reusedBefore >= 3)
        // At two threads the layers are timed again, and the filtered choices made there first are not
        // served to the unfiltered plan. Beside the other suites' work a timing can pick im2col for a
        // layer, even for all three (seen in CI), so a plan of three im2col kernels passes when they were
        // timed rather than reused (other suites' plans may add reuses meanwhile, rarely three).
        let filteredTwo = try steps(.kernel("gemm"), threads: 2)
        #expect(filteredTwo.components(separatedBy: "gemm").count - 1 == 3, "\(filteredTwo)")
        let reusedBeforeTwo = KernelTesting.reusedConvolutionChoices
        let twoThreads = try steps(.fastest, threads: 2)
        let reusedTwo = KernelTesting.reusedConvolutionChoices - reusedBeforeTwo
        #expect(twoThreads.components(separatedBy: "gemm").count - 1 < 3 || reusedTwo < 3, "\(twoThreads), \(reusedTwo) reused")
    }

    @Test("one-sample row products on packed panels agree with Float64: partial and whole panels, odd widths, ReLU and LeakyReLU fused, one and two threads, AVX-512 and the portable kernel")
    func rowProductsAgreeWithFloat64() throws {
        var g = SeededGenerator(seed: 21)
        // (out, in): fewer than one panel of 16 rows, exactly one, one and a row, several with a partial
        // last one; input widths below and off the 4-column step; blocks of four panels over an odd width
        // (whole, and with a partial fifth panel); a layer large enough to be split.
        let shapes = [(1, 1), (10, 3), (16, 5), (17, 784), (33, 7), (64, 31), (70, 9), (300, 1000)]
        let activations: [(String, () -> (any Layer)?)] = [("none", { nil }), ("relu", { ReLU() }), ("leaky", { LeakyReLU(negativeSlope: 0.1) })]
        for (out, inputs) in shapes {
            for (name, activation) in activations {
                for bias in [true, false] {
                    let linear = Linear(inputs, out, bias: bias, generator: &g)
                    let model = Sequential(activation().map { [linear, $0] } ?? [linear])
                    model.eval()
                    let wide = Linear(inputs, out, bias: bias, dtype: .float64, generator: &g)
                    let reference = Sequential(activation().map { [wide, $0] } ?? [wide])
                    try reference.loadStateDict(model.stateDict().mapValues { $0.to(.float64) })
                    let x = Tensor.uniform([1, inputs], generator: &g) * 4 - 2
                    let expected = reference(x.to(.float64)).to(.float32)
                    for threads in [1, 2] {
                        try Threading.withCount(threads) {
                            for portable in [false, true] {
                                let plan = InferencePlan(model)
                                let y = try portable ? KernelTesting.withPortableKernels { try plan(x) } : plan(x)
                                #expect(try plan.steps(forInputShape: x.shape).first?.hasPrefix("row product") == true)
                                if let m = mismatch(y, expected, rtol: 1e-5, atol: 1e-5) {
                                    Issue.record("[\(out), \(inputs)] \(name) bias \(bias) threads \(threads) portable \(portable): \(m)")
                                }
                            }
                        }
                    }
                }
            }
        }
        // Weights of extreme magnitude, and a NaN weight: its output row is NaN (ReLU keeps NaN), the others are not.
        let linear = Linear(20, 18, generator: &g)
        var w = linear.weight.scalars(as: Float.self)
        for i in w.indices { w[i] *= i % 3 == 0 ? 1e30 : (i % 3 == 1 ? 1e-30 : 1) }
        w[5 * 20 + 3] = .nan
        linear.weight = Tensor(shape: [18, 20], values: w)
        let model = Sequential { linear; ReLU() }
        model.eval()
        let x = Tensor.uniform([1, 20], generator: &g) * 1e-5
        for portable in [false, true] {
            let plan = InferencePlan(model)
            let y = try portable ? KernelTesting.withPortableKernels { try plan(x) } : plan(x)
            let expected = model(x)
            #expect(y.scalars(as: Float.self).map(\.isNaN) == expected.scalars(as: Float.self).map(\.isNaN))
            #expect(y.scalars(as: Float.self)[5].isNaN)
            let finite = Tensor(shape: [18], values: y.scalars(as: Float.self).map { $0.isNaN ? 0 : $0 })
            let finiteExpected = Tensor(shape: [18], values: expected.scalars(as: Float.self).map { $0.isNaN ? 0 : $0 })
            if let m = mismatch(finite, finiteExpected, rtol: 1e-5, atol: 0) { Issue.record("extreme weights, portable \(portable): \(m)") }
        }
    }

    @Test("huge, tiny, zero and NaN inputs give what the model gives")
    func edgeInputs() throws {
        var g = SeededGenerator(seed: 5)
        let model = Sequential {
            Conv2d(2, 8, kernelSize: 3, padding: 1, generator: &g); BatchNorm2d(8); ReLU(); MaxPool2d(2)
            Flatten(); Linear(8 * 3 * 3, 4, generator: &g); ReLU(); Linear(4, 3, generator: &g)
        }
        model.eval()
        let plan = InferencePlan(model)
        let base = Tensor.uniform([1, 2, 6, 6], generator: &g) - 0.5
        for scale in [0.0, 1e-30, 1e-6, 1e6, 1e15] {
            let x = base * scale
            let y = try plan(x), expected = model(x)
            // Outputs are sums of terms at least the biases' size (~0.1; one output here cancels to ~1e-5),
            // rounded in another order by the plan's kernels: absolute error ~1e-8 whatever the input's scale.
            if let m = mismatch(y, expected, rtol: 1e-5, atol: 1e-6 * max(scale, 1)) { Issue.record("scale \(scale): \(m)") }
        }
        // A NaN pixel: every output it reaches is NaN in both (oneDNN's ReLU must not turn NaN into 0).
        var values = base.scalars(as: Float.self)
        values[14] = .nan
        let x = Tensor(shape: base.shape, values: values)
        let y = try plan(x).scalars(as: Float.self), expected = model(x).scalars(as: Float.self)
        #expect(y.map(\.isNaN) == expected.map(\.isNaN), "\(y) vs \(expected)")
    }

    @Test("the plan compiles again after the model's tensors change: optimizer step, loaded state, assigned tensor, thread count")
    func recompilesWhenTheModelChanges() throws {
        var g = SeededGenerator(seed: 11)
        let conv = Conv2d(1, 4, kernelSize: 3, generator: &g), norm = BatchNorm2d(4), linear = Linear(4 * 4 * 4, 3, generator: &g)
        let model = Sequential { conv; norm; ReLU(); Flatten(); linear }
        model.eval()
        let plan = InferencePlan(model)
        let x = Tensor.uniform([1, 1, 6, 6], generator: &g)
        func check(_ what: String) throws {
            if let m = mismatch(try plan(x), model(x), rtol: 1e-5, atol: 1e-6) { Issue.record("\(what): \(m)") }
        }
        try check("first")
        // An optimizer step changes the weights in place.
        model.train()
        let loss = model(Tensor.uniform([2, 1, 6, 6], generator: &g)).square().sum()
        loss.backward()
        SGD(model.parameters(), lr: 0.1).step()
        model.eval()
        try check("after a step (running statistics moved too)")
        // Loaded state.
        var state = model.stateDict()
        state["1.running_mean"] = Tensor([0.5, -0.5, 1, 2])
        try model.loadStateDict(state)
        try check("after loadStateDict")
        // A tensor assigned to a layer.
        linear.weight = Tensor.uniform([3, 64], generator: &g)
        try check("after assigning a weight")
        try Threading.withCount(Threading.count == 1 ? 2 : 1) { try check("after changing the thread count") }
    }

    @Test("refusals and fall-backs: training mode, a misshapen input, Float64 inputs and models, a quantized model, an empty batch")
    func refusalsAndFallbacks() throws {
        var g = SeededGenerator(seed: 13)
        let model = Sequential { Conv2d(3, 4, kernelSize: 3, generator: &g); ReLU(); Flatten(); Linear(4 * 2 * 2, 2, generator: &g) }
        let plan = InferencePlan(model)
        let x = Tensor.uniform([1, 3, 4, 4], generator: &g)
        #expect(throws: GradusError.self) { try plan(x) }   // still in training mode
        model.eval()
        do {
            _ = try plan(Tensor.uniform([1, 5, 4, 4], generator: &g))
            Issue.record("five channels into a three-channel convolution did not throw")
        } catch let error as GradusError {
            #expect(error.kind == .shapeMismatch && error.message.contains("conv2d"), "\(error)")
        }
        // A Float64 input goes to the model, which refuses to mix it with Float32 weights, as model(x) does.
        #expect(throws: GradusError.self) { try plan(x.to(.float64)) }
        // A Float64 model runs as it is.
        var g64 = SeededGenerator(seed: 14)
        let model64 = Sequential { Conv2d(3, 4, kernelSize: 3, dtype: .float64, generator: &g64); ReLU() }
        model64.eval()
        let x64 = x.to(.float64)
        #expect(mismatch(try InferencePlan(model64)(x64), model64(x64), rtol: 0, atol: 0) == nil)
        #expect(try InferencePlan(model64).steps(forInputShape: [1, 3, 4, 4]) == ["model as it is (no step compiled)"])
        // An empty batch: nothing to compile, the model's own empty result.
        let empty = try plan(Tensor.zeros([0, 3, 4, 4]))
        #expect(empty.shape == [0, 2])
        #expect(try plan.steps(forInputShape: [0, 3, 4, 4]) == ["model as it is (no step compiled)"])
        // A quantized model keeps its integer path (without recording), compiled into the plan.
        let mlp = Sequential { Linear(6, 8, generator: &g); ReLU(); Linear(8, 2, generator: &g) }
        mlp.eval()
        mlp.quantizeDynamic()
        let q = InferencePlan(mlp), v = Tensor.uniform([1, 6], generator: &g)
        #expect(mismatch(try q(v), GradMode.noGrad { mlp(v) }, rtol: 0, atol: 0) == nil)
        #expect(try q.steps(forInputShape: [1, 6]) == ["int8 product 6 -> [1, 8] + ReLU", "int8 product 8 -> [1, 2]"])
    }

    /// A layer whose output batch is not its input batch: pairs of rows side by side.
    final class PairRows: Module, Layer {
        func callAsFunction(_ input: Tensor) -> Tensor { input.reshape([input.shape[0] / 2, -1]) }
    }

    @Test("a model that changes the batch size, or cannot run one sample, is compiled from a run on the whole batch")
    func batchChangingModel() throws {
        var g = SeededGenerator(seed: 19)
        let model = Sequential { Linear(4, 6, generator: &g); ReLU(); PairRows(); Linear(12, 3, generator: &g); Tanh() }
        model.eval()
        let plan = InferencePlan(model)
        for batch in [4, 8] {
            let x = Tensor.uniform([batch, 4], generator: &g)
            let steps = try plan.steps(forInputShape: x.shape)
            #expect(steps.contains { $0.hasPrefix("oneDNN") } && steps.contains { $0.contains("PairRows") }, "\(steps)")
            if let m = mismatch(try plan(x), model(x), rtol: 1e-5, atol: 1e-6) { Issue.record("batch \(batch): \(m)") }
        }
    }

    @Test("a batch whose intermediate results would exceed 64 MiB runs in chunks that fit, or through the model when a layer is not compiled or one sample is too large")
    func hugeBatchRunsInChunksOrThroughTheModel() throws {
        let model = Sequential { ReLU(); Tanh() }
        model.eval()
        let plan = InferencePlan(model)
        #expect(try plan.steps(forInputShape: [4, 1_000]).contains { $0.hasPrefix("oneDNN") })
        // Input, ReLU's and Tanh's outputs: 3 × 2.1 million elements per sample, 6.3 million: two samples
        // fit under 16.8 million elements, so 5 samples run as chunks of 2, 2 and 1.
        let steps = try plan.steps(forInputShape: [5, 2_100_000])
        #expect(steps.first == "in chunks of 2 samples:" && steps.dropFirst().allSatisfy { $0.hasPrefix("oneDNN") }, "\(steps)")
        var g = SeededGenerator(seed: 29)
        let x = Tensor.uniform([5, 2_100_000], generator: &g) * 6 - 3
        let y = try plan(x)
        #expect(y.shape == [5, 2_100_000])
        #expect(mismatch(y, model(x), rtol: 1e-6, atol: 1e-6) == nil)
        // One sample larger than the limit: the model.
        #expect(try plan.steps(forInputShape: [2, 6_000_000]) == ["model as it is (no step compiled)"])
        let big = Tensor.uniform([2, 6_000_000], generator: &g) - 0.5
        #expect(mismatch(try plan(big), model(big), rtol: 0, atol: 0) == nil)
        // A layer left to the model might mix the samples of a batch: no chunks, the whole batch through the model.
        let mixed = Sequential { ReLU(); Softmax(axis: 0) }
        mixed.eval()
        let mixedPlan = InferencePlan(mixed)
        #expect(try mixedPlan.steps(forInputShape: [5, 2_100_000]) == ["model as it is (no step compiled)"])
        #expect(mismatch(try mixedPlan(x), mixed(x), rtol: 1e-6, atol: 1e-12) == nil)
        // A quantized layer scales its activations by the whole batch's range: no chunks either.
        // (Rows of at most QuantizedWeights.maximumInputs, whose 32-bit sums cannot overflow: 300 samples
        // of 60,000 values pass the limit of 16.8 million elements.)
        let quantized = Sequential { ReLU(); Linear(60_000, 2, generator: &g) }
        quantized.eval()
        #expect(quantized.quantizeDynamic() == 1)
        let quantizedPlan = InferencePlan(quantized)
        #expect(try quantizedPlan.steps(forInputShape: [300, 60_000]) == ["model as it is (no step compiled)"])
        let wide = Tensor.uniform([300, 60_000], generator: &g) * 6 - 3
        #expect(mismatch(try quantizedPlan(wide), GradMode.noGrad { quantized(wide) }, rtol: 0, atol: 0) == nil)
    }

    @Test("evaluation runs a one-input model through a plan: the same loss, accuracy and confusion as the model computes")
    func evaluationThroughAPlan() throws {
        var g = SeededGenerator(seed: 31)
        let model = Sequential {
            Conv2d(3, 8, kernelSize: 3, padding: 1, generator: &g); BatchNorm2d(8); ReLU(); MaxPool2d(2)
            Flatten(); Linear(8 * 4 * 4, 5, generator: &g)
        }
        // Running statistics away from their defaults.
        model.train()
        _ = model(Tensor.uniform([16, 3, 8, 8], generator: &g) * 3)
        let images = Tensor.uniform([300, 3, 8, 8], generator: &g) * 2 - 1
        let labels = Tensor(labels: (0..<300).map { ($0 * 7) % 5 })
        // Four batches or more: through a plan.
        let result = Trainer.evaluate(model: model, task: .classify, data: TensorDataset(images, labels), batchSize: 64)
        #expect(model.isTraining, "the model is left in the mode it had")
        model.eval()
        let logits = model(images)
        let loss = Double(logits.crossEntropy(labels).item(Float.self))
        #expect(abs(result.loss - loss) <= 1e-5 * max(1, abs(loss)), "\(result.loss) vs \(loss)")
        let correct = (logits.argmax(axis: 1) .== labels).sum().intScalars[0]
        #expect(result.accuracy == Double(correct) / 300)
        #expect(result.confusion?.counts.joined().reduce(0, +) == 300)
    }

    @Test("a model ending in Flatten or Dropout returns the model's output shape")
    func trailingShapeLayers() throws {
        var g = SeededGenerator(seed: 23)
        let model = Sequential { Conv2d(2, 3, kernelSize: 3, generator: &g); ReLU(); Flatten(); Dropout(p: 0.3) }
        model.eval()
        let x = Tensor.uniform([2, 2, 5, 5], generator: &g)
        let y = try InferencePlan(model)(x)
        #expect(y.shape == [2, 27])
        #expect(mismatch(y, model(x), rtol: 1e-5, atol: 1e-6) == nil)
    }

    @Test("a quantized model through a plan: its integer path bit for bit, on one sample and on batches; a non-finite activation and a quantized convolution as the model computes them")
    func quantizedModelThroughAPlan() throws {
        var g = SeededGenerator(seed: 37)
        // 300 → 70: the row kernel's block of four panels and a partial fifth; LeakyReLU is not fused.
        let mlp = Sequential {
            Linear(300, 70, generator: &g); ReLU(); Linear(70, 33, generator: &g); LeakyReLU(negativeSlope: 0.1); Linear(33, 5, generator: &g)
        }
        mlp.eval()
        #expect(mlp.quantizeDynamic() == 3)
        let plan = InferencePlan(mlp)
        for batch in [1, 3, 9] {
            let x = Tensor.uniform([batch, 300], generator: &g) * 4 - 2
            #expect(mismatch(try plan(x), GradMode.noGrad { mlp(x) }, rtol: 0, atol: 0) == nil, "batch \(batch)")
            let steps = try plan.steps(forInputShape: [batch, 300])
            #expect(steps.count == 4 && steps[0] == "int8 product 300 -> [\(batch), 70] + ReLU" && steps[1] == "int8 product 70 -> [\(batch), 33]"
                    && steps[3] == "int8 product 33 -> [\(batch), 5]", "\(steps)")
        }
        // Without bias, and on three-dimensional inputs (the layer then runs as the model runs it).
        let noBias = Sequential { Linear(20, 7, bias: false, generator: &g); ReLU(); Linear(7, 3, bias: false, generator: &g) }
        noBias.eval()
        noBias.quantizeDynamic()
        let noBiasPlan = InferencePlan(noBias)
        for shape in [[1, 20], [4, 20], [2, 5, 20]] {
            let x = Tensor.uniform(shape, generator: &g) - 0.5
            #expect(mismatch(try noBiasPlan(x), GradMode.noGrad { noBias(x) }, rtol: 0, atol: 0) == nil, "\(shape)")
        }
        #expect(try noBiasPlan.steps(forInputShape: [4, 20]).first == "int8 product 20 -> [4, 7] + ReLU")
        // Huge inputs and weights: the first layer's outputs overflow to infinity, which the second layer
        // cannot quantize; the plan then gives the model's own result (that layer in Float32).
        let huge = Sequential { Linear(4, 3, generator: &g); Linear(3, 2, generator: &g) }
        huge.eval()
        _ = GradMode.noGrad { (huge[0] as! Linear).weight.assign((huge[0] as! Linear).weight * 1e37) }
        huge.quantizeDynamic()
        let hugePlan = InferencePlan(huge)
        let big = Tensor(shape: [1, 4], values: [3e30, -2e30, 1e30, 4e30] as [Float])
        let expected = GradMode.noGrad { huge(big) }
        #expect(expected.scalars(as: Float.self).contains { !$0.isFinite })
        #expect(mismatch(try hugePlan(big), expected, rtol: 0, atol: 0) == nil)
        // A quantized convolution runs as the model runs it; the rest is compiled around it.
        let cnn = Sequential {
            Conv2d(2, 4, kernelSize: 3, padding: 1, generator: &g); ReLU(); MaxPool2d(2); Flatten(); Linear(4 * 3 * 3, 6, generator: &g); ReLU()
        }
        cnn.eval()
        #expect(cnn.quantizeDynamic() == 2)
        let cnnPlan = InferencePlan(cnn)
        let image = Tensor.uniform([1, 2, 6, 6], generator: &g) - 0.5
        #expect(mismatch(try cnnPlan(image), GradMode.noGrad { cnn(image) }, rtol: 0, atol: 0) == nil)
        let steps = try cnnPlan.steps(forInputShape: [1, 2, 6, 6])
        #expect(steps.first == "Conv2d [1, 2, 6, 6] -> [1, 4, 6, 6] (as the model runs it)" && steps.last == "int8 product 36 -> [1, 6] + ReLU", "\(steps)")
        // Dequantized: everything compiled in Float32 again.
        cnn.dequantize()
        #expect(try cnnPlan.steps(forInputShape: [1, 2, 6, 6]).allSatisfy { !$0.contains("int8") && !$0.contains("as the model") })
        #expect(mismatch(try cnnPlan(image), cnn(image), rtol: 1e-5, atol: 1e-6) == nil)
    }

    @Test("quantizing a model after its plan was compiled sends calls to the integer path; dequantizing compiles again")
    func quantizingAfterCompiling() throws {
        var g = SeededGenerator(seed: 31)
        let mlp = Sequential { Linear(6, 8, generator: &g); ReLU(); Linear(8, 2, generator: &g) }
        mlp.eval()
        let plan = InferencePlan(mlp), v = Tensor.uniform([1, 6], generator: &g)
        let float = try plan(v)
        #expect(try plan.steps(forInputShape: [1, 6]).contains { $0.hasPrefix("row product") })
        mlp.quantizeDynamic()
        let integer = try plan(v)
        #expect(mismatch(integer, GradMode.noGrad { mlp(v) }, rtol: 0, atol: 0) == nil)
        #expect(mismatch(integer, float, rtol: 0, atol: 0) != nil)   // the integer path rounds differently
        #expect(try plan.steps(forInputShape: [1, 6]) == ["int8 product 6 -> [1, 8] + ReLU", "int8 product 8 -> [1, 2]"])
        // A weight changed after quantizing: that layer computes in Float32 again, in the model and the plan.
        _ = GradMode.noGrad { (mlp[2] as! Linear).weight.assign((mlp[2] as! Linear).weight * 2) }
        #expect(try plan.steps(forInputShape: [1, 6]) == ["int8 product 6 -> [1, 8] + ReLU", "row product 8 -> [1, 2]"])
        #expect(mismatch(try plan(v), GradMode.noGrad { mlp(v) }, rtol: 1e-6, atol: 1e-7) == nil)
        mlp.quantizeDynamic()
        #expect(mismatch(try plan(v), GradMode.noGrad { mlp(v) }, rtol: 0, atol: 0) == nil)
        mlp.dequantize()
        #expect(try plan.steps(forInputShape: [1, 6]).contains { $0.hasPrefix("row product") })
        #expect(mismatch(try plan(v), mlp(v), rtol: 1e-5, atol: 1e-6) == nil)
    }

    @Test("calls from several threads at once each get their own input's result")
    func concurrentCalls() throws {
        var g = SeededGenerator(seed: 17)
        let model = Sequential { Conv2d(3, 8, kernelSize: 3, padding: 1, generator: &g); ReLU(); MaxPool2d(2); Flatten(); Linear(8 * 4 * 4, 4, generator: &g) }
        model.eval()
        let plan = InferencePlan(model)
        let inputs = (0..<8).map { _ in Tensor.uniform([1, 3, 8, 8], generator: &g) }
        let expected = inputs.map { model($0).scalars(as: Float.self) }
        let results = ResultBox([[Float]](repeating: [], count: inputs.count))
        DispatchQueue.concurrentPerform(iterations: inputs.count * 4) { k in
            let i = k % inputs.count
            if let y = try? plan(inputs[i]).scalars(as: Float.self) { results.withLock { $0[i] = y } }
        }
        let got = results.withLock { $0 }
        for i in 0..<inputs.count {
            #expect(zip(got[i], expected[i]).allSatisfy { abs($0 - $1) <= 1e-5 * max(1, abs($1)) } && got[i].count == expected[i].count)
        }
    }
}

/// A value behind a lock, for collecting results from several threads in a test.
final class ResultBox<Value>: @unchecked Sendable {
    private var value: Value
    private let lock = NSLock()
    init(_ value: Value) { self.value = value }
    func withLock<R>(_ body: (inout Value) -> R) -> R {
        lock.lock()
        defer { lock.unlock() }
        return body(&value)
    }
}
