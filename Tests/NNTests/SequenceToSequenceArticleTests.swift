import Gradus
import GradusTestSupport
import Testing

/// The model of the DocC article "Sequence-to-sequence models with the Transformer", as written there.
final class ArticleReverser: Module {
    let tokens: Embedding       // digits 0...9 and the start token 10
    let positions: Embedding
    let transformer: Transformer
    let head: Linear

    init(length: Int, generator g: inout SeededGenerator) {
        tokens = Embedding(11, 32, generator: &g)
        positions = Embedding(length, 32, generator: &g)
        transformer = Transformer(dModel: 32, numHeads: 4, numEncoderLayers: 1, numDecoderLayers: 1,
                                  dimFeedforward: 64, dropout: 0, batchFirst: true, generator: &g)
        head = Linear(32, 10, generator: &g)
        super.init()
    }

    func embed(_ x: Tensor) -> Tensor {
        let places = Tensor(shape: [x.shape[1]], integers: Array(0..<x.shape[1]))
        return tokens(x) + positions(places)
    }

    /// Logits `[N, T, 10]` of each target token, from the source and the target shifted right.
    func callAsFunction(_ source: Tensor, _ shiftedTarget: Tensor) -> Tensor {
        head(transformer(embed(source), embed(shiftedTarget), targetIsCausal: true))
    }
}

@Suite("Sequence-to-sequence article")
struct SequenceToSequenceArticleTests {
    @Test("the article's reverser trains with teacher forcing and decodes greedily")
    func reverserLearnsToReverse() {
        // Training, as in the article (the losses are kept to check them).
        var rng = SeededGenerator(seed: 0)
        let model = ArticleReverser(length: 6, generator: &rng)
        let optimizer = Adam(model.parameters(), lr: 3e-3)
        var losses: [Float] = []
        for _ in 0..<300 {
            let source = Tensor.randint(0, 10, shape: [32, 6], generator: &rng)
            let target = source.flip(axes: [1])
            let start = Tensor.full([32, 1], value: 10, dtype: .int64)
            let shifted = Tensor.concatenate([start, target.slice(axis: 1, start: 0, end: 5)], axis: 1)
            let loss = model(source, shifted).reshape([-1, 10]).crossEntropy(target.reshape([-1]))
            optimizer.zeroGrad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        }
        #expect(losses[0] > 2 && losses.suffix(20).reduce(0, +) / 20 < 0.3, "first \(losses[0]), last \(losses.suffix(5))")
        // Every parameter of the encoder and the decoder was trained.
        #expect(model.transformer.parameters().allSatisfy { $0.grad != nil })

        // Greedy decoding, as in the article.
        model.eval()
        let source = Tensor(shape: [1, 6], integers: [3, 1, 4, 1, 5, 9])
        var written = Tensor.full([1, 1], value: 10, dtype: .int64)
        GradMode.noGrad {
            for _ in 0..<6 {
                let next = model(source, written).slice(axis: 1, start: written.shape[1] - 1, end: written.shape[1])
                written = Tensor.concatenate([written, next.argmax(axis: 2)], axis: 1)
            }
        }
        #expect(written.slice(axis: 1, start: 1, end: 7).intScalars == [9, 5, 1, 4, 1, 3])

        // Greedy decoding with key-value caches, as in the article: the same tokens.
        var cached: [Int] = []
        GradMode.noGrad {
            let memory = model.transformer.encoder(model.embed(source))
            var cache: [KeyValueCache] = []
            var last = Tensor.full([1, 1], value: 10, dtype: .int64)
            for step in 0..<6 {
                let token = model.tokens(last) + model.positions(Tensor(shape: [1], integers: [step]))
                let y = model.transformer.decoder(token, memory: memory, cache: &cache)
                last = model.head(y).argmax(axis: 2)
                cached.append(last.intScalars[0])
            }
        }
        #expect(cached == [9, 5, 1, 4, 1, 3])
    }
}
