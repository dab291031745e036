// Clamping with tensor bounds (PyTorch's `torch.clamp(input, min=Tensor, max=Tensor)`), with PyTorch's
// gradient conventions at ties.

extension Tensor {
    /// Elements clamped to elementwise bounds: max(x, min) then min(·, max), with broadcasting of all
    /// three (PyTorch's `torch.clamp` with tensor bounds). Where `min` > `max` the result is `max`. NaN
    /// in any of the three gives NaN.
    ///
    /// The gradient follows PyTorch (2.15): it goes to whichever of x, `min` and `max` the result
    /// equals; where x ties a bound (and `min` < `max`), x and that bound get half each; where
    /// x = `min` = `max`, x gets all of it; where `min` > `max`, `max` gets all of it; at NaN, x gets
    /// it. (The scalar form ``clamp(min:max:)`` has its own convention at the bounds.)
    ///
    /// - Parameters:
    ///   - lo: the lower bounds, or nil for none.
    ///   - hi: the upper bounds, or nil for none.
    ///
    /// ```swift
    /// let y = x.clamp(min: lower, max: upper)   // all three of shape [N, D], or broadcast
    /// ```
    public func clamp(min lo: Tensor?, max hi: Tensor?) -> Tensor {
        checked {
            try require(lo != nil || hi != nil, "clamp: give at least one of min and max")
            var out = self
            if let lo {
                out = try out.zipWith(lo, "clamp", { $0.isNaN || $1.isNaN ? .nan : Swift.max($0, $1) },
                                  { $0.isNaN || $1.isNaN ? .nan : Swift.max($0, $1) })
            }
            if let hi {
                out = try out.zipWith(hi, "clamp", { $0.isNaN || $1.isNaN ? .nan : Swift.min($0, $1) },
                                  { $0.isNaN || $1.isNaN ? .nan : Swift.min($0, $1) })
            }
            let inputs = [self] + (lo.map { [$0] } ?? []) + (hi.map { [$0] } ?? [])
            record("clamp", output: out, inputs: inputs) { g, _ in
                // Shares of the gradient going to each bound; x gets the rest.
                var toLo: Tensor? = nil, toHi: Tensor? = nil
                if let lo, let hi {
                    let ordered = lo.le(hi), strictlyOrdered = lo.lt(hi)
                    toLo = self.lt(lo) * ordered + self.eq(lo) * strictlyOrdered * 0.5
                    toHi = lo.gt(hi) + self.gt(hi) * ordered + self.eq(hi) * strictlyOrdered * 0.5
                } else if let lo {
                    toLo = self.lt(lo) + self.eq(lo) * 0.5
                } else if let hi {
                    toHi = self.gt(hi) + self.eq(hi) * 0.5
                }
                var toX = Tensor.ones([], dtype: g.dtype)
                if let toLo { toX = toX - toLo }
                if let toHi { toX = toX - toHi }
                var grads: [Tensor?] = [self.requiresGrad ? g * toX : nil]
                if let lo { grads.append(lo.requiresGrad ? g * toLo! : nil) }
                if let hi { grads.append(hi.requiresGrad ? g * toHi! : nil) }
                return grads
            }
            return out
        }
    }
}
