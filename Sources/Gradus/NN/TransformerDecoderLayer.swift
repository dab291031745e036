/// One Transformer decoder block (PyTorch's `nn.TransformerDecoderLayer`): self-attention over the
/// target, attention from the target to the encoder's output (the memory), then a two-layer
/// feed-forward network, each with a residual connection, dropout and layer normalization.
///
///     post-norm (default):  x = norm1(x + dropout1(selfAttention(x)))
///                           x = norm2(x + dropout2(crossAttention(x, memory)))
///                           x = norm3(x + dropout3(linear2(dropout(activation(linear1(x))))))
///     normFirst:            x = x + dropout1(selfAttention(norm1(x)))
///                           x = x + dropout2(crossAttention(norm2(x), memory))
///                           x = x + dropout3(feedForward(norm3(x)))
///
/// Children carry PyTorch's names (`self_attn`, `multihead_attn`, `linear1`, `dropout`, `linear2`,
/// `norm1`, `norm2`, `norm3`, `dropout1`, `dropout2`, `dropout3`), so state dictionaries match.
/// Sequences are `[T, N, dModel]` and `[S, N, dModel]` (`[N, T, dModel]`, `[N, S, dModel]` with
/// `batchFirst`), or `[T, dModel]` and `[S, dModel]` for one sequence.
///
/// ```swift
/// let block = TransformerDecoderLayer(dModel: 64, numHeads: 4, dimFeedforward: 256, batchFirst: true)
/// let y = block(target, memory: encoded, targetIsCausal: true)   // [N, T, 64]
/// ```
public final class TransformerDecoderLayer: Module {
    /// The feed-forward network's non-linearity (relu or gelu).
    public typealias Activation = TransformerEncoderLayer.Activation

    /// The target's self-attention (`self_attn`).
    public let selfAttention: MultiheadAttention
    /// The attention from the target to the memory (`multihead_attn`).
    public let crossAttention: MultiheadAttention
    /// The feed-forward network's first layer, `dModel → dimFeedforward`.
    public let linear1: Linear
    /// Dropout inside the feed-forward network.
    public let dropout: Dropout
    /// The feed-forward network's second layer, `dimFeedforward → dModel`.
    public let linear2: Linear
    /// The normalization around the self-attention.
    public let norm1: LayerNorm
    /// The normalization around the cross-attention.
    public let norm2: LayerNorm
    /// The normalization around the feed-forward network.
    public let norm3: LayerNorm
    /// Dropout on the self-attention's output.
    public let dropout1: Dropout
    /// Dropout on the cross-attention's output.
    public let dropout2: Dropout
    /// Dropout on the feed-forward network's output.
    public let dropout3: Dropout
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
    ///   - batchFirst: sequences as `[N, T, dModel]`.
    ///   - normFirst: pre-norm instead of post-norm.
    ///   - bias: whether the linear layers, the attentions and the normalizations have biases.
    ///   - dtype: the parameters' element type.
    ///   - generator: the source of randomness.
    ///
    /// ```swift
    /// var rng = SeededGenerator(seed: 0)
    /// let block = TransformerDecoderLayer(dModel: 16, numHeads: 2, generator: &rng)
    /// ```
    public init(dModel: Int, numHeads: Int, dimFeedforward: Int = 2048, dropout: Double = 0.1,
                activation: Activation = .relu, layerNormEps: Double = 1e-5, batchFirst: Bool = false,
                normFirst: Bool = false, bias: Bool = true, dtype: DType = .float32, generator: inout SeededGenerator) {
        selfAttention = MultiheadAttention(embedDim: dModel, numHeads: numHeads, dropout: dropout, bias: bias,
                                           batchFirst: batchFirst, dtype: dtype, generator: &generator)
        crossAttention = MultiheadAttention(embedDim: dModel, numHeads: numHeads, dropout: dropout, bias: bias,
                                            batchFirst: batchFirst, dtype: dtype, generator: &generator)
        linear1 = Linear(dModel, dimFeedforward, bias: bias, dtype: dtype, generator: &generator)
        self.dropout = Dropout(p: dropout)
        linear2 = Linear(dimFeedforward, dModel, bias: bias, dtype: dtype, generator: &generator)
        norm1 = LayerNorm(dModel, eps: layerNormEps, bias: bias, dtype: dtype)
        norm2 = LayerNorm(dModel, eps: layerNormEps, bias: bias, dtype: dtype)
        norm3 = LayerNorm(dModel, eps: layerNormEps, bias: bias, dtype: dtype)
        dropout1 = Dropout(p: dropout)
        dropout2 = Dropout(p: dropout)
        dropout3 = Dropout(p: dropout)
        self.activation = activation
        self.normFirst = normFirst
        super.init()
    }

    /// A block initialized from the default generator (``Random``).
    ///
    /// ```swift
    /// let block = TransformerDecoderLayer(dModel: 16, numHeads: 2, dimFeedforward: 64)
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
        found.children = [("self_attn", selfAttention), ("multihead_attn", crossAttention), ("linear1", linear1),
                          ("dropout", dropout), ("linear2", linear2), ("norm1", norm1), ("norm2", norm2), ("norm3", norm3),
                          ("dropout1", dropout1), ("dropout2", dropout2), ("dropout3", dropout3)]
        return found
    }

    /// Decodes `target` with attention to `memory`.
    ///
    /// - Parameters:
    ///   - target: `[T, N, dModel]` (`[N, T, dModel]` with `batchFirst`) or `[T, dModel]`.
    ///   - memory: the encoder's output, `[S, N, dModel]` (likewise) or `[S, dModel]`.
    ///   - targetMask: `[T, T]` or `[N·numHeads, T, T]` for the self-attention: added to the scores
    ///     (floating point) or forbidding where nonzero (int64).
    ///   - memoryMask: `[T, S]` or `[N·numHeads, T, S]` for the cross-attention, likewise.
    ///   - targetKeyPaddingMask: `[N, T]`: target positions to ignore (int64 nonzero) or added to their scores.
    ///   - memoryKeyPaddingMask: `[N, S]`: memory positions to ignore, likewise.
    ///   - targetIsCausal: each target position attends only to itself and earlier ones (the mask of
    ///     ``Tensor/causalMask(_:dtype:)``, without building it); with `targetMask`, a hint (the mask is used).
    ///   - memoryIsCausal: the same for the cross-attention; with `memoryMask`, a hint.
    /// - Returns: the same shape as `target`.
    ///
    /// ```swift
    /// let y = block(target, memory: memory, memoryKeyPaddingMask: padding, targetIsCausal: true)
    /// ```
    public func callAsFunction(_ target: Tensor, memory: Tensor, targetMask: Tensor? = nil, memoryMask: Tensor? = nil,
                               targetKeyPaddingMask: Tensor? = nil, memoryKeyPaddingMask: Tensor? = nil,
                               targetIsCausal: Bool = false, memoryIsCausal: Bool = false) -> Tensor {
        withForwardHooks(target) { target in
            func attendToSelf(_ x: Tensor) -> Tensor {
                dropout1(selfAttention(query: x, key: x, value: x, keyPaddingMask: targetKeyPaddingMask, needWeights: false,
                                       attentionMask: targetMask, isCausal: targetIsCausal).output)
            }
            func attendToMemory(_ x: Tensor) -> Tensor {
                dropout2(crossAttention(query: x, key: memory, value: memory, keyPaddingMask: memoryKeyPaddingMask, needWeights: false,
                                        attentionMask: memoryMask, isCausal: memoryIsCausal).output)
            }
            return residualBlocks(target, attendToSelf: attendToSelf, attendToMemory: attendToMemory)
        }
    }

    /// Decodes new target tokens incrementally: causal self-attention over the tokens in `cache` and
    /// over themselves (their keys and values are appended to `cache`), then attention to `memory`.
    /// The result equals the matching rows of ``callAsFunction(_:memory:targetMask:memoryMask:targetKeyPaddingMask:memoryKeyPaddingMask:targetIsCausal:memoryIsCausal:)``
    /// with `targetIsCausal: true` on the whole target; the self-attention and feed-forward parts run on
    /// the new tokens only, and the attention to the memory projects the memory's keys and values once per
    /// sequence: the cache keeps them while the same memory tensor, unchanged, comes back with the same
    /// weights (under ``GradMode/noGrad(_:)``, as generation runs; where gradients are recorded through
    /// them they are projected each call).
    ///
    /// - Parameters:
    ///   - target: the new tokens, `[T, N, dModel]` (`[N, T, dModel]` with `batchFirst`) or `[T, dModel]`;
    ///     usually one token.
    ///   - memory: the encoder's output, `[S, N, dModel]` (likewise) or `[S, dModel]`.
    ///   - cache: the self-attention's keys and values of the earlier tokens of the same sequences; updated.
    ///   - targetKeyPaddingMask: `[N, P + T]` (`[P + T]` unbatched), P the tokens already in `cache`: target
    ///     positions so far to ignore (the full call's `targetKeyPaddingMask` up to the new tokens), or nil.
    ///   - memoryMask: `[T, S]` for the new tokens' attention to the memory, or nil.
    ///   - memoryKeyPaddingMask: `[N, S]`: memory positions to ignore, or nil.
    /// - Returns: the same shape as `target`.
    ///
    /// ```swift
    /// var cache = KeyValueCache()
    /// let first = block(start, memory: encoded, cache: &cache)       // [N, 1, dModel]
    /// let second = block(nextToken, memory: encoded, cache: &cache)  // attends to both tokens
    /// ```
    public func callAsFunction(_ target: Tensor, memory: Tensor, cache: inout KeyValueCache, targetKeyPaddingMask: Tensor? = nil,
                               memoryMask: Tensor? = nil, memoryKeyPaddingMask: Tensor? = nil) -> Tensor {
        var updated = cache
        let result = withForwardHooks(target) { target -> Tensor in
            func attendToSelf(_ x: Tensor) -> Tensor {
                dropout1(selfAttention.selfAttention(x, cache: &updated, keyPaddingMask: targetKeyPaddingMask))
            }
            func attendToMemory(_ x: Tensor) -> Tensor {
                dropout2(crossAttention.attend(x, toMemory: memory, cache: &updated, keyPaddingMask: memoryKeyPaddingMask,
                                               attentionMask: memoryMask))
            }
            return residualBlocks(target, attendToSelf: attendToSelf, attendToMemory: attendToMemory)
        }
        // A failed step leaves the cache as it was, so that the caller can retry or stop cleanly.
        if !ErrorScope.hasFailed { cache = updated }
        return result
    }

    /// The block's three residual parts around its two attentions (the full and the incremental call's):
    /// pre-norm (`normFirst`) or post-norm, as PyTorch's `TransformerDecoderLayer`.
    private func residualBlocks(_ target: Tensor, attendToSelf: (Tensor) -> Tensor, attendToMemory: (Tensor) -> Tensor) -> Tensor {
        if normFirst {
            var x = target + attendToSelf(norm1(target))
            x = x + attendToMemory(norm2(x))
            return x + feedForward(norm3(x))
        }
        var x = norm1(target + attendToSelf(target))
        x = norm2(x + attendToMemory(x))
        return norm3(x + feedForward(x))
    }

    /// The feed-forward part of the block: linear1, activation, dropout, linear2, dropout3.
    func feedForward(_ x: Tensor) -> Tensor {
        let hidden = linear1(x)
        return dropout3(linear2(dropout(activation == .relu ? hidden.relu() : hidden.gelu())))
    }

    /// The configuration shown by ``Module/description``.
    public override var extraDescription: String {
        "activation: \(activation.rawValue), normFirst: \(normFirst)"
    }
}
