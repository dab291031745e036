import Foundation
import Gradus
import GradusONNX
import GradusTestSupport
import Testing

@Suite("ONNX weights import")
struct ONNXWeightsTests {
    static let roundTrips = ["gradus_lenet", "batchnorm", "lstm", "lstm_bidirectional", "gru", "rnn_relu", "transformer_encoder",
                             "transformer_norm_first_gelu", "lstm_language_model", "gpt_language_model", "conv_transpose2d", "groupnorm", "layernorm",
                             "prelu_conv", "activations_more", "lstm_cell", "gru_cell", "rnn_cell_relu", "cells_unbatched",
                             "embedding_bag_max_padding", "rms_norm", "conv_transpose1d"]

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

    /// A file PyTorch's exporter wrote (scripts/make_onnx_fixtures.py --pytorch): its weights, named by
    /// torch.nn.Sequential and partly through Identity nodes, make the same Gradus architecture compute
    /// PyTorch's outputs.
    @Test func weightsOfAPyTorchExport() throws {
        let folder = ONNXRuntimeParityTests.folder.appendingPathComponent("pytorch")
        let model = Sequential {
            Conv2d(2, 4, kernelSize: 3, padding: 1)
            ReLU()
            MaxPool2d(2)
            Flatten()
            Linear(36, 6)
            BatchNorm1d(6)
            Tanh()
            Linear(6, 3)
        }
        try model.loadONNXWeights(from: folder.appendingPathComponent("sequential.onnx").path)
        model.eval()
        let io = try SafeTensors.load(folder.appendingPathComponent("sequential.io.safetensors").path).tensors
        let x = try #require(io["input"]), expected = try #require(io["output"])
        let y = GradMode.noGrad { model(x) }
        #expect(mismatch(y, expected, rtol: 1e-5, atol: 1e-5) == nil, "\(mismatch(y, expected) ?? "")")
        // Running statistics came from the file, not the fresh layer's zeros and ones.
        #expect(model.stateDict()["5.running_mean"]!.scalars().contains { $0 != 0 })
    }

    @Test func runningStatisticsAreNeededAndMayBeNamedByIdentityNodes() throws {
        var g = SeededGenerator(seed: 8)
        let source = Sequential { Linear(4, 3, generator: &g); BatchNorm1d(3) }
        ONNXSubject.prepare(source, generator: &g)
        var proto = try source.onnxModel(sampleInput: Tensor.zeros([2, 4]))
        // As PyTorch's exporter does for tensors with equal values: the initializer under another name,
        // an Identity node giving it the parameter's.
        let i = try #require(proto.graph.initializer.firstIndex { $0.name == "1.running_var" })
        proto.graph.initializer[i].name = "shared"
        var identity = Onnx_NodeProto()
        identity.opType = "Identity"
        identity.input = ["shared"]
        identity.output = ["1.running_var"]
        proto.graph.node.insert(identity, at: 0)
        let copy = Sequential { Linear(4, 3); BatchNorm1d(3) }
        try copy.loadONNXWeights(proto)
        #expect(copy.stateDict()["1.running_var"]?.scalars() == source.stateDict()["1.running_var"]?.scalars())
        proto.graph.initializer.removeAll { $0.name == "1.running_mean" }
        #expect(error { try copy.loadONNXWeights(proto) }?.message.contains("1.running_mean") == true)
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
        // A FIFO is refused at once (reading it waited for a writer forever), a file over the limit before it is read.
        let fifo = file + ".fifo"
        #expect(mkfifo(fifo, 0o600) == 0)
        defer { unlink(fifo) }
        #expect(error { try small.loadONNXWeights(from: fifo) }?.message.contains("FIFO") == true)
        try Data(count: 3 << 20).write(to: URL(fileURLWithPath: file))
        let tooLarge = MemoryBudget.withBudget(4 << 20) { error { try small.loadONNXWeights(from: file) } }
        #expect(tooLarge?.message.contains("over the limit") == true, "\(tooLarge?.message ?? "")")
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
