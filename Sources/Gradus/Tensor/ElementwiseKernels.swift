/// The loops behind elementwise operations: one generic body, specialized for Float and Double.
extension Tensor {
    /// Stops unless this tensor is floating point.
    @inline(__always)
    func requireFloat(_ op: String) throws {
        try require(dtype.isFloatingPoint, "\(op): needs a floating-point tensor, got \(dtype) of shape \(shape)", .dtypeMismatch)
    }

    /// A new tensor of the same shape with `f` applied to each element.
    @inline(__always)
    func map(_ op: String, _ f32: (Float) -> Float, _ f64: (Double) -> Double) throws -> Tensor {
        try requireFloat(op)
        let out = Tensor(uninitializedShape: shape, dtype: dtype)
        switch dtype {
        case .float32: try Tensor.mapKernel(pointer(Float.self), out.pointer(Float.self), count, f32)
        case .float64: try Tensor.mapKernel(pointer(Double.self), out.pointer(Double.self), count, f64)
        case .int64: break
        }
        return out
    }

    @inline(__always)
    static func mapKernel<T>(_ src: UnsafeMutablePointer<T>, _ dst: UnsafeMutablePointer<T>, _ n: Int, _ f: (T) -> T) throws {
        Threading.parallelFor(n, grain: Threading.elementwiseGrain) { r in
            for i in r { dst[i] = f(src[i]) }
        }
    }

    /// A new tensor of the broadcast shape with `f` applied to pairs of elements.
    @inline(__always)
    func zipWith(_ other: Tensor, _ op: String, _ f32: (Float, Float) -> Float, _ f64: (Double, Double) -> Double) throws -> Tensor {
        try requireFloat(op)
        try require(dtype == other.dtype, "\(op): dtypes \(dtype) and \(other.dtype) differ (shapes \(shape) and \(other.shape)); convert one with to(_:)", .dtypeMismatch)
        let outShape = shape == other.shape ? shape : try Broadcast.shape(shape, other.shape, op: op)
        let out = Tensor(uninitializedShape: outShape, dtype: dtype)
        switch dtype {
        case .float32: try Tensor.zipKernel(self, other, out, f32)
        case .float64: try Tensor.zipKernel(self, other, out, f64)
        case .int64: break
        }
        return out
    }

    @inline(__always)
    static func zipKernel<T>(_ a: Tensor, _ b: Tensor, _ out: Tensor, _ f: (T, T) -> T) throws {
        let pa = a.pointer(T.self), pb = b.pointer(T.self), po = out.pointer(T.self)
        let n = out.count
        if a.count == n && b.count == n {
            Threading.parallelFor(n, grain: Threading.elementwiseGrain) { r in
                for i in r { po[i] = f(pa[i], pb[i]) }
            }
        } else if b.count == 1 && a.count == n {
            let s = pb[0]
            Threading.parallelFor(n, grain: Threading.elementwiseGrain) { r in
                for i in r { po[i] = f(pa[i], s) }
            }
        } else if a.count == 1 && b.count == n {
            let s = pa[0]
            Threading.parallelFor(n, grain: Threading.elementwiseGrain) { r in
                for i in r { po[i] = f(s, pb[i]) }
            }
        } else {
            let sa = Broadcast.strides(of: a.shape, broadcastTo: out.shape)
            let sb = Broadcast.strides(of: b.shape, broadcastTo: out.shape)
            forEachInnerRun(shape: out.shape, stridesA: sa, stridesB: sb) { oa, ob, o, n, ia, ib in
                let x = pa + oa, y = pb + ob, z = po + o
                if ia == 1 && ib == 1 {
                    for j in 0..<n { z[j] = f(x[j], y[j]) }
                } else if ia == 1 {
                    let s = y[0]
                    for j in 0..<n { z[j] = f(x[j], s) }
                } else if ib == 1 {
                    let s = x[0]
                    for j in 0..<n { z[j] = f(s, y[j]) }
                } else {
                    let v = f(x[0], y[0])
                    for j in 0..<n { z[j] = v }
                }
            }
        }
    }

    /// A new tensor of the broadcast shape of three inputs with `f` applied elementwise (for `where`).
    func zip3(_ b: Tensor, _ c: Tensor, _ op: String,
              _ f32: (Float, Float, Float) -> Float, _ f64: (Double, Double, Double) -> Double) throws -> Tensor {
        try requireFloat(op)
        try require(dtype == b.dtype && dtype == c.dtype, "\(op): dtypes \(dtype), \(b.dtype) and \(c.dtype) differ", .dtypeMismatch)
        let s1 = try Broadcast.shape(shape, b.shape, op: op)
        let outShape = try Broadcast.shape(s1, c.shape, op: op)
        let out = Tensor(uninitializedShape: outShape, dtype: dtype)
        let sa = Broadcast.strides(of: shape, broadcastTo: outShape)
        let sb = Broadcast.strides(of: b.shape, broadcastTo: outShape)
        let sc = Broadcast.strides(of: c.shape, broadcastTo: outShape)
        func run<T>(_ f: (T, T, T) -> T) {
            let pa = pointer(T.self), pb = b.pointer(T.self), pc = c.pointer(T.self), po = out.pointer(T.self)
            var idx = [Int](repeating: 0, count: outShape.count)
            var oa = 0, ob = 0, oc = 0
            for i in 0..<out.count {
                po[i] = f(pa[oa], pb[ob], pc[oc])
                var d = outShape.count - 1
                while d >= 0 {
                    idx[d] += 1; oa += sa[d]; ob += sb[d]; oc += sc[d]
                    if idx[d] < outShape[d] { break }
                    oa -= sa[d] * outShape[d]; ob -= sb[d] * outShape[d]; oc -= sc[d] * outShape[d]
                    idx[d] = 0
                    d -= 1
                }
            }
        }
        switch dtype {
        case .float32: run(f32)
        case .float64: run(f64)
        case .int64: break
        }
        return out
    }
}
