// Activations that zero or replace small inputs, and gated and reversed softmax units: hardshrink,
// softshrink, tanhshrink, threshold, GLU and softmin (PyTorch's `F.hardshrink`, `F.softshrink`,
// `F.tanhshrink`, `F.threshold`, `F.glu`, `F.softmin`). Values and gradients follow PyTorch's kernels
// at the corners: exactly ±λ counts as inside the shrunk band (value 0, gradient 0), NaN propagates
// and passes its gradient.

extension Tensor {
    /// x where |x| > λ, else 0 (PyTorch's `F.hardshrink`). The gradient is 1 outside [−λ, λ] and 0 in
    /// it (its ends included).
    ///
    /// - Parameter lambda: the half-width of the band set to 0 (PyTorch's `lambd`; default 0.5).
    ///
    /// ```swift
    /// Tensor([-1.0, 0.3, 0.5, 2]).hardshrink()   // [-1, 0, 0, 2]
    /// ```
    public func hardshrink(lambda: Double = 0.5) -> Tensor {
        checked {
            let (l, lf) = (lambda, Float(lambda))
            let out = try map("hardshrink", { $0 >= -lf && $0 <= lf ? 0 : $0 }, { $0 >= -l && $0 <= l ? 0 : $0 })
            record("hardshrink", output: out, inputs: [self]) { g, _ in [try self.shrinkGradient(g, lambda: l)] }
            return out
        }
    }

    /// x − λ above λ, x + λ below −λ, 0 between (PyTorch's `F.softshrink`); λ must not be negative. The
    /// gradient is 1 outside [−λ, λ] and 0 in it.
    ///
    /// - Parameter lambda: the shrinkage (PyTorch's `lambd`; default 0.5), ≥ 0.
    ///
    /// ```swift
    /// Tensor([-1.0, 0.3, 2]).softshrink()   // [-0.5, 0, 1.5]
    /// ```
    public func softshrink(lambda: Double = 0.5) -> Tensor {
        checked {
            try require(lambda >= 0, "softshrink: lambda must be greater than or equal to 0, got \(lambda)", .invalidArgument)
            let (l, lf) = (lambda, Float(lambda))
            let out = try map("softshrink", { $0 > lf ? $0 - lf : ($0 < -lf ? $0 + lf : $0 * 0) },
                              { $0 > l ? $0 - l : ($0 < -l ? $0 + l : $0 * 0) })
            record("softshrink", output: out, inputs: [self]) { g, _ in [try self.shrinkGradient(g, lambda: l)] }
            return out
        }
    }

    /// The upstream gradient outside [−λ, λ] (and at NaN), exactly 0 inside.
    private func shrinkGradient(_ g: Tensor, lambda l: Double) throws -> Tensor {
        let lf = Float(l)
        let inside = try map("shrink.inside", { $0 >= -lf && $0 <= lf ? 1 : 0 }, { $0 >= -l && $0 <= l ? 1 : 0 })
        return g.maskedWhere(inside, 0)
    }

    /// x − tanh(x) (PyTorch's `F.tanhshrink`).
    ///
    /// ```swift
    /// let y = x.tanhshrink()
    /// ```
    public func tanhshrink() -> Tensor { self - tanh() }

    /// x where x > `threshold`, else `value` (PyTorch's `F.threshold`). The gradient is 1 above the
    /// threshold and 0 at or below it; NaN stays NaN. An int64 tensor stays int64, both numbers taken
    /// toward zero, as in PyTorch.
    ///
    /// - Parameters:
    ///   - threshold: inputs at or below it are replaced.
    ///   - value: what replaces them.
    ///
    /// ```swift
    /// Tensor([-1.0, 0.1, 2]).threshold(0.1, value: 20)   // [20, 20, 2]
    /// ```
    public func threshold(_ threshold: Double, value: Double) -> Tensor {
        checked {
            if dtype == .int64 {
                // PyTorch converts both numbers to the tensor's type (toward zero) and keeps int64.
                func integer(_ v: Double) throws -> Int64 {
                    try require(v.isFinite && Swift.abs(v) < 0x1p63, "threshold: \(v) does not fit an int64 tensor", .invalidArgument)
                    return Int64(v.rounded(.towardZero))
                }
                let (t, v) = (try integer(threshold), try integer(value))
                return Tensor.where(self.le(t), Tensor.full([], value: Double(v), dtype: .int64), self)
            }
            let (t, tf, v, vf) = (threshold, Float(threshold), value, Float(value))
            let out = try map("threshold", { $0 <= tf ? vf : $0 }, { $0 <= t ? v : $0 })
            record("threshold", output: out, inputs: [self]) { g, _ in
                let replaced = try self.map("threshold.replaced", { $0 <= tf ? 1 : 0 }, { $0 <= t ? 1 : 0 })
                return [g.maskedWhere(replaced, 0)]
            }
            return out
        }
    }

    /// The gated linear unit (PyTorch's `F.glu`): the tensor split in two halves a, b along `axis`,
    /// giving a · σ(b). The dimension must have an even size.
    ///
    /// - Parameter axis: the dimension to halve (default the last).
    ///
    /// ```swift
    /// let y = x.glu()   // [N, 2H] -> [N, H]
    /// ```
    public func glu(axis: Int = -1) -> Tensor {
        checked {
            try require(rank > 0, "glu: needs a tensor of at least one dimension (a scalar cannot be halved)", .shapeMismatch)
            let a = try self.axis(axis, op: "glu")
            try require(shape[a] % 2 == 0, "glu: dimension \(a) of shape \(shape) must have an even size to be halved, got \(shape[a])", .shapeMismatch)
            let half = shape[a] / 2
            return narrow(axis: a, start: 0, length: half) * narrow(axis: a, start: half, length: half).sigmoid()
        }
    }

    /// softmax(−x) along `axis` (PyTorch's `F.softmin`): weights that favour the smallest values.
    ///
    /// - Parameter axis: the dimension normalized over (default the last).
    ///
    /// ```swift
    /// let weights = distances.softmin(axis: 1)
    /// ```
    public func softmin(axis: Int = -1) -> Tensor { (-self).softmax(axis: axis) }
}
