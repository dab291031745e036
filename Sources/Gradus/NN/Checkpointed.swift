/// A layer whose activations are not kept for the backward pass but computed again there (activation
/// checkpointing, PyTorch's `torch.utils.checkpoint` around a module): training memory then grows with
/// the number of checkpointed blocks, not with every intermediate tensor inside them, for about one more
/// forward pass of compute.
///
/// The wrapped layer's parameters, buffers and state dict keep their names under `wrapped.` (saved and
/// loaded as part of the model). When the layer runs again in the backward pass it draws the same
/// numbers: the default generator (with `preserveRandomState`) and the own generators of its dropout and
/// ``RReLU`` layers
/// are set back to their state of the first run, and its buffers (batch norm's running statistics) are
/// left as the first run made them — they are not updated twice. Its forward hooks run again, as in
/// PyTorch. Outside grad mode (inference) it is the wrapped layer.
///
/// ```swift
/// let model = Sequential {
///     Checkpointed(TransformerEncoderLayer(dModel: 256, numHeads: 8, dimFeedforward: 1024))
///     Checkpointed(TransformerEncoderLayer(dModel: 256, numHeads: 8, dimFeedforward: 1024))
///     Linear(256, 10)
/// }
/// ```
public final class Checkpointed<Wrapped: Layer>: Module, Layer {
    /// The layer computed again in the backward pass.
    public let wrapped: Wrapped
    /// Whether the default generator repeats its numbers when the layer runs again (PyTorch's
    /// `preserve_rng_state`); turn off only for layers that draw nothing.
    public var preserveRandomState: Bool

    /// Wraps `layer`.
    ///
    /// - Parameters:
    ///   - layer: the layer to checkpoint.
    ///   - preserveRandomState: replay the default generator's numbers when the layer runs again.
    public init(_ layer: Wrapped, preserveRandomState: Bool = true) {
        wrapped = layer
        self.preserveRandomState = preserveRandomState
        super.init()
    }

    /// The wrapped layer's result; only `input` and the result are kept for the backward pass.
    public func callAsFunction(_ input: Tensor) -> Tensor {
        withForwardHooks(input) { input in
            guard GradMode.isEnabled else { return wrapped(input) }
            let replay = LayerReplay(wrapped)
            let layer = wrapped
            let results = Autograd.checkpoint([input], preserveRandomState: preserveRandomState, guardedBy: replay.guardRecomputation) {
                [layer($0[0])]
            }
            return results.first ?? Tensor.placeholder()
        }
    }
}

/// What a layer's second run must find as its first run did, and what it must leave as it found it:
/// its layers' own generators (dropout, ``RReLU``; as they were before the first run) and its buffers
/// (as they were before the first run during the second, as the first run left them afterwards).
private final class LayerReplay {
    private let drawingLayers: [any GeneratorOwningLayer]
    private let generatorsAtFirstRun: [SeededGenerator?]
    private let buffers: [Tensor]
    /// The buffers as the first run found them (spectral normalization's singular vectors, which its
    /// second run must start from to divide by the same σ).
    private let buffersAtFirstRun: [Tensor]
    private var generatorsBeforeReplay: [SeededGenerator?] = []
    private var buffersBeforeReplay: [Tensor] = []

    init(_ layer: Module) {
        drawingLayers = layer.modules().compactMap { $0 as? any GeneratorOwningLayer }.filter { $0.generator != nil }
        generatorsAtFirstRun = drawingLayers.map(\.generator)
        let current = layer.namedBuffers().map(\.tensor)
        buffers = current
        buffersAtFirstRun = current.isEmpty ? [] : GradMode.noGrad { current.map { $0.clone() } }
    }

    func guardRecomputation(_ starting: Bool) {
        GradMode.noGrad {
            if starting {
                generatorsBeforeReplay = drawingLayers.map(\.generator)
                for (d, g) in zip(drawingLayers, generatorsAtFirstRun) { d.generator = g }
                buffersBeforeReplay = buffers.map { $0.clone() }
                // Only what the first run changed, for the reason below.
                for (b, first) in zip(buffers, buffersAtFirstRun) where !b.equal(first) { b.assign(first) }
            } else {
                for (d, g) in zip(drawingLayers, generatorsBeforeReplay) { d.generator = g }
                // Only what the second run changed (batch norm's statistics): writing bumps a buffer's
                // version, which a recorded operation that read it would then refuse.
                for (b, saved) in zip(buffers, buffersBeforeReplay) where !b.equal(saved) { b.assign(saved) }
                generatorsBeforeReplay = []
                buffersBeforeReplay = []
            }
        }
    }
}

extension Sequential {
    /// Applies the layers with activation checkpointing in `segments` runs of consecutive layers (PyTorch's
    /// `checkpoint_sequential`): every segment but the last keeps only its input for the backward pass,
    /// where it is computed again; the last runs as usual, since its backward follows at once. A
    /// ``Checkpointed`` wrapper per block does the same layer by layer.
    ///
    /// - Parameters:
    ///   - segments: how many runs to cut the layers into, from 1 to the number of layers (PyTorch's
    ///     split: ⌊layers / segments⌋ layers in each run but the last, which takes the rest).
    ///   - input: the input of the first layer.
    ///   - preserveRandomState: replay the default generator's numbers when a segment runs again.
    /// - Returns: the last layer's output (as ``callAsFunction(_:)``, without fusing quantized layers).
    ///
    /// ```swift
    /// let logits = model.checkpointed(segments: 4, x)
    /// ```
    public func checkpointed(segments: Int, _ input: Tensor, preserveRandomState: Bool = true) -> Tensor {
        checked {
            try require(segments >= 1 && segments <= max(layers.count, 1),
                        "Sequential.checkpointed: segments must be from 1 to the \(layers.count) layers, got \(segments)", .invalidArgument)
            return withForwardHooks(input) { input in
                // PyTorch's split: segments − 1 runs of ⌊layers / segments⌋ layers, the rest in the last.
                let size = layers.count / segments
                var x = input
                for segment in 0..<segments {
                    let start = segment * size
                    let end = segment == segments - 1 ? layers.count : start + size
                    let part = Array(layers[start..<end])
                    if segment == segments - 1 || !GradMode.isEnabled {
                        for layer in part { x = layer(x) }
                    } else {
                        let replays = part.map { LayerReplay($0) }
                        x = Autograd.checkpoint([x], preserveRandomState: preserveRandomState,
                                                guardedBy: { starting in replays.forEach { $0.guardRecomputation(starting) } }) { inputs in
                            var h = inputs[0]
                            for layer in part { h = layer(h) }
                            return [h]
                        }.first ?? Tensor.placeholder()
                    }
                }
                return x
            }
        }
    }
}
