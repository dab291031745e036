import Gradus
import GradusTestSupport
import Testing

/// `padSequence` (values and gradients are in the op table's PyTorch fixtures; here the edges and
/// refusals) and the parameter vectors of `parametersToVector` / `vectorToParameters`.
@Suite("sequence padding and parameter vectors")
struct SequenceAndParameterUtilityTests {
    @Test("padSequence: both sides, both layouts, empty sequences, trailing dimensions")
    func padding() {
        let a = Tensor([1.0, 2.0, 3.0]), b = Tensor([4.0]), empty = Tensor.zeros([0])
        #expect(padSequence([a, b, empty], batchFirst: true).scalars(as: Double.self) == [1, 2, 3, 4, 0, 0, 0, 0, 0])
        #expect(padSequence([a, b], paddingValue: -1).shape == [3, 2])
        #expect(padSequence([a, b], paddingValue: -1).scalars(as: Double.self) == [1, 4, 2, -1, 3, -1])
        #expect(padSequence([a, b], batchFirst: true, paddingSide: .left).scalars(as: Double.self) == [1, 2, 3, 0, 0, 4])
        let rows = padSequence([Tensor.ones([2, 3]), Tensor.ones([1, 3])], batchFirst: true)
        #expect(rows.shape == [2, 2, 3] && rows.sum().item(Double.self) == 9)
        // Only empty sequences: a batch of length 0.
        #expect(padSequence([empty, empty]).shape == [0, 2])
        // Sequences of other dtypes take the first one's, as PyTorch copies them into its tensor.
        let mixed = padSequence([Tensor([1.5, 2.5]), Tensor(labels: [7])], batchFirst: true)
        #expect(mixed.dtype == .float32 && mixed.scalars(as: Double.self) == [1.5, 2.5, 7, 0])
        // Integer sequences keep their dtype.
        #expect(padSequence([Tensor(labels: [5, 6]), Tensor(labels: [7])], batchFirst: true).intScalars == [5, 6, 7, 0])
    }

    @Test("padSequence refuses what PyTorch refuses, naming it")
    func paddingRefusals() {
        #expect(failure { padSequence([]) }?.message.contains("empty list") == true)
        #expect(failure { padSequence([Tensor.ones([2, 3]), Tensor.ones([2, 4])]) }?.message.contains("sequence 1 has shape [2, 4]") == true)
        #expect(failure { padSequence([Tensor.ones([])]) }?.message.contains("at least one dimension") == true)
    }

    @Test("parametersToVector and vectorToParameters round-trip a model's parameters; bad vectors change nothing")
    func parameterVectors() throws {
        var rng = SeededGenerator(seed: 3)
        let model = Sequential { Linear(3, 2, generator: &rng); ReLU(); Linear(2, 1, generator: &rng) }
        let parameters = model.parameters()
        let flat = parametersToVector(parameters)
        #expect(flat.shape == [11] && flat.scalars(as: Float.self) == parameters.flatMap { $0.scalars(as: Float.self) })
        // Differentiable: the gradient of the vector's sum is ones in every parameter.
        parametersToVector(parameters).sum().backward()
        #expect(parameters.allSatisfy { $0.grad?.scalars(as: Float.self) == [Float](repeating: 1, count: $0.count) })
        // Writing a vector back: every parameter gets its slice, in order, as the same tensor object.
        let before = parameters.map { ObjectIdentifier($0) }
        try vectorToParameters(Tensor(shape: [11], values: (0..<11).map(Double.init)), parameters)
        #expect(model.parameters().map { ObjectIdentifier($0) } == before)
        #expect(parametersToVector(model.parameters()).scalars(as: Float.self) == (0..<11).map(Float.init))
        // A vector of another length or rank is refused before anything is written.
        let error = failure { try vectorToParameters(Tensor.zeros([10]), parameters) }
        #expect(error?.message.contains("10 elements") == true)
        #expect(failure { try vectorToParameters(Tensor.zeros([11, 1]), parameters) }?.message.contains("1-D") == true)
        #expect(parametersToVector(model.parameters()).scalars(as: Float.self) == (0..<11).map(Float.init))
        #expect(parametersToVector([]).shape == [0])
    }
}
