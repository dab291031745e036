import Foundation
import Gradus
import Testing

/// Writes a little-endian float32 `.npy` file (format 1.0) holding `values` in `shape`.
func writeNPY(_ values: [Float], shape: [Int], to path: String) throws {
    let dims = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
    var header = "{'descr': '<f4', 'fortran_order': False, 'shape': \(dims), }"
    let unpadded = 10 + header.utf8.count + 1
    header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
    var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0]
    let n = header.utf8.count
    bytes += [UInt8(n & 0xFF), UInt8(n >> 8)] + Array(header.utf8)
    for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes += $0 } }
    try Data(bytes).write(to: URL(fileURLWithPath: path))
}

@Suite struct NonFiniteLossTests {
    static let poisoned = 7

    /// Two separable classes in 3 features; sample ``poisoned`` holds a NaN when `nan` is set.
    func samples(_ n: Int, nan: Bool) -> (x: [Float], y: [Float]) {
        var rng = SeededGenerator(seed: 21)
        var x: [Float] = [], y: [Float] = []
        for i in 0..<n {
            let c = i % 2
            for _ in 0..<3 { x.append(Float(Double(c) * 2 + rng.nextUnit())) }
            y.append(Float(c))
        }
        if nan { x[Self.poisoned * 3 + 1] = .nan }
        return (x, y)
    }

    func trainer(_ policy: NonFiniteLossPolicy) -> (Sequential, Trainer) {
        var r = SeededGenerator(seed: 5)
        let model = Sequential { Linear(3, 4, generator: &r); ReLU(); Linear(4, 2, generator: &r) }
        return (model, Trainer(model: model, optimizer: SGD(model.parameters(), lr: 0.1, momentum: 0.9),
                               seed: 9, nonFiniteLoss: policy))
    }

    func data(nan: Bool) -> TensorDataset {
        let (x, y) = samples(40, nan: nan)
        return TensorDataset(Tensor(shape: [40, 3], values: x), Tensor(labels: y.map { Int($0) }))
    }

    /// The batch (from 1) of epoch `e` (from 0) holding the poisoned sample.
    func poisonedBatch(epoch e: Int, batchSize: Int = 8) -> Int {
        let order = DataLoader(data(nan: false), batchSize: batchSize, shuffle: true, seed: 9).order(epoch: e)
        return order.firstIndex(of: Self.poisoned)! / batchSize + 1
    }

    func allFinite(_ model: Sequential) -> Bool {
        model.stateDict().values.allSatisfy { $0.firstNonFinite() == nil }
    }

    /// `.stop` throws a TrainingError naming the epoch, batch and the non-finite value, and keeps the
    /// weights of the last good step: exactly those of a run over the batches before the poisoned one.
    /// (ReLU maps the NaN to 0, so the loss stays finite; the first layer's weight gradient does not.)
    @Test func stopNamesEpochBatchAndLoss() throws {
        let (model, t) = trainer(.stop)
        let k = poisonedBatch(epoch: 0)
        var message = ""
        do {
            try t.fit(train: data(nan: true), epochs: 3, batchSize: 8)
            Issue.record("a NaN sample must stop the run")
        } catch let e as TrainingError {
            message = e.message
        }
        #expect(message.contains("epoch 1, batch \(k) of 5"), "\(message)")
        // The NaN reaches the loss (relu passes NaN through, as in PyTorch).
        #expect(message.contains("the loss is nan"), "\(message)")
        #expect(message.contains("the weights were not updated with this batch"), "\(message)")
        #expect(t.epoch == 0 && t.step == k - 1)
        #expect(allFinite(model))
        // The same steps on clean data give the same weights: the poisoned batch changed nothing.
        let (reference, r) = trainer(.stop)
        let clean = DataLoader(data(nan: false), batchSize: 8, shuffle: true, seed: 9)
        for batch in clean.batches(epoch: 0).prefix(k - 1) { try r.trainStep(inputs: batch.inputs, targets: batch.targets) }
        #expect(bytes(model.stateDict()) == bytes(reference.stateDict()))
        // trainStep on its own throws too.
        let poisoned = Tensor(shape: [1, 3], values: [Float(1), .nan, 1])
        #expect(throws: TrainingError.self) { try t.trainStep(inputs: poisoned, targets: Tensor(labels: [1])) }
        #expect(t.step == k - 1)

        // Without the ReLU the loss itself is NaN, and the message says so.
        var r2 = SeededGenerator(seed: 5)
        let linear = Sequential { Linear(3, 2, generator: &r2) }
        let lt = Trainer(model: linear, optimizer: SGD(linear.parameters(), lr: 0.1))
        let error = #expect(throws: TrainingError.self) { try lt.trainStep(inputs: poisoned, targets: Tensor(labels: [1])) }
        #expect(error?.message.hasPrefix("training stopped at step 1: the loss is nan; the weights were not updated") == true,
                "\(error?.message ?? "")")
        #expect(lt.step == 0 && allFinite(linear))
    }

    /// `.skip` completes with finite weights, skips one batch per epoch (the poisoned one) and counts it;
    /// `.ignore` (the old behaviour) ends with NaN weights, so the data really does poison the run.
    @Test func skipCountsBatchesAndKeepsWeightsFinite() throws {
        let (model, t) = trainer(.skip)
        let history = try t.fit(train: data(nan: true), test: data(nan: false), epochs: 3, batchSize: 8)
        #expect(history.map(\.skippedBatches) == [1, 1, 1])
        #expect(t.step == 3 * 4)
        #expect(allFinite(model))
        #expect(history.allSatisfy { $0.trainLoss.isFinite && $0.testLoss!.isFinite })
        #expect(history.last!.testAccuracy! > 0.9)

        let (ignored, u) = trainer(.ignore)
        let h = try u.fit(train: data(nan: true), epochs: 3, batchSize: 8)
        #expect(h.map(\.skippedBatches) == [0, 0, 0] && u.step == 15)
        #expect(!allFinite(ignored))
    }

    /// A learning rate absurd enough to overflow the weights stops the run with the clear error.
    @Test func absurdLearningRateStops() throws {
        var r = SeededGenerator(seed: 5)
        let model = Sequential { Linear(3, 4, generator: &r); ReLU(); Linear(4, 2, generator: &r) }
        let t = Trainer(model: model, optimizer: SGD(model.parameters(), lr: 1e30), seed: 9)
        #expect(t.nonFiniteLoss == .stop)
        let error = #expect(throws: TrainingError.self) {
            try t.fit(train: data(nan: false), epochs: 5, batchSize: 8)
        }
        let m = error?.message ?? ""
        #expect(m.hasPrefix("training stopped at epoch ") && m.contains(", batch ") && m.contains("the loss is "), "\(m)")
    }

    /// Through ``TrainingRun``: a run resumed on poisoned data stops in epoch 3 and leaves the epoch-2
    /// checkpoint byte for byte as it was; with `.skip` it finishes and records the skipped batches in
    /// metrics.csv and the checkpoint's history.
    @Test func trainingRunKeepsLastGoodCheckpoint() throws {
        let dir = try temporaryFolder("nonfinite")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for (name, nan) in [("clean", false), ("dirty", true)] {
            try FileManager.default.createDirectory(atPath: "\(dir)/\(name)", withIntermediateDirectories: true)
            let (x, y) = samples(40, nan: nan)
            let (tx, ty) = samples(10, nan: false)
            try writeNPY(x, shape: [40, 3], to: "\(dir)/\(name)/x_train.npy")
            try writeNPY(y, shape: [40], to: "\(dir)/\(name)/y_train.npy")
            try writeNPY(tx, shape: [10, 3], to: "\(dir)/\(name)/x_test.npy")
            try writeNPY(ty, shape: [10], to: "\(dir)/\(name)/y_test.npy")
        }
        let config = RunConfig(data: DataSpec(format: .npy, path: dir + "/clean"),
                               model: ModelSpec(architecture: .mlp, inputShape: [], hidden: [4], outputs: 0),
                               optimizer: OptimizerSpec(kind: .sgd, learningRate: 0.1, momentum: 0.9), schedule: .none,
                               epochs: 2, batchSize: 8, seed: 3)
        #expect(config.nonFiniteLoss == .stop)
        try TrainingRun(config: config, outputDirectory: dir + "/run").run()
        let path = dir + "/run/checkpoint.safetensors"
        let before = try Data(contentsOf: URL(fileURLWithPath: path))

        let dirty = DataSpec(format: .npy, path: dir + "/dirty")
        let stopped = try TrainingRun(resuming: path, epochs: 4, data: dirty)
        let error = #expect(throws: TrainingError.self) { try stopped.run() }
        let m = error?.message ?? ""
        #expect(m.contains("training stopped at epoch 3, batch ") && m.contains("the loss is nan"), "\(m)")
        #expect(m.hasSuffix("The last checkpoint, \(path), is untouched."), "\(m)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        #expect(try Checkpoint.load(path).epoch == 2)

        // A fresh run on poisoned data from the start: epoch 1 is saved, the error names that checkpoint.
        var poisoned = config
        poisoned.data = dirty
        poisoned.epochs = 3
        // Every epoch visits the poisoned sample, so a fresh run stops in epoch 1 with nothing saved.
        let fresh = try TrainingRun(config: poisoned, outputDirectory: dir + "/fresh")
        let freshError = #expect(throws: TrainingError.self) { try fresh.run() }
        #expect(freshError?.message.contains("training stopped at epoch 1, batch ") == true)
        #expect(freshError?.message.hasSuffix("No checkpoint was written.") == true)
        #expect(!FileManager.default.fileExists(atPath: dir + "/fresh/checkpoint.safetensors"))

        let skipping = try TrainingRun(resuming: path, epochs: 4, data: dirty, outputDirectory: dir + "/skip",
                                       nonFiniteLoss: .skip)
        #expect(skipping.config.nonFiniteLoss == .skip)
        let history = try skipping.run()
        #expect(history.map(\.skippedBatches) == [0, 0, 1, 1])
        #expect(skipping.model.stateDict().values.allSatisfy { $0.firstNonFinite() == nil })
        let csv = try EpochMetrics.parseCSV(String(contentsOfFile: dir + "/skip/metrics.csv", encoding: .utf8))
        #expect(csv.map(\.skippedBatches) == [0, 0, 1, 1])
        let saved = try Checkpoint.load(dir + "/skip/checkpoint.safetensors")
        #expect(try RunConfig.decode(json: saved.metadata["config"]!).nonFiniteLoss == .skip)
    }

    /// Configurations and metrics written before these fields existed still load.
    @Test func olderFormatsStillLoad() throws {
        var json = RunConfig().json()
        json = json.replacingOccurrences(of: "\"nonFiniteLoss\" : \"stop\",\n", with: "")
        #expect(!json.contains("nonFiniteLoss"))
        #expect(try RunConfig.decode(json: json) == RunConfig())
        let old = "epoch,train_loss,train_accuracy,test_loss,test_accuracy,learning_rate,seconds,samples_per_second\n1,0.5,,,,0.1,2,3\n"
        let m = try EpochMetrics.parseCSV(old)
        #expect(m.count == 1 && m[0].skippedBatches == 0 && m[0].trainLoss == 0.5)
        #expect(throws: TrainingError.self) { try EpochMetrics.parseCSV(EpochMetrics.csvHeader + "\n1,0.5,,,,0.1,2,3,-1\n") }
    }
}
