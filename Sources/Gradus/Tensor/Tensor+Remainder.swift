// Division with integer quotients: remainder (`%`, the sign of the divisor, Python's and PyTorch's
// `torch.remainder`), fmod (the sign of the dividend, C's and `torch.fmod`) and floor division
// (`torch.floor_divide`, and `torch.div` with a rounding mode). Broadcasting and type promotion as for `/` without its conversion to floating
// point: two int64 tensors give int64, and an integer divisor of 0 is an error (PyTorch raises
// ZeroDivisionError); floating-point division by 0 gives NaN or ±inf.

extension Tensor {
    /// The remainder of dividing by `other`, with the sign of `other` (PyTorch's `torch.remainder`,
    /// Python's `%`): `self − floor(self / other) · other`.
    ///
    /// Gradients: the upstream gradient for `self`, `−g · floor(self / other)` for `other`.
    ///
    /// - Parameter other: the divisor, broadcast against this tensor.
    ///
    /// ```swift
    /// Tensor(labels: [-7, 7]).remainder(Tensor(labels: [3, -3]))   // [2, -2]
    /// Tensor([-7.5, 7.5]) % 2                                       // [0.5, 1.5]
    /// ```
    public func remainder(_ other: Tensor) -> Tensor {
        checked { try divisionWithIntegerQuotient(other, .remainder) }
    }

    /// The remainder of dividing by `other`, with the sign of this tensor (PyTorch's `torch.fmod`, C's
    /// `fmod`): `self − trunc(self / other) · other`.
    ///
    /// Gradients: the upstream gradient for `self`, `−g · trunc(self / other)` for `other`.
    ///
    /// - Parameter other: the divisor, broadcast against this tensor.
    ///
    /// ```swift
    /// Tensor(labels: [-7, 7]).fmod(Tensor(labels: [3, -3]))   // [-1, 1]
    /// ```
    public func fmod(_ other: Tensor) -> Tensor {
        checked { try divisionWithIntegerQuotient(other, .fmod) }
    }

    /// The quotient rounded down, floor(self / other) (PyTorch's `torch.floor_divide`, Python's `//`).
    /// Not differentiable: its result records no gradient (PyTorch has no derivative for it either).
    ///
    /// - Parameter other: the divisor, broadcast against this tensor.
    ///
    /// ```swift
    /// Tensor(labels: [-7, 7]).floorDivide(Tensor(labels: [2, 2]))   // [-4, 3]
    /// ```
    public func floorDivide(_ other: Tensor) -> Tensor {
        checked { try divisionWithIntegerQuotient(other, .floorDivide) }
    }

    /// `remainder(_:)` by a number; an int64 tensor stays int64 with an integer and becomes float32
    /// with a floating-point number, as in PyTorch.
    public func remainder<S: BinaryInteger>(_ s: S) -> Tensor {
        let operand = ScalarOperand(s)
        return checked { try divisionWithIntegerQuotient(try scalarTensor(operand, op: "remainder"), .remainder) }
    }
    /// `remainder(_:)` by a number.
    public func remainder<S: BinaryFloatingPoint>(_ s: S) -> Tensor {
        let operand = ScalarOperand(s)
        return checked { try divisionWithIntegerQuotient(try scalarTensor(operand, op: "remainder"), .remainder) }
    }
    /// `fmod(_:)` by a number.
    public func fmod<S: BinaryInteger>(_ s: S) -> Tensor {
        let operand = ScalarOperand(s)
        return checked { try divisionWithIntegerQuotient(try scalarTensor(operand, op: "fmod"), .fmod) }
    }
    /// `fmod(_:)` by a number.
    public func fmod<S: BinaryFloatingPoint>(_ s: S) -> Tensor {
        let operand = ScalarOperand(s)
        return checked { try divisionWithIntegerQuotient(try scalarTensor(operand, op: "fmod"), .fmod) }
    }
    /// `floorDivide(_:)` by a number.
    public func floorDivide<S: BinaryInteger>(_ s: S) -> Tensor {
        let operand = ScalarOperand(s)
        return checked { try divisionWithIntegerQuotient(try scalarTensor(operand, op: "floorDivide"), .floorDivide) }
    }
    /// `floorDivide(_:)` by a number.
    public func floorDivide<S: BinaryFloatingPoint>(_ s: S) -> Tensor {
        let operand = ScalarOperand(s)
        return checked { try divisionWithIntegerQuotient(try scalarTensor(operand, op: "floorDivide"), .floorDivide) }
    }

    /// How `div(_:roundingMode:)` rounds the quotient (PyTorch's `rounding_mode`).
    public enum DivisionRounding: String, Sendable, CaseIterable {
        /// Toward zero, as C's integer division (`rounding_mode="trunc"`).
        case trunc
        /// Toward −∞, as Python's `//` (`rounding_mode="floor"`); `floorDivide(_:)`.
        case floor
    }

    /// Division with an optional rounding of the quotient (PyTorch's `torch.div(a, b, rounding_mode=)`).
    ///
    /// Without a mode it is `/` (true division: integers give float32). With `.trunc` or `.floor` the
    /// quotient is rounded toward zero or down and two int64 tensors stay int64 (an integer divisor of 0
    /// is then an error, PyTorch's ZeroDivisionError); the gradient of a rounded quotient is zero, as in
    /// PyTorch.
    ///
    /// - Parameters:
    ///   - other: the divisor, broadcast against this tensor.
    ///   - roundingMode: nil, `.trunc` or `.floor`.
    ///
    /// ```swift
    /// Tensor(labels: [-7, 7]).div(Tensor(labels: [2, 2]), roundingMode: .trunc)   // [-3, 3]
    /// Tensor([-7.5, 7.5]).div(Tensor([2.0]), roundingMode: .floor)                 // [-4, 3]
    /// ```
    public func div(_ other: Tensor, roundingMode: DivisionRounding? = nil) -> Tensor {
        let out: Tensor
        switch roundingMode {
        case nil: return self / other
        case .floor: out = floorDivide(other)
        case .trunc: out = checked { try divisionWithIntegerQuotient(other, .truncDivide) }
        }
        // PyTorch's gradient of a rounded quotient: zeros for each input that needs one, so that a
        // backward through it (alone) succeeds.
        guard out.dtype.isFloatingPoint, !out.requiresGrad else { return out }
        let (a, b) = (self, other)
        record("div", output: out, inputs: [a, b]) { g, _ in
            [a.requiresGrad ? Tensor.zeros(a.shape, dtype: a.dtype) : nil,
             b.requiresGrad ? Tensor.zeros(b.shape, dtype: b.dtype) : nil]
        }
        return out
    }

    /// ``div(_:roundingMode:)-(Tensor,_)`` by an integer: int64 stays int64 with a rounding mode.
    public func div<S: BinaryInteger>(_ s: S, roundingMode: DivisionRounding? = nil) -> Tensor {
        let operand = ScalarOperand(s)
        return checked { div(try scalarTensor(operand, op: "div"), roundingMode: roundingMode) }
    }

    /// ``div(_:roundingMode:)-(Tensor,_)`` by a floating-point number.
    public func div<S: BinaryFloatingPoint>(_ s: S, roundingMode: DivisionRounding? = nil) -> Tensor {
        let operand = ScalarOperand(s)
        return checked { div(try scalarTensor(operand, op: "div"), roundingMode: roundingMode) }
    }

    /// `remainder(_:)`: the sign of the divisor, as Python's `%` and PyTorch's `%`.
    public static func % (a: Tensor, b: Tensor) -> Tensor { a.remainder(b) }
    /// `remainder(_:)` by a number.
    public static func % <S: BinaryInteger>(a: Tensor, s: S) -> Tensor { a.remainder(s) }
    /// `remainder(_:)` by a number.
    public static func % <S: BinaryFloatingPoint>(a: Tensor, s: S) -> Tensor { a.remainder(s) }

    /// A rank-0 tensor holding `s` in the dtype of `self ⊕ s` (see ``ScalarOperand``), so that the tensor
    /// forms' promotion keeps this tensor's dtype as PyTorch does for a Python number.
    private func scalarTensor(_ s: ScalarOperand, op: String) throws -> Tensor {
        let type = resultType(with: s)
        if type == .int64 {
            guard let i = s.integer else {
                throw GradusError(.invalidArgument, "\(op): the integer \(s.double) does not fit in an int64 tensor's type")
            }
            return Tensor(shape: [], integers: [Int(i)])
        }
        return Tensor.full([], value: s.double, dtype: type)
    }

    private enum IntegerQuotientRule { case remainder, fmod, floorDivide, truncDivide }

    private func divisionWithIntegerQuotient(_ other: Tensor, _ rule: IntegerQuotientRule) throws -> Tensor {
        let op = switch rule {
        case .remainder: "remainder"
        case .fmod: "fmod"
        case .floorDivide: "floorDivide"
        case .truncDivide: "div(roundingMode: .trunc)"
        }
        let (x, y) = Tensor.promoted(self, other)
        let outShape = x.shape == y.shape ? x.shape : try Broadcast.shape(x.shape, y.shape, op: op)
        let out = try Tensor(checkedShape: outShape, dtype: x.dtype, op: op)
        switch x.dtype {
        case .int64:
            try require(out.count == 0 || !y.containsZero(),
                        "\(op): division by zero in an int64 divisor (PyTorch: ZeroDivisionError)", .invalidArgument)
            switch rule {
            case .remainder: try Tensor.zipKernel(x, y, out) { (a: Int64, b: Int64) -> Int64 in Tensor.integerRemainder(a, b) }
            case .fmod: try Tensor.zipKernel(x, y, out) { (a: Int64, b: Int64) -> Int64 in a.remainderReportingOverflow(dividingBy: b).partialValue }
            case .floorDivide: try Tensor.zipKernel(x, y, out) { (a: Int64, b: Int64) -> Int64 in Tensor.integerFloorQuotient(a, b) }
            // `Int64.min / -1` wraps around to `Int64.min`, as floor division does.
            case .truncDivide: try Tensor.zipKernel(x, y, out) { (a: Int64, b: Int64) -> Int64 in a.dividedReportingOverflow(by: b).partialValue }
            }
            return out
        case .float32:
            switch rule {
            case .remainder: try Tensor.zipKernel(x, y, out) { (a: Float, b: Float) -> Float in Tensor.floatRemainder(a, b) }
            case .fmod: try Tensor.zipKernel(x, y, out) { (a: Float, b: Float) -> Float in a.truncatingRemainder(dividingBy: b) }
            case .floorDivide: try Tensor.zipKernel(x, y, out) { (a: Float, b: Float) -> Float in Tensor.floatFloorQuotient(a, b) }
            case .truncDivide: try Tensor.zipKernel(x, y, out) { (a: Float, b: Float) -> Float in (a / b).rounded(.towardZero) }
            }
        case .float64:
            switch rule {
            case .remainder: try Tensor.zipKernel(x, y, out) { (a: Double, b: Double) -> Double in Tensor.floatRemainder(a, b) }
            case .fmod: try Tensor.zipKernel(x, y, out) { (a: Double, b: Double) -> Double in a.truncatingRemainder(dividingBy: b) }
            case .floorDivide: try Tensor.zipKernel(x, y, out) { (a: Double, b: Double) -> Double in Tensor.floatFloorQuotient(a, b) }
            case .truncDivide: try Tensor.zipKernel(x, y, out) { (a: Double, b: Double) -> Double in (a / b).rounded(.towardZero) }
            }
        }
        if rule == .floorDivide || rule == .truncDivide { return out }
        record(op, output: out, inputs: [x, y]) { g, _ in
            guard y.requiresGrad else { return [x.requiresGrad ? g : nil, nil] }
            let quotient = GradMode.noGrad {
                rule == .remainder ? x.detach().floorDivide(y.detach()) : (x.detach() / y.detach()).trunc()
            }
            return [x.requiresGrad ? g : nil, -g * quotient]
        }
        return out
    }

    /// a mod b with the sign of b; `Int64.min % -1` is 0 (Swift's `%` would trap on it).
    @inline(__always)
    static func integerRemainder(_ a: Int64, _ b: Int64) -> Int64 {
        let r = a.remainderReportingOverflow(dividingBy: b).partialValue
        return r != 0 && (r < 0) != (b < 0) ? r &+ b : r
    }

    /// floor(a / b); `Int64.min / -1` wraps around to `Int64.min`, as PyTorch 2.15's floor division (its
    /// truncating division stops the process there with SIGFPE, pytorch/pytorch#127804).
    @inline(__always)
    static func integerFloorQuotient(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a.dividedReportingOverflow(by: b).partialValue
        let r = a.remainderReportingOverflow(dividingBy: b).partialValue
        return r != 0 && (r < 0) != (b < 0) ? q &- 1 : q
    }

    /// a mod b with the sign of b, from C's fmod (exact), as PyTorch computes it.
    @inline(__always)
    static func floatRemainder<T: BinaryFloatingPoint>(_ a: T, _ b: T) -> T {
        let m = a.truncatingRemainder(dividingBy: b)
        return m != 0 && (b < 0) != (m < 0) ? m + b : m
    }

    /// floor(a / b) computed from the exact remainder (NumPy's and PyTorch's `div_floor`), so that a
    /// quotient just below an integer is not rounded up to it; a / b for b = 0 (±inf or NaN).
    @inline(__always)
    static func floatFloorQuotient<T: BinaryFloatingPoint>(_ a: T, _ b: T) -> T {
        if b == 0 { return a / b }
        let m = a.truncatingRemainder(dividingBy: b)
        var q = (a - m) / b
        if m != 0 && (b < 0) != (m < 0) { q -= 1 }
        if q == 0 { return (0 as T).withSign(of: a / b) }
        var f = q.rounded(.down)
        if q - f > 0.5 { f += 1 }
        return f
    }
}

private extension BinaryFloatingPoint {
    /// Zero with the sign of `other`.
    func withSign(of other: Self) -> Self { other.sign == .minus ? -self.magnitude : self.magnitude }
}
