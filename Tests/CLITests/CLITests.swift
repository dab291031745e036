import ArgumentParser
import Foundation
import Gradus
import GradusCommands
import Testing

final class Capture: @unchecked Sendable {
    private let lock = NSLock()
    private var buffer = ""
    var text: String { lock.lock(); defer { lock.unlock() }; return buffer }
    var console: Console {
        Console(isTerminal: false) { [self] s in lock.lock(); buffer += s; lock.unlock() }
    }
}

func temporaryFolder(_ tag: String) throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("gradus-cli-\(tag)-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

func writeCSV(_ lines: [String], to path: String) throws {
    try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
}

/// Two well-separated classes in 3 features.
func blobRows(_ n: Int) -> [String] {
    var rng = SeededGenerator(seed: 4)
    return ["f1,f2,f3,label"] + (0..<n).map { i in
        let c = i % 2
        let v = (0..<3).map { _ in Double(c) * 3 + rng.nextUnit() }
        return "\(v[0]),\(v[1]),\(v[2]),\(c)"
    }
}

@Suite struct ParsingTests {
    @Test func trainDefaults() throws {
        let train = try Train.parse([])
        let config = try train.runConfig()
        #expect(config == RunConfig())
        #expect(train.out == nil && train.resume == nil && train.threads == nil)
    }

    @Test func trainOptions() throws {
        let train = try Train.parse(["--data", "/tmp", "--format", "mnist", "--model", "mlp", "--hidden", "256,128",
                                     "--optimizer", "sgd", "--lr", "0.05", "--momentum", "0.8", "--weight-decay", "0.001",
                                     "--schedule", "onecycle", "--epochs", "3", "--batch-size", "64", "--seed", "7",
                                     "--threads", "1", "--out", "/tmp/x"])
        let c = try train.runConfig()
        #expect(c.data.format == .mnist && c.data.path == "/tmp")
        #expect(c.model.architecture == .mlp && c.model.hidden == [256, 128])
        #expect(c.optimizer == OptimizerSpec(kind: .sgd, learningRate: 0.05, momentum: 0.8, weightDecay: 0.001))
        #expect(c.schedule == .onecycle && c.epochs == 3 && c.batchSize == 64 && c.seed == 7)
        #expect(try Train.parse(["--hidden", ""]).runConfig().model.hidden == [])
        #expect(try Train.parse(["--optimizer", "sgd"]).runConfig().optimizer.momentum == 0.9)
    }

    @Test(arguments: [
        ["--batch-size", "0"], ["--epochs", "0"], ["--hidden", "12,abc"], ["--model", "resnet"],
        ["--optimizer", "lbfgs"], ["--lr", "-1"], ["--momentum", "1.5"], ["--threads", "0"], ["--format", "parquet"],
        ["--resume", "/nonexistent.safetensors"], ["--unknown"], ["--test-fraction", "1"],
    ])
    func trainRejectsBadArguments(_ args: [String]) {
        #expect(throws: (any Error).self) { try Train.parse(args) }
    }

    @Test func otherCommandsRejectBadArguments() {
        #expect(throws: (any Error).self) { try Evaluate.parse([]) }
        #expect(throws: (any Error).self) { try Evaluate.parse(["--checkpoint", "/nonexistent"]) }
        #expect(throws: (any Error).self) { try Predict.parse(["--checkpoint", "/nonexistent", "--input", "/x.csv"]) }
        #expect(throws: (any Error).self) { try ExplainCommand.parse(["--checkpoint", "/nonexistent"]) }
        // The messages name the problem.
        do {
            _ = try Train.parse(["--batch-size", "0"])
        } catch {
            #expect(Train.message(for: error).contains("--batch-size must be at least 1"))
        }
    }
}

@Suite struct EndToEndTests {
    /// train → evaluate → predict → explain on a small CSV, and errors for bad files.
    @Test func classificationWorkflow() throws {
        let dir = try temporaryFolder("flow")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try writeCSV(blobRows(60), to: dir + "/blobs.csv")
        let out = Capture()
        let result = try Train.parse(["--data", dir + "/blobs.csv", "--target", "label", "--epochs", "30",
                                      "--hidden", "8", "--out", dir + "/run"]).execute(console: out.console)
        #expect(result.accuracy! > 0.9)
        let lines = out.text.split(separator: "\n").map(String.init)
        #expect(lines.count == 1 + 30 + 1 + 2)
        #expect(lines[lines.count - 2].hasPrefix("test accuracy: ") && lines.last!.hasPrefix("test loss: "))
        let ckpt = dir + "/run/checkpoint.safetensors"

        let ev = Capture()
        let e = try Evaluate.parse(["--checkpoint", ckpt]).execute(console: ev.console)
        #expect(e.accuracy == result.accuracy && e.loss == result.loss)
        #expect(ev.text.contains("confusion matrix:") && ev.text.hasSuffix(lines.suffix(2).joined(separator: "\n") + "\n"))

        // predict: columns matched by name (reordered, target dropped).
        try writeCSV(["f3,label,f2,f1", "3.5,1,3.5,3.5", "0.5,0,0.5,0.5"], to: dir + "/in.csv")
        let pr = Capture()
        let p = try Predict.parse(["--checkpoint", ckpt, "--input", dir + "/in.csv"]).execute(console: pr.console)
        #expect(p.shape == [2, 2])
        #expect(pr.text.contains("row 0: class 1") && pr.text.contains("row 1: class 0"))
        let one = try Predict.parse(["--checkpoint", ckpt, "--input", dir + "/in.csv", "--index", "1"]).execute(console: Capture().console)
        #expect(one.shape == [1, 2] && abs(one.sum().item(Double.self) - 1) < 1e-5)

        let ex = Capture()
        let (s, ig) = try ExplainCommand.parse(["--checkpoint", ckpt, "--index", "0", "--out", dir + "/e.svg"]).execute(console: ex.console)
        #expect(s.shape == [3] && ig.shape == [3])
        #expect(FileManager.default.fileExists(atPath: dir + "/e.svg"))
        #expect(ex.text.contains("integrated gradients") && ex.text.contains("f1"))

        // Bad inputs are thrown errors with messages, not crashes.
        try writeCSV(["f1,f2", "1,2"], to: dir + "/missing.csv")
        #expect(throws: DataError.self) {
            try Predict.parse(["--checkpoint", ckpt, "--input", dir + "/missing.csv"]).execute(console: Capture().console)
        }
        #expect(throws: (any Error).self) {
            try Predict.parse(["--checkpoint", ckpt, "--input", dir + "/in.csv", "--index", "5"]).execute(console: Capture().console)
        }
        #expect(throws: (any Error).self) {
            try ExplainCommand.parse(["--checkpoint", ckpt, "--index", "999"]).execute(console: Capture().console)
        }
        try writeCSV(["garbage"], to: dir + "/notackpt.safetensors")
        #expect(throws: DataError.self) {
            try Evaluate.parse(["--checkpoint", dir + "/notackpt.safetensors"]).execute(console: Capture().console)
        }
        #expect(throws: DataError.self) {
            try Train.parse(["--data", dir + "/blobs.csv", "--target", "nope", "--out", dir + "/x"]).execute(console: Capture().console)
        }
    }

    /// The issue's seed problem through the CLI: `--task regress --target y --model mlp --hidden ""`.
    @Test func regressionRecoversLine() throws {
        let dir = try temporaryFolder("line")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var rng = SeededGenerator(seed: 11)
        try writeCSV(["x,y"] + (0..<80).map { _ in let x = 4 * rng.nextUnit() - 2; return "\(x),\(2 * x + 1)" },
                     to: dir + "/line.csv")
        let out = Capture()
        let result = try Train.parse(["--data", dir + "/line.csv", "--task", "regress", "--target", "y", "--model", "mlp",
                                      "--hidden", "", "--optimizer", "sgd", "--lr", "0.1", "--momentum", "0",
                                      "--schedule", "none", "--epochs", "60", "--out", dir + "/run"]).execute(console: out.console)
        #expect(result.loss < 1e-5)
        #expect(out.text.split(separator: "\n").last!.hasPrefix("test mse: "))
        let c = try Checkpoint.load(dir + "/run/checkpoint.safetensors")
        #expect(abs(Double(c.model["0.weight"]!.item()) - 2) < 1e-3)
        #expect(abs(Double(c.model["0.bias"]!.item()) - 1) < 1e-3)
        let pr = Capture()
        try writeCSV(["x", "3"], to: dir + "/x.csv")
        let v = try Predict.parse(["--checkpoint", dir + "/run/checkpoint.safetensors", "--input", dir + "/x.csv"]).execute(console: pr.console)
        #expect(abs(v.item(Double.self) - 7) < 1e-2)
    }

    /// `--resume` from the epoch-2 checkpoint ends with the same checkpoint tensors as the full run.
    @Test func resumeThroughTheCLI() throws {
        let dir = try temporaryFolder("resume")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try writeCSV(blobRows(40), to: dir + "/b.csv")
        let common = ["--data", dir + "/b.csv", "--target", "label", "--hidden", "6", "--batch-size", "8", "--quiet"]
        // In separate processes: the checkpoint records the default generator's state, which tests running
        // in parallel in this process also draw from.
        let full = try runGradusBinary(["train"] + common + ["--epochs", "4", "--save-every", "2", "--out", dir + "/full"])
        #expect(full.status == 0, "\(full.stderr)")
        let resumed = try runGradusBinary(["train", "--resume", dir + "/full/epoch-2.safetensors", "--out", dir + "/resumed", "--quiet"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let a = try Checkpoint.load(dir + "/full/checkpoint.safetensors")
        let b = try Checkpoint.load(dir + "/resumed/checkpoint.safetensors")
        #expect(a.epoch == 4 && b.epoch == 4 && a.step == b.step)
        #expect(a.model.mapValues { $0.scalars(as: Float.self) } == b.model.mapValues { $0.scalars(as: Float.self) })
        #expect(a.optimizer.tensors.mapValues { $0.scalars(as: Float.self) } == b.optimizer.tensors.mapValues { $0.scalars(as: Float.self) })
        #expect(a.rngState == b.rngState)
        let metricsA = try EpochMetrics.parseCSV(String(contentsOfFile: dir + "/full/metrics.csv", encoding: .utf8))
        let metricsB = try EpochMetrics.parseCSV(String(contentsOfFile: dir + "/resumed/metrics.csv", encoding: .utf8))
        #expect(metricsA.map(\.trainLoss) == metricsB.map(\.trainLoss))
    }

    /// The executable exits with a non-zero status and a one-line message on bad arguments and files (no crash trace).
    @Test func binaryExitStatus() throws {
        for args in [["train", "--batch-size", "0"], ["train", "--data", "/nonexistent.csv"],
                     ["evaluate", "--checkpoint", "/etc/hostname"], ["train", "--model", "lenet", "--epochs", "1", "--out", "/tmp/gradus-cli-lenet-digits"]] {
            let (status, text) = try runGradusBinary(args)
            #expect(status != 0, "\(args): status \(status)")
            #expect(text.hasPrefix("Error: "), "\(args): \(text)")
            #expect(!text.contains("Fatal error") && !text.contains("Stack dump"), "\(args): \(text)")
        }
    }
}

/// Runs the built `gradus` executable with `args` (without crash backtraces) and returns its exit status
/// and standard error. Tests whose result depends on process-wide state (the default random generator,
/// which other tests running in parallel draw from) run the executable instead of the command in process.
func runGradusBinary(_ args: [String]) throws -> (status: Int32, stderr: String) {
    let products = Bundle.main.bundleURL.path.hasSuffix(".xctest")
        ? Bundle.main.bundleURL.deletingLastPathComponent() : Bundle.main.bundleURL
    let binary = products.appendingPathComponent("gradus").path
    try #require(FileManager.default.isExecutableFile(atPath: binary), "build the gradus product first: \(binary)")
    let p = Process()
    p.executableURL = URL(fileURLWithPath: binary)
    p.arguments = args
    let err = Pipe()
    p.standardError = err
    p.standardOutput = Pipe()
    var env = ProcessInfo.processInfo.environment
    env["SWIFT_BACKTRACE"] = "enable=no"
    p.environment = env
    try p.run()
    let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    p.waitUntilExit()
    return (p.terminationStatus, text)
}

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

/// `--on-nonfinite`, `--detect-anomaly` and `--log-memory`.
@Suite struct NonFiniteTests {
    @Test func parsing() throws {
        #expect(try Train.parse([]).runConfig().nonFiniteLoss == .stop)
        #expect(try Train.parse(["--on-nonfinite", "skip"]).runConfig().nonFiniteLoss == .skip)
        #expect(try Train.parse(["--on-nonfinite", "stop"]).runConfig().nonFiniteLoss == .stop)
        #expect(try Train.parse(["--on-nonfinite", "ignore"]).runConfig().nonFiniteLoss == .ignore)
        #expect(throws: (any Error).self) { try Train.parse(["--on-nonfinite", "retry"]) }
        #expect(throws: (any Error).self) { try Train.parse(["--on-nonfinite"]) }
        let t = try Train.parse(["--detect-anomaly", "--log-memory"])
        #expect(t.detectAnomaly && t.logMemory && t.onNonFinite == nil)
        let d = try Train.parse([])
        #expect(!d.detectAnomaly && !d.logMemory)
        let help = Train.helpMessage()
        for text in ["--on-nonfinite <stop|skip|ignore>", "--detect-anomaly", "--log-memory"] {
            #expect(help.contains(text), "help lacks \(text)")
        }
    }

    /// An absurd learning rate overflows the weights: the run stops with the error naming epoch, batch and
    /// loss, the first epoch's lines are not printed, and no checkpoint is written.
    @Test func absurdLearningRateStops() throws {
        let dir = try temporaryFolder("nonfinite")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try writeCSV(blobRows(60), to: dir + "/b.csv")
        let out = Capture()
        let error = #expect(throws: TrainingError.self) {
            try Train.parse(["--data", dir + "/b.csv", "--target", "label", "--optimizer", "sgd", "--lr", "1e30",
                             "--epochs", "3", "--out", dir + "/run"]).execute(console: out.console)
        }
        let m = error?.message ?? ""
        #expect(m.hasPrefix("training stopped at epoch 1, batch ") && m.contains("the loss is "), "\(m)")
        #expect(m.hasSuffix("No checkpoint was written."), "\(m)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/run/checkpoint.safetensors"))
        #expect(!out.text.contains("epoch 1/3"))
        // With --on-nonfinite skip the run finishes: once the weights are huge every batch is skipped, and
        // the epoch lines count them.
        let skip = Capture()
        try Train.parse(["--data", dir + "/b.csv", "--target", "label", "--optimizer", "sgd", "--lr", "1e30",
                         "--epochs", "2", "--on-nonfinite", "skip", "--out", dir + "/skip-lr"]).execute(console: skip.console)
        let lines = skip.text.split(separator: "\n").filter { $0.hasPrefix("epoch ") }
        #expect(lines.count == 2 && lines.allSatisfy { $0.contains(" (non-finite loss)") }, "\(lines)")
        let saved = try Checkpoint.load(dir + "/skip-lr/checkpoint.safetensors")
        #expect(saved.epoch == 2 && saved.model.values.allSatisfy { $0.firstNonFinite() == nil })
    }

    /// With --on-nonfinite skip, a NaN sample's batch is left out each epoch and the epoch lines say so;
    /// --log-memory adds the resident memory.
    @Test func skipReportsSkippedBatches() throws {
        let dir = try temporaryFolder("nonfinite-skip")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var rng = SeededGenerator(seed: 2)
        var x: [Float] = [], y: [Float] = []
        for i in 0..<48 {
            for _ in 0..<3 { x.append(Float(Double(i % 2) * 2 + rng.nextUnit())) }
            y.append(Float(i % 2))
        }
        x[10] = .nan
        try FileManager.default.createDirectory(atPath: dir + "/data", withIntermediateDirectories: true)
        try writeNPY(x, shape: [48, 3], to: dir + "/data/x_train.npy")
        try writeNPY(y, shape: [48], to: dir + "/data/y_train.npy")
        try writeNPY([0, 0, 0, 2, 2, 2], shape: [2, 3], to: dir + "/data/x_test.npy")
        try writeNPY([0, 1], shape: [2], to: dir + "/data/y_test.npy")
        let args = ["--data", dir + "/data", "--hidden", "4", "--optimizer", "sgd", "--lr", "0.1", "--no-standardize",
                    "--batch-size", "8", "--epochs", "2", "--out", dir + "/run"]
        #expect(throws: TrainingError.self) { try Train.parse(args).execute(console: Capture().console) }
        let skip = Capture()
        try Train.parse(args + ["--on-nonfinite", "skip", "--log-memory"]).execute(console: skip.console)
        let lines = skip.text.split(separator: "\n").filter { $0.hasPrefix("epoch ") }
        #expect(lines.count == 2)
        #expect(lines.allSatisfy { $0.contains("  skipped 1 batch (non-finite loss)  rss ") && $0.hasSuffix(" MiB") },
                "\(lines)")
        let rss = lines.compactMap { $0.split(separator: " ").dropLast().last.flatMap { Double($0) } }
        #expect(rss.count == 2 && rss.allSatisfy { $0 > 1 && $0 < 100_000 }, "\(rss)")
    }

    /// The executable: the non-finite error exits with status 1 and one `Error:` message; with
    /// --detect-anomaly it stops at the first operation producing NaN/Inf and names it.
    @Test func binaryExitStatusAndAnomaly() throws {
        let dir = try temporaryFolder("nonfinite-bin")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try writeCSV(blobRows(60), to: dir + "/b.csv")
        let common = ["train", "--data", dir + "/b.csv", "--target", "label", "--optimizer", "sgd", "--lr", "1e30",
                      "--epochs", "2", "--out", dir + "/run"]
        let (status, text) = try runGradusBinary(common)
        #expect(status == 1, "status \(status): \(text)")
        #expect(text.hasPrefix("Error: training stopped at epoch 1, batch ") && text.contains("the loss is "), "\(text)")
        #expect(!text.contains("Fatal error"), "\(text)")

        let (aStatus, aText) = try runGradusBinary(common + ["--detect-anomaly"])
        #expect(aStatus != 0)
        #expect(aText.contains("AnomalyMode: ") && aText.contains(" of '") && aText.contains(" produced "), "\(aText)")
    }
}

/// `gradus quantize`: a trained checkpoint becomes a quantized one that loads quantized and predicts
/// as the quantized model in memory; wrong uses are refused with messages.
@Suite struct QuantizeCommandTests {
    @Test func quantizeWorkflow() throws {
        let dir = try temporaryFolder("quantize")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try Train.parse(["--epochs", "3", "--hidden", "32", "--out", dir + "/run"]).execute(console: Capture().console)
        let ckpt = dir + "/run/checkpoint.safetensors", int8 = dir + "/int8.safetensors"
        let out = Capture()
        let outcome = try Quantize.parse(["--checkpoint", ckpt, "--out", int8]).execute(console: out.console)
        #expect(outcome.layers == 2)
        #expect(abs(outcome.after.accuracy! - outcome.before.accuracy!) <= 0.02, "int8 \(outcome.after.accuracy!) vs \(outcome.before.accuracy!)")
        #expect(out.text.contains("Float32: test accuracy") && out.text.contains("int8:    test accuracy"))
        let loaded = try TrainedModel.load(int8)
        #expect(loaded.model.isQuantized && loaded.checkpoint.metadata[TrainedModel.quantizationKey] == TrainedModel.dynamicInt8)
        let e = try Evaluate.parse(["--checkpoint", int8]).execute(console: Capture().console)
        #expect(e.accuracy == outcome.after.accuracy)
        #expect(!(try TrainedModel.load(ckpt)).model.isQuantized)

        // Refusals: the output is the input; a checkpoint marked with a quantization Gradus does not know.
        #expect(throws: (any Error).self) { try Quantize.parse(["--checkpoint", ckpt, "--out", ckpt]).validate() }
        var marked = try Checkpoint.load(int8)
        marked.metadata[TrainedModel.quantizationKey] = "int4"
        try marked.save(to: dir + "/int4.safetensors")
        do {
            _ = try TrainedModel.load(dir + "/int4.safetensors")
            Issue.record("an unknown quantization was accepted")
        } catch {
            #expect("\(error)".contains("int4"))
        }
    }
}

/// `gradus train --precision`: bf16 trains (inside a thread scope that ends with the run) and unknown
/// precisions are refused.
@Suite struct PrecisionOptionTests {
    @Test func precisionOption() throws {
        #expect(try Train.parse([]).precision == .float32)
        #expect(try Train.parse(["--precision", "bf16"]).precision == .bf16)
        #expect(throws: (any Error).self) { try Train.parse(["--precision", "fp8"]) }
        let dir = try temporaryFolder("precision")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let capture = Capture()
        let result = try Train.parse(["--precision", "bf16", "--epochs", "2", "--hidden", "16", "--out", dir + "/run"])
            .execute(console: capture.console)
        #expect(result.accuracy! > 0.5)
        #expect(MatrixProductBackend.float32Precision == .highest)
        // Float32 with a message naming the reason where bfloat16 is missing or slower; silent where it pays.
        let native = MatrixProductBackend.hasNativeBFloat16, faster = MatrixProductBackend.bfloat16ProductsAreFaster
        #expect(capture.text.contains("no bfloat16 instructions") == !native, "\(capture.text)")
        #expect(capture.text.contains("would train slower; training in Float32") == (native && !faster), "\(capture.text)")
    }

    @Test("whether bfloat16 pays is measured: a plausible rate where the instructions exist, 0 without")
    func bfloat16Speed() {
        let speedup = MatrixProductBackend.bfloat16DotProductSpeedup
        if MatrixProductBackend.hasNativeBFloat16 && speedup > 0 {
            // Known processors: 2 (AMD Zen 4/5), 0.5 (Intel without AMX); a broken timing gives 0, inf or NaN.
            #expect(speedup > 0.2 && speedup < 5, "\(speedup)")
            if speedup >= 1.2 { #expect(MatrixProductBackend.bfloat16ProductsAreFaster) }
        }
        if !MatrixProductBackend.hasNativeBFloat16 { #expect(!MatrixProductBackend.bfloat16ProductsAreFaster) }
    }
}
