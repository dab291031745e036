import Foundation
import Gradus
import Testing

/// Byte and character tokenizers and next-token windows (issue 14, item 1: the text data).
@Suite struct TextDataTests {
    @Test("bytes round-trip any text; tokens outside a byte are refused")
    func byteTokenizer() throws {
        let t = ByteTokenizer()
        for text in ["", "hello", "héllo wörld", "日本語 🙂\n\t", "a\u{0}b"] {
            #expect(try t.decode(t.encode(text)) == text)
        }
        #expect(t.encode("é") == [195, 169] && t.vocabularySize == 256)
        #expect(throws: GradusError.self) { _ = try t.decode([104, 256]) }
        #expect(throws: GradusError.self) { _ = try t.decode([-1]) }
        #expect(try t.decode([0xC3]) == "\u{FFFD}")   // a cut multi-byte character decodes with a replacement
    }

    @Test("a character vocabulary is sorted and deterministic, round-trips, survives Codable, and names unknown characters")
    func characterVocabulary() throws {
        let v = CharacterVocabulary(corpus: "hello world")
        #expect(v.characters == [" ", "d", "e", "h", "l", "o", "r", "w"] && v.size == 8)
        #expect(try v.encode("hold") == [3, 5, 4, 1] && v.decode([3, 5, 4, 1]) == "hold")
        #expect(CharacterVocabulary(corpus: "dlrow olleh") == v)
        let emoji = CharacterVocabulary(corpus: "é🙂é")
        #expect(emoji.size == 2)
        let decoded = try JSONDecoder().decode(CharacterVocabulary.self, from: JSONEncoder().encode(v))
        #expect(decoded == v)
        #expect(throws: GradusError.self) { _ = try v.encode("help") }
        #expect(throws: GradusError.self) { _ = try v.decode([8]) }
        #expect(throws: GradusError.self) { _ = try CharacterVocabulary(characters: ["a", "a"]) }
        #expect(throws: GradusError.self) { _ = try CharacterVocabulary(characters: ["ab"]) }
        #expect(throws: (any Error).self) { _ = try JSONDecoder().decode(CharacterVocabulary.self, from: Data(#"{"characters":["x","x"]}"#.utf8)) }
    }

    @Test("windows and their shifted targets, counts with strides, and bad arguments")
    func windows() throws {
        let data = try TextWindowDataset(tokens: Array(0..<10), length: 4)
        #expect(data.count == 2)
        let s = data.sample(at: 1)
        #expect(s.input.intScalars == [4, 5, 6, 7] && s.target.intScalars == [5, 6, 7, 8] && s.input.dtype == .int64)
        let overlapping = try TextWindowDataset(tokens: Array(0..<10), length: 4, stride: 1)
        #expect(overlapping.count == 6 && overlapping.sample(at: 5).target.intScalars == [6, 7, 8, 9])
        #expect(throws: GradusError.self) { _ = try TextWindowDataset(tokens: Array(0..<4), length: 4) }
        #expect(throws: GradusError.self) { _ = try TextWindowDataset(tokens: Array(0..<10), length: 0) }
        #expect(throws: GradusError.self) { _ = try TextWindowDataset(tokens: [1, -2, 3, 4, 5], length: 2) }
        let loader = DataLoader(overlapping, batchSize: 4)
        var iterator = loader.batches(epoch: 0).makeIterator()
        let next = iterator.next()
        let batch = try #require(next)
        #expect(batch.inputs.shape == [4, 4] && batch.targets.shape == [4, 4])
    }

    @Test("the validation stretch shares no token position with the training stretch, and the split is seeded")
    func split() throws {
        let tokens = Array(0..<1000)   // each value marks its position
        let data = try TextWindowDataset(tokens: tokens, length: 8)
        let (train, validation) = try data.split(validationFraction: 0.1, seed: 3)
        #expect(Set(train.tokens).isDisjoint(with: validation.tokens))
        #expect(train.tokens.count + validation.tokens.count == 1000 && validation.tokens.count == 100)
        #expect(try data.split(validationFraction: 0.1, seed: 3).validation.tokens == validation.tokens)
        #expect(try data.split(validationFraction: 0.1, seed: 4).validation.tokens != validation.tokens)
        #expect(throws: GradusError.self) { _ = try data.split(validationFraction: 1, seed: 0) }
    }

    @Test("a tiny character model learns a periodic text from the windows")
    func learnsPeriodicText() throws {
        let text = String(repeating: "abcd", count: 200)
        let vocabulary = CharacterVocabulary(corpus: text)
        let data = try TextWindowDataset(tokens: vocabulary.encode(text), length: 16, stride: 4)
        var rng = SeededGenerator(seed: 1)
        let embed = Embedding(vocabulary.size, 8, generator: &rng)
        let head = Linear(8, vocabulary.size, generator: &rng)
        let optimizer = Adam(embed.parameters() + head.parameters(), lr: 0.05)
        var first = 0.0, last = 0.0
        for epoch in 0..<5 {
            for batch in DataLoader(data, batchSize: 16, shuffle: true, seed: 1).batches(epoch: epoch) {
                optimizer.zeroGrad()
                let logits = head(embed(batch.inputs)).reshape([-1, vocabulary.size])
                let loss = logits.crossEntropy(batch.targets.reshape([-1]))
                loss.backward()
                optimizer.step()
                if first == 0 { first = Double(loss.item()) }
                last = Double(loss.item())
            }
        }
        #expect(first > 1 && last < 0.05, "loss \(first) -> \(last)")
    }
}

@Suite struct TokenSamplerTests {
    let logits = Tensor([2.0, 1.0, 0.5, -1.0, 3.0])

    @Test("temperature 0 is greedy; top-k and top-p keep the most likely tokens; probabilities renormalize")
    func filters() throws {
        var rng = SeededGenerator(seed: 0)
        #expect(try TokenSampler(temperature: 0).sample(logits: logits, generator: &rng) == 4)
        let full = try TokenSampler().probabilities(logits: logits)
        let softmax = logits.softmax().scalars(as: Double.self)
        #expect(zip(full, softmax).allSatisfy { abs($0 - $1) < 1e-6 })
        let k2 = try TokenSampler(topK: 2).probabilities(logits: logits)
        #expect(k2[2] == 0 && k2[3] == 0 && k2[1] == 0 && abs(k2[4] + k2[0] - 1) < 1e-12)
        // Top-p: token 4 holds about 0.61 of the mass, 4 and 0 about 0.84.
        #expect(try TokenSampler(topP: 0.5).probabilities(logits: logits).filter { $0 > 0 }.count == 1)
        #expect(try TokenSampler(topP: 0.8).probabilities(logits: logits).filter { $0 > 0 }.count == 2)
        #expect(try TokenSampler(topP: 1).probabilities(logits: logits).filter { $0 > 0 }.count == 5)
        // A low temperature sharpens, a high one flattens.
        let cold = try TokenSampler(temperature: 0.25).probabilities(logits: logits)[4]
        let hot = try TokenSampler(temperature: 4).probabilities(logits: logits)[4]
        #expect(cold > full[4] && hot < full[4])
    }

    @Test("draws follow the distribution, stay inside the filter, and repeat with the seed")
    func draws() throws {
        let sampler = try TokenSampler(topK: 3)
        var rng = SeededGenerator(seed: 11)
        var counts = [Int](repeating: 0, count: 5)
        for _ in 0..<20_000 { counts[try sampler.sample(logits: logits, generator: &rng)] += 1 }
        let p = try sampler.probabilities(logits: logits)
        #expect(counts[2] == 0 && counts[3] == 0)   // outside the top 3 (4, 0, 1)
        for i in [0, 1, 4] { #expect(abs(Double(counts[i]) / 20_000 - p[i]) < 0.015, "\(i): \(counts[i])") }
        var a = SeededGenerator(seed: 5), b = SeededGenerator(seed: 5)
        let first = try (0..<50).map { _ in try sampler.sample(logits: logits, generator: &a) }
        let second = try (0..<50).map { _ in try sampler.sample(logits: logits, generator: &b) }
        #expect(first == second)
    }

    @Test("bad settings and logits are refused")
    func refusals() {
        #expect(throws: GradusError.self) { _ = try TokenSampler(temperature: -1) }
        #expect(throws: GradusError.self) { _ = try TokenSampler(topK: 0) }
        #expect(throws: GradusError.self) { _ = try TokenSampler(topP: 0) }
        #expect(throws: GradusError.self) { _ = try TokenSampler().probabilities(logits: Tensor([1, .nan])) }
        #expect(throws: GradusError.self) { _ = try TokenSampler().probabilities(logits: Tensor.zeros([2, 2])) }
    }
}
