import Foundation
import Gradus
import GradusONNX
import GradusTestSupport
import Testing

/// A layer with no ONNX conversion.
final class Unconvertible: Module, Layer {
    func callAsFunction(_ input: Tensor) -> Tensor { input * 2 }
}

/// A custom layer that writes itself (the example of ONNXExportable's documentation).
final class Scale: Module, Layer, ONNXExportable {
    @Parameter var factor: Tensor
    init(_ n: Int) {
        factor = Tensor.full([n], value: 3)
        super.init()
    }
    func callAsFunction(_ x: Tensor) -> Tensor { x * factor }
    func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String {
        graph.node("Mul", [input.name, try graph.parameter(factor, name: "factor")])
    }
}

/// A module that is not a layer.
final class NotALayer: Module {}

@Suite("ONNX export")
struct ONNXExportTests {
    func mlp() -> Sequential {
        var g = SeededGenerator(seed: 1)
        return Sequential { Linear(4, 8, generator: &g); ReLU(); Linear(8, 3, generator: &g) }
    }

    func error(_ body: () throws -> Void) -> GradusError? {
        do {
            try body()
            return nil
        } catch let e as GradusError {
            return e
        } catch {
            Issue.record("expected a GradusError, got \(error)")
            return nil
        }
    }

    func dims(_ info: Onnx_ValueInfoProto) -> [String] {
        info.type.tensorType.shape.dim.map { $0.dimParam.isEmpty ? "\($0.dimValue)" : $0.dimParam }
    }

    @Test func graphOfAnMLP() throws {
        let model = mlp()
        let proto = try model.onnxModel(sampleInput: Tensor.zeros([1, 4]))
        #expect(proto.irVersion == 8)
        #expect(proto.opsetImport.map(\.version) == [17])
        #expect(proto.producerName == "Gradus")
        #expect(proto.graph.node.map(\.opType) == ["Gemm", "Relu", "Gemm"])
        #expect(proto.graph.input.map(\.name) == ["input"])
        #expect(proto.graph.output.map(\.name) == ["output"])
        #expect(proto.graph.node.last?.output == ["output"])
        #expect(dims(proto.graph.input[0]) == ["batch", "4"])
        #expect(dims(proto.graph.output[0]) == ["batch", "3"])
        // Weights are initializers named as the parameters, holding their float32 values.
        let initializers = Dictionary(uniqueKeysWithValues: proto.graph.initializer.map { ($0.name, $0) })
        for (name, p) in model.namedParameters() {
            let t = try #require(initializers[name], "no initializer \(name)")
            #expect(t.dims == p.shape.map(Int64.init))
            #expect(t.dataType == 1)
            let values = t.rawData.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
            #expect(values == p.scalars(as: Float.self), "\(name) values")
        }
    }

    @Test func poolingWindowsThatCannotComputeAreRefused() throws {
        // The graph is written before the sample runs: a kernel or stride of 0 must not divide by zero.
        for layer in [MaxPool2d(0), MaxPool2d(2, stride: 0), AvgPool2d(0)] as [any Layer] {
            let model = Sequential([Conv2d(1, 2, kernelSize: 3), layer])
            let e = error { _ = try model.onnxModel(sampleInput: Tensor.zeros([1, 1, 8, 8])) }
            #expect(e?.message.contains("must lie in") == true, "\(String(describing: e))")
        }
        for size in [Size2(-1, 2), Size2(1 << 30, 1)] {
            let model = Sequential([Conv2d(1, 2, kernelSize: 3), AdaptiveAvgPool2d(size)])
            let e = error { _ = try model.onnxModel(sampleInput: Tensor.zeros([1, 1, 8, 8])) }
            #expect(e?.message.contains("AdaptiveAvgPool2d: output size") == true, "\(String(describing: e))")
        }
    }

    @Test func staticBatchAndNames() throws {
        let proto = try mlp().onnxModel(sampleInput: Tensor.zeros([5, 4]),
                                        options: ONNXExportOptions(opset: 19, dynamicAxes: .none, inputName: "x", outputName: "logits"))
        #expect(proto.irVersion == 9)
        #expect(dims(proto.graph.input[0]) == ["5", "4"])
        #expect(dims(proto.graph.output[0]) == ["5", "3"])
        #expect(proto.graph.input[0].name == "x" && proto.graph.output[0].name == "logits")
        #expect(proto.graph.node.first?.input.first == "x")
    }

    @Test func timeMajorSequenceLayersHaveTheirBatchOnAxisOne() throws {
        let lstm = LSTM(inputSize: 3, hiddenSize: 4)
        let proto = try lstm.onnxModel(sampleInput: Tensor.zeros([6, 2, 3]))
        #expect(dims(proto.graph.input[0]) == ["6", "batch", "3"])
        #expect(dims(proto.graph.output[0]) == ["6", "batch", "4"])
        let custom = try lstm.onnxModel(sampleInput: Tensor.zeros([6, 2, 3]),
                                        options: ONNXExportOptions(dynamicAxes: .custom([0: "time", 1: "batch"])))
        #expect(dims(custom.graph.input[0]) == ["time", "batch", "3"])
        #expect(dims(custom.graph.output[0]) == ["time", "batch", "4"])
    }

    @Test func fileHoldsTheSerializedModel() throws {
        let model = mlp()
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("gradus-onnx-\(UUID().uuidString).onnx").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        try model.exportONNX(to: file, sampleInput: Tensor.zeros([1, 4]))
        let written = try Data(contentsOf: URL(fileURLWithPath: file))
        #expect(written == (try model.onnxData(sampleInput: Tensor.zeros([1, 4]))))
        #expect((try Onnx_ModelProto(serializedBytes: written)).graph.node.count == 3)
    }

    @Test func destinationsThatAreNotFilesAreRefused() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gradus-onnx-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let fifo = dir + "/fifo.onnx"
        #expect(mkfifo(fifo, 0o600) == 0)
        let x = Tensor.zeros([1, 4])
        #expect(error { try mlp().exportONNX(to: fifo, sampleInput: x) }?.message.contains("not a regular file") == true)
        var info = stat()
        #expect(stat(fifo, &info) == 0 && (info.st_mode & S_IFMT) == S_IFIFO, "the FIFO was replaced")
        #expect(error { try mlp().exportONNX(to: dir, sampleInput: x) }?.message.contains("folder") == true)
        #expect(error { try mlp().exportONNX(to: dir + "/missing/m.onnx", sampleInput: x) }?.message.contains("does not exist") == true)
    }

    @Test func unknownLayerIsNamedWithItsPath() {
        let model = Sequential([Linear(4, 4), Sequential([ReLU(), Unconvertible()])])
        let e = error { _ = try model.onnxModel(sampleInput: Tensor.zeros([1, 4])) }
        #expect(e?.op == "exportONNX")
        #expect(e?.kind == .invalidArgument)
        #expect(e?.message.contains("layer '1.1'") == true, "\(e?.message ?? "")")
        #expect(e?.message.contains("Unconvertible") == true, "\(e?.message ?? "")")
    }

    @Test func customLayerWritesItself() throws {
        let model = Sequential([Linear(4, 2), Scale(2)])
        let proto = try model.onnxModel(sampleInput: Tensor.zeros([1, 4]))
        #expect(proto.graph.node.map(\.opType) == ["Gemm", "Mul"])
        #expect(proto.graph.initializer.map(\.name).contains("1.factor"))
    }

    @Test func refusals() {
        let model = mlp()
        let x = Tensor.zeros([1, 4])
        for opset in [16, 22] {
            #expect(error { _ = try model.onnxModel(sampleInput: x, options: ONNXExportOptions(opset: opset)) }?.message.contains("opset \(opset)") == true)
        }
        #expect(error { _ = try model.onnxModel(sampleInput: x, options: ONNXExportOptions(inputName: "a", outputName: "a")) } != nil)
        #expect(error { _ = try model.onnxModel(sampleInput: x, options: ONNXExportOptions(dynamicAxes: .custom([2: "batch"]))) }?
            .message.contains("out of range") == true)
        // The sample does not fit the model: the failing layer is named, the process goes on.
        let misfit = error { _ = try model.onnxModel(sampleInput: Tensor.zeros([1, 5])) }
        #expect(misfit?.message.contains("layer '0'") == true, "\(misfit?.message ?? "")")
        #expect(error { _ = try model.onnxModel(sampleInput: Tensor.zeros([1, 4], dtype: .float64)) }?.message.contains("float64") == true)
        #expect(error { _ = try model.onnxModel(sampleInput: Tensor.zeros([0, 4])) }?.message.contains("empty") == true)
        let double = Linear(4, 2, dtype: .float64)
        #expect(error { _ = try double.onnxModel(sampleInput: x) }?.message.contains("float64") == true)
        #expect(error { _ = try NotALayer().onnxModel(sampleInput: x) }?.message.contains("not a Layer") == true)
        #expect(error { _ = try Embedding(5, 2).onnxModel(sampleInput: x) }?.message.contains("int64") == true)
        // ONNX's LSTM has no projection; 3-D adaptive pools export only with windows all alike.
        #expect(error { _ = try LSTM(inputSize: 4, hiddenSize: 3, projSize: 2).onnxModel(sampleInput: Tensor.zeros([2, 1, 4])) }?
            .message.contains("no projection") == true)
        #expect(error { _ = try AdaptiveAvgPool3d([2, 1, 1]).onnxModel(sampleInput: Tensor.zeros([1, 1, 3, 2, 2])) }?
            .message.contains("divides") == true)
    }

    /// What the converters added for the padding layers, GLU, pixel unshuffle and EmbeddingBag cannot
    /// write is refused with a message naming it, and nothing is written.
    @Test func configurationsWithoutAnONNXFormAreRefused() {
        let image = Tensor.zeros([1, 2, 4, 6])
        let circular = error { _ = try CircularPad2d(1).onnxModel(sampleInput: image) }
        #expect(circular?.message.contains("opset 19") == true, "\(circular?.message ?? "")")
        #expect(error { _ = try CircularPad2d(1).onnxModel(sampleInput: image, options: ONNXExportOptions(opset: 19)) } == nil)
        let cropReflect = error { _ = try ReflectionPad2d((left: -1, right: 1, top: 0, bottom: 0)).onnxModel(sampleInput: image) }
        #expect(cropReflect?.message.contains("negative amounts") == true, "\(cropReflect?.message ?? "")")
        let dynamicWidth = ONNXExportOptions(dynamicAxes: .custom([0: "batch", 3: "width"]))
        let unshuffle = error { _ = try PixelUnshuffle(2).onnxModel(sampleInput: image, options: dynamicWidth) }
        #expect(unshuffle?.message.contains("PixelUnshuffle") == true, "\(unshuffle?.message ?? "")")
        let glu = error { _ = try GLU(axis: -1).onnxModel(sampleInput: image, options: dynamicWidth) }
        #expect(glu?.message.contains("dynamic") == true, "\(glu?.message ?? "")")
        let bags = Tensor.zeros([2, 3], dtype: .int64)
        let renormalized = error { _ = try EmbeddingBag(5, 2, maxNorm: 1).onnxModel(sampleInput: bags) }
        #expect(renormalized?.message.contains("maxNorm") == true, "\(renormalized?.message ?? "")")
        let floats = error { _ = try EmbeddingBag(5, 2).onnxModel(sampleInput: Tensor.zeros([2, 3])) }
        #expect(floats?.message.contains("int64") == true, "\(floats?.message ?? "")")
        // An output padding of a stride or more that the padding cannot absorb.
        let transposed = ConvTranspose1d(2, 2, kernelSize: 2, stride: 1, padding: 0, outputPadding: 1, dilation: 2)
        let past = error { _ = try transposed.onnxModel(sampleInput: Tensor.zeros([1, 2, 4])) }
        #expect(past?.message.contains("output_padding < stride") == true, "\(past?.message ?? "")")
        var g = SeededGenerator(seed: 1)
        let cross = MultiheadAttention(embedDim: 4, numHeads: 2, kdim: 3, generator: &g)
        #expect(error { _ = try cross.onnxModel(sampleInput: Tensor.zeros([2, 1, 4])) } != nil)
    }

    /// One unbatched sample of a layer that also takes batches has no batch axis by default (axis 0 is
    /// its channels or features, which the graph must keep fixed).
    @Test func unbatchedSamplesHaveNoBatchAxis() throws {
        var g = SeededGenerator(seed: 2)
        let cases: [(Module, Tensor)] = [
            (GRUCell(inputSize: 3, hiddenSize: 2, generator: &g), Tensor.zeros([3])),
            (ConvTranspose1d(2, 3, kernelSize: 2, generator: &g), Tensor.zeros([2, 5])),
            (Conv1d(2, 3, kernelSize: 2, generator: &g), Tensor.zeros([2, 5])),
            (Sequential { Conv2d(1, 2, kernelSize: 1, generator: &g); ReLU() }, Tensor.zeros([1, 3, 3])),
            (ConvTranspose2d(1, 2, kernelSize: 2, generator: &g), Tensor.zeros([1, 3, 3])),
            (PixelShuffle(2), Tensor.zeros([4, 2, 3])),
            (PixelUnshuffle(2), Tensor.zeros([1, 4, 6])),
            (Sequential { PixelShuffle(2); ReLU() }, Tensor.zeros([4, 3, 3])),
        ]
        for (model, sample) in cases {
            let proto = try model.onnxModel(sampleInput: sample)
            #expect(dims(proto.graph.input[0]) == sample.shape.map(String.init), "\(type(of: model)): \(dims(proto.graph.input[0]))")
        }
        // A batched sample keeps its batch axis.
        let batched = try Conv1d(2, 3, kernelSize: 2, generator: &g).onnxModel(sampleInput: Tensor.zeros([1, 2, 5]))
        #expect(dims(batched.graph.input[0]) == ["batch", "2", "5"])
    }

    @Test func modesAreRestored() throws {
        let model = Sequential([Linear(4, 4), Dropout(p: 0.5), BatchNorm1d(4)])
        model.train()
        model[2].eval()
        _ = try model.onnxModel(sampleInput: Tensor.zeros([2, 4]))
        #expect(model.isTraining && model[0].isTraining && model[1].isTraining)
        #expect(!model[2].isTraining)
        // Exported in evaluation mode: dropout is gone, batch normalization uses its running statistics.
        let proto = try model.onnxModel(sampleInput: Tensor.zeros([2, 4]))
        #expect(proto.graph.node.map(\.opType) == ["Gemm", "BatchNormalization"])
    }

    @Test func passThroughModelNamesItsOutput() throws {
        let proto = try Sequential([Dropout(p: 0.1), Identity()]).onnxModel(sampleInput: Tensor.zeros([1, 3]))
        #expect(proto.graph.node.map(\.opType) == ["Identity"])
        #expect(proto.graph.node[0].input == ["input"] && proto.graph.node[0].output == ["output"])
    }

    @Test func opsetDecidesTheFormOfSomeOperators() throws {
        let model = Sequential([GELU(), GroupNorm(1, 2)])
        let x = Tensor.zeros([1, 2, 3])
        let v17 = try model.onnxModel(sampleInput: x, options: ONNXExportOptions(opset: 17)).graph.node
        let v20 = try model.onnxModel(sampleInput: x, options: ONNXExportOptions(opset: 20)).graph.node
        #expect(!v17.contains { $0.opType == "Gelu" } && v17.contains { $0.opType == "Erf" })
        #expect(v20.contains { $0.opType == "Gelu" })
        let mean17 = try #require(v17.first { $0.opType == "ReduceMean" }), mean20 = try #require(v20.first { $0.opType == "ReduceMean" })
        #expect(mean17.input.count == 1 && mean17.attribute.contains { $0.name == "axes" })
        #expect(mean20.input.count == 2 && !mean20.attribute.contains { $0.name == "axes" })
    }
}
