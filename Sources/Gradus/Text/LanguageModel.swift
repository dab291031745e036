/// A model of token sequences that predicts the next token: its forward pass maps `[N, T]` int64
/// tokens to `[N, T, vocabularySize]` logits, and it can decode incrementally (each new token costs
/// one step, reusing a state: recurrent state, or a key/value cache), which ``generate(prompt:length:sampler:generator:onToken:)``
/// builds on.
///
/// ```swift
/// var rng = SeededGenerator(seed: 0)
/// let model = GPTLanguageModel(vocabularySize: 65, contextLength: 64, embeddingSize: 64, numHeads: 4, numLayers: 2, generator: &rng)
/// let tokens = try model.generate(prompt: [1, 2, 3], length: 100, sampler: TokenSampler(temperature: 0.8), generator: &rng)
/// ```
public protocol LanguageModel: Layer {
    /// What decoding carries from one step to the next.
    associatedtype DecodingState

    /// The number of distinct tokens.
    var vocabularySize: Int { get }
    /// The most positions the model can attend to at once, or nil when unbounded (recurrent models).
    var contextLength: Int? { get }

    /// Runs `tokens` (one sequence, at least one token) after the positions in `state` (a new sequence
    /// when nil) and returns the logits of the token after the last one, `[vocabularySize]`, and the
    /// state to continue from. Decoding is inference: call it in evaluation mode under no-grad.
    ///
    /// - Throws: a ``GradusError`` when a token is outside the vocabulary or the positions exceed
    ///   ``contextLength``.
    func decode(_ tokens: [Int], state: DecodingState?) throws -> (logits: Tensor, state: DecodingState)
}

extension LanguageModel {
    /// Continues `prompt` by `length` tokens drawn with `sampler`, decoding incrementally: N tokens
    /// cost N steps. A model with a bounded context keeps going past it by re-reading the most recent
    /// half context when it is full (so the cost stays linear; the text after that point depends on
    /// the last `contextLength / 2` … `contextLength` tokens only).
    ///
    /// - Parameters:
    ///   - prompt: the token ids to start from (at least one; only the last ``contextLength`` are read).
    ///   - length: how many tokens to generate (0...1,000,000).
    ///   - sampler: temperature, top-k and top-p.
    ///   - generator: the source of randomness.
    ///   - onToken: called with each token as it is drawn (to stream text).
    /// - Returns: the generated tokens (without the prompt).
    /// - Throws: a ``GradusError`` for an empty prompt, a token outside the vocabulary or a bad length.
    ///
    /// ```swift
    /// let ids = try model.generate(prompt: vocabulary.encode("ROMEO:"), length: 200,
    ///                              sampler: try TokenSampler(temperature: 0.8, topK: 20), generator: &rng)
    /// print(vocabulary.decode(ids))
    /// ```
    public func generate(prompt: [Int], length: Int, sampler: TokenSampler, generator: inout SeededGenerator,
                         onToken: (Int) -> Void = { _ in }) throws -> [Int] {
        let name = String(describing: type(of: self))
        try require(!prompt.isEmpty, "\(name).generate: the prompt needs at least one token", .invalidArgument)
        try require(length >= 0 && length <= 1_000_000, "\(name).generate: length \(length) is not in 0...1000000", .invalidArgument)
        if let i = prompt.firstIndex(where: { $0 < 0 || $0 >= vocabularySize }) {
            throw GradusError(.indexOutOfRange, "\(name).generate: prompt token \(prompt[i]) at position \(i) is outside 0..<\(vocabularySize)")
        }
        let wasTraining = isTraining
        eval()
        defer { train(wasTraining) }
        return try GradMode.noGrad {
            var recent = contextLength.map { Array(prompt.suffix($0)) } ?? prompt
            var (logits, state) = try decode(recent, state: nil)
            var used = recent.count
            var out: [Int] = []
            out.reserveCapacity(length)
            for i in 0..<length {
                let next = try sampler.sample(logits: logits, generator: &generator)
                out.append(next)
                onToken(next)
                guard i + 1 < length else { break }
                if let context = contextLength {
                    recent.append(next)
                    if recent.count > context { recent.removeFirst(recent.count - context) }
                    if used == context {
                        // Full: start again from the most recent half context.
                        let keep = Array(recent.suffix(Swift.max(1, context / 2)))
                        (logits, state) = try decode(keep, state: nil)
                        used = keep.count
                        continue
                    }
                }
                (logits, state) = try decode([next], state: state)
                used += 1
            }
            return out
        }
    }

    /// Checks that `tokens` lie in the vocabulary (shared by the models' ``decode(_:state:)``).
    func checkTokens(_ tokens: [Int], op: String) throws {
        try require(!tokens.isEmpty, "\(op): needs at least one token", .invalidArgument)
        if let i = tokens.firstIndex(where: { $0 < 0 || $0 >= vocabularySize }) {
            throw GradusError(.indexOutOfRange, "\(op): token \(tokens[i]) at position \(i) is outside 0..<\(vocabularySize)")
        }
    }
}
