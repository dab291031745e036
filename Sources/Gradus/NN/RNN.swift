/// A multi-layer Elman recurrent network (PyTorch's `nn.RNN`): each step
/// `h' = tanh(W_ih x + b_ih + W_hh h + b_hh)` (or relu). Shapes, names and options are described in
/// ``RecurrentLayer``. As a ``Layer`` it returns the output sequence only.
///
/// ```swift
/// let rnn = RNN(inputSize: 10, hiddenSize: 20, numLayers: 2)
/// let (output, hidden) = rnn(x, nil)   // x [T, N, 10] -> output [T, N, 20], hidden [2, N, 20]
/// ```
public final class RNN: RecurrentLayer, Layer {
    /// The non-linearity of each step.
    public enum Nonlinearity: String, Sendable {
        /// tanh (PyTorch's default).
        case tanh
        /// max(x, 0).
        case relu
    }

    /// The non-linearity of each step.
    public let nonlinearity: Nonlinearity

    /// A network with PyTorch's initialization drawn from `generator`.
    ///
    /// - Parameters:
    ///   - inputSize: features of each input step.
    ///   - hiddenSize: features of the hidden state.
    ///   - numLayers: stacked layers.
    ///   - nonlinearity: tanh or relu.
    ///   - bias: whether the layers have biases.
    ///   - batchFirst: sequences as `[N, T, features]`.
    ///   - dropout: dropout on each layer's output but the last, in training mode.
    ///   - bidirectional: also read each sequence backwards.
    ///   - dtype: the parameters' element type.
    ///   - generator: the source of randomness.
    ///
    /// ```swift
    /// var rng = SeededGenerator(seed: 0)
    /// let rnn = RNN(inputSize: 4, hiddenSize: 8, nonlinearity: .relu, generator: &rng)
    /// ```
    public init(inputSize: Int, hiddenSize: Int, numLayers: Int = 1, nonlinearity: Nonlinearity = .tanh,
                bias: Bool = true, batchFirst: Bool = false, dropout: Double = 0, bidirectional: Bool = false,
                dtype: DType = .float32, generator: inout SeededGenerator) {
        self.nonlinearity = nonlinearity
        super.init(inputSize: inputSize, hiddenSize: hiddenSize, numLayers: numLayers, bias: bias,
                   batchFirst: batchFirst, dropout: dropout, bidirectional: bidirectional, projection: 0, dtype: dtype,
                   generator: &generator)
    }

    /// A network with PyTorch's initialization drawn from the default generator (``Random``).
    ///
    /// ```swift
    /// let rnn = RNN(inputSize: 4, hiddenSize: 8)
    /// ```
    public convenience init(inputSize: Int, hiddenSize: Int, numLayers: Int = 1, nonlinearity: Nonlinearity = .tanh,
                            bias: Bool = true, batchFirst: Bool = false, dropout: Double = 0,
                            bidirectional: Bool = false, dtype: DType = .float32) {
        var g = splitDefaultGenerator()
        self.init(inputSize: inputSize, hiddenSize: hiddenSize, numLayers: numLayers, nonlinearity: nonlinearity,
                  bias: bias, batchFirst: batchFirst, dropout: dropout, bidirectional: bidirectional, dtype: dtype,
                  generator: &g)
    }

    override class var layerName: String { "RNN" }

    override func step(_ projectedInput: Tensor, _ state: [Tensor], index: Int) -> [Tensor] {
        let pre = projectedInput + projectHidden(state[0], index: index)
        return [nonlinearity == .tanh ? pre.tanh() : pre.relu()]
    }

    /// Float32 sequences run as one operation (``sequence(projected:h0:weight:bias:relu:reverse:)``).
    override func fusedSequence(_ projected: Tensor, _ state: [Tensor], index: Int, reverse: Bool) -> (hidden: Tensor, final: [Tensor])? {
        let relu = nonlinearity == .relu
        return fusedSingleStateSequence(projected, state, index: index, reverse: reverse) {
            RNN.sequence(projected: $0, h0: $1, weight: $2, bias: $3, relu: relu, reverse: reverse)
        }
    }

    /// Runs the network from `hidden` (zeros when nil).
    ///
    /// - Parameters:
    ///   - input: `[T, N, inputSize]` (`[N, T, inputSize]` with `batchFirst`) or `[T, inputSize]`.
    ///   - hidden: the initial state `[numLayers·directions, N, hiddenSize]` (without N for one sequence).
    /// - Returns: the last layer's hidden state at every step, `[T, N, directions·hiddenSize]`, and the
    ///   final state of every layer and direction.
    public func callAsFunction(_ input: Tensor, _ hidden: Tensor?) -> (output: Tensor, hidden: Tensor) {
        withForwardHooks(input, { input in
            checked(or: (Tensor.placeholder(), Tensor.placeholder())) {
                let r = try run(input, initial: hidden.map { [$0] }, stateCount: 1)
                return (r.output, r.final[0])
            }
        }, output: { $0.output }, replacingOutput: { (output: $1, hidden: $0.hidden) })
    }

    /// The output sequence, from a zero state.
    public func callAsFunction(_ input: Tensor) -> Tensor { self(input, nil).output }

    /// The configuration shown by ``Module/description``.
    public override var extraDescription: String {
        super.extraDescription + (nonlinearity == .relu ? ", nonlinearity: relu" : "")
    }
}
