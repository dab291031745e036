import Foundation
import Gradus
import Testing

/// A server embedding Gradus: every request runs in a `GradusError.catching` scope; bad requests are
/// answered with an error and the next good request still gets the right answer.
@Suite("Serving loop survives bad requests")
struct ServingLoopTests {
    final class Classifier: Module, Layer {
        let embedding: Embedding
        let hidden: Linear
        let output: Linear
        init(generator: inout SeededGenerator) {
            embedding = Embedding(20, 4, generator: &generator)
            hidden = Linear(8, 16, generator: &generator)
            output = Linear(16, 3, generator: &generator)
        }
        /// `input`: `[N, 6]` — four features, then two token ids.
        func callAsFunction(_ input: Tensor) -> Tensor {
            let features = input.slice(axis: 1, start: 0, end: 4)
            let tokens = input.slice(axis: 1, start: 4, end: 6).to(.int64)
            let embedded = embedding(tokens).mean(axes: [1])
            return output(hidden(Tensor.concatenate([features, embedded], axis: 1)).relu())
        }
    }

    @Test("1,000 requests, a bad input every other one on average, answers stay correct")
    func thousandRequests() throws {
        var rng = SeededGenerator(seed: 3)
        let model = Classifier(generator: &rng)
        model.eval()
        let good = Tensor([[0.5, -1, 2, 0.25, 3, 7], [1, 1, 1, 1, 0, 19]])
        let reference = GradMode.noGrad { model(good) }.scalars()
        let trainer = Trainer(model: model, optimizer: SGD(model.parameters(), lr: 0))
        let weightsBefore = model.parameters().map { $0.scalars() }
        var served = 0, refused = 0
        var pick = SeededGenerator(seed: 11)
        for request in 0..<1000 {
            let kind = Int(pick.next() % 8)
            do {
                switch kind {
                case 0:   // wrong feature width
                    _ = try GradusError.catching { GradMode.noGrad { model(Tensor.zeros([2, 3])) } }
                case 1:   // wrong rank
                    _ = try GradusError.catching { GradMode.noGrad { model(Tensor.zeros([6])) } }
                case 2:   // a token id outside the embedding
                    _ = try GradusError.catching { GradMode.noGrad { model(Tensor([[0, 0, 0, 0, 25, 1]])) } }
                case 3:   // a negative token id
                    _ = try GradusError.catching { GradMode.noGrad { model(Tensor([[0, 0, 0, 0, -1, 1]])) } }
                case 4:   // a training request with a label outside the 3 classes
                    try trainer.trainStep(inputs: good, targets: Tensor(labels: [0, 3]))
                case 5:   // a training request with the loss's ignore index as a label
                    try trainer.trainStep(inputs: good, targets: Tensor(labels: [-100, 1]))
                default:  // a good request
                    let answer = try GradusError.catching { GradMode.noGrad { model(good) } }
                    #expect(answer.scalars() == reference, "request \(request)")
                    served += 1
                    continue
                }
                Issue.record("request \(request) of kind \(kind) was not refused")
            } catch is GradusError {
                refused += 1
            }
        }
        #expect(served + refused == 1000 && served > 100 && refused > 500)
        // Refused training requests changed nothing (lr 0 aside, no step was taken).
        #expect(trainer.step == 0)
        #expect(model.parameters().map { $0.scalars() } == weightsBefore)
    }

    @Test("a bad batch in trainEpoch throws a GradusError naming the label and leaves the weights alone")
    func badLabelInEpoch() {
        var rng = SeededGenerator(seed: 4)
        let model = Sequential { Linear(2, 3, generator: &rng) }
        let data = TensorDataset(Tensor.normal([8, 2], generator: &rng), Tensor(labels: [0, 1, 2, 0, 1, 2, 7, 0]))
        let trainer = Trainer(model: model, optimizer: SGD(model.parameters(), lr: 0.1))
        #expect {
            try trainer.trainEpoch(data, batchSize: 8)
        } throws: { error in
            guard let e = error as? GradusError else { return false }
            return e.kind == .indexOutOfRange && e.message.contains("label 7") && e.message.contains("3 classes")
        }
        #expect(trainer.step == 0 && trainer.epoch == 0)
    }
}
