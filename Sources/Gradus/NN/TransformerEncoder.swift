/// A stack of ``TransformerEncoderLayer`` blocks with an optional final normalization (PyTorch's
/// `nn.TransformerEncoder`; children `layers.0`, `layers.1`, …, and `norm`, as in PyTorch).
///
/// ```swift
/// var rng = SeededGenerator(seed: 0)
/// let encoder = TransformerEncoder(numLayers: 4, norm: LayerNorm(64)) {
///     TransformerEncoderLayer(dModel: 64, numHeads: 4, dimFeedforward: 256, batchFirst: true, generator: &rng)
/// }
/// let y = encoder(x)   // [N, L, 64] -> [N, L, 64]
/// ```
public final class TransformerEncoder: Module, Layer {
    /// The blocks, applied in order.
    public let layers: [TransformerEncoderLayer]
    /// The normalization after the last block, or nil.
    public let norm: LayerNorm?

    /// A stack of `numLayers` blocks, each made by `makeLayer` (its own weights; PyTorch copies one
    /// block's initial weights into each instead).
    ///
    /// - Parameters:
    ///   - numLayers: the number of blocks.
    ///   - norm: a normalization applied to the last block's output, or nil.
    ///   - makeLayer: makes one block.
    public init(numLayers: Int, norm: LayerNorm? = nil, _ makeLayer: () -> TransformerEncoderLayer) {
        let numLayers = validSetting(numLayers >= 1, "TransformerEncoder: numLayers must be at least 1, got \(numLayers)")
            ? numLayers : 1
        layers = (0..<numLayers).map { _ in makeLayer() }
        self.norm = norm
        super.init()
    }

    /// Encodes `source` through every block, with the same masks for each.
    ///
    /// - Parameters:
    ///   - source: `[L, N, dModel]` (`[N, L, dModel]` with batch-first blocks) or `[L, dModel]`.
    ///   - mask: see ``TransformerEncoderLayer/callAsFunction(_:mask:keyPaddingMask:isCausal:)``.
    ///   - keyPaddingMask: see ``TransformerEncoderLayer/callAsFunction(_:mask:keyPaddingMask:isCausal:)``.
    ///   - isCausal: causal self-attention in every block (each position sees itself and earlier ones).
    /// - Returns: the same shape as `source`.
    ///
    /// ```swift
    /// let h = encoder(tokens, mask: nil, keyPaddingMask: nil, isCausal: true)   // a GPT-style stack
    /// ```
    public func callAsFunction(_ source: Tensor, mask: Tensor?, keyPaddingMask: Tensor?, isCausal: Bool = false) -> Tensor {
        withForwardHooks(source) { source in
            var x = source
            for layer in layers { x = layer(x, mask: mask, keyPaddingMask: keyPaddingMask, isCausal: isCausal) }
            return norm.map { $0(x) } ?? x
        }
    }

    /// Encodes `source` without masks.
    public func callAsFunction(_ source: Tensor) -> Tensor { self(source, mask: nil, keyPaddingMask: nil) }

    /// Runs new positions through every block with causal self-attention over the earlier positions'
    /// cached keys and values (one cache per block), then the final normalization: the incremental form
    /// of `self(x, mask: nil, keyPaddingMask: nil, isCausal: true)`.
    ///
    /// - Parameters:
    ///   - source: the new positions.
    ///   - caches: one cache per block (`layers.count`; empty caches start a sequence); updated.
    /// - Returns: the output for the new positions.
    ///
    /// ```swift
    /// var caches = Array(repeating: KeyValueCache(), count: encoder.layers.count)
    /// let h = encoder(nextToken, caches: &caches)
    /// ```
    public func callAsFunction(_ source: Tensor, caches: inout [KeyValueCache]) -> Tensor {
        withForwardHooks(source) { source in
            if caches.count != layers.count {
                return ErrorScope.fail(GradusError(.invalidArgument, "TransformerEncoder: \(caches.count) caches for \(layers.count) layers"),
                                       Tensor.placeholder)
            }
            var x = source
            for i in layers.indices { x = layers[i](x, cache: &caches[i]) }
            return norm.map { $0(x) } ?? x
        }
    }

}
