import Gradus
import GradusTestSupport
import Testing

/// One case of Tests/Fixtures/nn/embedding_bag.json (scripts/make_embedding_bag_fixtures.py).
struct EmbeddingBagCase: Decodable, Sendable, CustomTestStringConvertible {
    let name: String
    let weight: TensorFixture
    let input: TensorFixture
    let offsets: TensorFixture?
    let mode: String
    let includeLastOffset: Bool
    let perSampleWeights: TensorFixture?
    let paddingIdx: Int?
    let output: TensorFixture
    let gradWeight: TensorFixture
    let gradPerSampleWeights: TensorFixture?
    var testDescription: String { name }

    static let all: [EmbeddingBagCase] = {
        struct File: Decodable { let cases: [EmbeddingBagCase] }
        return (try? Fixtures.decode(File.self, "nn/embedding_bag.json").cases) ?? []
    }()

    /// The Gradus call on `weight` (and per-sample weights).
    func run(_ weight: Tensor, _ perSample: Tensor?) -> Tensor {
        Functional.embeddingBag(input.tensor(.int64), weight: weight, offsets: offsets?.tensor(.int64),
                                mode: EmbeddingBag.Mode(rawValue: mode)!, perSampleWeights: perSample,
                                includeLastOffset: includeLastOffset, paddingIdx: paddingIdx)
    }
}

@Suite("EmbeddingBag follows PyTorch")
struct EmbeddingBagTests {
    @Test("the fixture file loads")
    func fixturesLoad() { #expect(EmbeddingBagCase.all.count >= 12) }

    @Test("outputs and gradients equal PyTorch's", arguments: EmbeddingBagCase.all)
    func matchesPyTorch(_ c: EmbeddingBagCase) throws {
        let weight = c.weight.tensor(.float64).requiringGrad()
        let perSample = c.perSampleWeights?.tensor(.float64).requiringGrad()
        let y = try GradusError.catching { c.run(weight, perSample) }
        if let m = mismatch(y, c.output.tensor(.float64), rtol: 1e-12, atol: 1e-12) { Issue.record("\(c.name) output: \(m)") }
        let up = Tensor(shape: y.shape, values: (0..<y.count).map { Double($0 % 5 + 1) / 3 }, dtype: .float64)
        try GradusError.catching { (y * up).sum().backward() }
        if let m = mismatch(try #require(weight.grad), c.gradWeight.tensor(.float64), rtol: 1e-12, atol: 1e-12) {
            Issue.record("\(c.name) weight gradient: \(m)")
        }
        if let expected = c.gradPerSampleWeights, let m = mismatch(try #require(perSample?.grad), expected.tensor(.float64), rtol: 1e-12, atol: 1e-12) {
            Issue.record("\(c.name) per-sample weight gradient: \(m)")
        }
    }

    @Test("Float64 gradients equal finite differences", arguments: EmbeddingBagCase.all)
    func gradCheck(_ c: EmbeddingBagCase) {
        var inputs = [c.weight.tensor(.float64)]
        if let p = c.perSampleWeights { inputs.append(p.tensor(.float64)) }
        let report = GradCheck.check(inputs: inputs) { c.run($0[0], $0.count > 1 ? $0[1] : nil) }
        #expect(report.passed, "\(c.name): \(report)")
    }

    @Test("the layer combines bags with its table and settings; refusals name the problem")
    func layerAndRefusals() throws {
        var g = SeededGenerator(seed: 1)
        let bag = EmbeddingBag(10, 4, mode: .sum, paddingIdx: 0, generator: &g)
        #expect(bag.weight.select(axis: 0, index: 0).scalars().allSatisfy { $0 == 0 })
        let y = bag(Tensor(shape: [2, 2], integers: [1, 2, 0, 3]))
        let expected = bag.weight.select(axis: 0, index: 1) + bag.weight.select(axis: 0, index: 2)
        #expect(y.shape == [2, 4] && y.select(axis: 0, index: 0).allClose(expected))
        let t = Tensor.zeros([5, 2])
        #expect(failure { Functional.embeddingBag(Tensor(labels: [1, 2]), weight: t) }?.kind == .invalidArgument)   // no offsets
        #expect(failure { Functional.embeddingBag(Tensor(labels: [1, 2]), weight: t, offsets: Tensor(labels: [1])) }?.message.contains("start at 0") == true)
        #expect(failure { Functional.embeddingBag(Tensor(labels: [1, 2]), weight: t, offsets: Tensor(labels: [0, 3])) }?.kind == .invalidArgument)
        #expect(failure { Functional.embeddingBag(Tensor(labels: [1, 9]), weight: t, offsets: Tensor(labels: [0])) } != nil)
        #expect(failure { Functional.embeddingBag(Tensor(shape: [1, 2], integers: [1, 2]), weight: t, offsets: Tensor(labels: [0])) }?.kind == .invalidArgument)
        #expect(failure {
            Functional.embeddingBag(Tensor(shape: [1, 2], integers: [1, 2]), weight: t, mode: .mean, perSampleWeights: Tensor.ones([1, 2]))
        }?.message.contains("mode sum") == true)
        #expect(failure { Functional.embeddingBag(Tensor([1.0]), weight: t, offsets: Tensor(labels: [0])) }?.kind == .dtypeMismatch)
        #expect(Functional.embeddingBag(Tensor(labels: []), weight: t, offsets: Tensor(labels: [])).shape == [0, 2])
        #expect(failure {
            Functional.embeddingBag(Tensor(labels: [1, 2, 3]), weight: t, offsets: Tensor(labels: [0, 2]), includeLastOffset: true)
        }?.message.contains("must end with the input's length 3") == true)
    }
}
