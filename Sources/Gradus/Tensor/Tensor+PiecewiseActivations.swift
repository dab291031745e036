// Piecewise-linear activations: hardtanh, relu6, hardsigmoid and hardswish (PyTorch's `F.hardtanh`,
// `F.relu6`, `F.hardsigmoid`, `F.hardswish`), with PyTorch's gradients at the corners: hardtanh and
// relu6 pass none at exactly a bound, hardsigmoid none at ±3, hardswish 0 at -3 and 1 at 3.

extension Tensor {
    /// x clamped to [`minValue`, `maxValue`] (PyTorch's `F.hardtanh`). The gradient passes strictly
    /// between the bounds (and at NaN), and is 0 at and beyond them, as in PyTorch. An int64 tensor stays
    /// int64, clamped to the bounds truncated toward zero, as PyTorch does.
    ///
    /// - Parameters:
    ///   - minValue: the lower bound (default -1).
    ///   - maxValue: the upper bound (default 1).
    ///
    /// ```swift
    /// let y = x.hardtanh(minValue: -2, maxValue: 2)
    /// ```
    public func hardtanh(minValue: Double = -1, maxValue: Double = 1) -> Tensor {
        checked {
            try require(minValue <= maxValue, "hardtanh: minValue \(minValue) is above maxValue \(maxValue)", .invalidArgument)
            if dtype == .int64 {
                // PyTorch keeps int64, with the bounds truncated toward zero (hardtanh(x, -0.5, 2.5) clamps to [0, 2]).
                func bound(_ v: Double) -> Int64 {
                    v >= 0x1p63 ? .max : (v <= -0x1p63 ? .min : Int64(v.rounded(.towardZero)))
                }
                return clamp(min: bound(minValue), max: bound(maxValue))
            }
            let (lo, hi, lof, hif) = (minValue, maxValue, Float(minValue), Float(maxValue))
            // x < lo ? lo : (x > hi ? hi : x): NaN stays NaN.
            let out = try map("hardtanh", { $0 < lof ? lof : ($0 > hif ? hif : $0) }, { $0 < lo ? lo : ($0 > hi ? hi : $0) })
            record("hardtanh", output: out, inputs: [self]) { g, _ in
                // Selected, not multiplied by a 0/1 mask: an exact 0 at the bounds even for an infinite g.
                let outside = try self.map("hardtanh.outside", { $0 <= lof || $0 >= hif ? 1 : 0 }, { $0 <= lo || $0 >= hi ? 1 : 0 })
                return [g.maskedWhere(outside, 0)]
            }
            return out
        }
    }

    /// min(max(x, 0), 6) (PyTorch's `F.relu6`, MobileNet's activation); gradients as ``hardtanh(minValue:maxValue:)``.
    ///
    /// ```swift
    /// let y = x.relu6()
    /// ```
    public func relu6() -> Tensor { hardtanh(minValue: 0, maxValue: 6) }

    /// relu6(x + 3) / 6, a piecewise-linear sigmoid (PyTorch's `F.hardsigmoid`). The gradient is 1/6
    /// strictly between -3 and 3, 0 elsewhere (NaN included), as in PyTorch.
    ///
    /// ```swift
    /// let gate = x.hardsigmoid()
    /// ```
    public func hardsigmoid() -> Tensor {
        checked {
            let out = try map("hardsigmoid", { Tensor.hardsigmoidValue($0) }, { Tensor.hardsigmoidValue($0) })
            record("hardsigmoid", output: out, inputs: [self]) { g, _ in
                let outside = try self.map("hardsigmoid.outside", { $0 > -3 && $0 < 3 ? 0 : 1 }, { $0 > -3 && $0 < 3 ? 0 : 1 })
                return [(g / 6).maskedWhere(outside, 0)]
            }
            return out
        }
    }

    /// x · relu6(x + 3) / 6 (PyTorch's `F.hardswish`, MobileNetV3's activation). The gradient is 0 up
    /// to -3, x/3 + 1/2 strictly between -3 and 3, and 1 from 3 on (and at NaN), as in PyTorch.
    ///
    /// ```swift
    /// let y = x.hardswish()
    /// ```
    public func hardswish() -> Tensor {
        checked {
            let out = try map("hardswish", { $0 * Tensor.hardsigmoidValue($0) }, { $0 * Tensor.hardsigmoidValue($0) })
            record("hardswish", output: out, inputs: [self]) { g, _ in
                // PyTorch 2.x's hardswish_backward: 0 up to -3, g·(x/3 + 1/2) strictly between -3 and 3,
                // g from 3 on (and at NaN) — selected, so an infinite g gives exact zeros up to -3. The slope
                // is differentiable (for createGraph) only strictly inside (-3, 3), as PyTorch's second
                // derivative is.
                let strictlyInside = self.gt(-3.0).logicalAnd(self.lt(3.0))
                let slope = Tensor.where(strictlyInside, self / 3 + 0.5, self.detach() / 3 + 0.5)
                let zero = Tensor.zeros([], dtype: g.dtype)
                return [Tensor.where(self.le(-3.0), zero, Tensor.where(self.lt(3.0), g * slope, g))]
            }
            return out
        }
    }

    @inline(__always)
    static func hardsigmoidValue<T: BinaryFloatingPoint>(_ x: T) -> T {
        let s = x + 3
        return (s < 0 ? 0 : (s > 6 ? 6 : s)) / 6
    }
}
