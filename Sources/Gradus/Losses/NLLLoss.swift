// Negative log-likelihood of class indices, given log-probabilities.

extension Tensor {
    /// The negative log-likelihood of int64 class indices under these log-probabilities
    /// (PyTorch's `F.nll_loss`): loss_i = −w[y_i] · x[i, y_i], and 0 where y_i = `ignoreIndex`.
    /// `.mean` divides by Σ w[y_i] over the rows not ignored.
    ///
    /// Input shapes are as in ``crossEntropy(_:weight:ignoreIndex:labelSmoothing:reduction:)``:
    /// `[N, C]`, `[C]` or `[N, C, d1, …]`. `x.logSoftmax(axis: 1).nllLoss(y)` equals `x.crossEntropy(y)`.
    ///
    /// - Parameters:
    ///   - target: int64 class indices in `0..<C` (or `ignoreIndex`).
    ///   - weight: one weight per class (shape `[C]`), or nil.
    ///   - ignoreIndex: a label whose rows contribute nothing (default −100).
    ///   - reduction: `.mean` (default), `.sum` or `.none`.
    ///
    /// ```swift
    /// let loss = logits.logSoftmax(axis: 1).nllLoss(labels)
    /// ```
    public func nllLoss(_ target: Tensor, weight: Tensor? = nil, ignoreIndex: Int = -100,
                        reduction: Reduction = .mean) -> Tensor {
        checked {
            try requireFloat("nllLoss")
            let (rows, labels, outShape) = try classRows(target, op: "nllLoss")
            let m = rows.shape[0], c = rows.shape[1]
            let w = try Tensor.classWeights(weight, classes: c, op: "nllLoss")
            let safe = Tensor(shape: [m, 1], integers: [Int](repeating: 0, count: m))
            var rowWeights = [Double](repeating: 0, count: m)
            let lab = labels.pointer(Int64.self), sp = safe.pointer(Int64.self)
            for i in 0..<m {
                let y = Int(lab[i])
                if y == ignoreIndex { continue }
                try require(y >= 0 && y < c, "nllLoss: label \(y) at row \(i) is outside 0..<\(c) (input shape \(shape))", .indexOutOfRange)
                sp[i] = Int64(y)
                rowWeights[i] = w?[y] ?? 1
            }
            // Ignored rows pick nothing: masked to 0, so that a ±inf or NaN there (a masked log-softmax)
            // cannot make 0 · inf = NaN, as PyTorch skips them.
            let ignored = Tensor(shape: [m], values: (0..<m).map { Int(lab[$0]) == ignoreIndex ? 1.0 : 0.0 }, dtype: dtype)
            let picked = rows.gather(axis: 1, index: safe).reshape([m]).maskedWhere(ignored, 0)
            let perRow = -picked * Tensor(shape: [m], values: rowWeights, dtype: dtype)
            switch reduction {
            case .none: return perRow.reshape(outShape)
            case .sum: return perRow.sum()
            case .mean: return perRow.sum() / rowWeights.reduce(0, +)
            }
        }
    }
}

/// The negative log-likelihood loss as a criterion (apply it to log-probabilities).
///
/// ```swift
/// let loss = NLLLoss()(logits.logSoftmax(axis: 1), labels)
/// ```
public struct NLLLoss: Criterion {
    /// One weight per class, or nil.
    public var weight: Tensor?
    /// A label whose rows contribute nothing.
    public var ignoreIndex: Int
    /// How per-sample losses are combined.
    public var reduction: Reduction

    /// Creates the criterion.
    /// - Parameters:
    ///   - weight: one weight per class (shape `[C]`), or nil.
    ///   - ignoreIndex: a label whose rows contribute nothing (default −100).
    ///   - reduction: `.mean` (default), `.sum` or `.none`.
    public init(weight: Tensor? = nil, ignoreIndex: Int = -100, reduction: Reduction = .mean) {
        self.weight = weight
        self.ignoreIndex = ignoreIndex
        self.reduction = reduction
    }

    /// The loss of log-probabilities against int64 class indices.
    public func callAsFunction(_ logProbabilities: Tensor, _ target: Tensor) -> Tensor {
        logProbabilities.nllLoss(target, weight: weight, ignoreIndex: ignoreIndex, reduction: reduction)
    }
}
