import Foundation
import Gradus

/// The code of the DocC article "Choosing hyperparameters", compiled (not run) so that it stays true.
enum ChoosingHyperparametersSnippets {
    static func rangeTest(config: RunConfig) throws -> RunConfig {
        let run = try TrainingRun(config: config, outputDirectory: nil)
        let found = try run.findLearningRate(LRFinder(startLR: 1e-6, endLR: 1, steps: 100))
        try found.svg().write(toFile: "lr-find.svg", atomically: true, encoding: .utf8)
        var tuned = config
        tuned.optimizer.learningRate = found.suggested
        return tuned
    }

    static func earlyStopping() throws {
        var config = RunConfig(schedule: .plateau, epochs: 200)
        config.earlyStopping = EarlyStopping(patience: 5, monitor: .loss, minDelta: 1e-3, validationFraction: 0.1)
        let run = try TrainingRun(config: config, outputDirectory: "runs/es")
        try run.run()
        print(run.stoppedEarly.map { "kept epoch \($0.best)" } ?? "ran all epochs", run.evaluate().summaryLines)
    }

    static func search() throws {
        let space = try SearchSpace.parse(["lr=loguniform:1e-4:1e-1", "hidden=choice:64,128,256", "batch-size=choice:16,32,64"])
        var base = RunConfig()
        base.epochs = 5
        let tuner = try Tuner(settings: StudySettings(space: space, base: base, seed: 0), directory: "runs/tune")
        let result = try tuner.run(trials: 20)
        print(result.command ?? "no trial finished")
    }

    static func parallelSearch(space: SearchSpace, base: RunConfig) throws {
        let parallel = try Tuner(settings: StudySettings(space: space, base: base, seed: 0), directory: "runs/tune-parallel")
        parallel.workers = TrialWorkers(count: 2)   // this executable's `tune-worker` subcommand
        let found = try parallel.run(trials: 20)
        print(found.best?.number ?? -1)
    }
}
