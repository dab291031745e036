// Piecewise-linear activations: hardtanh, relu6, hardsigmoid and hardswish (PyTorch's `F.hardtanh`,
// `F.relu6`, `F.hardsigmoid`, `F.hardswish`), with PyTorch's gradients at the corners: hardtanh and
// relu6 pass none at exactly a bound, hardsigmoid none at ±3, hardswish the inner slope at 3.

extension Tensor {
    /// x clamped to [`minValue`, `maxValue`] (PyTorch's `F.hardtanh`). The gradient passes strictly
    /// between the bounds (and at NaN), and is 0 at and beyond them, as in PyTorch.
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
            let (lo, hi, lof, hif) = (minValue, maxValue, Float(minValue), Float(maxValue))
            // x < lo ? lo : (x > hi ? hi : x): NaN stays NaN.
            let out = try map("hardtanh", { $0 < lof ? lof : ($0 > hif ? hif : $0) }, { $0 < lo ? lo : ($0 > hi ? hi : $0) })
            record("hardtanh", output: out, inputs: [self]) { g, _ in
                [g * (try self.map("hardtanh.mask", { $0 <= lof || $0 >= hif ? 0 : 1 }, { $0 <= lo || $0 >= hi ? 0 : 1 }))]
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
                [g * (try self.map("hardsigmoid.slope", { $0 > -3 && $0 < 3 ? 1 / 6 : 0 }, { $0 > -3 && $0 < 3 ? 1 / 6 : 0 }))]
            }
            return out
        }
    }

    /// x · relu6(x + 3) / 6 (PyTorch's `F.hardswish`, MobileNetV3's activation). The gradient is 0
    /// below -3, x/3 + 1/2 from -3 to 3, and 1 above (and at NaN), as in PyTorch.
    ///
    /// ```swift
    /// let y = x.hardswish()
    /// ```
    public func hardswish() -> Tensor {
        checked {
            let out = try map("hardswish", { $0 * Tensor.hardsigmoidValue($0) }, { $0 * Tensor.hardsigmoidValue($0) })
            record("hardswish", output: out, inputs: [self]) { g, _ in
                if GradMode.isEnabled {
                    // Recording the backward (createGraph): differentiable in x inside (-3, 3].
                    let inner = self / 3 + 0.5
                    let zero = Tensor.zeros([], dtype: g.dtype), one = Tensor.ones([], dtype: g.dtype)
                    let slope = Tensor.where(self.lt(-3.0), zero, Tensor.where(self.le(3.0), inner, one))
                    return [g * slope]
                }
                return [g * (try self.map("hardswish.slope", { $0 < -3 ? 0 : ($0 <= 3 ? $0 / 3 + 0.5 : 1) },
                                          { $0 < -3 ? 0 : ($0 <= 3 ? $0 / 3 + 0.5 : 1) }))]
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
