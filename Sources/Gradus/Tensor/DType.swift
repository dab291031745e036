/// The element type of a ``Tensor``.
///
/// `float32` is the working type of training; `float64` serves gradient checks and users who need the
/// precision; `int64` holds class labels and indices (for ``Tensor/gather(axis:index:)``, one-hot and
/// cross-entropy targets), predictions from `argmax` and counts.
///
/// Operations on two tensors of different dtypes promote them as PyTorch does (``promoted(_:_:)``,
/// ``Tensor/resultType(_:_:)``): int64 with a floating-point type gives the floating-point type, float32
/// with float64 gives float64, and a rank-0 tensor only decides the type when its kind (integer or
/// floating point) is higher than the other's. A Swift number does not change a floating-point tensor's
/// dtype; with an int64 tensor an integer keeps int64 and a floating-point number gives float32. True
/// division (`/`) of int64 tensors gives float32. Gradus has no bool dtype: comparisons return masks of
/// 0 and 1 in the dtype the operands were compared in (int64 for two int64 operands).
///
/// ```swift
/// let labels = Tensor(labels: [3, 1, 4])   // dtype .int64
/// let x = Tensor.zeros([2, 3], dtype: .float64)
/// let accuracy = (logits.argmax(axis: 1) .== labels).mean()   // float32
/// ```
public enum DType: String, Sendable, CaseIterable, CustomStringConvertible {
    case float32
    case float64
    case int64

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .float32: return 4
        case .float64, .int64: return 8
        }
    }

    /// Whether values of this type are floating point (and so can require gradients).
    public var isFloatingPoint: Bool { self != .int64 }

    public var description: String { rawValue }
}

/// Floating-point element types that tensor kernels are written for (`Float` and `Double`).
///
/// Kernels are generic over this protocol and are specialized by the compiler for both types; kernels
/// that also run on integer tensors are generic over ``TensorElement``, which this protocol refines.
public protocol TensorFloat: TensorElement, BinaryFloatingPoint, Sendable where Self.RawSignificand: FixedWidthInteger {
    static func exp(_ x: Self) -> Self
    static func log(_ x: Self) -> Self
    static func log1p(_ x: Self) -> Self
    static func expm1(_ x: Self) -> Self
    static func sin(_ x: Self) -> Self
    static func cos(_ x: Self) -> Self
    static func tanh(_ x: Self) -> Self
    static func erf(_ x: Self) -> Self
    static func erfc(_ x: Self) -> Self
    static func pow(_ x: Self, _ y: Self) -> Self
    /// The square root, without C's errno side effect, so that loops containing it vectorize.
    static func sqrt(_ x: Self) -> Self
}
