import Foundation
import Gradus
import GradusCommands
import GradusONNX
import GradusTestSupport
import Testing

/// A model of several named inputs exported in the fixture tests, as ``ONNXCase`` for one input: the
/// inputs file holds `<batch>.<input>` (`b1.image`, `b7.features`), ONNX Runtime's outputs `<batch>`.
struct ONNXMultiInputCase: Sendable, CustomTestStringConvertible {
    let name: String
    /// The named inputs' per-sample shapes, in the model's order.
    let inputs: [NamedShape]
    /// Batch sizes; the first is the export's sample.
    var batches: [Int] = [1, 7]
    let make: @Sendable (inout SeededGenerator) throws -> ONNXMultiInputSubject

    struct NamedShape: Sendable {
        let name: String
        let shape: [Int]
    }

    var testDescription: String { name }
    var seed: UInt64 { UInt64(name.utf8.reduce(5381) { ($0 &* 33) &+ Int($1) } & 0xFFFF) }
    var keys: [String] { batches.map { "b\($0)" } }

    /// The seeded input group of batch `n` (images in [0, 1], as the exported checkpoints take them).
    func makeInputs(batch n: Int) -> TensorGroup {
        TensorGroup(inputs.enumerated().map { i, input in
            var g = SeededGenerator(seed: seed &+ UInt64(n * 101 + i))
            let shape = [n] + input.shape
            return (input.name, input.shape.count >= 2 ? Tensor.uniform(shape, low: 0, high: 1, generator: &g)
                                                       : Tensor.normal(shape, std: 3, generator: &g) + 1)
        })
    }

    var sampleInputs: TensorGroup { TensorGroup(inputs.map { ($0.name, Tensor.zeros([batches[0]] + $0.shape)) }) }
}

struct ONNXMultiInputSubject {
    let export: (ONNXExportOptions, TensorGroup) throws -> Onnx_ModelProto
    let forward: (TensorGroup) throws -> Tensor
}

enum ONNXFusionZoo {
    static let inputs = [ONNXMultiInputCase.NamedShape(name: "image", shape: [1, 8, 8]),
                         ONNXMultiInputCase.NamedShape(name: "plane", shape: [8, 8]),
                         ONNXMultiInputCase.NamedShape(name: "features", shape: [5])]

    static func fusionModel(_ fusion: FusionModel.Fusion, _ g: inout SeededGenerator) throws -> FusionModel {
        let model = try FusionModel(inputs: inputs.map { ($0.name, $0.shape) }, width: 8, hidden: [6], outputs: 3,
                                    fusion: fusion, dropout: 0.2, generator: &g)
        ONNXSubject.prepare(model, generator: &g)
        return model
    }

    static let cases: [ONNXMultiInputCase] = FusionModel.Fusion.allCases.map { fusion in
        ONNXMultiInputCase(name: "fusion_\(fusion.rawValue)", inputs: inputs) { g in
            let model = try fusionModel(fusion, &g)
            return ONNXMultiInputSubject(export: { options, sample in try model.onnxModel(sampleInputs: sample, options: options) },
                                         forward: { x in try GradusError.catching { GradMode.noGrad { model(x) } } })
        }
    } + [
        // A `gradus train`-style checkpoint: standardized features in the graph, softmax out.
        ONNXMultiInputCase(name: "fusion_checkpoint", inputs: [inputs[0], inputs[2]]) { g in
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("gradus-onnx-fusion-\(UUID().uuidString).safetensors").path
            defer { try? FileManager.default.removeItem(atPath: file) }
            try writeCheckpoint(to: file, fusion: .attention, generator: &g)
            let trained = try TrainedModel.load(file)
            return ONNXMultiInputSubject(export: { options, _ in try trained.onnxModel(options: options, probabilities: true) },
                                         forward: { x in try trained.predict(x) })
        },
    ]

    /// A fusion classifier's checkpoint as `gradus train` writes it, with a standardizer for `features`.
    static func writeCheckpoint(to file: String, fusion: FusionModel.Fusion, generator g: inout SeededGenerator) throws {
        var spec = ModelSpec(architecture: .fusion, inputShape: [1], hidden: [6], outputs: 3)
        spec.embedding = 8
        spec.fusion = fusion
        spec.inputs = [ModelSpec.NamedShape(name: "image", shape: [1, 8, 8]), ModelSpec.NamedShape(name: "features", shape: [5])]
        let model = try spec.build(generator: &g)
        ONNXSubject.prepare(model, generator: &g)
        let extra = ["input_standardizer.features.mean": Tensor.uniform([5], low: -2, high: 2, generator: &g),
                     "input_standardizer.features.scale": Tensor.uniform([5], low: 0.5, high: 4, generator: &g)]
        try Checkpoint(model: model.stateDict(), extra: extra, metadata: ["config": RunConfig(model: spec).json()]).save(to: file)
    }
}

@Suite("ONNX export of models of several inputs")
struct ONNXFusionTests {
    static let folder = ONNXRuntimeParityTests.folder

    func dims(_ info: Onnx_ValueInfoProto) -> [String] {
        info.type.tensorType.shape.dim.map { $0.dimParam.isEmpty ? "\($0.dimValue)" : $0.dimParam }
    }

    @Test("the export is the committed file, byte for byte; one graph input per named input", arguments: ONNXFusionZoo.cases)
    func exportIsReproducible(_ c: ONNXMultiInputCase) throws {
        var g = SeededGenerator(seed: c.seed)
        let subject = try c.make(&g)
        let proto = try subject.export(ONNXExportOptions(), c.sampleInputs)
        let bytes: [UInt8] = try proto.serializedBytes()
        let again: [UInt8] = try subject.export(ONNXExportOptions(), c.sampleInputs).serializedBytes()
        #expect(bytes == again, "\(c.name): two exports differ")
        #expect(proto.graph.input.map(\.name) == c.inputs.map(\.name))
        for (info, input) in zip(proto.graph.input, c.inputs) {
            #expect(dims(info) == ["batch"] + input.shape.map(String.init), "\(c.name) \(input.name)")
        }
        #expect(dims(proto.graph.output[0]) == ["batch", "3"])
        let file = Self.folder.appendingPathComponent("\(c.name).onnx")
        if ONNXRuntimeParityTests.recording {
            try FileManager.default.createDirectory(at: Self.folder, withIntermediateDirectories: true)
            try Data(bytes).write(to: file)
            var inputs: [String: Tensor] = [:]
            for n in c.batches {
                for (name, x) in c.makeInputs(batch: n) { inputs["b\(n).\(name)"] = x }
            }
            try SafeTensors.save(inputs, to: Self.folder.appendingPathComponent("\(c.name).inputs.safetensors").path)
            return
        }
        let committed = try [UInt8](Data(contentsOf: file))
        #expect(bytes == committed,
                "\(c.name): the export differs from Tests/Fixtures/onnx/\(c.name).onnx; if the change is intended, re-record (GRADUS_RECORD_ONNX_FIXTURES=1) and run scripts/make_onnx_fixtures.py")
    }

    @Test("Gradus's outputs equal ONNX Runtime's (batches 1 and 7)", arguments: ONNXFusionZoo.cases)
    func outputsMatchONNXRuntime(_ c: ONNXMultiInputCase) throws {
        var g = SeededGenerator(seed: c.seed)
        let subject = try c.make(&g)
        let inputs = try SafeTensors.load(Self.folder.appendingPathComponent("\(c.name).inputs.safetensors").path).tensors
        let expected = try SafeTensors.load(Self.folder.appendingPathComponent("\(c.name).ort.safetensors").path).tensors
        for (n, key) in zip(c.batches, c.keys) {
            let group = try TensorGroup(c.inputs.map { input in
                let x = try #require(inputs["\(key).\(input.name)"], "\(c.name): no input \(key).\(input.name)")
                #expect(x.shape == [n] + input.shape)
                return (input.name, x)
            })
            let ort = try #require(expected[key], "\(c.name): no ONNX Runtime output for \(key); run scripts/make_onnx_fixtures.py")
            let y = try subject.forward(group)
            let scale = ort.abs().max().item(Double.self)
            if let m = mismatch(y, ort, rtol: ONNXRuntimeParityTests.tolerance, atol: ONNXRuntimeParityTests.tolerance * scale) {
                Issue.record("\(c.name) \(key): Gradus vs ONNX Runtime: \(m)")
            }
        }
    }

    @Test("gated fusion writes Sigmoid, Mul and ReduceSum; attention the attention and ReduceMean; options apply")
    func graphShapeAndOptions() throws {
        var g = SeededGenerator(seed: 1)
        let samples = ONNXFusionZoo.cases[0].sampleInputs
        let gated = try ONNXFusionZoo.fusionModel(.gated, &g)
        let ops = try gated.onnxModel(sampleInputs: samples).graph.node.map(\.opType)
        #expect(ops.contains("Sigmoid") && ops.contains("ReduceSum") && ops.contains("Mul"))
        let attention = try ONNXFusionZoo.fusionModel(.attention, &g)
        let proto = try attention.onnxModel(sampleInputs: samples, options: ONNXExportOptions(opset: 18, dynamicAxes: .none))
        #expect(proto.graph.node.map(\.opType).contains("ReduceMean") && proto.graph.node.map(\.opType).contains("Softmax"))
        #expect(proto.graph.initializer.map(\.name).contains("input_embedding"))
        #expect(proto.graph.initializer.map(\.name).contains("encoders.image.0.weight"))
        #expect(proto.graph.input.map(dims) == [["1", "1", "8", "8"], ["1", "8", "8"], ["1", "5"]])
        // Mode restored after the export.
        attention.train()
        _ = try attention.onnxModel(sampleInputs: samples)
        #expect(attention.isTraining)
    }

    @Test("refusals: a missing input, different batch sizes, a one-input layer with sampleInputs")
    func refusals() throws {
        var g = SeededGenerator(seed: 2)
        let model = try ONNXFusionZoo.fusionModel(.concat, &g)
        func message(_ body: () throws -> Void) -> String {
            do { try body(); return "" } catch { return "\(error)" }
        }
        #expect(message { _ = try model.onnxModel(sampleInputs: ["image": Tensor.zeros([1, 1, 8, 8]), "features": Tensor.zeros([1, 5])]) }
            .contains("plane"))
        #expect(message { _ = try model.onnxModel(sampleInputs: ["image": Tensor.zeros([1, 1, 8, 8]), "plane": Tensor.zeros([2, 8, 8]),
                                                                 "features": Tensor.zeros([1, 5])]) }.contains("batch sizes"))
        #expect(message { _ = try Linear(3, 2).onnxModel(sampleInputs: ["x": Tensor.zeros([1, 3])]) }.contains("MultiInputLayer"))
        #expect(message { _ = try model.onnxModel(sampleInput: Tensor.zeros([1, 5])) }.contains("not a Layer"))
    }

    @Test("gradus export of a trained fusion checkpoint: one input per name, features standardized in the graph")
    func exportCommand() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gradus-export-fusion-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var rng = SeededGenerator(seed: 5)
        let n = 40
        let pixels = Tensor.randint(0, 256, shape: [n, 8, 8], generator: &rng)
        let features = Tensor.normal([n, 3], std: 4, generator: &rng) + 10
        let labels = Tensor.randint(0, 2, shape: [n], generator: &rng)
        try NPZWriter.write(dir + "/data.npz", [("image", pixels, "|u1"), ("features", features, "<f4"), ("y", labels, "<i8")])
        _ = try Train.parse(["--data", dir + "/data.npz", "--inputs", "image,features", "--model", "fusion", "--fusion", "gated",
                             "--embedding", "4", "--hidden", "4", "--epochs", "1", "--quiet", "--out", dir + "/run"])
            .execute(console: ConsoleCapture().console)
        let checkpoint = dir + "/run/checkpoint.safetensors", out = dir + "/fusion.onnx"
        let capture = ConsoleCapture()
        let proto = try Export.parse(["--checkpoint", checkpoint, "--out", out]).execute(console: capture.console)
        let written = try Onnx_ModelProto(serializedBytes: Data(contentsOf: URL(fileURLWithPath: out)))
        #expect(written == proto)
        #expect(proto.graph.input.map(\.name) == ["image", "features"])
        #expect(proto.graph.input.map(dims) == [["batch", "8", "8"], ["batch", "3"]])
        #expect(dims(proto.graph.output[0]) == ["batch", "2"])
        #expect(capture.text.contains("input 'image': float32 [batch, 8, 8] image: pixels as in training, 8-bit values divided by 255"), "\(capture.text)")
        #expect(capture.text.contains("input 'features': float32 [batch, 3] features as stored; standardized in the graph"), "\(capture.text)")
        // The features' standardization is in the graph (Sub, Div of the standardizer's constants), no pixel scaling.
        let initializers = proto.graph.initializer.map(\.name)
        #expect(initializers.contains("preprocess.features.standardizer.mean") && !initializers.contains { $0.hasPrefix("preprocess.image") })

        // Gradus's side: the exported pipeline's own computation equals gradus predict on raw data.
        let trained = try TrainedModel.load(checkpoint)
        let raw: TensorGroup = ["image": pixels, "features": features]
        let expected = try trained.predict(raw)
        let scaled: TensorGroup = ["image": pixels.to(.float32) * (1.0 / 255), "features": features]
        let viaFloats = try trained.predict(scaled)
        #expect(mismatch(viaFloats, expected, rtol: 1e-6, atol: 1e-6) == nil)
        let bare = try Export.parse(["--checkpoint", checkpoint, "--out", dir + "/bare.onnx", "--no-preprocessing", "--static-batch"])
            .execute(console: ConsoleCapture().console)
        #expect(bare.graph.input.map(dims) == [["1", "8", "8"], ["1", "3"]])
        #expect(!bare.graph.initializer.map(\.name).contains("preprocess.features.standardizer.mean"))
    }
}
