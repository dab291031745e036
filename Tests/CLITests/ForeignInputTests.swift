import Foundation
import Gradus
import GradusTestSupport
import Testing

/// Inputs from outside the program that used to stop `gradus` (found by reading the data-facing paths):
/// each now ends the command with an error naming the problem, and no crash report.
@Suite("Foreign inputs end a command with an error, not a stop")
struct ForeignInputTests {
    /// Regression data: `x [n, 3]` and a target of `width` values per sample (`[n]` when 1).
    static func regression(_ path: String, n: Int, width: Int, seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        let x = (0..<(n * 3)).map { _ in rng.nextUnit() }
        let y = (0..<(n * width)).map { _ in rng.nextUnit() }
        try NPZWriter.write(path, [("x", Tensor(shape: [n, 3], values: x), "<f4"),
                                   ("y", Tensor(shape: width == 1 ? [n] : [n, width], values: y), "<f4")])
    }

    static func expectError(_ args: [String], mentioning words: [String]) throws {
        let (status, text) = try runGradusBinary(args)
        #expect(status != 0, "\(args): status \(status)")
        #expect(text.hasPrefix("Error: "), "\(args): \(text)")
        #expect(!text.contains("Fatal error") && !text.contains("Stack dump"), "\(args): \(text)")
        for w in words { #expect(text.contains(w), "\(args): \(text) does not mention \(w)") }
    }

    @Test("explain and evaluate a regression with several outputs; targets of another width, standardized or not")
    func regressionTargets() throws {
        let dir = try temporaryFolder("foreign-regress")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.regression(dir + "/two.npz", n: 64, width: 2, seed: 1)
        try Self.regression(dir + "/three.npz", n: 32, width: 3, seed: 2)
        try Self.regression(dir + "/one.npz", n: 32, width: 1, seed: 3)
        let train = try runGradusBinary(["train", "--data", dir + "/two.npz", "--task", "regress", "--standardize-target",
                                         "--hidden", "4", "--epochs", "1", "--quiet", "--out", dir + "/run"])
        #expect(train.status == 0, "\(train.stderr)")
        let checkpoint = dir + "/run/checkpoint.safetensors"
        // The explanation's label names both target values (item() of a two-value target used to stop).
        let explain = try runGradusBinary(["explain", "--checkpoint", checkpoint, "--index", "0", "--out", dir + "/explain"])
        #expect(explain.status == 0, "\(explain.stderr)")
        for other in ["three", "one"] {
            try Self.expectError(["evaluate", "--checkpoint", checkpoint, "--data", dir + "/\(other).npz"], mentioning: ["outputs"])
            try Self.expectError(["train", "--resume", checkpoint, "--data", dir + "/\(other).npz", "--epochs", "2", "--quiet",
                                  "--out", dir + "/resumed-\(other)"], mentioning: ["outputs"])
        }
    }

    @Test("lenet on images with a zero size is refused before any division")
    func zeroSizedImages() throws {
        let dir = try temporaryFolder("foreign-lenet")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try NPZWriter.write(dir + "/flat.npz", [("x", Tensor.zeros([10, 0, 5]), "<f4"),
                                                ("y", Tensor.zeros([10]), "<i8")])
        try Self.expectError(["train", "--model", "lenet", "--data", dir + "/flat.npz", "--epochs", "1", "--quiet", "--out", dir + "/run"],
                             mentioning: [])
    }
}
