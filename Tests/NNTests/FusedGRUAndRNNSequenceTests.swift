import Foundation
@_spi(KernelTesting) import Gradus
import Testing

/// The fused Float32 GRU and Elman RNN sequences (one recorded operation per layer and direction, its
/// rows split over the threads) against the step-by-step graph of the same layer: outputs, final states
/// and every gradient, including second derivatives through a recorded backward. Shapes are the LSTM
/// suite's.
@Suite("Fused GRU and RNN sequences")
struct FusedGRUAndRNNSequenceTests {
    typealias Case = FusedLSTMSequenceTests.Case

    /// The layers with one state tensor, and the name of their fused operation.
    enum Kind: String, CaseIterable, Sendable, CustomStringConvertible {
        case gru, rnnTanh, rnnReLU
        var description: String { rawValue }
        var operation: String { self == .gru ? "gruSequence" : "rnnSequence" }

        /// The layer, as a function of the input and the optional initial state, and its parameters.
        func make(input: Int, hidden: Int, layers: Int = 1, bias: Bool = true, batchFirst: Bool = false,
                  bidirectional: Bool = false, dtype: DType = .float32, generator: inout SeededGenerator)
            -> (call: (Tensor, Tensor?) -> (Tensor, Tensor), module: Module) {
            switch self {
            case .gru:
                let m = GRU(inputSize: input, hiddenSize: hidden, numLayers: layers, bias: bias, batchFirst: batchFirst,
                            bidirectional: bidirectional, dtype: dtype, generator: &generator)
                return ({ m($0, $1) }, m)
            case .rnnTanh, .rnnReLU:
                let m = RNN(inputSize: input, hiddenSize: hidden, numLayers: layers, nonlinearity: self == .rnnTanh ? .tanh : .relu,
                            bias: bias, batchFirst: batchFirst, bidirectional: bidirectional, dtype: dtype, generator: &generator)
                return ({ m($0, $1) }, m)
            }
        }
    }

    /// Output, final state, and the gradients of every parameter, the input and the initial state for a
    /// loss that weights every output and final state differently.
    static func run(_ kind: Kind, _ c: Case, stepwise: Bool, portable: Bool = false) -> [[Float]] {
        var rng = SeededGenerator(seed: 5)
        let (layer, module) = kind.make(input: c.input, hidden: c.hidden, layers: c.layers, bias: c.bias, batchFirst: c.batchFirst,
                                      bidirectional: c.bidirectional, generator: &rng)
        let d = c.bidirectional ? 2 : 1
        let x = Tensor.normal(c.batchFirst ? [c.batch, c.steps, c.input] : [c.steps, c.batch, c.input], generator: &rng).requiringGrad()
        let h0 = Tensor.normal([c.layers * d, c.batch, c.hidden], generator: &rng).requiringGrad()
        let forward = { layer(x, c.initialState ? h0 : nil) }
        let (y, hidden) = stepwise ? KernelTesting.withStepwiseRecurrence(forward)
            : portable ? KernelTesting.withPortableKernels(forward) : forward()
        let wy = Tensor.normal(y.shape, generator: &rng), wh = Tensor.normal(hidden.shape, generator: &rng)
        let loss = (y * wy).sum() + (hidden * wh).sum()
        if portable { KernelTesting.withPortableKernels { loss.backward() } } else { loss.backward() }
        var out = [y.scalars(), hidden.scalars(), x.grad!.scalars()]
        if c.initialState { out.append(h0.grad!.scalars()) }
        out += module.parameters().map { $0.grad!.scalars() }
        return out
    }

    static func expectClose<T: BinaryFloatingPoint>(_ a: [[T]], _ b: [[T]], tolerance: Double, _ label: String) {
        #expect(a.count == b.count)
        for (k, (x, y)) in zip(a, b).enumerated() {
            #expect(x.count == y.count)
            let scale = Double(y.map { abs($0) }.max() ?? 1)
            let worst = zip(x, y).map { Double(abs($0 - $1)) }.max() ?? 0
            #expect(worst <= tolerance * max(scale, 1), "\(label): array \(k) differs by \(worst) (largest value \(scale))")
        }
    }

    @Test("outputs, final states and gradients equal the step-by-step graph's",
          arguments: Kind.allCases, FusedLSTMSequenceTests.cases)
    func matchesStepwise(_ kind: Kind, _ c: Case) {
        // Three threads whatever the machine has, so that batches of 24 rows or more run in uneven bands.
        let (fused, stepwise) = Threading.withCount(3) { (Self.run(kind, c, stepwise: false), Self.run(kind, c, stepwise: true)) }
        Self.expectClose(fused, stepwise, tolerance: 2e-6, "\(kind) \(c)")
    }

    @Test("the plain C cell (no AVX2) gives the vector cell's results",
          arguments: Kind.allCases, FusedLSTMSequenceTests.cases.prefix(2))
    func portableCell(_ kind: Kind, _ c: Case) {
        let (portable, stepwise) = Threading.withCount(3) {
            (Self.run(kind, c, stepwise: false, portable: true), Self.run(kind, c, stepwise: true))
        }
        Self.expectClose(portable, stepwise, tolerance: 2e-6, "\(kind) \(c)")
    }

    @Test("the fused operation is what runs: one recorded node per layer and direction", arguments: Kind.allCases)
    func recordsOneOperation(_ kind: Kind) {
        var rng = SeededGenerator(seed: 1)
        let (layer, _) = kind.make(input: 3, hidden: 5, generator: &rng)
        let y = layer(Tensor.normal([4, 2, 3], generator: &rng), nil).0
        #expect(y.gradFn?.name == kind.operation)
        let stepwise = KernelTesting.withStepwiseRecurrence { layer(Tensor.normal([4, 2, 3], generator: &rng), nil).0 }
        #expect(stepwise.gradFn?.name != kind.operation)
    }

    @Test("saturated gates and large states: the same values and gradients as step by step and Float64",
          arguments: Kind.allCases)
    func saturatedGates(_ kind: Kind) throws {
        func run(stepwise: Bool, dtype: DType) throws -> [[Double]] {
            var rng = SeededGenerator(seed: 11)
            let (layer, module) = kind.make(input: 4, hidden: 6, generator: &rng)
            let (layer64, module64) = kind.make(input: 4, hidden: 6, dtype: .float64, generator: &rng)
            try module64.loadStateDict(module.stateDict().mapValues { $0.to(.float64) })
            let (model, parameters) = dtype == .float64 ? (layer64, module64.parameters()) : (layer, module.parameters())
            // Inputs of ±40 drive σ and tanh to 0, 1 and ±1 exactly; h0 of ±1e3 keeps h − n large. 24 rows:
            // three bands of eight under three threads.
            let x = (Tensor.normal([5, 24, 4], generator: &rng) * 40).to(dtype).requiringGrad()
            let h0 = (Tensor.normal([1, 24, 6], generator: &rng) * 1000).to(dtype).requiringGrad()
            let forward = { model(x, h0) }
            let (y, hidden) = Threading.withCount(3) { stepwise ? KernelTesting.withStepwiseRecurrence(forward) : forward() }
            (y.square().sum() + hidden.sum()).backward()
            return ([y, x.grad!, h0.grad!] + parameters.map { $0.grad! }).map { $0.to(.float64).scalars(as: Double.self) }
        }
        let fused = try run(stepwise: false, dtype: .float32)
        #expect(fused.allSatisfy { $0.allSatisfy(\.isFinite) })
        Self.expectClose(fused, try run(stepwise: true, dtype: .float32), tolerance: 2e-6, "\(kind) saturated")
        // Against Float64, the tolerance is Float32's own: near saturation σ's 1 − z is resolved only to
        // 6e-8 in Float32 (an error of up to its whole size), and the loss multiplies it by 2y·(h − n), up
        // to ~2e6 here — relative errors of 2e-4 to 1.1e-3 in the GRU's gradients, from either Float32
        // path alike. A wrong formula differs by O(1).
        Self.expectClose(fused, try run(stepwise: true, dtype: .float64), tolerance: 3e-3,
                         "\(kind) saturated against Float64")
    }

    @Test("second derivatives through the recorded backward equal the step-by-step graph's and Float64's",
          arguments: Kind.allCases)
    func secondDerivatives(_ kind: Kind) throws {
        // Float64 runs step by step with tensor operations only: the reference that shares no formula
        // with the Float32 paths (the fused sequence, and step by step through the fused GRU cell).
        func run(stepwise: Bool, dtype: DType) throws -> [[Double]] {
            var rng = SeededGenerator(seed: 8)
            let (layer, module) = kind.make(input: 3, hidden: 6, layers: 2, bidirectional: true, generator: &rng)
            let (layer64, module64) = kind.make(input: 3, hidden: 6, layers: 2, bidirectional: true, dtype: .float64,
                                                generator: &rng)
            try module64.loadStateDict(module.stateDict().mapValues { $0.to(.float64) })
            let (model, parameters) = dtype == .float64 ? (layer64, module64.parameters()) : (layer, module.parameters())
            let x = Tensor.normal([4, 10, 3], generator: &rng).to(dtype).requiringGrad()
            let forward = { model(x, nil).0.square().sum() }
            let loss = stepwise ? KernelTesting.withStepwiseRecurrence(forward) : forward()
            // A gradient penalty: ‖∂loss/∂x‖², differentiated again with respect to the parameters.
            let gx = Autograd.gradients(of: loss, wrt: [x], createGraph: true)[0]
            gx.square().sum().backward()
            return ([gx] + parameters.map { $0.grad! }).map { $0.to(.float64).scalars(as: Double.self) }
        }
        let fused = try run(stepwise: false, dtype: .float32), reference = try run(stepwise: true, dtype: .float64)
        Self.expectClose(fused, try run(stepwise: true, dtype: .float32), tolerance: 1e-5,
                         "\(kind) second derivatives against step by step")
        Self.expectClose(fused, reference, tolerance: 1e-5, "\(kind) second derivatives against Float64")
    }

    @Test("the GRU cell layer (the fused C cell in Float32) gives Float64's values, gradients and second derivatives")
    func gruCellAgainstFloat64() throws {
        var rng = SeededGenerator(seed: 9)
        let cell = GRUCell(inputSize: 5, hiddenSize: 6, generator: &rng)
        let cell64 = GRUCell(inputSize: 5, hiddenSize: 6, dtype: .float64, generator: &rng)
        try cell64.loadStateDict(cell.stateDict().mapValues { $0.to(.float64) })
        // Large inputs saturate some gates exactly (σ = 0 or 1, tanh = ±1).
        let x = Tensor.normal([7, 5], generator: &rng) * Tensor.normal([7, 1], generator: &rng).square() * 10
        let h = Tensor.normal([7, 6], generator: &rng)
        // First-order gradients through the C backward (nothing recorded), then through the tensor
        // operations of a recorded backward, differentiated again.
        var weightsRNG = SeededGenerator(seed: 10)
        func firstOrder(_ layer: GRUCell, _ dtype: DType) -> [[Double]] {
            let input = x.to(dtype).detach().requiringGrad(), state = h.to(dtype).detach().requiringGrad()
            (layer(input, state) * Tensor.normal([7, 6], generator: &weightsRNG).to(dtype)).sum().backward()
            return ([input.grad!, state.grad!] + layer.parameters().map { $0.grad! }).map { $0.to(.float64).scalars(as: Double.self) }
        }
        let plain = firstOrder(cell, .float32)
        weightsRNG = SeededGenerator(seed: 10)
        let plain64 = firstOrder(cell64, .float64)
        for p in cell.parameters() + cell64.parameters() { p.grad = nil }
        func run(_ layer: GRUCell, _ dtype: DType) -> [[Double]] {
            let input = x.to(dtype).requiringGrad(), state = h.to(dtype).requiringGrad()
            let y = layer(input, state)
            #expect(dtype == .float64 || y.gradFn?.name == "gruCell")
            let (gx, gh) = { let g = Autograd.gradients(of: y.square().sum(), wrt: [input, state], createGraph: true)
                             return (g[0], g[1]) }()
            (gx.square().sum() + gh.square().sum()).backward()
            return ([y, gx, gh] + layer.parameters().map { $0.grad! }).map { $0.to(.float64).scalars(as: Double.self) }
        }
        Self.expectClose(plain + run(cell, .float32), plain64 + run(cell64, .float64), tolerance: 1e-5, "GRUCell")
    }

    @Test("both backward formulas (C, and tensor operations under createGraph) give Float64's gradients",
          arguments: Kind.allCases)
    func backwardFormulasAgainstFloat64(_ kind: Kind) throws {
        var rng = SeededGenerator(seed: 3)
        let (layer, module) = kind.make(input: 3, hidden: 7, layers: 2, bidirectional: true, generator: &rng)
        let (layer64, module64) = kind.make(input: 3, hidden: 7, layers: 2, bidirectional: true, dtype: .float64, generator: &rng)
        try module64.loadStateDict(module.stateDict().mapValues { $0.to(.float64) })
        let x = Tensor.normal([6, 11, 3], generator: &rng), h0 = Tensor.normal([4, 11, 7], generator: &rng)
        let weights = Tensor.normal([6, 11, 14], generator: &rng)
        func gradients(_ model: (Tensor, Tensor?) -> (Tensor, Tensor), _ parameters: [Tensor], _ dtype: DType,
                       createGraph: Bool) -> [[Double]] {
            let input = x.to(dtype).requiringGrad(), state = h0.to(dtype).requiringGrad()
            let (y, hidden) = model(input, state)
            let loss = (y * weights.to(dtype)).sum() + hidden.square().sum()
            let wrt = [input, state] + parameters
            return Autograd.gradients(of: loss, wrt: wrt, createGraph: createGraph).map { $0.to(.float64).scalars(as: Double.self) }
        }
        let reference = gradients(layer64, module64.parameters(), .float64, createGraph: false)
        for createGraph in [false, true] {
            Self.expectClose(gradients(layer, module.parameters(), .float32, createGraph: createGraph), reference,
                             tolerance: 1e-5, "\(kind) createGraph \(createGraph)")
        }
    }

    @Test("inference without gradients and Float64 (step by step) give the same outputs", arguments: Kind.allCases)
    func inferenceAndFloat64(_ kind: Kind) throws {
        var rng = SeededGenerator(seed: 2)
        let (layer, module) = kind.make(input: 4, hidden: 9, layers: 2, generator: &rng)
        let x = Tensor.normal([6, 20, 4], generator: &rng)
        let recorded = layer(x, nil).0
        let inference = GradMode.noGrad { layer(x, nil).0 }
        #expect(recorded.scalars() == inference.scalars())
        let (layer64, module64) = kind.make(input: 4, hidden: 9, layers: 2, dtype: .float64, generator: &rng)
        try module64.loadStateDict(module.stateDict().mapValues { $0.to(.float64) })
        let y64 = layer64(x.to(.float64), nil).0.scalars(as: Double.self)
        let worst = zip(recorded.scalars(), y64).map { abs(Double($0) - $1) }.max() ?? 0
        #expect(worst < 1e-5, "Float32 fused vs Float64 step by step: \(worst)")
    }

    @Test("an empty batch gives empty outputs and zero weight gradients, as step by step", arguments: Kind.allCases)
    func emptyBatch(_ kind: Kind) {
        for stepwise in [false, true] {
            var rng = SeededGenerator(seed: 6)
            let (layer, module) = kind.make(input: 3, hidden: 4, generator: &rng)
            let x = Tensor.zeros([5, 0, 3]).requiringGrad()
            let forward = { layer(x, nil) }
            let (y, hidden) = stepwise ? KernelTesting.withStepwiseRecurrence(forward) : forward()
            #expect(y.shape == [5, 0, 4] && hidden.shape == [1, 0, 4])
            (y.sum() + hidden.sum()).backward()
            #expect(x.grad?.shape == [5, 0, 3])
            for p in module.parameters() { #expect(p.grad.map { $0.scalars().allSatisfy { $0 == 0 } } ?? true, "stepwise \(stepwise)") }
        }
    }
}
