import Gradus
import GradusTestSupport
import Testing

/// Decoding with key-value caches (TransformerDecoderLayer and TransformerDecoder called with `cache:`)
/// against the full causal decoder over the whole target.
@Suite("incremental Transformer decoding")
struct IncrementalDecodingTests {
    func normal(_ shape: [Int], seed: UInt64) -> Tensor {
        var rng = SeededGenerator(seed: seed)
        return Tensor.normal(shape, dtype: .float64, generator: &rng)
    }

    @Test("token by token, and a prefix then tokens, equal the full causal decoder's rows",
          arguments: [(normFirst: false, batchFirst: true), (normFirst: true, batchFirst: false)])
    func matchesFullDecoder(_ c: (normFirst: Bool, batchFirst: Bool)) throws {
        var rng = SeededGenerator(seed: 11)
        let decoder = TransformerDecoder(numLayers: 2, norm: LayerNorm(8, dtype: .float64)) {
            TransformerDecoderLayer(dModel: 8, numHeads: 2, dimFeedforward: 16, dropout: 0, batchFirst: c.batchFirst,
                                    normFirst: c.normFirst, dtype: .float64, generator: &rng)
        }
        let (t, s, n) = (5, 4, 2)
        let axis = c.batchFirst ? 1 : 0
        let target = normal(c.batchFirst ? [n, t, 8] : [t, n, 8], seed: 12)
        let memory = normal(c.batchFirst ? [n, s, 8] : [s, n, 8], seed: 13)
        let padding = Tensor(shape: [n, s], integers: [0, 0, 0, 1, 0, 0, 0, 0])   // the first sequence's last memory entry is padding
        let full = decoder(target, memory: memory, memoryKeyPaddingMask: padding, targetIsCausal: true)
        // One token at a time.
        var cache: [KeyValueCache] = []
        var rows: [Tensor] = []
        for i in 0..<t {
            rows.append(decoder(target.slice(axis: axis, start: i, end: i + 1), memory: memory, cache: &cache, memoryKeyPaddingMask: padding))
        }
        #expect(cache.count == 2 && cache.allSatisfy { $0.length == t })
        #expect(mismatch(Tensor.concatenate(rows, axis: axis), full, rtol: 1e-12, atol: 1e-12) == nil)
        // A prefix of three tokens, then two more together.
        var second: [KeyValueCache] = []
        let prefix = decoder(target.slice(axis: axis, start: 0, end: 3), memory: memory, cache: &second, memoryKeyPaddingMask: padding)
        let rest = decoder(target.slice(axis: axis, start: 3, end: 5), memory: memory, cache: &second, memoryKeyPaddingMask: padding)
        #expect(mismatch(Tensor.concatenate([prefix, rest], axis: axis), full, rtol: 1e-12, atol: 1e-12) == nil)
    }

    @Test("under noGrad the memory is projected once per sequence; a changed memory, memory tensor or weight is projected again")
    func memoryProjectionKept() throws {
        var rng = SeededGenerator(seed: 41)
        let decoder = TransformerDecoder(numLayers: 2) {
            TransformerDecoderLayer(dModel: 8, numHeads: 2, dimFeedforward: 16, dropout: 0, batchFirst: true, dtype: .float64,
                                    generator: &rng)
        }
        let (t, s, n) = (4, 5, 2)
        let target = normal([n, t, 8], seed: 42)
        var memory = normal([n, s, 8], seed: 43)
        func token(_ i: Int) -> Tensor { target.slice(axis: 1, start: i, end: i + 1) }
        GradMode.noGrad {
            let full = decoder(target, memory: memory, targetIsCausal: true)
            var cache: [KeyValueCache] = []
            var rows: [Tensor] = []
            for i in 0..<t {
                rows.append(decoder(token(i), memory: memory, cache: &cache))
                #expect(cache.allSatisfy { $0.projectedMemoryLength == s }, "step \(i): every block keeps the memory's projection")
            }
            #expect(mismatch(Tensor.concatenate(rows, axis: 1), full, rtol: 1e-12, atol: 1e-12) == nil)
        }
        // A change between two steps must be seen by the second: one block, whose cached self-attention
        // keys and values depend on the target only, so the step after the change equals the last row of
        // the full block on the new state.
        let layer = try #require(decoder.layers.first)
        func stepAfter(_ label: String, _ change: () throws -> Void) throws {
            try GradMode.noGrad {
                var cache = KeyValueCache()
                _ = layer(target.slice(axis: 1, start: 0, end: t - 1), memory: memory, cache: &cache)
                #expect(cache.projectedMemoryLength == s)
                try change()
                let step = layer(token(t - 1), memory: memory, cache: &cache)
                let expected = layer(target, memory: memory, targetIsCausal: true).slice(axis: 1, start: t - 1, end: t)
                #expect(mismatch(step, expected, rtol: 1e-12, atol: 1e-12) == nil, "\(label)")
            }
        }
        try stepAfter("memory changed in place") { _ = memory.mulInPlace(0.5) }
        try stepAfter("another memory tensor") { memory = normal([n, s, 8], seed: 44) }
        try stepAfter("projection weight changed in place") { _ = try #require(layer.crossAttention.inProjWeight).mulInPlace(1.5) }
        try stepAfter("a new projection bias") { layer.crossAttention.inProjBias = try #require(layer.crossAttention.inProjBias) + 0.25 }
    }

    @Test("with gradients recorded, the memory's projection is not kept and gradients reach the memory at every step")
    func memoryProjectionWithGradients() throws {
        var rng = SeededGenerator(seed: 51)
        let layer = TransformerDecoderLayer(dModel: 4, numHeads: 2, dimFeedforward: 8, dropout: 0, dtype: .float64, generator: &rng)
        let memory = normal([3, 4], seed: 52).requiringGrad()
        let target = normal([2, 4], seed: 53)
        var cache = KeyValueCache()
        let first = layer(target.slice(axis: 0, start: 0, end: 1), memory: memory, cache: &cache)
        #expect(cache.projectedMemoryLength == 0)
        let second = layer(target.slice(axis: 0, start: 1, end: 2), memory: memory, cache: &cache)
        (first.sum() + second.sum()).backward()
        let incremental = try #require(memory.grad)
        memory.grad = nil
        layer(target, memory: memory, targetIsCausal: true).sum().backward()
        #expect(mismatch(incremental, try #require(memory.grad), rtol: 1e-12, atol: 1e-12) == nil)
        // A projection kept under noGrad is not used by a step that records gradients (the memory gets
        // that step's gradient), and is released.
        var mixed = KeyValueCache()
        GradMode.noGrad { _ = layer(target.slice(axis: 0, start: 0, end: 1), memory: memory, cache: &mixed) }
        #expect(mixed.projectedMemoryLength == 3)
        memory.grad = nil
        layer(target.slice(axis: 0, start: 1, end: 2), memory: memory, cache: &mixed).sum().backward()
        let step = try #require(memory.grad)
        #expect(mixed.projectedMemoryLength == 0)
        memory.grad = nil
        layer(target, memory: memory, targetIsCausal: true).slice(axis: 0, start: 1, end: 2).sum().backward()
        #expect(mismatch(step, try #require(memory.grad), rtol: 1e-12, atol: 1e-12) == nil)
    }

    @Test("a target key padding mask over the positions so far gives the full decoder's rows with that mask")
    func targetKeyPaddingMask() throws {
        var rng = SeededGenerator(seed: 71)
        let decoder = TransformerDecoder(numLayers: 2) {
            TransformerDecoderLayer(dModel: 8, numHeads: 2, dimFeedforward: 16, dropout: 0, batchFirst: true, dtype: .float64,
                                    generator: &rng)
        }
        let (t, s, n) = (5, 3, 2)
        let target = normal([n, t, 8], seed: 72), memory = normal([n, s, 8], seed: 73)
        // Position 1 of the first sequence and 3 of the second are padding (int64 nonzero); as floats too.
        let padding = Tensor(shape: [n, t], integers: [0, 1, 0, 0, 0, 0, 0, 0, 1, 0])
        for mask in [padding, padding.to(.float64) * -1e9] {
            let full = decoder(target, memory: memory, targetKeyPaddingMask: mask, targetIsCausal: true)
            for grad in [false, true] {
                var cache: [KeyValueCache] = []
                var rows: [Tensor] = []
                GradMode.with(enabled: grad) {
                    for i in 0..<t {
                        rows.append(decoder(target.slice(axis: 1, start: i, end: i + 1), memory: memory, cache: &cache,
                                            targetKeyPaddingMask: mask.slice(axis: 1, start: 0, end: i + 1)))
                    }
                }
                #expect(mismatch(Tensor.concatenate(rows, axis: 1), full, rtol: 1e-12, atol: 1e-12) == nil, "token by token, grad \(grad)")
            }
            var second: [KeyValueCache] = []
            let prefix = decoder(target.slice(axis: 1, start: 0, end: 3), memory: memory, cache: &second,
                                 targetKeyPaddingMask: mask.slice(axis: 1, start: 0, end: 3))
            let rest = decoder(target.slice(axis: 1, start: 3, end: 5), memory: memory, cache: &second, targetKeyPaddingMask: mask)
            #expect(mismatch(Tensor.concatenate([prefix, rest], axis: 1), full, rtol: 1e-12, atol: 1e-12) == nil, "a prefix, then two tokens")
            // A mask over the new tokens only (not the cached ones) is refused, and the caches keep their tokens.
            let error = failure { decoder(target.slice(axis: 1, start: 0, end: 1), memory: memory, cache: &second,
                                          targetKeyPaddingMask: mask.slice(axis: 1, start: 0, end: 1)) }
            #expect(error?.message.contains("5 cached and 1 new positions") == true, "\(String(describing: error))")
            #expect(second.map(\.length) == [5, 5])
        }
    }

    @Test("one unbatched sequence, and the layer on its own")
    func unbatchedAndSingleLayer() {
        var rng = SeededGenerator(seed: 21)
        let layer = TransformerDecoderLayer(dModel: 4, numHeads: 1, dimFeedforward: 8, dropout: 0, dtype: .float64, generator: &rng)
        let target = normal([3, 4], seed: 22), memory = normal([2, 4], seed: 23)
        let full = layer(target, memory: memory, targetIsCausal: true)
        var cache = KeyValueCache()
        let rows = (0..<3).map { layer(target.slice(axis: 0, start: $0, end: $0 + 1), memory: memory, cache: &cache) }
        #expect(mismatch(Tensor.concatenate(rows, axis: 0), full, rtol: 1e-12, atol: 1e-12) == nil)
    }

    @Test("a cache of another decoder or a failed step is an error, and the cache is left as it was")
    func errors() throws {
        var rng = SeededGenerator(seed: 31)
        let decoder = TransformerDecoder(numLayers: 2) {
            TransformerDecoderLayer(dModel: 4, numHeads: 2, dimFeedforward: 8, dropout: 0, batchFirst: true, generator: &rng)
        }
        let memory = Tensor.normal([1, 3, 4], generator: &rng)
        var cache: [KeyValueCache] = []
        _ = decoder(Tensor.normal([1, 2, 4], generator: &rng), memory: memory, cache: &cache)
        #expect(cache.map(\.length) == [2, 2])
        var wrong = [KeyValueCache()]
        #expect(throws: GradusError.self) { try GradusError.catching { _ = decoder(Tensor.zeros([1, 1, 4]), memory: memory, cache: &wrong) } }
        // A token of the wrong width fails; the cache keeps its two tokens.
        #expect(throws: GradusError.self) { try GradusError.catching { _ = decoder(Tensor.zeros([1, 1, 5]), memory: memory, cache: &cache) } }
        #expect(cache.map(\.length) == [2, 2])
        // A memory of another batch size fails in the cross-attention, after the self-attention appended:
        // the caller's caches are still those of the two tokens.
        #expect(throws: GradusError.self) {
            try GradusError.catching { _ = decoder(Tensor.zeros([1, 1, 4]), memory: Tensor.zeros([2, 3, 4]), cache: &cache) }
        }
        #expect(cache.map(\.length) == [2, 2])
        // An empty cache stays empty when the first call fails; caches of different lengths are refused.
        var fresh: [KeyValueCache] = []
        #expect(throws: GradusError.self) { try GradusError.catching { _ = decoder(Tensor.zeros([1, 1, 5]), memory: memory, cache: &fresh) } }
        #expect(fresh.isEmpty)
        var mixed = [cache[0], KeyValueCache()]
        #expect(throws: GradusError.self) { try GradusError.catching { _ = decoder(Tensor.zeros([1, 1, 4]), memory: memory, cache: &mixed) } }
    }

    @Test("a post-hook failing on a bare attention layer leaves its cache as it was")
    func failingHookLeavesCache() throws {
        var rng = SeededGenerator(seed: 61)
        let attention = MultiheadAttention(embedDim: 4, numHeads: 2, batchFirst: true, generator: &rng)
        var cache = KeyValueCache()
        _ = attention.selfAttention(Tensor.normal([1, 2, 4], generator: &rng), cache: &cache)
        let handle = attention.registerForwardHook { _, _, y in y.reshape([7]) }   // a hook whose own op fails
        #expect(throws: GradusError.self) {
            try GradusError.catching { _ = attention.selfAttention(Tensor.zeros([1, 1, 4]), cache: &cache) }
        }
        #expect(cache.length == 2)
        handle.remove()
        _ = attention.selfAttention(Tensor.zeros([1, 1, 4]), cache: &cache)
        #expect(cache.length == 3)
    }
}
