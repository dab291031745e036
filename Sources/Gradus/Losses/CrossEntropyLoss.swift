// Cross-entropy between logits and class indices (a fused primitive: log-softmax and the pick of the
// target's log-probability in one pass, with backward softmax − one-hot) or class probabilities.

extension Tensor {
    /// Cross-entropy between these logits and int64 class indices (PyTorch's `F.cross_entropy`).
    ///
    /// Logits have shape `[N, C]`, `[C]` or `[N, C, d1, …]`; `target` has the shape without the class
    /// axis. With ε = `labelSmoothing`, w the class weights (1 when nil) and log p = logSoftmax(x):
    ///
    ///     loss_i = (1 − ε) · w[y_i] · (−log p[i, y_i]) + (ε / C) · Σ_c w[c] · (−log p[i, c])
    ///
    /// and 0 where y_i = `ignoreIndex`. `.mean` divides the sum by Σ w[y_i] over the rows not ignored
    /// (the number of such rows without weights), as PyTorch does.
    ///
    /// The forward pass is one pass over each row (max, Σ exp, pick) and the gradient is
    /// (softmax(x) · a_i − t_i) · g_i, with t_i the smoothed weighted one-hot row and a_i its sum.
    ///
    /// - Parameters:
    ///   - target: int64 class indices in `0..<C` (or `ignoreIndex`).
    ///   - weight: one weight per class (shape `[C]`), or nil.
    ///   - ignoreIndex: a label whose rows contribute nothing (default −100).
    ///   - labelSmoothing: ε in [0, 1]: the target mixes the one-hot row with the uniform distribution.
    ///   - reduction: `.mean` (default), `.sum` or `.none`.
    ///
    /// ```swift
    /// let loss = model(images).crossEntropy(labels)
    /// ```
    public func crossEntropy(
        _ target: Tensor, weight: Tensor? = nil, ignoreIndex: Int = -100,
        labelSmoothing: Double = 0, reduction: Reduction = .mean
    ) -> Tensor {
        checked {
            try requireFloat("crossEntropy")
            try require(labelSmoothing >= 0 && labelSmoothing <= 1,
                         "crossEntropy: labelSmoothing must lie in [0, 1], got \(labelSmoothing)")
            if target.dtype != .int64 {
                return try crossEntropyWithProbabilities(target, weight: weight, labelSmoothing: labelSmoothing,
                                                     reduction: reduction)
            }
            let (rows, labels, outShape) = try classRows(target, op: "crossEntropy")
            let out = try Tensor.fusedCrossEntropy(rows, labels, weight: weight, ignoreIndex: ignoreIndex,
                                               labelSmoothing: labelSmoothing, reduction: reduction)
            return reduction == .none ? out.reshape(outShape) : out
        }
    }

    /// Cross-entropy against class probabilities (a float `target` of the logits' shape):
    /// −Σ_c w[c]·t[c]·log p[c] per sample, with t smoothed to (1 − ε)·t + ε/C; `.mean` divides by the
    /// number of samples.
    func crossEntropyWithProbabilities(
        _ target: Tensor, weight: Tensor?, labelSmoothing: Double, reduction: Reduction
    ) throws -> Tensor {
        try requireSameShape(target, "crossEntropy")
        try require(rank >= 1, "crossEntropy: logits must have rank ≥ 1, got shape \(shape)", .shapeMismatch)
        let classAxis = rank == 1 ? 0 : 1
        let classes = shape[classAxis]
        let logP = logSoftmax(axis: classAxis)
        var t = target
        if labelSmoothing > 0 { t = t * (1 - labelSmoothing) + labelSmoothing / Double(classes) }
        var product = logP * t
        if let weight {
            try require(weight.shape == [classes],
                         "crossEntropy: weight must have shape [\(classes)] (one per class), got \(weight.shape)", .shapeMismatch)
            var wShape = [Int](repeating: 1, count: rank)
            wShape[classAxis] = classes
            product = product * weight.reshape(wShape)
        }
        let perSample = -product.sum(axes: [classAxis])
        switch reduction {
        case .none: return perSample
        case .sum: return perSample.sum()
        case .mean: return perSample.sum() / Double(count / Swift.max(classes, 1))   // no sample: 0/0 = NaN, as PyTorch
        }
    }

    /// The fused primitive on `[M, C]` logits and `[M]` labels: `.none` gives `[M]`, the others a scalar.
    static func fusedCrossEntropy(
        _ logits: Tensor, _ labels: Tensor, weight: Tensor?, ignoreIndex: Int,
        labelSmoothing eps: Double, reduction: Reduction
    ) throws -> Tensor {
        let m = logits.shape[0], c = logits.shape[1]
        let w = try classWeights(weight, classes: c, op: "crossEntropy")
        let wSum = w?.reduce(0, +) ?? Double(c)
        let lab = labels.pointer(Int64.self)
        for i in 0..<m {
            let y = Int(lab[i])
            try require(y == ignoreIndex || (y >= 0 && y < c),
                         "crossEntropy: label \(y) at row \(i) is outside 0..<\(c) (logits shape \(logits.shape))", .indexOutOfRange)
        }
        // Per row: the maximum and log Σ exp(x − max) (kept for backward, apart, so that exp((x − max) − log Σ)
        // keeps its precision for logits with a large common offset) and the weight w[y_i] (0 for ignored rows).
        let lse = Tensor(uninitializedShape: [m], dtype: .float64)
        let rowMax = Tensor(uninitializedShape: [m], dtype: .float64)
        let rowWeight = Tensor(uninitializedShape: [m], dtype: .float64)
        let perRow = Tensor(uninitializedShape: [m], dtype: logits.dtype)

        func forward<T: TensorFloat>(_: T.Type) -> Double {
            let x = logits.pointer(T.self), out = perRow.pointer(T.self)
            let lsePtr = lse.pointer(Double.self), maxPtr = rowMax.pointer(Double.self), rw = rowWeight.pointer(Double.self)
            let wT = w.map { $0.map { T($0) } }
            let keep = T(1 - eps), spread = T(eps / Double(c))
            var total = 0.0
            for i in 0..<m {
                let row = x + i &* c
                var mx = -T.infinity
                for j in 0..<c { mx = Swift.max(mx, row[j]) }
                if mx == -T.infinity { mx = 0 }   // a +inf maximum makes the row NaN, as in PyTorch
                var s: T = 0
                for j in 0..<c { s += T.exp(row[j] - mx) }
                let ls = T.log(s)
                lsePtr[i] = Double(ls)
                maxPtr[i] = Double(mx)
                let y = Int(lab[i])
                if y == ignoreIndex {
                    rw[i] = 0; out[i] = 0
                    continue
                }
                let wy: T = wT?[y] ?? 1
                rw[i] = Double(wy)
                // log Σ − (x_y − max): exact for logits with a large common offset (see logSoftmax).
                var loss = keep * wy * (ls - (row[y] - mx))
                if eps > 0 {
                    var smooth: T = 0
                    if let wT {
                        for j in 0..<c { smooth += wT[j] * (ls - (row[j] - mx)) }
                    } else {
                        for j in 0..<c { smooth += ls - (row[j] - mx) }
                    }
                    loss += spread * smooth
                }
                out[i] = loss
                total += Double(loss)
            }
            return total
        }
        let total = logits.dtype == .float32 ? forward(Float.self) : forward(Double.self)
        let denominator = rowWeight.buffer(Double.self).reduce(0, +)

        let out: Tensor
        switch reduction {
        case .none: out = perRow
        case .sum: out = Tensor.full([], value: total, dtype: logits.dtype)
        case .mean: out = Tensor.full([], value: total / denominator, dtype: logits.dtype)
        }

        record("crossEntropy", output: out, inputs: [logits], saved: [labels]) { g, _ in
            // g_i: the upstream gradient per row, with the mean's division folded in.
            if GradMode.isEnabled {
                // Recorded path (createGraph): tensor operations, so the gradient can be differentiated.
                let targetRows = crossEntropyTargetRows(labels, classes: c, weights: w, ignoreIndex: ignoreIndex,
                                                        rowWeight: rowWeight, eps: eps, dtype: logits.dtype)
                let a = targetRows.sum(axes: [1], keepDims: true)
                let scale: Tensor
                switch reduction {
                case .none: scale = g.reshape([m, 1])
                case .sum: scale = g
                case .mean: scale = g / denominator
                }
                return [(logits.softmax(axis: 1) * a - targetRows) * scale]
            }
            // Fused path: one pass writing (exp(x − lse)·a_i − t_ij)·g_i.
            let grad = Tensor(uninitializedShape: [m, c], dtype: logits.dtype)
            let upstream = g.scalars(as: Double.self)
            func backward<T: TensorFloat>(_: T.Type) {
                let x = logits.pointer(T.self), dx = grad.pointer(T.self)
                let lsePtr = lse.pointer(Double.self), maxPtr = rowMax.pointer(Double.self), rw = rowWeight.pointer(Double.self)
                let spread = eps / Double(c)
                let wT = w.map { $0.map { T($0 * spread) } }
                for i in 0..<m {
                    let row = x + i &* c, drow = dx + i &* c
                    let y = Int(lab[i])
                    if y == ignoreIndex {
                        for j in 0..<c { drow[j] = 0 }
                        continue
                    }
                    let gi: Double
                    switch reduction {
                    case .none: gi = upstream[i]
                    case .sum: gi = upstream[0]
                    case .mean: gi = upstream[0] / denominator
                    }
                    let a = T(((1 - eps) * rw[i] + spread * wSum) * gi)
                    let ls = T(lsePtr[i]), mx = T(maxPtr[i])
                    let gT = T(gi)
                    if let wT {
                        for j in 0..<c { drow[j] = T.exp((row[j] - mx) - ls) * a - wT[j] * gT }
                    } else {
                        let sub = T(spread * gi)
                        for j in 0..<c { drow[j] = T.exp((row[j] - mx) - ls) * a - sub }
                    }
                    drow[y] -= T((1 - eps) * rw[i] * gi)
                }
            }
            if logits.dtype == .float32 { backward(Float.self) } else { backward(Double.self) }
            return [grad]
        }
        return out
    }

    /// The rows t_i = (1 − ε)·w[y_i]·onehot(y_i) + (ε/C)·w (zero for ignored rows), as a constant.
    static func crossEntropyTargetRows(
        _ labels: Tensor, classes c: Int, weights w: [Double]?, ignoreIndex: Int, rowWeight: Tensor,
        eps: Double, dtype: DType
    ) -> Tensor {
        let m = labels.count
        let t = Tensor.zeros([m, c], dtype: .float64)
        let p = t.pointer(Double.self), lab = labels.pointer(Int64.self), rw = rowWeight.pointer(Double.self)
        let spread = eps / Double(c)
        for i in 0..<m where Int(lab[i]) != ignoreIndex {
            for j in 0..<c { p[i * c + j] = spread * (w?[j] ?? 1) }
            p[i * c + Int(lab[i])] += (1 - eps) * rw[i]
        }
        return t.to(dtype)
    }
}

/// Cross-entropy on logits as a criterion, with class-index or class-probability targets.
///
/// ```swift
/// let criterion = CrossEntropyLoss(labelSmoothing: 0.1)
/// let loss = criterion(model(images), labels)
/// ```
public struct CrossEntropyLoss: Criterion {
    /// One weight per class, or nil.
    public var weight: Tensor?
    /// A label whose rows contribute nothing (index targets only).
    public var ignoreIndex: Int
    /// ε: how much of the target is spread uniformly over the classes.
    public var labelSmoothing: Double
    /// How per-sample losses are combined.
    public var reduction: Reduction

    /// Creates the criterion.
    /// - Parameters:
    ///   - weight: one weight per class (shape `[C]`), or nil.
    ///   - ignoreIndex: a label whose rows contribute nothing (default −100).
    ///   - labelSmoothing: ε in [0, 1] (default 0).
    ///   - reduction: `.mean` (default), `.sum` or `.none`.
    public init(weight: Tensor? = nil, ignoreIndex: Int = -100, labelSmoothing: Double = 0,
                reduction: Reduction = .mean) {
        self.weight = weight
        self.ignoreIndex = ignoreIndex
        self.labelSmoothing = labelSmoothing
        self.reduction = reduction
    }

    /// The loss of `logits` against int64 class indices or float class probabilities.
    public func callAsFunction(_ logits: Tensor, _ target: Tensor) -> Tensor {
        logits.crossEntropy(target, weight: weight, ignoreIndex: ignoreIndex,
                            labelSmoothing: labelSmoothing, reduction: reduction)
    }
}
