// Normalization layers' computations, composed of differentiable tensor operations (batch
// normalization runs as one operation of its own, Functional+BatchNormKernel.swift, where it can).

extension Functional {
    /// Batch normalization over every dimension but the channels (dimension 1), like PyTorch's
    /// `F.batch_norm`.
    ///
    /// In training, each channel is normalized with the batch's mean and biased variance, and the
    /// running statistics (when given) are updated in place: `running = (1 − momentum)·running +
    /// momentum·batch`, with the unbiased variance.
    /// Otherwise the running statistics are used.
    ///
    /// It is recorded as one operation with its own forward and backward kernels (one pass per channel
    /// for the statistics, one for the output; in evaluation mode a single per-channel scale and shift),
    /// except with `crossProcess` in training, and when the parameters or statistics have another dtype
    /// than the input or running statistics require gradients, which run as composed tensor operations.
    /// Gradients of any order are available.
    ///
    /// - Parameters:
    ///   - input: `[N, C]`, `[N, C, L]` or `[N, C, H, W]`.
    ///   - runningMean: `[C]`, or nil to keep no statistics (then `training` must be true, as in PyTorch).
    ///   - runningVar: `[C]`, or nil; given exactly when `runningMean` is.
    ///   - weight: the per-channel scale γ `[C]`, or nil.
    ///   - bias: the per-channel shift β `[C]`, or nil.
    ///   - training: use batch statistics (and update the running ones).
    ///   - momentum: the running statistics' update factor.
    ///   - eps: added to the variance.
    ///   - crossProcess: in data-parallel training, sums the batch statistics over all processes, so that
    ///     every process normalizes with the statistics of the whole global batch (synchronized batch
    ///     normalization); nil: this process's batch only.
    ///
    /// ```swift
    /// let y = Functional.batchNorm(x, runningMean: nil, runningVar: nil, weight: nil, bias: nil, training: true)
    /// ```
    public static func batchNorm(_ input: Tensor, runningMean: Tensor?, runningVar: Tensor?, weight: Tensor?, bias: Tensor?,
                                 training: Bool, momentum: Double = 0.1, eps: Double = 1e-5,
                                 crossProcess: (any CrossProcessReduction)? = nil) -> Tensor {
        batchNorm(input, runningMean: runningMean, runningVar: runningVar, weight: weight, bias: bias, training: training,
                  momentum: momentum, eps: eps, crossProcess: crossProcess, relu: false)
    }

    /// Batch normalization followed by ReLU, `batchNorm(…).relu()` as one recorded operation
    /// ("batchNormReLU"): the ReLU is applied in the pass that writes the normalized values, and its
    /// mask inside the normalization's two backward passes, so that the normalized values are never
    /// stored and the ReLU's own passes over memory are gone. Values and gradients (of any order) are
    /// those of the two operations (in evaluation mode with a negative γ, a masked input gradient is −0
    /// where the two give +0, as PyTorch's does); where batch normalization runs as composed tensor
    /// operations (see
    /// ``batchNorm(_:runningMean:runningVar:weight:bias:training:momentum:eps:crossProcess:)``) they are
    /// the two operations. ``Sequential`` calls it for a ``BatchNorm`` layer followed by ``ReLU``.
    ///
    /// - Parameters:
    ///   - input: `[N, C, …]`.
    ///   - runningMean: `[C]`, or nil (then `training` must be true).
    ///   - runningVar: `[C]`, or nil; given exactly when `runningMean` is.
    ///   - weight: the per-channel scale γ `[C]`, or nil.
    ///   - bias: the per-channel shift β `[C]`, or nil.
    ///   - training: use batch statistics (and update the running ones).
    ///   - momentum: the running statistics' update factor.
    ///   - eps: added to the variance.
    ///
    /// ```swift
    /// let h = Functional.batchNormReLU(x, runningMean: mean, runningVar: variance, weight: gamma, bias: beta, training: true)
    /// ```
    public static func batchNormReLU(_ input: Tensor, runningMean: Tensor?, runningVar: Tensor?, weight: Tensor?, bias: Tensor?,
                                     training: Bool, momentum: Double = 0.1, eps: Double = 1e-5) -> Tensor {
        batchNorm(input, runningMean: runningMean, runningVar: runningVar, weight: weight, bias: bias, training: training,
                  momentum: momentum, eps: eps, crossProcess: nil, relu: true)
    }

    /// Batch normalization, ReLU and 2×2 max pooling with stride 2,
    /// `maxPool2d(batchNorm(…).relu(), kernelSize: (2, 2))`, as one recorded operation
    /// ("batchNormReLUMaxPool2x2"): the block that ends each stage of VGG-style networks. Only the pooled
    /// values are written (with one byte per window for the backward: the winner's place, and whether
    /// the ReLU stopped its gradient), and the backward passes read the pooled gradient, so that neither
    /// the normalized values nor a full-size gradient between the pooling and the normalization exist.
    /// Values are those of the three operations bit for bit (winners: the first largest of a window, or
    /// its last NaN, as PyTorch's pooling); gradients (of any order) are theirs up to the rounding of the
    /// per-channel sums, which add the same terms in another order, with two more differences: in
    /// evaluation mode with a negative γ, an input gradient of 0 is −0 (as PyTorch's) where the separate
    /// operations give +0, and the sums take only the windows' winners, so an infinite or NaN input that
    /// no gradient reaches leaves dγ finite where the separate operations' 0·∞ makes it NaN (in training
    /// such an input makes its channel's statistics, and so everything, NaN either way). Where batch
    /// normalization runs as composed tensor operations (see
    /// ``batchNorm(_:runningMean:runningVar:weight:bias:training:momentum:eps:crossProcess:)``) it is the
    /// three operations. ``Sequential`` calls it for a ``BatchNorm`` layer, ``ReLU`` and ``MaxPool2d`` with
    /// 2×2 windows and stride 2.
    ///
    /// - Parameters:
    ///   - input: `[N, C, H, W]` with H and W at least 2 (checked before the running statistics are
    ///     touched); the output is `[N, C, H/2, W/2]` (an odd last row or column belongs to no window).
    ///   - runningMean: `[C]`, or nil (then `training` must be true).
    ///   - runningVar: `[C]`, or nil; given exactly when `runningMean` is.
    ///   - weight: the per-channel scale γ `[C]`, or nil.
    ///   - bias: the per-channel shift β `[C]`, or nil.
    ///   - training: use batch statistics (and update the running ones).
    ///   - momentum: the running statistics' update factor.
    ///   - eps: added to the variance.
    ///
    /// ```swift
    /// let h = Functional.batchNormReLUMaxPool2x2(x, runningMean: mean, runningVar: variance, weight: gamma, bias: beta,
    ///                                            training: true)   // [N, C, H/2, W/2]
    /// ```
    public static func batchNormReLUMaxPool2x2(_ input: Tensor, runningMean: Tensor?, runningVar: Tensor?, weight: Tensor?,
                                               bias: Tensor?, training: Bool, momentum: Double = 0.1, eps: Double = 1e-5) -> Tensor {
        batchNorm(input, runningMean: runningMean, runningVar: runningVar, weight: weight, bias: bias, training: training,
                  momentum: momentum, eps: eps, crossProcess: nil, relu: true, maxPool2x2: true)
    }

    /// Checks that `input` is `[N, C, H, W]` with H and W at least 2: what 2×2 max pooling takes (a failed
    /// operation named `op` otherwise).
    static func requirePoolableBy2x2(_ input: Tensor, _ op: String) throws {
        try require(input.rank == 4, "\(op): input must be [N, C, H, W], got \(input.shape)", .shapeMismatch)
        try require(input.shape[2] >= 2 && input.shape[3] >= 2,
                    "\(op): input \(input.shape) is smaller than the 2×2 pooling window", .shapeMismatch)
    }

    /// Batch normalization, followed by ReLU in the same operation when `relu` is true, and then by 2×2
    /// max pooling with stride 2 when `maxPool2x2` is also true (one operation where the kernels take
    /// the input: Functional+BatchNormReLUPoolKernel.swift).
    static func batchNorm(_ input: Tensor, runningMean: Tensor?, runningVar: Tensor?, weight: Tensor?, bias: Tensor?,
                          training: Bool, momentum: Double, eps: Double, crossProcess: (any CrossProcessReduction)?,
                          relu: Bool, maxPool2x2: Bool = false) -> Tensor {
        checked {
            if maxPool2x2 { try requirePoolableBy2x2(input, "batchNormReLUMaxPool2x2") }
            let op = "batchNorm"
            try require(input.rank >= 2, "\(op): input must be [N, C, …], got \(input.shape)", .shapeMismatch)
            let c = input.shape[1]
            for (name, t) in [("runningMean", runningMean), ("runningVar", runningVar), ("weight", weight), ("bias", bias)] {
                if let t { try require(t.shape == [c], "\(op): \(name) shape \(t.shape) must be [\(c)] for input \(input.shape)", .shapeMismatch) }
            }
            // As F.batch_norm: running statistics come in pairs, and evaluation needs them.
            try require((runningMean == nil) == (runningVar == nil),
                        "\(op): runningMean and runningVar must both be given or both be nil")
            try require(training || runningMean != nil,
                        "\(op): evaluation (training: false) needs runningMean and runningVar; pass training: true to normalize with the batch's statistics")
            var statShape = [Int](repeating: 1, count: input.rank)
            statShape[1] = c
            let axes = [0] + Array(2..<input.rank)
            let batchStatistics = training || runningMean == nil || runningVar == nil
            if !(training && crossProcess != nil) {
                // One recorded operation with its own kernels (Functional+BatchNormKernel.swift).
                let n = axes.reduce(1) { $0 * input.shape[$1] }
                try require(!training || n > 1, "\(op): expected more than 1 value per channel when training, got input \(input.shape)", .shapeMismatch)
                if maxPool2x2 && relu,
                   let y = try fusedBatchNormReLUMaxPool2x2(input, runningMean: runningMean, runningVar: runningVar, weight: weight,
                                                            bias: bias, batchStatistics: batchStatistics, updateRunning: training,
                                                            momentum: momentum, eps: eps) {
                    return y
                }
                if let y = try fusedBatchNorm(input, runningMean: runningMean, runningVar: runningVar, weight: weight, bias: bias,
                                              batchStatistics: batchStatistics, updateRunning: training, momentum: momentum, eps: eps,
                                              relu: relu) {
                    return maxPool2x2 ? try maxPool2dCore(y, kernelSize: (2, 2), stride: nil, padding: (0, 0), dilation: (1, 1),
                                                          ceilMode: false, indices: false).values : y
                }
            }
            // Composed of tensor operations: synchronized statistics, and the dtype mixes that promote.
            let mean: Tensor, variance: Tensor
            if batchStatistics {
                var n = axes.reduce(1) { $0 * input.shape[$1] }
                if training, let crossProcess {
                    // The global batch's mean, then its variance about that mean (two passes: stable),
                    // each summed over the processes by a differentiable reduction.
                    let local = Tensor.concatenate([input.sum(axes: axes).reshape([c]), Tensor(shape: [1], values: [Double(n)], dtype: input.dtype)])
                    let totals = try crossProcess.sumAcrossProcesses(local)
                    try require(totals.shape == [c + 1], "\(op): the cross-process sum returned shape \(totals.shape), not [\(c + 1)]", .shapeMismatch)
                    n = Int(totals.slice(axis: 0, start: c, end: c + 1).detach().item(Double.self).rounded())
                    try require(n > 1, "\(op): expected more than 1 value per channel over all processes when training, got \(n)", .shapeMismatch)
                    mean = (totals.slice(axis: 0, start: 0, end: c) / Double(n)).reshape(statShape)
                    let squares = try crossProcess.sumAcrossProcesses((input - mean).square().sum(axes: axes).reshape([c]))
                    variance = (squares / Double(n)).reshape(statShape)
                } else {
                    try require(!training || n > 1, "\(op): expected more than 1 value per channel when training, got input \(input.shape)", .shapeMismatch)
                    mean = input.mean(axes: axes, keepDims: true)
                    variance = (input - mean).square().mean(axes: axes, keepDims: true)
                }
                if training, let runningMean, let runningVar {
                    try GradMode.noGrad {
                        let factor = momentum
                        let batchMean = mean.detach().reshape([c]).to(runningMean.dtype)
                        let unbiased = (variance.detach().reshape([c]) * (Double(n) / Double(Swift.max(n - 1, 1)))).to(runningVar.dtype)
                        try runningMean.copyValues(from: runningMean * (1 - factor) + batchMean * factor)
                        try runningVar.copyValues(from: runningVar * (1 - factor) + unbiased * factor)
                    }
                }
            } else {
                mean = runningMean!.reshape(statShape)
                variance = runningVar!.reshape(statShape)
            }
            var y = (input - mean) / (variance + eps).sqrt()
            if let weight { y = y * weight.reshape(statShape) }
            if let bias { y = y + bias.reshape(statShape) }
            if relu { y = y.relu() }
            return maxPool2x2 ? try maxPool2dCore(y, kernelSize: (2, 2), stride: nil, padding: (0, 0), dilation: (1, 1), ceilMode: false,
                                                  indices: false).values : y
        }
    }

    /// Layer normalization over the last dimensions, like PyTorch's `F.layer_norm`: each sample is
    /// normalized with its own mean and biased variance over `normalizedShape`.
    ///
    /// - Parameters:
    ///   - input: `[…, normalizedShape…]`.
    ///   - normalizedShape: the trailing dimensions to normalize over.
    ///   - weight: scale of shape `normalizedShape`, or nil.
    ///   - bias: shift of shape `normalizedShape`, or nil.
    ///   - eps: added to the variance.
    ///
    /// ```swift
    /// let y = Functional.layerNorm(x, normalizedShape: [64], weight: gamma, bias: beta)
    /// ```
    public static func layerNorm(_ input: Tensor, normalizedShape: [Int], weight: Tensor? = nil, bias: Tensor? = nil,
                                 eps: Double = 1e-5) -> Tensor {
        checked {
            let k = normalizedShape.count
            try require(k >= 1 && input.rank >= k && Array(input.shape.suffix(k)) == normalizedShape,
                         "layerNorm: input shape \(input.shape) does not end with normalized shape \(normalizedShape)", .shapeMismatch)
            if let weight { try require(weight.shape == normalizedShape, "layerNorm: weight shape \(weight.shape) must be \(normalizedShape)", .shapeMismatch) }
            if let bias { try require(bias.shape == normalizedShape, "layerNorm: bias shape \(bias.shape) must be \(normalizedShape)", .shapeMismatch) }
            if let fused = fusedLayerNorm(input, normalizedRank: k, weight: weight, bias: bias, eps: eps) { return fused }
            let axes = Array((input.rank - k)..<input.rank)
            let mean = input.mean(axes: axes, keepDims: true)
            let centered = input - mean
            let variance = centered.square().mean(axes: axes, keepDims: true)
            var y = centered / (variance + eps).sqrt()
            if let weight { y = y * weight }
            if let bias { y = y + bias }
            return y
        }
    }

    /// Root-mean-square normalization over the last dimensions, like PyTorch's `F.rms_norm`: each sample
    /// is divided by the root of its mean square over `normalizedShape` (plus `eps`), then scaled by
    /// `weight`. Unlike ``layerNorm(_:normalizedShape:weight:bias:eps:)`` nothing is subtracted.
    ///
    /// - Parameters:
    ///   - input: `[…, normalizedShape…]`, floating point.
    ///   - normalizedShape: the trailing dimensions to normalize over.
    ///   - weight: scale of shape `normalizedShape`, or nil.
    ///   - eps: added to the mean square; nil for the machine epsilon of the input's dtype (PyTorch's
    ///     default: 1.19e-7 for Float32, 2.22e-16 for Float64).
    ///
    /// ```swift
    /// let y = Functional.rmsNorm(x, normalizedShape: [512], weight: gamma)
    /// ```
    public static func rmsNorm(_ input: Tensor, normalizedShape: [Int], weight: Tensor? = nil, eps: Double? = nil) -> Tensor {
        checked {
            let k = normalizedShape.count
            try require(k >= 1 && input.rank >= k && Array(input.shape.suffix(k)) == normalizedShape,
                        "rmsNorm: input shape \(input.shape) does not end with normalized shape \(normalizedShape)", .shapeMismatch)
            try input.requireFloat("rmsNorm")
            if let weight { try require(weight.shape == normalizedShape, "rmsNorm: weight shape \(weight.shape) must be \(normalizedShape)", .shapeMismatch) }
            if let eps { try require(eps.isFinite && eps >= 0, "rmsNorm: eps must be a finite number >= 0, got \(eps)", .invalidArgument) }
            let epsilon = eps ?? (input.dtype == .float64 ? Double.ulpOfOne : Double(Float.ulpOfOne))
            let axes = Array((input.rank - k)..<input.rank)
            var y = input * (input.square().mean(axes: axes, keepDims: true) + epsilon).rsqrt()
            // In the input's dtype whatever the weight's, as PyTorch's result.
            if let weight { y = (y * weight).to(input.dtype) }
            return y
        }
    }

    /// Group normalization, like PyTorch's `F.group_norm`: the channels are split into `groups` groups
    /// and each sample's group is normalized with its own mean and biased variance; then a per-channel
    /// affine transform.
    ///
    /// - Parameters:
    ///   - input: `[N, C, …]` with C divisible by `groups`.
    ///   - groups: the number of groups.
    ///   - weight: per-channel scale `[C]`, or nil.
    ///   - bias: per-channel shift `[C]`, or nil.
    ///   - eps: added to the variance.
    ///
    /// ```swift
    /// let y = Functional.groupNorm(x, groups: 4, weight: gamma, bias: beta)
    /// ```
    public static func groupNorm(_ input: Tensor, groups: Int, weight: Tensor? = nil, bias: Tensor? = nil,
                                 eps: Double = 1e-5) -> Tensor {
        checked {
            try require(input.rank >= 2 && groups >= 1 && input.shape[1] % groups == 0,
                         "groupNorm: input shape \(input.shape) needs a channel dimension divisible by \(groups) groups", .shapeMismatch)
            let n = input.shape[0], c = input.shape[1]
            if let weight { try require(weight.shape == [c], "groupNorm: weight shape \(weight.shape) must be [\(c)]", .shapeMismatch) }
            if let bias { try require(bias.shape == [c], "groupNorm: bias shape \(bias.shape) must be [\(c)]", .shapeMismatch) }
            let grouped = input.reshape([n, groups, -1])
            let mean = grouped.mean(axes: [2], keepDims: true)
            let centered = grouped - mean
            let variance = centered.square().mean(axes: [2], keepDims: true)
            var y = (centered / (variance + eps).sqrt()).reshape(input.shape)
            var affineShape = [Int](repeating: 1, count: input.rank)
            affineShape[1] = c
            if let weight { y = y * weight.reshape(affineShape) }
            if let bias { y = y + bias.reshape(affineShape) }
            return y
        }
    }
}
