// The loops behind elementwise operations: one generic body per loop shape (map, zip with broadcasting,
// where, and binary C library functions of two promoted tensors), specialized by the compiler for each
// element type.
//
// Operations that exist for every dtype are written as an op type with a generic `apply` (below) and run
// through `mapElements`/`zipElements`, which dispatch on the dtype in one place (DTypeDispatch.swift).
// Floating-point-only operations are op types over `TensorFloat` (`zipFloatElements`), or — the older
// form, still used by the math functions and activations — a pair of closures, one per floating type
// (`map`, `zipWith`).

// MARK: Operations written once for every element type

/// An operation on one element, for every dtype.
protocol UnaryElementOp {
    static func apply<T: TensorElement>(_ x: T) -> T
}

/// An operation on two elements of one type, for every dtype.
protocol BinaryElementOp {
    static func apply<T: TensorElement>(_ a: T, _ b: T) -> T
}

/// An operation on two elements of one floating-point type.
protocol FloatBinaryElementOp {
    static func apply<T: TensorFloat>(_ a: T, _ b: T) -> T
}

enum NegateOp: UnaryElementOp {
    @inline(__always) static func apply<T: TensorElement>(_ x: T) -> T { T.wrappingNegate(x) }
}

enum AbsOp: UnaryElementOp {
    @inline(__always) static func apply<T: TensorElement>(_ x: T) -> T { T.absolute(x) }
}

/// -1, 0 or 1 (0 for NaN).
enum SignOp: UnaryElementOp {
    @inline(__always) static func apply<T: TensorElement>(_ x: T) -> T {
        x > 0 ? 1 : (x < 0 ? T.wrappingNegate(1) : 0)
    }
}

enum AddOp: BinaryElementOp {
    @inline(__always) static func apply<T: TensorElement>(_ a: T, _ b: T) -> T { T.wrappingAdd(a, b) }
}

enum SubtractOp: BinaryElementOp {
    @inline(__always) static func apply<T: TensorElement>(_ a: T, _ b: T) -> T { T.wrappingSubtract(a, b) }
}

enum MultiplyOp: BinaryElementOp {
    @inline(__always) static func apply<T: TensorElement>(_ a: T, _ b: T) -> T { T.wrappingMultiply(a, b) }
}

/// The smaller of two elements; NaN if either is NaN, as in PyTorch.
enum MinimumOp: BinaryElementOp {
    @inline(__always) static func apply<T: TensorElement>(_ a: T, _ b: T) -> T {
        isNaNElement(a) ? a : (isNaNElement(b) ? b : Swift.min(a, b))
    }
}

/// The larger of two elements; NaN if either is NaN, as in PyTorch.
enum MaximumOp: BinaryElementOp {
    @inline(__always) static func apply<T: TensorElement>(_ a: T, _ b: T) -> T {
        isNaNElement(a) ? a : (isNaNElement(b) ? b : Swift.max(a, b))
    }
}

// Comparisons give 1 or 0 in the operands' type (Gradus has no bool dtype).
enum EqualOp: BinaryElementOp {
    @inline(__always) static func apply<T: TensorElement>(_ a: T, _ b: T) -> T { a == b ? 1 : 0 }
}
enum NotEqualOp: BinaryElementOp {
    @inline(__always) static func apply<T: TensorElement>(_ a: T, _ b: T) -> T { a != b ? 1 : 0 }
}
enum LessOp: BinaryElementOp {
    @inline(__always) static func apply<T: TensorElement>(_ a: T, _ b: T) -> T { a < b ? 1 : 0 }
}
enum LessOrEqualOp: BinaryElementOp {
    @inline(__always) static func apply<T: TensorElement>(_ a: T, _ b: T) -> T { a <= b ? 1 : 0 }
}
enum GreaterOp: BinaryElementOp {
    @inline(__always) static func apply<T: TensorElement>(_ a: T, _ b: T) -> T { a > b ? 1 : 0 }
}
enum GreaterOrEqualOp: BinaryElementOp {
    @inline(__always) static func apply<T: TensorElement>(_ a: T, _ b: T) -> T { a >= b ? 1 : 0 }
}

enum DivideOp: FloatBinaryElementOp {
    @inline(__always) static func apply<T: TensorFloat>(_ a: T, _ b: T) -> T { a / b }
}

enum PowerOp: FloatBinaryElementOp {
    @inline(__always) static func apply<T: TensorFloat>(_ a: T, _ b: T) -> T { T.pow(a, b) }
}

// MARK: Visitors: the loops, run for the tensor's dtype
//
// A visitor lives only for one `dispatch` call, while its caller holds every tensor it names, so its
// tensor properties are `unowned(unsafe)`: strong ones cost a retain/release pair per tensor per op,
// which on one-element tensors was a measurable part of the op (see docs/benchmarks.md).
//
// Large same-shape and tensor-with-number operations split over threads with their loop written out
// in each visitor (one per element-op protocol), calling `Op.apply` inside the part each thread runs:
// the shared kernels below take the element function as a closure, which is not inlined into a part
// handed to another thread (see `Threading.elementwiseGrain`).

private struct MapElements<Op: UnaryElementOp>: DTypeVisitor {
    typealias Result = Void
    unowned(unsafe) let source: Tensor
    unowned(unsafe) let out: Tensor

    @inline(__always)
    func visit<T: TensorElement>(_: T.Type) throws {
        let n = out.count
        if n >= 2 * Threading.elementwiseSplitGrain {
            let (x, y) = (UncheckedSendable(source.pointer(T.self)), UncheckedSendable(out.pointer(T.self)))
            Threading.parallelFor(n, grain: Threading.elementwiseSplitGrain) { r in
                let x = x.value, y = y.value
                for i in r { y[i] = Op.apply(x[i]) }
            }
            return
        }
        try Tensor.mapKernel(source.pointer(T.self), out.pointer(T.self), n) { (x: T) -> T in Op.apply(x) }
    }
}

private struct ZipElements<Op: BinaryElementOp>: DTypeVisitor {
    typealias Result = Void
    unowned(unsafe) let a: Tensor
    unowned(unsafe) let b: Tensor
    unowned(unsafe) let out: Tensor

    @inline(__always)
    func visit<T: TensorElement>(_: T.Type) throws {
        let n = out.count
        if n >= 2 * Threading.elementwiseSplitGrain && a.count == n && b.count == n {
            let (x, y, z) = (UncheckedSendable(a.pointer(T.self)), UncheckedSendable(b.pointer(T.self)), UncheckedSendable(out.pointer(T.self)))
            Threading.parallelFor(n, grain: Threading.elementwiseSplitGrain) { r in
                let x = x.value, y = y.value, z = z.value
                for i in r { z[i] = Op.apply(x[i], y[i]) }
            }
            return
        }
        try Tensor.zipKernel(a, b, out) { (x: T, y: T) -> T in Op.apply(x, y) }
    }
}

private struct ZipFloatElements<Op: FloatBinaryElementOp>: FloatDTypeVisitor {
    typealias Result = Void
    unowned(unsafe) let a: Tensor
    unowned(unsafe) let b: Tensor
    unowned(unsafe) let out: Tensor

    @inline(__always)
    func visit<T: TensorFloat>(_: T.Type) throws {
        let n = out.count
        if n >= 2 * Threading.elementwiseSplitGrain && a.count == n && b.count == n {
            let (x, y, z) = (UncheckedSendable(a.pointer(T.self)), UncheckedSendable(b.pointer(T.self)), UncheckedSendable(out.pointer(T.self)))
            Threading.parallelFor(n, grain: Threading.elementwiseSplitGrain) { r in
                let x = x.value, y = y.value, z = z.value
                for i in r { z[i] = Op.apply(x[i], y[i]) }
            }
            return
        }
        try Tensor.zipKernel(a, b, out) { (x: T, y: T) -> T in Op.apply(x, y) }
    }
}

/// `Op(x, s)` for each element x and a Swift number s (`Op(s, x)` when `scalarFirst`), in the tensor's dtype.
private struct ScalarElements<Op: BinaryElementOp>: DTypeVisitor {
    typealias Result = Void
    unowned(unsafe) let source: Tensor
    unowned(unsafe) let out: Tensor
    let scalar: ScalarOperand
    let scalarFirst: Bool
    let op: String

    @inline(__always)
    func visit<T: TensorElement>(_: T.Type) throws {
        let c = try scalar.element(as: T.self, op: op)
        let n = out.count
        if n >= 2 * Threading.elementwiseSplitGrain {
            let (x, y, first) = (UncheckedSendable(source.pointer(T.self)), UncheckedSendable(out.pointer(T.self)), scalarFirst)
            Threading.parallelFor(n, grain: Threading.elementwiseSplitGrain) { r in
                let x = x.value, y = y.value
                if first { for i in r { y[i] = Op.apply(c, x[i]) } } else { for i in r { y[i] = Op.apply(x[i], c) } }
            }
            return
        }
        if scalarFirst {
            try Tensor.mapKernel(source.pointer(T.self), out.pointer(T.self), out.count) { (x: T) -> T in Op.apply(c, x) }
        } else {
            try Tensor.mapKernel(source.pointer(T.self), out.pointer(T.self), out.count) { (x: T) -> T in Op.apply(x, c) }
        }
    }
}

/// The floating-point form of ``ScalarElements``.
private struct ScalarFloatElements<Op: FloatBinaryElementOp>: FloatDTypeVisitor {
    typealias Result = Void
    unowned(unsafe) let source: Tensor
    unowned(unsafe) let out: Tensor
    let scalar: ScalarOperand
    let scalarFirst: Bool
    let op: String

    @inline(__always)
    func visit<T: TensorFloat>(_: T.Type) throws {
        let c = try scalar.element(as: T.self, op: op)
        let n = out.count
        if n >= 2 * Threading.elementwiseSplitGrain {
            let (x, y, first) = (UncheckedSendable(source.pointer(T.self)), UncheckedSendable(out.pointer(T.self)), scalarFirst)
            Threading.parallelFor(n, grain: Threading.elementwiseSplitGrain) { r in
                let x = x.value, y = y.value
                if first { for i in r { y[i] = Op.apply(c, x[i]) } } else { for i in r { y[i] = Op.apply(x[i], c) } }
            }
            return
        }
        if scalarFirst {
            try Tensor.mapKernel(source.pointer(T.self), out.pointer(T.self), out.count) { (x: T) -> T in Op.apply(c, x) }
        } else {
            try Tensor.mapKernel(source.pointer(T.self), out.pointer(T.self), out.count) { (x: T) -> T in Op.apply(x, c) }
        }
    }
}

/// `condition ? a : b` elementwise, all three of one dtype and broadcast to `out`'s shape.
private struct SelectElements: DTypeVisitor {
    typealias Result = Void
    unowned(unsafe) let condition: Tensor
    unowned(unsafe) let a: Tensor
    unowned(unsafe) let b: Tensor
    unowned(unsafe) let out: Tensor

    func visit<T: TensorElement>(_: T.Type) {
        let outShape = out.shape
        let sc = Broadcast.strides(of: condition.shape, broadcastTo: outShape)
        let sa = Broadcast.strides(of: a.shape, broadcastTo: outShape)
        let sb = Broadcast.strides(of: b.shape, broadcastTo: outShape)
        let pc = condition.pointer(T.self), pa = a.pointer(T.self), pb = b.pointer(T.self), po = out.pointer(T.self)
        var idx = [Int](repeating: 0, count: outShape.count)
        var oc = 0, oa = 0, ob = 0
        for i in 0..<out.count {
            po[i] = pc[oc] != 0 ? pa[oa] : pb[ob]
            var d = outShape.count - 1
            while d >= 0 {
                idx[d] += 1; oc += sc[d]; oa += sa[d]; ob += sb[d]
                if idx[d] < outShape[d] { break }
                oc -= sc[d] * outShape[d]; oa -= sa[d] * outShape[d]; ob -= sb[d] * outShape[d]
                idx[d] = 0
                d -= 1
            }
        }
    }
}

extension Tensor {
    /// Stops unless this tensor is floating point.
    @inline(__always)
    func requireFloat(_ op: String) throws {
        try require(dtype.isFloatingPoint, "\(op): needs a floating-point tensor, got \(dtype) of shape \(shape)", .dtypeMismatch)
    }

    /// A new tensor of the same shape with `Op` applied to each element, for every dtype.
    @inline(__always)
    func mapElements<Op: UnaryElementOp>(_: Op.Type) throws -> Tensor {
        let out = Tensor(uninitializedShape: shape, dtype: dtype)
        try dtype.dispatch(MapElements<Op>(source: self, out: out))
        return out
    }

    /// A new tensor of the same shape with `Op` applied to each element and the number `s` (`s` first
    /// when `scalarFirst`), in this tensor's dtype (callers convert the tensor first).
    @inline(__always)
    func mapElements<Op: BinaryElementOp>(_ s: ScalarOperand, scalarFirst: Bool = false, _ op: String,
                                          _: Op.Type) throws -> Tensor {
        let out = Tensor(uninitializedShape: shape, dtype: dtype)
        try dtype.dispatch(ScalarElements<Op>(source: self, out: out, scalar: s, scalarFirst: scalarFirst, op: op))
        return out
    }

    /// The floating-point form of ``mapElements(_:scalarFirst:_:_:)``.
    @inline(__always)
    func mapFloatElements<Op: FloatBinaryElementOp>(_ s: ScalarOperand, scalarFirst: Bool = false, _ op: String,
                                                    _: Op.Type) throws -> Tensor {
        try requireFloat(op)
        let out = Tensor(uninitializedShape: shape, dtype: dtype)
        try dtype.dispatchFloat(op, ScalarFloatElements<Op>(source: self, out: out, scalar: s, scalarFirst: scalarFirst, op: op))
        return out
    }

    /// A new tensor of the broadcast shape with `Op` applied to pairs of elements, for every dtype. Both
    /// tensors must have one dtype (callers promote them first).
    @inline(__always)
    func zipElements<Op: BinaryElementOp>(_ other: Tensor, _ op: String, _: Op.Type) throws -> Tensor {
        let out = try zipOutput(other, op)
        try dtype.dispatch(ZipElements<Op>(a: self, b: other, out: out))
        return out
    }

    /// A new tensor of the broadcast shape with the floating-point operation `Op` applied to pairs of
    /// elements. Both tensors must have one floating-point dtype.
    @inline(__always)
    func zipFloatElements<Op: FloatBinaryElementOp>(_ other: Tensor, _ op: String, _: Op.Type) throws -> Tensor {
        try requireFloat(op)
        let out = try zipOutput(other, op)
        try dtype.dispatchFloat(op, ZipFloatElements<Op>(a: self, b: other, out: out))
        return out
    }

    /// Elements of `a` where this tensor is nonzero, of `b` elsewhere, with broadcasting of all three.
    /// All three must have one dtype.
    func selectElements(_ a: Tensor, _ b: Tensor, _ op: String) throws -> Tensor {
        try require(dtype == a.dtype && dtype == b.dtype, "\(op): dtypes \(dtype), \(a.dtype) and \(b.dtype) differ", .dtypeMismatch)
        let s1 = try Broadcast.shape(shape, a.shape, op: op)
        let outShape = try Broadcast.shape(s1, b.shape, op: op)
        let out = try Tensor(checkedShape: outShape, dtype: dtype, op: op)
        try dtype.dispatch(SelectElements(condition: self, a: a, b: b, out: out))
        return out
    }

    /// The uninitialized result of a broadcasting operation on this tensor and `other`, after checking
    /// that both have one dtype and that their shapes broadcast.
    @inline(__always)
    private func zipOutput(_ other: Tensor, _ op: String) throws -> Tensor {
        try require(dtype == other.dtype, "\(op): dtypes \(dtype) and \(other.dtype) differ (shapes \(shape) and \(other.shape)); convert one with to(_:)", .dtypeMismatch)
        if shape == other.shape { return Tensor(uninitializedShape: shape, dtype: dtype) }
        // A broadcast shape can be far larger than both inputs (zero-sized ones included): checked.
        return try Tensor(checkedShape: try Broadcast.shape(shape, other.shape, op: op), dtype: dtype, op: op)
    }

    /// A new tensor of the same shape with `f` applied to each element (floating-point dtypes; one
    /// closure per type).
    @inline(__always)
    func map(_ op: String, _ f32: (Float) -> Float, _ f64: (Double) -> Double) throws -> Tensor {
        try requireFloat(op)
        let out = Tensor(uninitializedShape: shape, dtype: dtype)
        try dtype.withFloatKernel(op,
            float: { try Tensor.mapKernel(pointer(Float.self), out.pointer(Float.self), count, f32) },
            double: { try Tensor.mapKernel(pointer(Double.self), out.pointer(Double.self), count, f64) })
        return out
    }

    @inline(__always)
    static func mapKernel<T>(_ src: UnsafeMutablePointer<T>, _ dst: UnsafeMutablePointer<T>, _ n: Int, _ f: (T) -> T) throws {
        Threading.parallelFor(n, grain: Threading.elementwiseGrain) { r in
            for i in r { dst[i] = f(src[i]) }
        }
    }

    /// A new tensor of the broadcast shape with `f` applied to pairs of elements (floating-point dtypes,
    /// both the same; one closure per type).
    @inline(__always)
    func zipWith(_ other: Tensor, _ op: String, _ f32: (Float, Float) -> Float, _ f64: (Double, Double) -> Double) throws -> Tensor {
        try requireFloat(op)
        let out = try zipOutput(other, op)
        try dtype.withFloatKernel(op,
            float: { try Tensor.zipKernel(self, other, out, f32) },
            double: { try Tensor.zipKernel(self, other, out, f64) })
        return out
    }

    @inline(__always)
    static func zipKernel<T>(_ a: Tensor, _ b: Tensor, _ out: Tensor, _ f: (T, T) -> T) throws {
        let pa = a.pointer(T.self), pb = b.pointer(T.self), po = out.pointer(T.self)
        let n = out.count
        if a.count == n && b.count == n {
            Threading.parallelFor(n, grain: Threading.elementwiseGrain) { r in
                for i in r { po[i] = f(pa[i], pb[i]) }
            }
        } else if b.count == 1 && a.count == n {
            let s = pb[0]
            Threading.parallelFor(n, grain: Threading.elementwiseGrain) { r in
                for i in r { po[i] = f(pa[i], s) }
            }
        } else if a.count == 1 && b.count == n {
            let s = pa[0]
            Threading.parallelFor(n, grain: Threading.elementwiseGrain) { r in
                for i in r { po[i] = f(s, pb[i]) }
            }
        } else {
            let sa = Broadcast.strides(of: a.shape, broadcastTo: out.shape)
            let sb = Broadcast.strides(of: b.shape, broadcastTo: out.shape)
            forEachInnerRun(shape: out.shape, stridesA: sa, stridesB: sb) { oa, ob, o, n, ia, ib in
                let x = pa + oa, y = pb + ob, z = po + o
                if ia == 1 && ib == 1 {
                    for j in 0..<n { z[j] = f(x[j], y[j]) }
                } else if ia == 1 {
                    let s = y[0]
                    for j in 0..<n { z[j] = f(x[j], s) }
                } else if ib == 1 {
                    let s = x[0]
                    for j in 0..<n { z[j] = f(s, y[j]) }
                } else {
                    let v = f(x[0], y[0])
                    for j in 0..<n { z[j] = v }
                }
            }
        }
    }
}

extension Tensor {
    /// This tensor and `other` promoted to a floating-point dtype (int64 gives float32), broadcast
    /// together, and `f32`/`f64` applied elementwise in one pass: the forward of binary functions from
    /// the C library (atan2, hypot, logaddexp). Returns the output and the promoted, not yet broadcast,
    /// operands that the backward rules read.
    func floatingPair(_ other: Tensor, op: String, _ f32: (Float, Float) -> Float, _ f64: (Double, Double) -> Double)
        throws -> (out: Tensor, a: Tensor, b: Tensor) {
        var type = Tensor.resultType(self, other)
        if type == .int64 { type = .float32 }
        let (a, b) = Tensor.promoted(self, other, to: type)
        let target = try Broadcast.shape(a.shape, b.shape, op: op)
        let ab = a.shape == target ? a : a.expand(target), bb = b.shape == target ? b : b.expand(target)
        let out = try Tensor(checkedShape: target, dtype: type, op: op)
        withExtendedLifetime((ab, bb)) {
            if type == .float32 {
                let x = ab.pointer(Float.self), y = bb.pointer(Float.self), o = out.pointer(Float.self)
                for i in 0..<out.count { o[i] = f32(x[i], y[i]) }
            } else {
                let x = ab.pointer(Double.self), y = bb.pointer(Double.self), o = out.pointer(Double.self)
                for i in 0..<out.count { o[i] = f64(x[i], y[i]) }
            }
        }
        return (out, a, b)
    }
}
