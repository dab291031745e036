/// A stack of ``TransformerDecoderLayer`` blocks with an optional final normalization (PyTorch's
/// `nn.TransformerDecoder`; children `layers.0`, `layers.1`, …, and `norm`, as in PyTorch).
///
/// ```swift
/// var rng = SeededGenerator(seed: 0)
/// let decoder = TransformerDecoder(numLayers: 2, norm: LayerNorm(64)) {
///     TransformerDecoderLayer(dModel: 64, numHeads: 4, dimFeedforward: 256, batchFirst: true, generator: &rng)
/// }
/// let y = decoder(target, memory: encoded, targetIsCausal: true)   // [N, T, 64]
/// ```
public final class TransformerDecoder: Module {
    /// The blocks, applied in order.
    public let layers: [TransformerDecoderLayer]
    /// The normalization after the last block, or nil.
    public let norm: LayerNorm?

    /// A stack of `numLayers` blocks, each made by `makeLayer` (its own weights; PyTorch copies one
    /// block's initial weights into each instead).
    ///
    /// - Parameters:
    ///   - numLayers: the number of blocks (at least 1).
    ///   - norm: a normalization applied to the last block's output, or nil.
    ///   - makeLayer: makes one block.
    public init(numLayers: Int, norm: LayerNorm? = nil, _ makeLayer: () -> TransformerDecoderLayer) {
        let numLayers = validSetting(numLayers >= 1, "TransformerDecoder: numLayers must be at least 1, got \(numLayers)")
            ? numLayers : 1
        layers = (0..<numLayers).map { _ in makeLayer() }
        self.norm = norm
        super.init()
    }

    /// Decodes `target` through every block, each attending to `memory`, with the same masks for each.
    ///
    /// - Parameters:
    ///   - target: `[T, N, dModel]` (`[N, T, dModel]` with batch-first blocks) or `[T, dModel]`.
    ///   - memory: the encoder's output, `[S, N, dModel]` (likewise) or `[S, dModel]`.
    ///   - targetMask: see ``TransformerDecoderLayer/callAsFunction(_:memory:targetMask:memoryMask:targetKeyPaddingMask:memoryKeyPaddingMask:targetIsCausal:memoryIsCausal:)``.
    ///   - memoryMask: likewise.
    ///   - targetKeyPaddingMask: likewise.
    ///   - memoryKeyPaddingMask: likewise.
    ///   - targetIsCausal: causal self-attention in every block.
    ///   - memoryIsCausal: causal cross-attention in every block.
    /// - Returns: the same shape as `target`.
    ///
    /// ```swift
    /// let y = decoder(target, memory: memory, targetIsCausal: true)
    /// ```
    public func callAsFunction(_ target: Tensor, memory: Tensor, targetMask: Tensor? = nil, memoryMask: Tensor? = nil,
                               targetKeyPaddingMask: Tensor? = nil, memoryKeyPaddingMask: Tensor? = nil,
                               targetIsCausal: Bool = false, memoryIsCausal: Bool = false) -> Tensor {
        withForwardHooks(target) { target in
            var x = target
            for layer in layers {
                x = layer(x, memory: memory, targetMask: targetMask, memoryMask: memoryMask, targetKeyPaddingMask: targetKeyPaddingMask,
                          memoryKeyPaddingMask: memoryKeyPaddingMask, targetIsCausal: targetIsCausal, memoryIsCausal: memoryIsCausal)
            }
            return norm.map { $0(x) } ?? x
        }
    }
    /// Decodes new target tokens incrementally through every block (see
    /// ``TransformerDecoderLayer/callAsFunction(_:memory:cache:targetKeyPaddingMask:memoryMask:memoryKeyPaddingMask:)``):
    /// each block attends causally over its cached tokens and the new ones, so that generating a sequence
    /// runs the self-attention and feed-forward parts on the new tokens only rather than re-running the
    /// whole prefix, and projects the memory's keys and values once per sequence (kept in the cache under
    /// ``GradMode/noGrad(_:)``). The result equals the matching rows of the full decoder with
    /// `targetIsCausal: true` and the same masks.
    ///
    /// - Parameters:
    ///   - target: the new tokens, `[T, N, dModel]` (`[N, T, dModel]` with batch-first blocks) or `[T, dModel]`.
    ///   - memory: the encoder's output, `[S, N, dModel]` (likewise) or `[S, dModel]`.
    ///   - cache: one ``KeyValueCache`` per block, updated; pass an empty array to start a sequence.
    ///   - targetKeyPaddingMask: `[N, P + T]` (`[P + T]` unbatched), P the tokens already cached: target
    ///     positions so far to ignore (prompts of different lengths padded on the left), or nil.
    ///   - memoryMask: `[T, S]` for the new tokens' attention to the memory, or nil.
    ///   - memoryKeyPaddingMask: `[N, S]`: memory positions to ignore, or nil.
    /// - Returns: the same shape as `target`.
    ///
    /// ```swift
    /// let memory = transformer.encoder(source)
    /// var cache: [KeyValueCache] = []
    /// var token = startEmbedding                                   // [N, 1, dModel]
    /// for _ in 0..<length {
    ///     let y = transformer.decoder(token, memory: memory, cache: &cache)
    ///     token = embed(head(y).argmax(axis: 2))
    /// }
    /// ```
    public func callAsFunction(_ target: Tensor, memory: Tensor, cache: inout [KeyValueCache], targetKeyPaddingMask: Tensor? = nil,
                               memoryMask: Tensor? = nil, memoryKeyPaddingMask: Tensor? = nil) -> Tensor {
        var updated = cache.isEmpty ? Array(repeating: KeyValueCache(), count: layers.count) : cache
        guard validSetting(updated.count == layers.count,
                           "TransformerDecoder: the cache holds \(updated.count) layers' keys and values, the decoder has \(layers.count) layers"),
              validSetting(Set(updated.map(\.length)).count == 1,
                           "TransformerDecoder: the layers' caches hold different numbers of tokens (\(updated.map(\.length))); they come from different sequences")
        else { return Tensor.placeholder() }
        let result = withForwardHooks(target) { target -> Tensor in
            var x = target
            for (i, layer) in layers.enumerated() {
                x = layer(x, memory: memory, cache: &updated[i], targetKeyPaddingMask: targetKeyPaddingMask, memoryMask: memoryMask,
                          memoryKeyPaddingMask: memoryKeyPaddingMask)
            }
            return norm.map { $0(x) } ?? x
        }
        if !ErrorScope.hasFailed { cache = updated }
        return result
    }
}
