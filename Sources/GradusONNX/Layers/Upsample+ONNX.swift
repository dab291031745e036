import Gradus

// Resizing written as the steps Gradus takes (`Functional.interpolationSteps`): a `Gather` of source
// positions per resized axis for the nearest modes, two `Gather`s blended by constant weights for the
// linear ones. ONNX's `Resize` computes its own source positions (in float32, from the scale or the
// sizes), which differ from PyTorch's at some sizes; these steps cannot.

extension Upsample: ONNXExportable {
    /// Writes each resized spatial axis as `Gather` (nearest modes) or `Gather`, `Gather`, `Mul`, `Mul`,
    /// `Add` (linear modes), with the positions and weights Gradus uses as constants.
    public func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String {
        guard input.rank >= 3, !(2..<input.rank).contains(where: input.isDynamic) else {
            throw graph.unsupported("\(type(of: self)) needs [N, C, …] inputs with fixed spatial sizes, got \(input.shape)")
        }
        let steps: [InterpolationStep]
        do {
            steps = try Functional.interpolationSteps(inputShape: input.shape, dtype: input.sample.dtype, size: size,
                                                      scaleFactor: scaleFactor, mode: mode, alignCorners: alignCorners)
        } catch let error as GradusError {
            throw graph.unsupported("\(type(of: self)): \(error.message)")
        }
        var x = input.name
        for (k, step) in steps.enumerated() {
            let axis = 2 + k
            func gather(_ positions: [Int], _ what: String) throws -> String {
                let index = try graph.constant(Tensor(shape: [positions.count], integers: positions), name: "\(what)_\(axis)")
                return graph.node("Gather", [x, index], attributes: [.int("axis", axis)])
            }
            switch step {
            case .keep:
                continue
            case .gather(let sources):
                x = try gather(sources, "sources")
            case .blend(let lower, let upper, let weights):
                var shape = [Int](repeating: 1, count: input.rank - axis)
                shape[0] = weights.count
                let w = try graph.constant(Tensor(shape: shape, values: weights), name: "weights_\(axis)")
                let complement = try graph.constant(Tensor(shape: shape, values: weights.map { 1 - $0 }), name: "complements_\(axis)")
                let a = try gather(lower, "lower"), b = try gather(upper, "upper")
                x = graph.node("Add", [graph.node("Mul", [a, complement]), graph.node("Mul", [b, w])])
            }
        }
        return x
    }
}
