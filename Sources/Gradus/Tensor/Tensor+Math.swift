import CGradusMath

// Elementwise mathematical functions and their derivatives, written with tensor operations so that
// they can be differentiated again (`createGraph`).

extension Tensor {
    /// Absolute value, for every dtype (int64: |Int64.min| is Int64.min, as in PyTorch). Its gradient at
    /// 0 is 0, as in PyTorch.
    public func abs() -> Tensor {
        checked {
            let out = try mapElements(AbsOp.self)
            record("abs", output: out, inputs: [self]) { g, _ in [g * self.sign()] }
            return out
        }
    }

    /// The sign of each element: -1, 0 or 1, in this tensor's dtype (0 for NaN). Its gradient is zero,
    /// as in PyTorch: the result of a tensor that requires gradients requires them too, so that a loss
    /// built on it can still run its backward pass.
    public func sign() -> Tensor {
        checked {
            let out = try mapElements(SignOp.self)
            if dtype.isFloatingPoint { record("sign", output: out, inputs: [self]) { g, _ in [Tensor.zeros(like: g)] } }
            return out
        }
    }

    /// eˣ.
    ///
    /// ```swift
    /// let y = x.exp()
    /// ```
    ///
    /// An int64 tensor gives float32, as in PyTorch.
    public func exp() -> Tensor {
        if dtype == .int64 { return to(.float32).exp() }   // as PyTorch: integers in float32
        return checked {
            let out = try map("exp", { Float.exp($0) }, { Double.exp($0) })
            record("exp", output: out, inputs: [self]) { g, y in [g * y] }
            return out
        }
    }

    /// Natural logarithm.
    ///
    /// An int64 tensor gives float32, as in PyTorch.
    public func log() -> Tensor {
        if dtype == .int64 { return to(.float32).log() }   // as PyTorch: integers in float32
        return checked {
            let out = try map("log", { Float.log($0) }, { Double.log($0) })
            record("log", output: out, inputs: [self]) { g, _ in [g / self] }
            return out
        }
    }

    /// log(1 + x), accurate for small x.
    ///
    /// An int64 tensor gives float32, as in PyTorch.
    public func log1p() -> Tensor {
        if dtype == .int64 { return to(.float32).log1p() }   // as PyTorch: integers in float32
        return checked {
            let out = try map("log1p", { Float.log1p($0) }, { Double.log1p($0) })
            record("log1p", output: out, inputs: [self]) { g, _ in [g / (self + 1)] }
            return out
        }
    }

    /// Square root.
    ///
    /// An int64 tensor gives float32, as in PyTorch.
    public func sqrt() -> Tensor {
        if dtype == .int64 { return to(.float32).sqrt() }   // as PyTorch: integers in float32
        return checked {
            let out = try map("sqrt", { Float.sqrt($0) }, { Double.sqrt($0) })
            record("sqrt", output: out, inputs: [self]) { g, y in [g / (y * 2)] }
            return out
        }
    }

    /// x² (int64 stays int64, wrapping around on overflow, as in PyTorch).
    public func square() -> Tensor {
        if dtype == .int64 { return self * self }
        return checked {
            let out = try map("square", { $0 * $0 }, { $0 * $0 })
            record("square", output: out, inputs: [self]) { g, _ in [g * self * 2] }
            return out
        }
    }

    /// xᵖ for a scalar exponent. Exponents 2, 3, 0.5, -0.5, -1 and -2 take the fast paths PyTorch takes
    /// (products, square root, reciprocal), which also give PyTorch's values where `pow` differs from
    /// them: (-∞)^-0.5 is NaN, as 1/√-∞ is.
    ///
    /// ```swift
    /// let cube = x.pow(3)
    /// ```
    public func pow(_ p: Double) -> Tensor {
        if dtype == .int64 { return to(.float32).pow(p) }   // as PyTorch: a floating-point exponent gives float32
        return checked {
            let out: Tensor
            let f = Float(p)
            switch p {
            case 1: out = try map("pow", { $0 }, { $0 })
            case 2: out = try map("pow", { $0 * $0 }, { $0 * $0 })
            case 3: out = try map("pow", { $0 * $0 * $0 }, { $0 * $0 * $0 })
            case 0.5: out = try map("pow", { Float.sqrt($0) }, { Double.sqrt($0) })
            case -0.5: out = try map("pow", { 1 / Float.sqrt($0) }, { 1 / Double.sqrt($0) })
            case -1: out = try map("pow", { 1 / $0 }, { 1 / $0 })
            case -2: out = try map("pow", { 1 / ($0 * $0) }, { 1 / ($0 * $0) })
            default: out = try map("pow", { Float.pow($0, f) }, { Double.pow($0, p) })
            }
            record("pow", output: out, inputs: [self]) { g, _ in
                if p == 0 { return [g * 0] }
                return [g * p * self.pow(p - 1)]
            }
            return out
        }
    }

    /// xᵖ for an integer exponent: an int64 tensor stays int64 (exact, wrapping around on overflow), and
    /// a negative exponent of an int64 tensor is an error, as in PyTorch; a floating-point tensor is
    /// ``pow(_:)-(Double)``.
    ///
    /// ```swift
    /// Tensor(labels: [2, -3]).pow(3)   // [8, -27], int64
    /// ```
    public func pow<S: BinaryInteger>(_ p: S) -> Tensor {
        if dtype.isFloatingPoint { return pow(Double(p)) }
        let exponent = Int64(exactly: p)
        return checked {
            guard let e = exponent else {
                throw GradusError(.invalidArgument, "pow: the exponent \(Double(p)) does not fit in int64 (PyTorch: overflow)")
            }
            try require(e >= 0, "pow: an int64 tensor to a negative integer power (\(e)) is not allowed, as in PyTorch; "
                        + "convert it with to(.float32) first", .invalidArgument)
            let out = Tensor(uninitializedShape: shape, dtype: .int64)
            try Tensor.mapKernel(pointer(Int64.self), out.pointer(Int64.self), count) { Tensor.powInt64($0, e) }
            return out
        }
    }

    /// 1 / x (PyTorch's `torch.reciprocal`); an int64 tensor gives float32, as in PyTorch. The gradient
    /// is −g·y² for the result y.
    ///
    /// ```swift
    /// Tensor([2.0, 0.5]).reciprocal()   // [0.5, 2]
    /// ```
    public func reciprocal() -> Tensor {
        checked {
            let x = dtype.isFloatingPoint ? self : to(.float32)
            let out = try x.map("reciprocal", { 1 / $0 }, { 1 / $0 })
            // From the output, as PyTorch: −g·y².
            x.record("reciprocal", output: out, inputs: [x]) { g, y in [-g * (y * y)] }
            return out
        }
    }

    /// 1 / √x (PyTorch's `torch.rsqrt`): NaN for negative x, +inf at 0 and -inf at -0; an int64 tensor
    /// gives float32.
    /// The gradient is −g·y³/2 for the result y, as in PyTorch.
    ///
    /// ```swift
    /// Tensor([4.0, 0.25]).rsqrt()   // [0.5, 2]
    /// ```
    public func rsqrt() -> Tensor {
        checked {
            let x = dtype.isFloatingPoint ? self : to(.float32)
            let out = try x.map("rsqrt", { 1 / Float.sqrt($0) }, { 1 / Double.sqrt($0) })
            // From the output, as PyTorch: −g·y³/2 (NaN for x = −inf, where y is NaN).
            x.record("rsqrt", output: out, inputs: [x]) { g, y in [(g * -0.5) * (y * y * y)] }
            return out
        }
    }

    /// Elementwise power with a tensor exponent, with broadcasting and type promotion (int64 with a
    /// floating-point tensor gives the floating-point type). Two int64 tensors give int64, as in PyTorch:
    /// exact powers wrapping around on overflow, and for a negative exponent 1 for base 1, ±1 for base -1
    /// and 0 otherwise.
    ///
    /// ```swift
    /// let y = base.pow(exponents)
    /// ```
    public func pow(_ exponent: Tensor) -> Tensor {
        checked {
            let (x, e) = Tensor.promoted(self, exponent)
            if !x.dtype.isFloatingPoint { return try x.integerPower(e) }
            let out = try x.zipFloatElements(e, "pow", PowerOp.self)
            record("pow", output: out, inputs: [x, e]) { g, y in
                // PyTorch's pow_backward_self / pow_backward_exponent: no gradient to the base where the
                // exponent is 0 (0 · 0⁻¹ would be NaN at base 0), none to the exponent where the base is 0
                // and the exponent is non-negative (y · log 0).
                [x.requiresGrad ? g * (e * x.pow(e - 1)).maskedWhere(e.eq(0.0), 0) : nil,
                 e.requiresGrad ? g * (y * x.log()).maskedWhere(x.eq(0.0) * e.ge(0.0), 0) : nil]
            }
            return out
        }
    }

    /// `self` to the power `exponent`, both int64 (no gradient).
    private func integerPower(_ exponent: Tensor) throws -> Tensor {
        try require(dtype == .int64 && exponent.dtype == .int64,
                    "pow: integer powers need two int64 tensors, got \(dtype) and \(exponent.dtype)", .dtypeMismatch)
        let outShape = shape == exponent.shape ? shape : try Broadcast.shape(shape, exponent.shape, op: "pow")
        let out = Tensor(uninitializedShape: outShape, dtype: .int64)
        try Tensor.zipKernel(self, exponent, out) { (b: Int64, e: Int64) -> Int64 in Tensor.powInt64(b, e) }
        return out
    }

    /// bᵉ in Int64 by repeated squaring, wrapping around on overflow; PyTorch's rule for e < 0.
    static func powInt64(_ base: Int64, _ exponent: Int64) -> Int64 {
        if exponent < 0 {
            if base == 1 { return 1 }
            if base == -1 { return exponent & 1 == 0 ? 1 : -1 }
            return 0
        }
        var result: Int64 = 1, b = base, e = exponent
        while e > 0 {
            if e & 1 == 1 { result = result &* b }
            e >>= 1
            if e > 0 { b = b &* b }
        }
        return result
    }

    /// Sine.
    ///
    /// An int64 tensor gives float32, as in PyTorch.
    public func sin() -> Tensor {
        if dtype == .int64 { return to(.float32).sin() }   // as PyTorch: integers in float32
        return checked {
            let out = try map("sin", { Float.sin($0) }, { Double.sin($0) })
            record("sin", output: out, inputs: [self]) { g, _ in [g * self.cos()] }
            return out
        }
    }

    /// Cosine.
    ///
    /// An int64 tensor gives float32, as in PyTorch.
    public func cos() -> Tensor {
        if dtype == .int64 { return to(.float32).cos() }   // as PyTorch: integers in float32
        return checked {
            let out = try map("cos", { Float.cos($0) }, { Double.cos($0) })
            record("cos", output: out, inputs: [self]) { g, _ in [-g * self.sin()] }
            return out
        }
    }

    /// The Gauss error function.
    ///
    /// An int64 tensor gives float32, as in PyTorch.
    public func erf() -> Tensor {
        if dtype == .int64 { return to(.float32).erf() }   // as PyTorch: integers in float32
        return checked {
            let out = try map("erf", { Float.erf($0) }, { Double.erf($0) })
            record("erf", output: out, inputs: [self]) { g, _ in
                [g * (self.square() * -1).exp() * (2 / Double.pi.squareRoot())]
            }
            return out
        }
    }

    /// The complementary error function 1 − erf(x) (PyTorch's `torch.erfc`), computed directly so that it
    /// keeps its precision where erf(x) is close to 1 (erfc(10) ≈ 2.1e-45 in Float64, not 0).
    ///
    /// An int64 tensor gives float32, as in PyTorch.
    ///
    /// ```swift
    /// Tensor([0.0, 1.0]).erfc()   // [1, 0.1573]
    /// ```
    public func erfc() -> Tensor {
        if dtype == .int64 { return to(.float32).erfc() }   // as PyTorch: integers in float32
        return checked {
            let out = try map("erfc", { Float.erfc($0) }, { Double.erfc($0) })
            record("erfc", output: out, inputs: [self]) { g, _ in
                [g * (self.square() * -1).exp() * (-2 / Double.pi.squareRoot())]
            }
            return out
        }
    }

    /// Hyperbolic tangent. Float32 runs CGradusMath's vectorized loop (within 2 ulp of libm's tanhf).
    ///
    /// An int64 tensor gives float32, as in PyTorch.
    public func tanh() -> Tensor {
        if dtype == .int64 { return to(.float32).tanh() }   // as PyTorch: integers in float32
        return checked {
            let out = dtype == .float32
                ? vectorizedFloat32(gradus_tanh_f32)
                : try map("tanh", { Float.tanh($0) }, { Double.tanh($0) })
            record("tanh", output: out, inputs: [self]) { g, y in [g * (1 - y.square())] }
            return out
        }
    }

    /// The logistic function 1 / (1 + e⁻ˣ), computed without overflow. Float32 runs CGradusMath's
    /// vectorized loop (an exp within 1 ulp of libm's expf).
    ///
    /// An int64 tensor gives float32, as in PyTorch.
    public func sigmoid() -> Tensor {
        if dtype == .int64 { return to(.float32).sigmoid() }   // as PyTorch: integers in float32
        return checked {
            let out = dtype == .float32
                ? vectorizedFloat32(gradus_sigmoid_f32)
                : try map("sigmoid",
                      { $0 >= 0 ? 1 / (1 + Float.exp(-$0)) : Float.exp($0) / (1 + Float.exp($0)) },
                      { $0 >= 0 ? 1 / (1 + Double.exp(-$0)) : Double.exp($0) / (1 + Double.exp($0)) })
            record("sigmoid", output: out, inputs: [self]) { g, y in [g * y * (1 - y)] }
            return out
        }
    }

    /// A new Float32 tensor with `kernel(source, destination, count)` applied (a C loop over the array).
    private func vectorizedFloat32(_ kernel: (UnsafePointer<Float>?, UnsafeMutablePointer<Float>?, Int) -> Void) -> Tensor {
        let out = Tensor(uninitializedShape: shape, dtype: .float32)
        kernel(pointer(Float.self), out.pointer(Float.self), count)
        return out
    }

    /// Elements clamped to integer bounds [`min`, `max`]: an int64 tensor stays int64, as in PyTorch
    /// (with floating-point bounds it becomes float32); a floating-point tensor is clamped as by
    /// ``clamp(min:max:)-(Double?,Double?)``.
    ///
    /// ```swift
    /// Tensor(labels: [-1, 1, 5]).clamp(min: 0, max: 2)   // [0, 1, 2], int64
    /// ```
    public func clamp<S: BinaryInteger>(min lo: S?, max hi: S? = nil) -> Tensor {
        if lo == nil && hi == nil { return checked { throw GradusError(.invalidArgument, "clamp: give min, max or both") } }
        var (lower, upper): (Double?, Double?) = (nil, nil)
        var (l, h) = (Int64.min, Int64.max)
        if let lo { lower = Double(lo); l = Int64(clamping: lo) }
        if let hi { upper = Double(hi); h = Int64(clamping: hi) }
        if dtype.isFloatingPoint { return clamp(min: lower, max: upper) }
        return checked {
            let out = Tensor(uninitializedShape: shape, dtype: .int64)
            try Tensor.mapKernel(pointer(Int64.self), out.pointer(Int64.self), count) { Swift.min(Swift.max($0, l), h) }
            return out
        }
    }

    /// Elements clamped to integer bounds, only an upper one given.
    public func clamp<S: BinaryInteger>(max hi: S) -> Tensor { clamp(min: nil as S?, max: hi) }

    /// Elements clamped to [`min`, `max`]; either bound may be omitted, not both. The gradient passes
    /// strictly inside the given bounds (`min < x < max`): at exactly a bound, beyond it and at NaN it is
    /// 0, as in PyTorch 2.x. A NaN bound gives NaN everywhere, as in PyTorch.
    ///
    /// ```swift
    /// let p = probabilities.clamp(min: 1e-7, max: 1 - 1e-7)
    /// ```
    public func clamp(min lo: Double? = nil, max hi: Double? = nil) -> Tensor {
        if dtype == .int64 { return to(.float32).clamp(min: lo, max: hi) }   // as PyTorch: float bounds give float32
        return checked {
            try require(lo != nil || hi != nil, "clamp: give min, max or both")
            // A NaN bound makes every element NaN (PyTorch's); Swift's max(x, .nan) would give x.
            if lo?.isNaN == true || hi?.isNaN == true { return self * 0 + Double.nan }
            let l = lo ?? -.infinity, h = hi ?? .infinity
            let lf = Float(l), hf = Float(h)
            let out = try map("clamp", { Swift.min(Swift.max($0, lf), hf) }, { Swift.min(Swift.max($0, l), h) })
            record("clamp", output: out, inputs: [self]) { g, _ in
                let hasLow = lo != nil, hasHigh = hi != nil
                let inside = try self.map("clamp.mask", { ($0 > lf || !hasLow) && ($0 < hf || !hasHigh) && !$0.isNaN ? 1 : 0 },
                                          { ($0 > l || !hasLow) && ($0 < h || !hasHigh) && !$0.isNaN ? 1 : 0 })
                return [g * inside]
            }
            return out
        }
    }
}
