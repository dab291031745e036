#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Gradus
import Testing

/// `gradus train` stopped by SIGINT or SIGTERM at random moments (saves included) exits 130 / 143 with a
/// loadable checkpoint, leaves no temporary files, and resumes to the same weights as an uninterrupted run.
@Suite("Signals during training")
struct SignalTests {
    func launch(_ args: [String]) throws -> Process {
        let products = Bundle.main.bundleURL.path.hasSuffix(".xctest")
            ? Bundle.main.bundleURL.deletingLastPathComponent() : Bundle.main.bundleURL
        let p = Process()
        p.executableURL = products.appendingPathComponent("gradus")
        p.arguments = args
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        var env = ProcessInfo.processInfo.environment
        env["SWIFT_BACKTRACE"] = "enable=no"
        p.environment = env
        try p.run()
        return p
    }

    func tensors(_ path: String) throws -> [String: [Float]] {
        try Checkpoint.load(path).model.mapValues { $0.scalars() }
    }

    /// Epochs finished so far by the run writing to `out` (rows of its metrics.csv).
    func epochsWritten(_ out: String) -> Int {
        guard let text = try? String(contentsOfFile: out + "/metrics.csv", encoding: .utf8) else { return 0 }
        return max(0, text.split(separator: "\n").count - 1)
    }

    @Test("random SIGINT/SIGTERM, then resume: same weights as the uninterrupted run")
    func randomSignals() throws {
        let root = NSTemporaryDirectory() + "gradus-signals-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let common = ["train", "--epochs", "40", "--quiet", "--hidden", "32"]
        let reference = try launch(common + ["--out", root + "/reference"])
        reference.waitUntilExit()
        #expect(reference.terminationStatus == 0)
        let expected = try tensors(root + "/reference/checkpoint.safetensors")
        var interrupted = 0
        var attempt = 0
        // The moment is chosen from the run's own progress, not from a duration measured earlier (the
        // machine's load changes while other tests run): a random epoch, then a random point inside the
        // next epoch, measured live — mid-epoch, between epochs or during a save.
        while interrupted < 3 && attempt < 8 {
            let out = root + "/run\(attempt)"
            let signal = attempt % 2 == 0 ? SIGINT : SIGTERM
            attempt += 1
            let target = Int.random(in: 2...30)
            let p = try launch(common + ["--out", out])
            var epochStart = Date()
            var epochLength = 0.0
            var seen = 0
            while p.isRunning && seen < target {
                usleep(500)
                let now = epochsWritten(out)
                if now > seen {
                    if seen > 0 { epochLength = Date().timeIntervalSince(epochStart) / Double(now - seen) }
                    epochStart = Date()
                    seen = now
                }
            }
            usleep(UInt32(epochLength * Double.random(in: 0...1) * 1e6))
            kill(p.processIdentifier, signal)
            p.waitUntilExit()
            let status = p.terminationStatus
            #expect(status == 0 || status == 128 + signal, "attempt \(attempt): exit \(status)")
            guard status == 128 + signal else { continue }
            interrupted += 1
            if FileManager.default.fileExists(atPath: out + "/checkpoint.safetensors") {
                _ = try Checkpoint.load(out + "/checkpoint.safetensors")
                let resumed = try launch(["train", "--resume", out + "/checkpoint.safetensors", "--quiet"])
                resumed.waitUntilExit()
                #expect(resumed.terminationStatus == 0)
                #expect(try tensors(out + "/checkpoint.safetensors") == expected, "attempt \(attempt): resumed weights differ")
            }
            let names = try FileManager.default.contentsOfDirectory(atPath: out)
            #expect(!names.contains { $0.contains(".tmp-") }, "attempt \(attempt): \(names)")
        }
        #expect(interrupted >= 3, "only \(interrupted) of \(attempt) runs were interrupted: they finished before the signal")
    }
}
