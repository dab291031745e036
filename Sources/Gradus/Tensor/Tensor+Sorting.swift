// Sorting and selection along an axis: sort, argsort, topk. The order is computed once as int64
// indices; the values are a `gather` of the input by them, so their gradient is scattered back to the
// positions the values came from (as for `max(axis:)`) and can be differentiated again.

extension Tensor {
    /// The elements sorted along `axis`, with the position each came from (PyTorch's `torch.sort`
    /// with `stable=True`).
    ///
    /// The sort is stable: equal elements keep their order, in both directions. NaN sorts as the
    /// largest value (last when ascending, first when descending), as in PyTorch. The gradient of the
    /// values goes back to the positions they were taken from.
    ///
    /// - Parameters:
    ///   - axis: the dimension to sort along (default the last); negative values count from the end.
    ///   - descending: largest first instead of smallest first.
    /// - Returns: the sorted values (this tensor's shape and dtype) and their int64 indices along `axis`.
    ///
    /// ```swift
    /// let (values, order) = Tensor([[3, 1, 2]]).sort(axis: 1)   // [[1, 2, 3]], [[1, 2, 0]]
    /// ```
    public func sort(axis: Int = -1, descending: Bool = false) -> (values: Tensor, indices: Tensor) {
        checked(or: (Tensor.placeholder(), Tensor.placeholder())) {
            if rank == 0 {
                try require(axis == 0 || axis == -1, "sort: axis \(axis) is out of range for a tensor of rank 0", .indexOutOfRange)
                let (v, i) = reshape([1]).sort(axis: 0, descending: descending)
                return (v.reshape([]), i.reshape([]))
            }
            let a = try self.axis(axis, op: "sort", scalarAxis: true)
            let indices = sortedIndices(axis: a, descending: descending)
            return (gather(axis: a, index: indices), indices)
        }
    }

    /// The int64 indices that sort this tensor along `axis` (PyTorch's `torch.argsort` with
    /// `stable=True`): `sort(axis:descending:).indices`, without computing the values.
    ///
    /// - Parameters:
    ///   - axis: the dimension to sort along (default the last).
    ///   - descending: largest first instead of smallest first.
    ///
    /// ```swift
    /// let ranking = scores.argsort(axis: 1, descending: true)
    /// ```
    public func argsort(axis: Int = -1, descending: Bool = false) -> Tensor {
        checked {
            if rank == 0 {
                try require(axis == 0 || axis == -1, "argsort: axis \(axis) is out of range for a tensor of rank 0", .indexOutOfRange)
                return Tensor.zeros([], dtype: .int64)
            }
            return sortedIndices(axis: try self.axis(axis, op: "argsort", scalarAxis: true), descending: descending)
        }
    }

    /// The `k` largest (or smallest) elements along `axis` with their positions (PyTorch's `torch.topk`).
    ///
    /// Results come largest first (smallest first when `largest` is false). Among equal elements the
    /// one earlier along `axis` comes first. NaN counts as larger than every number. The gradient of
    /// the values goes back to the positions they were taken from; the other elements get zero.
    ///
    /// - Parameters:
    ///   - k: how many elements to keep, from 0 to the size of `axis`.
    ///   - axis: the dimension to select along (default the last).
    ///   - largest: keep the largest elements (default) or the smallest.
    ///   - sorted: PyTorch's flag for returning the elements in order; they always are here.
    /// - Returns: values and int64 indices, of this tensor's shape with `axis` of size `k`.
    ///
    /// ```swift
    /// let (best, classes) = logits.topk(5, axis: 1)   // [N, C] -> [N, 5]
    /// ```
    public func topk(_ k: Int, axis: Int = -1, largest: Bool = true, sorted: Bool = true) -> (values: Tensor, indices: Tensor) {
        checked(or: (Tensor.placeholder(), Tensor.placeholder())) {
            if rank == 0 {
                try require(axis == 0 || axis == -1, "topk: axis \(axis) is out of range for a tensor of rank 0", .indexOutOfRange)
                try require(k >= 0 && k <= 1, "topk: k = \(k) is out of range for a tensor of rank 0 (one element)", .indexOutOfRange)
                let (v, i) = reshape([1]).topk(k, axis: 0, largest: largest, sorted: sorted)
                return k == 1 ? (v.reshape([]), i.reshape([])) : (v, i)
            }
            let a = try self.axis(axis, op: "topk", scalarAxis: true)
            try require(k >= 0 && k <= shape[a], "topk: k = \(k) is out of range 0...\(shape[a]) for axis \(a) of shape \(shape)", .indexOutOfRange)
            let indices = sortedIndices(axis: a, descending: largest).slice(axis: a, start: 0, end: k)
            return (gather(axis: a, index: indices), indices)
        }
    }

    /// The int64 positions that sort each line along axis `a` (already normalized), stably, with NaN
    /// as the largest value.
    func sortedIndices(axis a: Int, descending: Bool) -> Tensor {
        let (outer, n, inner) = axisLayout(a)
        let out = Tensor(uninitializedShape: shape, dtype: .int64)
        let ip = out.pointer(Int64.self)
        func run<T: Comparable>(_: T.Type, isNaN: (T) -> Bool) {
            let src = pointer(T.self)
            var order = [Int](repeating: 0, count: n)
            var line = [T]()
            line.reserveCapacity(n)
            for o in 0..<outer {
                for i in 0..<inner {
                    let base = o &* n &* inner &+ i
                    line.removeAll(keepingCapacity: true)
                    for k in 0..<n {
                        line.append(src[base &+ k &* inner])
                        order[k] = k
                    }
                    // Ties (and two NaNs) are ordered by position, which makes the sort stable whatever
                    // algorithm the standard library uses.
                    order.sort { p, q in
                        let u = line[p], v = line[q]
                        let uNaN = isNaN(u), vNaN = isNaN(v)
                        if uNaN || vNaN {
                            if uNaN && vNaN { return p < q }
                            return descending ? uNaN : vNaN
                        }
                        if u == v { return p < q }
                        return descending ? u > v : u < v
                    }
                    for k in 0..<n { ip[base &+ k &* inner] = Int64(order[k]) }
                }
            }
        }
        switch dtype {
        case .float32: run(Float.self, isNaN: { $0.isNaN })
        case .float64: run(Double.self, isNaN: { $0.isNaN })
        case .int64: run(Int64.self, isNaN: { _ in false })
        }
        return out
    }
}
