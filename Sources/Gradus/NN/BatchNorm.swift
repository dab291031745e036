/// Batch normalization over the channel dimension (the shared implementation of ``BatchNorm1d`` and
/// ``BatchNorm2d``, PyTorch's `_BatchNorm`).
///
/// In training mode each channel is normalized with the batch's statistics, and running estimates are
/// updated: `running = (1 − momentum)·running + momentum·batch` (the variance unbiased), with momentum
/// 0.1 by default, or a cumulative average when momentum is nil. In evaluation mode the running
/// estimates are used. State: `weight` (γ, ones) and `bias` (β, zeros) when affine; buffers
/// `running_mean` (zeros), `running_var` (ones) and `num_batches_tracked` (int64) when tracking.
public class BatchNorm: Module, Layer {
    /// The scale γ `[numFeatures]`, or nil when not affine.
    @Parameter public var weight: Tensor?
    /// The shift β `[numFeatures]`, or nil when not affine.
    @Parameter public var bias: Tensor?
    /// The running mean `[numFeatures]`, or nil when statistics are not tracked.
    @Buffer("running_mean") public var runningMean: Tensor? = nil
    /// The running (unbiased) variance `[numFeatures]`, or nil when statistics are not tracked.
    @Buffer("running_var") public var runningVar: Tensor? = nil
    /// The number of training batches seen (an int64 scalar), or nil when statistics are not tracked.
    @Buffer("num_batches_tracked") public var numBatchesTracked: Tensor? = nil
    /// The number of channels.
    public let numFeatures: Int
    /// Added to the variance.
    public let eps: Double
    /// The running statistics' update factor; nil for a cumulative average (set to nil for a while by
    /// ``BatchNormStatistics/update(_:inputs:)``).
    public internal(set) var momentum: Double?
    /// In data-parallel training, sums the batch statistics over the processes so that each normalizes
    /// with the whole global batch's (synchronized batch normalization, PyTorch's `SyncBatchNorm`); nil
    /// (the default): this process's batch only. Set by GradusDistributed's `SyncBatchNorm.convert`.
    /// Evaluation mode uses the running statistics either way.
    public var crossProcess: (any CrossProcessReduction)? = nil
    let ranks: [Int]

    init(numFeatures: Int, eps: Double, momentum: Double?, affine: Bool, trackRunningStats: Bool, dtype: DType, ranks: [Int]) {
        var numFeatures = numFeatures
        if !validSetting(numFeatures > 0, "\(Self.self): numFeatures must be positive, got \(numFeatures)") { numFeatures = 1 }
        self.numFeatures = numFeatures
        self.eps = eps
        self.momentum = momentum
        self.ranks = ranks
        if affine {
            weight = Tensor.ones([numFeatures], dtype: dtype).requiringGrad()
            bias = Tensor.zeros([numFeatures], dtype: dtype).requiringGrad()
        }
        super.init()
        if trackRunningStats {
            runningMean = Tensor.zeros([numFeatures], dtype: dtype)
            runningVar = Tensor.ones([numFeatures], dtype: dtype)
            numBatchesTracked = Tensor.zeros([], dtype: .int64)
        }
    }

    /// Sets the running mean to 0, the running variance to 1 and the batch count to 0 (PyTorch's
    /// `reset_running_stats`); nothing when statistics are not tracked.
    ///
    /// ```swift
    /// bn.resetRunningStats()
    /// ```
    public func resetRunningStats() {
        GradMode.noGrad {
            _ = runningMean?.zeroInPlace()
            _ = runningVar?.fillInPlace(1)
            _ = numBatchesTracked?.zeroInPlace()
        }
    }

    /// Normalizes `input` (see the type's description for the modes).
    public func callAsFunction(_ input: Tensor) -> Tensor {
        withForwardHooks(input) { input in
            guard isTraining, let crossProcess else { return normalize(input, crossProcess: nil) }
            // Synchronized: this layer takes part in its two reductions even when the pass has failed on
            // this process (a placeholder input, a failed check), with zeros, so that the other processes,
            // waiting in the same reductions, go on to the step's agreement, which stops all of them.
            let counting = CountingReduction(crossProcess)
            let output = normalize(input, crossProcess: counting)
            if counting.calls < 2 {
                // The statistics' dtype is the input's; a failed input is a placeholder: take the layer's own.
                let dtype = input.count > 0 ? input.dtype : (weight?.dtype ?? runningMean?.dtype ?? .float32)
                for count in [numFeatures + 1, numFeatures][counting.calls...] {
                    try? crossProcess.sumZerosAcrossProcesses(count: count, dtype: dtype)
                }
            }
            return output
        }
    }

    /// The layer's output followed by ReLU, `self(input).relu()`, computed as one operation
    /// (`Functional.batchNormReLU`): the normalized values are never stored, and the ReLU costs no pass
    /// of its own forward or backward. ``Sequential`` calls it for a batch-normalization layer followed
    /// by a ``ReLU`` layer; call it in your own modules' blocks. With hooks on this layer, or statistics
    /// synchronized across processes in training, it is the layer and then `relu()` (the hooks see the
    /// normalized values).
    ///
    /// - Parameter input: `[N, C, …]`, as for the layer.
    /// - Returns: `max(self(input), 0)`, with the layer's effects (running statistics updated in training).
    ///
    /// ```swift
    /// let h = bn1.normalizedReLU(conv1(x))   // relu(bn1(conv1(x))) in one pass
    /// ```
    public func normalizedReLU(_ input: Tensor) -> Tensor {
        guard !(isTraining && crossProcess != nil), !hasForwardHooks, !hasBackwardHooks else { return self(input).relu() }
        return withForwardHooks(input) { input in normalize(input, crossProcess: nil, relu: true) }
    }

    /// The layer's output followed by ReLU and 2×2 max pooling with stride 2,
    /// `MaxPool2d(2)(self(input).relu())`, computed as one operation
    /// (`Functional.batchNormReLUMaxPool2x2`): only the pooled values are written, and the backward
    /// passes read the pooled gradient. ``Sequential`` calls it for a batch-normalization layer followed
    /// by ``ReLU`` and such a ``MaxPool2d``; call it in your own modules' blocks. With hooks on this layer,
    /// or statistics synchronized across processes in training, it is the layer, `relu()` and the
    /// pooling (the hooks see the normalized values).
    ///
    /// - Parameter input: `[N, C, H, W]` with H and W at least 2 (otherwise a failed operation, before the
    ///   running statistics are touched).
    /// - Returns: `[N, C, H/2, W/2]` (an odd last row or column is dropped, as by the pooling), with the
    ///   layer's effects (running statistics updated in training).
    ///
    /// ```swift
    /// let h = bn1.normalizedReLUMaxPool2x2(conv1(x))   // maxPool2d(relu(bn1(conv1(x))), 2) in one pass
    /// ```
    public func normalizedReLUMaxPool2x2(_ input: Tensor) -> Tensor {
        checked {
            try Functional.requirePoolableBy2x2(input, "\(type(of: self)).normalizedReLUMaxPool2x2")
            guard fusesReLUMaxPool2x2 else { return Functional.maxPool2d(self(input).relu(), kernelSize: (2, 2)) }
            return withForwardHooks(input) { input in normalize(input, crossProcess: nil, relu: true, maxPool2x2: true) }
        }
    }

    /// Whether ``normalizedReLUMaxPool2x2(_:)`` runs as one operation: no hooks on this layer, and no
    /// statistics synchronized across processes in training.
    var fusesReLUMaxPool2x2: Bool { !(isTraining && crossProcess != nil) && !hasForwardHooks && !hasBackwardHooks }

    private func normalize(_ input: Tensor, crossProcess: (any CrossProcessReduction)?, relu: Bool = false,
                           maxPool2x2: Bool = false) -> Tensor {
        checked {
            try require(ranks.contains(input.rank) && input.shape[1] == numFeatures,
                         "\(type(of: self)): expected input of rank \(ranks.map(String.init).joined(separator: " or ")) with \(numFeatures) channels, got \(input.shape)", .shapeMismatch)
            var factor = momentum ?? 0
            if isTraining, let counter = numBatchesTracked {
                counter.pointer(Int64.self)[0] += 1
                if momentum == nil { factor = 1 / Double(counter.pointer(Int64.self)[0]) }
            }
            let useBatchStats = isTraining || runningMean == nil
            return Functional.batchNorm(input, runningMean: runningMean, runningVar: runningVar, weight: weight, bias: bias,
                                        training: useBatchStats, momentum: factor, eps: eps,
                                        crossProcess: crossProcess, relu: relu, maxPool2x2: maxPool2x2)
        }
    }

    /// The configuration shown by ``Module/description`` (PyTorch\'s `extra_repr`).

    public override var extraDescription: String {
        "\(numFeatures), eps: \(eps), momentum: \(momentum.map { "\($0)" } ?? "nil"), affine: \(_weight.storedValue != nil), trackRunningStats: \(runningMean != nil)"
    }
}

/// Batch normalization of `[N, C]` or `[N, C, L]` inputs (PyTorch's `nn.BatchNorm1d`); see ``BatchNorm``.
///
/// ```swift
/// let bn = BatchNorm1d(64)
/// let y = bn(x)   // [N, 64]
/// ```
public final class BatchNorm1d: BatchNorm {
    /// A batch-normalization layer.
    ///
    /// - Parameters:
    ///   - numFeatures: the number of channels C.
    ///   - eps: added to the variance.
    ///   - momentum: the running statistics' update factor (nil: cumulative average).
    ///   - affine: whether to learn a per-channel scale and shift.
    ///   - trackRunningStats: whether to keep running statistics for evaluation.
    ///   - dtype: the element type of parameters and statistics.
    ///
    /// ```swift
    /// let bn = BatchNorm1d(128, momentum: 0.01)
    /// ```
    public init(_ numFeatures: Int, eps: Double = 1e-5, momentum: Double? = 0.1, affine: Bool = true,
                trackRunningStats: Bool = true, dtype: DType = .float32) {
        super.init(numFeatures: numFeatures, eps: eps, momentum: momentum, affine: affine,
                   trackRunningStats: trackRunningStats, dtype: dtype, ranks: [2, 3])
    }
}

/// Batch normalization of `[N, C, H, W]` inputs (PyTorch's `nn.BatchNorm2d`); see ``BatchNorm``.
///
/// ```swift
/// let bn = BatchNorm2d(16)
/// let y = bn(conv(x))
/// ```
public final class BatchNorm2d: BatchNorm {
    /// A batch-normalization layer.
    ///
    /// - Parameters:
    ///   - numFeatures: the number of channels C.
    ///   - eps: added to the variance.
    ///   - momentum: the running statistics' update factor (nil: cumulative average).
    ///   - affine: whether to learn a per-channel scale and shift.
    ///   - trackRunningStats: whether to keep running statistics for evaluation.
    ///   - dtype: the element type of parameters and statistics.
    ///
    /// ```swift
    /// let bn = BatchNorm2d(32)
    /// ```
    public init(_ numFeatures: Int, eps: Double = 1e-5, momentum: Double? = 0.1, affine: Bool = true,
                trackRunningStats: Bool = true, dtype: DType = .float32) {
        super.init(numFeatures: numFeatures, eps: eps, momentum: momentum, affine: affine,
                   trackRunningStats: trackRunningStats, dtype: dtype, ranks: [4])
    }
}

/// Batch normalization of `[N, C, D, H, W]` volumes (PyTorch's `nn.BatchNorm3d`); see ``BatchNorm``.
///
/// ```swift
/// let bn = BatchNorm3d(16)
/// let y = bn(conv3d(x))
/// ```
public final class BatchNorm3d: BatchNorm {
    /// A batch-normalization layer.
    ///
    /// - Parameters:
    ///   - numFeatures: the number of channels C.
    ///   - eps: added to the variance.
    ///   - momentum: the running statistics' update factor (nil: cumulative average).
    ///   - affine: whether to learn a per-channel scale and shift.
    ///   - trackRunningStats: whether to keep running statistics for evaluation.
    ///   - dtype: the element type of parameters and statistics.
    ///
    /// ```swift
    /// let bn = BatchNorm3d(32)
    /// ```
    public init(_ numFeatures: Int, eps: Double = 1e-5, momentum: Double? = 0.1, affine: Bool = true,
                trackRunningStats: Bool = true, dtype: DType = .float32) {
        super.init(numFeatures: numFeatures, eps: eps, momentum: momentum, affine: affine,
                   trackRunningStats: trackRunningStats, dtype: dtype, ranks: [5])
    }
}
