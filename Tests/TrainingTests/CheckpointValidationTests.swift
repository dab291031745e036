import Foundation
import Gradus
import Testing

/// Sizes from flags and checkpoints are checked before anything is allocated from them.
@Suite("Configuration and checkpoint validation")
struct CheckpointValidationTests {
    @Test("model sizes: parameter counts, bounds and the memory budget")
    func modelSizes() throws {
        #expect(ModelSpec(architecture: .mlp, inputShape: [64], hidden: [128], outputs: 10).parameterCount == 9610)
        #expect(ModelSpec(architecture: .lenet, inputShape: [1, 28, 28], outputs: 10).parameterCount == 61706)   // PyTorch's LeNet-5
        #expect(ModelSpec(architecture: .mlp, inputShape: [1 << 24, 1 << 24, 1 << 24], hidden: [1 << 24], outputs: 1).parameterCount == nil)
        for spec in [ModelSpec(architecture: .mlp, inputShape: [8], hidden: [4_000_000_000], outputs: 2),
                     ModelSpec(architecture: .mlp, inputShape: [8], hidden: [4], outputs: 1_000_000_000),
                     ModelSpec(architecture: .mlp, inputShape: [-8, 8], hidden: [4], outputs: 2),
                     // Each size within the limit, their product not (it overflowed before it was checked).
                     ModelSpec(architecture: .mlp, inputShape: [1 << 24, 1 << 24, 1 << 24], hidden: [4], outputs: 2),
                     ModelSpec(architecture: .mlp, inputShape: [1 << 13, 1 << 12], hidden: [4], outputs: 2)] {
            #expect(throws: TrainingError.self) { try spec.validate() }
            _ = spec.summary   // no trap, even for a spec that validation refuses
            _ = try? spec.checkMemory(source: "--input-shape")
        }
        let wide = ModelSpec(architecture: .mlp, inputShape: [1 << 14], hidden: [1 << 14], outputs: 10)   // 268M parameters
        try wide.validate()
        #expect(throws: DataError.self) { try wide.checkMemory(source: "--hidden") }
        var rng = SeededGenerator(seed: 0)
        #expect(throws: DataError.self) { _ = try wide.build(generator: &rng) }
    }

    @Test("run numbers are bounded")
    func runBounds() {
        for change in [{ (c: inout RunConfig) in c.batchSize = Int.max }, { $0.batchSize = 0 }, { $0.epochs = Int.max },
                       { $0.epochs = 0 }, { $0.saveEvery = -1 },
                       // A checkpoint whose task was edited: a language model asked to classify, an MLP as a language model.
                       { $0.model.architecture = .gpt; $0.task = .classify }, { $0.task = .languageModel }] {
            var config = RunConfig()
            change(&config)
            #expect(throws: TrainingError.self) { try config.validate() }
        }
    }

    @Test("metrics rows with an epoch out of range, and fusion inputs too large for one sample, are refused")
    func metricsAndFusionBounds() throws {
        let header = EpochMetrics.csv([]).split(separator: "\n")[0]
        for epoch in ["9223372036854775807", "0", "-3"] {
            #expect(throws: TrainingError.self) { try EpochMetrics.parseCSV("\(header)\n\(epoch),0.5,,,,0.01,1,1,0\n") }
        }
        #expect(try EpochMetrics.parseCSV("\(header)\n2,0.5,,,,0.01,1,1,0\n").first?.epoch == 2)
        var spec = ModelSpec(architecture: .fusion, inputShape: [1], hidden: [4], outputs: 2)
        spec.inputs = [.init(name: "cube", shape: [65536, 65536, 65536])]
        spec.embedding = 8
        #expect(throws: TrainingError.self) { try spec.validate() }
        spec.inputs = [.init(name: "image", shape: [3, 32, 32])]
        try spec.validate()
    }

    @Test("a checkpoint's optimizer numbers, counters and standardizer are validated")
    func checkpointContents() throws {
        let good = Checkpoint(model: ["w": Tensor([1])], epoch: 1, step: 2)
        let (tensors, meta) = good.encoded()
        func decode(_ change: (inout [String: String], inout [String: Tensor]) -> Void) throws -> Checkpoint {
            var m = meta, t = tensors
            change(&m, &t)
            return try Checkpoint.decode(SafeTensors.decode(SafeTensors.encode(t, metadata: m), file: "c.safetensors"), file: "c.safetensors")
        }
        _ = try decode { _, _ in }
        for bad in ["nan", "inf", "1e300", "x"] {
            #expect(throws: DataError.self) { _ = try decode { m, _ in m["gradus.optimizer.group.0.lr"] = bad } }
        }
        #expect(throws: DataError.self) { _ = try decode { m, _ in m["gradus.epoch"] = "-1" } }
        #expect(throws: DataError.self) { _ = try decode { m, _ in m["gradus.step"] = "99999999999999999999" } }

        let features = 3
        #expect(throws: DataError.self) {
            _ = try Standardizer.validated(mean: Tensor([0, 0]), scale: Tensor([1, 1]), features: features, source: "c")
        }
        #expect(throws: DataError.self) {
            _ = try Standardizer.validated(mean: Tensor([0, .nan, 0]), scale: Tensor([1, 1, 1]), features: features, source: "c")
        }
        #expect(throws: DataError.self) {
            _ = try Standardizer.validated(mean: Tensor([0, 0, 0]), scale: Tensor([1, 0, 1]), features: features, source: "c")
        }
        let s = try Standardizer.validated(mean: Tensor([0, 1, 2]), scale: Tensor([1, 2, 3]), features: features, source: "c")
        #expect(s.scale.scalars() == [1, 2, 3])
    }

    @Test("an optimizer refuses a fractional, negative or huge step count in its state")
    func optimizerSteps() throws {
        let w = Tensor([1.0]).requiringGrad()
        let optimizer = Adam([w], lr: 0.1)
        w.grad = Tensor([1.0])
        optimizer.step()
        var state = optimizer.stateDict()
        for bad in [-1.0, 2.5, 1e300, .nan] {
            state.scalars["state.0.step"] = bad
            #expect(throws: OptimizerStateError.self) { try optimizer.loadStateDict(state) }
        }
    }
}

extension CheckpointValidationTests {
    @Test("a trained model evaluated on data that does not fit throws instead of stopping")
    func evaluateThrows() throws {
        let dir = try temporaryFolder("evaluate-throws")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try writeBlobsCSV(to: dir + "/blobs.csv")
        let config = RunConfig(data: DataSpec(format: .csv, path: dir + "/blobs.csv", target: "label", standardize: true),
                               model: ModelSpec(architecture: .mlp, inputShape: [], hidden: [4], outputs: 0),
                               task: .classify, epochs: 1, batchSize: 16)
        try TrainingRun(config: config, outputDirectory: dir + "/out").run()
        let trained = try TrainedModel.load(dir + "/out/checkpoint.safetensors")
        let features = trained.config.model.inputFeatures, classes = trained.config.model.outputs
        #expect(throws: GradusError.self) {
            _ = try trained.evaluate(TensorDataset(Tensor.zeros([3, features + 1]), Tensor(labels: [0, 1, 0])))
        }
        #expect(throws: GradusError.self) {
            _ = try trained.evaluate(TensorDataset(Tensor.zeros([2, features]), Tensor(labels: [0, classes])))
        }
        #expect(try trained.evaluate(TensorDataset(Tensor.zeros([2, features]), Tensor(labels: [0, 1]))).accuracy != nil)
    }
}
