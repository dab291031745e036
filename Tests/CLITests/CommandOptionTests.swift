import ArgumentParser
import Foundation
import Gradus
import GradusCommands
import Testing

/// `--split-seed`, `--test-data`, `predict --output csv|json`, explain's completeness line, `--max-memory`,
/// and explain refusing to write over its inputs.
@Suite struct CommandOptionTests {
    @Test("--test-data trains on all of --data; --split-seed is kept apart from --seed")
    func testDataAndSplitSeed() throws {
        let dir = try temporaryFolder("options")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try writeCSV(blobRows(60), to: dir + "/train.csv")
        try writeCSV(Array(blobRows(21).prefix(21)), to: dir + "/test.csv")
        let config = try Train.parse(["--data", dir + "/train.csv", "--target", "label", "--test-data", dir + "/test.csv",
                                      "--seed", "7", "--split-seed", "3"]).runConfig()
        #expect(config.data.splitSeed == 3 && config.seed == 7 && config.data.testPath == dir + "/test.csv")
        let data = try config.data.load(task: .classify)
        #expect(data.train.count == 60 && data.test.count == 20)
        #expect(try Train.parse(["--seed", "7"]).runConfig().data.splitSeed == 7)
        #expect(throws: (any Error).self) { _ = try Train.parse(["--test-data", dir + "/test.csv"]).runConfig() }
    }

    @Test("predict --output csv and json print every row with round-trip precision; explain prints completeness")
    func machineReadableOutput() throws {
        let dir = try temporaryFolder("predict-output")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try writeCSV(blobRows(80), to: dir + "/blobs.csv")
        try Train.parse(["--data", dir + "/blobs.csv", "--target", "label", "--epochs", "2", "--hidden", "8", "--quiet",
                         "--out", dir + "/run"]).execute(console: Capture().console)
        let checkpoint = dir + "/run/checkpoint.safetensors"
        let csv = Capture()
        let probabilities = try Predict.parse(["--checkpoint", checkpoint, "--input", dir + "/blobs.csv", "--output", "csv", "--limit", "3"])
            .execute(console: csv.console)
        let lines = csv.text.split(separator: "\n")
        #expect(lines.first == "row,class,p0,p1" && lines.count == 81)
        let first = lines[1].split(separator: ",").map(String.init)
        #expect(Float(Double(first[2])!) == probabilities.scalars()[0])
        let json = Capture()
        try Predict.parse(["--checkpoint", checkpoint, "--input", dir + "/blobs.csv", "--output", "json"]).execute(console: json.console)
        let parsed = try JSONSerialization.jsonObject(with: Data(json.text.utf8)) as? [[String: Any]]
        #expect(parsed?.count == 80 && parsed?[0]["class"] != nil)

        let explained = Capture()
        try ExplainCommand.parse(["--checkpoint", checkpoint, "--index", "0", "--out", dir + "/e.svg", "--steps", "200"])
            .execute(console: explained.console)
        #expect(explained.text.contains("f(x) = ") && explained.text.contains("completeness gap"))
        #expect(throws: (any Error).self) { _ = try ExplainCommand.parse(["--checkpoint", checkpoint, "--index", "0", "--out", checkpoint]) }
        #expect(throws: (any Error).self) { _ = try ExplainCommand.parse(["--checkpoint", checkpoint, "--index", "0", "--steps", "1000000000"]) }
    }

    @Test("--max-memory parses sizes and bounds what a model may take")
    func maxMemory() throws {
        let saved = MemoryBudget.bytes
        defer { MemoryBudget.bytes = saved }
        #expect(throws: (any Error).self) { _ = try Train.parse(["--max-memory", "12x"]) }
        #expect(throws: (any Error).self) { _ = try Train.parse(["--max-memory", "99999999999999999999G"]) }
        let dir = try temporaryFolder("budget")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        do {
            try Train.parse(["--hidden", "2000000", "--max-memory", "64M", "--out", dir + "/run", "--epochs", "1"])
                .execute(console: Capture().console)
            Issue.record("a 256M-parameter model was built under a 64 MiB budget")
        } catch let error as DataError {
            #expect(error.kind == .tooLarge && error.message.contains("--max-memory"), "\(error)")
        }
    }
}

@Suite struct LearningRateOptionTests {
    @Test("--lr takes a number or auto; lr-find writes its plot and prints a suggestion")
    func autoLearningRate() throws {
        #expect(try Train.parse(["--lr", "auto"]).lr == .auto)
        #expect(try Train.parse(["--lr", "0.5"]).runConfig().optimizer.learningRate == 0.5)
        #expect(throws: (any Error).self) { _ = try Train.parse(["--lr", "fast"]) }
        #expect(throws: (any Error).self) { _ = try Train.parse(["--lr", "auto", "--resume", "/nonexistent"]) }
        let dir = try temporaryFolder("lr-find")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try writeCSV(blobRows(120), to: dir + "/blobs.csv")
        let out = Capture()
        let result = try LRFind.parse(["--data", dir + "/blobs.csv", "--target", "label", "--hidden", "8", "--steps", "60",
                                       "--out", dir + "/lr.svg"]).execute(console: out.console)
        #expect(FileManager.default.fileExists(atPath: dir + "/lr.svg"))
        #expect(out.text.contains("suggested learning rate: \(String(format: "%.3g", result.suggested))"))
        let auto = Capture()
        try Train.parse(["--data", dir + "/blobs.csv", "--target", "label", "--hidden", "8", "--lr", "auto", "--epochs", "2",
                         "--out", dir + "/run"]).execute(console: auto.console)
        #expect(auto.text.contains("--lr auto: the range test suggests"))
        let saved = try RunConfig.decode(json: try Checkpoint.load(dir + "/run/checkpoint.safetensors").metadata["config"]!)
        #expect(saved.optimizer.learningRate > 0 && saved.optimizer.learningRate != OptimizerSpec(kind: .adam).learningRate)
    }
}
