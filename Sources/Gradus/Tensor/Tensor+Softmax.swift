// Softmax and log-softmax along an axis, computed stably (the maximum is subtracted first), each a
// primitive with its own backward rule. Float32 over the last axis runs CGradusMath's vectorized rows
// (gradus_softmax.c), forward and, when the backward is not itself recorded, backward.

import CGradusMath

extension Tensor {
    /// exp(x) / Σ exp(x) along `axis`.
    ///
    /// ```swift
    /// let probabilities = logits.softmax(axis: 1)
    /// ```
    public func softmax(axis: Int = -1) -> Tensor {
        checked {
            let a = try self.axis(axis, op: "softmax", scalarAxis: true)
            // A scalar along axis 0 or -1 is one element: 1, as in PyTorch.
            if rank == 0 { return reshape([1]).softmax(axis: 0).reshape([]) }
            let out = try softmaxKernel(axis: a, log: false)
            record("softmax", output: out, inputs: [self]) { g, y in
                if let fused = Self.fusedSoftmaxBackward(y, g, axis: a, log: false) { return [fused] }
                return [y * (g - (g * y).sum(axes: [a], keepDims: true))]
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
            let a = try self.axis(axis, op: "logSoftmax", scalarAxis: true)
            // A scalar along axis 0 or -1 is one element: 0, as in PyTorch.
            if rank == 0 { return reshape([1]).logSoftmax(axis: 0).reshape([]) }
            let out = try softmaxKernel(axis: a, log: true)
            record("logSoftmax", output: out, inputs: [self]) { g, y in
                if let fused = Self.fusedSoftmaxBackward(y, g, axis: a, log: true) { return [fused] }
                return [g - y.exp() * g.sum(axes: [a], keepDims: true)]
            }
            return out
        }
    }

    /// Rows per thread below which a softmax runs on one thread (in elements: rows × row length).
    static let softmaxGrainElements = 32_768

    /// The backward of softmax (or log-softmax) over the last axis of Float32 tensors in one C pass, or
    /// nil where the tensor-operation rule applies (other dtypes or axes, or a recorded backward for
    /// higher derivatives).
    static func fusedSoftmaxBackward(_ y: Tensor, _ g: Tensor, axis a: Int, log: Bool) -> Tensor? {
        guard !GradMode.isEnabled, y.dtype == .float32, g.dtype == .float32, a == y.rank - 1, g.shape == y.shape,
              y.count > 0 else { return nil }
        let n = y.shape[a], rows = y.count / n
        let dx = Tensor(uninitializedShape: y.shape, dtype: .float32)
        let (py, pg, pd) = (y.pointer(Float.self), g.pointer(Float.self), dx.pointer(Float.self))
        Threading.parallelFor(rows, grain: Swift.max(1, softmaxGrainElements / n)) { r in
            gradus_softmax_backward_rows_f32(py + r.lowerBound * n, pg + r.lowerBound * n, pd + r.lowerBound * n,
                                             r.count, n, log ? 1 : 0)
        }
        return dx
    }

    func softmaxKernel(axis a: Int, log: Bool) throws -> Tensor {
        try requireFloat(log ? "logSoftmax" : "softmax")
        let (outer, n, inner) = axisLayout(a)
        let out = Tensor(uninitializedShape: shape, dtype: dtype)
        if dtype == .float32 && inner == 1 && n > 0 && outer > 0 {
            let (src, dst) = (pointer(Float.self), out.pointer(Float.self))
            Threading.parallelFor(outer, grain: Swift.max(1, Self.softmaxGrainElements / n)) { r in
                gradus_softmax_rows_f32(src + r.lowerBound * n, dst + r.lowerBound * n, r.count, n, log ? 1 : 0)
            }
            return out
        }
        func run<T: TensorFloat>(_: T.Type) {
            let src = pointer(T.self), dst = out.pointer(T.self)
            for o in 0..<outer {
                for i in 0..<inner {
                    let base = o &* n &* inner &+ i
                    var m = -T.infinity
                    for k in 0..<n { m = Swift.max(m, src[base &+ k &* inner]) }
                    if m == -T.infinity { m = 0 }   // as the Float32 kernel: a +inf maximum makes the row NaN
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
