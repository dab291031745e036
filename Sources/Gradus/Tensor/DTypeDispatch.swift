// The one place where a tensor's `DType` becomes a Swift element type.
//
// Kernels are written once, as a generic method over `TensorElement` (every dtype) or `TensorFloat`
// (floating-point dtypes), inside a small struct that holds the kernel's tensors and sizes: a visitor.
// `DType.dispatch(_:)` calls the visitor's method with the Swift type of the dtype, and the compiler
// specializes the method for each type, so the loops run as fast as hand-written Float and Double ones.
//
//     struct Negate: DTypeVisitor {
//         let source: Tensor, out: Tensor
//         func visit<T: TensorElement>(_: T.Type) {
//             let s = source.pointer(T.self), d = out.pointer(T.self)
//             for i in 0..<out.count { d[i] = T.wrappingNegate(s[i]) }
//         }
//     }
//     try x.dtype.dispatch(Negate(source: x, out: out))
//
// (Swift has no generic closures, so `dtype.dispatch { <T> in ... }` cannot be written; a struct with a
// generic method is the closest form.) Adding a dtype means: its case in `DType`, the conformance of
// its Swift type to `TensorElement` (or `TensorFloat`), its line in the two switches below, and its
// rule in `DType.promoted(_:_:)`.

/// The element types a ``Tensor`` stores: `Float` (``DType/float32``), `Double` (``DType/float64``)
/// and `Int64` (``DType/int64``).
///
/// Kernels generic over this protocol run for every dtype. The requirements are the element operations
/// whose meaning differs between floating-point and integer types; default implementations cover every
/// `BinaryFloatingPoint` and every `FixedWidthInteger` type, so a conformance only names its ``dtype``.
public protocol TensorElement: Numeric, Comparable, Sendable {
    /// The ``DType`` that stores this type.
    static var dtype: DType { get }

    /// `a + b`; integers wrap around on overflow, as PyTorch's integer tensors do (Swift's `+` would trap).
    static func wrappingAdd(_ a: Self, _ b: Self) -> Self
    /// `a - b`; integers wrap around on overflow.
    static func wrappingSubtract(_ a: Self, _ b: Self) -> Self
    /// `a * b`; integers wrap around on overflow.
    static func wrappingMultiply(_ a: Self, _ b: Self) -> Self
    /// `-x`; for integers `-Int64.min` is `Int64.min`, as in PyTorch.
    static func wrappingNegate(_ x: Self) -> Self
    /// `|x|`: clears the sign of a floating-point value (so `-0.0` gives `0.0`); for integers
    /// `|Int64.min|` is `Int64.min`, as in PyTorch.
    static func absolute(_ x: Self) -> Self

    /// `value` in this type: rounded to nearest for floating-point types; truncated toward zero for
    /// integers, saturating at their range, with NaN giving 0.
    static func converted(from value: Double) -> Self
    /// `value` in this type: rounded to nearest for floating-point types, truncated to the width of
    /// other integer types.
    static func converted(from value: Int64) -> Self
}

extension TensorElement where Self: BinaryFloatingPoint {
    @inlinable public static func wrappingAdd(_ a: Self, _ b: Self) -> Self { a + b }
    @inlinable public static func wrappingSubtract(_ a: Self, _ b: Self) -> Self { a - b }
    @inlinable public static func wrappingMultiply(_ a: Self, _ b: Self) -> Self { a * b }
    @inlinable public static func wrappingNegate(_ x: Self) -> Self { -x }
    @inlinable public static func absolute(_ x: Self) -> Self { x.magnitude }
    @inlinable public static func converted(from value: Double) -> Self { Self(value) }
    @inlinable public static func converted(from value: Int64) -> Self { Self(value) }
}

extension TensorElement where Self: FixedWidthInteger {
    @inlinable public static func wrappingAdd(_ a: Self, _ b: Self) -> Self { a &+ b }
    @inlinable public static func wrappingSubtract(_ a: Self, _ b: Self) -> Self { a &- b }
    @inlinable public static func wrappingMultiply(_ a: Self, _ b: Self) -> Self { a &* b }
    @inlinable public static func wrappingNegate(_ x: Self) -> Self { 0 &- x }
    @inlinable public static func absolute(_ x: Self) -> Self { x < 0 ? 0 &- x : x }
    @inlinable public static func converted(from value: Double) -> Self {
        if value.isNaN { return 0 }
        return Self(exactly: value.rounded(.towardZero)) ?? (value < 0 ? Self.min : Self.max)
    }
    @inlinable public static func converted(from value: Int64) -> Self { Self(truncatingIfNeeded: value) }
}

extension Int64: TensorElement {
    public static var dtype: DType { .int64 }
}

// `Float` and `Double` conform through ``TensorFloat`` (TensorFloat+Conformances.swift).

/// Whether `x` is NaN, for any element type (`x != x` holds only for NaN; always false for integers,
/// where the compiler removes the test).
@inline(__always)
func isNaNElement<T: TensorElement>(_ x: T) -> Bool { x != x }

/// A kernel written once for every dtype: ``DType/dispatch(_:)`` calls ``visit(_:)`` with the Swift
/// type of the tensor's elements.
protocol DTypeVisitor {
    associatedtype Result
    func visit<T: TensorElement>(_ type: T.Type) throws -> Result
}

/// A kernel written once for the floating-point dtypes: ``DType/dispatchFloat(_:_:)`` calls
/// ``visit(_:)`` with `Float` or `Double`, and fails with `.dtypeMismatch` for an integer dtype.
protocol FloatDTypeVisitor {
    associatedtype Result
    func visit<T: TensorFloat>(_ type: T.Type) throws -> Result
}

extension DType {
    /// Runs `visitor` with the Swift type of this dtype's elements.
    @inline(__always)
    func dispatch<V: DTypeVisitor>(_ visitor: V) throws -> V.Result {
        switch self {
        case .float32: return try visitor.visit(Float.self)
        case .float64: return try visitor.visit(Double.self)
        case .int64: return try visitor.visit(Int64.self)
        }
    }

    /// Runs `visitor` with the Swift type of this floating-point dtype; an error naming `op` for other dtypes.
    @inline(__always)
    func dispatchFloat<V: FloatDTypeVisitor>(_ op: String, _ visitor: V) throws -> V.Result {
        switch self {
        case .float32: return try visitor.visit(Float.self)
        case .float64: return try visitor.visit(Double.self)
        case .int64: throw GradusError(.dtypeMismatch, "\(op): needs a floating-point tensor, got \(self)")
        }
    }

    /// For the older kernels written as one closure per floating-point type (`map`, `zipWith`): runs
    /// `float` for float32 and `double` for float64; an error naming `op` for other dtypes. New kernels
    /// take a visitor instead, so that they need no change when a dtype is added.
    @inline(__always)
    func withFloatKernel<R>(_ op: String, float: () throws -> R, double: () throws -> R) throws -> R {
        switch self {
        case .float32: return try float()
        case .float64: return try double()
        case .int64: throw GradusError(.dtypeMismatch, "\(op): needs a floating-point tensor, got \(self)")
        }
    }
}
