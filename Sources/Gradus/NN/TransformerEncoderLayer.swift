/// One Transformer encoder block (PyTorch's `nn.TransformerEncoderLayer`): self-attention, then a
/// two-layer feed-forward network, each with a residual connection, dropout and layer normalization.
///
///     post-norm (default):  x = norm1(x + dropout1(selfAttention(x)))
///                           x = norm2(x + dropout2(linear2(dropout(activation(linear1(x))))))
///     normFirst:            x = x + dropout1(selfAttention(norm1(x)));  x = x + dropout2(feedForward(norm2(x)))
///
/// Children carry PyTorch's names (`self_attn`, `linear1`, `dropout`, `linear2`, `norm1`, `norm2`,
/// `dropout1`, `dropout2`), so state dictionaries match. Sequences are `[L, N, dModel]` (`[N, L,
/// dModel]` with `batchFirst`) or `[L, dModel]`.
///
/// ```swift
/// let block = TransformerEncoderLayer(dModel: 64, numHeads: 4, dimFeedforward: 256, batchFirst: true)
/// let y = block(x)                                      // [N, L, 64] -> [N, L, 64]
/// let z = block(x, mask: nil, keyPaddingMask: padding)  // padding [N, L], nonzero = ignore
/// ```
public final class TransformerEncoderLayer: Module, Layer {
    /// The feed-forward network's non-linearity.
    public enum Activation: String, Sendable {
        /// max(x, 0) (PyTorch's default).
        case relu
        /// The exact GELU.
        case gelu
    }

    /// The self-attention (`self_attn`).
    public let selfAttention: MultiheadAttention
    /// The feed-forward network's first layer, `dModel → dimFeedforward`.
    public let linear1: Linear
    /// Dropout inside the feed-forward network.
    public let dropout: Dropout
    /// The feed-forward network's second layer, `dimFeedforward → dModel`.
    public let linear2: Linear
    /// The normalization around the attention.
    public let norm1: LayerNorm
    /// The normalization around the feed-forward network.
    public let norm2: LayerNorm
    /// Dropout on the attention's output.
    public let dropout1: Dropout
    /// Dropout on the feed-forward network's output.
    public let dropout2: Dropout
    /// The feed-forward network's non-linearity.
    public let activation: Activation
    /// Whether each sub-block normalizes its input (pre-norm) rather than the residual sum (post-norm).
    public let normFirst: Bool

    /// A block with PyTorch's default initialization drawn from `generator`.
    ///
    /// - Parameters:
    ///   - dModel: features of each position.
    ///   - numHeads: attention heads (divides `dModel`).
    ///   - dimFeedforward: the feed-forward network's hidden width.
    ///   - dropout: the probability of every dropout in the block.
    ///   - activation: relu or gelu.
    ///   - layerNormEps: the normalizations' epsilon.
    ///   - batchFirst: sequences as `[N, L, dModel]`.
    ///   - normFirst: pre-norm instead of post-norm.
    ///   - bias: whether the linear layers, the attention and the normalizations have biases.
    ///   - dtype: the parameters' element type.
    ///   - generator: the source of randomness.
    ///
    /// ```swift
    /// var rng = SeededGenerator(seed: 0)
    /// let block = TransformerEncoderLayer(dModel: 16, numHeads: 2, generator: &rng)
    /// ```
    public init(dModel: Int, numHeads: Int, dimFeedforward: Int = 2048, dropout: Double = 0.1,
                activation: Activation = .relu, layerNormEps: Double = 1e-5, batchFirst: Bool = false,
                normFirst: Bool = false, bias: Bool = true, dtype: DType = .float32, generator: inout SeededGenerator) {
        selfAttention = MultiheadAttention(embedDim: dModel, numHeads: numHeads, dropout: dropout, bias: bias,
                                           batchFirst: batchFirst, dtype: dtype, generator: &generator)
        linear1 = Linear(dModel, dimFeedforward, bias: bias, dtype: dtype, generator: &generator)
        self.dropout = Dropout(p: dropout)
        linear2 = Linear(dimFeedforward, dModel, bias: bias, dtype: dtype, generator: &generator)
        norm1 = LayerNorm(dModel, eps: layerNormEps, bias: bias, dtype: dtype)
        norm2 = LayerNorm(dModel, eps: layerNormEps, bias: bias, dtype: dtype)
        dropout1 = Dropout(p: dropout)
        dropout2 = Dropout(p: dropout)
        self.activation = activation
        self.normFirst = normFirst
        super.init()
    }

    /// A block initialized from the default generator (``Random``).
    ///
    /// ```swift
    /// let block = TransformerEncoderLayer(dModel: 16, numHeads: 2, dimFeedforward: 64)
    /// ```
    public convenience init(dModel: Int, numHeads: Int, dimFeedforward: Int = 2048, dropout: Double = 0.1,
                            activation: Activation = .relu, layerNormEps: Double = 1e-5, batchFirst: Bool = false,
                            normFirst: Bool = false, bias: Bool = true, dtype: DType = .float32) {
        var g = splitDefaultGenerator()
        self.init(dModel: dModel, numHeads: numHeads, dimFeedforward: dimFeedforward, dropout: dropout,
                  activation: activation, layerNormEps: layerNormEps, batchFirst: batchFirst, normFirst: normFirst,
                  bias: bias, dtype: dtype, generator: &g)
    }

    /// PyTorch's child names, in its order.
    override func discoverMembers() -> Members {
        var found = Members()
        found.children = [("self_attn", selfAttention), ("linear1", linear1), ("dropout", dropout), ("linear2", linear2),
                          ("norm1", norm1), ("norm2", norm2), ("dropout1", dropout1), ("dropout2", dropout2)]
        return found
    }

    /// Encodes `source`.
    ///
    /// - Parameters:
    ///   - source: `[L, N, dModel]` (`[N, L, dModel]` with `batchFirst`) or `[L, dModel]`.
    ///   - mask: `[L, L]` or `[N·numHeads, L, L]`: added to the attention scores (floating point) or
    ///     forbidding where nonzero (int64).
    ///   - keyPaddingMask: `[N, L]`: positions to ignore (int64 nonzero) or added to their scores.
    ///   - isCausal: let each position attend only to itself and earlier ones (a decoder-only block);
    ///     with `mask`, a hint (the mask is used).
    /// - Returns: the same shape as `source`.
    ///
    /// ```swift
    /// let h = block(tokens, mask: nil, keyPaddingMask: nil, isCausal: true)
    /// ```
    public func callAsFunction(_ source: Tensor, mask: Tensor?, keyPaddingMask: Tensor?, isCausal: Bool = false) -> Tensor {
        withForwardHooks(source) { source in
            func attend(_ x: Tensor) -> Tensor {
                dropout1(selfAttention(query: x, key: x, value: x, keyPaddingMask: keyPaddingMask, needWeights: false,
                                       attentionMask: mask, isCausal: isCausal).output)
            }
            if normFirst {
                let x = source + attend(norm1(source))
                return x + feedForward(norm2(x))
            }
            let x = norm1(source + attend(source))
            return norm2(x + feedForward(x))
        }
    }

    /// Encodes `source` without masks.
    public func callAsFunction(_ source: Tensor) -> Tensor { self(source, mask: nil, keyPaddingMask: nil) }

    /// The feed-forward part of the block: linear1, activation, dropout, linear2, dropout2.
    func feedForward(_ x: Tensor) -> Tensor {
        let hidden = linear1(x)
        return dropout2(linear2(dropout(activation == .relu ? hidden.relu() : hidden.gelu())))
    }

    /// Runs new positions through the block with causal self-attention over `cache` (the keys and values
    /// of the earlier positions, which this call extends): the incremental form of
    /// `self(x, mask: nil, keyPaddingMask: nil, isCausal: true)`, for decoding token by token.
    ///
    /// - Parameters:
    ///   - source: the new positions, laid out as for the full call.
    ///   - cache: this block's keys and values of the earlier positions; updated.
    /// - Returns: the block's output for the new positions.
    ///
    /// ```swift
    /// var cache = KeyValueCache()
    /// let prefix = block(x[0..., 0..<4], cache: &cache)
    /// let fifth = block(x[0..., 4..<5], cache: &cache)   // equals row 4 of block(x, …, isCausal: true)
    /// ```
    public func callAsFunction(_ source: Tensor, cache: inout KeyValueCache) -> Tensor {
        withForwardHooks(source) { source in
            if normFirst {
                let x = source + dropout1(selfAttention.selfAttention(norm1(source), cache: &cache))
                return x + feedForward(norm2(x))
            }
            let x = norm1(source + dropout1(selfAttention.selfAttention(source, cache: &cache)))
            return norm2(x + feedForward(x))
        }
    }


    /// The configuration shown by ``Module/description``.
    public override var extraDescription: String {
        "activation: \(activation.rawValue), normFirst: \(normFirst)"
    }
}
