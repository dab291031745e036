import Foundation
import Gradus
import Testing

/// The language models: incremental decoding (key/value caches, carried recurrent state) against the
/// full-sequence forward pass, generation, weight tying, and refusals.
@Suite("Language models")
struct LanguageModelTests {
    enum Kind: String, CaseIterable { case gpt, lstm, gru }

    static func make(_ kind: Kind, vocabulary: Int, context: Int = 16, seed: UInt64 = 2) -> any LanguageModel {
        var rng = SeededGenerator(seed: seed)
        switch kind {
        case .gpt:
            return GPTLanguageModel(vocabularySize: vocabulary, contextLength: context, embeddingSize: 16, numHeads: 2,
                                    numLayers: 2, dropout: 0.1, generator: &rng)
        case .lstm:
            return RecurrentLanguageModel(cell: .lstm, vocabularySize: vocabulary, embeddingSize: 5, hiddenSize: 6, numLayers: 2, generator: &rng)
        case .gru:
            return RecurrentLanguageModel(cell: .gru, vocabularySize: vocabulary, embeddingSize: 5, hiddenSize: 6, numLayers: 2, generator: &rng)
        }
    }

    /// Decodes `tokens` in the given chunks and returns the logits after each chunk.
    static func decodeInChunks<M: LanguageModel>(_ model: M, _ tokens: [Int], chunks: [Int]) throws -> [[Float]] {
        var state: M.DecodingState? = nil
        var start = 0
        var out: [[Float]] = []
        for size in chunks {
            let (logits, next) = try model.decode(Array(tokens[start..<(start + size)]), state: state)
            state = next
            start += size
            out.append(logits.scalars())
        }
        return out
    }

    @Test("cached / stateful decoding, in chunks or token by token, gives the full sequence's logits", arguments: Kind.allCases)
    func incrementalDecodingMatchesTheFullPass(kind: Kind) throws {
        let model = Self.make(kind, vocabulary: 7)
        model.eval()
        let tokens = [3, 1, 4, 1, 5, 6, 2, 0, 6, 6, 1]
        let full = GradMode.noGrad { model(Tensor(shape: [1, tokens.count], integers: tokens)) }
        #expect(full.shape == [1, tokens.count, 7])
        for chunks in [Array(repeating: 1, count: tokens.count), [4, 1, 1, 5], [tokens.count]] {
            let got = try GradMode.noGrad { try Self.decodeInChunks(model, tokens, chunks: chunks) }
            var end = 0
            for (i, size) in chunks.enumerated() {
                end += size
                let expected = full.select(axis: 1, index: end - 1).reshape([7]).scalars()
                let worst = zip(expected, got[i]).map { abs($0 - $1) }.max() ?? 0
                #expect(worst < 1e-5, "\(kind) chunks \(chunks), position \(end - 1): differs by \(worst)")
            }
        }
    }

    @Test("trained on a periodic text, greedy generation continues the period past the context; bad prompts are refused",
          arguments: Kind.allCases)
    func generatesThePeriod(kind: Kind) throws {
        let text = String(repeating: "hello ", count: 100)
        let vocabulary = CharacterVocabulary(corpus: text)
        // Windows at every offset: the GPT's positions are absolute, and after its context fills it
        // re-reads the recent text from position 0 at any phase of the period.
        let data = try TextWindowDataset(tokens: vocabulary.encode(text), length: 12, stride: 1)
        var rng = SeededGenerator(seed: 3)
        let model: any LanguageModel = kind == .gpt
            ? GPTLanguageModel(vocabularySize: vocabulary.size, contextLength: 12, embeddingSize: 16, numHeads: 2, numLayers: 1, generator: &rng)
            : RecurrentLanguageModel(cell: kind == .lstm ? .lstm : .gru, vocabularySize: vocabulary.size, embeddingSize: 8, hiddenSize: 32, generator: &rng)
        let optimizer = Adam(model.parameters(), lr: 0.02)
        // Four epochs: after three, the GPT's greedy choice at one position of the period was close
        // enough to flip with the rounding of its layer normalization (a fused kernel changed it).
        for epoch in 0..<4 {
            for batch in DataLoader(data, batchSize: 16, shuffle: true, seed: 3).batches(epoch: epoch) {
                optimizer.zeroGrad()
                model(batch.inputs).reshape([-1, vocabulary.size]).crossEntropy(batch.targets.reshape([-1])).backward()
                optimizer.step()
            }
        }
        // 40 tokens: more than three contexts of the GPT.
        let generated = try model.generate(prompt: vocabulary.encode("hel"), length: 40,
                                           sampler: TokenSampler(temperature: 0), generator: &rng)
        let continuation = try vocabulary.decode(generated)
        #expect(continuation == "lo " + String(repeating: "hello ", count: 6) + "h", "\(kind): \(continuation)")
        #expect(throws: GradusError.self) { _ = try model.generate(prompt: [], length: 3, sampler: TokenSampler(), generator: &rng) }
        #expect(throws: GradusError.self) { _ = try model.generate(prompt: [99], length: 3, sampler: TokenSampler(), generator: &rng) }
        #expect(throws: GradusError.self) { _ = try model.generate(prompt: [0], length: -1, sampler: TokenSampler(), generator: &rng) }
        #expect(model.isTraining)   // the mode it had
    }

    @Test("a seeded generation is reproducible and streams every token")
    func seededGenerationIsReproducible() throws {
        let model = Self.make(.gpt, vocabulary: 11)
        let sampler = try TokenSampler(temperature: 1.2, topK: 6, topP: 0.9)
        var a = SeededGenerator(seed: 9), b = SeededGenerator(seed: 9), c = SeededGenerator(seed: 10)
        var streamed: [Int] = []
        let first = try model.generate(prompt: [1, 2], length: 50, sampler: sampler, generator: &a) { streamed.append($0) }
        let second = try model.generate(prompt: [1, 2], length: 50, sampler: sampler, generator: &b)
        let other = try model.generate(prompt: [1, 2], length: 50, sampler: sampler, generator: &c)
        #expect(first == second && first == streamed && first.count == 50)
        #expect(first != other)
        #expect(first.allSatisfy { (0..<11).contains($0) })
    }

    @Test("the GPT ties its output projection to the token embedding and carries PyTorch's names")
    func gptTiesWeights() throws {
        var rng = SeededGenerator(seed: 1)
        let gpt = GPTLanguageModel(vocabularySize: 9, contextLength: 8, embeddingSize: 8, numHeads: 2, numLayers: 1, generator: &rng)
        let names = gpt.namedParameters().map(\.0)
        #expect(names.first == "token_embedding.weight" && names.contains("position_embedding.weight"))
        #expect(names.contains("encoder.layers.0.self_attn.in_proj_weight") && names.contains("encoder.norm.weight"))
        #expect(!names.contains { $0.contains("head") })
        // 9·8 + 8·8 + block (3·8·8 + 3·8 + 8·8 + 8 + 8·32 + 32 + 32·8 + 8 + 4·8) + final norm 2·8
        let block: Int = 192 + 24 + 64 + 8 + 256 + 32 + 256 + 8 + 32
        let expectedCount: Int = 72 + 64 + block + 16
        let count = gpt.parameters().reduce(0) { $0 + $1.count }
        #expect(count == expectedCount)
        // The embedding's gradient has the output projection's part: a token that is never read still
        // gets a gradient through the logits.
        let logits = gpt(Tensor(shape: [1, 3], integers: [0, 1, 2]))
        logits.reshape([3, 9]).crossEntropy(Tensor(shape: [3], integers: [1, 2, 3]), reduction: .sum).backward()
        let grad = try #require(gpt.tokenEmbedding.weight.grad).scalars()
        #expect(grad[(8 * 8)..<(9 * 8)].contains { $0 != 0 })   // row 8: never an input
    }

    @Test("positions beyond the context and tokens outside the vocabulary are refused, not trapped")
    func refusals() throws {
        let gpt = Self.make(.gpt, vocabulary: 5, context: 4) as! GPTLanguageModel
        #expect(throws: GradusError.self) { try GradusError.catching { _ = gpt(Tensor(shape: [1, 5], integers: [0, 1, 2, 3, 4])) } }
        #expect(throws: GradusError.self) { try GradusError.catching { _ = gpt(Tensor(shape: [1, 2], integers: [0, 5])) } }
        let (_, state) = try gpt.decode([0, 1, 2], state: nil)
        #expect(state.length == 3)
        #expect(throws: GradusError.self) { _ = try gpt.decode([1, 1], state: state) }
        #expect(throws: GradusError.self) { _ = try gpt.decode([], state: state) }
        #expect(throws: GradusError.self) { _ = try gpt.decode([7], state: nil) }
    }
}
