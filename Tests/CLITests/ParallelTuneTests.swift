#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Gradus
import GradusCommands
import Testing

/// The built `gradus` executable (the worker program of parallel studies).
private func gradusBinary() throws -> String {
    let products = Bundle.main.bundleURL.path.hasSuffix(".xctest")
        ? Bundle.main.bundleURL.deletingLastPathComponent() : Bundle.main.bundleURL
    let binary = products.appendingPathComponent("gradus").path
    try #require(FileManager.default.isExecutableFile(atPath: binary), "build the gradus product first: \(binary)")
    return binary
}

/// A small study on the embedded digits: an MLP of 16 units, `epochs` epochs per trial.
private func digitsStudy(_ flags: [String] = [], epochs: Int = 3) throws -> StudySettings {
    try Tune.parse(["--epochs", "\(epochs)", "--hidden", "16", "--space", "lr=loguniform:1e-4:1e-1",
                    "--space", "batch-size=choice:32,64"] + flags).settings()
}

private func journal(_ dir: String) throws -> [JournalRecord] {
    try StudyJournal(path: dir + "/study.jsonl").records
}

/// The complete lines of a journal being written by another process, read without touching the file
/// (``StudyJournal`` cuts off a partial last line).
private func peek(_ dir: String) -> [JournalRecord] {
    guard let text = try? String(contentsOfFile: dir + "/study.jsonl", encoding: .utf8) else { return [] }
    var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    lines.removeLast()   // empty after the last line end, or a partial line
    return lines.compactMap { try? JSONDecoder().decode(JournalRecord.self, from: Data($0.utf8)) }
}

/// How many records of `kind` name trial `n`.
private func count(_ records: [JournalRecord], _ kind: JournalRecord.Kind, _ n: Int) -> Int {
    records.filter { $0.type == kind && $0.trial == n }.count
}

/// `gradus tune --workers N` / ``Tuner/workers``: trials in worker processes, the tuner the only
/// journal writer, sampler and pruner.
@Suite("parallel gradus tune", .serialized)
struct ParallelTuneTests {
    @Test("protocol: messages read back as sent; garbage is refused with a message")
    func protocolLines() throws {
        let metrics = EpochMetrics(epoch: 2, trainLoss: .nan, trainAccuracy: 0.5, testLoss: 0.25, testAccuracy: 0.9,
                                   learningRate: 0.01, seconds: 1, samplesPerSecond: 100)
        for m: TrialWorkerMessage in [.ready(version: 1), .epoch(metrics), .complete, .pruned, .stopped(signal: 15),
                                      .failed("bad \"lr\"\nline two")] {
            let back = try TrialWorkerMessage.parse(m.line)
            if case .epoch(let b) = back {
                #expect(b.epoch == 2 && b.trainLoss.isNaN && b.testAccuracy == 0.9 && b.testLoss == 0.25)
            } else {
                #expect(back == m, "\(m.line)")
            }
            #expect(!m.line.contains("\n"))
        }
        for bad in ["", "hello", "ready", "ready x", "epoch {", "epoch {\"epoch\":0,\"trainLoss\":1,\"learningRate\":1,\"seconds\":1,\"samplesPerSecond\":1,\"skippedBatches\":0}",
                    "complete now", "stopped -1", "stopped 999", "failed unquoted", String(repeating: "x", count: TrialWorkerMessage.maxLineBytes + 1)] {
            #expect(throws: TrainingError.self, "\(bad.prefix(40))") { try TrialWorkerMessage.parse(bad) }
        }
        #expect(try TrialWorkerAnswer.parse("prune") == .prune)
        #expect(throws: TrainingError.self) { try TrialWorkerAnswer.parse("maybe") }
        let job = TrialJob(trial: 3, config: try digitsStudy().base, directory: "/tmp/x", threads: 1, memoryBytes: 1 << 30)
        #expect(try TrialJob.parse(try job.line()) == job)
        var wrong = job
        wrong.threads = 0
        #expect(throws: TrainingError.self) { try TrialJob.parse(try wrong.line()) }
        #expect(throws: TrainingError.self) { try TrialJob.parse("{\"trial\":1}") }
        #expect(throws: (any Error).self) { try Tune.parse(["--workers", "0"]) }
        #expect(throws: (any Error).self) { try Tune.parse(["--worker-threads", "0"]) }
    }

    @Test("2 workers: the budget completes, distinct trial numbers, each started and finished once in the journal, pruning applies")
    func twoWorkers() throws {
        let dir = try temporaryFolder("parallel")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // ASHA with random values prunes at epoch 1 whatever is not the best so far (fewer than 3 scores there).
        let tuner = try Tuner(settings: digitsStudy(["--sampler", "random", "--pruner", "asha"]), directory: dir + "/study")
        tuner.workers = TrialWorkers(count: 2, executable: try gradusBinary())
        var pids: Set<Int32> = []
        tuner.onEvent = { if case .workerStarted(_, let pid, _) = $0 { pids.insert(pid) } }
        let result = try tuner.run(trials: 8)
        #expect(result.trials.map(\.number) == Array(0..<8))
        #expect(result.trials.allSatisfy { $0.state == .complete || $0.state == .pruned }, "\(result.trials.map { $0.message ?? "" })")
        #expect(result.trials.contains { $0.state == .pruned && $0.message?.contains("asha") == true })
        #expect(pids.count == 8)
        let records = try journal(dir + "/study")
        for n in 0..<8 {
            #expect(count(records, .started, n) == 1 && count(records, .finished, n) == 1, "trial \(n)")
            #expect(count(records, .epoch, n) == result.trials[n].epochsRun)
        }
        #expect(result.test != nil && FileManager.default.fileExists(atPath: dir + "/study/best/checkpoint.safetensors"))
        // The journal replays to the same trials.
        let again = try Tuner(resuming: dir + "/study")
        #expect(again.trials.map(\.scores) == result.trials.map(\.scores))
    }

    @Test("random values without pruning: the same trials and scores with 2 and 3 workers")
    func reproducible() throws {
        let dir = try temporaryFolder("parallel-repro")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var results: [StudyResult] = []
        for count in [2, 3] {
            let tuner = try Tuner(settings: digitsStudy(["--sampler", "random", "--pruner", "none"], epochs: 2),
                                  directory: dir + "/w\(count)")
            tuner.workers = TrialWorkers(count: count, executable: try gradusBinary())
            results.append(try tuner.run(trials: 4))
        }
        #expect(results[0].trials.map(\.parameters) == results[1].trials.map(\.parameters))
        #expect(results[0].trials.map(\.scores) == results[1].trials.map(\.scores))
        #expect(results[0].test == results[1].test)
    }

    @Test("a worker killed with SIGKILL mid-trial: that trial fails naming the worker and the signal, the study goes on")
    func killedWorker() throws {
        let dir = try temporaryFolder("parallel-kill")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let tuner = try Tuner(settings: digitsStudy(["--sampler", "random", "--pruner", "none"]), directory: dir + "/study")
        tuner.workers = TrialWorkers(count: 2, executable: try gradusBinary())
        var pid: [Int: Int32] = [:]
        tuner.onEvent = { event in
            switch event {
            case .workerStarted(let t, let p, _): pid[t.number] = p
            case .epochScored(let t, _) where t.number == 2 && t.scores.count == 1: kill(pid[2]!, SIGKILL)
            default: break
            }
        }
        let result = try tuner.run(trials: 5)
        #expect(result.trials.count == 5)
        let killed = result.trials[2]
        #expect(killed.state == .failed)
        #expect(killed.message?.contains("worker") == true && killed.message?.contains("pid \(pid[2]!)") == true
                && killed.message?.contains("SIGKILL") == true, "\(killed.message ?? "")")
        #expect(result.trials.enumerated().allSatisfy { $0.offset == 2 || $0.element.state == .complete })
        let records = try journal(dir + "/study")
        for n in 0..<5 { #expect(count(records, .finished, n) == 1, "trial \(n)") }
    }

    @Test("workers that die at once or speak garbage fail their trials with messages; the study ends")
    func brokenWorkers() throws {
        let dir = try temporaryFolder("parallel-garbage")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let scripts: [(String, String)] = [
            ("exit 3", "exited with status 3"),
            ("echo hello", "not 'ready'"),
            ("echo ready 1; read job; echo 'epoch {nonsense'", "broke the worker protocol"),
            ("echo ready 1; read job; kill -9 $$", "SIGKILL"),
            ("exec sleep 100", "did not say 'ready' within 0.5 s"),
        ]
        for (i, (script, expected)) in scripts.enumerated() {
            let tuner = try Tuner(settings: digitsStudy(["--sampler", "random"]), directory: dir + "/s\(i)")
            tuner.workers = TrialWorkers(count: 2, executable: "/bin/sh", arguments: ["-c", script],
                                         readyTimeout: script.hasPrefix("exec sleep") ? 0.5 : 60)
            let result = try tuner.run(trials: 3)
            #expect(result.trials.count == 3 && result.trials.allSatisfy { $0.state == .failed })
            #expect(result.trials.allSatisfy { $0.message?.contains(expected) == true && $0.message?.contains("worker") == true },
                    "\(script): \(result.trials.map { $0.message ?? "" })")
            #expect(result.best == nil && result.test == nil)
        }
    }

    @Test("a stop asked of the coordinator stops every worker and leaves their trials unfinished; resuming runs them again")
    func interrupted() throws {
        let dir = try temporaryFolder("parallel-stop")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let tuner = try Tuner(settings: digitsStudy(["--sampler", "random", "--pruner", "none"], epochs: 4), directory: dir + "/study")
        tuner.workers = TrialWorkers(count: 2, executable: try gradusBinary())
        final class Request: @unchecked Sendable { var signal: Int32? = nil }
        let request = Request()
        var pids: [Int32] = []
        tuner.interruptionRequest = { request.signal }
        tuner.onEvent = { event in
            switch event {
            case .workerStarted(_, let pid, _): pids.append(pid)
            case .epochScored(let t, _) where t.number == 1 && t.scores.count == 1: request.signal = SIGINT
            default: break
            }
        }
        #expect(throws: TrainingInterrupted.self) { try tuner.run(trials: 4) }
        // Every worker is gone (reaped: kill(pid, 0) fails).
        #expect(pids.allSatisfy { kill($0, 0) != 0 })
        let records = try journal(dir + "/study")
        #expect(count(records, .started, 1) == 1 && count(records, .finished, 1) == 0)
        let unfinished = Set(records.filter { $0.type == .started }.compactMap(\.trial))
            .subtracting(records.filter { $0.type == .finished }.compactMap(\.trial))
        let again = try Tuner(resuming: dir + "/study")
        again.workers = TrialWorkers(count: 2, executable: try gradusBinary())
        let result = try again.run(trials: 4)
        #expect(result.trials.count == 4 && result.trials.allSatisfy { $0.state == .complete })
        let after = try journal(dir + "/study")
        for n in 0..<4 {
            #expect(count(after, .finished, n) == 1, "trial \(n)")
            #expect(count(after, .started, n) == (unfinished.contains(n) ? 2 : 1), "trial \(n)")
        }
    }

    @Test("time limit: no trial starts after it, running workers are stopped and their trials recorded")
    func timeLimit() throws {
        let dir = try temporaryFolder("parallel-time")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let tuner = try Tuner(settings: digitsStudy(["--sampler", "random", "--pruner", "none"], epochs: 100_000),
                              directory: dir + "/study")
        tuner.workers = TrialWorkers(count: 2, executable: try gradusBinary())
        let began = Date()
        let result = try tuner.run(trials: 50, timeLimit: 2)
        #expect(result.stoppedByTimeLimit && Date().timeIntervalSince(began) < 12)
        #expect(result.trials.count == 2)
        #expect(result.trials.allSatisfy { ($0.state == .pruned || $0.state == .failed) && $0.message?.contains("time limit") == true },
                "\(result.trials.map { $0.message ?? "" })")
        let records = try journal(dir + "/study")
        for n in 0..<2 { #expect(count(records, .finished, n) == 1) }
    }

    @Test("gradus tune --workers 2 killed with SIGKILL, then resumed: no trial lost, none finished twice, unfinished ones rerun with their values")
    func resumeKilledStudy() throws {
        let dir = try temporaryFolder("parallel-resume")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let out = dir + "/study"
        let args = ["tune", "--workers", "2", "--trials", "8", "--epochs", "4", "--hidden", "16", "--sampler", "random",
                    "--pruner", "none", "--out", out, "--quiet"]
        // Kill the coordinator once a trial has finished while others are running. The coordinator may
        // finish the running trials between the look at the journal and the kill (a race on a busy
        // machine); then the kill left nothing to rerun, and the study is run again from scratch.
        var killedAt: [JournalRecord] = []
        var unfinished = Set<Int>()
        for attempt in 0..<4 where unfinished.isEmpty {
            try? FileManager.default.removeItem(atPath: out)
            let p = Process()
            p.executableURL = URL(fileURLWithPath: try gradusBinary())
            p.arguments = args
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            let until = Date().addingTimeInterval(120)
            while Date() < until && p.isRunning {
                let records = peek(out)
                if records.contains(where: { $0.type == .finished }),
                   records.contains(where: { r in r.type == .started && !records.contains { $0.type == .finished && $0.trial == r.trial } }) {
                    kill(p.processIdentifier, SIGKILL)
                    break
                }
                usleep(2_000)
            }
            p.waitUntilExit()
            try #require(p.terminationReason == .uncaughtSignal, "the study ended before it could be killed (attempt \(attempt + 1))")
            killedAt = try journal(out)
            unfinished = Set(killedAt.filter { $0.type == .started }.compactMap(\.trial))
                .subtracting(killedAt.filter { $0.type == .finished }.compactMap(\.trial))
            if unfinished.isEmpty { usleep(500_000) }   // let the orphaned workers go before the folder is removed
        }
        #expect(!unfinished.isEmpty, "every kill landed after the running trials had finished")
        // Orphaned workers stop on their own (their pipe is gone); give them a moment so the folders are free.
        usleep(500_000)

        let tuner = try Tuner(resuming: out)
        tuner.workers = TrialWorkers(count: 2, executable: try gradusBinary())
        var rerun: [Int] = []
        tuner.onEvent = { if case .trialStarted(let t) = $0, unfinished.contains(t.number) { rerun.append(t.number) } }
        let result = try tuner.run(trials: 8)
        #expect(Set(rerun) == unfinished)
        #expect(result.trials.count == 8 && result.trials.allSatisfy { $0.state == .complete }, "\(result.trials.map { $0.message ?? "" })")
        let records = try journal(out)
        for n in 0..<8 {
            #expect(count(records, .finished, n) == 1, "trial \(n)")
            #expect(count(records, .started, n) == (unfinished.contains(n) ? 2 : 1), "trial \(n)")
        }
        // The values of a rerun trial are those it was first started with.
        for n in unfinished {
            let first = killedAt.first { $0.type == .started && $0.trial == n }?.params
            #expect(first.map { try? tuner.settings.space.normalize($0) } == result.trials[n].parameters)
        }
    }
}
