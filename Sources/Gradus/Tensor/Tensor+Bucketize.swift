// Binary search in sorted sequences (PyTorch's `torch.searchsorted` and `torch.bucketize`): for each
// value, the position where it would be inserted to keep the sequence sorted. The comparisons are
// PyTorch's (`!(s >= v)` to move right for the left side, `!(s > v)` for the right side), so NaN values
// and NaN entries in the sequence land where they land in PyTorch.

extension Tensor {
    /// For each element of `values`, the index in `sortedSequence` where it would be inserted to keep
    /// it sorted (PyTorch's `torch.searchsorted`), as int64.
    ///
    /// With `right` false the first such index (`sequence[i-1] < v <= sequence[i]`), with `right` true
    /// the last (`sequence[i-1] <= v < sequence[i]`). `sortedSequence` is either one-dimensional, searched
    /// for every value, or has the leading dimensions of `values`, each of its last-dimension lines searched
    /// for the matching line of `values`. The sequence must be sorted ascending along its last dimension
    /// (not checked, as in PyTorch), or `sorter` gives the indices that sort it (`argsort`). The two are
    /// compared in their result type (``Tensor/resultType(_:_:)``: a rank-0 value takes the sequence's
    /// kind). No gradient (the result is an index).
    ///
    /// - Parameters:
    ///   - sortedSequence: the sorted boundaries, one-dimensional or [..., m].
    ///   - values: what to look up; may be a scalar (rank 0) only when `sortedSequence` is one-dimensional.
    ///   - right: return the last suitable index instead of the first.
    ///   - sorter: int64 indices, of `sortedSequence`'s shape, that sort it along its last dimension.
    /// - Returns: int64 indices in 0...m, of the shape of `values`.
    ///
    /// ```swift
    /// Tensor.searchsorted(Tensor([1, 3, 5, 7]), Tensor([3, 6, 9]))               // [1, 3, 4]
    /// Tensor.searchsorted(Tensor([1, 3, 5, 7]), Tensor([3, 6, 9]), right: true)  // [2, 3, 4]
    /// ```
    public static func searchsorted(_ sortedSequence: Tensor, _ values: Tensor, right: Bool = false,
                                    sorter: Tensor? = nil) -> Tensor {
        checked {
            try bucketIndices(sortedSequence, values, right: right, sorter: sorter, op: "searchsorted")
        }
    }

    /// The bucket of each element among one-dimensional sorted `boundaries` (PyTorch's
    /// `torch.bucketize`): `searchsorted(boundaries, self, right:)`, as int64 of this tensor's shape.
    /// With `right` false, bucket i holds `boundaries[i-1] < x <= boundaries[i]`; with `right` true,
    /// `boundaries[i-1] <= x < boundaries[i]`.
    ///
    /// - Parameters:
    ///   - boundaries: one-dimensional, sorted ascending.
    ///   - right: which side of a boundary equal values fall on.
    ///
    /// ```swift
    /// let bins = ages.bucketize(Tensor([18, 30, 65]))   // 0: ≤ 18, 1: (18, 30], 2: (30, 65], 3: > 65
    /// ```
    public func bucketize(_ boundaries: Tensor, right: Bool = false) -> Tensor {
        checked {
            try require(boundaries.rank == 1, "bucketize: boundaries must be one-dimensional, got shape \(boundaries.shape)",
                        .shapeMismatch)
            return try Tensor.bucketIndices(boundaries, self, right: right, sorter: nil, op: "bucketize")
        }
    }

    private static func bucketIndices(_ sequence: Tensor, _ values: Tensor, right: Bool, sorter: Tensor?,
                                      op: String) throws -> Tensor {
        try require(sequence.rank >= 1, "\(op): the sorted sequence must have at least one dimension, got a scalar",
                    .shapeMismatch)
        let oneSequence = sequence.rank == 1
        if !oneSequence {
            try require(values.rank == sequence.rank && Array(values.shape.dropLast()) == Array(sequence.shape.dropLast()),
                        "\(op): a sorted sequence of shape \(sequence.shape) needs values with the same leading dimensions "
                        + "\(Array(sequence.shape.dropLast())), got shape \(values.shape)", .shapeMismatch)
        }
        if let sorter {
            try require(sorter.dtype == .int64, "\(op): sorter must be int64, got \(sorter.dtype)", .dtypeMismatch)
            try require(sorter.shape == sequence.shape,
                        "\(op): sorter has shape \(sorter.shape), the sorted sequence \(sequence.shape)", .shapeMismatch)
        }
        let m = sequence.shape[sequence.rank - 1]
        let order = sorter?.detach().contiguous().intScalars   // int64 read exactly (not through Double)
        if let order {
            try require(order.allSatisfy { $0 >= 0 && $0 < m }, "\(op): sorter holds an index outside 0..<\(m)", .indexOutOfRange)
        }
        let common = Tensor.resultType(sequence, values)   // PyTorch's rule: a rank-0 value does not widen the sequence
        let s = sequence.detach().to(common).contiguous(), v = values.detach().to(common).contiguous()
        let out = Tensor(uninitializedShape: values.shape, dtype: .int64)
        let dst = out.pointer(Int64.self)
        let perLine = values.rank == 0 ? 1 : values.shape[values.rank - 1]
        func run<T: Comparable>(_: T.Type) {
            let sp = s.pointer(T.self), vp = v.pointer(T.self)
            for k in 0..<values.count {
                let line = oneSequence ? 0 : k / Swift.max(perLine, 1)
                let base = line &* m
                @inline(__always) func at(_ i: Int) -> T { sp[base &+ (order.map { $0[base &+ i] } ?? i)] }
                let x = vp[k]
                var lo = 0, hi = m
                while lo < hi {
                    let mid = lo &+ (hi &- lo) >> 1
                    // PyTorch's comparisons, which send NaN (not >= and not > anything) to the right.
                    let goesRight = right ? !(at(mid) > x) : !(at(mid) >= x)
                    if goesRight { lo = mid &+ 1 } else { hi = mid }
                }
                dst[k] = Int64(lo)
            }
        }
        withExtendedLifetime((s, v)) {
            switch common {
            case .float32: run(Float.self)
            case .float64: run(Double.self)
            case .int64: run(Int64.self)
            }
        }
        return out
    }
}
