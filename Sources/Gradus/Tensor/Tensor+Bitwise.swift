// Bitwise operations and greatest common divisors of int64 tensors (PyTorch's `bitwise_and`,
// `bitwise_or`, `bitwise_xor`, `bitwise_not`, `bitwise_left_shift`, `bitwise_right_shift`, `gcd`,
// `lcm`), with broadcasting. Floating-point tensors are refused, as PyTorch refuses them; none of these
// records gradients.

extension Tensor {
    /// Bitwise AND of int64 tensors, with broadcasting.
    ///
    /// ```swift
    /// Tensor(labels: [12, 10]).bitwiseAnd(Tensor(labels: [10, 6]))   // [8, 2]
    /// ```
    public func bitwiseAnd(_ other: Tensor) -> Tensor { checked { try integerCombination(other, "bitwiseAnd") { $0 & $1 } } }

    /// Bitwise OR of int64 tensors, with broadcasting.
    public func bitwiseOr(_ other: Tensor) -> Tensor { checked { try integerCombination(other, "bitwiseOr") { $0 | $1 } } }

    /// Bitwise exclusive OR of int64 tensors, with broadcasting.
    public func bitwiseXor(_ other: Tensor) -> Tensor { checked { try integerCombination(other, "bitwiseXor") { $0 ^ $1 } } }

    /// Bitwise NOT of an int64 tensor (−x − 1).
    public func bitwiseNot() -> Tensor { checked { try integerCombination(Tensor(shape: [], integers: [0]), "bitwiseNot") { a, _ in ~a } } }

    /// Shifts left by `other` bits (PyTorch's `bitwise_left_shift`): shifts of 64 bits or more, and
    /// negative shifts, give 0, as PyTorch's kernel.
    public func bitwiseLeftShift(_ other: Tensor) -> Tensor {
        checked { try integerCombination(other, "bitwiseLeftShift") { a, b in b < 0 || b >= 64 ? 0 : a << b } }
    }

    /// Shifts right by `other` bits, keeping the sign (PyTorch's `bitwise_right_shift`): shifts of 64
    /// bits or more, and negative shifts, give 0 for non-negative values and −1 for negative ones.
    public func bitwiseRightShift(_ other: Tensor) -> Tensor {
        checked { try integerCombination(other, "bitwiseRightShift") { a, b in b < 0 || b >= 64 ? (a < 0 ? -1 : 0) : a >> b } }
    }

    /// The greatest common divisor (PyTorch's `torch.gcd`): non-negative, gcd(0, 0) = 0; with
    /// Int64.min, whose magnitude int64 cannot hold, PyTorch's wrapped results (gcd(Int64.min, 0) is
    /// Int64.min, gcd(Int64.min, 6) is −2).
    ///
    /// ```swift
    /// Tensor(labels: [12, -18, 0]).gcd(Tensor(labels: [18, 12, 5]))   // [6, 6, 5]
    /// ```
    public func gcd(_ other: Tensor) -> Tensor { checked { try integerCombination(other, "gcd", Tensor.greatestCommonDivisor) } }

    /// The least common multiple (PyTorch's `torch.lcm`): |a / gcd · b|, 0 when either is 0, wrapping
    /// as PyTorch's int64 arithmetic where it overflows.
    public func lcm(_ other: Tensor) -> Tensor {
        checked {
            try integerCombination(other, "lcm") { a, b in
                let g = Tensor.greatestCommonDivisor(a, b)
                guard g != 0 else { return 0 }
                let v = a.dividedReportingOverflow(by: g).partialValue &* b   // wraps as PyTorch's int64 arithmetic
                return v < 0 ? 0 &- v : v
            }
        }
    }

    /// PyTorch's calc_gcd: Euclid on the magnitudes in int64 (so Int64.min stays negative).
    static func greatestCommonDivisor(_ a: Int64, _ b: Int64) -> Int64 {
        var (x, y) = (a < 0 ? 0 &- a : a, b < 0 ? 0 &- b : b)
        while x != 0 { (x, y) = (y.remainderReportingOverflow(dividingBy: x).partialValue, x) }
        return y
    }

    /// `combine` on the elements of two int64 tensors broadcast together.
    private func integerCombination(_ other: Tensor, _ op: String, _ combine: (Int64, Int64) -> Int64) throws -> Tensor {
        try require(dtype == .int64 && other.dtype == .int64,
                    "\(op): expects int64 tensors, got \(dtype) and \(other.dtype)", .dtypeMismatch)
        let target = try Broadcast.shape(shape, other.shape, op: op)
        let out = try Tensor(checkedShape: target, dtype: .int64, op: op)
        // The elementwise kernel of every binary op: broadcast operands read in place, no copies.
        try Tensor.zipKernel(self, other, out, combine)
        return out
    }
}
