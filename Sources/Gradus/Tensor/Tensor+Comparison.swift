// Comparisons produce masks: tensors of 0 and 1 in the inputs' floating-point type. Masks carry no
// gradient; `where`, `minimum` and `maximum` route gradients by them.

extension Tensor {
    @inline(__always)
    private func compare(_ other: Tensor, _ op: String, _ f32: @escaping (Float, Float) -> Bool,
                         _ f64: @escaping (Double, Double) -> Bool) throws -> Tensor {
        try zipWith(other, op, { f32($0, $1) ? 1 : 0 }, { f64($0, $1) ? 1 : 0 })
    }

    @inline(__always)
    private func compare(_ s: Double, _ op: String, _ f32: @escaping (Float, Float) -> Bool,
                         _ f64: @escaping (Double, Double) -> Bool) throws -> Tensor {
        let f = Float(s)
        return try map(op, { f32($0, f) ? 1 : 0 }, { f64($0, s) ? 1 : 0 })
    }

    /// 1 where `self == other`, else 0 (with broadcasting).
    public func eq(_ other: Tensor) -> Tensor { checked { try compare(other, "eq", ==, ==) } }
    /// 1 where `self != other`, else 0.
    public func ne(_ other: Tensor) -> Tensor { checked { try compare(other, "ne", !=, !=) } }
    /// 1 where `self < other`, else 0.
    public func lt(_ other: Tensor) -> Tensor { checked { try compare(other, "lt", <, <) } }
    /// 1 where `self <= other`, else 0.
    public func le(_ other: Tensor) -> Tensor { checked { try compare(other, "le", <=, <=) } }
    /// 1 where `self > other`, else 0.
    ///
    /// ```swift
    /// let positive = x.gt(Tensor.zeros(like: x))
    /// ```
    public func gt(_ other: Tensor) -> Tensor { checked { try compare(other, "gt", >, >) } }
    /// 1 where `self >= other`, else 0.
    public func ge(_ other: Tensor) -> Tensor { checked { try compare(other, "ge", >=, >=) } }

    /// 1 where an element equals `s`, else 0.
    public func eq(_ s: Double) -> Tensor { checked { try compare(s, "eq", ==, ==) } }
    /// 1 where an element differs from `s`, else 0.
    public func ne(_ s: Double) -> Tensor { checked { try compare(s, "ne", !=, !=) } }
    /// 1 where an element is less than `s`, else 0.
    public func lt(_ s: Double) -> Tensor { checked { try compare(s, "lt", <, <) } }
    /// 1 where an element is at most `s`, else 0.
    public func le(_ s: Double) -> Tensor { checked { try compare(s, "le", <=, <=) } }
    /// 1 where an element exceeds `s`, else 0.
    ///
    /// ```swift
    /// let mask = x.gt(0.5)
    /// ```
    public func gt(_ s: Double) -> Tensor { checked { try compare(s, "gt", >, >) } }
    /// 1 where an element is at least `s`, else 0.
    public func ge(_ s: Double) -> Tensor { checked { try compare(s, "ge", >=, >=) } }

    /// Elements of `a` where `condition` is nonzero, of `b` elsewhere (with broadcasting of all three).
    ///
    /// - Parameters:
    ///   - condition: a mask (nonzero means true).
    ///   - a: the values taken where the mask is true.
    ///   - b: the values taken where it is false.
    ///
    /// ```swift
    /// let y = Tensor.where(x.gt(0.0), x, x * 0.1)
    /// ```
    public static func `where`(_ condition: Tensor, _ a: Tensor, _ b: Tensor) -> Tensor {
        checked {
            let cond = condition.dtype == a.dtype ? condition : condition.to(a.dtype)
            let out = try cond.zip3(a, b, "where", { $0 != 0 ? $1 : $2 }, { $0 != 0 ? $1 : $2 })
            record("where", output: out, inputs: [a, b]) { g, _ in
                let zero = Tensor.zeros([], dtype: g.dtype)
                return [a.requiresGrad ? Tensor.where(cond, g, zero) : nil,
                        b.requiresGrad ? Tensor.where(cond, zero, g) : nil]
            }
            return out
        }
    }

    /// This tensor with elements replaced by `value` where `mask` is nonzero (differentiable in `self`).
    public func maskedWhere(_ mask: Tensor, _ value: Double) -> Tensor {
        Tensor.where(mask, Tensor.full([], value: value, dtype: dtype), self)
    }

    /// Elementwise minimum with broadcasting. Where both are equal, each gets half the gradient, as in PyTorch.
    public func minimum(_ other: Tensor) -> Tensor {
        checked {
            let out = try zipWith(other, "minimum", { $0.isNaN || $1.isNaN ? .nan : Swift.min($0, $1) },
                          { $0.isNaN || $1.isNaN ? .nan : Swift.min($0, $1) })
            record("minimum", output: out, inputs: [self, other]) { g, _ in
                let share = self.lt(other) + self.eq(other) * 0.5
                return [g * share, g * (1 - share)]
            }
            return out
        }
    }

    /// Elementwise maximum with broadcasting. Where both are equal, each gets half the gradient, as in PyTorch.
    public func maximum(_ other: Tensor) -> Tensor {
        checked {
            let out = try zipWith(other, "maximum", { $0.isNaN || $1.isNaN ? .nan : Swift.max($0, $1) },
                          { $0.isNaN || $1.isNaN ? .nan : Swift.max($0, $1) })
            record("maximum", output: out, inputs: [self, other]) { g, _ in
                let share = self.gt(other) + self.eq(other) * 0.5
                return [g * share, g * (1 - share)]
            }
            return out
        }
    }
}
