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
    /// - Throws: ``GradusError`` when a forward pass fails (a batch of the wrong shape); the statistics
    ///   are then put back as they were.
    ///
    /// ```swift
    /// try BatchNormStatistics.update(swa.module, inputs: loader.lazy.map(\.inputs))
    /// ```
    public static func update<M: Module & Layer, S: Sequence<Tensor>>(_ model: M, inputs: S) throws {
        try update(model as Module, inputs: inputs) { _ = model($0) }
    }

    /// ``update(_:inputs:)`` for a model that is called some other way (several inputs): `forward` runs
    /// it on one element of `batches`.
    ///
    /// - Parameters:
    ///   - model: the model whose statistics to recompute.
    ///   - batches: the data, one element per forward pass.
    ///   - forward: runs the model on one element.
    /// - Throws: ``GradusError`` when a forward pass fails; the statistics are then put back.
    ///
    /// ```swift
    /// try BatchNormStatistics.update(fusion, batches: pairs) { _ = fusion($0) }
    /// ```
    public static func update<S: Sequence>(_ model: Module, batches: S, forward: (S.Element) -> Void) throws {
        try update(model, inputs: batches, forward)
    }

    private static func update<S: Sequence>(_ model: Module, inputs: S, _ forward: (S.Element) -> Void) throws {
        try GradusError.throwIfRecorded()
        let layers = model.modules().compactMap { $0 as? BatchNorm }.filter { $0.runningMean != nil }
        guard !layers.isEmpty else { return }
        let momenta = layers.map(\.momentum)
        let saved = layers.map { layer in
            [layer.runningMean, layer.runningVar, layer.numBatchesTracked].map { $0?.clone() }
        }
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
        do {
            try GradusError.catching {
                GradMode.noGrad {
                    for element in inputs {
                        forward(element)
                        if ErrorScope.hasFailed { break }
                    }
                }
            }
        } catch {
            GradMode.noGrad {
                for (layer, tensors) in zip(layers, saved) {
                    for (target, value) in zip([layer.runningMean, layer.runningVar, layer.numBatchesTracked], tensors) {
                        if let target, let value { target.assign(value) }
                    }
                }
            }
            throw error
        }
    }
}
