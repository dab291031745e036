// Order statistics: medians, the k-th smallest element and quantiles (PyTorch's `torch.median`,
// `nanmedian`, `kthvalue`, `quantile`, `nanquantile`). Every one starts from the stable sort order of
// `sortedIndices(axis:descending:)` (NaN last) and picks positions in it, so the values are a `gather`
// of the input and their gradient goes back to the element each value came from. The medians over all
// elements share their gradient among the elements equal to the result, as PyTorch's do.

extension Tensor {
    /// How ``quantile(_:axis:keepDims:interpolation:)-(Double,_,_,_)`` chooses a value when the quantile falls between
    /// two sorted elements `i < j` at fractional rank `r` (PyTorch's `interpolation` argument).
    public enum QuantileInterpolation: String, Sendable, CaseIterable {
        /// `x[i] + (x[j] − x[i]) · (r − i)` (the default).
        case linear
        /// `x[i]`.
        case lower
        /// `x[j]`.
        case higher
        /// Whichever of `x[i]`, `x[j]` is nearer; at exactly halfway, the one with the even rank.
        case nearest
        /// `(x[i] + x[j]) / 2`.
        case midpoint
    }

    // MARK: Medians and k-th values along an axis

    /// The lower median along `axis` and the position it came from (PyTorch's `torch.median(dim:)`).
    ///
    /// Of an even number of elements the lower of the two middle ones is returned (not their mean).
    /// A line holding NaN has NaN as its median, at the position of its first NaN. The gradient of the
    /// values goes back to the positions they were taken from. Among equal elements the one earlier along
    /// `axis` is counted first; PyTorch does not promise which of several equal medians' index it returns.
    ///
    /// - Parameters:
    ///   - axis: the dimension reduced; negative values count from the end. It must not be empty.
    ///   - keepDims: keep it with size 1.
    /// - Returns: the medians (this tensor's dtype) and their int64 indices along `axis`.
    ///
    /// ```swift
    /// let (m, at) = Tensor([[3, 1, 2, 4]]).median(axis: 1)   // [2], [2]
    /// ```
    public func median(axis: Int, keepDims: Bool = false) -> (values: Tensor, indices: Tensor) {
        checked(or: (Tensor.placeholder(), Tensor.placeholder())) {
            try selected(axis: axis, keepDims: keepDims, op: "median") { n, numbers in
                numbers < n ? numbers : (n - 1) / 2
            }
        }
    }

    /// The lower median along `axis` of the elements that are not NaN, with its position (PyTorch's
    /// `torch.nanmedian(dim:)`); NaN (at the line's first position) where every element is NaN.
    ///
    /// - Parameters:
    ///   - axis: the dimension reduced. It must not be empty.
    ///   - keepDims: keep it with size 1.
    ///
    /// ```swift
    /// Tensor([[1, .nan, 3, 2]]).nanmedian(axis: 1).values   // [2]
    /// ```
    public func nanmedian(axis: Int, keepDims: Bool = false) -> (values: Tensor, indices: Tensor) {
        checked(or: (Tensor.placeholder(), Tensor.placeholder())) {
            try selected(axis: axis, keepDims: keepDims, op: "nanmedian") { _, numbers in
                numbers == 0 ? 0 : (numbers - 1) / 2
            }
        }
    }

    /// The `k`-th smallest element along `axis` (counting from 1) and its position (PyTorch's
    /// `torch.kthvalue`). NaN counts as larger than every number. The gradient of the values goes back
    /// to the positions they were taken from. Among equal elements (and NaNs) the one earlier along `axis`
    /// is counted first; PyTorch does not promise which index it returns there.
    ///
    /// - Parameters:
    ///   - k: from 1 to the size of `axis`.
    ///   - axis: the dimension reduced (default the last).
    ///   - keepDims: keep it with size 1.
    ///
    /// ```swift
    /// Tensor([[5, 1, 4]]).kthvalue(2, axis: 1).values   // [4]
    /// ```
    public func kthvalue(_ k: Int, axis: Int = -1, keepDims: Bool = false) -> (values: Tensor, indices: Tensor) {
        checked(or: (Tensor.placeholder(), Tensor.placeholder())) {
            let size = rank == 0 ? 1 : shape[try self.axis(axis, op: "kthvalue", scalarAxis: true)]
            try require(k >= 1 && k <= size, "kthvalue: k = \(k) is out of range 1...\(size) for axis \(axis) of shape \(shape)",
                        .indexOutOfRange)
            return try selected(axis: axis, keepDims: keepDims, op: "kthvalue", countsNumbers: false) { _, _ in k - 1 }
        }
    }

    /// The most frequent value along `axis` and its position (PyTorch's `torch.mode`): among values equally
    /// frequent, the smallest; its position is its last occurrence along the axis, as PyTorch's CPU build
    /// gives. NaNs count as one value, larger than every number (PyTorch's index for a NaN mode may
    /// differ). The gradient of the values goes back to the positions they were taken from.
    ///
    /// - Parameters:
    ///   - axis: the dimension reduced (default the last); must not be empty.
    ///   - keepDims: keep it with size 1.
    ///
    /// ```swift
    /// Tensor([[3, 1, 3, 1, 2]]).mode(axis: 1)   // values [1], indices [3]
    /// ```
    public func mode(axis: Int = -1, keepDims: Bool = false) -> (values: Tensor, indices: Tensor) {
        checked(or: (Tensor.placeholder(), Tensor.placeholder())) {
            if rank == 0 {
                _ = try self.axis(axis, op: "mode", scalarAxis: true)
                let (v, i) = reshape([1]).mode(axis: 0)
                return (v.reshape([]), i.reshape([]))
            }
            let a = try self.axis(axis, op: "mode")
            try require(shape[a] > 0, "mode: axis \(a) of shape \(shape) is empty; it has no mode", .invalidArgument)
            let source = detach().contiguous()
            let order = source.sortedIndices(axis: a, descending: false)
            let (outer, n, inner) = axisLayout(a)
            let picked = Tensor(uninitializedShape: keepDimsShape([a]), dtype: .int64)
            func run<T: Equatable>(_: T.Type, same: (T, T) -> Bool) {
                let src = source.pointer(T.self), op = order.pointer(Int64.self), pp = picked.pointer(Int64.self)
                for o in 0..<outer {
                    for i in 0..<inner {
                        let base = o &* n &* inner &+ i
                        func at(_ k: Int) -> Int { Int(op[base &+ k &* inner]) }
                        // Runs of equal values in sorted order; positions ascend within a run (the sort is
                        // stable), so a run's last element is the value's last occurrence.
                        var best = at(0), bestCount = 0, runStart = 0
                        for k in 1...n where k == n || !same(src[base &+ at(k) &* inner], src[base &+ at(k - 1) &* inner]) {
                            if k - runStart > bestCount { bestCount = k - runStart; best = at(k - 1) }
                            runStart = k
                        }
                        pp[o &* inner &+ i] = Int64(best)
                    }
                }
            }
            withExtendedLifetime((source, order)) {
                switch dtype {
                case .float32: run(Float.self) { $0 == $1 || ($0.isNaN && $1.isNaN) }
                case .float64: run(Double.self) { $0 == $1 || ($0.isNaN && $1.isNaN) }
                case .int64: run(Int64.self) { $0 == $1 }
                }
            }
            let values = gather(axis: a, index: picked)
            let outShape = reducedShape([a], keepDims: keepDims)
            return (values.reshape(outShape), picked.reshape(outShape))
        }
    }

    /// The element at one position of each line's sorted order along `axis`: `position(n, numbers)`
    /// gives it from the line's length and its count of elements that are not NaN (NaN sorts last; not
    /// counted, and given as n, when `countsNumbers` is false).
    private func selected(axis: Int, keepDims: Bool, op: String, countsNumbers: Bool = true,
                          position: (_ n: Int, _ numbers: Int) -> Int) throws -> (values: Tensor, indices: Tensor) {
        if rank == 0 {
            _ = try self.axis(axis, op: op, scalarAxis: true)
            let (v, i) = try reshape([1]).selected(axis: 0, keepDims: false, op: op, countsNumbers: countsNumbers, position: position)
            return (v.reshape([]), i.reshape([]))
        }
        let a = try self.axis(axis, op: op)
        try require(shape[a] > 0, "\(op): axis \(a) of shape \(shape) is empty; there is no element to select", .invalidArgument)
        let order = sortedIndices(axis: a, descending: false)
        let (outer, n, inner) = axisLayout(a)
        let numbers = countsNumbers ? numbersPerLine(axis: a) : [Int](repeating: n, count: outer * inner)
        let picked = Tensor(uninitializedShape: keepDimsShape([a]), dtype: .int64)
        withExtendedLifetime(order) {
            let op_ = order.pointer(Int64.self), pp = picked.pointer(Int64.self)
            for o in 0..<outer {
                for i in 0..<inner {
                    let line = o &* inner &+ i
                    let p = position(n, numbers[line])
                    pp[line] = op_[o &* n &* inner &+ p &* inner &+ i]
                }
            }
        }
        let values = gather(axis: a, index: picked)
        let outShape = reducedShape([a], keepDims: keepDims)
        return (values.reshape(outShape), picked.reshape(outShape))
    }

    /// For each line along axis `a` ([outer, inner] in row-major order), how many elements are not NaN.
    private func numbersPerLine(axis a: Int) -> [Int] {
        let (outer, n, inner) = axisLayout(a)
        guard dtype.isFloatingPoint else { return [Int](repeating: n, count: outer * inner) }
        var counts = [Int](repeating: 0, count: outer * inner)
        func run<T: BinaryFloatingPoint>(_: T.Type) {
            let src = pointer(T.self)
            for o in 0..<outer {
                for k in 0..<n {
                    let row = src + (o &* n &+ k) &* inner
                    for i in 0..<inner where !row[i].isNaN { counts[o &* inner &+ i] += 1 }
                }
            }
        }
        if dtype == .float32 { run(Float.self) } else { run(Double.self) }
        return counts
    }

    // MARK: Medians over all elements

    /// The lower median of all elements (PyTorch's `torch.median()`), a scalar; NaN when any element is
    /// NaN, and for an empty floating-point tensor. The gradient is shared evenly among the elements equal
    /// to the median (among the NaN elements for a NaN result), as in PyTorch.
    ///
    /// ```swift
    /// Tensor([4, 1, 3, 2]).median()   // 2
    /// ```
    public func median() -> Tensor { checked { try medianOfAll(op: "median", ignoringNaN: false) } }

    /// The lower median of the elements that are not NaN (PyTorch's `torch.nanmedian()`), a scalar; NaN
    /// when every element is NaN. Gradient as ``median()``.
    ///
    /// ```swift
    /// Tensor([4, .nan, 3, 2]).nanmedian()   // 3
    /// ```
    public func nanmedian() -> Tensor { checked { try medianOfAll(op: "nanmedian", ignoringNaN: true) } }

    private func medianOfAll(op: String, ignoringNaN: Bool) throws -> Tensor {
        if count == 0 {
            try require(dtype.isFloatingPoint, "\(op): an empty \(dtype) tensor has no median (NaN is not an integer)",
                        .invalidArgument)
            // NaN, recorded so that a backward through it gives the (empty) gradient, as PyTorch's.
            let out = Tensor.full([], value: .nan, dtype: dtype)
            let inputShape = shape
            record(op, output: out, inputs: [self]) { g, _ in [Tensor.zeros(inputShape, dtype: g.dtype)] }
            return out
        }
        let flat = detach().reshape([count])
        let found = GradMode.noGrad {
            ignoringNaN ? flat.nanmedian(axis: 0).values : flat.median(axis: 0).values
        }
        let out = Tensor(shape: [], dtype: dtype, storage: found.contiguous().storage)
        record(op, output: out, inputs: [self]) { g, y in
            // PyTorch's evenly_distribute_backward: g / count at the positions equal to the result (the
            // NaN ones for a NaN result), exactly 0 elsewhere even for an infinite g.
            let mask = Tensor.where(y.ne(y), self.ne(self), self.eq(y))
            let share = g / mask.sum()
            return [Tensor.where(mask, share, Tensor.zeros([], dtype: share.dtype))]
        }
        return out
    }

    // MARK: Quantiles

    /// The `q`-th quantile along `axis`, or of all elements when `axis` is nil (PyTorch's
    /// `torch.quantile`). A line holding NaN has NaN quantiles.
    ///
    /// The quantile falls at rank `q · (n − 1)` of the sorted line; between two elements, `interpolation`
    /// decides. Computed as PyTorch does — q in this tensor's dtype, the rank in Float64, linear
    /// interpolation by ``lerp(_:weight:)-(Tensor,Tensor)`` — and differentiable in the input: the gradient
    /// goes to the one or two elements each quantile was interpolated from. `q` gets no gradient (PyTorch
    /// differentiates the linear interpolation's weight in q too).
    ///
    /// - Parameters:
    ///   - q: a probability in [0, 1].
    ///   - axis: the dimension reduced; nil for all elements.
    ///   - keepDims: keep the reduced dimension (all of them when `axis` is nil) with size 1.
    ///   - interpolation: how to choose between the two elements around the rank.
    /// - Returns: floating-point tensors only, as in PyTorch; the input must not be empty.
    ///
    /// ```swift
    /// Tensor([1, 2, 3, 4]).quantile(0.5)                           // 2.5
    /// scores.quantile(0.9, axis: 1, interpolation: .higher)         // per row
    /// ```
    public func quantile(_ q: Double, axis: Int? = nil, keepDims: Bool = false,
                         interpolation: QuantileInterpolation = .linear) -> Tensor {
        checked {
            try quantiles(Tensor(scalar: q, dtype: dtype.isFloatingPoint ? dtype : .float32), axis: axis, keepDims: keepDims,
                          interpolation: interpolation, ignoringNaN: false, op: "quantile")
        }
    }

    /// Several quantiles at once: `q` is a scalar or a one-dimensional tensor of probabilities in [0, 1]
    /// of this tensor's dtype; a one-dimensional `q` of length k adds a first dimension of size k to the
    /// result (PyTorch's layout). See ``quantile(_:axis:keepDims:interpolation:)-(Double,_,_,_)``.
    ///
    /// ```swift
    /// let quartiles = x.quantile(Tensor([0.25, 0.5, 0.75]), axis: 0)   // [3, …]
    /// ```
    public func quantile(_ q: Tensor, axis: Int? = nil, keepDims: Bool = false,
                         interpolation: QuantileInterpolation = .linear) -> Tensor {
        checked {
            try quantiles(q, axis: axis, keepDims: keepDims, interpolation: interpolation, ignoringNaN: false, op: "quantile")
        }
    }

    /// ``quantile(_:axis:keepDims:interpolation:)-(Double,_,_,_)`` of the elements that are not NaN
    /// (PyTorch's `torch.nanquantile`): each line's rank is `q · (m − 1)` for its m numbers; NaN where a
    /// line has none.
    ///
    /// ```swift
    /// Tensor([1, .nan, 3]).nanquantile(0.5)   // 2
    /// ```
    public func nanquantile(_ q: Double, axis: Int? = nil, keepDims: Bool = false,
                            interpolation: QuantileInterpolation = .linear) -> Tensor {
        checked {
            try quantiles(Tensor(scalar: q, dtype: dtype.isFloatingPoint ? dtype : .float32), axis: axis, keepDims: keepDims,
                          interpolation: interpolation, ignoringNaN: true, op: "nanquantile")
        }
    }

    /// ``nanquantile(_:axis:keepDims:interpolation:)-(Double,_,_,_)`` for a scalar or one-dimensional
    /// tensor of probabilities.
    public func nanquantile(_ q: Tensor, axis: Int? = nil, keepDims: Bool = false,
                            interpolation: QuantileInterpolation = .linear) -> Tensor {
        checked {
            try quantiles(q, axis: axis, keepDims: keepDims, interpolation: interpolation, ignoringNaN: true, op: "nanquantile")
        }
    }

    private func quantiles(_ q: Tensor, axis: Int?, keepDims: Bool, interpolation: QuantileInterpolation,
                           ignoringNaN: Bool, op: String) throws -> Tensor {
        try requireFloat(op)
        try require(q.rank <= 1, "\(op): q must be a scalar or a one-dimensional tensor, got shape \(q.shape)", .shapeMismatch)
        try require(q.dtype == dtype, "\(op): q (\(q.dtype)) must have the input's dtype (\(dtype))", .dtypeMismatch)
        try require(count > 0, "\(op): the input is empty; there is no element to take a quantile of", .invalidArgument)
        let qValues = q.detach().scalars(as: Double.self)
        try require(qValues.allSatisfy { $0 >= 0 && $0 <= 1 }, "\(op): q values must be in [0, 1], got \(qValues)",
                    .invalidArgument)

        // The lines to take quantiles of, along the last dimension: [..., n].
        let lines: Tensor
        var a = 0
        if let axis {
            a = try self.axis(axis, op: op, scalarAxis: true)
            lines = rank == 0 ? reshape([1]) : movedim(a, -1)
        } else {
            lines = reshape([count])
        }
        let n = lines.shape[lines.rank - 1]
        let sorted = lines.sort(axis: -1).values
        let probabilities = q.detach().reshape([q.count])               // [k]

        // Ranks [..., k] in Float64 from q in this dtype, as PyTorch computes them (a Float32 rank would
        // round q·(n − 1) differently — `nearest` could pick another element — and miss indices past 2²⁴).
        let ranks: Tensor = GradMode.noGrad {
            let plain = sorted.detach()
            let nan = plain.isNaN()
            let p = probabilities.to(.float64)
            if ignoringNaN {
                let numbers = nan.logicalNot().sum(axes: [-1], keepDims: true).to(.float64)
                let r = p * (numbers - 1)
                return Tensor.where(r .< 0, Tensor.zeros([], dtype: .float64), r)
            }
            let last = Tensor(scalar: Double(n - 1), dtype: .float64)
            let r = (p * last).expand(Array(plain.shape.dropLast()) + [q.count])
            return Tensor.where(nan.any(axes: [-1], keepDims: true), last, r)
        }
        var result: Tensor
        switch interpolation {
        case .lower, .higher, .nearest:
            let rounded = GradMode.noGrad {
                interpolation == .lower ? ranks.floor() : interpolation == .higher ? ranks.ceil() : ranks.round()
            }
            result = sorted.gather(axis: -1, index: rounded.to(.int64))
        case .linear, .midpoint:
            let below = ranks.to(.int64)
            let above = GradMode.noGrad { ranks.ceil() }.to(.int64)
            let weights = interpolation == .midpoint
                ? Tensor.full(ranks.shape, value: 0.5, dtype: dtype)
                : GradMode.noGrad { (ranks - below.to(.float64)).to(dtype) }
            result = sorted.gather(axis: -1, index: below).lerp(sorted.gather(axis: -1, index: above), weight: weights)
        }
        // [..., k] -> [k, ...], then without the k dimension for a scalar q; the reduced dimensions back
        // with size 1 when kept.
        result = result.movedim(-1, 0)
        if q.rank == 0 { result = result.squeeze(0) }
        if keepDims {
            let kept = axis == nil || rank == 0 ? [Int](repeating: 1, count: rank) : keepDimsShape([a])
            result = result.reshape((q.rank == 0 ? [] : [q.count]) + kept)
        }
        return result
    }
}
