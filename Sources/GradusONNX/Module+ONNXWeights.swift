import Foundation
import Gradus

extension Module {
    /// Loads this model's weights from the initializers of an ONNX file whose graph matches its
    /// architecture: one that Gradus exported, or another whose initializers carry the parameter
    /// names of ``Module/namedParameters()`` (`0.weight`, `layers.1.norm1.bias`).
    ///
    /// Every parameter and running statistic must be found, with its shape (`num_batches_tracked`,
    /// which ONNX does not hold, keeps its value); a name given to an initializer by an `Identity`
    /// node counts.
    /// Recurrent layers read the `W`, `R` and `B` tensors of their ONNX operators, gates put back in
    /// Gradus's order. The graph's nodes are not compared with the model: build the architecture the
    /// file was exported from.
    ///
    /// - Parameter path: the ONNX file: a regular file of at most ``ReaderLimits/defaultMaxBytes`` bytes
    ///   (half the ``MemoryBudget``).
    /// - Throws: a ``GradusError`` (operation `loadONNXWeights`) naming the missing or mis-shaped
    ///   parameters, or the problem with the file; the model is unchanged then.
    ///
    /// ```swift
    /// let model = Sequential { Linear(784, 128); ReLU(); Linear(128, 10) }
    /// try model.loadONNXWeights(from: "mlp.onnx")
    /// ```
    public func loadONNXWeights(from path: String) throws {
        let data: Data
        do {
            // Bounded, and a regular file only: a FIFO would wait forever, a huge file exhaust the memory.
            data = Data(try FileBytes.read(path, maxBytes: ReaderLimits.defaultMaxBytes))
        } catch {
            throw ONNXWeights.error("cannot read \(path): \(error)")
        }
        let model: Onnx_ModelProto
        do {
            model = try Onnx_ModelProto(serializedBytes: data)
        } catch {
            throw ONNXWeights.error("\(path) is not an ONNX model (\(error))")
        }
        try loadONNXWeights(model)
    }

    /// Loads this model's weights from the initializers of an ONNX model (see ``loadONNXWeights(from:)``).
    ///
    /// - Parameter model: the ONNX model.
    /// - Throws: a ``GradusError`` naming the missing or mis-shaped parameters; the model is unchanged then.
    ///
    /// ```swift
    /// try copy.loadONNXWeights(try original.onnxModel(sampleInput: x))
    /// ```
    public func loadONNXWeights(_ model: Onnx_ModelProto) throws {
        var initializers: [String: Tensor] = [:]
        for t in model.graph.initializer { initializers[t.name] = try ONNXWeights.tensor(t) }
        // Exporters name some weights through Identity nodes (PyTorch's, for tensors with equal values).
        for node in model.graph.node where node.opType == "Identity" && node.input.count == 1 && node.output.count == 1 {
            if initializers[node.output[0]] == nil, let t = initializers[node.input[0]] { initializers[node.output[0]] = t }
        }
        var state: [String: Tensor] = [:]
        for (path, module) in namedModules() {
            if let layer = module as? RecurrentLayer { try ONNXWeights.recurrent(layer, at: path, initializers, into: &state) }
            if let cell = module as? RecurrentCell { try ONNXWeights.cell(cell, at: path, initializers, into: &state) }
            // PRelu's slopes are stored shaped to broadcast over channels ([C, 1, 1], by Gradus and PyTorch).
            let slopes = path.isEmpty ? "weight" : path + ".weight"
            if let layer = module as? PReLU, let t = initializers[slopes], t.count == layer.weight.count, t.rank >= 1 {
                state[slopes] = t.reshape([t.count])
            }
        }
        let current = stateDict()
        for name in current.keys where state[name] == nil {
            if let t = initializers[name] { state[name] = t }
        }
        // Every parameter and every running statistic must be there; a step counter is not (ONNX has no use for it).
        let needed = namedParameters().map(\.name) + namedBuffers().map(\.name).filter { !$0.hasSuffix("num_batches_tracked") }
        let missing = needed.filter { state[$0] == nil }
        guard missing.isEmpty else {
            throw ONNXWeights.error("the ONNX model has no initializer for \(missing.count) parameter(s) or statistic(s): \(missing.prefix(10).joined(separator: ", "))\(missing.count > 10 ? ", …" : "") (was it exported from this architecture?)")
        }
        for (name, t) in current where state[name] == nil { state[name] = t }
        let misfits = state.keys.sorted().filter { state[$0]!.shape != current[$0]!.shape }
        guard misfits.isEmpty else {
            let list = misfits.prefix(10).map { "\($0) \(state[$0]!.shape) for \(current[$0]!.shape)" }.joined(separator: ", ")
            throw ONNXWeights.error("\(misfits.count) initializer(s) do not have their parameter's shape: \(list)\(misfits.count > 10 ? ", …" : "")")
        }
        for (name, t) in state where t.dtype != current[name]!.dtype { state[name] = t.to(current[name]!.dtype) }
        try loadStateDict(state)
    }
}

/// Reading initializers back into tensors.
enum ONNXWeights {
    static func error(_ message: String) -> GradusError {
        GradusError(.invalidArgument, "loadONNXWeights: \(message)", op: "loadONNXWeights")
    }

    /// An initializer as a tensor: float32 (from float or double data) or int64.
    static func tensor(_ t: Onnx_TensorProto) throws -> Tensor {
        guard t.dataLocation != .external else {
            throw error("initializer \(t.name) keeps its data in an external file, which is not read")
        }
        let shape = t.dims.map { Int($0) }
        guard shape.allSatisfy({ $0 >= 0 && $0 <= 1 << 40 }) else { throw error("initializer \(t.name) has dims \(t.dims)") }
        // The non-zero dims too must multiply within the limit: [0, 2^40, 2^40] holds no value, but a
        // tensor of that shape cannot be made (its strides overflow).
        var nonZero = 1
        for d in shape where d > 0 {
            let (c, o) = nonZero.multipliedReportingOverflow(by: d)
            guard !o, c <= 1 << 40 else { throw error("initializer \(t.name) has dims \(t.dims): too many elements") }
            nonZero = c
        }
        let count = shape.contains(0) ? 0 : nonZero
        func check(_ n: Int) throws {
            guard n == count else { throw error("initializer \(t.name) holds \(n) values for dims \(t.dims)") }
        }
        func raw<T: FixedWidthInteger>(_: T.Type) throws -> [T] {
            let size = MemoryLayout<T>.size
            try check(t.rawData.count / size)
            guard t.rawData.count % size == 0 else { throw error("initializer \(t.name) has \(t.rawData.count) bytes of data") }
            return t.rawData.withUnsafeBytes { bytes in
                (0..<count).map { T(littleEndian: bytes.loadUnaligned(fromByteOffset: $0 * size, as: T.self)) }
            }
        }
        switch Onnx_TensorProto.DataType(rawValue: Int(t.dataType)) {
        case .float:
            let values = t.rawData.isEmpty ? t.floatData : try raw(UInt32.self).map(Float.init(bitPattern:))
            try check(values.count)
            return Tensor(shape: shape, values: values)
        case .double:
            let values = t.rawData.isEmpty ? t.doubleData : try raw(UInt64.self).map(Double.init(bitPattern:))
            try check(values.count)
            return Tensor(shape: shape, values: values)
        case .int64:
            let values = t.rawData.isEmpty ? t.int64Data : try raw(Int64.self)
            try check(values.count)
            return Tensor(shape: shape, integers: values.map { Int($0) })
        default:
            throw error("initializer \(t.name) has ONNX data type \(t.dataType); float, double and int64 are read")
        }
    }

    /// A recurrent cell's weights from its operator's `W`, `R`, `B` initializers (`[1, gates·H, …]`).
    static func cell(_ cell: RecurrentCell, at path: String, _ initializers: [String: Tensor],
                     into state: inout [String: Tensor]) throws {
        guard let order = ONNXRecurrent.gateOrder(ofCell: cell) else { return }
        let prefix = path.isEmpty ? "" : path + "."
        guard let w = initializers[prefix + "W"], let r = initializers[prefix + "R"] else { return }
        let b = initializers[prefix + "B"]
        let rows = order.count * cell.hiddenSize
        guard w.shape == [1, rows, cell.inputSize], r.shape == [1, rows, cell.hiddenSize], b.map({ $0.shape == [1, 2 * rows] }) ?? true else {
            throw error("\(prefix)W \(w.shape), R \(r.shape) do not fit \(type(of: cell)) with input size \(cell.inputSize) and hidden size \(cell.hiddenSize)")
        }
        func restored(_ t: Tensor) -> Tensor {
            let parts = t.chunk(order.count, axis: 0)
            return Tensor.concatenate(order.indices.map { i in parts[order.firstIndex(of: i)!] }, axis: 0).contiguous()
        }
        state[prefix + "weight_ih"] = restored(w.select(axis: 0, index: 0))
        state[prefix + "weight_hh"] = restored(r.select(axis: 0, index: 0))
        if let b, cell.hasBias {
            let both = b.select(axis: 0, index: 0)
            state[prefix + "bias_ih"] = restored(both.slice(axis: 0, start: 0, end: rows))
            state[prefix + "bias_hh"] = restored(both.slice(axis: 0, start: rows, end: 2 * rows))
        }
    }

    /// A recurrent layer's weights from its ONNX operators' `W_l*`, `R_l*`, `B_l*` initializers.
    static func recurrent(_ layer: RecurrentLayer, at path: String, _ initializers: [String: Tensor],
                          into state: inout [String: Tensor]) throws {
        guard let order = ONNXRecurrent.gateOrder(of: layer) else { return }
        let prefix = path.isEmpty ? "" : path + "."
        guard layer.projSize == 0 else {
            throw error("\(prefix.isEmpty ? "the model" : path): an LSTM with projSize \(layer.projSize) has no ONNX form (ONNX's LSTM has no projection), so no ONNX weights fit it")
        }
        let directions = layer.bidirectional ? 2 : 1
        // ONNX's gate block j is Gradus's block order[j].
        func restored(_ t: Tensor) -> Tensor {
            let parts = t.chunk(order.count, axis: 0)
            return Tensor.concatenate(order.indices.map { i in parts[order.firstIndex(of: i)!] }, axis: 0)
        }
        for l in 0..<layer.numLayers {
            guard let w = initializers[prefix + "W_l\(l)"], let r = initializers[prefix + "R_l\(l)"] else { continue }
            let b = initializers[prefix + "B_l\(l)"]
            let rows = order.count * layer.hiddenSize
            guard w.rank == 3, w.shape[0] == directions, w.shape[1] == rows, r.shape == [directions, rows, layer.hiddenSize],
                  b.map({ $0.shape == [directions, 2 * rows] }) ?? true else {
                throw error("\(prefix)W_l\(l) \(w.shape), R_l\(l) \(r.shape) do not fit \(type(of: layer)) with hidden size \(layer.hiddenSize)\(layer.bidirectional ? ", bidirectional" : "")")
            }
            for d in 0..<directions {
                let suffix = "_l\(l)" + (d == 1 ? "_reverse" : "")
                state[prefix + "weight_ih" + suffix] = restored(w.select(axis: 0, index: d)).contiguous()
                state[prefix + "weight_hh" + suffix] = restored(r.select(axis: 0, index: d)).contiguous()
                if let b, layer.hasBias {
                    let both = b.select(axis: 0, index: d)
                    state[prefix + "bias_ih" + suffix] = restored(both.slice(axis: 0, start: 0, end: rows)).contiguous()
                    state[prefix + "bias_hh" + suffix] = restored(both.slice(axis: 0, start: rows, end: 2 * rows)).contiguous()
                }
            }
        }
    }
}
