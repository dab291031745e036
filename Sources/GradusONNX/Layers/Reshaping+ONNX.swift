import Gradus

/// `Flatten` for the usual `startAxis: 1, endAxis: -1`, a `Reshape` otherwise.
extension Flatten: ONNXExportable {
    /// Writes `Flatten` (axis 1) or a `Reshape` to the flattened shape.
    public func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String {
        let rank = input.rank
        let start = startAxis < 0 ? startAxis + rank : startAxis
        let end = endAxis < 0 ? endAxis + rank : endAxis
        if start == 1 && end == rank - 1 && rank >= 2 {
            return graph.node("Flatten", [input.name], attributes: [.int("axis", 1)])
        }
        let result = try ONNXGraphBuilder.run(self, input.sample, at: graph.location)
        let alternate = try input.alternate.map { try ONNXGraphBuilder.run(self, $0, at: graph.location) }
        return try graph.reshape(input, toShapeOf: result.shape, alternate: alternate?.shape)
    }
}

/// Nothing: the output is the input.
extension Identity: ONNXExportable {
    /// Writes nothing.
    public func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String { input.name }
}

/// Nothing: exported models compute in evaluation mode, where dropout passes its input through.
extension Dropout: ONNXExportable {
    /// Writes nothing.
    public func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String { input.name }
}

extension Dropout2d: ONNXExportable {
    /// Writes nothing (the identity at inference, as ``Dropout``).
    public func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String { input.name }
}

extension Dropout1d: ONNXExportable {
    /// Writes nothing (the identity at inference, as ``Dropout``).
    public func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String { input.name }
}

extension Dropout3d: ONNXExportable {
    /// Writes nothing (the identity at inference, as ``Dropout``).
    public func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String { input.name }
}

/// A `Reshape` that splits one axis into `sizes`.
extension Unflatten: ONNXExportable {
    /// Writes a `Reshape` to the unflattened shape.
    public func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String {
        let result = try ONNXGraphBuilder.run(self, input.sample, at: graph.location)
        let alternate = try input.alternate.map { try ONNXGraphBuilder.run(self, $0, at: graph.location) }
        return try graph.reshape(input, toShapeOf: result.shape, alternate: alternate?.shape)
    }
}

/// `DepthToSpace` in `CRD` mode, which is PyTorch's channel order.
extension PixelShuffle: ONNXExportable {
    /// Writes `DepthToSpace` (mode `CRD`, block size r) of `[N, C·r², H, W]`; a `[C·r², H, W]` input is
    /// given a batch axis around it.
    public func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String {
        guard input.rank == 3 || input.rank == 4 else {
            throw graph.unsupported("PixelShuffle exports for [N, C, H, W] or [C, H, W] inputs, got \(input.shape)")
        }
        let batched = input.rank == 4 ? input.name : graph.unsqueeze(input.name, axes: [0])
        let y = graph.node("DepthToSpace", [batched], attributes: [.int("blocksize", upscaleFactor), .string("mode", "CRD")])
        return input.rank == 4 ? y : graph.squeeze(y, axes: [0])
    }
}

/// `Reshape`, `Transpose`, `Reshape` (ONNX's `SpaceToDepth` orders the channels otherwise).
extension PixelUnshuffle: ONNXExportable {
    /// Writes `[N, C, H·r, W·r]` → `[N, C, H, r, W, r]` → `[N, C, r, r, H, W]` → `[N, C·r², H, W]`; a
    /// `[C, H·r, W·r]` input is given a batch axis around it.
    public func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String {
        guard input.rank == 3 || input.rank == 4 else {
            throw graph.unsupported("PixelUnshuffle exports for [N, C, H, W] or [C, H, W] inputs, got \(input.shape)")
        }
        guard !(1...3).contains(where: { input.isDynamic(-$0) }) else {
            throw graph.unsupported("PixelUnshuffle needs fixed channel, height and width axes; only the batch may be dynamic, got dynamic axes \(input.dynamicAxes)")
        }
        let r = downscaleFactor
        let (c, h, w) = (input.shape[input.rank - 3], input.shape[input.rank - 2] / r, input.shape[input.rank - 1] / r)
        let batched = input.rank == 4 ? input.name : graph.unsqueeze(input.name, axes: [0])
        let split = graph.reshape(batched, [0, c, h, r, w, r])
        let moved = graph.transpose(split, [0, 1, 3, 5, 2, 4])
        let y = graph.reshape(moved, [0, c * r * r, h, w])
        return input.rank == 4 ? y : graph.squeeze(y, axes: [0])
    }
}

/// `Reshape` to `[N, groups, C/groups, …]`, `Transpose` of the two channel axes, `Reshape` back.
extension ChannelShuffle: ONNXExportable {
    /// Writes the shuffle as reshapes around a transpose (the input's own `Shape` restores it).
    public func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String {
        guard input.rank >= 3, input.shape[1] % groups == 0, !input.isDynamic(1) else {
            throw graph.unsupported("ChannelShuffle needs [N, C, …] inputs with a fixed C divisible by \(groups), got \(input.shape)")
        }
        let c = input.shape[1]
        let grouped = graph.reshape(input.name, [0, groups, c / groups, -1])
        let swapped = graph.transpose(grouped, [0, 2, 1, 3])
        return graph.node("Reshape", [swapped, graph.node("Shape", [input.name])])
    }
}

/// Nothing: alpha dropout passes its input through in evaluation mode.
extension AlphaDropout: ONNXExportable {
    /// Writes nothing.
    public func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String { input.name }
}

extension FeatureAlphaDropout: ONNXExportable {
    /// Writes nothing (the identity at inference, as ``AlphaDropout``).
    public func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String { input.name }
}
