import Foundation
import Gradus

/// A model of several named inputs (a `MultiInputLayer`) that can write itself into an ONNX graph whose
/// inputs are its named inputs.
///
/// `FusionModel` conforms; a custom `MultiInputLayer` conforms by appending the nodes that compute its
/// output from the named inputs and returning the output's name. Its child layers are written with
/// ``ONNXGraphBuilder/apply(_:to:name:)``; intermediate values that several children read are made with
/// ``ONNXGraphBuilder/value(_:from:_:)``.
///
/// ```swift
/// extension ImageAndFeatures: ONNXMultiInputExportable {
///     func exportONNX(_ inputs: [String: ONNXValue], to graph: ONNXGraphBuilder) throws -> String {
///         let a = try graph.apply(image, to: inputs["image"]!, name: "image")
///         let b = try graph.apply(features, to: inputs["features"]!, name: "features")
///         let both = try graph.value(graph.node("Concat", [a.name, graph.node("Relu", [b.name])], attributes: [.int("axis", 1)]),
///                                    from: [a, b]) { Tensor.concatenate([$0[0], $0[1].relu()], axis: 1) }
///         return try graph.apply(head, to: both, name: "head").name
///     }
/// }
/// ```
public protocol ONNXMultiInputExportable: MultiInputLayer {
    /// Appends the nodes that compute this model's output from its named inputs (in evaluation mode).
    ///
    /// - Parameters:
    ///   - inputs: the graph's values for the model's inputs, by name.
    ///   - graph: the graph being built.
    /// - Returns: the name of the value holding the output.
    /// - Throws: a `GradusError` when an input is missing or the configuration cannot be written.
    func exportONNX(_ inputs: [String: ONNXValue], to graph: ONNXGraphBuilder) throws -> String
}

extension ONNXGraphBuilder {
    /// Writes a model of several named inputs (conforming to ``ONNXMultiInputExportable``) under
    /// `name`, and returns its output with Gradus's value of it.
    ///
    /// - Parameters:
    ///   - module: the model.
    ///   - inputs: its inputs, by name, in the order the model's group takes them.
    ///   - name: the model's property name in its parent, or empty.
    /// - Returns: the output.
    /// - Throws: a `GradusError` naming the model when it cannot be exported or fails on the samples.
    ///
    /// ```swift
    /// let y = try graph.apply(fusion, to: [("image", image), ("features", features)], name: "model")
    /// ```
    public func apply(_ module: Module, to inputs: [(String, ONNXValue)], name: String) throws -> ONNXValue {
        scope.append(name)
        defer { scope.removeLast() }
        let where_ = location
        guard let multi = module as? any MultiInputLayer else {
            throw ONNXExport.error("\(where_)\(type(of: module)) is not a MultiInputLayer, so it cannot take named inputs")
        }
        guard let exportable = module as? any ONNXMultiInputExportable else {
            throw ONNXExport.error("\(where_)\(type(of: module)) cannot be exported to ONNX: no conversion is known for it (conform it to ONNXMultiInputExportable to add one)")
        }
        let outputName = try exportable.exportONNX(Dictionary(inputs, uniquingKeysWith: { a, _ in a }), to: self)
        func run(_ group: TensorGroup) throws -> Tensor {
            do {
                return try GradusError.catching { GradMode.noGrad { multi(group) } }
            } catch let error as GradusError {
                throw ONNXExport.error("\(where_)\(type(of: module)) failed on the sample inputs: \(error.message)")
            }
        }
        let sample = try run(TensorGroup(inputs.map { ($0.0, $0.1.sample) }))
        let alternates = inputs.compactMap { i in i.1.alternate.map { (i.0, $0) } }
        let alternate = alternates.count == inputs.count ? try run(TensorGroup(alternates)) : nil
        let value = ONNXValue(name: outputName, sample: sample, alternate: alternate)
        known[outputName] = value
        return value
    }
}

extension ONNXExport {
    /// Exports a model of several named inputs applied to `sampleInputs`: one graph input per named
    /// input, named after it, in the group's order; with `.batch`, axis 0 of every input is dynamic, and
    /// `.custom` axes apply to every input.
    ///
    /// - Parameter wrap: writes the model into the graph; by default `graph.apply(module, to: inputs, name: "")`.
    static func model(of module: Module, sampleInputs: TensorGroup, options: ONNXExportOptions,
                      wrap: ((ONNXGraphBuilder, [(String, ONNXValue)]) throws -> ONNXValue)? = nil) throws -> Onnx_ModelProto {
        // Forward hooks would see the sample inputs and could change the traced shapes; the graph has none.
        // Parametrized weights are computed once for the whole export (one value, one initializer each).
        try Module.withForwardHooksSuspended {
            try Parametrizations.cached { try tracedModel(of: module, sampleInputs: sampleInputs, options: options, wrap: wrap) }
        }
    }

    private static func tracedModel(of module: Module, sampleInputs: TensorGroup, options: ONNXExportOptions,
                                    wrap: ((ONNXGraphBuilder, [(String, ONNXValue)]) throws -> ONNXValue)?) throws -> Onnx_ModelProto {
        try options.validate()
        guard module is any MultiInputLayer else {
            throw error("\(type(of: module)) is not a MultiInputLayer (named inputs, one tensor out); export it with sampleInput:")
        }
        guard !sampleInputs.isEmpty else { throw error("no sample inputs; give one tensor per named input") }
        let batch = sampleInputs.tensors[0].shape.first
        for (name, x) in sampleInputs {
            guard !name.isEmpty, name != options.outputName else {
                throw error("input name '\(name)' must not be empty nor the output's name '\(options.outputName)'")
            }
            guard x.dtype == .float32 || x.dtype == .int64 else {
                throw error("the sample input \(name) is \(x.dtype); ONNX export takes float32 inputs (int64 for indices)")
            }
            guard x.count > 0, x.rank >= 1 else {
                throw error("the sample input \(name) \(x.shape) is empty; give one with at least one element and a batch axis")
            }
            guard x.shape.first == batch else {
                throw error("the sample inputs have different batch sizes: \(sampleInputs.names.map { "\($0) \(sampleInputs[$0].shape)" })")
            }
        }
        if let bad = module.namedParameters().first(where: { $0.tensor.dtype != .float32 }) {
            throw error("parameter \(bad.name) is \(bad.tensor.dtype); ONNX export writes float32 models")
        }
        let axes: [Int: String]
        switch options.dynamicAxes {
        case .none: axes = [:]
        case .batch: axes = [0: "batch"]
        case .custom(let custom):
            for (name, x) in sampleInputs {
                if let bad = custom.keys.first(where: { $0 >= x.rank }) {
                    throw error("dynamic axis \(bad) is out of range for the sample input \(name) \(x.shape)")
                }
            }
            axes = custom
        }

        let modes = module.modules().map { ($0, $0.isTraining) }
        module.eval()
        defer { for (m, mode) in modes { m.train(mode) } }

        let graph = ONNXGraphBuilder(opset: options.opset)
        var inputs: [(String, ONNXValue)] = []
        for (name, x) in sampleInputs {
            let alternate = try axes.isEmpty ? nil : grown(x, axes: axes.keys.sorted())
            let value = ONNXValue(name: name, sample: x.detach(), alternate: alternate)
            graph.register(value)
            inputs.append((name, value))
        }
        let output = try wrap.map { try $0(graph, inputs) } ?? graph.apply(module, to: inputs, name: "")
        if graph.isNodeOutput(output.name) {
            graph.rename(output.name, to: options.outputName)
        } else {
            let copy = graph.node("Identity", [output.name])
            graph.rename(copy, to: options.outputName)
        }
        return proto(of: module, graph: graph, inputs: inputs, output: output, axes: axes, options: options)
    }
}

extension Module {
    /// Writes this model of several named inputs (a `MultiInputLayer` such as `FusionModel`) to an ONNX
    /// file with one graph input per named input.
    ///
    /// The graph's inputs are named after the group's names, in its order, each float32 (or int64)
    /// `[batch] + shape` with the batch axis free by default (`options.dynamicAxes`: `.batch` frees axis 0
    /// of every input, `.custom` the given axes of every input); `options.inputName` is not used. The
    /// model runs once on the samples in evaluation mode, as for one input (see
    /// ``exportONNX(to:sampleInput:opset:dynamicBatch:inputName:outputName:)``).
    ///
    /// - Parameters:
    ///   - path: the file to write.
    ///   - sampleInputs: one tensor per named input, with the same batch size.
    ///   - options: opset, dynamic axes, output name and metadata.
    /// - Throws: a `GradusError` (operation `exportONNX`) naming what cannot be exported, or the error of
    ///   writing the file.
    ///
    /// ```swift
    /// var rng = SeededGenerator(seed: 0)
    /// let model = try FusionModel(inputs: [("image", [1, 8, 8]), ("features", [5])], outputs: 3, fusion: .gated, generator: &rng)
    /// try model.exportONNX(to: "fusion.onnx", sampleInputs: ["image": Tensor.zeros([1, 1, 8, 8]), "features": Tensor.zeros([1, 5])])
    /// // ONNX Runtime: session.run(None, {"image": images, "features": features})
    /// ```
    public func exportONNX(to path: String, sampleInputs: TensorGroup, options: ONNXExportOptions = ONNXExportOptions()) throws {
        let bytes: [UInt8] = try onnxModel(sampleInputs: sampleInputs, options: options).serializedBytes()
        try ONNXExport.write(bytes, to: path)
    }

    /// This model of several named inputs as an ONNX `ModelProto` message (see
    /// ``exportONNX(to:sampleInputs:options:)``).
    ///
    /// - Parameters:
    ///   - sampleInputs: one tensor per named input, with the same batch size.
    ///   - options: opset, dynamic axes, output name and metadata.
    /// - Returns: the model.
    /// - Throws: a `GradusError` naming what cannot be exported.
    ///
    /// ```swift
    /// let proto = try fusion.onnxModel(sampleInputs: ["image": Tensor.zeros([1, 8, 8]), "features": Tensor.zeros([1, 5])])
    /// print(proto.graph.input.map(\.name))   // ["image", "features"]
    /// ```
    public func onnxModel(sampleInputs: TensorGroup, options: ONNXExportOptions = ONNXExportOptions()) throws -> Onnx_ModelProto {
        try ONNXExport.model(of: self, sampleInputs: sampleInputs, options: options)
    }

    /// This model of several named inputs as the bytes of an ONNX file (see
    /// ``exportONNX(to:sampleInputs:options:)``).
    ///
    /// - Parameters:
    ///   - sampleInputs: one tensor per named input, with the same batch size.
    ///   - options: opset, dynamic axes, output name and metadata.
    /// - Returns: the serialized `ModelProto`.
    /// - Throws: a `GradusError` naming what cannot be exported.
    ///
    /// ```swift
    /// let bytes = try fusion.onnxData(sampleInputs: ["image": Tensor.zeros([1, 8, 8]), "features": Tensor.zeros([1, 5])])
    /// ```
    public func onnxData(sampleInputs: TensorGroup, options: ONNXExportOptions = ONNXExportOptions()) throws -> Data {
        try onnxModel(sampleInputs: sampleInputs, options: options).serializedBytes()
    }
}
