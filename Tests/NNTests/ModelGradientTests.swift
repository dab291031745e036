import Gradus
import Testing

@Suite("Gradient tape on a model")
struct ModelGradientTests {
    @Test("valueWithGradient(of:) equals backward's grads and leaves grad untouched")
    func matchesBackward() {
        var rng = SeededGenerator(seed: 5)
        let model = Sequential {
            Linear(4, 8, generator: &rng)
            Tanh()
            Linear(8, 3, generator: &rng)
        }
        let x = Tensor.normal([6, 4], generator: &rng)
        let labels = Tensor(labels: [0, 2, 1, 1, 0, 2])
        let (value, grads) = Autograd.valueWithGradient(of: model) { $0(x).crossEntropy(labels) }
        #expect(model.parameters().allSatisfy { $0.grad == nil })
        #expect(Set(grads.keys) == ["0.weight", "0.bias", "2.weight", "2.bias"])

        let loss = model(x).crossEntropy(labels)
        loss.backward()
        #expect(abs(loss.item() - value.item()) < 1e-7)
        for (name, p) in model.namedParameters() {
            #expect(grads[name]!.scalars() == p.grad!.scalars(), "\(name)")
        }
    }
}
