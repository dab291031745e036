// Running maxima and minima along an axis with the positions they come from (PyTorch's `torch.cummax`
// and `torch.cummin`). The positions are computed once as int64 indices, following PyTorch's kernel
// (cummax_cummin_helper): a tie moves the position to the later element, and a NaN, once met, stays
// the value, each further NaN taking the position. The values are a `gather` of the input by them, so
// their gradient goes back to the positions (summed where one element is the extreme of several
// prefixes), as PyTorch's cummaxmin_backward scatters it.

extension Tensor {
    /// The largest element of each prefix along `axis` and its position (PyTorch's `torch.cummax`).
    ///
    /// Among equal values the later position is given; a NaN propagates to the rest of the line. The
    /// gradient of the values goes back to the positions they were taken from.
    ///
    /// - Parameter axis: the dimension to scan; negative values count from the end.
    /// - Returns: values of this tensor's shape and dtype, and int64 indices along `axis`.
    ///
    /// ```swift
    /// let (values, indices) = Tensor([1.0, 3, 2, 5]).cummax(axis: 0)   // [1, 3, 3, 5], [0, 1, 1, 3]
    /// ```
    public func cummax(axis: Int) -> (values: Tensor, indices: Tensor) {
        checked(or: (Tensor.placeholder(), Tensor.placeholder())) { try runningExtreme(axis: axis, largest: true) }
    }

    /// The smallest element of each prefix along `axis` and its position (PyTorch's `torch.cummin`);
    /// ties and NaN as ``cummax(axis:)``.
    ///
    /// - Parameter axis: the dimension to scan; negative values count from the end.
    /// - Returns: values of this tensor's shape and dtype, and int64 indices along `axis`.
    ///
    /// ```swift
    /// let (values, indices) = Tensor([4.0, 2, 2, 3]).cummin(axis: 0)   // [4, 2, 2, 2], [0, 1, 2, 2]
    /// ```
    public func cummin(axis: Int) -> (values: Tensor, indices: Tensor) {
        checked(or: (Tensor.placeholder(), Tensor.placeholder())) { try runningExtreme(axis: axis, largest: false) }
    }

    private func runningExtreme(axis: Int, largest: Bool) throws -> (values: Tensor, indices: Tensor) {
        let op = largest ? "cummax" : "cummin"
        if rank == 0 {
            try require(axis == 0 || axis == -1, "\(op): axis \(axis) is out of range for a tensor of rank 0", .indexOutOfRange)
            let (v, i) = try reshape([1]).runningExtreme(axis: 0, largest: largest)
            return (v.reshape([]), i.reshape([]))
        }
        let a = try self.axis(axis, op: op, scalarAxis: true)
        let indices = runningExtremeIndices(axis: a, largest: largest)
        return (gather(axis: a, index: indices), indices)
    }

    /// The int64 position of each prefix's extreme along axis `a` (normalized).
    private func runningExtremeIndices(axis a: Int, largest: Bool) -> Tensor {
        let (outer, n, inner) = axisLayout(a)
        let out = Tensor.zeros(shape, dtype: .int64)
        func run<T: Comparable>(_: T.Type, isNaN: (T) -> Bool) {
            withExtendedLifetime(self) {
                let src = pointer(T.self), ip = out.pointer(Int64.self)
                for o in 0..<outer {
                    for i in 0..<inner {
                        let base = o &* n &* inner &+ i
                        guard n > 0 else { continue }
                        var best = src[base], at = 0
                        for k in 0..<n {
                            let v = src[base &+ k &* inner]
                            if isNaN(v) || (!isNaN(best) && (largest ? v >= best : v <= best)) {
                                best = v
                                at = k
                            }
                            ip[base &+ k &* inner] = Int64(at)
                        }
                    }
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
