import Gradus
import GradusTestSupport
import Testing

/// End-to-end training: small, fast, seeded.
@Suite("Training end to end")
struct TrainingConvergenceTests {
    @Test("XOR: a small MLP reaches zero error")
    func xor() {
        var rng = SeededGenerator(seed: 1)
        let model = Sequential {
            Linear(2, 8, generator: &rng)
            Tanh()
            Linear(8, 1, generator: &rng)
        }
        let x = Tensor([[0, 0], [0, 1], [1, 0], [1, 1]])
        let y = Tensor([[0], [1], [1], [0]])
        let optimizer = Adam(model.parameters(), lr: 0.05)
        let criterion = BCEWithLogitsLoss()
        for _ in 0..<500 {
            optimizer.zeroGrad()
            criterion(model(x), y).backward()
            optimizer.step()
        }
        let predicted = GradMode.noGrad { model(x).sigmoid().gt(0.5) }
        #expect(predicted.scalars() == y.scalars())
    }

    struct LinRegFixture: Decodable {
        let x: TensorFixture
        let weight0: TensorFixture
        let bias0: TensorFixture
        let losses: [String: Double]
        let weight: Double
        let bias: Double
    }

    @Test("the seed example learns w ≈ 2, b ≈ 1 exactly as PyTorch does from the same initial weights")
    func linearRegressionMatchesPyTorch() throws {
        let f = try Fixtures.decode(LinRegFixture.self, "training/linreg.json")
        let x = f.x.tensor(), y = x * 2 + 1
        let model = Linear(weight: f.weight0.tensor(), bias: f.bias0.tensor())
        let optimizer = SGD(model.parameters(), lr: 0.01)
        let criterion = MSELoss()
        for step in 1...1000 {
            optimizer.zeroGrad()
            let loss = criterion(model(x), y)
            loss.backward()
            optimizer.step()
            if let expected = f.losses[String(step)] {
                #expect(abs(Double(loss.item()) - expected) <= 1e-5 * abs(expected) + 1e-9, "loss at step \(step)")
            }
        }
        #expect(abs(Double(model.weight.item()) - f.weight) < 1e-5)
        #expect(abs(Double(model.bias!.item()) - f.bias) < 1e-5)
        #expect(abs(model.weight.item() - 2) < 1e-3 && abs(model.bias!.item() - 1) < 1e-3)
    }

    /// 8×8 images holding one horizontal or one vertical bar in noise; the class is the orientation.
    static func bars(_ n: Int, _ rng: inout SeededGenerator) -> (Tensor, Tensor) {
        var images = [Double](repeating: 0, count: n * 64), labels = [Int](repeating: 0, count: n)
        for i in 0..<n {
            let vertical = Int.random(in: 0...1, using: &rng)
            let at = Int.random(in: 1...6, using: &rng)
            for p in 0..<64 { images[i * 64 + p] = Double.random(in: 0..<0.3, using: &rng) }
            for k in 0..<8 { images[i * 64 + (vertical == 1 ? k * 8 + at : at * 8 + k)] += 1 }
            labels[i] = vertical
        }
        return (Tensor(shape: [n, 1, 8, 8], values: images), Tensor(labels: labels))
    }

    @Test("a small CNN (conv, batch norm, pooling, linear) learns a synthetic task")
    func smallCNN() {
        var rng = SeededGenerator(seed: 2)
        let model = Sequential {
            Conv2d(1, 4, kernelSize: 3, padding: 1, generator: &rng)
            BatchNorm2d(4)
            ReLU()
            MaxPool2d(2)
            Flatten()
            Linear(64, 2, generator: &rng)
        }
        let optimizer = Adam(model.parameters(), lr: 0.01)
        for _ in 0..<60 {
            let (x, y) = Self.bars(32, &rng)
            optimizer.zeroGrad()
            model(x).crossEntropy(y).backward()
            optimizer.step()
        }
        model.eval()
        let (testX, testY) = Self.bars(200, &rng)
        let predicted = GradMode.noGrad { model(testX).argmax(axis: 1) }
        let correct = zip(predicted.intScalars, testY.intScalars).filter { $0 == $1 }.count
        #expect(correct >= 190, "accuracy \(correct)/200")
    }
}
