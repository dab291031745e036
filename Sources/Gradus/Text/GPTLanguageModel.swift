/// A decoder-only Transformer language model in the style of GPT-2 / nanoGPT: token and learned
/// position embeddings, dropout, a stack of pre-norm causal blocks (``TransformerEncoderLayer`` with
/// `normFirst`, GELU, 4× feed-forward), a final ``LayerNorm``, and an output projection that shares the
/// token embedding's weight (weight tying, no bias).
///
/// Children carry names that match this PyTorch module, so state dictionaries transfer both ways:
/// `token_embedding` (`nn.Embedding`), `position_embedding` (`nn.Embedding`), `drop`, and `encoder`
/// (`nn.TransformerEncoder(nn.TransformerEncoderLayer(E, H, 4E, p, activation="gelu",
/// batch_first=True, norm_first=True), L, norm=nn.LayerNorm(E))`), with logits
/// `encoder(drop(tok(x) + pos(arange(T))), is_causal=True) @ token_embedding.weight.T`
/// (scripts/make_language_model_fixtures.py builds it).
///
/// Decoding keeps one ``KeyValueCache`` per block, so each generated token costs one step.
///
/// ```swift
/// var rng = SeededGenerator(seed: 0)
/// let gpt = GPTLanguageModel(vocabularySize: 65, contextLength: 128, embeddingSize: 128, numHeads: 4,
///                            numLayers: 4, dropout: 0.1, generator: &rng)
/// let logits = gpt(tokens)          // [N, T] int64 -> [N, T, 65]
/// ```
public final class GPTLanguageModel: Module, LanguageModel {
    /// The token embedding; its weight is also the output projection.
    public let tokenEmbedding: Embedding
    /// The learned position embedding, `[contextLength, embeddingSize]`.
    public let positionEmbedding: Embedding
    /// Dropout on the summed embeddings.
    public let embeddingDropout: Dropout
    /// The causal blocks and the final normalization.
    public let encoder: TransformerEncoder

    /// The number of tokens.
    public var vocabularySize: Int { tokenEmbedding.numEmbeddings }
    /// The number of positions the model attends to.
    public var contextLength: Int? { positionEmbedding.numEmbeddings }

    /// Creates a model with GPT-2's initialization: weights of embeddings and linear layers drawn from
    /// N(0, 0.02²), biases zero, the last linear layer of each block scaled by 1/√(2·numLayers).
    ///
    /// - Parameters:
    ///   - vocabularySize: the number of tokens.
    ///   - contextLength: the most positions attended to (the position table's size).
    ///   - embeddingSize: the model width; a multiple of `numHeads`.
    ///   - numHeads: attention heads per block.
    ///   - numLayers: blocks.
    ///   - feedForwardSize: the inner width of each block's feed-forward part (default 4 × width).
    ///   - dropout: dropout on embeddings, attention weights and residual branches while training.
    ///   - generator: the source of the initial weights.
    public init(vocabularySize: Int, contextLength: Int, embeddingSize: Int, numHeads: Int, numLayers: Int,
                feedForwardSize: Int? = nil, dropout: Double = 0, generator: inout SeededGenerator) {
        var (vocabularySize, contextLength, numLayers, embeddingSize) = (vocabularySize, contextLength, numLayers, embeddingSize)
        if !validSetting(vocabularySize >= 1 && contextLength >= 1 && numLayers >= 1,
                         "GPTLanguageModel: vocabularySize \(vocabularySize), contextLength \(contextLength) and numLayers \(numLayers) must be positive") {
            (vocabularySize, contextLength, numLayers) = (1, 1, 1)
        }
        if !validSetting(embeddingSize >= 1 && embeddingSize <= Int(Int32.max),
                         "GPTLanguageModel: embeddingSize \(embeddingSize) must be positive and at most \(Int32.max)") {
            embeddingSize = numHeads >= 1 && numHeads <= Int(Int32.max) ? numHeads : 1
        }
        tokenEmbedding = Embedding(vocabularySize, embeddingSize, generator: &generator)
        positionEmbedding = Embedding(contextLength, embeddingSize, generator: &generator)
        embeddingDropout = Dropout(p: dropout)
        encoder = TransformerEncoder(numLayers: numLayers, norm: LayerNorm(embeddingSize)) {
            TransformerEncoderLayer(dModel: embeddingSize, numHeads: numHeads, dimFeedforward: feedForwardSize ?? 4 * embeddingSize,
                                    dropout: dropout, activation: .gelu, batchFirst: true, normFirst: true, generator: &generator)
        }
        super.init()
        unfailing {
            try GradMode.noGrad {
                for (name, p) in namedParameters() {
                    if name.hasSuffix("bias") {
                        try p.copyValues(from: Tensor.zeros(p.shape, dtype: p.dtype))
                    } else if p.rank == 2 {
                        let std = name.hasSuffix("linear2.weight") || name.hasSuffix("out_proj.weight")
                            ? 0.02 / Double(2 * numLayers).squareRoot() : 0.02
                        Init.normal(p, std: std, generator: &generator)
                    }
                }
            }
        }
    }

    override func discoverMembers() -> Members {
        var found = Members()
        found.children = [("token_embedding", tokenEmbedding), ("position_embedding", positionEmbedding),
                          ("drop", embeddingDropout), ("encoder", encoder)]
        return found
    }

    /// The logits of the next token at every position: `[N, T]` int64 tokens (T ≤ ``contextLength``)
    /// → `[N, T, vocabularySize]`, each position seeing only itself and earlier ones.
    public func callAsFunction(_ tokens: Tensor) -> Tensor {
        withForwardHooks(tokens) { tokens in
            checked {
                try require(tokens.rank == 2, "GPTLanguageModel: tokens must be [N, T], got \(tokens.shape)", .shapeMismatch)
                let t = tokens.shape[1]
                try require(t <= positionEmbedding.numEmbeddings,
                            "GPTLanguageModel: \(t) positions exceed the context length \(positionEmbedding.numEmbeddings)", .shapeMismatch)
                let h = encoder(embed(tokens, from: 0), mask: nil, keyPaddingMask: nil, isCausal: true)
                return Tensor.linear(h, weight: tokenEmbedding.weight, bias: nil)
            }
        }
    }

    /// Token plus position embeddings of positions `start ..< start + T`, with dropout.
    private func embed(_ tokens: Tensor, from start: Int) -> Tensor {
        let t = tokens.shape[tokens.rank - 1]
        let positions = Tensor.arange(Double(start), Double(start + t), dtype: .int64)
        return embeddingDropout(tokenEmbedding(tokens) + positionEmbedding(positions))
    }

    /// The key/value caches of the blocks.
    public struct DecodingState {
        /// One cache per block.
        public var caches: [KeyValueCache]
        /// Positions decoded so far.
        public var length: Int { caches.first?.length ?? 0 }
    }

    /// Decodes `tokens` after the cached positions: one step of the blocks over the new tokens only.
    ///
    /// ```swift
    /// var (logits, state) = try gpt.decode([5, 7, 9], state: nil)      // logits of the 4th token
    /// (logits, state) = try gpt.decode([11], state: state)              // of the 5th
    /// ```
    public func decode(_ tokens: [Int], state: DecodingState?) throws -> (logits: Tensor, state: DecodingState) {
        try checkTokens(tokens, op: "GPTLanguageModel.decode")
        var caches = state?.caches ?? Array(repeating: KeyValueCache(), count: encoder.layers.count)
        let past = caches.first?.length ?? 0
        try require(past + tokens.count <= positionEmbedding.numEmbeddings,
                    "GPTLanguageModel.decode: \(past + tokens.count) positions exceed the context length \(positionEmbedding.numEmbeddings)",
                    .shapeMismatch)
        let logits: Tensor = try GradusError.catching {
            let x = embed(Tensor(shape: [1, tokens.count], integers: tokens), from: past)
            let h = encoder(x, caches: &caches)
            return Tensor.linear(h.select(axis: 1, index: tokens.count - 1).reshape([1, -1]), weight: tokenEmbedding.weight, bias: nil)
                .reshape([vocabularySize])
        }
        return (logits, DecodingState(caches: caches))
    }

    public override var extraDescription: String {
        "vocabularySize: \(vocabularySize), contextLength: \(positionEmbedding.numEmbeddings), tied output weight"
    }
}
