import Foundation
import Gradus
import GradusTestSupport
import Testing

/// The language models and token sampling against PyTorch (scripts/make_language_model_fixtures.py).
@Suite("Language models match PyTorch")
struct LanguageModelParityTests {
    struct ModelCase: Decodable {
        let name: String
        let state: [String: TensorFixture]
        let tokens: TensorFixture
        let logits: TensorFixture
        let gradOutput: TensorFixture
        let grads: [String: TensorFixture]
    }

    struct SamplingCase: Decodable {
        let logits: TensorFixture
        let temperature: Double
        let topK: Int?
        let topP: Double?
        let probabilities: TensorFixture
    }

    static func model(_ name: String) -> any LanguageModel {
        var rng = SeededGenerator(seed: 0)
        switch name {
        case "gpt":
            return GPTLanguageModel(vocabularySize: 11, contextLength: 9, embeddingSize: 8, numHeads: 2, numLayers: 2, generator: &rng)
        default:
            return RecurrentLanguageModel(cell: name == "lstm" ? .lstm : .gru, vocabularySize: 11, embeddingSize: 6, hiddenSize: 8,
                                          numLayers: 2, generator: &rng)
        }
    }

    @Test("logits and every parameter's gradient (the tied embedding's included)", arguments: ["gpt", "lstm", "gru"])
    func modelsMatch(name: String) throws {
        let cases = try Fixtures.decode([ModelCase].self, "nn/language_models.json")
        let c = try #require(cases.first { $0.name == name })
        let model = Self.model(name)
        try model.loadStateDict(c.state.mapValues { $0.tensor() })
        model.eval()
        let logits = model(c.tokens.tensor(.int64))
        #expect(mismatch(logits, c.logits.tensor(), rtol: 1e-4, atol: 1e-5) == nil, "\(name) logits: \(mismatch(logits, c.logits.tensor(), rtol: 1e-4, atol: 1e-5) ?? "")")
        (logits * c.gradOutput.tensor()).sum().backward()
        let parameters = Dictionary(uniqueKeysWithValues: model.namedParameters())
        #expect(Set(parameters.keys) == Set(c.grads.keys))
        for (key, expected) in c.grads {
            let grad = try #require(parameters[key]?.grad, "\(key) has no gradient")
            let problem = mismatch(grad, expected.tensor(), rtol: 1e-4, atol: 1e-5)
            #expect(problem == nil, "\(name) \(key): \(problem ?? "")")
        }
    }

    @Test("temperature, top-k and top-p filter as Hugging Face's warpers do")
    func samplingFiltersMatch() throws {
        let cases = try Fixtures.decode([SamplingCase].self, "nn/sampling_filters.json")
        #expect(cases.count == 27)
        for c in cases {
            let sampler = try TokenSampler(temperature: c.temperature, topK: c.topK, topP: c.topP)
            let got = try sampler.probabilities(logits: c.logits.tensor(.float64))
            let expected = c.probabilities.data
            let worst = zip(got, expected).map { abs($0 - $1) }.max() ?? 0
            #expect(worst < 1e-12, "T \(c.temperature) k \(c.topK.map(String.init) ?? "-") p \(c.topP.map { "\($0)" } ?? "-"): \(got) vs \(expected)")
        }
    }
}
