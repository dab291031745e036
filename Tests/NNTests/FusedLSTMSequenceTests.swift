import Foundation
@_spi(KernelTesting) import Gradus
import Testing

/// The fused Float32 LSTM sequence (one recorded operation per layer and direction, its rows split over
/// the threads) against the step-by-step graph of the same layer: outputs, final states and every
/// gradient, including second derivatives through a recorded backward.
@Suite("Fused LSTM sequences")
struct FusedLSTMSequenceTests {
    struct Case: CustomStringConvertible, Sendable {
        var steps: Int, batch: Int, input: Int, hidden: Int, layers: Int
        var bidirectional = false, batchFirst = false, bias = true, initialState = false
        var description: String {
            "T\(steps) N\(batch) I\(input) H\(hidden) L\(layers)\(bidirectional ? " bi" : "")\(batchFirst ? " batchFirst" : "")"
                + "\(bias ? "" : " nobias")\(initialState ? " h0" : "")"
        }
    }

    static let cases: [Case] = [
        Case(steps: 7, batch: 32, input: 6, hidden: 16, layers: 1),                       // rows split in two
        Case(steps: 5, batch: 33, input: 4, hidden: 8, layers: 2, initialState: true),     // uneven bands
        Case(steps: 1, batch: 1, input: 3, hidden: 5, layers: 1),                          // one step, one row
        Case(steps: 6, batch: 17, input: 5, hidden: 12, layers: 2, bidirectional: true, batchFirst: true),
        Case(steps: 4, batch: 9, input: 3, hidden: 7, layers: 1, bias: false, initialState: true),
        Case(steps: 3, batch: 16, input: 2, hidden: 33, layers: 1, bidirectional: true, initialState: true),
        Case(steps: 5, batch: 24, input: 3, hidden: 6, layers: 1, bidirectional: true, bias: false),   // reverse bands, no bias
    ]

    /// Output, final states, and the gradients of every parameter, the input and the initial states
    /// for a loss that weights every output and final state differently.
    static func run(_ c: Case, stepwise: Bool) -> [[Float]] {
        var rng = SeededGenerator(seed: 4)
        let lstm = LSTM(inputSize: c.input, hiddenSize: c.hidden, numLayers: c.layers, bias: c.bias, batchFirst: c.batchFirst,
                        bidirectional: c.bidirectional, generator: &rng)
        let d = c.bidirectional ? 2 : 1
        let x = Tensor.normal(c.batchFirst ? [c.batch, c.steps, c.input] : [c.steps, c.batch, c.input], generator: &rng).requiringGrad()
        let h0 = Tensor.normal([c.layers * d, c.batch, c.hidden], generator: &rng).requiringGrad()
        let c0 = Tensor.normal([c.layers * d, c.batch, c.hidden], generator: &rng).requiringGrad()
        let forward = { lstm(x, c.initialState ? (h0, c0) : nil) }
        let (y, state) = stepwise ? KernelTesting.withStepwiseRecurrence(forward) : forward()
        let wy = Tensor.normal(y.shape, generator: &rng), wh = Tensor.normal(state.hidden.shape, generator: &rng)
        let wc = Tensor.normal(state.cell.shape, generator: &rng)
        ((y * wy).sum() + (state.hidden * wh).sum() + (state.cell * wc).sum()).backward()
        var out = [y.scalars(), state.hidden.scalars(), state.cell.scalars(), x.grad!.scalars()]
        if c.initialState { out += [h0.grad!.scalars(), c0.grad!.scalars()] }
        out += lstm.parameters().map { $0.grad!.scalars() }
        return out
    }

    @Test("outputs, final states and gradients equal the step-by-step graph's", arguments: cases)
    func matchesStepwise(_ c: Case) {
        let fused = Self.run(c, stepwise: false), stepwise = Self.run(c, stepwise: true)
        #expect(fused.count == stepwise.count)
        for (k, (a, b)) in zip(fused, stepwise).enumerated() {
            #expect(a.count == b.count)
            let scale = Double(b.map { abs($0) }.max() ?? 1)
            let worst = zip(a, b).map { Double(abs($0 - $1)) }.max() ?? 0
            #expect(worst <= 2e-6 * max(scale, 1), "\(c): array \(k) differs by \(worst) (largest value \(scale))")
        }
    }

    @Test("second derivatives through the recorded backward equal the step-by-step graph's")
    func secondDerivatives() {
        func run(stepwise: Bool) -> [[Float]] {
            var rng = SeededGenerator(seed: 8)
            let lstm = LSTM(inputSize: 3, hiddenSize: 6, generator: &rng)
            let x = Tensor.normal([4, 10, 3], generator: &rng).requiringGrad()
            let forward = { lstm(x, nil).output.square().sum() }
            let loss = stepwise ? KernelTesting.withStepwiseRecurrence(forward) : forward()
            // A gradient penalty: ‖∂loss/∂x‖², differentiated again with respect to the parameters.
            let gx = Autograd.gradients(of: loss, wrt: [x], createGraph: true)[0]
            gx.square().sum().backward()
            return [gx.scalars()] + lstm.parameters().map { $0.grad!.scalars() }
        }
        let fused = run(stepwise: false), stepwise = run(stepwise: true)
        for (k, (a, b)) in zip(fused, stepwise).enumerated() {
            let worst = zip(a, b).map { Double(abs($0 - $1)) }.max() ?? 0
            let scale = Double(b.map { abs($0) }.max() ?? 1)
            #expect(worst <= 1e-5 * max(scale, 1), "array \(k) differs by \(worst)")
        }
    }

    @Test("inference without gradients and Float64 (step by step) give the same outputs")
    func inferenceAndFloat64() {
        var rng = SeededGenerator(seed: 2)
        let lstm = LSTM(inputSize: 4, hiddenSize: 9, numLayers: 2, generator: &rng)
        let x = Tensor.normal([6, 20, 4], generator: &rng)
        let recorded = lstm(x)
        let inference = GradMode.noGrad { lstm(x) }
        #expect(recorded.scalars() == inference.scalars())
        let lstm64 = LSTM(inputSize: 4, hiddenSize: 9, numLayers: 2, dtype: .float64, generator: &rng)
        try? lstm64.loadStateDict(lstm.stateDict().mapValues { $0.to(.float64) })
        let y64 = lstm64(x.to(.float64)).scalars(as: Double.self)
        let worst = zip(recorded.scalars(), y64).map { abs(Double($0) - $1) }.max() ?? 0
        #expect(worst < 1e-5, "Float32 fused vs Float64 step by step: \(worst)")
    }

    @Test("an empty batch gives empty outputs and zero weight gradients, as step by step")
    func emptyBatch() {
        for stepwise in [false, true] {
            var rng = SeededGenerator(seed: 6)
            let lstm = LSTM(inputSize: 3, hiddenSize: 4, generator: &rng)
            let x = Tensor.zeros([5, 0, 3]).requiringGrad()
            let forward = { lstm(x, nil) }
            let (y, state) = stepwise ? KernelTesting.withStepwiseRecurrence(forward) : forward()
            #expect(y.shape == [5, 0, 4] && state.hidden.shape == [1, 0, 4] && state.cell.shape == [1, 0, 4])
            (y.sum() + state.cell.sum()).backward()
            #expect(x.grad?.shape == [5, 0, 3])
            for p in lstm.parameters() { #expect(p.grad.map { $0.scalars().allSatisfy { $0 == 0 } } ?? true, "stepwise \(stepwise)") }
        }
    }
}
