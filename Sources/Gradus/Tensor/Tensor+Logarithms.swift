// Logarithms and exponentials in other bases and forms (PyTorch's `torch.log2`, `log10`, `exp2`,
// `expm1`, `logit`, `xlogy`), with PyTorch's gradients. Natural `log`, `log1p` and `exp` are in
// Tensor+Math.swift.

#if canImport(Glibc)
import Glibc
#endif

extension Tensor {
    /// Logarithm in base 2. The gradient is g / (x · ln 2). An int64 tensor gives float32, as in PyTorch.
    ///
    /// ```swift
    /// Tensor([1.0, 8.0]).log2()   // [0, 3]
    /// ```
    public func log2() -> Tensor {
        if dtype == .int64 { return to(.float32).log2() }
        return checked {
            let out = try map("log2", { log2f($0) }, { Glibc.log2($0) })
            record("log2", output: out, inputs: [self]) { g, _ in [g / (self * M_LN2)] }
            return out
        }
    }

    /// Logarithm in base 10. The gradient is g / (x · ln 10).
    ///
    /// ```swift
    /// Tensor([1.0, 100.0]).log10()   // [0, 2]
    /// ```
    public func log10() -> Tensor {
        if dtype == .int64 { return to(.float32).log10() }
        return checked {
            let out = try map("log10", { log10f($0) }, { Glibc.log10($0) })
            record("log10", output: out, inputs: [self]) { g, _ in [g / (self * M_LN10)] }
            return out
        }
    }

    /// 2ˣ. The gradient is g · 2ˣ · ln 2.
    ///
    /// ```swift
    /// Tensor([3.0, -1.0]).exp2()   // [8, 0.5]
    /// ```
    public func exp2() -> Tensor {
        if dtype == .int64 { return to(.float32).exp2() }
        return checked {
            let out = try map("exp2", { exp2f($0) }, { Glibc.exp2($0) })
            record("exp2", output: out, inputs: [self]) { g, y in [g * y * M_LN2] }
            return out
        }
    }

    /// eˣ − 1, accurate for small x (PyTorch's `torch.expm1`). The gradient is g · (y + 1).
    ///
    /// ```swift
    /// Tensor([1e-10]).to(.float64).expm1()   // [1.00000000005e-10]
    /// ```
    public func expm1() -> Tensor {
        if dtype == .int64 { return to(.float32).expm1() }
        return checked {
            let out = try map("expm1", { Float.expm1($0) }, { Double.expm1($0) })
            record("expm1", output: out, inputs: [self]) { g, y in [g * (y + 1)] }
            return out
        }
    }

    /// log(p / (1 − p)), the inverse of the sigmoid (PyTorch's `torch.logit`). With `eps`, p is first
    /// clamped to [eps, 1 − eps] and the gradient is 0 outside that range; without it, p outside [0, 1]
    /// gives NaN and a NaN gradient, as in PyTorch. Inside, the gradient is g / (p (1 − p)).
    ///
    /// - Parameter eps: the clamp, in [0, 0.5]; nil for none.
    ///
    /// ```swift
    /// Tensor([0.5, 0.9]).logit()             // [0, 2.197]
    /// Tensor([0.0, 1.0]).logit(eps: 1e-6)    // finite
    /// ```
    public func logit(eps: Double? = nil) -> Tensor {
        if dtype == .int64 { return to(.float32).logit(eps: eps) }
        return checked {
            if let eps { try require(eps >= 0 && eps <= 0.5, "logit: eps must lie in [0, 0.5], got \(eps)", .invalidArgument) }
            let p = GradMode.noGrad { eps.map { detach().clamp(min: $0, max: 1 - $0) } ?? detach() }
            let out = GradMode.noGrad { (p / (1 - p)).log() }
            record("logit", output: out, inputs: [self]) { g, _ in
                let slope = g / (self * (1 - self))
                if let eps {
                    return [slope.maskedWhere(self.detach().lt(eps).logicalOr(self.detach().gt(1 - eps)), 0)]
                }
                return [slope.maskedWhere(self.detach().lt(0.0).logicalOr(self.detach().gt(1.0)), .nan)]
            }
            return out
        }
    }

    /// x · log(y), 0 where x is 0 (unless y is NaN), as PyTorch's `torch.xlogy` — the term of an entropy
    /// or a KL divergence. Broadcast and promoted as arithmetic is (int64 gives float32). Gradients are
    /// PyTorch's: xlogy(g, y) for x, set to 0 where x = 0 and y ≤ 0; g · x / y for y.
    ///
    /// - Parameter other: y, broadcast against this tensor.
    ///
    /// ```swift
    /// let entropy = -p.xlogy(p).sum()
    /// ```
    public func xlogy(_ other: Tensor) -> Tensor {
        checked {
            var type = Tensor.resultType(self, other)
            if type == .int64 { type = .float32 }
            let (x, y) = Tensor.promoted(self, other, to: type)
            let out = GradMode.noGrad {
                let (xd, yd) = (x.detach(), y.detach())
                let zero = xd.eq(0.0).logicalAnd(yd.isNaN().logicalNot())
                // log(y) with y = 1 where x is 0: no 0 · (−inf) = NaN.
                let safeLog = Tensor.where(zero, Tensor.ones([], dtype: type), yd).log()
                return Tensor.where(zero, Tensor.zeros([], dtype: type), xd * safeLog)
            }
            let (xShape, yShape) = (x.shape, y.shape)
            record("xlogy", output: out, inputs: [x, y]) { g, _ in
                let atZero = GradMode.noGrad { x.detach().eq(0.0).logicalAnd(y.detach().le(0.0)) }
                return [try g.xlogy(y).maskedWhere(atZero, 0).unbroadcast(to: xShape, op: "xlogy"),
                        try (g * x / y).unbroadcast(to: yShape, op: "xlogy")]
            }
            return out
        }
    }
}
