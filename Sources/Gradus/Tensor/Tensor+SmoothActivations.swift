// Smooth activations beyond the common ones: mish, selu, celu, log-sigmoid and softsign (PyTorch's
// `F.mish`, `F.selu`, `F.celu`, `F.logsigmoid`, `F.softsign`). Each is composed of differentiable ops or
// has its backward from PyTorch's formula, so gradients match PyTorch's and can be differentiated again.

extension Tensor {
    /// x · tanh(softplus(x)) (PyTorch's `F.mish`).
    ///
    /// ```swift
    /// let y = x.mish()
    /// ```
    public func mish() -> Tensor {
        checked {
            try requireFloat("mish")
            // softplus without its threshold, as PyTorch's mish kernel: log1p(eˣ) (∞ for large x, where
            // tanh gives 1 and the result x).
            let out = try map("mish", { $0 * Float.tanh(Float.log1p(Float.exp($0))) },
                              { $0 * Double.tanh(Double.log1p(Double.exp($0))) })
            record("mish", output: out, inputs: [self]) { g, _ in
                // PyTorch's mish_backward: tanh(sp) + x · σ(x) · (1 − tanh(sp)²).
                let t = (self.exp().log1p()).tanh()
                return [g * (t + self * self.sigmoid() * (1 - t * t))]
            }
            return out
        }
    }

    /// The scaled exponential linear unit scale · (max(0, x) + min(0, α(eˣ − 1))) with PyTorch's α ≈
    /// 1.6733 and scale ≈ 1.0507 (`F.selu`, for self-normalizing networks).
    ///
    /// ```swift
    /// let y = x.selu()
    /// ```
    public func selu() -> Tensor {
        scaledExponential("selu", alpha: 1.6732632423543772848170429916717, scale: 1.0507009873554804934193349852946,
                          inputScale: 1)
    }

    /// max(0, x) + min(0, α(e^(x/α) − 1)) (PyTorch's `F.celu`): an ELU continuously differentiable at 0
    /// for every α.
    ///
    /// - Parameter alpha: α, not 0 (default 1).
    ///
    /// ```swift
    /// let y = x.celu(alpha: 0.5)
    /// ```
    public func celu(alpha: Double = 1) -> Tensor {
        guard alpha != 0 else {
            return checked { throw GradusError(.invalidArgument, "celu: alpha must not be 0") }
        }
        return scaledExponential("celu", alpha: alpha, scale: 1, inputScale: 1 / alpha)
    }

    /// PyTorch's ELU family as `selu` and `celu` use it: scale·x for x > 0, scale·α·(e^(inputScale·x) − 1)
    /// otherwise; the backward is PyTorch's `elu_backward` (the exponential branch where x ≤ 0, scale
    /// elsewhere, NaN included).
    private func scaledExponential(_ op: String, alpha: Double, scale: Double, inputScale: Double) -> Tensor {
        checked {
            try requireFloat(op)
            let (a, s, k) = (alpha, scale, inputScale), (af, sf, kf) = (Float(alpha), Float(scale), Float(inputScale))
            let out = try map(op, { $0 > 0 ? sf * $0 : sf * af * Float.expm1($0 * kf) },
                              { $0 > 0 ? s * $0 : s * a * Double.expm1($0 * k) })
            record(op, output: out, inputs: [self]) { g, _ in
                let negative = (self.clamp(max: 0.0) * k).exp() * (a * s * k)
                let positive = Tensor.full([], value: s, dtype: g.dtype)
                return [g * Tensor.where(self.le(0.0), negative, positive)]
            }
            return out
        }
    }

    /// log σ(x) = −softplus(−x), computed without overflow for large |x| (PyTorch's `F.logsigmoid`).
    /// The gradient is σ(−x).
    ///
    /// ```swift
    /// let logProbability = logits.logSigmoid()
    /// ```
    public func logSigmoid() -> Tensor {
        checked {
            try requireFloat("logSigmoid")
            // min(x, 0) − log1p(e^−|x|).
            let out = try map("logSigmoid", { Swift.min($0, 0) - Float.log1p(Float.exp(-Swift.abs($0))) },
                              { Swift.min($0, 0) - Double.log1p(Double.exp(-Swift.abs($0))) })
            record("logSigmoid", output: out, inputs: [self]) { g, _ in [g * (-self).sigmoid()] }
            return out
        }
    }

    /// x / (1 + |x|) (PyTorch's `F.softsign`).
    ///
    /// ```swift
    /// let y = x.softsign()
    /// ```
    public func softsign() -> Tensor {
        if dtype == .int64 { return to(.float32).softsign() }   // as PyTorch: integers in float32
        return checked {
            try requireFloat("softsign")
            return self / (self.abs() + 1)
        }
    }
}
