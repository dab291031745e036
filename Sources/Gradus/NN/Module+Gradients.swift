extension Autograd {
    /// Evaluates `body` on `model` and returns its value with the gradient of every trainable parameter,
    /// by dotted name, as values (the gradient-tape style for a whole model). No ``Tensor/grad`` is
    /// written, so this mixes freely with optimizers that read `grad`.
    ///
    /// - Parameters:
    ///   - model: the module whose parameters to differentiate with respect to.
    ///   - body: computes a one-element loss from the model.
    /// - Returns: the loss and a dictionary from parameter name (`"0.weight"`) to gradient.
    ///
    /// ```swift
    /// let (loss, grads) = Autograd.valueWithGradient(of: model) { m in
    ///     m(x).crossEntropy(labels)
    /// }
    /// print(grads["0.weight"]!.shape)
    /// ```
    public static func valueWithGradient<M: Module>(
        of model: M, _ body: (M) throws -> Tensor
    ) rethrows -> (value: Tensor, gradients: [String: Tensor]) {
        let trainable = model.namedParameters().filter { $0.tensor.requiresGrad }
        let value = try GradMode.with(enabled: true) { try body(model) }
        let single = checked(or: false) {
            try require(value.count == 1, "Autograd.valueWithGradient(of:): the function returned shape \(value.shape), not a single value", .shapeMismatch)
            return true
        }
        guard single else { return (Tensor.placeholder(), [:]) }
        guard value.requiresGrad, !trainable.isEmpty else {
            return (value, Dictionary(uniqueKeysWithValues: trainable.map { ($0.name, Tensor.zeros(like: $0.tensor)) }))
        }
        let grads = gradients(of: value, wrt: trainable.map(\.tensor))
        return (value.detach(), Dictionary(uniqueKeysWithValues: zip(trainable.map(\.name), grads)))
    }
}
