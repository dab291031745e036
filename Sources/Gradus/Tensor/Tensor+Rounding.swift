// Rounding to integers: floor, ceil, trunc, round (half to even, optionally to a number of decimals) and
// the fractional part. As in PyTorch, the rounding functions have a gradient of zero (their result of a
// tensor that requires gradients requires them too), integer tensors come back unchanged (a copy), and
// the rounding functions keep NaN and infinities (the fractional part of ±inf is NaN).

extension Tensor {
    /// The largest integer not greater than each element (PyTorch's `torch.floor`).
    ///
    /// ```swift
    /// Tensor([-1.5, 0.5, 2.0]).floor()   // [-2, 0, 2]
    /// ```
    public func floor() -> Tensor { rounded("floor", .down) }

    /// The smallest integer not less than each element (PyTorch's `torch.ceil`).
    ///
    /// ```swift
    /// Tensor([-1.5, 0.5, 2.0]).ceil()   // [-1, 1, 2]
    /// ```
    public func ceil() -> Tensor { rounded("ceil", .up) }

    /// Each element without its fractional part, rounded toward zero (PyTorch's `torch.trunc`).
    ///
    /// ```swift
    /// Tensor([-1.5, 0.5, 2.7]).trunc()   // [-1, 0, 2]
    /// ```
    public func trunc() -> Tensor { rounded("trunc", .towardZero) }

    /// Each element rounded to the nearest integer, halves to the even neighbour (PyTorch's
    /// `torch.round`), or to `decimals` decimal places: x·10ᵈ rounded, divided by 10ᵈ, in the tensor's own
    /// precision as PyTorch computes it (so 2.675 in float32 rounds to 2.68). A negative `decimals` rounds
    /// to tens, hundreds, ….
    ///
    /// - Parameter decimals: the number of decimal places to keep (0: integers). Integer tensors accept
    ///   only 0, as in PyTorch.
    ///
    /// ```swift
    /// Tensor([0.5, 1.5, 2.5, -0.5]).round()          // [0, 2, 2, -0]
    /// Tensor([1.2345, 123.45]).round(decimals: 2)     // [1.23, 123.45]
    /// ```
    public func round(decimals: Int = 0) -> Tensor {
        if decimals == 0 { return rounded("round", .toNearestOrEven) }
        return checked {
            try require(dtype.isFloatingPoint, "round: decimals other than 0 need a floating-point tensor, got \(dtype)",
                        .dtypeMismatch)
            // 10^|decimals| in each precision; beyond Double's range it is inf, and x·inf rounds to ±inf or
            // NaN as PyTorch's computation does.
            let scale = Double.pow(10, Double(Swift.min(Swift.max(decimals, -400), 400).magnitude))
            let s32 = Float(scale)
            let out: Tensor = decimals > 0
                ? try map("round", { ($0 * s32).rounded(.toNearestOrEven) / s32 }, { ($0 * scale).rounded(.toNearestOrEven) / scale })
                : try map("round", { ($0 / s32).rounded(.toNearestOrEven) * s32 }, { ($0 / scale).rounded(.toNearestOrEven) * scale })
            record("round", output: out, inputs: [self]) { g, _ in [Tensor.zeros(like: g)] }
            return out
        }
    }

    /// The fractional part x − trunc(x), with the sign of x (PyTorch's `torch.frac`); its gradient is the
    /// upstream gradient. Floating-point tensors only, as in PyTorch.
    ///
    /// ```swift
    /// Tensor([-1.5, 2.25]).frac()   // [-0.5, 0.25]
    /// ```
    public func frac() -> Tensor {
        checked {
            let out = try map("frac", { $0 - $0.rounded(.towardZero) }, { $0 - $0.rounded(.towardZero) })
            record("frac", output: out, inputs: [self]) { g, _ in [g] }
            return out
        }
    }

    /// The elements rounded by `rule`: a copy for integer tensors, a zero gradient for floating-point ones.
    private func rounded(_ op: String, _ rule: FloatingPointRoundingRule) -> Tensor {
        checked {
            if !dtype.isFloatingPoint { return GradMode.noGrad { clone() } }
            let out = try map(op, { $0.rounded(rule) }, { $0.rounded(rule) })
            record(op, output: out, inputs: [self]) { g, _ in [Tensor.zeros(like: g)] }
            return out
        }
    }
}
