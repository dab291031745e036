// Softmax and log-softmax along an axis, computed stably (the maximum is subtracted first), each a
// primitive with its own backward rule.

extension Tensor {
    /// exp(x) / Σ exp(x) along `axis`.
    ///
    /// ```swift
    /// let probabilities = logits.softmax(axis: 1)
    /// ```
    public func softmax(axis: Int = -1) -> Tensor {
        checked {
            let a = try self.axis(axis, op: "softmax")
            let out = try softmaxKernel(axis: a, log: false)
            record("softmax", output: out, inputs: [self]) { g, y in
                [y * (g - (g * y).sum(axes: [a], keepDims: true))]
            }
            return out
        }
    }

    /// x − log Σ exp(x) along `axis`: the logarithm of ``softmax(axis:)``, without its underflow.
    ///
    /// ```swift
    /// let logProbs = logits.logSoftmax(axis: 1)
    /// ```
    public func logSoftmax(axis: Int = -1) -> Tensor {
        checked {
            let a = try self.axis(axis, op: "logSoftmax")
            let out = try softmaxKernel(axis: a, log: true)
            record("logSoftmax", output: out, inputs: [self]) { g, y in
                [g - y.exp() * g.sum(axes: [a], keepDims: true)]
            }
            return out
        }
    }

    func softmaxKernel(axis a: Int, log: Bool) throws -> Tensor {
        try requireFloat(log ? "logSoftmax" : "softmax")
        let (outer, n, inner) = axisLayout(a)
        let out = Tensor(uninitializedShape: shape, dtype: dtype)
        func run<T: TensorFloat>(_: T.Type) {
            let src = pointer(T.self), dst = out.pointer(T.self)
            for o in 0..<outer {
                for i in 0..<inner {
                    let base = o &* n &* inner &+ i
                    var m = -T.infinity
                    for k in 0..<n { m = Swift.max(m, src[base &+ k &* inner]) }
                    if !m.isFinite { m = 0 }
                    var s: T = 0
                    for k in 0..<n {
                        let e = T.exp(src[base &+ k &* inner] - m)
                        if !log { dst[base &+ k &* inner] = e }
                        s += e
                    }
                    if log {
                        // (x − max) − log Σ, not x − (max + log Σ): with a large common offset the sum
                        // max + log Σ rounds away the digits that the result keeps.
                        let ls = T.log(s)
                        for k in 0..<n { dst[base &+ k &* inner] = (src[base &+ k &* inner] - m) - ls }
                    } else {
                        let r = 1 / s
                        for k in 0..<n { dst[base &+ k &* inner] *= r }
                    }
                }
            }
        }
        if dtype == .float32 { run(Float.self) } else { run(Double.self) }
        return out
    }
}
