import Gradus
import Testing

/// Late fusion: the image through its own linear branch, the features through theirs, the two
/// concatenated before a small classifier head.
private final class ImageAndFeatures: Module, MultiInputLayer {
    let image: Sequential
    let features: Linear
    let head: Sequential

    init(generator rng: inout SeededGenerator) {
        image = Sequential {
            Flatten()
            Linear(16, 8, generator: &rng)
        }
        features = Linear(3, 8, generator: &rng)
        head = Sequential {
            Linear(16, 16, generator: &rng)
            ReLU()
            Linear(16, 2, generator: &rng)
        }
    }

    func callAsFunction(_ inputs: TensorGroup) -> Tensor {
        let a = image(inputs["image"]).relu()
        let b = features(inputs["features"]).relu()
        return head(Tensor.concatenate([a, b], axis: 1))
    }
}

/// n samples: an image [1, 4, 4] whose pixels are ±0.75 plus uniform noise in [-1, 1), and features
/// [f0, noise, noise] with |f0| ≥ 0.25. The label is (image mean > 0) XOR (f0 > 0), so that neither input
/// alone tells anything about it.
private func xorData(_ n: Int, seed: UInt64) throws -> GroupDataset {
    var rng = SeededGenerator(seed: seed)
    var pixels: [Double] = [], features: [Double] = [], labels: [Int] = []
    for _ in 0..<n {
        let a: Double = rng.nextUnit() < 0.5 ? -1 : 1
        let b: Double = rng.nextUnit() < 0.5 ? -1 : 1
        let image = (0..<16).map { _ in 0.75 * a + 2 * rng.nextUnit() - 1 }
        let f0 = b * (0.25 + rng.nextUnit())
        pixels += image
        features += [f0, 2 * rng.nextUnit() - 1, 2 * rng.nextUnit() - 1]
        labels.append((image.reduce(0, +) > 0) != (f0 > 0) ? 1 : 0)
    }
    return try GroupDataset(["image": Tensor(shape: [n, 1, 4, 4], values: pixels),
                             "features": Tensor(shape: [n, 3], values: features)], Tensor(labels: labels))
}

@Suite struct MultiInputTrainerTests {
    @Test func twoInputModelLearnsALabelThatNeedsBothInputs() throws {
        let train = try xorData(512, seed: 1), test = try xorData(256, seed: 2)
        var rng = SeededGenerator(seed: 0)
        let model = ImageAndFeatures(generator: &rng)
        let trainer = Trainer(model: model, optimizer: Adam(model.parameters(), lr: 0.01), seed: 3)
        #expect(trainer.multiInputModel === model && trainer.module === model)
        let history = try trainer.fit(train: train, test: test, epochs: 10, batchSize: 32)
        #expect(history.count == 10 && trainer.epoch == 10 && trainer.step == 160)
        let last = try #require(history.last)
        #expect(last.trainAccuracy! > 0.9 && last.testAccuracy! > 0.9, "train \(last.trainAccuracy!), test \(last.testAccuracy!)")
        let e = trainer.evaluate(test)
        #expect(e.count == 256 && e.accuracy! > 0.9, "test accuracy \(e.accuracy!)")
        #expect(Trainer.evaluate(model: model, task: .classify, data: test).accuracy == e.accuracy)
        // One step on a batch made by hand, through the TensorGroup overload.
        let (x, y) = test.batch(at: [0, 1, 2, 3, 4])
        let r = try trainer.trainStep(inputs: x, targets: y)
        #expect(r.count == 5 && !r.skipped && trainer.step == 161)
    }

    @Test func sameSeedsGiveTheSameRun() throws {
        let train = try xorData(64, seed: 4)
        func run() throws -> [[Float]] {
            var rng = SeededGenerator(seed: 7)
            let model = ImageAndFeatures(generator: &rng)
            let trainer = Trainer(model: model, optimizer: SGD(model.parameters(), lr: 0.1), seed: 11)
            try trainer.fit(train: train, epochs: 2, batchSize: 16)
            return model.parameters().map { $0.scalars() }
        }
        #expect(try run() == run())
    }

    @Test func mismatchedGroupsAndInputKindsAreGradusErrors() throws {
        var rng = SeededGenerator(seed: 0)
        let model = ImageAndFeatures(generator: &rng)
        let trainer = Trainer(model: model, optimizer: SGD(model.parameters(), lr: 0.1))
        let before = model.parameters().map { $0.scalars() }

        // A group without the "features" field the model reads.
        let imagesOnly = try GroupDataset(["image": Tensor.zeros([8, 1, 4, 4])], Tensor(labels: Array(repeating: 0, count: 8)))
        expectGradusError(.invalidArgument, mentions: ["no tensor named \"features\"", "[\"image\"]"]) {
            try trainer.trainEpoch(imagesOnly, batchSize: 4)
        }
        expectGradusError(.invalidArgument, mentions: ["\"features\""]) {
            try trainer.trainStep(inputs: ["image": Tensor.zeros([2, 1, 4, 4])], targets: Tensor(labels: [0, 1]))
        }
        // Test data without the field: fit trains the epoch, then its evaluation throws.
        let other = ImageAndFeatures(generator: &rng)
        let fitting = Trainer(model: other, optimizer: SGD(other.parameters(), lr: 0.1))
        expectGradusError(.invalidArgument, mentions: ["\"features\""]) {
            try fitting.fit(train: try xorData(8, seed: 5), test: imagesOnly, epochs: 1, batchSize: 4)
        }
        expectGradusError(.invalidArgument, mentions: ["\"features\""]) {
            _ = try GradusError.catching { trainer.evaluate(imagesOnly) }
        }

        // A label outside the model's two classes: the same check as for models with one input.
        let good = try xorData(4, seed: 6)
        let (x, _) = good.batch(at: [0, 1, 2, 3])
        expectGradusError(.indexOutOfRange, mentions: ["label 2", "2 classes"]) {
            try trainer.trainStep(inputs: x, targets: Tensor(labels: [0, 1, 2, 0]))
        }

        // One tensor for a model of named inputs, and named inputs for a Layer.
        expectGradusError(.invalidArgument, mentions: ["Trainer.trainStep", "MultiInputLayer", "Tensor"]) {
            try trainer.trainStep(inputs: Tensor.zeros([2, 16]), targets: Tensor(labels: [0, 1]))
        }
        expectGradusError(.invalidArgument, mentions: ["Trainer.trainEpoch", "MultiInputLayer"]) {
            try trainer.trainEpoch(TensorDataset(Tensor.zeros([4, 16]), Tensor(labels: [0, 1, 0, 1])), batchSize: 2)
        }
        expectGradusError(.invalidArgument, mentions: ["Trainer.model", "MultiInputLayer"]) {
            _ = try GradusError.catching { trainer.model }
        }
        let linear = Sequential { Linear(16, 2, generator: &rng) }
        let single = Trainer(model: linear, optimizer: SGD(linear.parameters(), lr: 0.1))
        #expect(single.multiInputModel == nil && single.model === linear && single.module === linear)
        expectGradusError(.invalidArgument, mentions: ["Trainer.fit", "Layer", "TensorGroup"]) {
            try single.fit(train: good, epochs: 1, batchSize: 2)
        }
        expectGradusError(.invalidArgument, mentions: ["Trainer.trainStep", "Layer", "TensorGroup"]) {
            try single.trainStep(inputs: x, targets: Tensor(labels: [0, 1, 0, 1]))
        }
        expectGradusError(.invalidArgument, mentions: ["Trainer.evaluate", "TensorGroup"]) {
            _ = try GradusError.catching { single.evaluate(good) }
        }

        // Nothing was trained.
        #expect(trainer.step == 0 && trainer.epoch == 0 && single.step == 0 && single.epoch == 0)
        #expect(model.parameters().map { $0.scalars() } == before)
    }
}
