// Logistic losses on margins: two-class (targets ±1) and multi-label (targets 0/1 per class).

extension Tensor {
    /// The two-class logistic loss `log(1 + exp(−y·x))` with this tensor as the scores x and y = ±1
    /// (PyTorch's `F.soft_margin_loss`), computed as softplus(−y·x) so that large margins stay finite.
    ///
    /// - Parameters:
    ///   - target: y, of the same shape, 1 or −1.
    ///   - reduction: `.mean` (default), `.sum` or `.none`.
    ///
    /// ```swift
    /// let loss = scores.softMarginLoss(Tensor([1, -1, 1]))
    /// ```
    public func softMarginLoss(_ target: Tensor, reduction: Reduction = .mean) -> Tensor {
        checked {
            try requireSameShape(target, "softMarginLoss")
            return (-target * self).softplus().reduced(reduction)
        }
    }

    /// The multi-label logistic loss with this tensor as the scores `[N, C]` (or `[C]`) and 0/1 targets
    /// of the same shape (PyTorch's `F.multilabel_soft_margin_loss`): per sample,
    /// `−(1/C)·Σ_c w_c·(y_c·log σ(x_c) + (1 − y_c)·log σ(−x_c))`; the reduction is over samples.
    ///
    /// - Parameters:
    ///   - target: y, of the same shape, with values in [0, 1].
    ///   - weight: a weight per class `[C]`, or nil.
    ///   - reduction: `.mean` (default), `.sum` or `.none` (one loss per sample).
    ///
    /// ```swift
    /// let loss = logits.multilabelSoftMarginLoss(labels)   // labels [N, C] of 0 and 1
    /// ```
    public func multilabelSoftMarginLoss(_ target: Tensor, weight: Tensor? = nil, reduction: Reduction = .mean) -> Tensor {
        checked {
            let op = "multilabelSoftMarginLoss"
            try requireSameShape(target, op)
            try require(rank >= 1, "\(op): scores must be [N, C] or [C], got \(shape)", .shapeMismatch)
            let classes = shape[rank - 1]
            var loss = -(target * logSigmoid() + (1 - target) * (-self).logSigmoid())
            if let weight {
                try require(weight.shape == [classes], "\(op): weight must have shape [\(classes)], got \(weight.shape)", .shapeMismatch)
                loss = loss * weight
            }
            return (loss.sum(axes: [rank - 1]) / Double(Swift.max(classes, 1))).reduced(reduction)
        }
    }
}

/// The two-class logistic loss as a callable struct (PyTorch's `nn.SoftMarginLoss`).
///
/// ```swift
/// let loss = SoftMarginLoss()(scores, Tensor([1, -1, 1]))
/// ```
public struct SoftMarginLoss: Sendable {
    /// How per-element losses are combined.
    public var reduction: Reduction

    /// Creates the criterion.
    /// - Parameter reduction: `.mean` (default), `.sum` or `.none`.
    public init(reduction: Reduction = .mean) { self.reduction = reduction }

    /// The loss of `input` scores for ±1 targets.
    public func callAsFunction(_ input: Tensor, _ target: Tensor) -> Tensor {
        input.softMarginLoss(target, reduction: reduction)
    }
}

/// The multi-label logistic loss as a callable struct (PyTorch's `nn.MultiLabelSoftMarginLoss`).
///
/// ```swift
/// let loss = MultiLabelSoftMarginLoss()(logits, labels)
/// ```
public struct MultiLabelSoftMarginLoss: @unchecked Sendable {
    /// A weight per class, or nil.
    public var weight: Tensor?
    /// How per-sample losses are combined.
    public var reduction: Reduction

    /// Creates the criterion.
    /// - Parameters:
    ///   - weight: a weight per class `[C]`, or nil.
    ///   - reduction: `.mean` (default), `.sum` or `.none`.
    public init(weight: Tensor? = nil, reduction: Reduction = .mean) {
        self.weight = weight
        self.reduction = reduction
    }

    /// The loss of `input` scores `[N, C]` for 0/1 targets of the same shape.
    public func callAsFunction(_ input: Tensor, _ target: Tensor) -> Tensor {
        input.multilabelSoftMarginLoss(target, weight: weight, reduction: reduction)
    }
}
