// Set membership of elements (PyTorch's `torch.isin`).

extension Tensor {
    /// 1 where an element of this tensor is among the elements of `testElements`, else 0 (PyTorch's
    /// `torch.isin`; with `invert`, the reverse). Like every comparison it gives a 0/1 mask in the dtype the
    /// two are compared in (as `eq` does), and carries no gradient. NaN is in no set, as NaN ≠ NaN.
    /// Integers are compared exactly, also beyond 2⁵³.
    ///
    /// - Parameters:
    ///   - testElements: the set, of any shape.
    ///   - invert: 1 where the element is *not* in the set.
    ///
    /// ```swift
    /// Tensor(shape: [4], integers: [1, 2, 3, 4]).isin(Tensor(shape: [2], integers: [2, 4]))   // [0, 1, 0, 1]
    /// ```
    public func isin(_ testElements: Tensor, invert: Bool = false) -> Tensor {
        checked {
            let r = Tensor.resultType(self, testElements)
            let elements = detached(as: r).contiguous(), set = testElements.detached(as: r).contiguous()
            let out = Tensor(uninitializedShape: shape, dtype: r)
            let hit: Int64 = invert ? 0 : 1, miss: Int64 = invert ? 1 : 0
            func run<T: Comparable>(_: T.Type, keep: (T) -> Bool, one: T, zero: T) {
                let sorted = Array(UnsafeBufferPointer(start: set.pointer(T.self), count: set.count)).filter(keep).sorted()
                let src = elements.pointer(T.self), dst = out.pointer(T.self)
                for k in 0..<count {
                    let v = src[k]
                    // Binary search for the first element not below v.
                    var lo = 0, hi = sorted.count
                    while lo < hi {
                        let mid = (lo + hi) / 2
                        if sorted[mid] < v { lo = mid + 1 } else { hi = mid }
                    }
                    dst[k] = lo < sorted.count && sorted[lo] == v ? one : zero
                }
            }
            withExtendedLifetime((elements, set)) {
                switch r {
                case .float32: run(Float.self, keep: { !$0.isNaN }, one: Float(hit), zero: Float(miss))
                case .float64: run(Double.self, keep: { !$0.isNaN }, one: Double(hit), zero: Double(miss))
                case .int64: run(Int64.self, keep: { _ in true }, one: hit, zero: miss)
                }
            }
            return out
        }
    }
}
