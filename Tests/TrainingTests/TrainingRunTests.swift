import Foundation
import Gradus
import Testing

@Suite struct TrainingRunTests {
    func blobsConfig(_ csv: String, optimizer: OptimizerSpec, schedule: ScheduleSpec, epochs: Int) -> RunConfig {
        RunConfig(data: DataSpec(format: .csv, path: csv, target: "label", standardize: true),
                  model: ModelSpec(architecture: .mlp, inputShape: [], hidden: [8], outputs: 0),
                  task: .classify, optimizer: optimizer, schedule: schedule, epochs: epochs, batchSize: 16,
                  seed: 3, saveEvery: 1)
    }

    /// A run resumed from its epoch-2 checkpoint ends bit-identical to the uninterrupted run, for a
    /// per-epoch schedule with Adam and a per-batch schedule with SGD momentum.
    @Test(arguments: [(OptimizerSpec(kind: .adam), ScheduleSpec.cosine),
                      (OptimizerSpec(kind: .sgd, learningRate: 0.05, momentum: 0.9), ScheduleSpec.onecycle)])
    func resumeIsBitIdentical(optimizer: OptimizerSpec, schedule: ScheduleSpec) throws {
        let dir = try temporaryFolder("resume")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let csv = dir + "/blobs.csv"
        try writeBlobsCSV(to: csv)
        let full = try TrainingRun(config: blobsConfig(csv, optimizer: optimizer, schedule: schedule, epochs: 4),
                                   outputDirectory: dir + "/full")
        let fullHistory = try full.run()
        #expect(fullHistory.count == 4)

        let resumed = try TrainingRun(resuming: dir + "/full/epoch-2.safetensors", outputDirectory: dir + "/resumed")
        #expect(resumed.trainer.epoch == 2)
        #expect(resumed.history.count == 2)
        let resumedHistory = try resumed.run()
        #expect(resumedHistory.count == 4)
        #expect(bytes(resumed.model.stateDict()) == bytes(full.model.stateDict()))
        #expect(resumed.trainer.step == full.trainer.step)
        #expect(resumed.trainer.optimizer.learningRate == full.trainer.optimizer.learningRate)
        #expect(resumedHistory.map(\.trainLoss) == fullHistory.map(\.trainLoss))
        #expect(resumedHistory.map(\.testAccuracy) == fullHistory.map(\.testAccuracy))
        // The optimizer's buffers match too.
        let a = resumed.trainer.optimizer.stateDict(), b = full.trainer.optimizer.stateDict()
        #expect(a.scalars == b.scalars)
        #expect(bytes(a.tensors) == bytes(b.tensors))
        // A run resumed from epoch 2 without the later epochs is not already equal (the test can fail).
        let partial = try TrainingRun(resuming: dir + "/full/epoch-2.safetensors", outputDirectory: nil)
        #expect(bytes(partial.model.stateDict()) != bytes(full.model.stateDict()))
    }

    /// The seed problem from a CSV: a single Linear layer learns y = 2x + 1.
    @Test func linearRegressionFromCSV() throws {
        let dir = try temporaryFolder("linreg")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try writeLineCSV(to: dir + "/line.csv")
        let config = RunConfig(data: DataSpec(format: .csv, path: dir + "/line.csv", target: "y"),
                               model: ModelSpec(architecture: .linear, inputShape: [], outputs: 0), task: .regress,
                               optimizer: OptimizerSpec(kind: .sgd, learningRate: 0.1), schedule: .none, epochs: 60,
                               batchSize: 16)
        let run = try TrainingRun(config: config, outputDirectory: dir + "/out")
        try run.run()
        let state = run.model.stateDict()
        #expect(abs(Double(state["0.weight"]!.item()) - 2) < 1e-3)
        #expect(abs(Double(state["0.bias"]!.item()) - 1) < 1e-3)
        let result = run.evaluate()
        #expect(result.loss < 1e-5)
        #expect(result.summaryLines.count == 1 && result.summaryLines[0].hasPrefix("test mse: "))
        // The outputs exist and the checkpoint rebuilds the model.
        for name in ["checkpoint.safetensors", "metrics.csv", "metrics.svg", "config.json"] {
            #expect(FileManager.default.fileExists(atPath: dir + "/out/" + name), "missing \(name)")
        }
        let trained = try TrainedModel.load(dir + "/out/checkpoint.safetensors")
        let y = trained.predict(try trained.prepare(Tensor([[0.5]]))).item(Double.self)
        #expect(abs(y - 2.0) < 1e-3)
    }

    /// The default configuration learns the digits: a few epochs already pass 90%.
    @Test func digitsDefaultConfigurationLearns() throws {
        var config = RunConfig()
        config.epochs = 4
        let run = try TrainingRun(config: config, outputDirectory: nil)
        #expect(run.data.train.count == 1437 && run.data.test.count == 360)
        #expect(run.config.model.inputShape == [64] && run.config.model.outputs == 10)
        let history = try run.run()
        #expect(history.count == 4)
        #expect(history.last!.trainLoss < history.first!.trainLoss)
        let result = run.evaluate()
        #expect(result.accuracy! > 0.9)
        #expect(result.confusion!.total == 360)
        #expect(result.summaryLines[0].hasPrefix("test accuracy: ") && result.summaryLines[0].hasSuffix("%"))
        #expect(result.summaryLines[1].hasPrefix("test loss: "))
    }

    @Test func badConfigurationsThrowClearErrors() throws {
        var config = RunConfig()
        config.model = ModelSpec(architecture: .lenet, inputShape: [], outputs: 0)
        #expect(throws: TrainingError.self) { try TrainingRun(config: config, outputDirectory: nil) }
        config = RunConfig(data: DataSpec(format: .csv, path: "/nonexistent/x.csv", target: "y"))
        #expect(throws: DataError.self) { try TrainingRun(config: config, outputDirectory: nil) }
        config = RunConfig()
        config.batchSize = 0
        #expect(throws: TrainingError.self) { try TrainingRun(config: config, outputDirectory: nil) }
        #expect(throws: DataError.self) { try TrainingRun(resuming: "/nonexistent/checkpoint.safetensors") }
    }
}
