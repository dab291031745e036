/// The element type of a ``Tensor``.
///
/// `float32` is the working type of training; `float64` serves gradient checks and users who need the
/// precision; `int64` holds class labels and indices (for ``Tensor/gather(axis:index:)``, one-hot and
/// cross-entropy targets).
///
/// ```swift
/// let labels = Tensor(labels: [3, 1, 4])   // dtype .int64
/// let x = Tensor.zeros([2, 3], dtype: .float64)
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
/// Kernels are generic over this protocol and are specialized by the compiler for both types.
public protocol TensorFloat: BinaryFloatingPoint, Sendable where Self.RawSignificand: FixedWidthInteger {
    /// The ``DType`` that stores this type.
    static var dtype: DType { get }
    static func exp(_ x: Self) -> Self
    static func log(_ x: Self) -> Self
    static func log1p(_ x: Self) -> Self
    static func expm1(_ x: Self) -> Self
    static func sin(_ x: Self) -> Self
    static func cos(_ x: Self) -> Self
    static func tanh(_ x: Self) -> Self
    static func erf(_ x: Self) -> Self
    static func pow(_ x: Self, _ y: Self) -> Self
    /// The square root, without C's errno side effect, so that loops containing it vectorize.
    static func sqrt(_ x: Self) -> Self
}
