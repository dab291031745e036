import ArgumentParser
import Foundation
import Gradus
import GradusCommands
import Testing

@Suite("gradus tune")
struct TuneCommandTests {
    @Test("defaults: TPE, median pruning, 20 trials, 20% validation, the base configuration of gradus train with 10 epochs")
    func defaults() throws {
        let tune = try Tune.parse([])
        #expect(tune.sampler == .tpe && tune.pruner == .median && tune.trials == 20 && tune.validationFraction == 0.2)
        #expect(tune.timeLimit == nil && !tune.resume && tune.out == nil)
        let settings = try tune.settings()
        #expect(settings.base == (try Train.parse(["--epochs", "10"]).runConfig()))
        #expect(settings.space.names == ["lr", "hidden", "batch-size"])
        #expect(settings.sampler == .tpe() && settings.pruner == .median() && settings.seed == 0)
        let asha = try Tune.parse(["--sampler", "grid", "--grid-points", "3", "--pruner", "asha", "--seed", "4", "--model", "linear"]).settings()
        #expect(asha.sampler == .grid(pointsPerDimension: 3) && asha.pruner == .asha() && asha.seed == 4 && asha.base.seed == 4)
        #expect(asha.space.names == ["lr", "batch-size"])
        #expect(try Tune.parse(["--pruner", "none"]).settings().pruner == .off)
    }

    @Test("--space flags and --space-file give the search space")
    func space() throws {
        let flags = try Tune.parse(["--space", "lr=loguniform:1e-4:1e-1", "--space", "optimizer=choice:sgd,adam",
                                    "--space", "epochs=int:3:10"]).searchSpace()
        #expect(flags == (try SearchSpace.parse(["lr=loguniform:1e-4:1e-1", "optimizer=choice:sgd,adam", "epochs=int:3:10"])))
        let dir = try temporaryFolder("space")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try writeCSV([#"{"parameters": [{"name": "lr", "type": "loguniform", "low": 0.0001, "high": 0.1},"#,
                      #" {"name": "batch-size", "type": "choice", "values": [16, 32]}]}"#], to: dir + "/space.json")
        let file = try Tune.parse(["--space-file", dir + "/space.json"]).searchSpace()
        #expect(file == (try SearchSpace.parse(["lr=loguniform:1e-4:1e-1", "batch-size=choice:16,32"])))
    }

    @Test(arguments: [
        ["--trials", "0"], ["--time-limit", "-1"], ["--time-limit", "nan"], ["--validation-fraction", "1"],
        ["--space", "lr=loguniform:0:1"], ["--space", "nonsense"], ["--sampler", "bayes"], ["--pruner", "hyperband"],
        ["--space", "lr=uniform:0:1", "--space-file", "/tmp/x.json"], ["--space-file", "/nonexistent.json"],
        ["--grid-points", "0"], ["--epochs", "0"], ["--batch-size", "0"], ["--lr", "-1"], ["--momentum", "1"],
    ])
    func rejectsBadArguments(_ args: [String]) {
        #expect(throws: (any Error).self) { try Tune.parse(args) }
    }

    @Test("messages name the problem")
    func messages() {
        do {
            _ = try Tune.parse(["--space", "lr=loguniform:0:1"])
            Issue.record("accepted")
        } catch {
            #expect(Tune.message(for: error).contains("log-uniform low bound must be positive"))
        }
        do {
            _ = try Tune.parse(["--trials", "0"])
            Issue.record("accepted")
        } catch {
            #expect(Tune.message(for: error).contains("--trials must lie in"))
        }
    }

    @Test("a parameter a training run cannot take is refused before any trial, by name")
    func unknownParameter() throws {
        let dir = try temporaryFolder("tune-unknown")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try writeCSV(blobRows(40), to: dir + "/blobs.csv")
        do {
            try Tune.parse(["--data", dir + "/blobs.csv", "--target", "label", "--space", "dropout=uniform:0:0.5",
                            "--out", dir + "/study"]).execute(console: Capture().console)
            Issue.record("accepted")
        } catch let e as TrainingError {
            #expect(e.message.contains("dropout"))
        }
        #expect(!FileManager.default.fileExists(atPath: dir + "/study/study.jsonl"))
    }

    /// A small study through the command: 4 trials of 2 epochs on a CSV of two blobs.
    @Test("end to end: results.csv, study.svg, best checkpoint, and a command line that gradus train accepts")
    func endToEnd() throws {
        let dir = try temporaryFolder("tune")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try writeCSV(blobRows(60), to: dir + "/blobs.csv")
        let out = Capture()
        let args = ["--data", dir + "/blobs.csv", "--target", "label", "--trials", "4", "--epochs", "2", "--hidden", "8",
                    "--space", "lr=loguniform:1e-3:3e-1", "--space", "hidden=choice:4,8", "--seed", "2", "--out", dir + "/study"]
        let result = try Tune.parse(args).execute(console: out.console)
        #expect(result.trials.count == 4)
        for name in ["study.jsonl", "results.csv", "study.svg", "best/checkpoint.safetensors", "best/command.txt"] {
            #expect(FileManager.default.fileExists(atPath: dir + "/study/" + name), "\(name)")
        }
        let rows = try String(contentsOfFile: dir + "/study/results.csv", encoding: .utf8).split(separator: "\n")
        #expect(rows.count == 5 && rows[0].hasPrefix("trial,state,lr,hidden,score"))
        let text = out.text
        #expect(text.hasPrefix("gradus tune: tpe sampler, pruner median, 4 trials"))
        #expect((1...4).allSatisfy { text.contains("[\($0)/4] trial \($0 - 1)  ") })
        #expect(text.contains("best trial \(result.best!.number): validation accuracy "))
        #expect(text.contains("test accuracy: ") && text.contains("test loss: "))
        let lines = text.split(separator: "\n").map(String.init)
        let reproduce = try #require(lines.first { $0.hasPrefix("reproduce: gradus train ") })
        #expect(reproduce == "reproduce: " + result.command!)
        // The command reproduces the retrained configuration exactly.
        let arguments = try #require(result.commandArguments)
        let train = try Train.parse(arguments)
        #expect(try train.runConfig() == result.bestConfig)
        let command = try String(contentsOfFile: dir + "/study/best/command.txt", encoding: .utf8)
        #expect(command == result.command! + "\n")

        // --resume on the finished study reports it again without training; more trials are refused.
        let again = Capture()
        let same = try Tune.parse(["--resume", "--out", dir + "/study", "--trials", "4"]).execute(console: again.console)
        #expect(same.test == result.test && again.text.contains("resuming the study"))
        #expect(throws: TrainingError.self) {
            try Tune.parse(["--resume", "--out", dir + "/study", "--trials", "5"]).execute(console: Capture().console)
        }
        // A new study in the same folder is refused.
        #expect(throws: TrainingError.self) { try Tune.parse(args).execute(console: Capture().console) }
        // Resuming where there is no study is an error.
        #expect(throws: TrainingError.self) {
            try Tune.parse(["--resume", "--out", dir + "/none"]).execute(console: Capture().console)
        }
    }
}
