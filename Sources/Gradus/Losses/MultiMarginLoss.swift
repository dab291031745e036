// Multi-class hinge losses: the labelled class's score should beat every other by a margin — one label
// per sample (multi-margin), or a set of labels per sample (multi-label margin).

extension Tensor {
    /// The multi-class hinge loss with this tensor as the scores `[N, C]` (or `[C]`) and int64 labels
    /// `[N]` (or `[]`) (PyTorch's `F.multi_margin_loss`): per sample,
    /// `Σ_{j≠y} w_y·max(0, margin − x_y + x_j)^p / C`.
    ///
    /// - Parameters:
    ///   - target: the label of each sample, in 0..<C.
    ///   - p: 1 (default) or 2.
    ///   - margin: default 1.
    ///   - weight: a weight per class `[C]` (applied by the label's class), or nil.
    ///   - reduction: `.mean` (default), `.sum` or `.none` (one loss per sample).
    ///
    /// ```swift
    /// let loss = scores.multiMarginLoss(Tensor(labels: [2, 0]))
    /// ```
    public func multiMarginLoss(_ target: Tensor, p: Int = 1, margin: Double = 1, weight: Tensor? = nil,
                                reduction: Reduction = .mean) -> Tensor {
        checked {
            let op = "multiMarginLoss"
            try require(p == 1 || p == 2, "\(op): p must be 1 or 2, got \(p)", .invalidArgument)
            try require(rank == 1 || rank == 2, "\(op): scores must be [N, C] or [C], got \(shape)", .shapeMismatch)
            let (rows, labels, outShape) = try classRows(target, op: op)
            let classes = rows.shape[1]
            try require(classes > 0, "\(op): scores of shape \(shape) have no classes", .shapeMismatch)
            for (i, y) in labels.contiguous().intScalars.enumerated() {
                try require(y >= 0 && y < classes, "\(op): label \(y) at row \(i) is outside 0..<\(classes) (input shape \(shape))", .indexOutOfRange)
            }
            let index = labels.unsqueeze(1)
            let z = (margin - rows.gather(axis: 1, index: index) + rows).clamp(min: 0)
            var h = p == 1 ? z : z.square()
            // The labelled column is left out (selected away, not multiplied by 0: a score of ±inf makes
            // it NaN, and PyTorch's kernel skips it).
            h = h.maskedWhere(Tensor.oneHot(labels, classes: classes, dtype: dtype), 0)
            if let weight {
                try require(weight.shape == [classes], "\(op): weight must have shape [\(classes)], got \(weight.shape)", .shapeMismatch)
                h = h * weight.indexSelect(axis: 0, index: labels).unsqueeze(1)
            }
            return (h.sum(axes: [1]) / Double(classes)).reshape(outShape).reduced(reduction)
        }
    }

    /// The multi-label hinge loss with this tensor as the scores `[N, C]` (or `[C]`) and int64 targets of
    /// the same shape listing each sample's classes, ended by −1 (PyTorch's `F.multilabel_margin_loss`):
    /// per sample, `Σ_{j listed} Σ_{k not listed} max(0, 1 − (x_j − x_k)) / C`.
    ///
    /// - Parameters:
    ///   - target: the classes of each sample in 0..<C, the list ended by −1 (what follows is ignored).
    ///   - reduction: `.mean` (default), `.sum` or `.none` (one loss per sample).
    ///
    /// ```swift
    /// let loss = scores.multilabelMarginLoss(Tensor(shape: [1, 4], integers: [3, 0, -1, 1]))   // classes 3 and 0
    /// ```
    public func multilabelMarginLoss(_ target: Tensor, reduction: Reduction = .mean) -> Tensor {
        checked {
            let op = "multilabelMarginLoss"
            try require(rank == 1 || rank == 2, "\(op): scores must be [N, C] or [C], got \(shape)", .shapeMismatch)
            try require(target.dtype == .int64, "\(op): targets must be int64 class lists, got \(target.dtype)", .dtypeMismatch)
            try require(target.shape == shape, "\(op): targets of shape \(target.shape) must have the scores' shape \(shape)", .shapeMismatch)
            let rows = rank == 1 ? unsqueeze(0) : self
            let (n, classes) = (rows.shape[0], rows.shape[1])
            // The pairs are [N, C, C] temporaries (a few of them).
            let (pairs, overflow) = n.multipliedReportingOverflow(by: classes &* classes)
            try require(!overflow && classes <= 1 << 20 && pairs <= TensorStorage.physicalMemoryBytes / (4 * dtype.byteSize),
                        "\(op): \(n) samples of \(classes) classes need [N, C, C] pair tables larger than this machine's memory",
                        .outOfMemory)
            // How often each class is listed (a repeated class counts again, as in PyTorch's kernel), and
            // whether it is listed at all.
            let lists = target.contiguous().intScalars
            var counts = [Double](repeating: 0, count: n * classes)
            for i in 0..<n {
                for j in 0..<classes {
                    let c = lists[i * classes + j]
                    if c == -1 { break }
                    try require(c >= 0 && c < classes, "\(op): target \(c) of sample \(i) is not a class in 0..<\(classes) (or −1 to end the list)", .invalidArgument)
                    counts[i * classes + c] += 1
                }
            }
            let listed = Tensor(shape: [n, classes], values: counts, dtype: dtype)
            let unlisted = 1 - listed.gt(0.0).to(dtype)
            // [N, j, k]: the hinge of listed class j against unlisted class k.
            let hinge = (1 - rows.unsqueeze(2) + rows.unsqueeze(1)).clamp(min: 0)
            let pairCounts = listed.unsqueeze(2) * unlisted.unsqueeze(1)
            // Pairs that do not count are selected away (a NaN hinge times 0 would stay NaN).
            let counted = (hinge * pairCounts).maskedWhere(pairCounts.eq(0.0), 0)
            let perSample = counted.sum(axes: [1, 2]) / Double(Swift.max(classes, 1))
            return (rank == 1 ? perSample.reshape([]) : perSample).reduced(reduction)
        }
    }
}

/// The multi-class hinge loss as a callable struct (PyTorch's `nn.MultiMarginLoss`).
///
/// ```swift
/// let loss = MultiMarginLoss(p: 2)(scores, labels)
/// ```
public struct MultiMarginLoss: @unchecked Sendable {
    /// 1 or 2.
    public var p: Int
    /// The margin the labelled score should win by.
    public var margin: Double
    /// A weight per class, or nil.
    public var weight: Tensor?
    /// How per-sample losses are combined.
    public var reduction: Reduction

    /// Creates the criterion.
    /// - Parameters:
    ///   - p: 1 (default) or 2.
    ///   - margin: default 1.
    ///   - weight: a weight per class `[C]`, or nil.
    ///   - reduction: `.mean` (default), `.sum` or `.none`.
    public init(p: Int = 1, margin: Double = 1, weight: Tensor? = nil, reduction: Reduction = .mean) {
        self.p = p
        self.margin = margin
        self.weight = weight
        self.reduction = reduction
    }

    /// The loss of `input` scores for int64 labels.
    public func callAsFunction(_ input: Tensor, _ target: Tensor) -> Tensor {
        input.multiMarginLoss(target, p: p, margin: margin, weight: weight, reduction: reduction)
    }
}

/// The multi-label hinge loss as a callable struct (PyTorch's `nn.MultiLabelMarginLoss`).
///
/// ```swift
/// let loss = MultiLabelMarginLoss()(scores, classLists)
/// ```
public struct MultiLabelMarginLoss: Sendable {
    /// How per-sample losses are combined.
    public var reduction: Reduction

    /// Creates the criterion.
    /// - Parameter reduction: `.mean` (default), `.sum` or `.none`.
    public init(reduction: Reduction = .mean) { self.reduction = reduction }

    /// The loss of `input` scores for int64 class lists ended by −1.
    public func callAsFunction(_ input: Tensor, _ target: Tensor) -> Tensor {
        input.multilabelMarginLoss(target, reduction: reduction)
    }
}
