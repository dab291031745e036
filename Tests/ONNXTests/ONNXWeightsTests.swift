import Foundation
import Gradus
import GradusONNX
import GradusTestSupport
import Testing

@Suite("ONNX weights import")
struct ONNXWeightsTests {
    static let roundTrips = ["gradus_lenet", "batchnorm", "lstm", "lstm_bidirectional", "gru", "rnn_relu", "transformer_encoder",
                             "transformer_norm_first_gelu", "lstm_language_model", "conv_transpose2d", "groupnorm", "layernorm"]

    /// A zoo model exported, then read back into the same architecture built from another seed: every
    /// parameter and running statistic comes back, and so do the outputs.
    @Test("weights come back from an exported file into a fresh model", arguments: roundTrips)
    func roundTrip(_ name: String) throws {
        let c = try #require(ONNXModelZoo.cases.first { $0.name == name })
        var g = SeededGenerator(seed: c.seed), other = SeededGenerator(seed: c.seed &+ 99)
        let subject = try c.make(&g)
        let original = try #require(subject.module), copy = try #require(try c.make(&other).module)
        let proto = try subject.export(c.options, c.sampleInput)
        let expected = original.stateDict().filter { !$0.key.hasSuffix("num_batches_tracked") }
        #expect(expected.contains { key, t in copy.stateDict()[key]!.scalars(as: Double.self) != t.scalars(as: Double.self) },
                "\(name): the fresh model should differ before loading")
        try copy.loadONNXWeights(proto)
        let loaded = copy.stateDict()
        for (key, t) in expected {
            #expect(loaded[key]?.scalars(as: Double.self) == t.scalars(as: Double.self), "\(name): \(key)")
        }
        let x = c.makeInput(c.shapes.keys.sorted()[0])
        let layer = try #require(copy as? any Layer), reference = try #require(original as? any Layer)
        #expect(GradMode.noGrad { layer(x) }.scalars() == GradMode.noGrad { reference(x) }.scalars(), "\(name): outputs")
    }

    func error(_ body: () throws -> Void) -> GradusError? {
        do { try body(); return nil } catch let e as GradusError { return e } catch { return nil }
    }

    @Test func refusals() throws {
        var g = SeededGenerator(seed: 5)
        let small = Sequential { Linear(4, 3, generator: &g); ReLU(); Linear(3, 2, generator: &g) }
        let proto = try small.onnxModel(sampleInput: Tensor.zeros([1, 4]))
        let wider = Sequential { Linear(4, 5, generator: &g); ReLU(); Linear(5, 2, generator: &g) }
        let before = wider.stateDict()
        let shape = error { try wider.loadONNXWeights(proto) }
        #expect(shape?.op == "loadONNXWeights")
        #expect(shape?.message.contains("0.weight [3, 4] for [5, 4]") == true && shape?.message.contains("2.weight") == true,
                "\(shape?.message ?? "")")
        #expect(wider.stateDict().allSatisfy { $0.value.scalars() == before[$0.key]!.scalars() }, "changed despite the error")
        let deeper = Sequential { Linear(4, 3); ReLU(); Linear(3, 2); Linear(2, 2) }
        #expect(error { try deeper.loadONNXWeights(proto) }?.message.contains("3.weight") == true)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("gradus-\(UUID().uuidString).onnx").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        try Data("not a model".utf8).write(to: URL(fileURLWithPath: file))
        #expect(error { try small.loadONNXWeights(from: file) }?.message.contains("not an ONNX model") == true)
        #expect(error { try small.loadONNXWeights(from: file + ".missing") }?.message.contains("cannot read") == true)
        // Values stored as float_data instead of raw bytes are read too.
        var textual = proto
        for i in textual.graph.initializer.indices where textual.graph.initializer[i].dataType == 1 {
            let raw = textual.graph.initializer[i].rawData
            textual.graph.initializer[i].floatData = raw.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
            textual.graph.initializer[i].rawData = Data()
        }
        let fresh = Sequential { Linear(4, 3); ReLU(); Linear(3, 2) }
        try fresh.loadONNXWeights(textual)
        #expect(fresh.stateDict()["2.bias"]?.scalars() == small.stateDict()["2.bias"]?.scalars())
    }
}
