/// What a ``Trainer`` does when a batch's loss, or a parameter's gradient, is not finite (NaN or ±Inf),
/// e.g. because a sample holds a NaN or because a learning rate far too large made the weights overflow.
///
/// The loss is checked after the forward pass, and the gradients after `backward()` (a NaN input can
/// give a finite loss — ReLU maps NaN to 0 — yet NaN gradients); both before the optimizer step, so
/// under ``stop`` and ``skip`` a non-finite value never reaches the weights or the optimizer's state.
/// An update that overflows finite weights shows on the next batch (its loss is not finite), and
/// ``TrainingRun`` refuses to save non-finite weights at the end of an epoch.
///
/// - ``stop`` (the default): throw a ``TrainingError`` naming the epoch, the batch and the loss value.
///   The model keeps the weights of the last good step; a ``TrainingRun`` writes no outputs for the
///   unfinished epoch, so the last checkpoint on disk is untouched.
/// - ``skip``: leave that batch out: no backward pass, no optimizer step, no schedule step. The epoch's
///   ``EpochMetrics/skippedBatches`` counts such batches, and its loss and accuracy are averaged over
///   the batches that were used.
/// - ``ignore``: step anyway (the behaviour before this policy existed); the weights become non-finite.
///
/// ```swift
/// let trainer = Trainer(model: model, optimizer: SGD(model.parameters(), lr: 0.05),
///                       nonFiniteLoss: .skip)
/// let m = try trainer.trainEpoch(train, batchSize: 32)
/// print("skipped \(m.skippedBatches) batches")
/// ```
public enum NonFiniteLossPolicy: String, Codable, Sendable, CaseIterable {
    /// Throw a ``TrainingError`` naming the epoch, batch and loss value.
    case stop
    /// Skip the batch's update and count it.
    case skip
    /// Update with the non-finite loss anyway.
    case ignore
}
