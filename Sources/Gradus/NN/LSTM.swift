/// A multi-layer long short-term memory network (PyTorch's `nn.LSTM`). Each step, from the input x
/// and the state (h, c):
///
///     i = σ(W_ii x + b_ii + W_hi h + b_hi)      f = σ(W_if x + b_if + W_hf h + b_hf)
///     g = tanh(W_ig x + b_ig + W_hg h + b_hg)   o = σ(W_io x + b_io + W_ho h + b_ho)
///     c' = f ⊙ c + i ⊙ g                        h' = o ⊙ tanh(c')
///
/// The four gates are stacked in `weight_ih`/`weight_hh` in the order i, f, g, o. Shapes, names and
/// options, and the initializers, are described in ``RecurrentLayer``. As a ``Layer`` it returns the
/// output sequence only.
///
/// ```swift
/// let lstm = LSTM(inputSize: 10, hiddenSize: 20, numLayers: 2)
/// let (output, state) = lstm(x, nil)   // x [T, N, 10] -> output [T, N, 20], state.hidden [2, N, 20]
/// let next = lstm(y, state)            // continue from the last state
/// ```
public final class LSTM: RecurrentLayer, Layer {
    override class var gateCount: Int { 4 }
    override class var layerName: String { "LSTM" }

    override func step(_ projectedInput: Tensor, _ state: [Tensor], index: Int) -> [Tensor] {
        let gates = (projectedInput + projectHidden(state[0], index: index)).chunk(4, axis: 1)
        let c = gates[1].sigmoid() * state[1] + gates[0].sigmoid() * gates[2].tanh()
        return [gates[3].sigmoid() * c.tanh(), c]
    }

    /// Runs the network from `state` (zeros when nil).
    ///
    /// - Parameters:
    ///   - input: `[T, N, inputSize]` (`[N, T, inputSize]` with `batchFirst`) or `[T, inputSize]`.
    ///   - state: the initial hidden and cell states, each `[numLayers·directions, N, hiddenSize]`
    ///     (`[numLayers·directions, hiddenSize]` for one sequence).
    /// - Returns: the last layer's hidden state at every step, `[T, N, directions·hiddenSize]`, and the
    ///   final states of every layer and direction.
    public func callAsFunction(_ input: Tensor, _ state: (hidden: Tensor, cell: Tensor)?)
        -> (output: Tensor, state: (hidden: Tensor, cell: Tensor)) {
        let r = run(input, initial: state.map { [$0.hidden, $0.cell] }, stateCount: 2)
        return (r.output, (r.final[0], r.final[1]))
    }

    /// The output sequence, from zero states.
    public func callAsFunction(_ input: Tensor) -> Tensor { self(input, nil).output }
}
