import Gradus
import Testing

/// `isCausal` on MultiheadAttention, TransformerEncoderLayer and TransformerEncoder: the same result as
/// the explicit `Tensor.causalMask`, and no position sees a later one.
@Suite("Causal attention")
struct CausalAttentionTests {
    @Test("causalMask is 0 on and below the diagonal, -inf above")
    func causalMaskValues() {
        let m = Tensor.causalMask(3).scalars()
        #expect(m == [0, -.infinity, -.infinity, 0, 0, -.infinity, 0, 0, 0])
        #expect(Tensor.causalMask(0).shape == [0, 0])
    }

    @Test("isCausal equals the explicit mask, and later positions do not change earlier outputs")
    func isCausalMatchesMask() throws {
        var rng = SeededGenerator(seed: 8)
        let mha = MultiheadAttention(embedDim: 8, numHeads: 2, generator: &rng)
        let x = Tensor.normal([5, 2, 8], generator: &rng)   // [L, N, E]
        let viaFlag = mha(query: x, key: x, value: x, needWeights: true, isCausal: true)
        let viaMask = mha(query: x, key: x, value: x, needWeights: true, attentionMask: Tensor.causalMask(5))
        #expect(viaFlag.output.scalars() == viaMask.output.scalars())
        // Weights above the diagonal are zero.
        let w = try #require(viaFlag.weights).scalars()   // [N, L, S]
        for n in 0..<2 { for i in 0..<5 { for j in (i + 1)..<5 { #expect(w[n * 25 + i * 5 + j] == 0) } } }

        let layer = TransformerEncoderLayer(dModel: 8, numHeads: 2, dimFeedforward: 16, dropout: 0, generator: &rng)
        let encoder = TransformerEncoder(numLayers: 2) { layer }
        let a = encoder(x, mask: nil, keyPaddingMask: nil, isCausal: true)
        #expect(a.scalars() == encoder(x, mask: Tensor.causalMask(5), keyPaddingMask: nil).scalars())
        // Changing the last position leaves the first four outputs as they were.
        let changed = Tensor.concatenate([x.slice(axis: 0, start: 0, end: 4), Tensor.normal([1, 2, 8], generator: &rng)], axis: 0)
        let b = encoder(changed, mask: nil, keyPaddingMask: nil, isCausal: true)
        #expect(a.slice(axis: 0, start: 0, end: 4).scalars() == b.slice(axis: 0, start: 0, end: 4).scalars())
        #expect(a.slice(axis: 0, start: 4, end: 5).scalars() != b.slice(axis: 0, start: 4, end: 5).scalars())
        // A mask with isCausal: the flag is PyTorch's hint, the mask is used (here a mask hiding only the
        // first key, so the result is not the causal one).
        var firstHidden = [Double](repeating: 0, count: 25)
        for i in 0..<5 { firstHidden[i * 5] = -.infinity }
        firstHidden[0] = 0
        let mask = Tensor(shape: [5, 5], values: firstHidden)
        let hinted = mha(query: x, key: x, value: x, attentionMask: mask, isCausal: true).output
        #expect(hinted.scalars() == mha(query: x, key: x, value: x, attentionMask: mask).output.scalars())
    }
}
