import Foundation
import Gradus
import Testing

/// `gradus train` under `mpirun -np 2`: the same results as one process, checkpoints that move between
/// process counts, exact resume, and failures that stop every process.
@Suite("Distributed: gradus train under mpirun", .serialized)
struct DistributedTrainingCommandTests {
    let scratch = ScratchFolder("gradus-distributed")
    var root: String { scratch.root }

    func folder(_ name: String) -> String { scratch.folder(name) }

    func weights(_ dir: String) throws -> [String: [Float]] {
        try Checkpoint.load(dir + "/checkpoint.safetensors").model.mapValues { $0.scalars() }
    }

    func accuracy(_ output: String) -> Double? {
        guard let line = output.split(separator: "\n").last(where: { $0.hasPrefix("test accuracy: ") }) else { return nil }
        return Double(line.dropFirst("test accuracy: ".count).dropLast())
    }

    static let base = ["train", "--epochs", "4", "--batch-size", "64", "--threads", "1", "--quiet"]

    @Test("two processes reach one process's accuracy; only the first writes; the log names the split")
    func sameAccuracy() throws {
        let one = folder("one"), two = folder("two")
        let a = try MPILaunch.gradus(Self.base + ["--out", one], processes: 0)
        let b = try MPILaunch.gradus(Self.base + ["--out", two], processes: 2)
        #expect(a.status == 0 && b.status == 0, "\(a.output)\n\(b.output)")
        let accOne = try #require(accuracy(a.output)), accTwo = try #require(accuracy(b.output))
        #expect(abs(accOne - accTwo) <= 1.0, "one process \(accOne)%, two \(accTwo)%")
        // One set of final lines (the first process's), one checkpoint.
        #expect(b.output.components(separatedBy: "test accuracy:").count == 2, "\(b.output)")
        #expect(FileManager.default.fileExists(atPath: two + "/checkpoint.safetensors"))
        // The weights are close to one process's (the same batches; sums in another order, one padded sample).
        let wa = try weights(one), wb = try weights(two)
        #expect(wa.keys == wb.keys)
        for (k, v) in wa {
            let d = zip(v, wb[k]!).map { abs($0 - $1) }.max() ?? 0
            #expect(d < 0.05, "\(k) differs by \(d)")
        }
    }

    @Test("resume with the same number of processes is bit-exact; checkpoints move between 1 and 2 processes")
    func resumeAcrossProcessCounts() throws {
        let full = folder("full"), half = folder("half"), single = folder("single")
        // A schedule that does not depend on the total number of epochs, so that a 2-epoch run continued
        // to 4 is the 4-epoch run.
        let steady = Self.base + ["--schedule", "none"]
        #expect(try MPILaunch.gradus(steady + ["--out", full], processes: 2).status == 0)
        let first = try MPILaunch.gradus(steady + ["--out", half, "--epochs", "2"], processes: 2)
        #expect(first.status == 0, "\(first.output)")
        let resumed = try MPILaunch.gradus(["train", "--resume", half + "/checkpoint.safetensors", "--epochs", "4", "--threads", "1", "--quiet"], processes: 2)
        #expect(resumed.status == 0, "\(resumed.output)")
        #expect(try weights(half) == weights(full), "resumed run differs from the uninterrupted one")
        // Written by 2 processes, continued and evaluated by 1.
        let copy = folder("copy")
        try FileManager.default.createDirectory(atPath: copy, withIntermediateDirectories: true)
        let first2 = try MPILaunch.gradus(Self.base + ["--out", single, "--epochs", "2"], processes: 2)
        #expect(first2.status == 0)
        let alone = try MPILaunch.gradus(["train", "--resume", single + "/checkpoint.safetensors", "--epochs", "3", "--threads", "1", "--quiet", "--out", copy], processes: 0)
        #expect(alone.status == 0, "\(alone.output)")
        #expect((accuracy(alone.output) ?? 0) > 80)
        let evaluated = try MPILaunch.gradus(["evaluate", "--checkpoint", full + "/checkpoint.safetensors"], processes: 0)
        #expect(evaluated.status == 0 && accuracy(evaluated.output) != nil, "\(evaluated.output)")
        // Written by 1 process, continued by 2.
        let back = try MPILaunch.gradus(["train", "--resume", copy + "/checkpoint.safetensors", "--epochs", "4", "--threads", "1", "--quiet"], processes: 2)
        #expect(back.status == 0, "\(back.output)")
        #expect((accuracy(back.output) ?? 0) > 80)
    }

    @Test("SIGTERM to mpirun: all processes stop at the same batch, the first saves, resume is bit-exact")
    func interruptedAndResumed() throws {
        let full = folder("sig-full"), cut = folder("sig-cut")
        // A long run, stopped early; a schedule that does not depend on the total number of epochs, so
        // that the reference is a fresh run to the epoch the resumed one ends at.
        let args = ["train", "--batch-size", "16", "--threads", "1", "--quiet", "--schedule", "none"]
        guard let mpirun = MPILaunch.mpirun else { Issue.record("no mpirun"); return }
        let p = try SignalableProcess(mpirun, ["--allow-run-as-root", "--oversubscribe", "-np", "2", MPILaunch.gradus] + args
                                                + ["--epochs", "1000", "--out", cut])
        let start = Date()
        while Date().timeIntervalSince(start) < 120 {
            let rows = (try? String(contentsOfFile: cut + "/metrics.csv", encoding: .utf8))?.split(separator: "\n").count ?? 0
            if rows >= 2 { break }
            usleep(20_000)
        }
        p.signal(SIGTERM)
        let status = p.wait()
        #expect(status != 0)
        #expect(Date().timeIntervalSince(start) < 120)
        let saved = try Checkpoint.load(cut + "/checkpoint.safetensors")
        #expect(saved.epoch < 1000)
        let end = saved.epoch + 2
        let resumed = try MPILaunch.gradus(["train", "--resume", cut + "/checkpoint.safetensors", "--epochs", "\(end)", "--threads", "1", "--quiet"], processes: 2)
        #expect(resumed.status == 0, "\(resumed.output)")
        #expect(try MPILaunch.gradus(args + ["--epochs", "\(end)", "--out", full], processes: 2).status == 0)
        #expect(try weights(cut) == weights(full))
    }

    @Test("a process killed during training stops the job within 30 s, naming its rank")
    func processKilled() throws {
        let out = folder("killed"), log = root + "/killed.log"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        guard let mpirun = MPILaunch.mpirun else { Issue.record("no mpirun"); return }
        let p = try SignalableProcess(mpirun, ["--allow-run-as-root", "--oversubscribe", "-np", "2", MPILaunch.gradus,
                                               "train", "--epochs", "200", "--batch-size", "16", "--threads", "1", "--quiet", "--out", out],
                                      output: log)
        let start = Date()
        while Date().timeIntervalSince(start) < 120, !FileManager.default.fileExists(atPath: out + "/metrics.csv") { usleep(20_000) }
        // The second process: the newest `gradus train` writing to this folder.
        let ps = Process()
        ps.executableURL = URL(fileURLWithPath: "/usr/bin/pgrep")
        ps.arguments = ["-n", "-f", "gradus train .*--out \(out)"]
        let pipe = Pipe()
        ps.standardOutput = pipe
        try ps.run()
        ps.waitUntilExit()
        let victim = Int32(String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
        let killedAt = Date()
        if let victim { kill(victim, SIGKILL) } else { Issue.record("no process found") }
        let status = p.wait()
        #expect(status != 0)
        #expect(Date().timeIntervalSince(killedAt) < 30)
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        #expect(text.contains("rank") && text.contains("signal 9"), "\(text)")
    }

    @Test("a global batch that does not split evenly is refused on every process, without a hang")
    func unevenBatch() throws {
        let r = try MPILaunch.gradus(Self.base + ["--batch-size", "63", "--out", folder("uneven")], processes: 2, timeout: 60)
        #expect(r.status != 0)
        #expect(r.seconds < 30)
        #expect(r.output.contains("multiple of 2"), "\(r.output)")
    }
}
