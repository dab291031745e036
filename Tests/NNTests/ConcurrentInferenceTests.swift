import Gradus
import Testing

/// One model shared by many concurrent tasks: inference only reads the parameters, and grad mode is a
/// per-thread setting, so results must equal those computed one at a time.
@Suite("Concurrent inference")
struct ConcurrentInferenceTests {
    final class Shared: @unchecked Sendable {
        let model: Sequential
        init(_ model: Sequential) { self.model = model }
    }

    @Test("8 concurrent tasks on one model give the sequential results")
    func concurrentInferenceMatchesSequential() async {
        var rng = SeededGenerator(seed: 11)
        let model = Sequential {
            Linear(32, 64, generator: &rng)
            ReLU()
            Linear(64, 10, generator: &rng)
        }
        model.eval()
        let inputs = (0..<8).map { _ in Tensor.normal([16, 32], generator: &rng) }
        let expected = inputs.map { x in GradMode.noGrad { model(x).scalars() } }
        let shared = Shared(model)
        let sendableInputs = inputs.map { $0.scalars() }
        let results = await withTaskGroup(of: (Int, [Float]).self) { group in
            for (i, values) in sendableInputs.enumerated() {
                group.addTask {
                    var last: [Float] = []
                    for round in 0..<50 {
                        let x = Tensor(shape: [16, 32], values: values)
                        // Alternate recording and no-grad inference: per-thread grad mode must not leak.
                        last = round.isMultiple(of: 2)
                            ? GradMode.noGrad { shared.model(x).scalars() }
                            : shared.model(x).scalars()
                    }
                    return (i, last)
                }
            }
            var out = [[Float]](repeating: [], count: 8)
            for await (i, r) in group { out[i] = r }
            return out
        }
        for i in 0..<8 { #expect(results[i] == expected[i], "task \(i) differs from the sequential result") }
        #expect(GradMode.isEnabled)
    }
}
