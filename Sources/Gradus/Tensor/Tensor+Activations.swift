// Activation functions as tensor operations (the NN folder wraps them as modules).

/// How ``Tensor/gelu(approximate:)`` evaluates the Gaussian CDF.
public enum GELUApproximation: String, Sendable {
    /// The exact form, x·Φ(x) with the error function.
    case none
    /// The tanh approximation 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
    case tanh
}

extension Tensor {
    /// max(x, 0). Its gradient at 0 is 0, as in PyTorch.
    ///
    /// ```swift
    /// let h = (x.matmul(w) + b).relu()
    /// ```
    public func relu() -> Tensor {
        if dtype == .int64 { return clamp(min: 0 as Int64) }   // as PyTorch: int64 stays int64
        return checked {
            try requireFloat("relu")
            let out = Tensor(uninitializedShape: shape, dtype: dtype)
            if dtype == .float32 {
                try Tensor.reluKernel(pointer(Float.self), out.pointer(Float.self), count)
            } else {
                try Tensor.reluKernel(pointer(Double.self), out.pointer(Double.self), count)
            }
            record("relu", output: out, inputs: [self]) { g, y in
                // Recording the backward (createGraph): tensor operations. Otherwise one fused pass.
                if GradMode.isEnabled || g.shape != y.shape || g.dtype != y.dtype { return [g.maskedWhere(y.le(0.0), 0)] }
                let dx = Tensor(uninitializedShape: y.shape, dtype: y.dtype)
                if y.dtype == .float32 {
                    Tensor.reluBackwardKernel(g.pointer(Float.self), y.pointer(Float.self), dx.pointer(Float.self), y.count)
                } else {
                    Tensor.reluBackwardKernel(g.pointer(Double.self), y.pointer(Double.self), dx.pointer(Double.self), y.count)
                }
                return [dx]
            }
            return out
        }
    }

    /// Elements per thread from which relu and its backward are split across threads. Unlike the
    /// generic elementwise kernels, their loops are written out inside the parallel part (no closure
    /// call per element), so splitting pays for tensors that sit in the caches (LeNet's activations).
    static let reluGrain = 1 << 15

    /// y = max(x, 0), written as `x < 0 ? 0 : x` to keep NaN, as PyTorch does.
    static func reluKernel<T: TensorFloat>(_ x: UnsafeMutablePointer<T>, _ y: UnsafeMutablePointer<T>, _ n: Int) throws {
        let (xs, ys) = (UncheckedSendable(x), UncheckedSendable(y))
        Threading.parallelFor(n, grain: reluGrain) { r in
            let x = xs.value, y = ys.value
            for i in r { y[i] = x[i] < 0 ? 0 : x[i] }
        }
    }

    /// dx = 0 where the relu's output y is ≤ 0, g elsewhere: a NaN input passes its gradient on, as in
    /// PyTorch's `threshold_backward`.
    static func reluBackwardKernel<T: TensorFloat>(_ g: UnsafeMutablePointer<T>, _ y: UnsafeMutablePointer<T>,
                                                   _ dx: UnsafeMutablePointer<T>, _ n: Int) {
        let (gs, ys, ds) = (UncheckedSendable(g), UncheckedSendable(y), UncheckedSendable(dx))
        Threading.parallelFor(n, grain: reluGrain) { r in
            let g = gs.value, y = ys.value, dx = ds.value
            // Both loads unconditional, so that the select vectorizes (a conditional load does not).
            for i in r {
                let gi = g[i], yi = y[i]
                dx[i] = yi <= 0 ? 0 : gi
            }
        }
    }

    /// x for x > 0, `negativeSlope`·x otherwise.
    public func leakyRelu(negativeSlope: Double = 0.01) -> Tensor {
        checked {
            let s = negativeSlope, sf = Float(s)
            let out = try map("leakyRelu", { $0 > 0 ? $0 : $0 * sf }, { $0 > 0 ? $0 : $0 * s })
            record("leakyRelu", output: out, inputs: [self]) { g, _ in
                [try g * self.map("leakyRelu.slope", { $0 > 0 ? 1 : sf }, { $0 > 0 ? 1 : s })]
            }
            return out
        }
    }

    /// x for x > 0, `alpha`·(eˣ − 1) otherwise.
    public func elu(alpha: Double = 1) -> Tensor {
        checked {
            let a = alpha, af = Float(alpha)
            let out = try map("elu", { $0 > 0 ? $0 : af * Float.expm1($0) }, { $0 > 0 ? $0 : a * Double.expm1($0) })
            record("elu", output: out, inputs: [self]) { g, _ in
                // PyTorch's elu_backward: the exponential branch where x ≤ 0, g elsewhere (NaN included).
                let negativeBranch = self.minimum(Tensor.zeros(like: self)).exp() * a
                return [g * Tensor.where(self.le(0.0), negativeBranch, Tensor.ones([], dtype: negativeBranch.dtype))]
            }
            return out
        }
    }

    /// The Gaussian error linear unit x·Φ(x), exact or with the tanh approximation.
    public func gelu(approximate: GELUApproximation = .none) -> Tensor {
        checked {
            switch approximate {
            case .none:
                let r2 = 1 / 2.0.squareRoot(), r2f = Float(r2)
                let out = try map("gelu", { 0.5 * $0 * (1 + Float.erf($0 * r2f)) }, { 0.5 * $0 * (1 + Double.erf($0 * r2)) })
                record("gelu", output: out, inputs: [self]) { g, _ in
                    let cdf = ((self * r2).erf() + 1) * 0.5
                    let pdf = (self.square() * -0.5).exp() * (1 / (2 * Double.pi).squareRoot())
                    return [g * (cdf + self * pdf)]
                }
                return out
            case .tanh:
                let k = (2 / Double.pi).squareRoot(), kf = Float(k)
                let out = try map("gelu",
                              { 0.5 * $0 * (1 + Float.tanh(kf * ($0 + 0.044715 * $0 * $0 * $0))) },
                              { 0.5 * $0 * (1 + Double.tanh(k * ($0 + 0.044715 * $0 * $0 * $0))) })
                record("gelu", output: out, inputs: [self]) { g, _ in
                    let inner = (self + self.pow(3) * 0.044715) * k
                    let t = inner.tanh()
                    let dInner = (self.square() * (3 * 0.044715) + 1) * k
                    return [g * ((t + 1) * 0.5 + self * 0.5 * (1 - t.square()) * dInner)]
                }
                return out
            }
        }
    }

    /// log(1 + e^(β·x)) / β, and x itself where β·x exceeds `threshold` (for stability), as in PyTorch.
    public func softplus(beta: Double = 1, threshold: Double = 20) -> Tensor {
        checked {
            let b = beta, bf = Float(beta), th = threshold, thf = Float(threshold)
            let out = try map("softplus",
                          { $0 * bf > thf ? $0 : Float.log1p(Float.exp($0 * bf)) / bf },
                          { $0 * b > th ? $0 : Double.log1p(Double.exp($0 * b)) / b })
            record("softplus", output: out, inputs: [self]) { g, _ in
                let linear = (self * b).gt(th)
                return [g * (linear + (1 - linear) * (self * b).sigmoid())]
            }
            return out
        }
    }

    /// x·σ(x), also called swish.
    public func silu() -> Tensor {
        checked {
            let out = try map("silu", { $0 / (1 + Float.exp(-$0)) }, { $0 / (1 + Double.exp(-$0)) })
            record("silu", output: out, inputs: [self]) { g, _ in
                let s = self.sigmoid()
                return [g * s * (1 + self * (1 - s))]
            }
            return out
        }
    }
}
