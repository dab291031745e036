import Foundation
import Gradus
import Testing

/// `--standardize-target`: a regression on targets in the thousands trains on standardized targets and
/// predicts in data units.
@Suite struct TargetStandardizationTests {
    @Test("targets y = 1000x + 5000 are learned through standardization and predicted in data units")
    func standardizedTargets() throws {
        let dir = try temporaryFolder("target-std")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var rng = SeededGenerator(seed: 2)
        var lines = ["x,y"]
        for _ in 0..<200 {
            let x = 4 * rng.nextUnit() - 2
            lines.append("\(x),\(1000 * x + 5000)")
        }
        try (lines.joined(separator: "\n") + "\n").write(toFile: dir + "/big.csv", atomically: true, encoding: .utf8)
        var data = DataSpec(format: .csv, path: dir + "/big.csv", target: "y")
        data.standardizeTarget = true
        let config = RunConfig(data: data, model: ModelSpec(architecture: .linear, inputShape: [], outputs: 0), task: .regress,
                               optimizer: OptimizerSpec(kind: .sgd, learningRate: 0.1), schedule: .none, epochs: 40, batchSize: 16)
        let run = try TrainingRun(config: config, outputDirectory: dir + "/out")
        let trainTargets = run.data.train.targets.scalars(as: Double.self)
        #expect(abs(trainTargets.reduce(0, +) / Double(trainTargets.count)) < 1e-3)   // standardized
        try run.run()
        let trained = try TrainedModel.load(dir + "/out/checkpoint.safetensors")
        #expect(trained.targetStandardizer != nil)
        let predicted = trained.predict(try trained.prepare(Tensor([[0.5], [-1.0]]))).scalars(as: Double.self)
        #expect(abs(predicted[0] - 5500) < 5 && abs(predicted[1] - 4000) < 5, "\(predicted)")
        // The reported losses are in standardized units: far below the data's variance of about 1.3e6.
        #expect(run.history.last!.testLoss! < 0.01)
    }
}
