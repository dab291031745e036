import Gradus

/// Synchronized batch normalization: in data-parallel training, every ``BatchNorm`` layer normalizes with
/// the mean and variance of the whole global batch (all ranks' samples) instead of its rank's share, and
/// its gradients flow through those shared statistics. With small per-rank batches this is what keeps
/// training the same as on one process. PyTorch's `nn.SyncBatchNorm`.
///
/// The layers stay `BatchNorm1d`/`BatchNorm2d` — same parameters, buffers, checkpoints and exports —
/// with ``BatchNorm/crossProcess`` set to the group. Evaluation mode uses the running statistics, which
/// are the same on every rank. Costs two small all-reduces per layer in each forward pass, and two in
/// backward.
///
/// ```swift
/// let group = try ProcessGroup.initialize()
/// SyncBatchNorm.convert(model, group: group)
/// let ddp = try DistributedDataParallel(model, group: group)
/// ```
public enum SyncBatchNorm {
    /// Makes every ``BatchNorm`` layer in `module` (itself included) synchronize its batch statistics
    /// over `group` (PyTorch's `SyncBatchNorm.convert_sync_batchnorm`).
    ///
    /// - Parameters:
    ///   - module: the model.
    ///   - group: the ranks to synchronize over; nil turns synchronization off again.
    /// - Returns: the number of layers changed.
    @discardableResult
    public static func convert(_ module: Module, group: ProcessGroup?) -> Int {
        var changed = 0
        for m in module.modules() {
            guard let bn = m as? BatchNorm else { continue }
            bn.crossProcess = group
            changed += 1
        }
        return changed
    }
}
