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

    @Test("random SIGINT/SIGTERM, then resume: same weights as the uninterrupted run")
    func randomSignals() throws {
        let root = NSTemporaryDirectory() + "gradus-signals-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let common = ["train", "--epochs", "40", "--quiet", "--hidden", "32"]
        let began = Date()
        let reference = try launch(common + ["--out", root + "/reference"])
        reference.waitUntilExit()
        let duration = Date().timeIntervalSince(began)
        #expect(reference.terminationStatus == 0)
        let expected = try tensors(root + "/reference/checkpoint.safetensors")
        var interrupted = 0
        for trial in 0..<3 {
            let out = root + "/run\(trial)"
            let signal = trial % 2 == 0 ? SIGINT : SIGTERM
            let p = try launch(common + ["--out", out])
            // Somewhere in the middle of the run: mid-epoch, between epochs or during a save.
            usleep(UInt32(duration * Double.random(in: 0.25...0.75) * 1e6))
            kill(p.processIdentifier, signal)
            p.waitUntilExit()
            let status = p.terminationStatus
            #expect(status == 0 || status == 128 + signal, "trial \(trial): exit \(status)")
            guard status == 128 + signal else { continue }
            interrupted += 1
            if FileManager.default.fileExists(atPath: out + "/checkpoint.safetensors") {
                _ = try Checkpoint.load(out + "/checkpoint.safetensors")
                let resumed = try launch(["train", "--resume", out + "/checkpoint.safetensors", "--quiet"])
                resumed.waitUntilExit()
                #expect(resumed.terminationStatus == 0)
                #expect(try tensors(out + "/checkpoint.safetensors") == expected, "trial \(trial): resumed weights differ")
            }
            let names = try FileManager.default.contentsOfDirectory(atPath: out)
            #expect(!names.contains { $0.contains(".tmp-") }, "trial \(trial): \(names)")
        }
        #expect(interrupted >= 1, "no trial was interrupted: the runs finished before the signal")
    }
}
