// Scatter with replacement (PyTorch's `scatter`, out of place): the counterpart of `scatterAdd`, which
// adds. The positions are those of `scatterAdd`; where several elements of `index` name one position,
// the last one written stays (PyTorch leaves that case unspecified).

extension Tensor {
    /// This tensor with `source`'s values written at the positions `index` names along `axis`: for axis
    /// 1, `out[i][index[i][j]] = source[i][j]` (PyTorch's `scatter`, out of place). Gradients: the
    /// upstream gradient with zeros at the written positions for this tensor; the gradient gathered
    /// from those positions for `source`.
    ///
    /// - Parameters:
    ///   - axis: the dimension `index` addresses.
    ///   - index: int64, of this tensor's rank; no dimension larger than `source`'s (nor, other than
    ///     `axis`, than this tensor's).
    ///   - source: the values, of this tensor's dtype and rank.
    ///
    /// ```swift
    /// let oneHot = Tensor.zeros([3, 4]).scatter(axis: 1, index: labels.unsqueeze(1), source: Tensor.ones([3, 1]))
    /// ```
    public func scatter(axis: Int, index: Tensor, source: Tensor) -> Tensor {
        checked {
            let a = try scatterAxis(axis, index: index, source: source, op: "scatter")
            let out = GradMode.noGrad { contiguous().clone() }
            let written = Tensor.zeros(shape, dtype: dtype.isFloatingPoint ? dtype : .float32)
            let st = contiguousStrides(shape), sst = contiguousStrides(source.shape)
            let ip = index.pointer(Int64.self)
            let size = dtype.byteSize
            let destination = out.rawPointer, values = source.rawPointer
            let marks = written.rawPointer
            var idx = [Int](repeating: 0, count: rank)
            for k in 0..<index.count {
                var off = 0, soff = 0
                for d in 0..<rank { off += (d == a ? Int(ip[k]) : idx[d]) * st[d]; soff += idx[d] * sst[d] }
                (destination + off * size).copyMemory(from: values + soff * size, byteCount: size)
                if written.dtype == .float32 { marks.storeBytes(of: Float(1), toByteOffset: off * 4, as: Float.self) }
                else { marks.storeBytes(of: Double(1), toByteOffset: off * 8, as: Double.self) }
                var d = rank - 1
                while d >= 0 { idx[d] += 1; if idx[d] < index.shape[d] { break }; idx[d] = 0; d -= 1 }
            }
            guard dtype.isFloatingPoint else { return out }
            let sourceShape = source.shape
            record("scatter", output: out, inputs: [self, source], saved: [index]) { g, _ in
                var gs = g.gather(axis: a, index: index)
                if gs.shape != sourceShape {
                    // Elements of `source` beyond `index`'s extent were not written: no gradient.
                    gs = gs.pad(Array(Swift.zip(Array(repeating: 0, count: sourceShape.count),
                                                Swift.zip(sourceShape, index.shape).map { $0 - $1 }).reversed().flatMap { [$0.0, $0.1] }))
                }
                return [g.maskedWhere(written, 0), gs]
            }
            return out
        }
    }

    /// This tensor with `value` written at the positions `index` names along `axis` (PyTorch's
    /// `scatter(dim, index, value)`, out of place). The gradient is 0 at the written positions.
    ///
    /// ```swift
    /// let masked = scores.scatter(axis: 1, index: banned, value: -.infinity)
    /// ```
    public func scatter(axis: Int, index: Tensor, value: Double) -> Tensor {
        checked {
            try checkIndex(index, op: "scatter")
            let source = Tensor.full(index.shape, value: value, dtype: dtype)
            return scatter(axis: axis, index: index, source: source)
        }
    }
}
