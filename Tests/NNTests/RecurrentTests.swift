import Gradus
import GradusTestSupport
import Testing

/// RNN, LSTM and GRU beyond the PyTorch fixtures: states carried between calls, final states against
/// the output sequence, Float64 gradient checks through the steps, dropout between layers, errors.
@Suite("Recurrent layers")
struct RecurrentTests {
    func normal(_ shape: [Int], seed: UInt64, dtype: DType = .float64) -> Tensor {
        var rng = SeededGenerator(seed: seed)
        return Tensor.normal(shape, dtype: dtype, generator: &rng)
    }

    @Test("the final hidden state is the last output step, and a sequence split in two gives the same result")
    func statesCarryOver() throws {
        var rng = SeededGenerator(seed: 3)
        let lstm = LSTM(inputSize: 3, hiddenSize: 5, numLayers: 2, generator: &rng)
        let x = normal([7, 2, 3], seed: 4, dtype: .float32)
        let whole = lstm(x, nil)
        #expect(whole.output.shape == [7, 2, 5] && whole.state.hidden.shape == [2, 2, 5] && whole.state.cell.shape == [2, 2, 5])
        #expect(mismatch(whole.state.hidden.select(axis: 0, index: 1), whole.output.select(axis: 0, index: 6),
                         rtol: 0, atol: 0) == nil)
        let first = lstm(x.slice(axis: 0, start: 0, end: 4), nil)
        let second = lstm(x.slice(axis: 0, start: 4, end: 7), first.state)
        #expect(mismatch(second.output, whole.output.slice(axis: 0, start: 4, end: 7), rtol: 1e-6, atol: 1e-7) == nil)
        #expect(mismatch(second.state.cell, whole.state.cell, rtol: 1e-6, atol: 1e-7) == nil)

        let gru = GRU(inputSize: 3, hiddenSize: 4, generator: &rng)
        let g1 = gru(x.slice(axis: 0, start: 0, end: 3), nil), g2 = gru(x.slice(axis: 0, start: 3, end: 7), g1.hidden)
        #expect(mismatch(g2.output, gru(x).slice(axis: 0, start: 3, end: 7), rtol: 1e-6, atol: 1e-7) == nil)
    }

    @Test("gradients with respect to the input and the initial states pass central differences in Float64")
    func gradientCheck() {
        var rng = SeededGenerator(seed: 5)
        let lstm = LSTM(inputSize: 3, hiddenSize: 2, numLayers: 2, bidirectional: true, dtype: .float64, generator: &rng)
        let (x, h, c) = (normal([4, 2, 3], seed: 6), normal([4, 2, 2], seed: 7), normal([4, 2, 2], seed: 8))
        let lstmReport = GradCheck.check(inputs: [x, h, c]) { t in
            let r = lstm(t[0], (t[1], t[2]))
            return Tensor.concatenate([r.output.flatten(), r.state.hidden.flatten(), r.state.cell.flatten()])
        }
        #expect(lstmReport.passed, "LSTM:\n\(lstmReport)")
        let gru = GRU(inputSize: 3, hiddenSize: 2, batchFirst: true, dtype: .float64, generator: &rng)
        let gruReport = GradCheck.check(inputs: [normal([2, 4, 3], seed: 9), normal([1, 2, 2], seed: 10)]) { t in
            let r = gru(t[0], t[1])
            return Tensor.concatenate([r.output.flatten(), r.hidden.flatten()])
        }
        #expect(gruReport.passed, "GRU:\n\(gruReport)")
        let rnn = RNN(inputSize: 3, hiddenSize: 2, numLayers: 2, dtype: .float64, generator: &rng)
        let rnnReport = GradCheck.check(inputs: [normal([5, 3], seed: 11)]) { rnn($0[0]) }
        #expect(rnnReport.passed, "RNN:\n\(rnnReport)")
    }

    @Test("the fused Float32 cell's first and second derivatives match the Float64 tensor-op cell")
    func fusedCellMatchesComposed() throws {
        var rng = SeededGenerator(seed: 21)
        let fused = LSTM(inputSize: 3, hiddenSize: 4, generator: &rng)
        let reference = LSTM(inputSize: 3, hiddenSize: 4, dtype: .float64)
        try reference.loadStateDict(fused.stateDict().mapValues { $0.to(.float64) })
        let x = Tensor.normal([5, 2, 3], generator: &rng)
        func derivatives(_ lstm: LSTM, _ input: Tensor) -> (Tensor, Tensor, Tensor) {
            let xi = input.requiringGrad()
            let (output, state) = lstm(xi, nil)
            let loss = (output * output).sum() + state.cell.sum()
            let g = Autograd.gradients(of: loss, wrt: [xi], createGraph: true)[0]
            let second = Autograd.gradients(of: (g * g).sum(), wrt: [xi])[0]
            return (output, g, second)
        }
        let (o32, g32, s32) = derivatives(fused, x), (o64, g64, s64) = derivatives(reference, x.to(.float64))
        #expect(mismatch(o32, o64.to(.float32), rtol: 1e-5, atol: 1e-6) == nil)
        #expect(mismatch(g32, g64.to(.float32), rtol: 1e-4, atol: 1e-5) == nil)
        #expect(mismatch(s32, s64.to(.float32), rtol: 1e-3, atol: 1e-4) == nil)
        // Without createGraph the fused backward runs: the same first derivative.
        let xi = x.requiringGrad()
        let (output, state) = fused(xi, nil)
        ((output * output).sum() + state.cell.sum()).backward()
        #expect(mismatch(xi.grad!, g64.to(.float32), rtol: 1e-4, atol: 1e-5) == nil)
    }

    @Test("dropout acts between layers in training mode only")
    func dropoutBetweenLayers() {
        var rng = SeededGenerator(seed: 12)
        let lstm = LSTM(inputSize: 3, hiddenSize: 8, numLayers: 2, dropout: 0.5, generator: &rng)
        let x = normal([5, 4, 3], seed: 13, dtype: .float32)
        lstm.eval()
        let a = lstm(x).scalars(), b = lstm(x).scalars()
        #expect(a == b)
        lstm.train()
        let (c, d) = Random.withSeed(1) { (lstm(x).scalars(), lstm(x).scalars()) }
        #expect(c != a && c != d)
        #expect(lstm.description.contains("dropout: 0.5"))
    }

    @Test("PyTorch's parameter names, shapes and count")
    func parameters() {
        let gru = GRU(inputSize: 3, hiddenSize: 4, numLayers: 2, bidirectional: true)
        #expect(gru.namedParameters().map(\.name) == [
            "weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
            "weight_ih_l0_reverse", "weight_hh_l0_reverse", "bias_ih_l0_reverse", "bias_hh_l0_reverse",
            "weight_ih_l1", "weight_hh_l1", "bias_ih_l1", "bias_hh_l1",
            "weight_ih_l1_reverse", "weight_hh_l1_reverse", "bias_ih_l1_reverse", "bias_hh_l1_reverse",
        ])
        #expect(gru.inputWeights[2].shape == [12, 8])
        // PyTorch: sum(p.numel() for p in nn.GRU(3, 4, 2, bidirectional=True).parameters()) == 552
        #expect(gru.parameterCount == 552)
        let bound = 1 / 2.0
        #expect(gru.parameters().allSatisfy { $0.abs().max().item(Double.self) <= bound })
    }

    @Test("a wrong input size or state shape stops with a message naming the layer and the shapes")
    func shapeErrors() async {
        await #expect(processExitsWith: .failure) {
            _ = LSTM(inputSize: 3, hiddenSize: 4)(Tensor.zeros([5, 2, 6]))
        }
        await #expect(processExitsWith: .failure) {
            _ = GRU(inputSize: 3, hiddenSize: 4)(Tensor.zeros([5, 2, 3]), Tensor.zeros([1, 3, 4]))
        }
    }

    @Test("an LSTM with projections: PyTorch's names and shapes, states of two widths, Float64 gradients, errors")
    func projections() throws {
        var rng = SeededGenerator(seed: 31)
        let lstm = LSTM(inputSize: 3, hiddenSize: 4, numLayers: 2, bidirectional: true, projSize: 2, dtype: .float64, generator: &rng)
        #expect(lstm.namedParameters().prefix(5).map(\.name) == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "weight_hr_l0"])
        #expect(lstm.namedParameters().map(\.name).filter { $0.hasPrefix("weight_hr") }
                == ["weight_hr_l0", "weight_hr_l0_reverse", "weight_hr_l1", "weight_hr_l1_reverse"])
        #expect(lstm.hiddenWeights[0].shape == [16, 2] && lstm.inputWeights[2].shape == [16, 4] && lstm.projectionWeights[0].shape == [2, 4])
        // PyTorch: sum(p.numel() for p in nn.LSTM(3, 4, 2, bidirectional=True, proj_size=2).parameters()) == 512
        #expect(lstm.parameterCount == 512)
        #expect(lstm.description.contains("projSize: 2"))
        let (x, h, c) = (normal([4, 2, 3], seed: 32), normal([4, 2, 2], seed: 33), normal([4, 2, 4], seed: 34))
        let r = lstm(x, (h, c))
        #expect(r.output.shape == [4, 2, 4] && r.state.hidden.shape == [4, 2, 2] && r.state.cell.shape == [4, 2, 4])
        // The last layer's forward final hidden state is its output at the last step (the projection applied).
        #expect(mismatch(r.state.hidden.select(axis: 0, index: 2), r.output.select(axis: 0, index: 3).slice(axis: 1, start: 0, end: 2),
                         rtol: 0, atol: 0) == nil)
        let report = GradCheck.check(inputs: [x, h, c]) { t in
            let r = lstm(t[0], (t[1], t[2]))
            return Tensor.concatenate([r.output.flatten(), r.state.hidden.flatten(), r.state.cell.flatten()])
        }
        #expect(report.passed, "LSTM with projections:\n\(report)")
        // A Float32 layer runs the step-by-step path (the fused sequence has no projection) and agrees.
        let single = LSTM(inputSize: 3, hiddenSize: 4, projSize: 3)
        let reference = LSTM(inputSize: 3, hiddenSize: 4, projSize: 3, dtype: .float64)
        try reference.loadStateDict(single.stateDict().mapValues { $0.to(.float64) })
        let y = single(x.to(.float32)), expected = reference(x)
        #expect(mismatch(y.to(.float64), expected, rtol: 1e-5, atol: 1e-6) == nil)
        // Errors: a hidden state of the cell's width, and a projection as wide as the hidden state.
        #expect(throws: GradusError.self) { try GradusError.catching { _ = lstm(x, (c, c)) } }
        #expect(throws: GradusError.self) { try GradusError.catching { _ = LSTM(inputSize: 3, hiddenSize: 4, projSize: 4) } }
    }
}
