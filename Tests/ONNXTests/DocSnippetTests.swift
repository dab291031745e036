import Foundation
import Gradus
import GradusONNX
import Testing

/// The code of the DocC article "Exporting to ONNX" and docs/onnx.md, compiled so that it stays true;
/// the custom layer's export is checked too.
enum ExportingToONNXSnippets {
    static func overview() throws {
        var rng = SeededGenerator(seed: 0)
        let model = Sequential {
            Conv2d(1, 8, kernelSize: 3, padding: 1, generator: &rng)
            ReLU()
            MaxPool2d(2)
            Flatten()
            Linear(8 * 14 * 14, 10, generator: &rng)
        }
        try model.exportONNX(to: "cnn.onnx", sampleInput: Tensor.zeros([1, 1, 28, 28]))
    }

    static func options(languageModel: GPTLanguageModel, model: Module) throws {
        var options = ONNXExportOptions(opset: 18, dynamicAxes: .custom([0: "batch", 1: "sequence"]))
        options.metadata["vocabulary"] = "bytes"
        let bytes = try languageModel.onnxData(sampleInput: Tensor.zeros([1, 16], dtype: .int64), options: options)
        let proto = try model.onnxModel(sampleInput: Tensor.zeros([1, 784]))
        print(bytes.count, proto.graph.node.map(\.opType))
    }

    static func checkpoint() throws {
        let trained = try TrainedModel.load("runs/mnist-mlp/checkpoint.safetensors")
        try trained.exportONNX(to: "mnist.onnx", probabilities: true)
        let proto = try trained.onnxModel()
        let bytes: Data = try proto.serializedBytes()
        try bytes.write(to: URL(fileURLWithPath: "mnist.onnx"))
    }
}

/// docs/onnx.md and the ONNXMultiInputExportable documentation: a model of several named inputs.
enum SeveralInputsSnippets {
    static func fusion() throws {
        var rng = SeededGenerator(seed: 0)
        let model = try FusionModel(inputs: [("image", [1, 8, 8]), ("features", [5])], outputs: 3, fusion: .gated, generator: &rng)
        try model.exportONNX(to: "fusion.onnx", sampleInputs: ["image": Tensor.zeros([1, 1, 8, 8]), "features": Tensor.zeros([1, 5])])
        let proto = try model.onnxModel(sampleInputs: ["image": Tensor.zeros([1, 1, 8, 8]), "features": Tensor.zeros([1, 5])])
        print(proto.graph.input.map(\.name))
    }
}

final class ImageAndFeatures: Module, MultiInputLayer, ONNXMultiInputExportable {
    let image: Sequential
    let features: Linear
    let head: Linear

    init(generator rng: inout SeededGenerator) {
        image = Sequential([Flatten(), Linear(16, 4, generator: &rng)])
        features = Linear(3, 4, generator: &rng)
        head = Linear(8, 2, generator: &rng)
        super.init()
    }

    func callAsFunction(_ inputs: TensorGroup) -> Tensor {
        head(Tensor.concatenate([image(inputs["image"]), features(inputs["features"]).relu()], axis: 1))
    }

    func exportONNX(_ inputs: [String: ONNXValue], to graph: ONNXGraphBuilder) throws -> String {
        let a = try graph.apply(image, to: inputs["image"]!, name: "image")
        let b = try graph.apply(features, to: inputs["features"]!, name: "features")
        let both = try graph.value(graph.node("Concat", [a.name, graph.node("Relu", [b.name])], attributes: [.int("axis", 1)]),
                                   from: [a, b]) { Tensor.concatenate([$0[0], $0[1].relu()], axis: 1) }
        return try graph.apply(head, to: both, name: "head").name
    }
}

final class Residual: Module, Layer, ONNXExportable {
    let body: Sequential
    init(_ body: Sequential) { self.body = body; super.init() }
    func callAsFunction(_ x: Tensor) -> Tensor { x + body(x) }
    func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String {
        let y = try graph.apply(body, to: input, name: "body")
        return graph.node("Add", [input.name, y.name])
    }
}

@Suite("ONNX documentation")
struct DocSnippetTests {
    @Test func residualLayerOfTheArticleExports() throws {
        let model = Sequential([Linear(4, 4), Residual(Sequential([Linear(4, 4), ReLU()]))])
        let proto = try model.onnxModel(sampleInput: Tensor.zeros([2, 4]))
        #expect(proto.graph.node.map(\.opType) == ["Gemm", "Gemm", "Relu", "Add"])
        #expect(Set(proto.graph.initializer.map(\.name)).isSuperset(of: model.namedParameters().map(\.name)))
        #expect(model.namedParameters().map(\.name).contains("1.body.0.weight"))
    }

    @Test func multiInputModelOfTheDocumentationExports() throws {
        var rng = SeededGenerator(seed: 0)
        let model = ImageAndFeatures(generator: &rng)
        let proto = try model.onnxModel(sampleInputs: ["image": Tensor.zeros([2, 4, 4]), "features": Tensor.zeros([2, 3])])
        #expect(proto.graph.input.map(\.name) == ["image", "features"])
        #expect(proto.graph.node.map(\.opType) == ["Flatten", "Gemm", "Gemm", "Relu", "Concat", "Gemm"])
        #expect(Set(proto.graph.initializer.map(\.name)).isSuperset(of: model.namedParameters().map(\.name)))
    }
}
