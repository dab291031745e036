import Foundation
import Gradus
import Testing
#if canImport(FoundationXML)
import FoundationXML
#endif

/// The learning-rate range test.
@Suite struct LRFinderTests {
    @Test("the test leaves the model, optimizer and random state as they were, and suggests a rate that trains")
    func rangeTest() throws {
        // On a private default generator: the process-wide one is drawn from by tests running alongside.
        try Random.withSeed(7) { try rangeTestBody() }
    }

    func rangeTestBody() throws {
        let config = RunConfig(data: DataSpec(format: .digits, standardize: true),
                               model: ModelSpec(architecture: .mlp, inputShape: [], hidden: [16], outputs: 0),
                               task: .classify, optimizer: OptimizerSpec(kind: .sgd, learningRate: 0.01, momentum: 0.9),
                               schedule: .none, epochs: 3, batchSize: 16, seed: 1)
        let run = try TrainingRun(config: config, outputDirectory: nil)
        let before = bytes(run.model.stateDict()), randomBefore = Random.state
        let result = try run.findLearningRate(LRFinder(startLR: 1e-5, endLR: 100, steps: 120))
        #expect(bytes(run.model.stateDict()) == before && Random.state == randomBefore)
        #expect(run.trainer.optimizer.learningRate == 0.01 && run.trainer.optimizer.stateDict().tensors.isEmpty)
        // The curve: exponential rates, a divergence at the high end, suggestions inside the range.
        let r = result.learningRates
        #expect(r.first == 1e-5 && zip(r, r.dropFirst()).allSatisfy { abs($1 / $0 - pow(1e7, 1.0 / 119)) < 1e-9 })
        #expect(result.diverged && r.count < 120)
        #expect(result.suggested > 1e-5 && result.suggested < r.last!)
        let lowest = result.smoothedLosses.indices.min { result.smoothedLosses[$0] < result.smoothedLosses[$1] }!
        #expect(result.minimumOverTen == r[lowest] / 10 && result.suggested == min(result.steepest, result.minimumOverTen))
        #expect(XMLParser(data: Data(result.svg().utf8)).parse())
        // Rates a caller set to 0, a negative or NaN are left off the logarithmic axis, not trapped on.
        var edited = result
        edited.learningRates[0] = 0
        edited.learningRates[1] = -1
        edited.learningRates[2] = .nan
        edited.suggested = 0
        let plot = edited.svg()
        #expect(XMLParser(data: Data(plot.utf8)).parse())
        #expect(!plot.contains("inf") && !plot.contains("nan") && !plot.contains("suggested"))
        // The suggestion trains: three epochs reach a low loss.
        var tuned = config
        tuned.optimizer.learningRate = result.suggested
        let trained = try TrainingRun(config: tuned, outputDirectory: nil)
        let history = try trained.run()
        #expect(history.last!.trainLoss < history.first!.trainLoss && history.last!.testAccuracy! > 0.9)
    }

    @Test("bad settings are refused")
    func settings() {
        for finder in [LRFinder(startLR: 0), LRFinder(startLR: 1, endLR: 0.5), LRFinder(steps: 1), LRFinder(steps: 20_000),
                       LRFinder(beta: 1), LRFinder(divergenceFactor: 1)] {
            #expect(throws: TrainingError.self) { try finder.validate() }
        }
        // A batch size of 0 and samples that do not batch together are errors, not stops.
        let model = Linear(2, 2)
        let data = TensorDataset(Tensor.ones([4, 2]), Tensor(labels: [0, 1, 0, 1]))
        #expect(throws: TrainingError.self) {
            try LRFinder().run(model: model, optimizer: SGD(model.parameters(), lr: 0.1), data: data, task: .classify, batchSize: 0)
        }
        #expect(throws: GradusError.self) {
            try LRFinder(steps: 4).run(model: model, optimizer: SGD(model.parameters(), lr: 0.1), data: RaggedSamples(),
                                       task: .classify, batchSize: 2)
        }
    }
}

/// Samples whose shapes differ: no two of them batch together.
private struct RaggedSamples: Dataset {
    var count: Int { 4 }
    func sample(at index: Int) -> (input: Tensor, target: Tensor) {
        (Tensor.ones([index + 1]), Tensor(labels: [0]).reshape([]))
    }
}

