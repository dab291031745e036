// Kullback-Leibler divergence, with the input given as log-probabilities.

/// How ``Tensor/klDivLoss(_:reduction:logTarget:)`` combines its pointwise terms: like ``Reduction``,
/// plus `.batchMean`, the sum divided by the batch size, which is the true KL divergence per sample.
public enum KLDivReduction: String, Sendable, CaseIterable {
    /// Keep the pointwise terms.
    case none
    /// The mean over all elements (PyTorch's default, though not the KL divergence).
    case mean
    /// The sum of all terms.
    case sum
    /// The sum divided by the size of the first dimension.
    case batchMean
}

extension Tensor {
    /// The Kullback-Leibler divergence KL(target ‖ input) with this tensor holding log-probabilities
    /// log q (PyTorch's `F.kl_div`). Pointwise:
    ///
    ///     p · (log p − log q)          (logTarget false; 0 where p = 0)
    ///     exp(t) · (t − log q)         (logTarget true, t = log p)
    ///
    /// - Parameters:
    ///   - target: probabilities p (or log-probabilities when `logTarget`), of the same shape.
    ///   - reduction: `.mean` (default, as PyTorch), `.sum`, `.none` or `.batchMean`.
    ///   - logTarget: whether `target` holds log-probabilities.
    ///
    /// ```swift
    /// let loss = student.logSoftmax(axis: 1).klDivLoss(teacher.softmax(axis: 1), reduction: .batchMean)
    /// ```
    public func klDivLoss(_ target: Tensor, reduction: KLDivReduction = .mean, logTarget: Bool = false) -> Tensor {
        checked {
            try requireSameShape(target, "klDivLoss")
            let pointwise: Tensor
            if logTarget {
                pointwise = target.exp() * (target - self)
            } else {
                // xlogy(p, p) = p·log p with 0 at p = 0 (NaN for p < 0 or NaN, as PyTorch's xlogy).
                let nonZero = GradMode.noGrad { target.detach().ne(0.0) }
                let safeLog = Tensor.where(nonZero, target, Tensor.ones([], dtype: dtype)).log()
                pointwise = target * safeLog - target * self
            }
            switch reduction {
            case .none: return pointwise
            case .mean: return pointwise.mean()
            case .sum: return pointwise.sum()
            case .batchMean: return pointwise.sum() / Double(rank == 0 ? 1 : shape[0])
            }
        }
    }
}

/// The Kullback-Leibler divergence as a criterion (input: log-probabilities).
///
/// ```swift
/// let criterion = KLDivLoss(reduction: .batchMean)
/// let loss = criterion(logits.logSoftmax(axis: 1), targetProbabilities)
/// ```
public struct KLDivLoss: Criterion {
    /// How pointwise terms are combined.
    public var reduction: KLDivReduction
    /// Whether targets are log-probabilities.
    public var logTarget: Bool

    /// Creates the criterion.
    /// - Parameters:
    ///   - reduction: `.mean` (default), `.sum`, `.none` or `.batchMean`.
    ///   - logTarget: whether targets are log-probabilities (default false).
    public init(reduction: KLDivReduction = .mean, logTarget: Bool = false) {
        self.reduction = reduction
        self.logTarget = logTarget
    }

    /// The divergence of `logProbabilities` from `target`.
    public func callAsFunction(_ logProbabilities: Tensor, _ target: Tensor) -> Tensor {
        logProbabilities.klDivLoss(target, reduction: reduction, logTarget: logTarget)
    }
}
