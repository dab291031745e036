/// Recomputing batch-normalization statistics for weights that were not trained with them, such as an
/// ``AveragedModel``'s (PyTorch's `torch.optim.swa_utils.update_bn`).
public enum BatchNormStatistics {
    /// Resets the running statistics of every batch-normalization layer in `model`, then runs `model`
    /// over `inputs` in training mode without recording gradients, so that each layer's statistics
    /// become the plain average over those batches (momentum nil, as PyTorch's `update_bn`). The layers'
    /// momenta and the model's mode are restored afterwards. A model without batch normalization is
    /// left untouched (no forward pass runs).
    ///
    /// - Parameters:
    ///   - model: the model whose statistics to recompute.
    ///   - inputs: the batches, typically the training inputs once over.
    ///
    /// ```swift
    /// BatchNormStatistics.update(swa.module, inputs: loader.lazy.map(\.input))
    /// ```
    public static func update<M: Module & Layer, S: Sequence<Tensor>>(_ model: M, inputs: S) {
        update(model as Module, inputs: inputs) { _ = model($0) }
    }

    /// ``update(_:inputs:)`` for a model that is called some other way (several inputs): `forward` runs
    /// it on one element of `batches`.
    ///
    /// - Parameters:
    ///   - model: the model whose statistics to recompute.
    ///   - batches: the data, one element per forward pass.
    ///   - forward: runs the model on one element.
    ///
    /// ```swift
    /// BatchNormStatistics.update(fusion, batches: pairs) { fusion(image: $0.image, features: $0.features) }
    /// ```
    public static func update<S: Sequence>(_ model: Module, batches: S, forward: (S.Element) -> Void) {
        update(model, inputs: batches, forward)
    }

    private static func update<S: Sequence>(_ model: Module, inputs: S, _ forward: (S.Element) -> Void) {
        let layers = model.modules().compactMap { $0 as? BatchNorm }.filter { $0.runningMean != nil }
        guard !layers.isEmpty else { return }
        let momenta = layers.map(\.momentum)
        let wasTraining = model.isTraining
        for layer in layers {
            layer.resetRunningStats()
            layer.momentum = nil
        }
        model.train()
        defer {
            for (layer, momentum) in zip(layers, momenta) { layer.momentum = momentum }
            model.train(wasTraining)
        }
        GradMode.noGrad {
            for element in inputs { forward(element) }
        }
    }
}
