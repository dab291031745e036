import Foundation
import Gradus
import Testing

@Suite struct TrainerTests {
    /// Both styles: `fit` with callbacks, and a hand-written loop over `trainStep`, give the same weights.
    @Test func fitAndManualLoopAgree() throws {
        var rng = SeededGenerator(seed: 0)
        let x = Tensor.normal([40, 3], generator: &rng)
        let y = Tensor(labels: (0..<40).map { $0 % 2 })
        let data = TensorDataset(x, y)
        func make() -> (Sequential, Trainer) {
            var r = SeededGenerator(seed: 5)
            let model = Sequential { Linear(3, 4, generator: &r); ReLU(); Linear(4, 2, generator: &r) }
            return (model, Trainer(model: model, optimizer: SGD(model.parameters(), lr: 0.1), seed: 9))
        }
        let (m1, t1) = make()
        var epochs: [Int] = [], batches = 0
        try t1.fit(train: data, test: data, epochs: 2, batchSize: 8, onBatch: { p in
            batches += 1
            #expect(p.batches == 5 && p.epochs == 2)
        }) { epochs.append($0.epoch) }
        #expect(epochs == [1, 2] && batches == 10 && t1.step == 10)

        let (m2, t2) = make()
        let loader = DataLoader(data, batchSize: 8, shuffle: true, seed: 9)
        for e in 0..<2 {
            for (xb, yb) in loader.batches(epoch: e) { try t2.trainStep(inputs: xb, targets: yb) }
        }
        #expect(bytes(m1.stateDict()) == bytes(m2.stateDict()))
    }

    @Test func evaluationCountsAndLoss() {
        // A fixed linear "model" whose predictions are known: logits = x.
        let model = Sequential { Linear(weight: Tensor([[1, 0], [0, 1]]), bias: nil) }
        let x = Tensor([[2, 0], [0, 2], [2, 0], [0, 1]])
        let y = Tensor(labels: [0, 1, 1, 1])
        let e = Trainer.evaluate(model: model, task: .classify, data: TensorDataset(x, y), batchSize: 3)
        #expect(e.accuracy == 0.75)
        #expect(e.confusion!.counts == [[1, 0], [1, 2]])
        let expected = GradMode.noGrad { x.crossEntropy(y).item(Double.self) }
        #expect(abs(e.loss - expected) < 1e-6)
    }

    @Test func checkpointRoundTrip() throws {
        let dir = try temporaryFolder("ckpt")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var rng = SeededGenerator(seed: 1)
        let model = Sequential { Linear(3, 2, generator: &rng) }
        let optimizer = Adam(model.parameters(), lr: 0.01)
        model(Tensor.normal([4, 3], generator: &rng)).sum().backward()
        optimizer.step()
        let c = Checkpoint(model: model.stateDict(), optimizer: optimizer.stateDict(),
                           extra: ["s.mean": Tensor([1, 2])], epoch: 3, step: 17, rngState: [1, 2, 3, 4],
                           metadata: ["note": "hi"])
        try c.save(to: dir + "/c.safetensors")
        let d = try Checkpoint.load(dir + "/c.safetensors")
        #expect(d.epoch == 3 && d.step == 17 && d.rngState == [1, 2, 3, 4] && d.metadata == ["note": "hi"])
        #expect(bytes(d.model) == bytes(c.model) && bytes(d.extra) == bytes(c.extra))
        #expect(d.optimizer.scalars == c.optimizer.scalars)
        #expect(bytes(d.optimizer.tensors) == bytes(c.optimizer.tensors))
        // A plain safetensors file is not a checkpoint.
        try SafeTensors.save(["w": Tensor([1])], to: dir + "/plain.safetensors")
        #expect(throws: DataError.self) { try Checkpoint.load(dir + "/plain.safetensors") }
    }

    @Test func metricsCSVRoundTrip() throws {
        let history = [
            EpochMetrics(epoch: 1, trainLoss: 0.5, trainAccuracy: 0.8, testLoss: 0.4, testAccuracy: 0.85,
                         learningRate: 0.001, seconds: 1.25, samplesPerSecond: 1000),
            EpochMetrics(epoch: 2, trainLoss: 0.1 + 0.2, learningRate: 1e-4, seconds: 0.5, samplesPerSecond: 3),
        ]
        #expect(try EpochMetrics.parseCSV(EpochMetrics.csv(history)) == history)
        #expect(throws: TrainingError.self) { try EpochMetrics.parseCSV("nope\n1,2") }
    }

    @Test func modelSpecs() throws {
        var rng = SeededGenerator(seed: 0)
        // LeNet-5 on 28x28 has 61,706 parameters (156 + 2,416 + 48,120 + 10,164 + 850).
        let lenet = try ModelSpec(architecture: .lenet, inputShape: [1, 28, 28], outputs: 10).build(generator: &rng) as! any Layer
        #expect(lenet.parameterCount == 61_706)
        #expect(lenet(Tensor.zeros([2, 1, 28, 28])).shape == [2, 10])
        let mlp = try ModelSpec(architecture: .mlp, inputShape: [1, 8, 8], hidden: [5, 4], outputs: 3).build(generator: &rng) as! any Layer
        #expect(mlp.parameterCount == 64 * 5 + 5 + 5 * 4 + 4 + 4 * 3 + 3)
        #expect(mlp(Tensor.zeros([2, 1, 8, 8])).shape == [2, 3])
        #expect(throws: TrainingError.self) {
            try ModelSpec(architecture: .lenet, inputShape: [1, 8, 8], outputs: 10).build(generator: &rng)
        }
        #expect(throws: TrainingError.self) {
            try ModelSpec(architecture: .mlp, inputShape: [4], hidden: [0], outputs: 2).build(generator: &rng)
        }
    }

    @Test func progressLineAndConfusionMatrix() {
        let p = TrainingProgress(epoch: 3, epochs: 25, batch: 30, batches: 45, loss: 0.12345, accuracy: 0.965,
                                 samplesPerSecond: 41235.4, secondsLeft: 67)
        let line = p.line(barWidth: 10)
        #expect(line == "epoch  3/25 [======>...] 30/45 loss 0.1235 acc 96.50% 41235 samples/s 1:07 left")
        var cm = ConfusionMatrix(classes: 2)
        cm.add(actual: 0, predicted: 0)
        cm.add(actual: 1, predicted: 0)
        #expect(cm.accuracy == 0.5 && cm.total == 2)
        #expect(cm.formatted().split(separator: "\n").count == 4)
    }

    @Test func metricsPlotIsWellFormedSVG() throws {
        let history = (1...5).map {
            EpochMetrics(epoch: $0, trainLoss: 1 / Double($0), trainAccuracy: 0.5 + 0.1 * Double($0) - 0.05,
                         testLoss: 1.2 / Double($0), testAccuracy: 0.5 + 0.08 * Double($0),
                         learningRate: 0.01, seconds: 1, samplesPerSecond: 100)
        }
        let svg = MetricsPlot.svg(history, title: "a <b> & c")
        let parser = XMLParser(data: Data(svg.utf8))
        #expect(parser.parse(), "the SVG is not well-formed XML")
        #expect(svg.components(separatedBy: "<polyline").count - 1 == 4)
        for label in ["train loss", "test loss", "train accuracy", "test accuracy", "epoch", "a &lt;b&gt; &amp; c"] {
            #expect(svg.contains(label), "missing \(label)")
        }
        // Regression histories have only the loss panel.
        let regression = MetricsPlot.svg(history.map { var m = $0; m.trainAccuracy = nil; m.testAccuracy = nil; return m }, title: "r")
        #expect(regression.components(separatedBy: "<polyline").count - 1 == 2)
    }
}

#if canImport(FoundationXML)
import FoundationXML
#endif
