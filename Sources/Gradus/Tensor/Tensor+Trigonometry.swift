// Trigonometric and hyperbolic functions beyond sin, cos and tanh (PyTorch's `torch.tan`, `asin`,
// `acos`, `atan`, `atan2`, `hypot`, `sinh`, `cosh`, `asinh`, `acosh`, `atanh`), with PyTorch's gradients. Values
// come from the C library (libm), as PyTorch's scalar paths; outside a function's domain the value is
// NaN, and at its edges (asin at ±1, atanh at ±1) the gradient is ±inf, as in PyTorch.

#if canImport(Glibc)
import Glibc
#endif

extension Tensor {
    /// Tangent. The gradient is g · (1 + tan²x). An int64 tensor gives float32, as in PyTorch.
    ///
    /// ```swift
    /// Tensor([0.0, 0.5]).tan()
    /// ```
    public func tan() -> Tensor {
        if dtype == .int64 { return to(.float32).tan() }
        return checked {
            let out = try map("tan", { tanf($0) }, { Glibc.tan($0) })
            record("tan", output: out, inputs: [self]) { g, y in [g * (y.square() + 1)] }
            return out
        }
    }

    /// Inverse sine, in [−π/2, π/2]; NaN outside [−1, 1]. The gradient is g / √(1 − x²).
    ///
    /// ```swift
    /// Tensor([0.0, 1.0]).asin()   // [0, π/2]
    /// ```
    public func asin() -> Tensor {
        if dtype == .int64 { return to(.float32).asin() }
        return checked {
            let out = try map("asin", { asinf($0) }, { Glibc.asin($0) })
            record("asin", output: out, inputs: [self]) { g, _ in [g * (1 - self.square()).rsqrt()] }
            return out
        }
    }

    /// Inverse cosine, in [0, π]; NaN outside [−1, 1]. The gradient is −g / √(1 − x²).
    ///
    /// ```swift
    /// Tensor([1.0, 0.0]).acos()   // [0, π/2]
    /// ```
    public func acos() -> Tensor {
        if dtype == .int64 { return to(.float32).acos() }
        return checked {
            let out = try map("acos", { acosf($0) }, { Glibc.acos($0) })
            record("acos", output: out, inputs: [self]) { g, _ in [-g * (1 - self.square()).rsqrt()] }
            return out
        }
    }

    /// Inverse tangent, in (−π/2, π/2). The gradient is g / (1 + x²).
    ///
    /// ```swift
    /// Tensor([1.0]).atan()   // [π/4]
    /// ```
    public func atan() -> Tensor {
        if dtype == .int64 { return to(.float32).atan() }
        return checked {
            let out = try map("atan", { atanf($0) }, { Glibc.atan($0) })
            record("atan", output: out, inputs: [self]) { g, _ in [g / (self.square() + 1)] }
            return out
        }
    }

    /// The angle of the point (`other`, `self`) — this tensor is y, `other` is x — in [−π, π]
    /// (PyTorch's `torch.atan2(input, other)`), broadcast and promoted as arithmetic is (int64 gives
    /// float32). Gradients: g · x / (x² + y²) for y, −g · y / (x² + y²) for x (0 at the origin, as
    /// PyTorch's).
    ///
    /// - Parameter other: x, broadcast against this tensor.
    ///
    /// ```swift
    /// Tensor([1.0, -1.0]).atan2(Tensor([-1.0, -1.0]))   // [3π/4, −3π/4]
    /// ```
    public func atan2(_ other: Tensor) -> Tensor {
        checked {
            let (out, y, x) = try floatingPair(other, op: "atan2", { atan2f($0, $1) }, { Glibc.atan2($0, $1) })
            let (yShape, xShape) = (y.shape, x.shape)
            record("atan2", output: out, inputs: [y, x]) { g, _ in
                // PyTorch's atan2_backward: 1 / (x² + y²), with 0 where that is infinite (at the origin).
                let reciprocal = (x.square() + y.square()).reciprocal()
                let recip = reciprocal.maskedWhere(GradMode.noGrad { reciprocal.detach().isInf() }, 0)
                return [try (g * x * recip).unbroadcast(to: yShape, op: "atan2"),
                        try (-g * y * recip).unbroadcast(to: xShape, op: "atan2")]
            }
            return out
        }
    }

    /// √(x² + y²) elementwise without overflow or underflow in the squares (PyTorch's `torch.hypot`,
    /// C's `hypot`), the two tensors broadcast and promoted as arithmetic is (int64 gives float32, where
    /// PyTorch refuses it).
    /// Gradients: g · x / result for this tensor and g · y / result for `other` (NaN where both are 0,
    /// as in PyTorch).
    ///
    /// - Parameter other: the second leg, broadcast against this tensor.
    ///
    /// ```swift
    /// Tensor([3.0, 1e30]).hypot(Tensor([4.0, 1e30]))   // [5, 1.414e30]
    /// ```
    public func hypot(_ other: Tensor) -> Tensor {
        checked {
            let (out, x, y) = try floatingPair(other, op: "hypot", { hypotf($0, $1) }, { Glibc.hypot($0, $1) })
            let (xShape, yShape) = (x.shape, y.shape)
            record("hypot", output: out, inputs: [x, y]) { g, r in
                [try (g * x / r).unbroadcast(to: xShape, op: "hypot"),
                 try (g * y / r).unbroadcast(to: yShape, op: "hypot")]
            }
            return out
        }
    }

    /// Hyperbolic sine. The gradient is g · cosh x.
    ///
    /// ```swift
    /// Tensor([0.0, 1.0]).sinh()
    /// ```
    public func sinh() -> Tensor {
        if dtype == .int64 { return to(.float32).sinh() }
        return checked {
            let out = try map("sinh", { sinhf($0) }, { Glibc.sinh($0) })
            record("sinh", output: out, inputs: [self]) { g, _ in [g * self.cosh()] }
            return out
        }
    }

    /// Hyperbolic cosine. The gradient is g · sinh x.
    ///
    /// ```swift
    /// Tensor([0.0, 1.0]).cosh()   // [1, 1.543]
    /// ```
    public func cosh() -> Tensor {
        if dtype == .int64 { return to(.float32).cosh() }
        return checked {
            let out = try map("cosh", { coshf($0) }, { Glibc.cosh($0) })
            record("cosh", output: out, inputs: [self]) { g, _ in [g * self.sinh()] }
            return out
        }
    }

    /// Inverse hyperbolic sine. The gradient is g / √(x² + 1).
    ///
    /// ```swift
    /// Tensor([0.0, 1.0]).asinh()
    /// ```
    public func asinh() -> Tensor {
        if dtype == .int64 { return to(.float32).asinh() }
        return checked {
            let out = try map("asinh", { asinhf($0) }, { Glibc.asinh($0) })
            record("asinh", output: out, inputs: [self]) { g, _ in [g * (self.square() + 1).rsqrt()] }
            return out
        }
    }

    /// Inverse hyperbolic cosine, for x ≥ 1 (NaN below). The gradient is g / √(x² − 1).
    ///
    /// ```swift
    /// Tensor([1.0, 2.0]).acosh()   // [0, 1.317]
    /// ```
    public func acosh() -> Tensor {
        if dtype == .int64 { return to(.float32).acosh() }
        return checked {
            let out = try map("acosh", { acoshf($0) }, { Glibc.acosh($0) })
            record("acosh", output: out, inputs: [self]) { g, _ in [g * (self.square() - 1).rsqrt()] }
            return out
        }
    }

    /// Inverse hyperbolic tangent, for −1 ≤ x ≤ 1 (±inf at ±1, NaN beyond). The gradient is g / (1 − x²).
    ///
    /// ```swift
    /// Tensor([0.0, 0.5]).atanh()   // [0, 0.549]
    /// ```
    public func atanh() -> Tensor {
        if dtype == .int64 { return to(.float32).atanh() }
        return checked {
            let out = try map("atanh", { atanhf($0) }, { Glibc.atanh($0) })
            record("atanh", output: out, inputs: [self]) { g, _ in [g / (1 - self.square())] }
            return out
        }
    }
}
