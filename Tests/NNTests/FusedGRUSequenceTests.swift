import Foundation
@_spi(KernelTesting) import Gradus
import Testing

/// The fused Float32 GRU sequence (one recorded operation per layer and direction, its rows split over
/// the threads) against the step-by-step graph of the same layer: outputs, final states and every
/// gradient, including second derivatives through a recorded backward. Shapes are the LSTM suite's.
@Suite("Fused GRU sequences")
struct FusedGRUSequenceTests {
    typealias Case = FusedLSTMSequenceTests.Case

    /// Output, final state, and the gradients of every parameter, the input and the initial state for a
    /// loss that weights every output and final state differently.
    static func run(_ c: Case, stepwise: Bool, portable: Bool = false) -> [[Float]] {
        var rng = SeededGenerator(seed: 5)
        let gru = GRU(inputSize: c.input, hiddenSize: c.hidden, numLayers: c.layers, bias: c.bias, batchFirst: c.batchFirst,
                      bidirectional: c.bidirectional, generator: &rng)
        let d = c.bidirectional ? 2 : 1
        let x = Tensor.normal(c.batchFirst ? [c.batch, c.steps, c.input] : [c.steps, c.batch, c.input], generator: &rng).requiringGrad()
        let h0 = Tensor.normal([c.layers * d, c.batch, c.hidden], generator: &rng).requiringGrad()
        let forward = { gru(x, c.initialState ? h0 : nil) }
        let (y, hidden) = stepwise ? KernelTesting.withStepwiseRecurrence(forward)
            : portable ? KernelTesting.withPortableKernels(forward) : forward()
        let wy = Tensor.normal(y.shape, generator: &rng), wh = Tensor.normal(hidden.shape, generator: &rng)
        let loss = (y * wy).sum() + (hidden * wh).sum()
        if portable { KernelTesting.withPortableKernels { loss.backward() } } else { loss.backward() }
        var out = [y.scalars(), hidden.scalars(), x.grad!.scalars()]
        if c.initialState { out.append(h0.grad!.scalars()) }
        out += gru.parameters().map { $0.grad!.scalars() }
        return out
    }

    static func expectClose(_ a: [[Float]], _ b: [[Float]], tolerance: Double, _ label: String) {
        #expect(a.count == b.count)
        for (k, (x, y)) in zip(a, b).enumerated() {
            #expect(x.count == y.count)
            let scale = Double(y.map { abs($0) }.max() ?? 1)
            let worst = zip(x, y).map { Double(abs($0 - $1)) }.max() ?? 0
            #expect(worst <= tolerance * max(scale, 1), "\(label): array \(k) differs by \(worst) (largest value \(scale))")
        }
    }

    @Test("outputs, final states and gradients equal the step-by-step graph's", arguments: FusedLSTMSequenceTests.cases)
    func matchesStepwise(_ c: Case) {
        Self.expectClose(Self.run(c, stepwise: false), Self.run(c, stepwise: true), tolerance: 2e-6, "\(c)")
    }

    @Test("the plain C cell (no AVX2) gives the vector cell's results", arguments: FusedLSTMSequenceTests.cases.prefix(2))
    func portableCell(_ c: Case) {
        Self.expectClose(Self.run(c, stepwise: false, portable: true), Self.run(c, stepwise: true), tolerance: 2e-6, "\(c)")
    }

    @Test("the fused operation is what runs: one recorded node per layer and direction")
    func recordsOneOperation() {
        var rng = SeededGenerator(seed: 1)
        let gru = GRU(inputSize: 3, hiddenSize: 5, generator: &rng)
        let y = gru(Tensor.normal([4, 2, 3], generator: &rng))
        #expect(y.gradFn?.name == "gruSequence")
        let stepwise = KernelTesting.withStepwiseRecurrence { gru(Tensor.normal([4, 2, 3], generator: &rng)) }
        #expect(stepwise.gradFn?.name != "gruSequence")
    }

    @Test("saturated gates and large states: the same values and gradients as step by step")
    func saturatedGates() {
        func run(stepwise: Bool) -> [[Float]] {
            var rng = SeededGenerator(seed: 11)
            let gru = GRU(inputSize: 4, hiddenSize: 6, generator: &rng)
            // Inputs of ±40 drive σ and tanh to 0, 1 and ±1 exactly; h0 of ±1e3 keeps h − n large.
            let x = (Tensor.normal([5, 9, 4], generator: &rng) * 40).requiringGrad()
            let h0 = (Tensor.normal([1, 9, 6], generator: &rng) * 1000).requiringGrad()
            let forward = { gru(x, h0) }
            let (y, hidden) = stepwise ? KernelTesting.withStepwiseRecurrence(forward) : forward()
            (y.square().sum() + hidden.sum()).backward()
            return [y.scalars(), x.grad!.scalars(), h0.grad!.scalars()] + gru.parameters().map { $0.grad!.scalars() }
        }
        let fused = run(stepwise: false)
        #expect(fused.allSatisfy { $0.allSatisfy(\.isFinite) })
        Self.expectClose(fused, run(stepwise: true), tolerance: 2e-6, "saturated")
    }

    @Test("second derivatives through the recorded backward equal the step-by-step graph's")
    func secondDerivatives() {
        func run(stepwise: Bool) -> [[Float]] {
            var rng = SeededGenerator(seed: 8)
            let gru = GRU(inputSize: 3, hiddenSize: 6, numLayers: 2, bidirectional: true, generator: &rng)
            let x = Tensor.normal([4, 10, 3], generator: &rng).requiringGrad()
            let forward = { gru(x, nil).output.square().sum() }
            let loss = stepwise ? KernelTesting.withStepwiseRecurrence(forward) : forward()
            // A gradient penalty: ‖∂loss/∂x‖², differentiated again with respect to the parameters.
            let gx = Autograd.gradients(of: loss, wrt: [x], createGraph: true)[0]
            gx.square().sum().backward()
            return [gx.scalars()] + gru.parameters().map { $0.grad!.scalars() }
        }
        Self.expectClose(run(stepwise: false), run(stepwise: true), tolerance: 1e-5, "second derivatives")
    }

    @Test("both backward formulas (C, and tensor operations under createGraph) give Float64's gradients")
    func backwardFormulasAgainstFloat64() throws {
        var rng = SeededGenerator(seed: 3)
        let gru = GRU(inputSize: 3, hiddenSize: 7, numLayers: 2, bidirectional: true, generator: &rng)
        let gru64 = GRU(inputSize: 3, hiddenSize: 7, numLayers: 2, bidirectional: true, dtype: .float64, generator: &rng)
        try gru64.loadStateDict(gru.stateDict().mapValues { $0.to(.float64) })
        let x = Tensor.normal([6, 11, 3], generator: &rng), h0 = Tensor.normal([4, 11, 7], generator: &rng)
        let weights = Tensor.normal([6, 11, 14], generator: &rng)
        func gradients(_ model: GRU, _ dtype: DType, createGraph: Bool) -> [[Double]] {
            let input = x.to(dtype).requiringGrad(), state = h0.to(dtype).requiringGrad()
            let (y, hidden) = model(input, state)
            let loss = (y * weights.to(dtype)).sum() + hidden.square().sum()
            let wrt = [input, state] + model.parameters()
            return Autograd.gradients(of: loss, wrt: wrt, createGraph: createGraph).map { $0.to(.float64).scalars(as: Double.self) }
        }
        let reference = gradients(gru64, .float64, createGraph: false)
        for createGraph in [false, true] {
            let fused = gradients(gru, .float32, createGraph: createGraph)
            for (k, (a, b)) in zip(fused, reference).enumerated() {
                let worst = zip(a, b).map { abs($0 - $1) }.max() ?? 0
                let scale = b.map(abs).max() ?? 1
                #expect(worst <= 1e-5 * max(scale, 1), "createGraph \(createGraph): gradient \(k) differs by \(worst)")
            }
        }
    }

    @Test("inference without gradients and Float64 (step by step) give the same outputs")
    func inferenceAndFloat64() {
        var rng = SeededGenerator(seed: 2)
        let gru = GRU(inputSize: 4, hiddenSize: 9, numLayers: 2, generator: &rng)
        let x = Tensor.normal([6, 20, 4], generator: &rng)
        let recorded = gru(x)
        let inference = GradMode.noGrad { gru(x) }
        #expect(recorded.scalars() == inference.scalars())
        let gru64 = GRU(inputSize: 4, hiddenSize: 9, numLayers: 2, dtype: .float64, generator: &rng)
        try? gru64.loadStateDict(gru.stateDict().mapValues { $0.to(.float64) })
        let y64 = gru64(x.to(.float64)).scalars(as: Double.self)
        let worst = zip(recorded.scalars(), y64).map { abs(Double($0) - $1) }.max() ?? 0
        #expect(worst < 1e-5, "Float32 fused vs Float64 step by step: \(worst)")
    }

    @Test("an empty batch gives empty outputs and zero weight gradients, as step by step")
    func emptyBatch() {
        for stepwise in [false, true] {
            var rng = SeededGenerator(seed: 6)
            let gru = GRU(inputSize: 3, hiddenSize: 4, generator: &rng)
            let x = Tensor.zeros([5, 0, 3]).requiringGrad()
            let forward = { gru(x, nil) }
            let (y, hidden) = stepwise ? KernelTesting.withStepwiseRecurrence(forward) : forward()
            #expect(y.shape == [5, 0, 4] && hidden.shape == [1, 0, 4])
            (y.sum() + hidden.sum()).backward()
            #expect(x.grad?.shape == [5, 0, 3])
            for p in gru.parameters() { #expect(p.grad.map { $0.scalars().allSatisfy { $0 == 0 } } ?? true, "stepwise \(stepwise)") }
        }
    }
}
