import Gradus
import GradusTestSupport
import Testing

/// MultiheadAttention beyond self-attention (cross-attention with both kinds of mask and the returned
/// weights, against PyTorch), and scaledDotProductAttention.
@Suite("Attention")
struct AttentionTests {
    struct MaskedCase: Decodable {
        let state: [String: TensorFixture]
        let query, key, value, attentionMask, keyPaddingMask: TensorFixture
        let gradOutput, gradWeights, output, weights: TensorFixture
        let gradQuery, gradKey, gradValue: TensorFixture
        let grads: [String: TensorFixture]
    }

    func expectClose(_ actual: Tensor?, _ expected: TensorFixture, _ what: String) {
        guard let actual else { Issue.record("\(what): missing"); return }
        if let m = mismatch(actual, expected.tensor(), rtol: 1e-5, atol: 1e-5) { Issue.record("\(what): \(m)") }
    }

    /// Loads the fixture's state into `attention`, runs it with both masks and compares the output, the
    /// averaged weights and every gradient with PyTorch's; returns the weights.
    func checkMaskedCase(_ f: MaskedCase, _ attention: MultiheadAttention) throws -> Tensor? {
        try attention.loadStateDict(f.state.mapValues { $0.tensor() })
        let (q, k, v) = (f.query.tensor().requiringGrad(), f.key.tensor().requiringGrad(), f.value.tensor().requiringGrad())
        let (output, weights) = attention(query: q, key: k, value: v, keyPaddingMask: f.keyPaddingMask.tensor(),
                                          attentionMask: f.attentionMask.tensor())
        expectClose(output, f.output, "output")
        expectClose(weights, f.weights, "weights")
        ((output * f.gradOutput.tensor()).sum() + (weights! * f.gradWeights.tensor()).sum()).backward()
        expectClose(q.grad, f.gradQuery, "query gradient")
        expectClose(k.grad, f.gradKey, "key gradient")
        expectClose(v.grad, f.gradValue, "value gradient")
        for (name, p) in attention.namedParameters() {
            guard let expected = f.grads[name] else { Issue.record("\(name) not in fixture"); continue }
            expectClose(p.grad, expected, "gradient of \(name)")
        }
        return weights
    }

    @Test("cross-attention with an additive mask, a key padding mask and the averaged weights matches PyTorch")
    func maskedCrossAttention() throws {
        let f = try Fixtures.decode(MaskedCase.self, "nn/attention_masks.json")
        let weights = try checkMaskedCase(f, MultiheadAttention(embedDim: 4, numHeads: 2))
        // The first sequence's padded keys (3 and 4) get no weight from any query.
        let w = weights!.scalars()
        for query in 0..<3 { #expect(w[query * 5 + 3] == 0 && w[query * 5 + 4] == 0) }
    }

    @Test("keys and values of other widths (kdim, vdim): separate projections, PyTorch's names, outputs and gradients",
          arguments: [("attention_kdim_vdim", 6, 2, 5, 3, true, true), ("attention_kdim_nobias", 4, 1, 2, 4, false, false)])
    func crossAttentionAcrossWidths(_ c: (file: String, embed: Int, heads: Int, kdim: Int, vdim: Int, bias: Bool, batchFirst: Bool)) throws {
        let f = try Fixtures.decode(MaskedCase.self, "nn/\(c.file).json")
        let attention = MultiheadAttention(embedDim: c.embed, numHeads: c.heads, bias: c.bias, kdim: c.kdim, vdim: c.vdim,
                                           batchFirst: c.batchFirst)
        #expect(!attention.hasPackedProjections && attention.inProjWeight == nil)
        #expect(attention.kProjWeight?.shape == [c.embed, c.kdim] && attention.vProjWeight?.shape == [c.embed, c.vdim])
        #expect(Set(attention.namedParameters().map(\.0)) == Set(f.state.keys), "\(attention.namedParameters().map(\.0))")
        _ = try checkMaskedCase(f, attention)
    }

    @Test("kdim/vdim: Float64 gradient check; keys of the wrong width, self-attention and the KV cache are refused")
    func crossAttentionAcrossWidthsChecks() {
        var rng = SeededGenerator(seed: 4)
        let attention = MultiheadAttention(embedDim: 4, numHeads: 2, kdim: 3, vdim: 5, batchFirst: true, dtype: .float64, generator: &rng)
        let q = Tensor.normal([2, 3, 4], dtype: .float64, generator: &rng)
        let k = Tensor.normal([2, 2, 3], dtype: .float64, generator: &rng)
        let v = Tensor.normal([2, 2, 5], dtype: .float64, generator: &rng)
        // The projections are given the checker's copies, so their gradients are checked too.
        let projections = [attention.qProjWeight!, attention.kProjWeight!, attention.vProjWeight!, attention.inProjBias!]
        let report = GradCheck.check(inputs: [q, k, v] + projections) {
            (attention.qProjWeight, attention.kProjWeight, attention.vProjWeight, attention.inProjBias) = ($0[3], $0[4], $0[5], $0[6])
            return attention(query: $0[0], key: $0[1], value: $0[2]).output
        }
        #expect(report.passed, "\(report)")
        #expect(attention.description.contains("kdim: 3") && attention.description.contains("vdim: 5"))
        let wrongKey = failure { _ = attention(query: q, key: v, value: v) }
        #expect(wrongKey?.message.contains("kdim 3") == true, "\(wrongKey?.message ?? "")")
        let selfAttention = failure { _ = attention(q) }
        #expect(selfAttention?.kind == .shapeMismatch)
        var cache = KeyValueCache()
        let cached = failure { _ = attention.selfAttention(q, cache: &cache) }
        #expect(cached?.message.contains("kdim 3") == true, "\(cached?.message ?? "")")
        // Widths equal to embedDim keep the stacked projection (PyTorch's _qkv_same_embed_dim).
        let same = MultiheadAttention(embedDim: 4, numHeads: 2, kdim: 4, vdim: 4)
        #expect(same.hasPackedProjections && same.namedParameters().map(\.0).first == "in_proj_weight")
        // Projection weights set to nil are an error when the layer runs, not a stop.
        let emptied = MultiheadAttention(embedDim: 4, numHeads: 2, kdim: 3, vdim: 5, batchFirst: true, dtype: .float64, generator: &rng)
        emptied.kProjWeight = nil
        let emptiedError = failure { _ = emptied(query: q, key: k, value: v) }
        #expect(emptiedError?.message.contains("set to nil") == true, "\(emptiedError?.message ?? "no error")")
        // An invalid width is reported where the layer is made.
        #expect(failure { _ = MultiheadAttention(embedDim: 4, numHeads: 2, kdim: 0) }?.message.contains("kdim 0") == true)
    }

    @Test("per-head weights average to the returned weights; a causal mask hides later positions")
    func weightsAndCausality() {
        var rng = SeededGenerator(seed: 1)
        let attention = MultiheadAttention(embedDim: 6, numHeads: 3, batchFirst: true, generator: &rng)
        let x = Tensor.normal([2, 4, 6], generator: &rng)
        let perHead = attention(query: x, key: x, value: x, averageAttentionWeights: false).weights!
        let averaged = attention(query: x, key: x, value: x).weights!
        #expect(perHead.shape == [2, 3, 4, 4])
        #expect(mismatch(perHead.mean(axes: [1]), averaged, rtol: 1e-6, atol: 1e-7) == nil)
        var causal = [Int64](repeating: 0, count: 16)
        for i in 0..<4 { for j in (i + 1)..<4 where j > i { causal[i * 4 + j] = 1 } }
        let mask = Tensor(shape: [4, 4], values: causal.map(Double.init), dtype: .int64)
        let masked = attention(query: x, key: x, value: x, attentionMask: mask).weights!.scalars()
        for b in 0..<2 { for i in 0..<4 { for j in (i + 1)..<4 { #expect(masked[b * 16 + i * 4 + j] == 0) } } }
        // The first position sees only itself, so the causal output there does not depend on later ones.
        let y = Tensor.concatenate([x.slice(axis: 1, start: 0, end: 1), Tensor.zeros([2, 3, 6])], axis: 1)
        let a = attention(query: x, key: x, value: x, attentionMask: mask).output.slice(axis: 1, start: 0, end: 1)
        let c = attention(query: y, key: y, value: y, attentionMask: mask).output.slice(axis: 1, start: 0, end: 1)
        #expect(mismatch(a, c, rtol: 1e-6, atol: 1e-7) == nil)
    }

    @Test("scaled dot-product attention: Float64 gradient check, causal mask, and the default scale")
    func scaledDotProduct() {
        var rng = SeededGenerator(seed: 2)
        let q = Tensor.normal([2, 3, 4], dtype: .float64, generator: &rng)
        let k = Tensor.normal([2, 5, 4], dtype: .float64, generator: &rng)
        let v = Tensor.normal([2, 5, 3], dtype: .float64, generator: &rng)
        let report = GradCheck.check(inputs: [q, k, v]) {
            Functional.scaledDotProductAttention($0[0], $0[1], $0[2], isCausal: true)
        }
        #expect(report.passed, "\(report)")
        // One key position: the output is its value whatever the scores.
        let one = Functional.scaledDotProductAttention(q, k.slice(axis: 1, start: 0, end: 1), v.slice(axis: 1, start: 0, end: 1))
        #expect(mismatch(one, v.slice(axis: 1, start: 0, end: 1).expand([2, 3, 3]), rtol: 1e-12, atol: 1e-12) == nil)
        // Scale 1/√4 by default: the same as passing it.
        let byDefault = Functional.scaledDotProductAttention(q, k, v), explicit = Functional.scaledDotProductAttention(q, k, v, scale: 0.5)
        #expect(mismatch(byDefault, explicit, rtol: 0, atol: 0) == nil)
    }

    @Test("a Transformer encoder ignores padded positions; its dropout acts in training mode only")
    func encoderPaddingAndDropout() {
        var rng = SeededGenerator(seed: 3)
        let encoder = TransformerEncoder(numLayers: 2) {
            TransformerEncoderLayer(dModel: 8, numHeads: 2, dimFeedforward: 16, dropout: 0.3, batchFirst: true,
                                    generator: &rng)
        }
        encoder.eval()
        let x = Tensor.normal([2, 5, 8], generator: &rng)
        let padding = Tensor(shape: [2, 5], values: [0, 0, 0, 1, 1, 0, 0, 0, 0, 0], dtype: .int64)
        // Changing the padded positions of the first sequence changes nothing at its other positions.
        let changed = Tensor.concatenate([
            Tensor.concatenate([x.slice(axis: 0, start: 0, end: 1).slice(axis: 1, start: 0, end: 3),
                                Tensor.full([1, 2, 8], value: 9)], axis: 1),
            x.slice(axis: 0, start: 1, end: 2),
        ], axis: 0)
        let a = encoder(x, mask: nil, keyPaddingMask: padding), b = encoder(changed, mask: nil, keyPaddingMask: padding)
        #expect(mismatch(a.slice(axis: 1, start: 0, end: 3), b.slice(axis: 1, start: 0, end: 3), rtol: 1e-5, atol: 1e-6) == nil)
        #expect(mismatch(a, encoder(x, mask: nil, keyPaddingMask: padding), rtol: 0, atol: 0) == nil)
        encoder.train()
        let (t1, t2) = Random.withSeed(4) { (encoder(x).scalars(), encoder(x).scalars()) }
        encoder.eval()
        #expect(t1 != t2 && t1 != encoder(x).scalars())
    }

    @Test("bad shapes stop with a message naming the layer")
    func shapeErrors() async {
        await #expect(processExitsWith: .failure) {
            _ = MultiheadAttention(embedDim: 6, numHeads: 4)
        }
        await #expect(processExitsWith: .failure) {
            _ = MultiheadAttention(embedDim: 4, numHeads: 2)(Tensor.zeros([3, 2, 5]))
        }
    }
}
