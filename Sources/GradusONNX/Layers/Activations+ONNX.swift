import Gradus

// Activations: one ONNX operator each where one matches, otherwise their formula in elementwise
// operators (SiLU; GELU before opset 20; Softplus with β or a threshold).

extension ReLU: ONNXExportable {
    /// Writes `Relu`.
    public func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String {
        graph.node("Relu", [input.name])
    }
}

extension LeakyReLU: ONNXExportable {
    /// Writes `LeakyRelu` with `alpha` = `negativeSlope`.
    public func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String {
        graph.node("LeakyRelu", [input.name], attributes: [.float("alpha", negativeSlope)])
    }
}

extension ELU: ONNXExportable {
    /// Writes `Elu`.
    public func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String {
        graph.node("Elu", [input.name], attributes: [.float("alpha", alpha)])
    }
}

extension Sigmoid: ONNXExportable {
    /// Writes `Sigmoid`.
    public func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String {
        graph.node("Sigmoid", [input.name])
    }
}

extension Tanh: ONNXExportable {
    /// Writes `Tanh`.
    public func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String {
        graph.node("Tanh", [input.name])
    }
}

extension SiLU: ONNXExportable {
    /// Writes `x · Sigmoid(x)`.
    public func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String {
        graph.node("Mul", [input.name, graph.node("Sigmoid", [input.name])])
    }
}

extension GELU: ONNXExportable {
    /// Writes `Gelu` from opset 20, its formula before: `x/2 · (1 + erf(x/√2))`, or with the tanh
    /// approximation `x/2 · (1 + tanh(√(2/π) · (x + 0.044715 x³)))`.
    public func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String {
        try ONNXActivation.gelu(input.name, approximate: approximate, graph: graph)
    }
}

extension Softplus: ONNXExportable {
    /// Writes `Softplus(β·x)/β`, or `x` where `β·x` is above the threshold (`Where`).
    public func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String {
        let bx = graph.scaled(input.name, by: beta)
        let soft = graph.scaled(graph.node("Softplus", [bx]), by: 1 / beta)
        guard threshold.isFinite else { return soft }
        let linear = graph.node("Greater", [bx, graph.constant(scalar: threshold)])
        return graph.node("Where", [linear, input.name, soft])
    }
}

extension Softmax: ONNXExportable {
    /// Writes `Softmax` over `axis`.
    public func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String {
        graph.node("Softmax", [input.name], attributes: [.int("axis", axis)])
    }
}

extension LogSoftmax: ONNXExportable {
    /// Writes `LogSoftmax` over `axis`.
    public func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String {
        graph.node("LogSoftmax", [input.name], attributes: [.int("axis", axis)])
    }
}

/// Activations shared by several layers.
enum ONNXActivation {
    /// `Shrink`, with NaN passed through as Gradus and PyTorch do (`Where(IsNaN(x), x, Shrink(x))`).
    static func shrink(_ x: String, lambda: Double, bias: Double, graph: ONNXGraphBuilder) -> String {
        let shrunk = graph.node("Shrink", [x], attributes: [.float("lambd", lambda), .float("bias", bias)])
        return graph.node("Where", [graph.node("IsNaN", [x]), x, shrunk])
    }

    /// GELU, as `Gelu` from opset 20 or as its formula.
    static func gelu(_ x: String, approximate: GELUApproximation, graph: ONNXGraphBuilder) throws -> String {
        if graph.opset >= 20 {
            return graph.node("Gelu", [x], attributes: [.string("approximate", approximate == .none ? "none" : "tanh")])
        }
        let inner: String
        switch approximate {
        case .none:
            inner = graph.node("Erf", [graph.scaled(x, by: 1 / 2.0.squareRoot())])
        case .tanh:
            let cube = graph.node("Mul", [graph.node("Mul", [x, x]), x])
            let sum = graph.node("Add", [x, graph.scaled(cube, by: 0.044715)])
            inner = graph.node("Tanh", [graph.scaled(sum, by: (2 / Double.pi).squareRoot())])
        }
        let onePlus = graph.node("Add", [inner, graph.constant(scalar: 1)])
        return graph.node("Mul", [graph.scaled(x, by: 0.5), onePlus])
    }
}

extension Hardtanh: ONNXExportable {
    /// Writes `Clip` to [`minValue`, `maxValue`].
    public func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String {
        graph.node("Clip", [input.name, graph.constant(scalar: minValue), graph.constant(scalar: maxValue)])
    }
}

extension ReLU6: ONNXExportable {
    /// Writes `Clip` to [0, 6].
    public func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String {
        graph.node("Clip", [input.name, graph.constant(scalar: 0), graph.constant(scalar: 6)])
    }
}

extension Hardsigmoid: ONNXExportable {
    /// Writes `HardSigmoid` with α = 1/6 and β = 1/2 (max(0, min(1, x/6 + 1/2)) = relu6(x + 3)/6).
    public func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String {
        graph.node("HardSigmoid", [input.name], attributes: [.float("alpha", 1.0 / 6), .float("beta", 0.5)])
    }
}

extension Hardswish: ONNXExportable {
    /// Writes `HardSwish` (opset 14 on).
    public func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String {
        graph.node("HardSwish", [input.name])
    }
}

extension Mish: ONNXExportable {
    /// Writes `Mish` from opset 18, `x · Tanh(Softplus(x))` before.
    public func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String {
        if graph.opset >= 18 { return graph.node("Mish", [input.name]) }
        return graph.node("Mul", [input.name, graph.node("Tanh", [graph.node("Softplus", [input.name])])])
    }
}

extension SELU: ONNXExportable {
    /// Writes `Selu` with PyTorch's α and scale (γ).
    public func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String {
        graph.node("Selu", [input.name], attributes: [.float("alpha", 1.6732632423543772848170429916717),
                                                      .float("gamma", 1.0507009873554804934193349852946)])
    }
}

extension CELU: ONNXExportable {
    /// Writes `Celu` with `alpha`.
    public func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String {
        graph.node("Celu", [input.name], attributes: [.float("alpha", alpha)])
    }
}

extension LogSigmoid: ONNXExportable {
    /// Writes `−Softplus(−x)`.
    public func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String {
        graph.node("Neg", [graph.node("Softplus", [graph.node("Neg", [input.name])])])
    }
}

extension Softsign: ONNXExportable {
    /// Writes `Softsign`.
    public func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String {
        graph.node("Softsign", [input.name])
    }
}

extension PReLU: ONNXExportable {
    /// Writes `PRelu` with the slopes shaped to broadcast along the channel dimension (`[C, 1, …]`, as
    /// PyTorch's exporter writes them).
    public func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String {
        let slopes = weight.count
        var shape = [slopes]
        if slopes > 1 {
            guard input.rank >= 2, input.shape[1] == slopes else {
                throw graph.unsupported("PReLU with \(slopes) slopes needs \(slopes) channels in dimension 1, got \(input.shape)")
            }
            shape += [Int](repeating: 1, count: input.rank - 2)
        }
        let slope = try graph.constant(weight.detach().reshape(shape), name: "weight")
        return graph.node("PRelu", [input.name, slope])
    }
}

extension Hardshrink: ONNXExportable {
    /// Writes `Shrink` with `lambd` = λ and no bias: x where |x| > λ, 0 elsewhere; NaN passes through
    /// (`Shrink` alone turns it into 0).
    public func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String {
        ONNXActivation.shrink(input.name, lambda: lambda, bias: 0, graph: graph)
    }
}

extension Softshrink: ONNXExportable {
    /// Writes `Shrink` with `lambd` = `bias` = λ: x − λ above λ, x + λ below −λ, 0 between; NaN passes
    /// through.
    public func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String {
        ONNXActivation.shrink(input.name, lambda: lambda, bias: lambda, graph: graph)
    }
}

extension Tanhshrink: ONNXExportable {
    /// Writes `x − Tanh(x)`.
    public func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String {
        graph.node("Sub", [input.name, graph.node("Tanh", [input.name])])
    }
}

extension Threshold: ONNXExportable {
    /// Writes `Where(x ≤ threshold, value, x)` (PyTorch's test, so NaN passes through as in the layer).
    public func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String {
        let below = graph.node("LessOrEqual", [input.name, graph.constant(scalar: threshold)])
        return graph.node("Where", [below, graph.constant(scalar: value), input.name])
    }
}

extension GLU: ONNXExportable {
    /// Writes the two halves of `axis` as `Slice`s and `a · Sigmoid(b)`.
    public func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String {
        let a = axis < 0 ? axis + input.rank : axis
        guard (0..<input.rank).contains(a), input.shape[a] % 2 == 0 else {
            throw graph.unsupported("GLU needs an even size on axis \(axis), got \(input.shape)")
        }
        guard !input.isDynamic(a) else {
            throw graph.unsupported("GLU halves axis \(axis), which is dynamic in this export; make it fixed (ONNXExportOptions.dynamicAxes)")
        }
        let half = input.shape[a] / 2
        let first = graph.slice(input.name, axis: a, start: 0, end: half)
        let second = graph.slice(input.name, axis: a, start: half, end: 2 * half)
        return graph.node("Mul", [first, graph.node("Sigmoid", [second])])
    }
}

extension Softmin: ONNXExportable {
    /// Writes `Softmax(−x)` over `axis`.
    public func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String {
        graph.node("Softmax", [graph.node("Neg", [input.name])], attributes: [.int("axis", axis)])
    }
}

extension Softmax2d: ONNXExportable {
    /// Writes `Softmax` over axis −3.
    public func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String {
        graph.node("Softmax", [input.name], attributes: [.int("axis", -3)])
    }
}
