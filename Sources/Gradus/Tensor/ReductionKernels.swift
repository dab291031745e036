/// The loop behind reductions along one axis: the tensor is seen as [outer, n, inner] and reduced to
/// [outer, inner].
extension Tensor {
    func axisLayout(_ a: Int) -> (outer: Int, n: Int, inner: Int) {
        let outer = shape[..<a].reduce(1, *)
        let inner = shape[(a + 1)...].reduce(1, *)
        return (outer, shape[a], inner)
    }

    /// Sum along one axis, keeping it as size 1.
    func sumKernel(axis a: Int) -> Tensor {
        let (outer, n, inner) = axisLayout(a)
        let out = Tensor(uninitializedShape: keepDimsShape([a]), dtype: dtype)
        func run<T: TensorFloat>(_: T.Type) {
            let src = pointer(T.self), dst = out.pointer(T.self)
            if inner == 1 {
                for o in 0..<outer { dst[o] = Tensor.rowSum(src + o &* n, n) }
            } else {
                for o in 0..<outer {
                    let d = dst + o &* inner
                    d.update(repeating: 0, count: inner)
                    for k in 0..<n {
                        let s = src + (o &* n &+ k) &* inner
                        for i in 0..<inner { d[i] += s[i] }
                    }
                }
            }
        }
        switch dtype {
        case .float32: run(Float.self)
        case .float64: run(Double.self)
        case .int64: fatalError("sum: int64 tensors are not summed here; convert with to(.float32)")
        }
        return out
    }

    /// Sum of `n` contiguous values with eight independent accumulators (vectorizes, and keeps rounding
    /// error close to a pairwise sum).
    @inline(__always)
    static func rowSum<T: TensorFloat>(_ p: UnsafeMutablePointer<T>, _ n: Int) -> T {
        var a0: T = 0, a1: T = 0, a2: T = 0, a3: T = 0, a4: T = 0, a5: T = 0, a6: T = 0, a7: T = 0
        var i = 0
        while i &+ 8 <= n {
            a0 += p[i]; a1 += p[i &+ 1]; a2 += p[i &+ 2]; a3 += p[i &+ 3]
            a4 += p[i &+ 4]; a5 += p[i &+ 5]; a6 += p[i &+ 6]; a7 += p[i &+ 7]
            i &+= 8
        }
        var tail: T = 0
        while i < n { tail += p[i]; i &+= 1 }
        return ((a0 + a4) + (a1 + a5)) + ((a2 + a6) + (a3 + a7)) + tail
    }

    /// Maximum (or minimum) along one axis with the index of its first occurrence; NaN wins, as in PyTorch.
    func extremumKernel(axis a: Int, largest: Bool) throws -> (values: Tensor, indices: Tensor) {
        let (outer, n, inner) = axisLayout(a)
        try require(n > 0, "\(largest ? "max" : "min"): cannot reduce an empty dimension (shape \(shape), axis \(a))", .shapeMismatch)
        let shapeOut = keepDimsShape([a])
        let values = Tensor(uninitializedShape: shapeOut, dtype: dtype)
        let indices = Tensor(uninitializedShape: shapeOut, dtype: .int64)
        let ip = indices.pointer(Int64.self)
        func run<T: Comparable>(_: T.Type, isNaN: (T) -> Bool) {
            let src = pointer(T.self), dst = values.pointer(T.self)
            for o in 0..<outer {
                for i in 0..<inner {
                    var best = src[o &* n &* inner &+ i]
                    var bi = 0
                    if !isNaN(best) {
                        for k in 1..<Swift.max(n, 1) {
                            let v = src[(o &* n &+ k) &* inner &+ i]
                            if isNaN(v) { best = v; bi = k; break }
                            if largest ? v > best : v < best { best = v; bi = k }
                        }
                    }
                    dst[o &* inner &+ i] = best
                    ip[o &* inner &+ i] = Int64(bi)
                }
            }
        }
        switch dtype {
        case .float32: run(Float.self, isNaN: { $0.isNaN })
        case .float64: run(Double.self, isNaN: { $0.isNaN })
        case .int64: run(Int64.self, isNaN: { _ in false })
        }
        return (values, indices)
    }
}
