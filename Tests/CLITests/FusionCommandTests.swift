import ArgumentParser
import Foundation
import Gradus
import GradusCommands
import GradusTestSupport
import Testing

/// `gradus train --model fusion --inputs …` on an NPZ file of two modalities, then evaluate, predict and
/// explain per input, and the refusals of mismatched inputs.
@Suite("Fusion commands")
struct FusionCommandTests {
    /// An 8-bit image and a feature vector whose label is the XOR of a bright quadrant and a sign: neither
    /// input alone predicts it.
    static func write(_ path: String, n: Int, seed: UInt64, testRows: Int? = nil) throws {
        var rng = SeededGenerator(seed: seed)
        var images: [Double] = [], features: [Double] = [], labels: [Double] = []
        for _ in 0..<n {
            let a = Int(rng.next() % 2), b = Int(rng.next() % 2)
            for r in 0..<8 {
                for c in 0..<8 {
                    let lit = a == 1 ? (r < 4 && c < 4) : (r >= 4 && c >= 4)
                    images.append(Double(lit ? 200 + Int(rng.next() % 50) : Int(rng.next() % 40)))
                }
            }
            features += [Double(b == 1 ? 2 : -2) + rng.nextUnit() - 0.5, 10 * rng.nextUnit(), rng.nextUnit()]
            labels.append(Double(a ^ b))
        }
        try NPZWriter.write(path, [("image", Tensor(shape: [n, 8, 8], values: images), "|u1"),
                                   ("features", Tensor(shape: [n, 3], values: features), "<f4"),
                                   ("y", Tensor(shape: [n], values: labels), "<i8")])
    }

    @Test("train gated and attention fusion from the command; evaluate, predict and explain per input",
          arguments: ["gated", "attention"])
    func trainEvaluatePredictExplain(fusion: String) throws {
        let dir = try temporaryFolder("fusion-\(fusion)")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.write(dir + "/xor.npz", n: 600, seed: 1)
        let result = try Train.parse(["--data", dir + "/xor.npz", "--inputs", "image,features", "--model", "fusion", "--fusion", fusion,
                                      "--embedding", "16", "--hidden", "16", "--epochs", "12", "--lr", "0.01", "--quiet", "--out", dir + "/run"])
            .execute(console: Capture().console)
        #expect((result.accuracy ?? 0) > 0.93, "\(fusion): \(result.summaryLines)")
        let checkpoint = dir + "/run/checkpoint.safetensors"
        let trained = try TrainedModel.load(checkpoint)
        #expect(trained.config.model.inputs == [ModelSpec.NamedShape(name: "image", shape: [8, 8]), ModelSpec.NamedShape(name: "features", shape: [3])])
        #expect(trained.inputStandardizers.keys.sorted() == ["features"])
        let evaluation = try Evaluate.parse(["--checkpoint", checkpoint]).execute(console: Capture().console)
        #expect(abs((evaluation.accuracy ?? 0) - (result.accuracy ?? 1)) < 1e-9)
        // Predict on new raw data: probabilities agree with the labels.
        try Self.write(dir + "/new.npz", n: 50, seed: 9)
        let probabilities = try Predict.parse(["--checkpoint", checkpoint, "--input", dir + "/new.npz", "--limit", "1"])
            .execute(console: Capture().console)
        #expect(probabilities.shape == [50, 2])
        let labels = try NPZReader.read(dir + "/new.npz")["y"]!.scalars(as: Double.self)
        let p = probabilities.scalars(as: Double.self)
        let correct = (0..<50).filter { (p[2 * $0 + 1] > 0.5 ? 1.0 : 0.0) == labels[$0] }.count
        #expect(correct >= 45, "\(correct)/50")
        // Explain: both inputs attributed, completeness reported, an SVG written.
        let capture = Capture()
        let (saliency, ig) = try ExplainCommand.parse(["--checkpoint", checkpoint, "--index", "3", "--out", dir + "/e.svg"])
            .execute(console: capture.console)
        #expect(saliency.shape == [67] && ig.shape == [67])
        #expect(capture.text.contains("input image [8, 8]") && capture.text.contains("input features [3]"), "\(capture.text)")
        #expect(capture.text.contains("completeness gap"))
        let svg = try String(contentsOfFile: dir + "/e.svg", encoding: .utf8)
        #expect(svg.contains("image: integrated gradients") && svg.contains("features: saliency"))
    }

    @Test("one input alone (the ablation) stays near chance on the same data")
    func ablation() throws {
        let dir = try temporaryFolder("fusion-ablation")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.write(dir + "/xor.npz", n: 600, seed: 1)
        let result = try Train.parse(["--data", dir + "/xor.npz", "--inputs", "features", "--model", "fusion", "--embedding", "16",
                                      "--hidden", "16", "--epochs", "12", "--lr", "0.01", "--quiet", "--out", dir + "/run"])
            .execute(console: Capture().console)
        #expect((result.accuracy ?? 1) < 0.65)
    }

    @Test("missing arrays, rows that disagree, --inputs without fusion and fusion without --inputs are refused")
    func refusals() throws {
        let dir = try temporaryFolder("fusion-bad")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.write(dir + "/xor.npz", n: 40, seed: 1)
        try NPZWriter.write(dir + "/rows.npz", [("a", Tensor.zeros([5, 3]), "<f4"), ("b", Tensor.zeros([4, 3]), "<f4"),
                                                 ("y", Tensor.zeros([5]), "<i8")])
        let cases: [([String], String)] = [
            (["--data", dir + "/xor.npz", "--inputs", "image,sound", "--model", "fusion"], "sound"),
            (["--data", dir + "/rows.npz", "--inputs", "a,b", "--model", "fusion"], "rows"),
            (["--data", dir + "/xor.npz", "--inputs", "image,features"], "fusion"),
            (["--data", dir + "/xor.npz", "--model", "fusion"], "--inputs"),
            (["--data", dir + "/xor.npz", "--inputs", "image,image", "--model", "fusion"], "distinct"),
        ]
        for (arguments, words) in cases {
            do {
                _ = try Train.parse(arguments + ["--epochs", "1", "--quiet", "--out", dir + "/run"]).execute(console: Capture().console)
                Issue.record("accepted: \(arguments)")
            } catch {
                #expect("\(error)".contains(words), "\(arguments): \(error)")
            }
        }
    }
}
