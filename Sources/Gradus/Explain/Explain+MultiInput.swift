extension Explain {
    /// The gradient of the output `classIndex` with respect to each input of one sample of a model
    /// with several inputs: one attribution per input, shaped like it.
    ///
    /// - Parameters:
    ///   - model: the model, applied to a batch of one.
    ///   - inputs: one sample's named inputs, without the batch dimension.
    ///   - classIndex: the output whose score is differentiated.
    /// - Returns: the attributions, with the inputs' names and shapes.
    ///
    /// ```swift
    /// let grads = Explain.saliency(model: fusion, inputs: ["image": img, "features": f], classIndex: 3)
    /// let imageMap = grads["image"]
    /// ```
    public static func saliency(model: any MultiInputLayer, inputs: TensorGroup, classIndex: Int) -> TensorGroup {
        checked(or: TensorGroup.emptyPlaceholder) {
            let points = inputs.mapTensors { $0.detach().unsqueeze(0) }
            let grads = try pathGradients(model: model, points: points, classIndex: classIndex)
            return TensorGroup(Array(zip(inputs.names, zip(grads, inputs.tensors).map { $0.reshape($1.shape) })))
        }
    }

    /// Integrated gradients for a model with several inputs: every input moves together along the
    /// straight path from its baseline (zeros by default) to its value, and each gets
    /// `(x − x₀) ⊙` its average gradient, so that the attributions of all inputs together add up to
    /// about `score(x) − score(x₀)`, and each input's share tells how much it contributed.
    ///
    /// - Parameters:
    ///   - model: the model, applied to a batch of `steps` points.
    ///   - inputs: one sample's named inputs.
    ///   - classIndex: the output whose score is attributed.
    ///   - baselines: reference inputs with the same names and shapes (default: zeros).
    ///   - steps: points on the path (default 50).
    /// - Returns: the attributions, with the inputs' names and shapes.
    ///
    /// ```swift
    /// let ig = Explain.integratedGradients(model: fusion, inputs: sample, classIndex: 3)
    /// let shares = ig.map { $0.tensor.sum().item() }
    /// ```
    public static func integratedGradients(model: any MultiInputLayer, inputs: TensorGroup, classIndex: Int,
                                           baselines: TensorGroup? = nil, steps: Int = 50) -> TensorGroup {
        checked(or: TensorGroup.emptyPlaceholder) {
            try require(steps >= 1 && steps <= maximumSteps,
                        "Explain.integratedGradients: steps must lie in 1...\(maximumSteps), got \(steps)")
            var points: [(String, Tensor)] = [], deltas: [Tensor] = []
            for (name, value) in inputs {
                let x = value.detach()
                let x0 = try baselines.map { b -> Tensor in
                    guard let t = b.tensor(named: name) else {
                        throw GradusError(.invalidArgument, "Explain.integratedGradients: no baseline for input \"\(name)\"")
                    }
                    return t.detach()
                } ?? Tensor.zeros(x.shape, dtype: x.dtype)
                try require(x0.shape == x.shape, "Explain.integratedGradients: baseline \(x0.shape) of \"\(name)\" must match its input \(x.shape)", .shapeMismatch)
                let path = straightPath(from: x0, to: x, steps: steps)
                points.append((name, path.points))
                deltas.append(path.delta)
            }
            let grads = try pathGradients(model: model, points: TensorGroup(points), classIndex: classIndex)
            return TensorGroup(inputs.names.indices.map { i in
                (inputs.names[i], GradMode.noGrad { grads[i].mean(axes: [0]) * deltas[i] })
            })
        }
    }

    /// The gradients of the summed score with respect to each input at each point of a batch.
    static func pathGradients(model: any MultiInputLayer, points: TensorGroup, classIndex: Int) throws -> [Tensor] {
        let wasTraining = model.isTraining
        model.eval()
        defer { model.train(wasTraining) }
        for t in points.tensors {
            try require(t.dtype.isFloatingPoint, "Explain: inputs must be floating point to have gradients, got \(t.dtype)", .dtypeMismatch)
        }
        let batch = points.mapTensors { $0.detach().requiringGrad() }
        let output = model(batch)
        try GradusError.throwIfRecorded()
        try require(output.rank == 2 && classIndex >= 0 && classIndex < output.shape[1],
                    "Explain: class index \(classIndex) is out of range for model output \(output.shape)", .indexOutOfRange)
        let score = output.select(axis: 1, index: classIndex).sum()
        let grads = Autograd.gradients(of: score, wrt: batch.tensors)
        try GradusError.throwIfRecorded()
        try require(grads.count == batch.tensors.count, Explain.noGradientMessage, .autograd)
        return grads
    }
}
