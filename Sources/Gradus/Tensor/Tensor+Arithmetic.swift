// Arithmetic with broadcasting: + − × ÷ between tensors and with Swift numbers on either side.
// Each operation computes its result and records its backward rule; gradients of broadcast inputs are
// summed back to their shapes by the engine (see `unbroadcast`), never here.
//
// Operands of different dtypes are promoted as in PyTorch (DTypePromotion.swift): both are converted
// to the result type with `to(_:)`, whose recorded conversion brings each gradient back in its input's
// own dtype. Swift numbers of any integer or floating-point type may stand on either side; they do not
// change a floating-point tensor's dtype, and an int64 tensor stays int64 with an integer. Division is
// true division: int64 / int64 gives float32.

extension Tensor {
    /// Elementwise sum with broadcasting and type promotion.
    ///
    /// ```swift
    /// let y = x + bias   // [N, M] + [M]
    /// ```
    public static func + (a: Tensor, b: Tensor) -> Tensor {
        checked {
            let (x, y) = promoted(a, b)
            let out = try x.zipElements(y, "add", AddOp.self)
            record("add", output: out, inputs: [x, y]) { g, _ in [g, g] }
            return out
        }
    }

    /// Elementwise difference with broadcasting and type promotion.
    public static func - (a: Tensor, b: Tensor) -> Tensor {
        checked {
            let (x, y) = promoted(a, b)
            let out = try x.zipElements(y, "sub", SubtractOp.self)
            record("sub", output: out, inputs: [x, y]) { g, _ in [g, y.requiresGrad ? -g : nil] }
            return out
        }
    }

    /// Elementwise product with broadcasting and type promotion.
    public static func * (a: Tensor, b: Tensor) -> Tensor {
        checked {
            let (x, y) = promoted(a, b)
            let out = try x.zipElements(y, "mul", MultiplyOp.self)
            record("mul", output: out, inputs: [x, y]) { g, _ in
                [x.requiresGrad ? g * y : nil, y.requiresGrad ? g * x : nil]
            }
            return out
        }
    }

    /// Elementwise true quotient with broadcasting and type promotion; int64 operands give float32, as
    /// in PyTorch.
    ///
    /// ```swift
    /// let ratio = Tensor(labels: [7, 1]) / Tensor(labels: [2, 4])   // [3.5, 0.25] float32
    /// ```
    public static func / (a: Tensor, b: Tensor) -> Tensor {
        checked {
            let (x, y) = promoted(a, b, to: resultType(a, b).trueDivisionType)
            let out = try x.zipFloatElements(y, "div", DivideOp.self)
            record("div", output: out, inputs: [x, y]) { g, _ in
                [x.requiresGrad ? g / y : nil, y.requiresGrad ? -g * x / (y * y) : nil]
            }
            return out
        }
    }

    /// Negation (int64 wraps around: −Int64.min is Int64.min, as in PyTorch).
    public static prefix func - (a: Tensor) -> Tensor {
        checked {
            let out = try a.mapElements(NegateOp.self)
            record("neg", output: out, inputs: [a]) { g, _ in [-g] }
            return out
        }
    }

    // MARK: With Swift numbers

    /// Adds a number to every element.
    ///
    /// ```swift
    /// let shifted = x + 1            // any integer or floating-point Swift type
    /// let next = labels + 1          // an int64 tensor stays int64
    /// ```
    public static func + <S: BinaryInteger>(a: Tensor, s: S) -> Tensor { a.adding(ScalarOperand(s)) }
    /// Adds a number to every element.
    public static func + <S: BinaryFloatingPoint>(a: Tensor, s: S) -> Tensor { a.adding(ScalarOperand(s)) }
    /// Adds a number to every element.
    public static func + <S: BinaryInteger>(s: S, a: Tensor) -> Tensor { a.adding(ScalarOperand(s)) }
    /// Adds a number to every element.
    public static func + <S: BinaryFloatingPoint>(s: S, a: Tensor) -> Tensor { a.adding(ScalarOperand(s)) }

    /// Subtracts a number from every element.
    public static func - <S: BinaryInteger>(a: Tensor, s: S) -> Tensor { a.subtracting(ScalarOperand(s)) }
    /// Subtracts a number from every element.
    public static func - <S: BinaryFloatingPoint>(a: Tensor, s: S) -> Tensor { a.subtracting(ScalarOperand(s)) }
    /// Subtracts every element from a number.
    public static func - <S: BinaryInteger>(s: S, a: Tensor) -> Tensor { a.subtracted(from: ScalarOperand(s)) }
    /// Subtracts every element from a number.
    public static func - <S: BinaryFloatingPoint>(s: S, a: Tensor) -> Tensor { a.subtracted(from: ScalarOperand(s)) }

    /// Multiplies every element by a number.
    ///
    /// ```swift
    /// let y = x * Float(2)           // float32 stays float32
    /// let z = x * k                  // k: Int
    /// ```
    public static func * <S: BinaryInteger>(a: Tensor, s: S) -> Tensor { a.multiplied(by: ScalarOperand(s)) }
    /// Multiplies every element by a number.
    public static func * <S: BinaryFloatingPoint>(a: Tensor, s: S) -> Tensor { a.multiplied(by: ScalarOperand(s)) }
    /// Multiplies every element by a number.
    public static func * <S: BinaryInteger>(s: S, a: Tensor) -> Tensor { a.multiplied(by: ScalarOperand(s)) }
    /// Multiplies every element by a number.
    public static func * <S: BinaryFloatingPoint>(s: S, a: Tensor) -> Tensor { a.multiplied(by: ScalarOperand(s)) }

    /// Divides every element by a number (true division: an int64 tensor gives float32).
    public static func / <S: BinaryInteger>(a: Tensor, s: S) -> Tensor { a.divided(by: ScalarOperand(s)) }
    /// Divides every element by a number (true division: an int64 tensor gives float32).
    public static func / <S: BinaryFloatingPoint>(a: Tensor, s: S) -> Tensor { a.divided(by: ScalarOperand(s)) }
    /// Divides a number by every element (true division: an int64 tensor gives float32).
    public static func / <S: BinaryInteger>(s: S, a: Tensor) -> Tensor { a.dividing(ScalarOperand(s)) }
    /// Divides a number by every element (true division: an int64 tensor gives float32).
    public static func / <S: BinaryFloatingPoint>(s: S, a: Tensor) -> Tensor { a.dividing(ScalarOperand(s)) }

    /// `self + s`.
    private func adding(_ s: ScalarOperand) -> Tensor {
        checked {
            let x = converted(for: s)
            let out = try x.mapElements(s, "add", AddOp.self)
            record("add", output: out, inputs: [x]) { g, _ in [g] }
            return out
        }
    }

    /// `self - s`.
    private func subtracting(_ s: ScalarOperand) -> Tensor {
        checked {
            let x = converted(for: s)
            let out = try x.mapElements(s, "sub", SubtractOp.self)
            record("sub", output: out, inputs: [x]) { g, _ in [g] }
            return out
        }
    }

    /// `s - self`.
    private func subtracted(from s: ScalarOperand) -> Tensor {
        checked {
            let x = converted(for: s)
            let out = try x.mapElements(s, scalarFirst: true, "rsub", SubtractOp.self)
            record("rsub", output: out, inputs: [x]) { g, _ in [-g] }
            return out
        }
    }

    /// `self * s`.
    private func multiplied(by s: ScalarOperand) -> Tensor {
        checked {
            let x = converted(for: s)
            let out = try x.mapElements(s, "mul", MultiplyOp.self)
            record("mul", output: out, inputs: [x]) { g, _ in [g.multiplied(by: s)] }
            return out
        }
    }

    /// `self / s` (true division).
    private func divided(by s: ScalarOperand) -> Tensor {
        checked {
            let x = converted(for: s, trueDivision: true)
            let out = try x.mapFloatElements(s, "div", DivideOp.self)
            record("div", output: out, inputs: [x]) { g, _ in [g.divided(by: s)] }
            return out
        }
    }

    /// `s / self` (true division).
    private func dividing(_ s: ScalarOperand) -> Tensor {
        checked {
            let x = converted(for: s, trueDivision: true)
            let out = try x.mapFloatElements(s, scalarFirst: true, "rdiv", DivideOp.self)
            record("rdiv", output: out, inputs: [x]) { g, y in [-g * y / x] }
            return out
        }
    }

    /// `a += b`: replaces `a` with the new tensor `a + b` (the old tensor is not modified).
    public static func += (a: inout Tensor, b: Tensor) { a = a + b }
    /// `a -= b`: replaces `a` with `a - b`.
    public static func -= (a: inout Tensor, b: Tensor) { a = a - b }
    /// `a *= b`: replaces `a` with `a * b`.
    public static func *= (a: inout Tensor, b: Tensor) { a = a * b }
    /// `a /= b`: replaces `a` with `a / b`.
    public static func /= (a: inout Tensor, b: Tensor) { a = a / b }
}
