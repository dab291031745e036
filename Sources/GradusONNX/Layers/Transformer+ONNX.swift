import Gradus

extension TransformerEncoderLayer: ONNXExportable {
    /// Writes the layer from its children (self-attention, the two linear layers, the two layer
    /// normalizations; the dropouts are off) and the residual `Add`s, in `normFirst`'s order.
    public func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String {
        try exportONNX(input, to: graph, additiveMask: nil)
    }

    /// The layer with an additive attention mask (see `MultiheadAttention`'s).
    func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder, additiveMask: String?) throws -> String {
        func add(_ a: ONNXValue, _ b: ONNXValue) throws -> ONNXValue {
            try graph.value(graph.node("Add", [a.name, b.name]), from: [a, b]) { $0[0] + $0[1] }
        }
        func attend(_ x: ONNXValue) throws -> ONNXValue {
            try graph.apply(selfAttention, to: x, name: "self_attn") { _, v in
                try selfAttention.exportONNX(v, to: graph, additiveMask: additiveMask)
            }
        }
        func feedForward(_ x: ONNXValue) throws -> ONNXValue {
            let hidden = try graph.apply(linear1, to: x, name: "linear1")
            let act: any Layer = activation == .relu ? ReLU() : GELU()
            return try graph.apply(linear2, to: try graph.apply(act, to: hidden, name: ""), name: "linear2")
        }
        if normFirst {
            let x = try add(input, try attend(try graph.apply(norm1, to: input, name: "norm1")))
            return try add(x, try feedForward(try graph.apply(norm2, to: x, name: "norm2"))).name
        }
        let x = try graph.apply(norm1, to: try add(input, try attend(input)), name: "norm1")
        return try graph.apply(norm2, to: try add(x, try feedForward(x)), name: "norm2").name
    }
}

extension TransformerEncoder: ONNXExportable {
    /// Writes the layers in order (`layers.0`, `layers.1`, …), then the final normalization, if any.
    public func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String {
        var x = input
        for (i, layer) in layers.enumerated() { x = try graph.apply(layer, to: x, name: "layers.\(i)") }
        if let norm { x = try graph.apply(norm, to: x, name: "norm") }
        return x.name
    }
}
