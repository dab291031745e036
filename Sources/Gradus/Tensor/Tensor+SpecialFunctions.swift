// Special functions (PyTorch's `torch.lgamma`, `digamma`, `polygamma`, `erfinv`, `sinc`, `copysign`),
// with PyTorch's values at their poles and edges and its gradients: lgamma′ = digamma, digamma′ =
// polygamma(1), polygamma(n)′ = polygamma(n + 1), erfinv′ = √π/2 · exp(erfinv²). Values are computed in
// the element type's arithmetic where PyTorch's kernels do (SpecialFunctions.swift), so that poles and
// rounding edges give PyTorch's numbers. An int64 tensor gives float32.

#if canImport(Glibc)
import Glibc
#endif

extension Tensor {
    /// log|Γ(x)| (PyTorch's `torch.lgamma`): +inf at 0 and the negative integers. The gradient is
    /// g · digamma(x).
    ///
    /// ```swift
    /// Tensor([1.0, 5.0]).lgamma()   // [0, log 24]
    /// ```
    public func lgamma() -> Tensor {
        if dtype == .int64 { return to(.float32).lgamma() }
        return checked {
            let out = try map("lgamma", { SpecialFunctions.logGamma($0) }, { SpecialFunctions.logGamma($0) })
            record("lgamma", output: out, inputs: [self]) { g, _ in [g * self.digamma()] }
            return out
        }
    }

    /// ψ(x) = d/dx log Γ(x) (PyTorch's `torch.digamma`): −inf at 0, NaN at the negative integers. The
    /// gradient is g · polygamma(1, x).
    ///
    /// ```swift
    /// Tensor([1.0]).digamma()   // [−0.5772…] (minus Euler's constant)
    /// ```
    public func digamma() -> Tensor {
        if dtype == .int64 { return to(.float32).digamma() }
        return checked {
            let out = try map("digamma", { SpecialFunctions.digamma($0) }, { SpecialFunctions.digamma($0) })
            record("digamma", output: out, inputs: [self]) { g, _ in [g * self.polygamma(1)] }
            return out
        }
    }

    /// The n-th derivative of the digamma function, ψ⁽ⁿ⁾(x) (PyTorch's `torch.polygamma(n, x)`); n = 0
    /// is ``digamma()``. The gradient is g · polygamma(n + 1, x).
    ///
    /// - Parameter n: the order, 0 up to 2²⁰.
    ///
    /// ```swift
    /// Tensor([1.0]).polygamma(1)   // [π²/6]
    /// ```
    public func polygamma(_ n: Int) -> Tensor {
        if dtype == .int64 { return to(.float32).polygamma(n) }
        return checked {
            try require(n >= 0 && n < 1 << 20, "polygamma: the order must be 0 or more, got \(n)", .invalidArgument)
            let out = try map("polygamma", { SpecialFunctions.polygamma(n, $0) }, { SpecialFunctions.polygamma(n, $0) })
            record("polygamma", output: out, inputs: [self]) { g, _ in [g * self.polygamma(n + 1)] }
            return out
        }
    }

    /// The inverse error function on [−1, 1] (PyTorch's `torch.erfinv`): ±inf at ±1, NaN outside. The
    /// gradient is g · √π/2 · exp(erfinv(x)²).
    ///
    /// ```swift
    /// Tensor([0.0, 0.5]).erfinv()   // [0, 0.4769…]
    /// ```
    public func erfinv() -> Tensor {
        if dtype == .int64 { return to(.float32).erfinv() }
        return checked {
            let out = try map("erfinv", { Float(SpecialFunctions.inverseErf(Double($0))) }, { SpecialFunctions.inverseErf($0) })
            record("erfinv", output: out, inputs: [self]) { g, y in [g * y.square().exp() * (Double.pi.squareRoot() / 2)] }
            return out
        }
    }

    /// The normalized sinc function sin(πx)/(πx), 1 at 0 (PyTorch's `torch.sinc`). The gradient is
    /// g · (cos(πx) − sinc(x)) / x, and 0 at 0.
    ///
    /// ```swift
    /// Tensor([0.0, 0.5, 1.0]).sinc()   // [1, 2/π, 0]
    /// ```
    public func sinc() -> Tensor {
        if dtype == .int64 { return to(.float32).sinc() }
        return checked {
            // π·x in the element type, as PyTorch's kernel (sinc(1) is about −2.8e-8 in Float32), with π
            // rounded to nearest (Swift's Float.pi is rounded down).
            let pi = Float(Double.pi)
            let out = try map("sinc", { x in x == 0 ? 1 : sinf(pi * x) / (pi * x) },
                              { x in x == 0 ? 1 : Glibc.sin(Double.pi * x) / (Double.pi * x) })
            record("sinc", output: out, inputs: [self]) { g, y in
                let zero = self.eq(0.0)
                let x = Tensor.where(zero, Tensor.ones([], dtype: self.dtype), self)
                return [Tensor.where(zero, Tensor.zeros([], dtype: self.dtype), g * ((x * Double.pi).cos() - y) / x)]
            }
            return out
        }
    }

    /// This tensor's magnitudes with the signs of `other` (PyTorch's `torch.copysign`, C's `copysign`):
    /// a negative zero and a NaN with its sign bit set count as negative. Broadcasts; integers give
    /// float32. The gradient is g · copysign(1, x)·copysign(1, other) where x ≠ 0 (0 at x = 0), and
    /// zero for `other`.
    ///
    /// - Parameter other: the signs.
    ///
    /// ```swift
    /// Tensor([1.0, -2.0, 3.0]).copysign(Tensor([-1.0, 1.0, -0.0]))   // [−1, 2, −3]
    /// ```
    public func copysign(_ other: Tensor) -> Tensor {
        checked {
            var type = Tensor.resultType(self, other)
            if type == .int64 { type = .float32 }
            let (x, y) = Tensor.promoted(self, other, to: type)
            // Element by element (C's copysign), so that a NaN magnitude takes the sign too.
            let out = try x.detach().zipFloatElements(y.detach(), "copysign", CopySignOp.self)
            let (xShape, yShape) = (x.shape, y.shape)
            record("copysign", output: out, inputs: [x, y]) { g, out in
                let zero = x.eq(0.0)
                let ratio = Tensor.where(zero, Tensor.zeros([], dtype: type), out / Tensor.where(zero, Tensor.ones([], dtype: type), x))
                return [try (g * ratio).unbroadcast(to: xShape, op: "copysign"), Tensor.zeros(yShape, dtype: type)]
            }
            return out
        }
    }
}

/// C's copysign: `a`'s magnitude with `b`'s sign bit.
enum CopySignOp: FloatBinaryElementOp {
    @inline(__always) static func apply<T: TensorFloat>(_ a: T, _ b: T) -> T { T(signOf: b, magnitudeOf: a) }
}
