import Foundation
import Gradus

/// The export itself: runs the model on the sample input(s) in evaluation mode while its layers write
/// the graph, then wraps the graph with its typed input and output into a model.
enum ONNXExport {
    /// The error every export failure throws: a `GradusError` of kind `invalidArgument` whose
    /// operation is `exportONNX`.
    static func error(_ message: String) -> GradusError {
        GradusError(.invalidArgument, "exportONNX: \(message)", op: "exportONNX")
    }

    /// Writes the file atomically (a temporary file renamed into place), refusing a destination that is
    /// not a regular file: renaming over a device such as /dev/full, a FIFO or a folder would replace it.
    static func write(_ bytes: [UInt8], to path: String) throws {
        let target = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: target, isDirectory: &isFolder) {
            guard !isFolder.boolValue else { throw error("cannot write \(path): it is a folder; give a file name") }
            let type = (try? FileManager.default.attributesOfItem(atPath: target))?[.type] as? FileAttributeType
            guard type == .typeRegular else {
                throw error("cannot write \(path): it exists and is not a regular file (a device, FIFO or socket); give a file name")
            }
        }
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
            throw error("cannot write \(path): the folder \(folder) does not exist")
        }
        try AtomicFile.write(to: path) { writer in try writer.write(bytes) }
    }

    /// The name written as the model's producer.
    static let producerName = "Gradus"
    /// The exporter's version, written as the model's producer version.
    static let producerVersion = "1"

    /// Exports `module` applied to `sampleInput`.
    ///
    /// - Parameters:
    ///   - module: the model: a `Layer`.
    ///   - sampleInput: an input of the shape and element type the model takes.
    ///   - options: the export options.
    ///   - wrap: writes the model into the graph; by default `graph.apply(module, to: input, name: "")`.
    static func model(of module: Module, sampleInput: Tensor, options: ONNXExportOptions,
                      wrap: ((ONNXGraphBuilder, ONNXValue) throws -> ONNXValue)? = nil) throws -> Onnx_ModelProto {
        // Forward hooks would see the sample inputs and could change the traced shapes; the graph has none.
        // Parametrized weights are computed once for the whole export (one value, one initializer each).
        try Module.withForwardHooksSuspended {
            try Parametrizations.cached { try tracedModel(of: module, sampleInput: sampleInput, options: options, wrap: wrap) }
        }
    }

    private static func tracedModel(of module: Module, sampleInput: Tensor, options: ONNXExportOptions,
                                    wrap: ((ONNXGraphBuilder, ONNXValue) throws -> ONNXValue)?) throws -> Onnx_ModelProto {
        try options.validate()
        guard module is any Layer else {
            throw error("\(type(of: module)) is not a Layer (one tensor in, one tensor out), so it cannot be exported")
        }
        guard sampleInput.dtype == .float32 || sampleInput.dtype == .int64 else {
            throw error("the sample input is \(sampleInput.dtype); ONNX export takes float32 inputs (int64 for indices)")
        }
        guard sampleInput.count > 0 else {
            throw error("the sample input \(sampleInput.shape) is empty; give one with at least one element")
        }
        if let bad = module.namedParameters().first(where: { $0.tensor.dtype != .float32 }) {
            throw error("parameter \(bad.name) is \(bad.tensor.dtype); ONNX export writes float32 models")
        }
        let axes = try dynamicAxes(of: module, sample: sampleInput, options.dynamicAxes)
        let alternate = try axes.isEmpty ? nil : grown(sampleInput, axes: axes.keys.sorted())

        // Evaluation mode while exporting (dropout off, running statistics), each module's mode restored after.
        let modes = module.modules().map { ($0, $0.isTraining) }
        module.eval()
        defer { for (m, mode) in modes { m.train(mode) } }

        let graph = ONNXGraphBuilder(opset: options.opset)
        let input = ONNXValue(name: options.inputName, sample: sampleInput.detach(), alternate: alternate)
        graph.register(input)
        let output = try wrap.map { try $0(graph, input) } ?? graph.apply(module, to: input, name: "")
        if graph.isNodeOutput(output.name) && output.name != options.inputName {
            graph.rename(output.name, to: options.outputName)
        } else {
            // The model passes its input, or a constant, through: ONNX needs a node to name the output.
            let copy = graph.node("Identity", [output.name])
            graph.rename(copy, to: options.outputName)
        }

        return proto(of: module, graph: graph, inputs: [(options.inputName, input)], output: output, axes: axes, options: options)
    }

    /// The model message around a written graph: typed inputs and output (dynamic axes named after
    /// `axes`, matched against the first input), opset, producer and metadata.
    static func proto(of module: Module, graph: ONNXGraphBuilder, inputs: [(String, ONNXValue)], output: ONNXValue,
                      axes: [Int: String], options: ONNXExportOptions) -> Onnx_ModelProto {
        let input = inputs[0].1
        var g = Onnx_GraphProto()
        g.name = options.graphName ?? "\(type(of: module))"
        g.node = graph.nodes
        g.initializer = graph.initializers
        g.input = inputs.map { valueInfo($0.0, $0.1, names: axes, input: $0.1) }
        g.output = [valueInfo(options.outputName, output, names: axes, input: input)]

        var m = Onnx_ModelProto()
        m.irVersion = Int64(options.irVersion)
        var opset = Onnx_OperatorSetIdProto()
        opset.domain = ""
        opset.version = Int64(options.opset)
        m.opsetImport = [opset]
        m.producerName = producerName
        m.producerVersion = producerVersion
        m.docString = options.docString
        m.metadataProps = options.metadata.sorted { $0.key < $1.key }.map { key, value in
            var entry = Onnx_StringStringEntryProto()
            entry.key = key
            entry.value = value
            return entry
        }
        m.graph = g
        return m
    }

    /// The dynamic input axes and their names.
    static func dynamicAxes(of module: Module, sample: Tensor, _ choice: ONNXExportOptions.DynamicAxes) throws -> [Int: String] {
        switch choice {
        case .none:
            return [:]
        case .custom(let axes):
            if let bad = axes.keys.first(where: { $0 >= sample.rank }) {
                throw error("dynamic axis \(bad) is out of range for the sample input \(sample.shape)")
            }
            return axes
        case .batch:
            return batchAxis(of: module, sample: sample).map { [$0: "batch"] } ?? [:]
        }
    }

    /// The batch axis of the model's input: 1 for time-major sequence layers given `[T, N, …]`, none for
    /// their unbatched inputs (nor for the unbatched sample of a cell, a convolution or a pixel shuffle
    /// that comes first), 0 otherwise.
    static func batchAxis(of module: Module, sample: Tensor) -> Int? {
        var first = module
        while true {
            if let s = first as? Sequential, let layer = s.layers.first {
                first = layer
            } else if let e = first as? TransformerEncoder, let layer = e.layers.first {
                first = layer
            } else if let l = first as? TransformerEncoderLayer {
                first = l.selfAttention
            } else {
                break
            }
        }
        // Layers that also take one unbatched sample: such a sample has no batch axis.
        let batchedRank: Int? = switch first {
        case is RecurrentCell: 2
        case is Conv1d, is ConvTranspose1d, is InstanceNorm1d: 3
        case is Conv2d, is ConvTranspose2d, is PixelShuffle, is PixelUnshuffle, is InstanceNorm2d, is Softmax2d, is MaxPool2d,
             is AvgPool2d: 4
        case is Conv3d, is ConvTranspose3d, is InstanceNorm3d, is MaxPool3d, is AvgPool3d: 5
        default: nil
        }
        if let batchedRank, sample.rank == batchedRank - 1 { return nil }
        let batchFirst: Bool
        if let r = first as? RecurrentLayer {
            batchFirst = r.batchFirst
        } else if let a = first as? MultiheadAttention {
            batchFirst = a.batchFirst
        } else {
            return sample.rank >= 1 ? 0 : nil
        }
        guard sample.rank == 3 else { return nil }
        return batchFirst ? 0 : 1
    }

    /// The second sample: each dynamic axis made longer by repeating its first entry (the k-th dynamic
    /// axis by k entries, so that output axes can be matched to input axes by their sizes).
    static func grown(_ sample: Tensor, axes: [Int]) throws -> Tensor {
        var x = sample.detach()
        for (k, axis) in axes.enumerated() {
            guard x.shape[axis] >= 1 else { throw error("dynamic axis \(axis) of the sample input \(sample.shape) is empty") }
            let first = x.slice(axis: axis, start: 0, end: 1)
            x = Tensor.concatenate([x] + Array(repeating: first, count: k + 1), axis: axis)
        }
        return x
    }

    /// A typed graph input or output: element type and shape, dynamic axes by name.
    static func valueInfo(_ name: String, _ value: ONNXValue, names: [Int: String], input: ONNXValue) -> Onnx_ValueInfoProto {
        var info = Onnx_ValueInfoProto()
        info.name = name
        var tensorType = Onnx_TypeProto.Tensor()
        let type: Onnx_TensorProto.DataType = value.sample.dtype == .int64 ? .int64 : .float
        tensorType.elemType = Int32(type.rawValue)
        var shape = Onnx_TensorShapeProto()
        for (axis, size) in value.shape.enumerated() {
            var dim = Onnx_TensorShapeProto.Dimension()
            if value.isDynamic(axis) {
                // Named after the input axis whose sizes it has in both samples, if one does.
                let match = names.keys.sorted().first { a in
                    input.shape[a] == size && input.alternate?.shape[a] == value.alternate?.shape[axis]
                }
                if let match { dim.dimParam = names[match]! }
            } else {
                dim.dimValue = Int64(size)
            }
            shape.dim.append(dim)
        }
        tensorType.shape = shape
        var t = Onnx_TypeProto()
        t.tensorType = tensorType
        info.type = t
        return info
    }
}
