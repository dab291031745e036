// Reductions over all elements or over given axes, with `keepDims` as in PyTorch's `keepdim`.

extension Tensor {
    /// The axes to reduce, normalized and sorted. A scalar accepts axis 0 or -1 and reduces nothing,
    /// as in PyTorch (`torch.tensor(3.).sum(0)` is 3).
    ///
    /// An empty list means every axis, as `dim=()` does in PyTorch's `sum`, `mean`, `amax`, `var`, `norm`
    /// and the other reductions (`emptyMeansAll`); operations for which PyTorch reads it as "no axis"
    /// (`all`, `any`, `flip`) pass `false`. Internal code that reduces a computed list of axes which may
    /// be empty must test for it first (as layer norm's backward does).
    func normalizedAxes(_ axes: [Int]?, op: String, emptyMeansAll: Bool = true) throws -> [Int] {
        guard let axes, !(axes.isEmpty && emptyMeansAll) else { return Array(0..<rank) }
        let a = try axes.map { try axis($0, op: op, scalarAxis: true) }
        try require(Set(a).count == a.count, "\(op): axes \(axes) repeat a dimension of shape \(shape)", .shapeMismatch)
        return rank == 0 ? [] : a.sorted()
    }

    func reducedShape(_ axes: [Int], keepDims: Bool) -> [Int] {
        keepDims ? keepDimsShape(axes) : shape.enumerated().filter { !axes.contains($0.offset) }.map(\.element)
    }

    /// The sum of all elements (a rank-0 tensor).
    ///
    /// ```swift
    /// let total = x.sum()
    /// ```
    public func sum() -> Tensor { sum(axes: nil) }

    /// The sum over `axes` (all when nil or empty, as PyTorch's `dim=()`); reduced dimensions are kept as size 1 when `keepDims`.
    /// An int64 tensor sums to int64 (wrapping around on overflow), as in PyTorch.
    ///
    /// - Parameters:
    ///   - axes: the dimensions to reduce; negative values count from the end.
    ///   - keepDims: keep reduced dimensions with size 1.
    ///
    /// ```swift
    /// let rowTotals = x.sum(axes: [1])                  // [N, M] -> [N]
    /// let colTotals = x.sum(axes: [0], keepDims: true)  // [N, M] -> [1, M]
    /// ```
    public func sum(axes: [Int]?, keepDims: Bool = false) -> Tensor {
        checked {
            let ax = try normalizedAxes(axes, op: "sum")
            var result = self
            if ax.count == rank && rank > 0 {
                result = try totalSum()
            } else {
                for a in ax.reversed() { result = try result.sumKernel(axis: a) }
            }
            let finalShape = reducedShape(ax, keepDims: keepDims)
            // Nothing reduced (rank 0, or no axes): a copy, since the result below is built on a storage
            // from its start, and a view's elements may sit elsewhere in it (an offset, strides).
            let out = result === self ? GradMode.noGrad { detach().clone() } : result
            let shaped = Tensor(shape: finalShape, dtype: dtype, storage: out.storage)
            let kept = keepDimsShape(ax), inputShape = shape
            record("sum", output: shaped, inputs: [self]) { g, _ in [g.reshape(kept).expand(inputShape)] }
            return shaped
        }
    }

    /// The mean over `axes` (all when nil or empty, as PyTorch's `dim=()`); NaN over no elements.
    ///
    /// The mean of an int64 tensor is float32: its int64 sum divided by the count in float64, then
    /// rounded once to float32. (PyTorch refuses `mean` on integer tensors; Gradus gives the fraction
    /// that `(predicted .== labels).mean()` is written for.)
    ///
    /// ```swift
    /// let loss = (prediction - target).square().mean()
    /// let accuracy = (logits.argmax(axis: 1) .== labels).mean()   // float32
    /// ```
    public func mean(axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
        checked {
            let ax = try normalizedAxes(axes, op: "mean")
            let n = ax.reduce(1) { $0 * shape[$1] }
            let total = sum(axes: ax, keepDims: keepDims)
            if dtype.isFloatingPoint { return total / Double(n) }
            return (total.to(.float64) / Double(n)).to(.float32)
        }
    }

    /// The maximum along `axis` with the index of its first occurrence (for every dtype; NaN counts as
    /// the largest value, as in PyTorch).
    ///
    /// ```swift
    /// let (best, classes) = logits.max(axis: 1)
    /// ```
    public func max(axis: Int, keepDims: Bool = false) -> (values: Tensor, indices: Tensor) {
        checked(or: (Tensor.placeholder(), Tensor.placeholder())) {
            try extremum(axis: axis, keepDims: keepDims, largest: true)
        }
    }

    /// The minimum along `axis` with the index of its first occurrence.
    public func min(axis: Int, keepDims: Bool = false) -> (values: Tensor, indices: Tensor) {
        checked(or: (Tensor.placeholder(), Tensor.placeholder())) {
            try extremum(axis: axis, keepDims: keepDims, largest: false)
        }
    }

    private func extremum(axis: Int, keepDims: Bool, largest: Bool) throws -> (values: Tensor, indices: Tensor) {
        let op = largest ? "max" : "min"
        let a = try self.axis(axis, op: op, scalarAxis: true)
        if rank == 0 {
            // A scalar is its own maximum along axis 0 or -1, at index 0 (PyTorch's values and indices).
            let (v, i) = try reshape([1]).extremum(axis: 0, keepDims: false, largest: largest)
            return (v.reshape([]), i.reshape([]))
        }
        let (v, i) = try extremumKernel(axis: a, largest: largest)
        let outShape = reducedShape([a], keepDims: keepDims)
        let values = v.reshape(outShape), indices = i.reshape(outShape)
        let inputShape = shape
        record(op, output: values, inputs: [self]) { g, _ in
            let zeros = Tensor.zeros(inputShape, dtype: g.dtype)
            return [zeros.scatterAdd(axis: a, index: i, source: g.reshape(i.shape))]
        }
        return (values, indices)
    }

    /// The largest element (rank 0). The gradient is shared evenly among ties, as in PyTorch; when the
    /// result is NaN it is shared among the NaN elements (PyTorch's `max()`; ``amax(axes:keepDims:)``
    /// gives NaN gradients there instead, as `amax` does).
    public func max() -> Tensor { checked { try extremumOver(nil, false, largest: true, nanTakesGradient: true) } }

    /// The smallest element (rank 0). The gradient is shared evenly among ties, as in PyTorch; when the
    /// result is NaN it is shared among the NaN elements.
    public func min() -> Tensor { checked { try extremumOver(nil, false, largest: false, nanTakesGradient: true) } }

    /// The maximum over `axes` (all when nil or empty, as PyTorch's `dim=()`); the gradient is shared evenly among ties.
    public func amax(axes: [Int]?, keepDims: Bool = false) -> Tensor { checked { try extremumOver(axes, keepDims, largest: true) } }

    /// The minimum over `axes` (all when nil or empty, as PyTorch's `dim=()`); the gradient is shared evenly among ties.
    public func amin(axes: [Int]?, keepDims: Bool = false) -> Tensor { checked { try extremumOver(axes, keepDims, largest: false) } }

    /// The smallest and the largest elements together (PyTorch's `torch.aminmax`), over `axis` or, when it
    /// is nil, over all elements; each as ``amin(axes:keepDims:)`` and ``amax(axes:keepDims:)`` (a NaN
    /// propagates; the gradient is shared evenly among equal extremes).
    ///
    /// - Parameters:
    ///   - axis: the dimension reduced, or nil for all.
    ///   - keepDims: keep the reduced dimensions with size 1.
    ///
    /// ```swift
    /// let (lo, hi) = Tensor([[1, 5], [3, -2]]).aminmax(axis: 1)   // [1, -2], [5, 3]
    /// ```
    public func aminmax(axis: Int? = nil, keepDims: Bool = false) -> (min: Tensor, max: Tensor) {
        let axes = axis.map { [$0] }
        return (amin(axes: axes, keepDims: keepDims), amax(axes: axes, keepDims: keepDims))
    }

    /// `nanTakesGradient`: a NaN result sends its gradient to the NaN elements (PyTorch's full `max()`
    /// and `min()`), instead of to none of them, which divides by a count of 0 (`amax`, `amin`).
    private func extremumOver(_ axes: [Int]?, _ keepDims: Bool, largest: Bool, nanTakesGradient: Bool = false) throws -> Tensor {
        let op = largest ? "amax" : "amin"
        let ax = try normalizedAxes(axes, op: op)
        // With no axis to reduce, a copy (see `sum(axes:keepDims:)`: a view may not start its storage).
        var r = ax.isEmpty ? GradMode.noGrad { detach().clone() } : detach()
        for a in ax.reversed() { r = try r.extremumKernel(axis: a, largest: largest).values }
        let kept = keepDimsShape(ax)
        let out = Tensor(shape: reducedShape(ax, keepDims: keepDims), dtype: dtype, storage: r.storage)
        record(op, output: out, inputs: [self]) { g, y in
            let yk = y.reshape(kept)
            var mask = self.eq(yk)
            if nanTakesGradient {
                // PyTorch's evenly_distribute_backward: g / count at the maximum's positions (the NaN
                // ones for a NaN result), exactly 0 elsewhere even for an infinite g.
                mask = Tensor.where(yk.ne(yk), self.ne(self), mask)
                let share = g.reshape(kept) / mask.sum(axes: ax, keepDims: true)
                return [Tensor.where(mask, share, Tensor.zeros([], dtype: share.dtype))]
            }
            return [g.reshape(kept) * mask / mask.sum(axes: ax, keepDims: true)]
        }
        return out
    }

    /// The index of the largest element along `axis`, or in the flattened tensor when nil (int64), for
    /// every dtype.
    ///
    /// ```swift
    /// let predicted = logits.argmax(axis: 1)
    /// ```
    public func argmax(axis: Int? = nil, keepDims: Bool = false) -> Tensor {
        // Over every element: one scan into a scalar (indices record no gradient), without the
        // intermediate tensors of max(axis:), which cost more than the scan on a one-sample prediction.
        guard let axis else { return checked { try flatIndexResult(flatExtremumIndex(largest: true), keepDims: keepDims) } }
        return GradMode.noGrad { max(axis: axis, keepDims: keepDims).indices }
    }

    /// The index of the smallest element along `axis`, or in the flattened tensor when nil (int64).
    public func argmin(axis: Int? = nil, keepDims: Bool = false) -> Tensor {
        guard let axis else { return checked { try flatIndexResult(flatExtremumIndex(largest: false), keepDims: keepDims) } }
        return GradMode.noGrad { min(axis: axis, keepDims: keepDims).indices }
    }

    /// A flat index as `argmax`/`argmin` over all elements return it: a scalar, or with `keepDims` a
    /// tensor of this rank with every dimension 1 (PyTorch's `keepdim=True` without `dim`).
    private func flatIndexResult(_ index: Int, keepDims: Bool) -> Tensor {
        Tensor(shape: keepDims ? [Int](repeating: 1, count: rank) : [], integers: [index])
    }

    /// The variance over `axes` (all when nil or empty, as PyTorch's `dim=()`): the mean squared deviation, divided by n − 1 when
    /// `unbiased` (Bessel's correction, PyTorch's default) and by n otherwise. Floating-point tensors only, as in
    /// PyTorch.
    ///
    /// ```swift
    /// let v = x.variance(axes: [0], unbiased: false)
    /// ```
    public func variance(axes: [Int]? = nil, unbiased: Bool = true, keepDims: Bool = false) -> Tensor {
        variance(axes: axes, correction: unbiased ? 1 : 0, keepDims: keepDims)
    }

    /// The variance over `axes` (all when nil or empty, as PyTorch's `dim=()`) with PyTorch 2's `correction`: the sum of squared
    /// deviations divided by max(0, n − correction) (1 is Bessel's correction, 0 the population variance).
    ///
    /// - Parameters:
    ///   - axes: the dimensions reduced; nil or empty for all.
    ///   - correction: subtracted from the element count in the divisor (any finite number, as in PyTorch).
    ///   - keepDims: keep the reduced dimensions with size 1.
    ///
    /// ```swift
    /// let v = x.variance(axes: [1], correction: 0)   // torch.var(x, dim=1, correction=0)
    /// ```
    public func variance(axes: [Int]? = nil, correction: Double, keepDims: Bool = false) -> Tensor {
        checked {
            let (ax, divisor) = try spreadReduction(axes, correction: correction, op: "var")
            let out = GradMode.noGrad {
                let centered = detach() - detach().mean(axes: ax, keepDims: true)
                return centered.square().sum(axes: ax, keepDims: keepDims) / divisor
            }
            // PyTorch's var_backward, 2·g·(x − mean)/divisor: the same as differentiating the formula
            // above for finite inputs, but without the mean's own term (Σ(x − mean) = 0), which is NaN
            // as soon as one element is infinite.
            let kept = keepDimsShape(ax)
            record("var", output: out, inputs: [self]) { g, _ in
                [g.reshape(kept) * (self - self.mean(axes: ax, keepDims: true)) * (2 / divisor)]
            }
            return out
        }
    }

    /// The axes of a variance or standard deviation and its divisor (n − correction, at least 0), after
    /// checking that this tensor is floating point, as PyTorch requires.
    private func spreadReduction(_ axes: [Int]?, correction: Double, op: String) throws -> (axes: [Int], divisor: Double) {
        let ax = try normalizedAxes(axes, op: op)
        try require(dtype.isFloatingPoint, "\(op): needs a floating-point tensor, got \(dtype) (PyTorch refuses integer "
                    + "tensors too); convert with to(.float32)", .dtypeMismatch)
        try require(correction.isFinite, "\(op): correction must be finite, got \(correction)")
        let n = ax.reduce(1) { $0 * shape[$1] }
        return (ax, Swift.max(0, Double(n) - correction))
    }

    /// The standard deviation over `axes`: the square root of ``variance(axes:unbiased:keepDims:)``.
    /// Where it is 0 (all elements equal) its gradient is 0, as in PyTorch (not g / 0).
    public func std(axes: [Int]? = nil, unbiased: Bool = true, keepDims: Bool = false) -> Tensor {
        std(axes: axes, correction: unbiased ? 1 : 0, keepDims: keepDims)
    }

    /// The standard deviation over `axes` with PyTorch 2's `correction` (see
    /// ``variance(axes:correction:keepDims:)``).
    ///
    /// ```swift
    /// let s = x.std(axes: [0], correction: 0)
    /// ```
    public func std(axes: [Int]? = nil, correction: Double, keepDims: Bool = false) -> Tensor {
        checked {
            let (ax, divisor) = try spreadReduction(axes, correction: correction, op: "std")
            let out = GradMode.noGrad { detach().variance(axes: ax, correction: correction, keepDims: keepDims).sqrt() }
            let kept = keepDimsShape(ax)
            // PyTorch's std_backward: var_backward of g / (2·std), with 0 where std is 0.
            record("std", output: out, inputs: [self]) { g, y in
                let zero = Tensor.zeros([], dtype: g.dtype)
                let gv = Tensor.where(y.eq(0.0), zero, g / (y * 2)).reshape(kept)
                return [gv * (self - self.mean(axes: ax, keepDims: true)) * (2 / divisor)]
            }
            return out
        }
    }

    /// The variance and the mean over `axes` in one call (PyTorch's `torch.var_mean`), each as
    /// ``variance(axes:correction:keepDims:)`` and ``mean(axes:keepDims:)`` give it, gradients included.
    ///
    /// - Parameters:
    ///   - axes: the dimensions reduced; nil or empty for all.
    ///   - correction: subtracted from the element count in the variance's divisor (1: Bessel's).
    ///   - keepDims: keep the reduced dimensions with size 1.
    ///
    /// ```swift
    /// let (v, m) = x.varMean(axes: [1], correction: 0)
    /// ```
    public func varMean(axes: [Int]? = nil, correction: Double = 1, keepDims: Bool = false) -> (variance: Tensor, mean: Tensor) {
        (variance(axes: axes, correction: correction, keepDims: keepDims), mean(axes: axes, keepDims: keepDims))
    }

    /// The standard deviation and the mean over `axes` in one call (PyTorch's `torch.std_mean`), as
    /// ``std(axes:correction:keepDims:)`` and ``mean(axes:keepDims:)`` give them.
    ///
    /// - Parameters:
    ///   - axes: the dimensions reduced; nil or empty for all.
    ///   - correction: subtracted from the element count in the variance's divisor (1: Bessel's).
    ///   - keepDims: keep the reduced dimensions with size 1.
    ///
    /// ```swift
    /// let (s, m) = x.stdMean(axes: [0])
    /// ```
    public func stdMean(axes: [Int]? = nil, correction: Double = 1, keepDims: Bool = false) -> (std: Tensor, mean: Tensor) {
        (std(axes: axes, correction: correction, keepDims: keepDims), mean(axes: axes, keepDims: keepDims))
    }

    /// log Σ exp(x) over `axes`, computed stably by subtracting the maximum first.
    ///
    /// ```swift
    /// let lse = logits.logsumexp(axes: [1])
    /// ```
    public func logsumexp(axes: [Int]?, keepDims: Bool = false) -> Tensor {
        checked {
            let ax = try normalizedAxes(axes, op: "logsumexp")
            // Over an empty dimension the sum is 0 and the result -inf, as in PyTorch (no maximum to subtract).
            if ax.contains(where: { shape[$0] == 0 }) { return exp().sum(axes: ax, keepDims: keepDims).log() }
            let m = try GradMode.noGrad {
                try detach().amax(axes: ax, keepDims: true).map("logsumexp", { $0.isFinite ? $0 : 0 }, { $0.isFinite ? $0 : 0 })
            }
            let s = (self - m).exp().sum(axes: ax, keepDims: true).log() + m
            return keepDims ? s : s.reshape(reducedShape(ax, keepDims: false))
        }
    }

    /// The p-norm over `axes` (all when nil or empty, as PyTorch's `dim=()`), PyTorch's `torch.linalg.vector_norm(x, ord: p)`:
    /// (Σ |x|ᵖ)^(1/p) for a finite p other than 0 (negative p too), max |x| for p = ∞, min |x| for p = −∞,
    /// and the number of elements other than zero for p = 0.
    ///
    /// Gradients are PyTorch's: zero where the norm is zero (p ≥ 1), zero at zero elements for p < 1,
    /// split evenly over the elements that reach the maximum (or minimum) for p = ±∞, none for p = 0.
    /// Integer tensors and NaN p are refused; p = ±∞ and p < 0 need at least one element in each
    /// reduced slice (no identity), as in PyTorch.
    ///
    /// - Parameters:
    ///   - p: the order (default 2).
    ///   - axes: the dimensions to reduce (all when nil or empty, as PyTorch's `dim=()`).
    ///   - keepDims: whether to keep the reduced dimensions with size 1.
    ///
    /// ```swift
    /// let length = v.norm()
    /// let largest = v.norm(p: .infinity)   // max |v|
    /// ```
    public func norm(p: Double = 2, axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
        checked {
            try requireFloat("norm")
            try require(!p.isNaN, "norm: p must be a number, got NaN")
            let ax = try normalizedAxes(axes, op: "norm")
            let kept = keepDimsShape(ax)
            if p == 2 {
                let n = GradMode.noGrad { detach().square().sum(axes: ax, keepDims: true).sqrt() }
                let out = n.reshape(reducedShape(ax, keepDims: keepDims)).detach()
                record("norm", output: out, inputs: [self]) { g, y in
                    let yk = y.reshape(kept)
                    return [g.reshape(kept) * self / yk.maskedWhere(yk.eq(0.0), .infinity)]
                }
                return out
            }
            if p == 1 { return abs().sum(axes: ax, keepDims: keepDims) }
            if p.isInfinite || p < 0 {
                try require(ax.allSatisfy { shape[$0] > 0 } && (count > 0 || !ax.isEmpty),
                            "norm: the \(p) norm of an empty slice is undefined (no identity); input \(shape), axes \(ax)", .shapeMismatch)
            }
            let value: Tensor = GradMode.noGrad {
                let a = detach().abs()
                if p == .infinity { return a.amax(axes: ax, keepDims: true) }
                if p == -.infinity { return a.amin(axes: ax, keepDims: true) }
                if p == 0 { return a.ne(0.0).sum(axes: ax, keepDims: true) }
                return a.pow(p).sum(axes: ax, keepDims: true).pow(1 / p)
            }
            let out = value.reshape(reducedShape(ax, keepDims: keepDims)).detach()
            record("norm", output: out, inputs: [self]) { g, y in
                let gk = g.reshape(kept), yk = y.reshape(kept)
                let a = self.abs()
                if p.isInfinite {
                    // The elements at the extremum (or NaN) share the gradient evenly.
                    let mask = a.eq(yk).logicalOr(a.isNaN())
                    return [self.sign() * (gk / mask.sum(axes: ax, keepDims: true)) * mask]
                }
                if p == 0 { return [Tensor.zeros(like: self)] }
                if p < 1 {
                    let scaled = (self.sign() * a.pow(p - 1)).maskedWhere(self.eq(0.0), 0)
                    return [scaled * gk * yk.pow(1 - p)]
                }
                let scale = (gk / yk.pow(p - 1)).maskedWhere(yk.eq(0.0), 0)
                return [(p < 2 ? self.sign() * a.pow(p - 1) : self * a.pow(p - 2)) * scale]
            }
            return out
        }
    }
}
