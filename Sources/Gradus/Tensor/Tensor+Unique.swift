// The distinct values of a tensor (PyTorch's `torch.unique` over the flattened tensor). Not
// differentiable, as in PyTorch.

extension Tensor {
    /// The distinct values of this tensor in ascending order, with, for every element, the position of
    /// its value among them (`inverse`, shaped like this tensor) and how often each value occurs
    /// (`counts`) — PyTorch's `torch.unique(x, sorted=True, return_inverse=True, return_counts=True)`.
    /// NaN values are each distinct and come last, as in PyTorch.
    ///
    /// ```swift
    /// let (values, inverse, counts) = Tensor(labels: [3, 1, 3, 2]).unique()
    /// // values [1, 2, 3], inverse [2, 0, 2, 1], counts [1, 1, 2]
    /// ```
    public func unique() -> (values: Tensor, inverse: Tensor, counts: Tensor) {
        let empty = (Tensor.placeholder(), Tensor.placeholder(), Tensor.placeholder())
        return checked(or: empty) {
            if dtype == .int64 {
                let values = intScalars
                let distinct = Array(Set(values)).sorted()
                let position = Dictionary(uniqueKeysWithValues: distinct.enumerated().map { ($1, $0) })
                var counts = [Int](repeating: 0, count: distinct.count)
                let inverse = values.map { v -> Int in let p = position[v]!; counts[p] += 1; return p }
                return (Tensor(shape: [distinct.count], integers: distinct), Tensor(shape: shape, integers: inverse),
                        Tensor(shape: [counts.count], integers: counts))
            }
            let values = scalars(as: Double.self)
            let numbers = Array(Set(values.filter { !$0.isNaN })).sorted()
            let nanCount = values.count - values.filter { !$0.isNaN }.count
            let position = Dictionary(uniqueKeysWithValues: numbers.enumerated().map { ($1, $0) })
            var counts = [Int](repeating: 0, count: numbers.count) + [Int](repeating: 1, count: nanCount)
            var nextNaN = numbers.count
            let inverse = values.map { v -> Int in
                if v.isNaN { defer { nextNaN += 1 }; return nextNaN }
                let p = position[v]!
                counts[p] += 1
                return p
            }
            let distinct = numbers + [Double](repeating: .nan, count: nanCount)
            return (Tensor(shape: [distinct.count], values: distinct, dtype: dtype), Tensor(shape: shape, integers: inverse),
                    Tensor(shape: [counts.count], integers: counts))
        }
    }
}

extension Tensor {
    /// The runs of equal consecutive values of the flattened tensor collapsed to one each (PyTorch's
    /// `torch.unique_consecutive`), with, for every element, the index of its run (`inverse`, shaped like
    /// this tensor) and each run's length (`counts`). NaN never equals NaN, so each NaN is a run of its own.
    ///
    /// ```swift
    /// let (values, inverse, counts) = Tensor(labels: [1, 1, 2, 2, 2, 1]).uniqueConsecutive()
    /// // values [1, 2, 1], inverse [0, 0, 1, 1, 1, 2], counts [2, 3, 1]
    /// ```
    public func uniqueConsecutive() -> (values: Tensor, inverse: Tensor, counts: Tensor) {
        let empty = (Tensor.placeholder(), Tensor.placeholder(), Tensor.placeholder())
        return checked(or: empty) {
            func runs<T: Equatable>(_ values: [T]) -> (kept: [T], inverse: [Int], counts: [Int]) {
                var kept: [T] = [], inverse: [Int] = [], counts: [Int] = []
                inverse.reserveCapacity(values.count)
                for v in values {
                    if let last = kept.last, last == v { counts[counts.count - 1] += 1 } else { kept.append(v); counts.append(1) }
                    inverse.append(kept.count - 1)
                }
                return (kept, inverse, counts)
            }
            if dtype == .int64 {
                let r = runs(intScalars)
                return (Tensor(shape: [r.kept.count], integers: r.kept), Tensor(shape: shape, integers: r.inverse),
                        Tensor(shape: [r.counts.count], integers: r.counts))
            }
            let r = runs(scalars(as: Double.self))
            return (Tensor(shape: [r.kept.count], values: r.kept, dtype: dtype), Tensor(shape: shape, integers: r.inverse),
                    Tensor(shape: [r.counts.count], integers: r.counts))
        }
    }
}
