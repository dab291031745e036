/// A recurrent language model: token embedding, a stacked LSTM or GRU, and a linear head to the
/// vocabulary's logits (Karpathy's char-rnn). Decoding carries the recurrent state from token to
/// token, so producing N tokens costs N steps.
///
/// Children: `embedding`, `rnn` (an ``LSTM`` or ``GRU``, batch first), `head`.
///
/// ```swift
/// var rng = SeededGenerator(seed: 0)
/// let model = RecurrentLanguageModel(cell: .lstm, vocabularySize: 65, embeddingSize: 32, hiddenSize: 128, generator: &rng)
/// let logits = model(batch.inputs)                           // [N, T] tokens -> [N, T, 65]
/// let text = try model.generate(prompt: [1, 2, 3], length: 200, sampler: TokenSampler(temperature: 0.8), generator: &rng)
/// ```
public final class RecurrentLanguageModel: Module, LanguageModel {
    /// The recurrent cell.
    public enum Cell: String, Codable, Sendable, CaseIterable {
        /// Long short-term memory.
        case lstm
        /// Gated recurrent unit.
        case gru
    }

    /// The token embedding.
    public let embedding: Embedding
    /// The recurrent core (batch first): an ``LSTM`` or a ``GRU``.
    public let rnn: RecurrentLayer
    /// The projection to the vocabulary's logits.
    public let head: Linear
    /// The recurrent cell.
    public let cell: Cell

    /// The number of tokens.
    public var vocabularySize: Int { head.outFeatures }
    /// Unbounded: the state carries the whole past.
    public var contextLength: Int? { nil }

    /// Creates a model with fresh weights.
    ///
    /// - Parameters:
    ///   - cell: LSTM or GRU.
    ///   - vocabularySize: the number of tokens.
    ///   - embeddingSize: the embedding width.
    ///   - hiddenSize: the recurrent hidden size.
    ///   - numLayers: stacked recurrent layers.
    ///   - dropout: dropout between recurrent layers while training.
    ///   - generator: the source of the initial weights.
    public init(cell: Cell = .lstm, vocabularySize: Int, embeddingSize: Int, hiddenSize: Int, numLayers: Int = 1,
                dropout: Double = 0, generator: inout SeededGenerator) {
        self.cell = cell
        embedding = Embedding(vocabularySize, embeddingSize, generator: &generator)
        switch cell {
        case .lstm:
            rnn = LSTM(inputSize: embeddingSize, hiddenSize: hiddenSize, numLayers: numLayers, batchFirst: true,
                       dropout: dropout, generator: &generator)
        case .gru:
            rnn = GRU(inputSize: embeddingSize, hiddenSize: hiddenSize, numLayers: numLayers, batchFirst: true,
                      dropout: dropout, generator: &generator)
        }
        head = Linear(hiddenSize, vocabularySize, generator: &generator)
        super.init()
    }

    override func discoverMembers() -> Members {
        var found = Members()
        found.children = [("embedding", embedding), ("rnn", rnn), ("head", head)]
        return found
    }

    /// The logits of the next token at every position: `[N, T]` int64 tokens → `[N, T, vocabulary]`.
    public func callAsFunction(_ tokens: Tensor) -> Tensor {
        withForwardHooks(tokens) { tokens in
            step(tokens, state: nil).logits
        }
    }

    /// The recurrent state: the hidden state `[layers, N, hidden]`, and the LSTM's cell state.
    public struct DecodingState {
        /// The hidden state.
        public var hidden: Tensor
        /// The LSTM's cell state (nil for a GRU).
        public var cell: Tensor?
    }

    /// Runs `tokens` (`[N, T]`) from `state` (zeros when nil) and returns the logits `[N, T, vocabulary]`
    /// and the state after the last token, to continue from.
    ///
    /// ```swift
    /// let (logits, state) = model.step(prefix, state: nil)
    /// let (more, _) = model.step(nextTokens, state: state)
    /// ```
    public func step(_ tokens: Tensor, state: DecodingState?) -> (logits: Tensor, state: DecodingState) {
        let x = embedding(tokens)
        switch rnn {
        case let lstm as LSTM:
            let previous = state.flatMap { s in s.cell.map { (hidden: s.hidden, cell: $0) } }
            let (output, next) = lstm(x, previous)
            return (head(output), DecodingState(hidden: next.hidden, cell: next.cell))
        case let gru as GRU:
            let (output, hidden) = gru(x, state?.hidden)
            return (head(output), DecodingState(hidden: hidden, cell: nil))
        default:
            return (ErrorScope.fail(GradusError(.invalidArgument, "RecurrentLanguageModel: unknown recurrent layer \(type(of: rnn))"),
                                    Tensor.placeholder), DecodingState(hidden: Tensor.placeholder(), cell: nil))
        }
    }

    /// Decodes `tokens` after `state`: the logits of the next token and the state after the last one.
    ///
    /// ```swift
    /// var (logits, state) = try model.decode([5, 7, 9], state: nil)
    /// (logits, state) = try model.decode([11], state: state)
    /// ```
    public func decode(_ tokens: [Int], state: DecodingState?) throws -> (logits: Tensor, state: DecodingState) {
        try checkTokens(tokens, op: "RecurrentLanguageModel.decode")
        return try GradusError.catching {
            let (logits, next) = step(Tensor(shape: [1, tokens.count], integers: tokens), state: state)
            return (logits.select(axis: 1, index: tokens.count - 1).reshape([vocabularySize]), next)
        }
    }

    public override var extraDescription: String { "cell: \(cell.rawValue)" }
}
