// Comparisons produce masks: Gradus has no bool dtype, so a mask holds 0 and 1 in the dtype the operands
// were compared in — their promoted dtype (PyTorch's rules, DTypePromotion.swift): float32 for float32
// inputs, int64 for two int64 inputs, float32 for int64 against float32. Against a Swift number, an
// int64 tensor is compared in int64 with an integer and in float32 with a floating-point number.
// Masks carry no gradient; `where`, `minimum` and `maximum` route gradients by them.

extension Tensor {
    @inline(__always)
    private func compare<Op: BinaryElementOp>(_ other: Tensor, _ op: String, _: Op.Type) throws -> Tensor {
        let r = Tensor.resultType(self, other)
        return try detached(as: r).zipElements(other.detached(as: r), op, Op.self)
    }

    @inline(__always)
    private func compare<Op: BinaryElementOp>(_ s: ScalarOperand, _ op: String, _: Op.Type) throws -> Tensor {
        try detached(as: resultType(with: s)).mapElements(s, op, Op.self)
    }

    /// 1 where `self == other`, else 0 (with broadcasting).
    ///
    /// ```swift
    /// let correct = logits.argmax(axis: 1).eq(labels)   // int64 0/1
    /// ```
    public func eq(_ other: Tensor) -> Tensor { checked { try compare(other, "eq", EqualOp.self) } }
    /// 1 where `self != other`, else 0.
    public func ne(_ other: Tensor) -> Tensor { checked { try compare(other, "ne", NotEqualOp.self) } }
    /// 1 where `self < other`, else 0.
    public func lt(_ other: Tensor) -> Tensor { checked { try compare(other, "lt", LessOp.self) } }
    /// 1 where `self <= other`, else 0.
    public func le(_ other: Tensor) -> Tensor { checked { try compare(other, "le", LessOrEqualOp.self) } }
    /// 1 where `self > other`, else 0.
    ///
    /// ```swift
    /// let positive = x.gt(Tensor.zeros(like: x))
    /// ```
    public func gt(_ other: Tensor) -> Tensor { checked { try compare(other, "gt", GreaterOp.self) } }
    /// 1 where `self >= other`, else 0.
    public func ge(_ other: Tensor) -> Tensor { checked { try compare(other, "ge", GreaterOrEqualOp.self) } }

    /// 1 where an element equals `s`, else 0.
    public func eq<S: BinaryInteger>(_ s: S) -> Tensor { checked { try compare(ScalarOperand(s), "eq", EqualOp.self) } }
    /// 1 where an element equals `s`, else 0.
    public func eq<S: BinaryFloatingPoint>(_ s: S) -> Tensor { checked { try compare(ScalarOperand(s), "eq", EqualOp.self) } }
    /// 1 where an element differs from `s`, else 0.
    public func ne<S: BinaryInteger>(_ s: S) -> Tensor { checked { try compare(ScalarOperand(s), "ne", NotEqualOp.self) } }
    /// 1 where an element differs from `s`, else 0.
    public func ne<S: BinaryFloatingPoint>(_ s: S) -> Tensor { checked { try compare(ScalarOperand(s), "ne", NotEqualOp.self) } }
    /// 1 where an element is less than `s`, else 0.
    public func lt<S: BinaryInteger>(_ s: S) -> Tensor { checked { try compare(ScalarOperand(s), "lt", LessOp.self) } }
    /// 1 where an element is less than `s`, else 0.
    public func lt<S: BinaryFloatingPoint>(_ s: S) -> Tensor { checked { try compare(ScalarOperand(s), "lt", LessOp.self) } }
    /// 1 where an element is at most `s`, else 0.
    public func le<S: BinaryInteger>(_ s: S) -> Tensor { checked { try compare(ScalarOperand(s), "le", LessOrEqualOp.self) } }
    /// 1 where an element is at most `s`, else 0.
    public func le<S: BinaryFloatingPoint>(_ s: S) -> Tensor { checked { try compare(ScalarOperand(s), "le", LessOrEqualOp.self) } }
    /// 1 where an element exceeds `s`, else 0.
    ///
    /// ```swift
    /// let mask = x.gt(0.5)
    /// let nonzero = counts.gt(0)   // int64 counts: an int64 mask
    /// ```
    public func gt<S: BinaryInteger>(_ s: S) -> Tensor { checked { try compare(ScalarOperand(s), "gt", GreaterOp.self) } }
    /// 1 where an element exceeds `s`, else 0.
    public func gt<S: BinaryFloatingPoint>(_ s: S) -> Tensor { checked { try compare(ScalarOperand(s), "gt", GreaterOp.self) } }
    /// 1 where an element is at least `s`, else 0.
    public func ge<S: BinaryInteger>(_ s: S) -> Tensor { checked { try compare(ScalarOperand(s), "ge", GreaterOrEqualOp.self) } }
    /// 1 where an element is at least `s`, else 0.
    public func ge<S: BinaryFloatingPoint>(_ s: S) -> Tensor { checked { try compare(ScalarOperand(s), "ge", GreaterOrEqualOp.self) } }

    // MARK: Operators, as SIMD's

    /// `a.eq(b)`: 1 where equal, else 0.
    ///
    /// ```swift
    /// let correct = (logits.argmax(axis: 1) .== labels).sum()   // int64 count
    /// let accuracy = (logits.argmax(axis: 1) .== labels).mean() // float32 fraction
    /// ```
    public static func .== (a: Tensor, b: Tensor) -> Tensor { a.eq(b) }
    /// `a.eq(s)`.
    public static func .== <S: BinaryInteger>(a: Tensor, s: S) -> Tensor { a.eq(s) }
    /// `a.eq(s)`.
    public static func .== <S: BinaryFloatingPoint>(a: Tensor, s: S) -> Tensor { a.eq(s) }
    /// `a.eq(s)`.
    public static func .== <S: BinaryInteger>(s: S, a: Tensor) -> Tensor { a.eq(s) }
    /// `a.eq(s)`.
    public static func .== <S: BinaryFloatingPoint>(s: S, a: Tensor) -> Tensor { a.eq(s) }

    /// `a.ne(b)`: 1 where different, else 0.
    public static func .!= (a: Tensor, b: Tensor) -> Tensor { a.ne(b) }
    /// `a.ne(s)`.
    public static func .!= <S: BinaryInteger>(a: Tensor, s: S) -> Tensor { a.ne(s) }
    /// `a.ne(s)`.
    public static func .!= <S: BinaryFloatingPoint>(a: Tensor, s: S) -> Tensor { a.ne(s) }
    /// `a.ne(s)`.
    public static func .!= <S: BinaryInteger>(s: S, a: Tensor) -> Tensor { a.ne(s) }
    /// `a.ne(s)`.
    public static func .!= <S: BinaryFloatingPoint>(s: S, a: Tensor) -> Tensor { a.ne(s) }

    /// `a.lt(b)`: 1 where `a < b`, else 0.
    ///
    /// ```swift
    /// let negative = x .< 0
    /// ```
    public static func .< (a: Tensor, b: Tensor) -> Tensor { a.lt(b) }
    /// `a.lt(s)`.
    public static func .< <S: BinaryInteger>(a: Tensor, s: S) -> Tensor { a.lt(s) }
    /// `a.lt(s)`.
    public static func .< <S: BinaryFloatingPoint>(a: Tensor, s: S) -> Tensor { a.lt(s) }
    /// 1 where `s < a`: `a.gt(s)`.
    public static func .< <S: BinaryInteger>(s: S, a: Tensor) -> Tensor { a.gt(s) }
    /// 1 where `s < a`: `a.gt(s)`.
    public static func .< <S: BinaryFloatingPoint>(s: S, a: Tensor) -> Tensor { a.gt(s) }

    /// `a.le(b)`: 1 where `a <= b`, else 0.
    public static func .<= (a: Tensor, b: Tensor) -> Tensor { a.le(b) }
    /// `a.le(s)`.
    public static func .<= <S: BinaryInteger>(a: Tensor, s: S) -> Tensor { a.le(s) }
    /// `a.le(s)`.
    public static func .<= <S: BinaryFloatingPoint>(a: Tensor, s: S) -> Tensor { a.le(s) }
    /// 1 where `s <= a`: `a.ge(s)`.
    public static func .<= <S: BinaryInteger>(s: S, a: Tensor) -> Tensor { a.ge(s) }
    /// 1 where `s <= a`: `a.ge(s)`.
    public static func .<= <S: BinaryFloatingPoint>(s: S, a: Tensor) -> Tensor { a.ge(s) }

    /// `a.gt(b)`: 1 where `a > b`, else 0.
    ///
    /// ```swift
    /// let positive = x .> 0
    /// ```
    public static func .> (a: Tensor, b: Tensor) -> Tensor { a.gt(b) }
    /// `a.gt(s)`.
    public static func .> <S: BinaryInteger>(a: Tensor, s: S) -> Tensor { a.gt(s) }
    /// `a.gt(s)`.
    public static func .> <S: BinaryFloatingPoint>(a: Tensor, s: S) -> Tensor { a.gt(s) }
    /// 1 where `s > a`: `a.lt(s)`.
    public static func .> <S: BinaryInteger>(s: S, a: Tensor) -> Tensor { a.lt(s) }
    /// 1 where `s > a`: `a.lt(s)`.
    public static func .> <S: BinaryFloatingPoint>(s: S, a: Tensor) -> Tensor { a.lt(s) }

    /// `a.ge(b)`: 1 where `a >= b`, else 0.
    public static func .>= (a: Tensor, b: Tensor) -> Tensor { a.ge(b) }
    /// `a.ge(s)`.
    public static func .>= <S: BinaryInteger>(a: Tensor, s: S) -> Tensor { a.ge(s) }
    /// `a.ge(s)`.
    public static func .>= <S: BinaryFloatingPoint>(a: Tensor, s: S) -> Tensor { a.ge(s) }
    /// 1 where `s >= a`: `a.le(s)`.
    public static func .>= <S: BinaryInteger>(s: S, a: Tensor) -> Tensor { a.le(s) }
    /// 1 where `s >= a`: `a.le(s)`.
    public static func .>= <S: BinaryFloatingPoint>(s: S, a: Tensor) -> Tensor { a.le(s) }

    // MARK: Selecting by a mask

    /// Elements of `a` where `condition` is nonzero, of `b` elsewhere (with broadcasting of all three).
    /// `a` and `b` are promoted to their result type (``resultType(_:_:)``); the condition may have any
    /// dtype (an int64 mask from a comparison of labels, a float mask).
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
            let (x, y) = promoted(a, b)
            let r = x.dtype
            // A condition of another dtype becomes an exact 0/1 mask first, so that no nonzero value can
            // round to 0 in the conversion (a float64 1e-300 in float32).
            let cond = condition.dtype == r ? condition : condition.ne(0).to(r)
            let out = try cond.selectElements(x, y, "where")
            record("where", output: out, inputs: [x, y], saved: [cond]) { g, _ in
                let zero = Tensor.zeros([], dtype: g.dtype)
                return [x.requiresGrad ? Tensor.where(cond, g, zero) : nil,
                        y.requiresGrad ? Tensor.where(cond, zero, g) : nil]
            }
            return out
        }
    }

    /// The Heaviside step function (PyTorch's `torch.heaviside`): 0 where this tensor is negative, 1 where
    /// it is positive, and `values` (broadcast) where it is zero; 0 for NaN, as in PyTorch. It is a
    /// comparison: the result carries no gradient.
    ///
    /// - Parameter values: the value at zero.
    ///
    /// ```swift
    /// Tensor([-1, 0, 2]).heaviside(Tensor([0.5]))   // [0, 0.5, 1]
    /// ```
    public func heaviside(_ values: Tensor) -> Tensor {
        checked {
            let r = Tensor.resultType(self, values)
            let x = detached(as: r).detach(), v = values.detached(as: r).detach()
            return Tensor.where(x.eq(Tensor.zeros([], dtype: r)), v, x.gt(Tensor.zeros([], dtype: r)))
        }
    }

    /// This tensor with elements replaced by `value` where `mask` is nonzero (differentiable in `self`).
    public func maskedWhere(_ mask: Tensor, _ value: Double) -> Tensor {
        Tensor.where(mask, Tensor.full([], value: value, dtype: dtype), self)
    }

    /// Elementwise minimum with broadcasting and type promotion. Where both are equal, each gets half the
    /// gradient, as in PyTorch; NaN in either gives NaN, and then both get the whole gradient (PyTorch's
    /// rule: an input loses its gradient only where it is strictly the larger).
    public func minimum(_ other: Tensor) -> Tensor {
        checked {
            let (x, y) = Tensor.promoted(self, other)
            let out = try x.zipElements(y, "minimum", MinimumOp.self)
            record("minimum", output: out, inputs: [x, y]) { g, _ in
                // PyTorch: where(x == y, g/2, g), filled with 0 where the input is strictly the larger
                // (exact zeros, also for an infinite g).
                let split = Tensor.where(x.eq(y), g * 0.5, g)
                return [split.maskedWhere(x.gt(y), 0), split.maskedWhere(x.lt(y), 0)]
            }
            return out
        }
    }

    /// Elementwise maximum with broadcasting and type promotion. Where both are equal, each gets half the
    /// gradient, as in PyTorch; NaN in either gives NaN, and then both get the whole gradient (PyTorch's
    /// rule: an input loses its gradient only where it is strictly the smaller).
    public func maximum(_ other: Tensor) -> Tensor {
        checked {
            let (x, y) = Tensor.promoted(self, other)
            let out = try x.zipElements(y, "maximum", MaximumOp.self)
            record("maximum", output: out, inputs: [x, y]) { g, _ in
                // PyTorch: where(x == y, g/2, g), filled with 0 where the input is strictly the smaller.
                let split = Tensor.where(x.eq(y), g * 0.5, g)
                return [split.maskedWhere(x.lt(y), 0), split.maskedWhere(x.gt(y), 0)]
            }
            return out
        }
    }
}
