import Gradus
import GradusTestSupport
import Testing

/// The decoder block, the decoder stack and the encoder–decoder Transformer against PyTorch (outputs,
/// the gradients of both sequences and of every parameter, with masks), and their behaviour.
@Suite("Transformer decoder")
struct TransformerDecoderTests {
    struct TwoInputCase: Decodable {
        let state: [String: TensorFixture]
        let sequences: [String: TensorFixture]
        let masks: [String: TensorFixture]
        let gradOutput, output: TensorFixture
        let gradSequences: [String: TensorFixture]
        let grads: [String: TensorFixture]
    }

    /// Loads the fixture's weights, runs `call` on its sequences and masks, and compares the output and
    /// every gradient.
    func check(_ name: String, _ module: Module, _ call: ([String: Tensor], [String: Tensor]) -> Tensor) throws {
        let f = try Fixtures.decode(TwoInputCase.self, "nn/\(name).json")
        #expect(Set(module.stateDict().keys) == Set(f.state.keys), "\(name): state dictionary keys differ from PyTorch's")
        try module.loadStateDict(f.state.mapValues { $0.tensor() })
        let sequences = f.sequences.mapValues { $0.tensor().requiringGrad() }
        let masks = f.masks.mapValues { $0.tensor() }
        let y = call(sequences, masks)
        if let m = mismatch(y, f.output.tensor(), rtol: 1e-5, atol: 1e-5) { Issue.record("\(name) output: \(m)") }
        (y * f.gradOutput.tensor()).sum().backward()
        for (key, expected) in f.gradSequences {
            guard let g = sequences[key]?.grad else { Issue.record("\(name): no gradient for \(key)"); continue }
            if let m = mismatch(g, expected.tensor(), rtol: 1e-5, atol: 1e-5) { Issue.record("\(name) gradient of \(key): \(m)") }
        }
        for (key, p) in module.namedParameters() {
            guard let expected = f.grads[key], let g = p.grad else { Issue.record("\(name): gradient of \(key) missing"); continue }
            if let m = mismatch(g, expected.tensor(), rtol: 1e-4, atol: 1e-5) { Issue.record("\(name) gradient of \(key): \(m)") }
        }
    }

    @Test("a post-norm decoder block with a causal target mask and a memory padding mask matches PyTorch")
    func decoderLayer() throws {
        let block = TransformerDecoderLayer(dModel: 8, numHeads: 2, dimFeedforward: 16, dropout: 0)
        try check("transformer_decoder_layer", block) { x, m in
            block(x["target"]!, memory: x["memory"]!, targetMask: m["targetMask"], memoryKeyPaddingMask: m["memoryKeyPaddingMask"])
        }
    }

    @Test("a pre-norm GELU decoder stack, batch first, with an additive memory mask and target padding matches PyTorch")
    func decoderStack() throws {
        let decoder = TransformerDecoder(numLayers: 2, norm: LayerNorm(8)) {
            TransformerDecoderLayer(dModel: 8, numHeads: 2, dimFeedforward: 12, dropout: 0, activation: .gelu,
                                    batchFirst: true, normFirst: true)
        }
        try check("transformer_decoder_normfirst", decoder) { x, m in
            decoder(x["target"]!, memory: x["memory"]!, memoryMask: m["memoryMask"], targetKeyPaddingMask: m["targetKeyPaddingMask"])
        }
    }

    @Test("the encoder-decoder Transformer matches PyTorch's nn.Transformer")
    func transformer() throws {
        let model = Transformer(dModel: 8, numHeads: 2, numEncoderLayers: 2, numDecoderLayers: 1, dimFeedforward: 16, dropout: 0)
        try check("transformer", model) { x, m in
            model(x["source"]!, x["target"]!, targetMask: m["targetMask"], sourceKeyPaddingMask: m["sourceKeyPaddingMask"],
                  memoryKeyPaddingMask: m["sourceKeyPaddingMask"])
        }
    }

    @Test("targetIsCausal equals the causal mask, and a causal decoder's early outputs ignore later targets")
    func causality() {
        var rng = SeededGenerator(seed: 3)
        let block = TransformerDecoderLayer(dModel: 6, numHeads: 3, dimFeedforward: 10, dropout: 0, batchFirst: true, generator: &rng)
        let target = Tensor.normal([2, 5, 6], generator: &rng), memory = Tensor.normal([2, 4, 6], generator: &rng)
        let flagged = block(target, memory: memory, targetIsCausal: true)
        let masked = block(target, memory: memory, targetMask: Tensor.causalMask(5))
        #expect(mismatch(flagged, masked, rtol: 1e-6, atol: 1e-6) == nil)
        // PyTorch's usual call gives both, the flag as a hint: the mask is used.
        let both = block(target, memory: memory, targetMask: Tensor.causalMask(5), targetIsCausal: true)
        #expect(mismatch(both, masked, rtol: 1e-6, atol: 1e-6) == nil)
        // Changing the last two target positions leaves the first three outputs as they were.
        let changed = Tensor.concatenate([target.slice(axis: 1, start: 0, end: 3), Tensor.normal([2, 2, 6], generator: &rng)], axis: 1)
        let again = block(changed, memory: memory, targetIsCausal: true)
        #expect(mismatch(flagged.slice(axis: 1, start: 0, end: 3), again.slice(axis: 1, start: 0, end: 3), rtol: 1e-6, atol: 1e-6) == nil)
        // One unbatched sequence gives the batch's first row.
        let single = block(target.slice(axis: 0, start: 0, end: 1).squeeze(0), memory: memory.slice(axis: 0, start: 0, end: 1).squeeze(0),
                           targetIsCausal: true)
        #expect(mismatch(single, flagged.slice(axis: 0, start: 0, end: 1).squeeze(0), rtol: 1e-5, atol: 1e-6) == nil)
    }

    @Test("mismatched sequences are caught errors naming the shapes; dropout only in training")
    func errorsAndModes() throws {
        var rng = SeededGenerator(seed: 4)
        let model = Transformer(dModel: 8, numHeads: 2, numEncoderLayers: 1, numDecoderLayers: 1, dimFeedforward: 8,
                                dropout: 0.5, batchFirst: true, generator: &rng)
        let source = Tensor.normal([2, 5, 8], generator: &rng)
        #expect(throws: GradusError.self) { try GradusError.catching { model(source, Tensor.normal([3, 4, 8], generator: &rng)) } }
        #expect(throws: GradusError.self) { try GradusError.catching { model(source, Tensor.normal([2, 4, 6], generator: &rng)) } }
        #expect(throws: GradusError.self) { try GradusError.catching { model(source, Tensor.normal([4, 8], generator: &rng)) } }
        let memoryMismatch = TransformerDecoderLayer(dModel: 8, numHeads: 2, dimFeedforward: 8, generator: &rng)
        #expect(throws: GradusError.self) {
            try GradusError.catching { memoryMismatch(Tensor.zeros([3, 2, 8]), memory: Tensor.zeros([4, 3, 8])) }
        }
        let target = Tensor.normal([2, 4, 8], generator: &rng)
        model.eval()
        let a = model(source, target, targetIsCausal: true), b = model(source, target, targetIsCausal: true)
        #expect(a.scalars() == b.scalars())
        model.train()
        #expect(model(source, target, targetIsCausal: true).scalars() != a.scalars())
        // PyTorch's layout of names, and Xavier-uniform matrices: |w| ≤ √(6 / (fanIn + fanOut)).
        let names = model.namedParameters().map(\.0)
        #expect(names.contains("decoder.layers.0.multihead_attn.in_proj_weight") && names.contains("encoder.norm.weight"))
        let w = model.decoder.layers[0].linear1.weight
        #expect(w.scalars().allSatisfy { abs($0) <= Float((6.0 / Double(8 + 8)).squareRoot()) + 1e-6 })
    }
}

@Suite("Transformer decoder, Float64 gradients")
struct TransformerDecoderGradCheckTests {
    @Test("a pre-norm decoder block's gradients with respect to target and memory equal finite differences")
    func decoderGradCheck() {
        var rng = SeededGenerator(seed: 12)
        let block = TransformerDecoderLayer(dModel: 4, numHeads: 2, dimFeedforward: 6, dropout: 0, activation: .gelu,
                                            batchFirst: true, normFirst: true, dtype: .float64, generator: &rng)
        let target = Tensor.normal([1, 3, 4], generator: &rng).to(.float64)
        let memory = Tensor.normal([1, 2, 4], generator: &rng).to(.float64)
        let report = GradCheck.check(inputs: [target, memory]) { x in
            block(x[0], memory: x[1], targetIsCausal: true).square().sum()
        }
        #expect(report.passed, "\(report)")
    }
}
