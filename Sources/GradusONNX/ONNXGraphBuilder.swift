import Foundation
import Gradus

/// The ONNX graph being written by an export: nodes in order, initializers (weights and constants), and
/// the module path that names them.
///
/// Layers write themselves through it (see ``ONNXExportable``): ``node(_:_:attributes:)`` appends a
/// node and returns its output's name, ``parameter(_:name:)`` stores a weight under its PyTorch-style
/// name (`0.weight`, `layers.1.self_attn.in_proj_weight`), ``apply(_:to:name:)`` writes a child layer.
/// Names are unique and the output is the same for the same model, so an export is reproducible byte
/// for byte.
///
/// ```swift
/// func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String {
///     let hidden = try graph.apply(first, to: input, name: "first")
///     return graph.node("Relu", [hidden.name])
/// }
/// ```
public final class ONNXGraphBuilder {
    /// The operator set version being written.
    public let opset: Int

    private(set) var nodes: [Onnx_NodeProto] = []
    private(set) var initializers: [Onnx_TensorProto] = []
    /// Every name given to a value, node or initializer.
    private var usedNames: Set<String> = []
    /// The initializer holding each parameter tensor already stored (a shared tensor is stored once).
    /// Each tensor stored, by identity, with the tensor itself: a parametrized weight is a value
    /// computed at each read, so holding it keeps its identity from being reused by a later one.
    private var parameterNames: [ObjectIdentifier: (tensor: Tensor, name: String)] = [:]
    /// Integer constants already stored, by value.
    private var intConstants: [[Int]: String] = [:]
    /// Floating-point scalar constants already stored, by bit pattern.
    private var scalarConstants: [UInt32: String] = [:]
    /// Values whose samples are known, by name.
    var known: [String: ONNXValue] = [:]
    /// The module path: property names from the exported model down to the layer being written.
    var scope: [String] = []

    init(opset: Int) {
        self.opset = opset
    }

    // MARK: Layers

    /// Writes `module` (a `Layer` conforming to ``ONNXExportable``) applied to `input`, with its
    /// parameters named under `name`, and returns its output with Gradus's value of it.
    ///
    /// - Parameters:
    ///   - module: the layer.
    ///   - input: its input.
    ///   - name: the layer's property name in its parent (`"0"` in a `Sequential`, `"self_attn"`);
    ///     empty to name its parameters as the parent's own.
    /// - Returns: the layer's output.
    /// - Throws: a `GradusError` naming the layer when it cannot be exported or fails on the sample.
    ///
    /// ```swift
    /// let h = try graph.apply(linear1, to: x, name: "linear1")
    /// ```
    public func apply(_ module: Module, to input: ONNXValue, name: String) throws -> ONNXValue {
        try apply(module, to: input, name: name) { exportable, value in try exportable.exportONNX(value, to: self) }
    }

    /// Writes `module` under `name` with another conversion than its own (a Transformer layer inside a
    /// causal model writes its attention with the mask); Gradus's value of the output is still the
    /// layer's own call, which gives the shapes.
    func apply(_ module: Module, to input: ONNXValue, name: String,
               export: (any ONNXExportable, ONNXValue) throws -> String) throws -> ONNXValue {
        scope.append(name)
        defer { scope.removeLast() }
        let where_ = location
        guard let layer = module as? any Layer else {
            throw ONNXExport.error("\(where_)\(type(of: module)) is not a Layer (one tensor in, one tensor out), so it cannot be exported")
        }
        guard let exportable = module as? any ONNXExportable else {
            throw ONNXExport.error("\(where_)\(type(of: module)) cannot be exported to ONNX: no conversion is known for it (conform it to ONNXExportable to add one)")
        }
        let outputName = try export(exportable, input)
        if let done = known[outputName] { return done }
        let sample = try Self.run(layer, input.sample, at: where_)
        let alternate = try input.alternate.map { try Self.run(layer, $0, at: where_) }
        let value = ONNXValue(name: outputName, sample: sample, alternate: alternate)
        known[outputName] = value
        return value
    }

    /// Runs a layer on a sample, turning a failure into a thrown error.
    static func run(_ layer: any Layer, _ x: Tensor, at location: String) throws -> Tensor {
        do {
            return try GradusError.catching { GradMode.noGrad { layer(x) } }
        } catch let error as GradusError {
            throw ONNXExport.error("\(location)\(type(of: layer)) failed on the sample input \(x.shape): \(error.message)")
        }
    }

    /// A value computed in the graph from others, with Gradus's result for it computed by `compute`
    /// from theirs: for the intermediate values of a layer that writes several children (a residual sum
    /// before a normalization).
    ///
    /// - Parameters:
    ///   - name: the value's name in the graph (a node's output).
    ///   - inputs: the values it is computed from.
    ///   - compute: the same computation in Gradus.
    /// - Returns: the value.
    ///
    /// ```swift
    /// let sum = try graph.value(graph.node("Add", [x.name, y.name]), from: [x, y]) { $0[0] + $0[1] }
    /// ```
    public func value(_ name: String, from inputs: [ONNXValue], _ compute: ([Tensor]) -> Tensor) throws -> ONNXValue {
        func run(_ xs: [Tensor]) throws -> Tensor {
            do {
                return try GradusError.catching { GradMode.noGrad { compute(xs) } }
            } catch let error as GradusError {
                throw ONNXExport.error("\(location)computing \(name) on the sample input: \(error.message)")
            }
        }
        let sample = try run(inputs.map(\.sample))
        let alternates = inputs.compactMap(\.alternate)
        let alternate = alternates.count == inputs.count && !inputs.isEmpty ? try run(alternates) : nil
        let value = ONNXValue(name: name, sample: sample, alternate: alternate)
        known[name] = value
        return value
    }

    /// Registers a value whose samples are known (the graph input).
    func register(_ value: ONNXValue) {
        usedNames.insert(value.name)
        known[value.name] = value
    }

    /// An error for a layer, or a configuration of one, that ONNX cannot express; the message is
    /// prefixed with the layer's path in the model.
    ///
    /// - Parameter message: what cannot be exported and why.
    /// - Returns: the error to throw.
    ///
    /// ```swift
    /// guard input.rank == 4 else { throw graph.unsupported("MyPool needs [N, C, H, W] inputs") }
    /// ```
    public func unsupported(_ message: String) -> GradusError {
        ONNXExport.error("\(location)\(message)")
    }

    /// "layer '1.self_attn': " for messages, or "" at the top.
    var location: String {
        let path = modulePath
        return path.isEmpty ? "" : "layer '\(path)': "
    }

    /// The dotted module path of the layer being written (`layers.0.self_attn`).
    public var modulePath: String { scope.filter { !$0.isEmpty }.joined(separator: ".") }

    // MARK: Nodes

    /// Appends a node with one output and returns the output's name.
    ///
    /// - Parameters:
    ///   - op: the ONNX operator (`"Relu"`, `"Conv"`).
    ///   - inputs: the names of its inputs; an empty string for an omitted optional input.
    ///   - attributes: its attributes.
    /// - Returns: the name of its output.
    ///
    /// ```swift
    /// let y = graph.node("LeakyRelu", [x.name], attributes: [.float("alpha", 0.2)])
    /// ```
    @discardableResult
    public func node(_ op: String, _ inputs: [String], attributes: [ONNXAttribute] = []) -> String {
        node(op, inputs, attributes: attributes, outputs: 1)[0]
    }

    /// Appends a node with several outputs and returns their names.
    ///
    /// - Parameters:
    ///   - op: the ONNX operator.
    ///   - inputs: the names of its inputs.
    ///   - attributes: its attributes.
    ///   - outputs: how many outputs it has.
    /// - Returns: the names of its outputs.
    public func node(_ op: String, _ inputs: [String], attributes: [ONNXAttribute] = [], outputs: Int) -> [String] {
        let prefix = "/" + scope.filter { !$0.isEmpty }.map { $0 + "/" }.joined()
        let name = unique(prefix + op)
        var n = Onnx_NodeProto()
        n.name = name
        n.opType = op
        n.input = inputs
        n.output = (0..<outputs).map { unique("\(name)_output_\($0)") }
        n.attribute = attributes.map(\.proto)
        nodes.append(n)
        return n.output
    }

    /// Renames every use of a value (the graph's output gets its requested name).
    func rename(_ old: String, to new: String) {
        for i in nodes.indices {
            nodes[i].output = nodes[i].output.map { $0 == old ? new : $0 }
            nodes[i].input = nodes[i].input.map { $0 == old ? new : $0 }
        }
        usedNames.insert(new)
    }

    /// Whether a node produces `name`.
    func isNodeOutput(_ name: String) -> Bool { nodes.contains { $0.output.contains(name) } }

    private func unique(_ base: String) -> String {
        var name = base, k = 1
        while usedNames.contains(name) {
            name = "\(base)_\(k)"
            k += 1
        }
        usedNames.insert(name)
        return name
    }

    // MARK: Initializers

    /// Stores a parameter as an initializer named by the module path and `name` (`0.weight`), as
    /// float32; a tensor stored before (a shared weight) is not stored again.
    ///
    /// - Parameters:
    ///   - tensor: the parameter.
    ///   - name: its property name (`weight`, `in_proj_bias`).
    /// - Returns: the initializer's name.
    /// - Throws: a `GradusError` when the tensor is not float32.
    ///
    /// ```swift
    /// let w = try graph.parameter(weight, name: "weight")
    /// ```
    public func parameter(_ tensor: Tensor, name: String) throws -> String {
        if let stored = parameterNames[ObjectIdentifier(tensor)] { return stored.name }
        let path = modulePath
        let stored = try constant(tensor, fullName: path.isEmpty ? name : "\(path).\(name)")
        parameterNames[ObjectIdentifier(tensor)] = (tensor, stored)
        return stored
    }

    /// Stores a tensor computed at export time (weights rearranged for an ONNX operator) as an
    /// initializer named by the module path and `name`.
    ///
    /// - Parameters:
    ///   - tensor: a float32 or int64 tensor.
    ///   - name: a name for it within the layer.
    /// - Returns: the initializer's name.
    /// - Throws: a `GradusError` for other element types.
    ///
    /// ```swift
    /// let w = try graph.constant(Tensor.stack(weights), name: "W_l0")
    /// ```
    public func constant(_ tensor: Tensor, name: String) throws -> String {
        let path = modulePath
        return try constant(tensor, fullName: path.isEmpty ? name : "\(path).\(name)")
    }

    private func constant(_ tensor: Tensor, fullName: String) throws -> String {
        var t = Onnx_TensorProto()
        t.name = unique(fullName)
        t.dims = tensor.shape.map(Int64.init)
        let values = tensor.isContiguous ? tensor : tensor.contiguous()
        switch tensor.dtype {
        case .float32:
            t.dataType = Int32(Onnx_TensorProto.DataType.float.rawValue)
            t.rawData = Self.littleEndianBytes(values.scalars(as: Float.self).map { $0.bitPattern })
        case .int64:
            t.dataType = Int32(Onnx_TensorProto.DataType.int64.rawValue)
            t.rawData = Self.littleEndianBytes(values.intScalars.map { UInt64(bitPattern: Int64($0)) })
        case .float64:
            throw unsupported("\(fullName) is float64; ONNX export writes float32 models (convert the model's parameters with to(.float32) first)")
        }
        initializers.append(t)
        return t.name
    }

    static func littleEndianBytes<T: FixedWidthInteger>(_ values: [T]) -> Data {
        var data = Data(capacity: values.count * MemoryLayout<T>.size)
        for v in values { withUnsafeBytes(of: v.littleEndian) { data.append(contentsOf: $0) } }
        return data
    }

    /// A constant vector of int64 (shapes, axes, slice bounds), stored once per distinct value.
    ///
    /// - Parameter values: the integers.
    /// - Returns: the initializer's name.
    ///
    /// ```swift
    /// let shape = graph.constant(ints: [0, -1, 64])
    /// ```
    public func constant(ints values: [Int]) -> String {
        if let stored = intConstants[values] { return stored }
        var t = Onnx_TensorProto()
        t.name = unique("const_ints_" + values.map { $0 < 0 ? "m\(-$0)" : "\($0)" }.joined(separator: "_"))
        t.dims = [Int64(values.count)]
        t.dataType = Int32(Onnx_TensorProto.DataType.int64.rawValue)
        t.rawData = Self.littleEndianBytes(values.map { UInt64(bitPattern: Int64($0)) })
        initializers.append(t)
        intConstants[values] = t.name
        return t.name
    }

    /// A float32 scalar constant (shape `[]`), stored once per distinct value.
    ///
    /// - Parameter value: the number.
    /// - Returns: the initializer's name.
    ///
    /// ```swift
    /// let half = graph.constant(scalar: 0.5)
    /// ```
    public func constant(scalar value: Double) -> String {
        let bits = Float(value).bitPattern
        if let stored = scalarConstants[bits] { return stored }
        var t = Onnx_TensorProto()
        t.name = unique("const_scalar_\(scalarConstants.count)")
        t.dataType = Int32(Onnx_TensorProto.DataType.float.rawValue)
        t.rawData = Self.littleEndianBytes([bits])
        initializers.append(t)
        scalarConstants[bits] = t.name
        return t.name
    }
}
