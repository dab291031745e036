import CGradusMath

/// A multi-layer long short-term memory network (PyTorch's `nn.LSTM`). Each step, from the input x
/// and the state (h, c):
///
///     i = σ(W_ii x + b_ii + W_hi h + b_hi)      f = σ(W_if x + b_if + W_hf h + b_hf)
///     g = tanh(W_ig x + b_ig + W_hg h + b_hg)   o = σ(W_io x + b_io + W_ho h + b_ho)
///     c' = f ⊙ c + i ⊙ g                        h' = o ⊙ tanh(c')
///
/// The four gates are stacked in `weight_ih`/`weight_hh` in the order i, f, g, o. With `projSize`
/// (PyTorch's `proj_size`, an LSTM with projections), the hidden state is projected after each step,
/// `h' = W_hr (o ⊙ tanh(c'))`, so that outputs and hidden states have `projSize` features. Shapes, names
/// and options, and the initializers, are described in ``RecurrentLayer``. As a ``Layer`` it returns the
/// output sequence only.
///
/// ```swift
/// let lstm = LSTM(inputSize: 10, hiddenSize: 20, numLayers: 2)
/// let (output, state) = lstm(x, nil)   // x [T, N, 10] -> output [T, N, 20], state.hidden [2, N, 20]
/// let next = lstm(y, state)            // continue from the last state
/// let projected = LSTM(inputSize: 10, hiddenSize: 20, projSize: 5)   // outputs [T, N, 5]
/// ```
public final class LSTM: RecurrentLayer, Layer {
    override class var gateCount: Int { 4 }
    override class var layerName: String { "LSTM" }

    /// A network with projections (PyTorch's `nn.LSTM(..., proj_size=)`) and PyTorch's initialization
    /// drawn from `generator`.
    ///
    /// - Parameters:
    ///   - inputSize: features of each input step.
    ///   - hiddenSize: features of the cell state (and of the hidden state before its projection).
    ///   - numLayers: stacked layers.
    ///   - bias: whether the layers have biases.
    ///   - batchFirst: sequences as `[N, T, features]`.
    ///   - dropout: dropout on each layer's output but the last, in training mode.
    ///   - bidirectional: also read each sequence backwards.
    ///   - projSize: features of the projected hidden state and the outputs: at least 0 (no projection)
    ///     and smaller than `hiddenSize`.
    ///   - dtype: the parameters' element type.
    ///   - generator: the source of randomness.
    ///
    /// ```swift
    /// var rng = SeededGenerator(seed: 0)
    /// let lstm = LSTM(inputSize: 8, hiddenSize: 32, projSize: 8, generator: &rng)
    /// ```
    public convenience init(inputSize: Int, hiddenSize: Int, numLayers: Int = 1, bias: Bool = true, batchFirst: Bool = false,
                            dropout: Double = 0, bidirectional: Bool = false, projSize: Int, dtype: DType = .float32,
                            generator: inout SeededGenerator) {
        self.init(inputSize: inputSize, hiddenSize: hiddenSize, numLayers: numLayers, bias: bias, batchFirst: batchFirst,
                  dropout: dropout, bidirectional: bidirectional, projection: projSize, dtype: dtype, generator: &generator)
    }

    /// A network with projections and PyTorch's initialization drawn from the default generator
    /// (``Random``).
    ///
    /// ```swift
    /// let lstm = LSTM(inputSize: 8, hiddenSize: 32, numLayers: 2, projSize: 8)
    /// let (output, state) = lstm(x, nil)   // output [T, N, 8]; state.hidden [2, N, 8], state.cell [2, N, 32]
    /// ```
    public convenience init(inputSize: Int, hiddenSize: Int, numLayers: Int = 1, bias: Bool = true, batchFirst: Bool = false,
                            dropout: Double = 0, bidirectional: Bool = false, projSize: Int, dtype: DType = .float32) {
        var g = splitDefaultGenerator()
        self.init(inputSize: inputSize, hiddenSize: hiddenSize, numLayers: numLayers, bias: bias, batchFirst: batchFirst,
                  dropout: dropout, bidirectional: bidirectional, projSize: projSize, dtype: dtype, generator: &g)
    }

    override func step(_ projectedInput: Tensor, _ state: [Tensor], index: Int) -> [Tensor] {
        let both = LSTM.cell(gates: projectedInput + projectHidden(state[0], index: index), cell: state[1])
        let hidden = both.slice(axis: 1, start: 0, end: hiddenSize), cell = both.slice(axis: 1, start: hiddenSize, end: 2 * hiddenSize)
        guard projSize > 0 else { return [hidden, cell] }
        return [Tensor.linear(hidden, weight: projectionWeights[index], bias: nil), cell]
    }

    /// Float32 sequences without a projection run as one operation (``sequence(projected:h0:c0:weight:bias:reverse:)``).
    override func fusedSequence(_ projected: Tensor, _ state: [Tensor], index: Int, reverse: Bool) -> (hidden: Tensor, final: [Tensor])? {
        guard projSize == 0 else { return nil }
        let weight = hiddenWeights[index], bias = hasBias ? hiddenBiases[index] : nil
        guard projected.dtype == .float32, weight.dtype == .float32, state.allSatisfy({ $0.dtype == .float32 }) else { return nil }
        let y = LSTM.sequence(projected: projected, h0: state[0], c0: state[1], weight: weight, bias: bias, reverse: reverse)
        let last = y.select(axis: 0, index: reverse ? 0 : projected.shape[0] - 1)
        return (y.slice(axis: 2, start: 0, end: hiddenSize),
                [last.slice(axis: 1, start: 0, end: hiddenSize), last.slice(axis: 1, start: hiddenSize, end: 2 * hiddenSize)])
    }

    /// The cell's elementwise part, from the gate pre-activations `[N, 4H]` (i, f, g, o) and the cell
    /// state `[N, H]`: the new hidden and cell states side by side, `[N, 2H]`. Float32 runs one fused C
    /// pass forward and one backward (PyTorch fuses its cell too); the backward is written with tensor
    /// operations when recorded (`createGraph`), and Float64 uses tensor operations throughout.
    static func cell(gates: Tensor, cell c: Tensor) -> Tensor {
        guard gates.dtype == .float32 && c.dtype == .float32 else {
            let p = gates.chunk(4, axis: 1)
            let next = p[1].sigmoid() * c + p[0].sigmoid() * p[2].tanh()
            return Tensor.concatenate([p[3].sigmoid() * next.tanh(), next], axis: 1)
        }
        let (n, h) = (c.shape[0], c.shape[1])
        let out = Tensor(uninitializedShape: [n, 2 * h], dtype: .float32)
        let saved = Tensor(uninitializedShape: [n, 5 * h], dtype: .float32)
        gradus_lstm_cell_forward_f32(n, h, gates.pointer(Float.self), c.pointer(Float.self), out.pointer(Float.self),
                                     saved.pointer(Float.self))
        Tensor.record("lstmCell", output: out, inputs: [gates, c]) { g, _ in
            if GradMode.isEnabled { return cellGradients(gates: gates, cell: c, gradient: g) }
            let gradGates = Tensor(uninitializedShape: [n, 4 * h], dtype: .float32)
            let gradCell = Tensor(uninitializedShape: [n, h], dtype: .float32)
            gradus_lstm_cell_backward_f32(n, h, g.pointer(Float.self), c.pointer(Float.self), saved.pointer(Float.self),
                                          gradGates.pointer(Float.self), gradCell.pointer(Float.self))
            return [gradGates, gradCell]
        }
        return out
    }

    /// The cell's backward as tensor operations (differentiable again): the gradients of the gate
    /// pre-activations and of the cell state from the gradient of `[h', c']`.
    static func cellGradients(gates: Tensor, cell c: Tensor, gradient g: Tensor) -> [Tensor?] {
        let h = c.shape[1]
        let p = gates.chunk(4, axis: 1)
        let (i, f, candidate, o) = (p[0].sigmoid(), p[1].sigmoid(), p[2].tanh(), p[3].sigmoid())
        let t = (f * c + i * candidate).tanh()
        let gradH = g.slice(axis: 1, start: 0, end: h), gradC = g.slice(axis: 1, start: h, end: 2 * h)
        let total = gradC + gradH * o * (1 - t.square())
        let gradGates = Tensor.concatenate([total * candidate * i * (1 - i), total * c * f * (1 - f),
                                            total * i * (1 - candidate.square()), gradH * t * o * (1 - o)], axis: 1)
        return [gradGates, total * f]
    }

    /// Runs the network from `state` (zeros when nil).
    ///
    /// - Parameters:
    ///   - input: `[T, N, inputSize]` (`[N, T, inputSize]` with `batchFirst`) or `[T, inputSize]`.
    ///   - state: the initial hidden and cell states, `[numLayers·directions, N, projSize or hiddenSize]`
    ///     and `[numLayers·directions, N, hiddenSize]` (without N for one sequence).
    /// - Returns: the last layer's hidden state at every step, `[T, N, directions·(projSize or hiddenSize)]`,
    ///   and the final states of every layer and direction.
    public func callAsFunction(_ input: Tensor, _ state: (hidden: Tensor, cell: Tensor)?)
        -> (output: Tensor, state: (hidden: Tensor, cell: Tensor)) {
        withForwardHooks(input, { input in
            checked(or: (output: Tensor.placeholder(), state: (hidden: Tensor.placeholder(), cell: Tensor.placeholder()))) {
                let r = try run(input, initial: state.map { [$0.hidden, $0.cell] }, stateCount: 2)
                return (r.output, (r.final[0], r.final[1]))
            }
        }, output: { $0.output }, replacingOutput: { (output: $1, state: $0.state) })
    }

    /// The output sequence, from zero states.
    public func callAsFunction(_ input: Tensor) -> Tensor { self(input, nil).output }
}
