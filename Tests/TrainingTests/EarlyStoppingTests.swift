import Foundation
import Gradus
import Testing

/// Early stopping on a validation part carved from the training data, keeping the best weights, and
/// ReduceLROnPlateau from the run configuration; both resume exactly.
@Suite struct EarlyStoppingTests {
    func config(_ csv: String, epochs: Int, schedule: ScheduleSpec = .none, patience: Int = 2, minDelta: Double = 0.01) -> RunConfig {
        var c = RunConfig(data: DataSpec(format: .csv, path: csv, target: "label", standardize: true),
                          model: ModelSpec(architecture: .mlp, inputShape: [], hidden: [16], outputs: 0),
                          task: .classify, optimizer: OptimizerSpec(kind: .adam, learningRate: 0.05), schedule: schedule,
                          epochs: epochs, batchSize: 8, seed: 9, saveEvery: 1)
        c.earlyStopping = EarlyStopping(patience: patience, monitor: .loss, minDelta: minDelta, validationFraction: 0.25)
        return c
    }

    @Test("stops after `patience` epochs without improvement, keeps the best epoch's weights, never looks at the test part")
    func stopsAndKeepsBest() throws {
        let dir = try temporaryFolder("early")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try writeBlobsCSV(to: dir + "/blobs.csv", count: 200)
        let run = try TrainingRun(config: config(dir + "/blobs.csv", epochs: 200), outputDirectory: dir + "/out")
        var plain = config(dir + "/blobs.csv", epochs: 1)
        plain.earlyStopping = nil
        let withoutValidation = try TrainingRun(config: plain, outputDirectory: nil)
        // The validation part comes out of the training part; the test part is the same.
        #expect(run.validation!.count == 40 && run.data.train.count == 120)
        #expect(withoutValidation.data.train.count == 160 && run.data.test.count == withoutValidation.data.test.count)

        let history = try run.run()
        let stopped = try #require(run.stoppedEarly)
        #expect(history.count == stopped.epoch && stopped.epoch < 200 && stopped.epoch - stopped.best == 2)
        // The kept weights are those of the best validation epoch (saved then as epoch-N).
        let best = try Checkpoint.load(dir + "/out/epoch-\(stopped.best).safetensors")
        #expect(bytes(run.model.stateDict()) == bytes(best.model))
        // The best epoch improved on every earlier one by more than minDelta; none after it did.
        let losses = history.compactMap(\.testLoss)
        #expect(losses[(stopped.best)...].allSatisfy { $0 > losses[stopped.best - 1] - 0.01 })
        #expect(bytes(try Checkpoint.load(dir + "/out/checkpoint.safetensors").model) == bytes(best.model))
    }

    @Test("a run with early stopping and a plateau schedule resumes bit-identically from an epoch checkpoint")
    func resumeWithStateful() throws {
        let dir = try temporaryFolder("early-resume")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try writeBlobsCSV(to: dir + "/blobs.csv", count: 200)
        let full = try TrainingRun(config: config(dir + "/blobs.csv", epochs: 12, schedule: .plateau, patience: 4),
                                   outputDirectory: dir + "/full")
        let fullHistory = try full.run()
        let resumed = try TrainingRun(resuming: dir + "/full/epoch-3.safetensors", outputDirectory: dir + "/resumed")
        let resumedHistory = try resumed.run()
        #expect(bytes(resumed.model.stateDict()) == bytes(full.model.stateDict()))
        #expect(resumedHistory.map(\.learningRate) == fullHistory.map(\.learningRate))
        #expect(resumedHistory.map(\.testLoss) == fullHistory.map(\.testLoss))
        #expect(resumed.stoppedEarly?.epoch == full.stoppedEarly?.epoch)
    }

    @Test("ReduceLROnPlateau's counters survive a checkpoint; bad state texts are refused")
    func plateauState() {
        let w = Tensor([1.0]).requiringGrad()
        let optimizer = SGD([w], lr: 1)
        let a = ReduceLROnPlateau(optimizer, factor: 0.5, patience: 1)
        for loss in [1.0, 0.5, 0.6, 0.7] { a.step(loss) }
        #expect(optimizer.learningRate == 0.5)
        let b = ReduceLROnPlateau(SGD([Tensor([1.0]).requiringGrad()], lr: 1), factor: 0.5, patience: 1)
        #expect(b.restore(stateText: a.stateText))
        #expect(b.best == a.best && b.badEpochs == a.badEpochs && b.lastEpoch == a.lastEpoch)
        for bad in ["", "nan,0,0,0", "1,-1,0,0", "1,0,0"] { #expect(!b.restore(stateText: bad), "\(bad)") }
    }

    @Test("bad early-stopping settings are refused")
    func validation() {
        for rule in [EarlyStopping(patience: 0), EarlyStopping(patience: 2, minDelta: -1), EarlyStopping(patience: 2, validationFraction: 1)] {
            #expect(throws: TrainingError.self) { try rule.validate(task: .classify) }
        }
        #expect(throws: TrainingError.self) { try EarlyStopping(patience: 2, monitor: .accuracy).validate(task: .regress) }
    }
}
