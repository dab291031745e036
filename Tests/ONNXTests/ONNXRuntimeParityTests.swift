import Foundation
import Gradus
import GradusONNX
import GradusTestSupport
import Testing

/// The exported models against ONNX Runtime, through committed fixtures (no Python at test time):
///
/// 1. these tests, run with `GRADUS_RECORD_ONNX_FIXTURES=1`, write each model of ``ONNXModelZoo`` to
///    `Tests/Fixtures/onnx/<name>.onnx` and its seeded inputs to `<name>.inputs.safetensors`;
/// 2. `scripts/make_onnx_fixtures.py` checks each file with `onnx.checker.check_model` (full check,
///    with shape inference) and runs it in ONNX Runtime on those inputs, writing `<name>.ort.safetensors`;
/// 3. the tests then check that a fresh export gives the committed file byte for byte (so the outputs
///    below are those of today's exporter) and that Gradus's outputs equal ONNX Runtime's.
@Suite("ONNX Runtime parity")
struct ONNXRuntimeParityTests {
    static let folder = Fixtures.directory.appendingPathComponent("onnx")
    static let recording = ProcessInfo.processInfo.environment["GRADUS_RECORD_ONNX_FIXTURES"] == "1"

    /// The relative tolerance of the comparison with ONNX Runtime. Elements are compared as
    /// |gradus − ort| ≤ 1e-5 · (|ort| + max |ort|): relative to each value, with the tensor's largest
    /// value as the scale near zero (sums of products in another order differ by rounding).
    static let tolerance = 1e-5

    @Test("the export is the committed file, byte for byte", arguments: ONNXModelZoo.cases)
    func exportIsReproducible(_ c: ONNXCase) throws {
        var g = SeededGenerator(seed: c.seed)
        let subject = try c.make(&g)
        let bytes: [UInt8] = try subject.export(c.options, c.sampleInput).serializedBytes()
        // A second export of the same model gives the same bytes.
        let again: [UInt8] = try subject.export(c.options, c.sampleInput).serializedBytes()
        #expect(bytes == again, "\(c.name): two exports differ")
        let file = Self.folder.appendingPathComponent("\(c.name).onnx")
        if Self.recording {
            try FileManager.default.createDirectory(at: Self.folder, withIntermediateDirectories: true)
            try Data(bytes).write(to: file)
            let inputs = Dictionary(uniqueKeysWithValues: c.shapes.keys.map { ($0, c.makeInput($0)) })
            try SafeTensors.save(inputs, to: Self.folder.appendingPathComponent("\(c.name).inputs.safetensors").path)
            return
        }
        let committed = try [UInt8](Data(contentsOf: file))
        #expect(bytes == committed,
                "\(c.name): the export differs from Tests/Fixtures/onnx/\(c.name).onnx; if the change is intended, re-record (GRADUS_RECORD_ONNX_FIXTURES=1) and run scripts/make_onnx_fixtures.py")
    }

    @Test("Gradus's outputs equal ONNX Runtime's (batches 1 and 7)", arguments: ONNXModelZoo.cases)
    func outputsMatchONNXRuntime(_ c: ONNXCase) throws {
        var g = SeededGenerator(seed: c.seed)
        let subject = try c.make(&g)
        let inputs = try SafeTensors.load(Self.folder.appendingPathComponent("\(c.name).inputs.safetensors").path).tensors
        let expected = try SafeTensors.load(Self.folder.appendingPathComponent("\(c.name).ort.safetensors").path).tensors
        #expect(Set(inputs.keys) == Set(c.shapes.keys), "\(c.name): inputs recorded for \(inputs.keys.sorted())")
        for key in c.shapes.keys.sorted() {
            let x = try #require(inputs[key], "\(c.name): no input \(key)")
            let ort = try #require(expected[key], "\(c.name): no ONNX Runtime output for \(key); run scripts/make_onnx_fixtures.py")
            #expect(x.shape == c.shapes[key], "\(c.name) \(key): input shape")
            let y = try subject.forward(c.indexRange == nil ? x.to(.float32) : x)
            let scale = ort.abs().max().item(Double.self)
            if let m = mismatch(y, ort, rtol: Self.tolerance, atol: Self.tolerance * scale) {
                Issue.record("\(c.name) \(key): Gradus vs ONNX Runtime: \(m)")
            }
        }
    }
}

extension ONNXCase: CustomTestStringConvertible {
    var testDescription: String { name }
}
