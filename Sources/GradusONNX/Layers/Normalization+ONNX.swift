import Gradus

// Normalization in evaluation mode.

extension BatchNorm: ONNXExportable {
    /// Writes `BatchNormalization` with the running statistics (ones and zeros stand in for an absent
    /// weight and bias). Without running statistics the layer normalizes with the batch's own
    /// statistics even in evaluation mode; that is written as `ReduceMean`s over the batch and spatial axes.
    public func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String {
        guard input.rank >= 2, input.shape[1] == numFeatures else {
            throw graph.unsupported("\(type(of: self)) needs [N, \(numFeatures), …] inputs, got \(input.shape)")
        }
        let c = numFeatures
        guard let runningMean, let runningVar else {
            var statShape = [Int](repeating: 1, count: input.rank)
            statShape[1] = c
            let axes = [0] + Array(2..<input.rank)
            let normalized = ONNXNormalization.normalize(input.name, axes: axes, eps: eps, graph: graph)
            return try ONNXNormalization.affine(normalized, weight: weight, bias: bias, shape: statShape, graph: graph)
        }
        let scale = try weight.map { try graph.parameter($0, name: "weight") } ?? graph.constant(Tensor.ones([c]), name: "weight")
        let shift = try bias.map { try graph.parameter($0, name: "bias") } ?? graph.constant(Tensor.zeros([c]), name: "bias")
        let mean = try graph.parameter(runningMean, name: "running_mean")
        let variance = try graph.parameter(runningVar, name: "running_var")
        return graph.node("BatchNormalization", [input.name, scale, shift, mean, variance],
                          attributes: [.float("epsilon", eps)])
    }
}

extension LayerNorm: ONNXExportable {
    /// Writes `LayerNormalization` over the last `normalizedShape`.count axes.
    public func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String {
        let k = normalizedShape.count
        guard input.rank >= k, Array(input.shape.suffix(k)) == normalizedShape else {
            throw graph.unsupported("LayerNorm needs inputs ending with \(normalizedShape), got \(input.shape)")
        }
        let scale = try weight.map { try graph.parameter($0, name: "weight") } ?? graph.constant(Tensor.ones(normalizedShape), name: "weight")
        let shift = try bias.map { try graph.parameter($0, name: "bias") }
        return graph.node("LayerNormalization", [input.name, scale] + (shift.map { [$0] } ?? []),
                          attributes: [.int("axis", -k), .float("epsilon", eps)])
    }
}

extension GroupNorm: ONNXExportable {
    /// Writes Gradus's computation: `Reshape` to `[N, groups, -1]`, the mean and variance over the last
    /// axis, `Reshape` back (to the input's own `Shape`), then the per-channel weight and bias.
    public func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String {
        guard input.rank >= 2, input.shape[1] == numChannels else {
            throw graph.unsupported("GroupNorm needs [N, \(numChannels), …] inputs, got \(input.shape)")
        }
        let grouped = graph.reshape(input.name, [0, numGroups, -1])
        let normalized = ONNXNormalization.normalize(grouped, axes: [2], eps: eps, graph: graph)
        let restored = graph.node("Reshape", [normalized, graph.node("Shape", [input.name])])
        var affineShape = [Int](repeating: 1, count: input.rank)
        affineShape[1] = numChannels
        return try ONNXNormalization.affine(restored, weight: weight, bias: bias, shape: affineShape, graph: graph)
    }
}

extension InstanceNorm1d: ONNXExportable {
    /// Writes `InstanceNormalization` (ones and zeros stand in for an absent weight and bias).
    public func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String {
        try ONNXNormalization.instanceNorm(input, channels: numFeatures, rank: 3, weight: weight, bias: bias, eps: eps,
                                           graph: graph, op: "InstanceNorm1d")
    }
}

extension InstanceNorm2d: ONNXExportable {
    /// Writes `InstanceNormalization` (ones and zeros stand in for an absent weight and bias).
    public func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String {
        try ONNXNormalization.instanceNorm(input, channels: numFeatures, rank: 4, weight: weight, bias: bias, eps: eps,
                                           graph: graph, op: "InstanceNorm2d")
    }
}

extension InstanceNorm3d: ONNXExportable {
    /// Writes `InstanceNormalization` (ones and zeros stand in for an absent weight and bias).
    public func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String {
        try ONNXNormalization.instanceNorm(input, channels: numFeatures, rank: 5, weight: weight, bias: bias, eps: eps,
                                           graph: graph, op: "InstanceNorm3d")
    }
}

/// What the normalizations share.
enum ONNXNormalization {
    /// `(x − mean) / √(variance + eps)` over `axes`, the variance being the mean of the squared
    /// deviations (two passes, as Gradus computes it).
    static func normalize(_ x: String, axes: [Int], eps: Double, graph: ONNXGraphBuilder) -> String {
        let centered = graph.node("Sub", [x, graph.reduceMean(x, axes: axes)])
        let variance = graph.reduceMean(graph.node("Mul", [centered, centered]), axes: axes)
        let deviation = graph.node("Sqrt", [graph.node("Add", [variance, graph.constant(scalar: eps)])])
        return graph.node("Div", [centered, deviation])
    }

    /// `x · weight + bias` with the per-channel parameters reshaped to `shape` (stored reshaped).
    static func affine(_ x: String, weight: Tensor?, bias: Tensor?, shape: [Int], graph: ONNXGraphBuilder) throws -> String {
        var y = x
        if let weight { y = graph.node("Mul", [y, graph.reshape(try graph.parameter(weight, name: "weight"), shape)]) }
        if let bias { y = graph.node("Add", [y, graph.reshape(try graph.parameter(bias, name: "bias"), shape)]) }
        return y
    }

    /// `InstanceNormalization` of `[N, channels, …]` of the given rank.
    static func instanceNorm(_ input: ONNXValue, channels: Int, rank: Int, weight: Tensor?, bias: Tensor?, eps: Double,
                             graph: ONNXGraphBuilder, op: String) throws -> String {
        guard input.rank == rank, input.shape[1] == channels else {
            throw graph.unsupported("\(op) needs \(rank)-D inputs [N, \(channels), …], got \(input.shape)")
        }
        let scale = try weight.map { try graph.parameter($0, name: "weight") } ?? graph.constant(Tensor.ones([channels]), name: "weight")
        let shift = try bias.map { try graph.parameter($0, name: "bias") } ?? graph.constant(Tensor.zeros([channels]), name: "bias")
        return graph.node("InstanceNormalization", [input.name, scale, shift], attributes: [.float("epsilon", eps)])
    }
}

extension RMSNorm: ONNXExportable {
    /// Writes `x / √(mean(x²) + eps) · weight` over the last `normalizedShape`.count axes (ONNX has
    /// `RMSNormalization` only from opset 23); eps nil is float32's machine epsilon, as in the layer.
    public func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String {
        let k = normalizedShape.count
        guard input.rank >= k, Array(input.shape.suffix(k)) == normalizedShape else {
            throw graph.unsupported("RMSNorm needs inputs ending with \(normalizedShape), got \(input.shape)")
        }
        let meanSquare = graph.reduceMean(graph.node("Mul", [input.name, input.name]), axes: Array((-k)...(-1)))
        let epsilon = eps ?? Double(Float.ulpOfOne)
        let rms = graph.node("Sqrt", [graph.node("Add", [meanSquare, graph.constant(scalar: epsilon)])])
        let normalized = graph.node("Div", [input.name, rms])
        guard let weight else { return normalized }
        return graph.node("Mul", [normalized, try graph.parameter(weight, name: "weight")])
    }
}

extension LocalResponseNorm: ONNXExportable {
    /// Writes Gradus's computation — x² as `[N, 1, C, −1]`, zero-padded along the channels, averaged
    /// over windows of `size` channels (`AveragePool`), `x / (k + α·average)^β` — rather than ONNX's
    /// `LRN`, whose window for an even size sits one channel later than PyTorch's.
    public func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String {
        guard input.rank >= 3, !input.isDynamic(1) else {
            throw graph.unsupported("LocalResponseNorm needs [N, C, …] inputs with a fixed C, got \(input.shape)")
        }
        let squares = graph.reshape(graph.node("Mul", [input.name, input.name]), [0, 1, input.shape[1], -1])
        let padded = graph.node("Pad", [squares, graph.constant(ints: [0, 0, size / 2, 0, 0, 0, (size - 1) / 2, 0])])
        let average = graph.node("AveragePool", [padded], attributes: [.ints("kernel_shape", [size, 1])])
        let restored = graph.node("Reshape", [average, graph.node("Shape", [input.name])])
        let scaled = graph.node("Add", [graph.scaled(restored, by: alpha), graph.constant(scalar: k)])
        return graph.node("Div", [input.name, graph.node("Pow", [scaled, graph.constant(scalar: beta)])])
    }
}
