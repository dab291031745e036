import Foundation
import Gradus
import Testing

/// A fresh temporary folder, removed by the caller with `try? FileManager.default.removeItem(atPath:)`.
func temporaryFolder(_ tag: String) throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("gradus-\(tag)-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Three Gaussian blobs in 2-D with labels 0, 1, 2, written as CSV columns a, b, label.
func writeBlobsCSV(to path: String, count: Int = 90, seed: UInt64 = 1) throws {
    var rng = SeededGenerator(seed: seed)
    let centers: [(Double, Double)] = [(0, 0), (3, 0), (0, 3)]
    var lines = ["a,b,label"]
    for i in 0..<count {
        let c = i % 3
        let a = centers[c].0 + (rng.nextUnit() - 0.5), b = centers[c].1 + (rng.nextUnit() - 0.5)
        lines.append("\(a),\(b),\(c)")
    }
    try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
}

/// Rows `x,y` with y = 2x + 1 exactly, x uniform in [-2, 2].
func writeLineCSV(to path: String, count: Int = 100) throws {
    var rng = SeededGenerator(seed: 7)
    var lines = ["x,y"]
    for _ in 0..<count {
        let x = 4 * rng.nextUnit() - 2
        lines.append("\(x),\(2 * x + 1)")
    }
    try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
}

/// The raw bytes of every tensor of a state dictionary, for bit-exact comparisons.
func bytes(_ state: [String: Tensor]) -> [String: [Float]] {
    state.mapValues { $0.scalars(as: Float.self) }
}

/// Expects `body` to throw a ``GradusError`` (of `kind`, when given) whose message contains every string
/// of `mentions`.
func expectGradusError(_ kind: GradusError.Kind? = nil, mentions: [String],
                         sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) {
    do {
        try body()
        Issue.record("expected a GradusError, nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as GradusError {
        if let kind { #expect(error.kind == kind, "wrong kind in: \(error)", sourceLocation: sourceLocation) }
        for m in mentions {
            #expect(error.message.contains(m), "\"\(m)\" not mentioned in: \(error)", sourceLocation: sourceLocation)
        }
    } catch {
        Issue.record("expected a GradusError, got \(error)", sourceLocation: sourceLocation)
    }
}
