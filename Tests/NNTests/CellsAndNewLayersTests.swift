import Gradus
import GradusTestSupport
import Testing

/// tests/Fixtures/nn/cell_steps_*.json: two steps of a cell from a given state (scripts/make_nn_fixtures.py).
private struct CellSteps: Decodable {
    let state: [String: TensorFixture]
    let inputs: [TensorFixture]
    let initial: [TensorFixture]
    let gradOutput: TensorFixture
    let output: TensorFixture
    let gradCell: TensorFixture?
    let finalCell: TensorFixture?
    let gradInputs: [TensorFixture]
    let gradInitial: [TensorFixture]
    let grads: [String: TensorFixture]
}

@Suite("Recurrent cells, RMSNorm and pixel shuffling")
struct CellsAndNewLayersTests {
    @Test("two steps of each cell from a given state match PyTorch: hidden states, inputs', state's and weights' gradients",
          arguments: ["rnn", "lstm", "gru", "lstm_unbatched"])
    func cellSteps(_ name: String) throws {
        let f = try Fixtures.decode(CellSteps.self, "nn/cell_steps_\(name).json")
        let (inputSize, hiddenSize) = (f.inputs[0].shape.last!, f.initial[0].shape.last!)
        let cell: RecurrentCell = switch name {
        case "rnn": RNNCell(inputSize: inputSize, hiddenSize: hiddenSize)
        case "gru": GRUCell(inputSize: inputSize, hiddenSize: hiddenSize)
        case "lstm": LSTMCell(inputSize: inputSize, hiddenSize: hiddenSize)
        default: LSTMCell(inputSize: inputSize, hiddenSize: hiddenSize, bias: false)
        }
        try cell.loadStateDict(f.state.mapValues { $0.tensor() })
        let xs = f.inputs.map { $0.tensor().requiringGrad() }
        let initial = f.initial.map { $0.tensor().requiringGrad() }
        var hidden: [Tensor] = []
        var loss: Tensor
        if let lstm = cell as? LSTMCell {
            var state = (h: initial[0], c: initial[1])
            for x in xs { state = lstm(x, state); hidden.append(state.h) }
            let c = try #require(f.finalCell), gc = try #require(f.gradCell)
            #expect(mismatch(state.c, c.tensor(), rtol: 1e-5, atol: 2e-6) == nil)
            loss = (state.c * gc.tensor()).sum()
        } else {
            var h = initial[0]
            for x in xs { h = cell is GRUCell ? (cell as! GRUCell)(x, h) : (cell as! RNNCell)(x, h); hidden.append(h) }
            loss = Tensor.zeros([])
        }
        let y = Tensor.stack(hidden, axis: 0)
        #expect(mismatch(y, f.output.tensor(), rtol: 1e-5, atol: 2e-6) == nil, "\(name): hidden states")
        (loss + (y * f.gradOutput.tensor()).sum()).backward()
        for (x, g) in zip(xs, f.gradInputs) { #expect(mismatch(try #require(x.grad), g.tensor(), rtol: 1e-5, atol: 2e-6) == nil) }
        for (s, g) in zip(initial, f.gradInitial) { #expect(mismatch(try #require(s.grad), g.tensor(), rtol: 1e-5, atol: 2e-6) == nil) }
        for (pname, p) in cell.namedParameters() {
            let expected = try #require(f.grads[pname], "\(name): PyTorch has no \(pname)")
            #expect(mismatch(try #require(p.grad), expected.tensor(), rtol: 1e-5, atol: 2e-6) == nil, "\(name): \(pname)")
        }
    }

    @Test("Float64 gradient checks: each cell's step (input and state), RMSNorm, pixel shuffle and unshuffle")
    func gradientChecks() {
        var rng = SeededGenerator(seed: 3)
        let x = Tensor.normal([2, 3], dtype: .float64, generator: &rng)
        let h = Tensor.normal([2, 4], dtype: .float64, generator: &rng)
        let c = Tensor.normal([2, 4], dtype: .float64, generator: &rng)
        let rnn = RNNCell(inputSize: 3, hiddenSize: 4, dtype: .float64, generator: &rng)
        let gru = GRUCell(inputSize: 3, hiddenSize: 4, dtype: .float64, generator: &rng)
        let lstm = LSTMCell(inputSize: 3, hiddenSize: 4, dtype: .float64, generator: &rng)
        #expect(GradCheck.check(inputs: [x, h]) { rnn($0[0], $0[1]) }.passed)
        #expect(GradCheck.check(inputs: [x, h]) { gru($0[0], $0[1]) }.passed)
        #expect(GradCheck.check(inputs: [x, h, c]) { let s = lstm($0[0], ($0[1], $0[2])); return Tensor.concatenate([s.h, s.c], axis: 1) }.passed)
        let w = Tensor.normal([3, 5], dtype: .float64, generator: &rng)
        let y = Tensor.normal([2, 3, 5], dtype: .float64, generator: &rng)
        #expect(GradCheck.check(inputs: [y, w]) { Functional.rmsNorm($0[0], normalizedShape: [3, 5], weight: $0[1]) }.passed)
        #expect(GradCheck.check(inputs: [y * 1e-4], epsilon: 1e-10) { Functional.rmsNorm($0[0], normalizedShape: [5], eps: 1e-9) }.passed)
        let images = Tensor.normal([2, 8, 2, 4], dtype: .float64, generator: &rng)
        #expect(GradCheck.check(inputs: [images]) { Functional.pixelShuffle($0[0], upscaleFactor: 2) }.passed)
        #expect(GradCheck.check(inputs: [images]) { Functional.pixelUnshuffle($0[0], downscaleFactor: 2).square() }.passed)
    }

    @Test("pixel shuffle places channel c·r² + i·r + j at (h·r + i, w·r + j), unshuffle inverts it, on any leading dimensions")
    func pixelShuffleLayout() {
        let x = Tensor.arange(0, 96, dtype: .float64).reshape([2, 8, 2, 3])
        let y = Functional.pixelShuffle(x, upscaleFactor: 2)
        #expect(y.shape == [2, 2, 4, 6])
        let xs = x.scalars(as: Double.self), ys = y.scalars(as: Double.self)
        var wrong = 0
        for n in 0..<2 { for c in 0..<2 { for h in 0..<2 { for w in 0..<3 { for i in 0..<2 { for j in 0..<2 {
            let src = ((n * 8 + c * 4 + i * 2 + j) * 2 + h) * 3 + w
            let dst = ((n * 2 + c) * 4 + h * 2 + i) * 6 + w * 2 + j
            if xs[src] != ys[dst] { wrong += 1 }
        } } } } } }
        #expect(wrong == 0)
        #expect(Functional.pixelUnshuffle(y, downscaleFactor: 2).scalars(as: Double.self) == xs)
        // No leading dimension, several, int64, and empty.
        #expect(Functional.pixelShuffle(Tensor.zeros([4, 1, 1]), upscaleFactor: 2).shape == [1, 2, 2])
        #expect(Functional.pixelShuffle(Tensor.zeros([2, 3, 9, 2, 2], dtype: .int64), upscaleFactor: 3).shape == [2, 3, 1, 6, 6])
        #expect(Functional.pixelUnshuffle(Tensor.zeros([0, 1, 4, 4]), downscaleFactor: 2).shape == [0, 4, 2, 2])
    }

    @Test("refusals name the problem: factors, shapes, dtypes, states")
    func refusals() {
        let cases: [(String, () -> Tensor)] = [
            ("not a multiple", { Functional.pixelShuffle(Tensor.zeros([1, 6, 2, 2]), upscaleFactor: 2) }),
            ("at least 3 dimensions", { Functional.pixelShuffle(Tensor.zeros([4, 2]), upscaleFactor: 2) }),
            ("must be >= 1", { Functional.pixelShuffle(Tensor.zeros([1, 4, 2, 2]), upscaleFactor: 0) }),
            ("overflows", { Functional.pixelShuffle(Tensor.zeros([1, 1, 1, 1]), upscaleFactor: Int.max) }),
            ("multiples of the downscale factor", { Functional.pixelUnshuffle(Tensor.zeros([1, 1, 4, 3]), downscaleFactor: 2) }),
            ("does not end with normalized shape", { Functional.rmsNorm(Tensor.zeros([2, 3]), normalizedShape: [4]) }),
            ("rmsNorm", { Functional.rmsNorm(Tensor.zeros([2, 3], dtype: .int64), normalizedShape: [3]) }),
            ("eps must be", { Functional.rmsNorm(Tensor.zeros([2, 3]), normalizedShape: [3], eps: -1) }),
            ("weight shape", { Functional.rmsNorm(Tensor.zeros([2, 3]), normalizedShape: [3], weight: Tensor.ones([2])) }),
            ("does not end with inputSize", { RNNCell(inputSize: 3, hiddenSize: 2)(Tensor.zeros([2, 4])) }),
            ("must be [N, 3] or [3]", { GRUCell(inputSize: 3, hiddenSize: 2)(Tensor.zeros([1, 2, 3])) }),
            ("hidden state [3, 2] must be [2, 2]", { GRUCell(inputSize: 3, hiddenSize: 2)(Tensor.zeros([2, 3]), Tensor.zeros([3, 2])) }),
            ("cell state [2] must be [2, 2]", {
                LSTMCell(inputSize: 3, hiddenSize: 2)(Tensor.zeros([2, 3]), (Tensor.zeros([2, 2]), Tensor.zeros([2]))).c }),
            ("float64 but the cell's weights are float32", { RNNCell(inputSize: 3, hiddenSize: 2)(Tensor.zeros([2, 3], dtype: .float64)) }),
        ]
        for (expected, call) in cases {
            let message = failure(call).map { "\($0)" }
            #expect(message?.contains(expected) == true, "expected “\(expected)”, got \(message ?? "a result")")
        }
        let bad = failure { _ = RMSNorm([0]); return Tensor.zeros([]) }.map { "\($0)" }
        #expect(bad?.contains("RMSNorm: normalized shape [0]") == true, "\(bad ?? "no error")")
        let cell = failure { _ = LSTMCell(inputSize: 0, hiddenSize: 2); return Tensor.zeros([]) }.map { "\($0)" }
        #expect(cell?.contains("LSTMCell: inputSize 0") == true, "\(cell ?? "no error")")
    }

    @Test("a PyTorch-shaped state dictionary and description; eps defaults to the dtype's machine epsilon")
    func namesAndDefaults() {
        let cell = LSTMCell(inputSize: 3, hiddenSize: 2)
        #expect(cell.namedParameters().map(\.name) == ["weight_ih", "weight_hh", "bias_ih", "bias_hh"])
        #expect(cell.inputWeight.shape == [8, 3] && cell.hiddenWeight.shape == [8, 2])
        #expect(GRUCell(inputSize: 3, hiddenSize: 2, bias: false).namedParameters().map(\.name) == ["weight_ih", "weight_hh"])
        #expect("\(RNNCell(inputSize: 3, hiddenSize: 2, nonlinearity: .relu))".contains("nonlinearity: relu"))
        // With x = 1e-4 everywhere, eps decides the result: 1e-4 / sqrt(1e-8 + eps).
        let x = Tensor.full([1, 4], value: 1e-4)
        let y = RMSNorm(4)(x).scalars(as: Double.self)[0]
        let expected = 1e-4 / (1e-8 + Double(Float.ulpOfOne)).squareRoot()
        #expect(Swift.abs(y - expected) < 1e-5 * expected, "\(y) vs \(expected)")
        let y64 = RMSNorm(4, dtype: .float64)(x.to(.float64)).scalars(as: Double.self)[0]
        #expect(Swift.abs(y64 - 1e-4 / (1e-8 + Double.ulpOfOne).squareRoot()) < 1e-12)
    }
}
