// Whether two tensors hold the same or nearly the same numbers: `isClose` (a mask, PyTorch's
// `torch.isclose`), `allClose` and `equal` (one answer, PyTorch's `torch.allclose` and `torch.equal`).
// The tolerance test is PyTorch's: |a − b| ≤ atol + rtol·|b|, with equal values (the same infinity
// included) always close, NaN close to NaN only when asked, and nothing close to an infinity it differs
// from. Computed in the promoted dtype, without recording gradients.

extension Tensor {
    /// A mask of 1 where this tensor and `other` are close, |self − other| ≤ atol + rtol·|other|,
    /// else 0 (PyTorch's `torch.isclose`), the two broadcast together.
    ///
    /// Equal values are close, infinities included; a finite value is never close to an infinity; NaN
    /// is close to NaN only with `equalNaN`. Unlike PyTorch, which refuses two dtypes, the tensors are
    /// promoted as arithmetic promotes them; the mask has that dtype (int64 for two int64 tensors,
    /// whose difference is held against the tolerance in float32, as PyTorch does).
    ///
    /// - Parameters:
    ///   - other: the tensor to compare with (the reference: the relative tolerance scales with it).
    ///   - rtol: the relative tolerance, ≥ 0.
    ///   - atol: the absolute tolerance, ≥ 0.
    ///   - equalNaN: count two NaN as close.
    ///
    /// ```swift
    /// Tensor([1.0, 2.0]).isClose(Tensor([1.0 + 1e-9, 2.1]))   // [1, 0]
    /// ```
    public func isClose(_ other: Tensor, rtol: Double = 1e-5, atol: Double = 1e-8, equalNaN: Bool = false) -> Tensor {
        checked { try closeness(other, rtol: rtol, atol: atol, equalNaN: equalNaN, op: "isClose") }
    }

    /// Whether every element of this tensor is close to the matching element of `other` (PyTorch's
    /// `torch.allclose`): ``isClose(_:rtol:atol:equalNaN:)`` holds everywhere. The shapes must
    /// broadcast together.
    ///
    /// - Parameters:
    ///   - other: the tensor to compare with (the reference for `rtol`).
    ///   - rtol: the relative tolerance, ≥ 0.
    ///   - atol: the absolute tolerance, ≥ 0.
    ///   - equalNaN: count two NaN as close.
    ///
    /// ```swift
    /// if !prediction.allClose(expected, atol: 1e-6) { print("differs") }
    /// ```
    public func allClose(_ other: Tensor, rtol: Double = 1e-5, atol: Double = 1e-8, equalNaN: Bool = false) -> Bool {
        checked(or: false) {
            !(try closeness(other, rtol: rtol, atol: atol, equalNaN: equalNaN, op: "allClose").containsZero())
        }
    }

    /// Whether this tensor and `other` have the same shape and the same elements (PyTorch's
    /// `torch.equal`), compared in their promoted dtype. NaN equals nothing, not even NaN.
    ///
    /// - Parameter other: the tensor to compare with.
    ///
    /// ```swift
    /// Tensor([1.0, 2.0]).equal(Tensor(labels: [1, 2]))   // true
    /// ```
    public func equal(_ other: Tensor) -> Bool {
        checked(or: false) { try sameElements(other) }
    }

    private func sameElements(_ other: Tensor) throws -> Bool {
        try GradusError.throwIfRecorded()
        guard shape == other.shape else { return false }
        return GradMode.noGrad { !detach().eq(other.detach()).containsZero() }
    }

    private func closeness(_ other: Tensor, rtol: Double, atol: Double, equalNaN: Bool, op: String) throws -> Tensor {
        try require(rtol >= 0, "\(op): rtol must be greater than or equal to zero, got \(rtol)", .invalidArgument)
        try require(atol >= 0, "\(op): atol must be greater than or equal to zero, got \(atol)", .invalidArgument)
        let type = Tensor.resultType(self, other)
        let target = try Broadcast.shape(shape, other.shape, op: op)
        return GradMode.noGrad {
            let (a, b) = Tensor.promoted(detach(), other.detach(), to: type)
            let ab = a.shape == target ? a : a.expand(target), bb = b.shape == target ? b : b.expand(target)
            let out = Tensor.zeros(target, dtype: type)
            let tolerant = rtol != 0 || atol != 0
            func run<T: TensorFloat>(_: T.Type) {
                let r = T(rtol), t = T(atol)
                withExtendedLifetime((ab, bb)) {
                    let x = ab.pointer(T.self), y = bb.pointer(T.self), o = out.pointer(T.self)
                    for i in 0..<out.count {
                        let u = x[i], v = y[i]
                        var close = u == v || (equalNaN && u.isNaN && v.isNaN)
                        if !close && tolerant {
                            let actual = Swift.abs(u - v)
                            close = actual.isFinite && actual <= t + Swift.abs(r * v)
                        }
                        o[i] = close ? 1 : 0
                    }
                }
            }
            switch type {
            case .float32: run(Float.self)
            case .float64: run(Double.self)
            case .int64:
                // Integers: equal values exactly; otherwise the int64 difference against the tolerance in
                // float32, PyTorch's default float type, as PyTorch compares them.
                let r = Float(rtol), t = Float(atol)
                withExtendedLifetime((ab, bb)) {
                    let x = ab.pointer(Int64.self), y = bb.pointer(Int64.self), o = out.pointer(Int64.self)
                    for i in 0..<out.count {
                        let u = x[i], v = y[i]
                        var close = u == v
                        if !close && tolerant {
                            close = Float((u &- v).magnitude) <= t + Swift.abs(r * Float(v))
                        }
                        o[i] = close ? 1 : 0
                    }
                }
            }
            return out
        }
    }
}
