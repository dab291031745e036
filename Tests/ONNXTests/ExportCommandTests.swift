import ArgumentParser
import Foundation
import Gradus
import GradusCommands
import GradusONNX
import Testing

/// A console that keeps what it is given.
final class ConsoleCapture: @unchecked Sendable {
    private let lock = NSLock()
    private var buffer = ""
    var text: String { lock.lock(); defer { lock.unlock() }; return buffer }
    var console: Console { Console(isTerminal: false) { [self] s in lock.lock(); buffer += s; lock.unlock() } }
}

@Suite("gradus export")
struct ExportCommandTests {
    func folder() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("gradus-export-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    func checkpoint(_ task: LearningTask, in dir: String) throws -> String {
        let file = dir + "/\(task.rawValue).safetensors"
        var g = SeededGenerator(seed: 3)
        try ONNXModelZoo.writeCheckpoint(task: task, to: file, generator: &g)
        return file
    }

    func dims(_ info: Onnx_ValueInfoProto) -> [String] {
        info.type.tensorType.shape.dim.map { $0.dimParam.isEmpty ? "\($0.dimValue)" : $0.dimParam }
    }

    @Test("a classifier's checkpoint becomes a file taking raw pixels, its preprocessing in the graph")
    func exportsAClassifier() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = try checkpoint(.classify, in: dir), out = dir + "/model.onnx"
        let capture = ConsoleCapture()
        let proto = try Export.parse(["--checkpoint", file, "--format", "onnx", "--out", out]).execute(console: capture.console)
        let written = try Onnx_ModelProto(serializedBytes: Data(contentsOf: URL(fileURLWithPath: out)))
        #expect(written == proto)
        #expect(dims(proto.graph.input[0]) == ["batch", "64"])
        #expect(dims(proto.graph.output[0]) == ["batch", "10"])
        // Pixel scale, then standardization, then the network; logits out.
        #expect(Array(proto.graph.node.map(\.opType).prefix(3)) == ["Mul", "Sub", "Div"])
        #expect(proto.graph.node.last?.opType == "Gemm")
        #expect(capture.text.contains("mlp 64-12-10"), "\(capture.text)")
        #expect(capture.text.contains("raw pixel values as stored (0-16)") && capture.text.contains("0.0625") && capture.text.contains("logits"), "\(capture.text)")

        let bare = try Export.parse(["--checkpoint", file, "--out", out, "--no-preprocessing", "--probabilities", "--static-batch",
                                     "--opset", "18"]).execute(console: ConsoleCapture().console)
        #expect(bare.graph.node.map(\.opType) == ["Gemm", "Relu", "Gemm", "Softmax"])
        #expect(dims(bare.graph.input[0]) == ["1", "64"])
        #expect(bare.opsetImport.first?.version == 18)
    }

    @Test("a regression model's outputs are turned back into the data's units")
    func exportsARegression() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = try checkpoint(.regress, in: dir), out = dir + "/model.onnx"
        let proto = try Export.parse(["--checkpoint", file, "--out", out]).execute(console: ConsoleCapture().console)
        #expect(Array(proto.graph.node.map(\.opType).suffix(2)) == ["Mul", "Add"])
        do {
            try Export.parse(["--checkpoint", file, "--out", out, "--probabilities"]).execute(console: ConsoleCapture().console)
            Issue.record("--probabilities was accepted for a regression model")
        } catch let error as GradusError {
            #expect(error.message.contains("classifiers"), "\(error)")
        }
    }

    @Test("a language model takes token ids of any length; a model of several named inputs gets one graph input per name")
    func languageAndFusionModels() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var g = SeededGenerator(seed: 4)
        var gpt = ModelSpec(architecture: .gpt, inputShape: [8], outputs: 11)
        gpt.embedding = 8
        gpt.layers = 1
        gpt.heads = 2
        let file = dir + "/gpt.safetensors", out = dir + "/gpt.onnx"
        try Checkpoint(model: try gpt.build(generator: &g).stateDict(),
                       metadata: ["config": RunConfig(model: gpt, task: .languageModel).json()]).save(to: file)
        let capture = ConsoleCapture()
        let proto = try Export.parse(["--checkpoint", file, "--out", out, "--probabilities"]).execute(console: capture.console)
        #expect(dims(proto.graph.input[0]) == ["batch", "sequence"])
        #expect(proto.graph.input[0].type.tensorType.elemType == 7)
        #expect(dims(proto.graph.output[0]) == ["batch", "sequence", "11"])
        #expect(proto.graph.node.last?.opType == "Softmax")
        #expect(capture.text.contains("int64 [batch, sequence] token ids below 11 (at most 8 tokens)"), "\(capture.text)")

        var fusion = ModelSpec(architecture: .fusion, inputShape: [1], hidden: [8], outputs: 3)
        fusion.embedding = 4
        fusion.inputs = [ModelSpec.NamedShape(name: "a", shape: [5]), ModelSpec.NamedShape(name: "b", shape: [3])]
        let fusionFile = dir + "/fusion.safetensors"
        try Checkpoint(model: try fusion.build(generator: &g).stateDict(),
                       metadata: ["config": RunConfig(model: fusion).json()]).save(to: fusionFile)
        let fusionCapture = ConsoleCapture()
        let fused = try Export.parse(["--checkpoint", fusionFile, "--out", dir + "/fusion.onnx"]).execute(console: fusionCapture.console)
        #expect(fused.graph.input.map(\.name) == ["a", "b"])
        #expect(fused.graph.input.map(dims) == [["batch", "5"], ["batch", "3"]])
        #expect(dims(fused.graph.output[0]) == ["batch", "3"])
        #expect(fusionCapture.text.contains("input 'a': float32 [batch, 5]") && fusionCapture.text.contains("input 'b': float32 [batch, 3]"),
                "\(fusionCapture.text)")
        #expect(FileManager.default.fileExists(atPath: dir + "/fusion.onnx"))
    }

    @Test("bad flags and files are refused with a message")
    func refusals() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = try checkpoint(.classify, in: dir)
        func message(_ args: [String]) -> String? {
            do {
                try Export.parse(args).execute(console: ConsoleCapture().console)
                return nil
            } catch {
                return Export.message(for: error)
            }
        }
        #expect(message(["--checkpoint", file, "--out", dir + "/m.onnx", "--format", "tflite"])?.contains("tflite") == true)
        #expect(message(["--checkpoint", file, "--out", dir + "/m.onnx", "--opset", "12"])?.contains("--opset 12") == true)
        #expect(message(["--checkpoint", file, "--out", file])?.contains("would destroy it") == true)
        #expect(message(["--checkpoint", file, "--out", dir])?.contains("is a folder") == true)
        #expect(message(["--checkpoint", dir + "/missing.safetensors", "--out", dir + "/m.onnx"])?.contains("no such file") == true)
        let garbage = dir + "/garbage.safetensors"
        try Data("not a checkpoint".utf8).write(to: URL(fileURLWithPath: garbage))
        #expect(message(["--checkpoint", garbage, "--out", dir + "/m.onnx"]) != nil)
        #expect(!FileManager.default.fileExists(atPath: dir + "/m.onnx"))
    }
}
