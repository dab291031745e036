/// A recurrent language model: token embedding, a (stacked) LSTM, and a linear head to the vocabulary's
/// logits (Karpathy's char-rnn). Generation carries the LSTM state from token to token, so producing N
/// tokens costs N steps, not N² as re-reading the whole prefix would.
///
/// ```swift
/// var rng = SeededGenerator(seed: 0)
/// let model = LSTMLanguageModel(vocabularySize: 65, embeddingSize: 32, hiddenSize: 128, generator: &rng)
/// let logits = model(batch.inputs)                           // [N, T] tokens -> [N, T, 65]
/// let text = try model.generate(prompt: [1, 2, 3], length: 200, sampler: TokenSampler(temperature: 0.8), generator: &rng)
/// ```
public final class LSTMLanguageModel: Module, Layer {
    /// The token embedding.
    public let embedding: Embedding
    /// The recurrent core (batch first).
    public let lstm: LSTM
    /// The projection to the vocabulary's logits.
    public let head: Linear
    /// The number of tokens.
    public let vocabularySize: Int

    /// Creates a model with fresh weights.
    ///
    /// - Parameters:
    ///   - vocabularySize: the number of tokens.
    ///   - embeddingSize: the embedding width.
    ///   - hiddenSize: the LSTM's hidden size.
    ///   - numLayers: stacked LSTM layers.
    ///   - dropout: dropout between LSTM layers while training.
    ///   - generator: the source of the initial weights.
    public init(vocabularySize: Int, embeddingSize: Int, hiddenSize: Int, numLayers: Int = 1, dropout: Double = 0,
                generator: inout SeededGenerator) {
        self.vocabularySize = vocabularySize
        embedding = Embedding(vocabularySize, embeddingSize, generator: &generator)
        lstm = LSTM(inputSize: embeddingSize, hiddenSize: hiddenSize, numLayers: numLayers, batchFirst: true,
                    dropout: dropout, generator: &generator)
        head = Linear(hiddenSize, vocabularySize, generator: &generator)
        super.init()
    }

    /// The logits of the next token at every position: `[N, T]` int64 tokens → `[N, T, vocabulary]`.
    public func callAsFunction(_ tokens: Tensor) -> Tensor {
        step(tokens, state: nil).logits
    }

    /// Runs `tokens` (`[N, T]`) from `state` (zeros when nil) and returns the logits `[N, T, vocabulary]`
    /// and the state after the last token, to continue from.
    public func step(_ tokens: Tensor, state: (hidden: Tensor, cell: Tensor)?) -> (logits: Tensor, state: (hidden: Tensor, cell: Tensor)) {
        let (output, next) = lstm(embedding(tokens), state)
        return (head(output), next)
    }

    /// Continues `prompt` by `length` tokens drawn with `sampler`, carrying the recurrent state.
    ///
    /// - Parameters:
    ///   - prompt: the token ids to start from (at least one).
    ///   - length: how many tokens to generate (0...1,000,000).
    ///   - sampler: temperature, top-k and top-p.
    ///   - generator: the source of randomness.
    /// - Returns: the generated tokens (without the prompt).
    /// - Throws: a ``GradusError`` for an empty prompt, a token outside the vocabulary or a bad length.
    public func generate(prompt: [Int], length: Int, sampler: TokenSampler,
                         generator: inout SeededGenerator) throws -> [Int] {
        try require(!prompt.isEmpty, "LSTMLanguageModel.generate: the prompt needs at least one token", .invalidArgument)
        try require(length >= 0 && length <= 1_000_000, "LSTMLanguageModel.generate: length \(length) is not in 0...1000000", .invalidArgument)
        if let i = prompt.firstIndex(where: { $0 < 0 || $0 >= vocabularySize }) {
            throw GradusError(.indexOutOfRange, "LSTMLanguageModel.generate: prompt token \(prompt[i]) at position \(i) is outside 0..<\(vocabularySize)")
        }
        let wasTraining = isTraining
        eval()
        defer { train(wasTraining) }
        return try GradMode.noGrad {
            var (logits, state) = step(Tensor(shape: [1, prompt.count], integers: prompt), state: nil)
            var out: [Int] = []
            out.reserveCapacity(length)
            for _ in 0..<length {
                let last = logits.select(axis: 1, index: logits.shape[1] - 1).reshape([vocabularySize])
                let next = try sampler.sample(logits: last, generator: &generator)
                out.append(next)
                (logits, state) = step(Tensor(shape: [1, 1], integers: [next]), state: state)
            }
            return out
        }
    }
}
