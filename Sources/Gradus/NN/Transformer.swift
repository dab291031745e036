/// The encoder–decoder Transformer of "Attention Is All You Need" (PyTorch's `nn.Transformer`): a
/// ``TransformerEncoder`` over the source and a ``TransformerDecoder`` over the target that attends to
/// the encoder's output, each stack ending with a layer normalization. Children `encoder` and `decoder`
/// carry PyTorch's names down to every weight, so state dictionaries match.
///
/// Like PyTorch, every weight matrix (dimension > 1) is re-initialized Xavier-uniform after the blocks
/// are built. Token embeddings, positions and the output head are the caller's, as in PyTorch.
///
/// ```swift
/// let model = Transformer(dModel: 64, numHeads: 4, numEncoderLayers: 2, numDecoderLayers: 2,
///                         dimFeedforward: 256, batchFirst: true)
/// let y = model(source, target, targetMask: Tensor.causalMask(target.shape[1]))   // [N, T, 64]
/// ```
public final class Transformer: Module {
    /// The encoder stack (`encoder`), with its final normalization.
    public let encoder: TransformerEncoder
    /// The decoder stack (`decoder`), with its final normalization.
    public let decoder: TransformerDecoder
    /// Features of each position.
    public let dModel: Int
    /// Attention heads of every attention.
    public let numHeads: Int
    /// Whether sequences are `[N, L, dModel]` rather than `[L, N, dModel]`.
    public let batchFirst: Bool

    /// A Transformer with PyTorch's defaults (`d_model` 512, 8 heads, 6 + 6 blocks, feed-forward 2048,
    /// dropout 0.1), its weights drawn from `generator`.
    ///
    /// - Parameters:
    ///   - dModel: features of each position.
    ///   - numHeads: attention heads (divides `dModel`).
    ///   - numEncoderLayers: encoder blocks.
    ///   - numDecoderLayers: decoder blocks.
    ///   - dimFeedforward: the feed-forward networks' hidden width.
    ///   - dropout: the probability of every dropout.
    ///   - activation: relu or gelu.
    ///   - layerNormEps: the normalizations' epsilon.
    ///   - batchFirst: sequences as `[N, L, dModel]`.
    ///   - normFirst: pre-norm blocks.
    ///   - bias: whether linear layers, attentions and normalizations have biases.
    ///   - dtype: the parameters' element type.
    ///   - generator: the source of randomness.
    ///
    /// ```swift
    /// var rng = SeededGenerator(seed: 0)
    /// let model = Transformer(dModel: 32, numHeads: 4, numEncoderLayers: 1, numDecoderLayers: 1, generator: &rng)
    /// ```
    public init(dModel: Int = 512, numHeads: Int = 8, numEncoderLayers: Int = 6, numDecoderLayers: Int = 6,
                dimFeedforward: Int = 2048, dropout: Double = 0.1, activation: TransformerEncoderLayer.Activation = .relu,
                layerNormEps: Double = 1e-5, batchFirst: Bool = false, normFirst: Bool = false, bias: Bool = true,
                dtype: DType = .float32, generator: inout SeededGenerator) {
        var g = generator
        encoder = TransformerEncoder(numLayers: numEncoderLayers, norm: LayerNorm(dModel, eps: layerNormEps, bias: bias, dtype: dtype)) {
            TransformerEncoderLayer(dModel: dModel, numHeads: numHeads, dimFeedforward: dimFeedforward, dropout: dropout,
                                    activation: activation, layerNormEps: layerNormEps, batchFirst: batchFirst,
                                    normFirst: normFirst, bias: bias, dtype: dtype, generator: &g)
        }
        decoder = TransformerDecoder(numLayers: numDecoderLayers, norm: LayerNorm(dModel, eps: layerNormEps, bias: bias, dtype: dtype)) {
            TransformerDecoderLayer(dModel: dModel, numHeads: numHeads, dimFeedforward: dimFeedforward, dropout: dropout,
                                    activation: activation, layerNormEps: layerNormEps, batchFirst: batchFirst,
                                    normFirst: normFirst, bias: bias, dtype: dtype, generator: &g)
        }
        self.dModel = dModel
        self.numHeads = numHeads
        self.batchFirst = batchFirst
        super.init()
        // PyTorch's _reset_parameters: Xavier-uniform for every parameter of more than one dimension.
        GradMode.noGrad {
            for (_, p) in namedParameters() where p.rank > 1 { Init.xavierUniform(p, generator: &g) }
        }
        generator = g
    }

    /// A Transformer initialized from the default generator (``Random``).
    ///
    /// ```swift
    /// let model = Transformer(dModel: 32, numHeads: 4, numEncoderLayers: 1, numDecoderLayers: 1)
    /// ```
    public convenience init(dModel: Int = 512, numHeads: Int = 8, numEncoderLayers: Int = 6, numDecoderLayers: Int = 6,
                            dimFeedforward: Int = 2048, dropout: Double = 0.1,
                            activation: TransformerEncoderLayer.Activation = .relu, layerNormEps: Double = 1e-5,
                            batchFirst: Bool = false, normFirst: Bool = false, bias: Bool = true, dtype: DType = .float32) {
        var g = splitDefaultGenerator()
        self.init(dModel: dModel, numHeads: numHeads, numEncoderLayers: numEncoderLayers, numDecoderLayers: numDecoderLayers,
                  dimFeedforward: dimFeedforward, dropout: dropout, activation: activation, layerNormEps: layerNormEps,
                  batchFirst: batchFirst, normFirst: normFirst, bias: bias, dtype: dtype, generator: &g)
    }

    /// Encodes `source` and decodes `target` attending to it (PyTorch's `Transformer.forward`).
    ///
    /// - Parameters:
    ///   - source: `[S, N, dModel]` (`[N, S, dModel]` with `batchFirst`) or `[S, dModel]`.
    ///   - target: `[T, N, dModel]` (likewise) or `[T, dModel]`; the same batch size as `source`.
    ///   - sourceMask: the encoder's self-attention mask, `[S, S]` or `[N·numHeads, S, S]`.
    ///   - targetMask: the decoder's self-attention mask, `[T, T]` or `[N·numHeads, T, T]`
    ///     (``Tensor/causalMask(_:dtype:)`` for autoregressive decoding).
    ///   - memoryMask: the decoder's attention mask over the encoder's output, `[T, S]` or `[N·numHeads, T, S]`.
    ///   - sourceKeyPaddingMask: `[N, S]` source positions to ignore (int64 nonzero, or added to scores).
    ///   - targetKeyPaddingMask: `[N, T]` target positions to ignore.
    ///   - memoryKeyPaddingMask: `[N, S]` encoder outputs to ignore (usually `sourceKeyPaddingMask`).
    ///   - sourceIsCausal: causal self-attention in the encoder (with `sourceMask`: a hint, the mask is used).
    ///   - targetIsCausal: causal self-attention in the decoder (with `targetMask`: a hint, the mask is used).
    ///   - memoryIsCausal: causal attention to the encoder's output (with `memoryMask`: a hint, the mask is used).
    /// - Returns: the decoder's output, shaped like `target`.
    ///
    /// ```swift
    /// let y = model(source, target, targetIsCausal: true)
    /// ```
    public func callAsFunction(_ source: Tensor, _ target: Tensor, sourceMask: Tensor? = nil, targetMask: Tensor? = nil,
                               memoryMask: Tensor? = nil, sourceKeyPaddingMask: Tensor? = nil,
                               targetKeyPaddingMask: Tensor? = nil, memoryKeyPaddingMask: Tensor? = nil,
                               sourceIsCausal: Bool = false, targetIsCausal: Bool = false,
                               memoryIsCausal: Bool = false) -> Tensor {
        withForwardHooks(source) { source in
            checked {
                try require(source.rank == target.rank && (source.rank == 2 || source.rank == 3),
                            "Transformer: source \(source.shape) and target \(target.shape) must both be [L, N, \(dModel)] (batched) or both [L, \(dModel)]",
                            .shapeMismatch)
                try require(source.shape.last == dModel && target.shape.last == dModel,
                            "Transformer: the feature size of source \(source.shape) and target \(target.shape) must be dModel \(dModel)",
                            .shapeMismatch)
                if source.rank == 3 {
                    let batchAxis = batchFirst ? 0 : 1
                    try require(source.shape[batchAxis] == target.shape[batchAxis],
                                "Transformer: source \(source.shape) and target \(target.shape) must have the same batch size (axis \(batchAxis))",
                                .shapeMismatch)
                }
                let memory = encoder(source, mask: sourceMask, keyPaddingMask: sourceKeyPaddingMask, isCausal: sourceIsCausal)
                return decoder(target, memory: memory, targetMask: targetMask, memoryMask: memoryMask,
                               targetKeyPaddingMask: targetKeyPaddingMask, memoryKeyPaddingMask: memoryKeyPaddingMask,
                               targetIsCausal: targetIsCausal, memoryIsCausal: memoryIsCausal)
            }
        }
    }

    /// The configuration shown by ``Module/description``.
    public override var extraDescription: String { "dModel: \(dModel), numHeads: \(numHeads), batchFirst: \(batchFirst)" }
}
