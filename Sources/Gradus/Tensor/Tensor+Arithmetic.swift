// Arithmetic with broadcasting: + − × ÷ between tensors and with scalars on either side.
// Each operation computes its result and records its backward rule; gradients of broadcast inputs are
// summed back to their shapes by the engine (see `unbroadcast`), never here.

extension Tensor {
    /// Elementwise sum with broadcasting.
    ///
    /// ```swift
    /// let y = x + bias   // [N, M] + [M]
    /// ```
    public static func + (a: Tensor, b: Tensor) -> Tensor {
        checked {
            let out = try a.zipWith(b, "add", { $0 + $1 }, { $0 + $1 })
            record("add", output: out, inputs: [a, b]) { g, _ in [g, g] }
            return out
        }
    }

    /// Elementwise difference with broadcasting.
    public static func - (a: Tensor, b: Tensor) -> Tensor {
        checked {
            let out = try a.zipWith(b, "sub", { $0 - $1 }, { $0 - $1 })
            record("sub", output: out, inputs: [a, b]) { g, _ in [g, -g] }
            return out
        }
    }

    /// Elementwise product with broadcasting.
    public static func * (a: Tensor, b: Tensor) -> Tensor {
        checked {
            let out = try a.zipWith(b, "mul", { $0 * $1 }, { $0 * $1 })
            record("mul", output: out, inputs: [a, b]) { g, _ in
                [a.requiresGrad ? g * b : nil, b.requiresGrad ? g * a : nil]
            }
            return out
        }
    }

    /// Elementwise quotient with broadcasting.
    public static func / (a: Tensor, b: Tensor) -> Tensor {
        checked {
            let out = try a.zipWith(b, "div", { $0 / $1 }, { $0 / $1 })
            record("div", output: out, inputs: [a, b]) { g, _ in
                [a.requiresGrad ? g / b : nil, b.requiresGrad ? -g * a / (b * b) : nil]
            }
            return out
        }
    }

    /// Negation.
    public static prefix func - (a: Tensor) -> Tensor {
        checked {
            let out = try a.map("neg", { -$0 }, { -$0 })
            record("neg", output: out, inputs: [a]) { g, _ in [-g] }
            return out
        }
    }

    // MARK: With scalars

    /// Adds a scalar to every element.
    public static func + (a: Tensor, s: Double) -> Tensor {
        checked {
            let f = Float(s)
            let out = try a.map("add", { $0 + f }, { $0 + s })
            record("add", output: out, inputs: [a]) { g, _ in [g] }
            return out
        }
    }

    /// Adds a scalar to every element.
    public static func + (s: Double, a: Tensor) -> Tensor { a + s }

    /// Subtracts a scalar from every element.
    public static func - (a: Tensor, s: Double) -> Tensor { a + (-s) }

    /// Subtracts every element from a scalar.
    public static func - (s: Double, a: Tensor) -> Tensor {
        checked {
            let f = Float(s)
            let out = try a.map("rsub", { f - $0 }, { s - $0 })
            record("rsub", output: out, inputs: [a]) { g, _ in [-g] }
            return out
        }
    }

    /// Multiplies every element by a scalar.
    public static func * (a: Tensor, s: Double) -> Tensor {
        checked {
            let f = Float(s)
            let out = try a.map("mul", { $0 * f }, { $0 * s })
            record("mul", output: out, inputs: [a]) { g, _ in [g * s] }
            return out
        }
    }

    /// Multiplies every element by a scalar.
    public static func * (s: Double, a: Tensor) -> Tensor { a * s }

    /// Divides every element by a scalar.
    public static func / (a: Tensor, s: Double) -> Tensor {
        checked {
            let f = Float(s)
            let out = try a.map("div", { $0 / f }, { $0 / s })
            record("div", output: out, inputs: [a]) { g, _ in [g / s] }
            return out
        }
    }

    /// Divides a scalar by every element.
    public static func / (s: Double, a: Tensor) -> Tensor {
        checked {
            let f = Float(s)
            let out = try a.map("rdiv", { f / $0 }, { s / $0 })
            record("rdiv", output: out, inputs: [a]) { g, y in [-g * y / a] }
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
