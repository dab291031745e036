// Sums of exponentials kept in log space: `logaddexp`, `logaddexp2` (PyTorch's `torch.logaddexp` and
// `torch.logaddexp2`) and running sums along an axis, `logcumsumexp`. Each adds the larger term to
// log1p of the smaller one's exponential relative to it, so nothing overflows or underflows to −inf
// while the result is representable; two equal infinities give that infinity (not ∞ − ∞ = NaN), NaN
// propagates. The gradients are PyTorch's formulas (derivatives.yaml, FunctionsManual.cpp).

#if canImport(Glibc)
import Glibc
#endif

extension Tensor {
    /// log(eˣ + eʸ) elementwise, computed without overflow (PyTorch's `torch.logaddexp`), the two
    /// tensors broadcast and promoted as arithmetic is (int64 gives float32, where PyTorch refuses it).
    ///
    /// The gradient is g / (1 + e^(other − self)) for this tensor and g / (1 + e^(self − other)) for
    /// `other` — NaN where both are the same infinity, as in PyTorch.
    ///
    /// - Parameter other: the second operand, broadcast against this tensor.
    ///
    /// ```swift
    /// Tensor([-1000.0, 0]).logaddexp(Tensor([-1000.0, 0]))   // [−999.307, 0.693]
    /// ```
    public func logaddexp(_ other: Tensor) -> Tensor {
        checked { try logAddExp(other, base2: false) }
    }

    /// log₂(2ˣ + 2ʸ) elementwise, computed without overflow (PyTorch's `torch.logaddexp2`), broadcast
    /// and promoted as ``logaddexp(_:)``. The gradient is g / (1 + 2^(other − self)) for this tensor.
    ///
    /// - Parameter other: the second operand, broadcast against this tensor.
    ///
    /// ```swift
    /// Tensor([3.0]).logaddexp2(Tensor([3.0]))   // [4]
    /// ```
    public func logaddexp2(_ other: Tensor) -> Tensor {
        checked { try logAddExp(other, base2: true) }
    }

    private func logAddExp(_ other: Tensor, base2: Bool) throws -> Tensor {
        let op = base2 ? "logaddexp2" : "logaddexp"
        let (out, a, b) = try floatingPair(other, op: op, { Tensor.logAddExp($0, $1, base2: base2) },
                                           { Tensor.logAddExp($0, $1, base2: base2) })
        let (aShape, bShape) = (a.shape, b.shape)
        record(op, output: out, inputs: [a, b]) { g, _ in
            func weight(_ d: Tensor) -> Tensor { ((base2 ? d * Double(M_LN2) : d).exp() + 1).reciprocal() }
            return [try (g * weight(b - a)).unbroadcast(to: aShape, op: op),
                    try (g * weight(a - b)).unbroadcast(to: bShape, op: op)]
        }
        return out
    }

    /// log(eˣ + eʸ) (or log₂(2ˣ + 2ʸ)) of two numbers as PyTorch's kernels compute it: the larger plus
    /// log1p of the smaller's exponential relative to it; the same infinity twice gives that infinity.
    @inline(__always)
    static func logAddExp<T: TensorFloat>(_ x: T, _ y: T, base2: Bool) -> T {
        if x.isInfinite && x == y { return x }
        let larger = x < y ? y : x                     // NaN in x keeps x; NaN in y makes the difference NaN
        let gap = -Swift.abs(x - y)
        if base2 { return larger + T.log1p(T.exp(gap * T(M_LN2))) / T(M_LN2) }
        return larger + T.log1p(T.exp(gap))
    }

    /// log Σ exp of the elements 0…k along `axis`, for each k (PyTorch's `torch.logcumsumexp`): running
    /// ``logaddexp(_:)``, so large and very negative values neither overflow nor vanish. An int64 tensor
    /// gives float32 (PyTorch refuses it).
    ///
    /// The gradient is PyTorch's: the positive and negative parts of the upstream gradient are summed
    /// from the end in log space, so it stays finite where the terms would overflow.
    ///
    /// - Parameter axis: the dimension to accumulate along; negative values count from the end.
    ///
    /// ```swift
    /// Tensor([0.0, 0, 0]).logcumsumexp(axis: 0)   // [0, log 2, log 3]
    /// ```
    public func logcumsumexp(axis: Int) -> Tensor {
        if dtype == .int64 { return to(.float32).logcumsumexp(axis: axis) }
        return checked {
            if rank == 0 {
                try require(axis == 0 || axis == -1, "logcumsumexp: axis \(axis) is out of range for a tensor of rank 0", .indexOutOfRange)
                return reshape([1]).logcumsumexp(axis: 0).reshape([])
            }
            let a = try self.axis(axis, op: "logcumsumexp", scalarAxis: true)
            let out = Tensor.zeros(shape, dtype: dtype)
            let (outer, n, inner) = axisLayout(a)
            func run<T: TensorFloat>(_: T.Type) {
                withExtendedLifetime(self) {
                    let x = pointer(T.self), o = out.pointer(T.self)
                    for p in 0..<outer {
                        for i in 0..<inner {
                            let base = p &* n &* inner &+ i
                            guard n > 0 else { continue }
                            var running = x[base]
                            o[base] = running
                            for k in 1..<n {
                                running = Tensor.logAddExp(x[base &+ k &* inner], running, base2: false)
                                o[base &+ k &* inner] = running
                            }
                        }
                    }
                }
            }
            switch dtype {
            case .float32: run(Float.self)
            case .float64: run(Double.self)
            case .int64: break
            }
            record("logcumsumexp", output: out, inputs: [self]) { g, y in
                [Tensor.logcumsumexpBackward(g, input: self, output: y, axis: a)]
            }
            return out
        }
    }

    /// PyTorch's logcumsumexp_backward: grad_i = Σ_{j ≥ i} g_j · e^(x_i − y_j), with the sum over j
    /// taken as a reversed logcumsumexp of log|g_j| − y_j, separately for positive and negative g (the
    /// lowest finite number stands for log 0). Built from differentiable operations.
    static func logcumsumexpBackward(_ g: Tensor, input x: Tensor, output y: Tensor, axis a: Int) -> Tensor {
        if x.count == 0 { return g }
        let lowest = Tensor.full([], value: x.dtype == .float32 ? -Double(Float.greatestFiniteMagnitude)
                                                                 : -Double.greatestFiniteMagnitude, dtype: x.dtype)
        let logAbs = g.abs().log()
        func fromEnd(_ t: Tensor) -> Tensor { t.flipped(axis: a).logcumsumexp(axis: a).flipped(axis: a) }
        let positive = fromEnd(Tensor.where(g.gt(0.0), logAbs, lowest) - y)
        let negative = fromEnd(Tensor.where(g.lt(0.0), logAbs, lowest) - y)
        return (positive + x).exp() - (negative + x).exp()
    }
}
