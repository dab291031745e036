// Type promotion by PyTorch's rules (torch.promote_types, torch.result_type and the treatment of Python
// numbers), for operations whose operands have different dtypes.

extension DType {
    /// 0 for integer types, 1 for floating-point types: PyTorch's categories (without bool and complex).
    var category: Int { isFloatingPoint ? 1 : 0 }

    /// The dtype that holds values of both `a` and `b` (PyTorch's `torch.promote_types`): the
    /// floating-point one over an integer one, the wider of two floating-point ones.
    ///
    /// ```swift
    /// DType.promoted(.float32, .float64)   // .float64
    /// DType.promoted(.int64, .float32)     // .float32
    /// ```
    public static func promoted(_ a: DType, _ b: DType) -> DType {
        if a == b { return a }
        if a.category != b.category { return a.category > b.category ? a : b }
        return a.byteSize >= b.byteSize ? a : b
    }

    /// The dtype of true division (`/`) in this dtype: itself for floating-point types, float32 (PyTorch's
    /// default dtype) for integers.
    var trueDivisionType: DType { isFloatingPoint ? self : .float32 }
}

extension Tensor {
    /// The dtype of an elementwise operation on `a` and `b` (PyTorch's `torch.result_type`): the promoted
    /// dtype of both, except that a rank-0 tensor beside a tensor of higher rank decides only when its
    /// category is higher (a float64 scalar tensor keeps `x + s` in float32 for a float32 `x`, but makes
    /// an int64 `x` float64).
    ///
    /// ```swift
    /// Tensor.resultType(Tensor.zeros([3]), Tensor.zeros([3], dtype: .float64))   // .float64
    /// Tensor.resultType(Tensor.zeros([3]), Tensor(scalar: 1, dtype: .float64))   // .float32
    /// ```
    public static func resultType(_ a: Tensor, _ b: Tensor) -> DType {
        if a.dtype == b.dtype { return a.dtype }
        let aIsScalar = a.rank == 0, bIsScalar = b.rank == 0
        if aIsScalar == bIsScalar { return DType.promoted(a.dtype, b.dtype) }
        let (dimensioned, scalar) = aIsScalar ? (b.dtype, a.dtype) : (a.dtype, b.dtype)
        return scalar.category > dimensioned.category ? scalar : dimensioned
    }

    /// `a` and `b` in `type` (their result type when nil). The conversions are recorded, so gradients come
    /// back to each input in its own dtype (summed to its shape first, then converted, as in PyTorch).
    @inline(__always)
    static func promoted(_ a: Tensor, _ b: Tensor, to type: DType? = nil) -> (Tensor, Tensor) {
        // Same dtypes (nearly every call): no conversion and no call into `to`.
        if type == nil && a.dtype == b.dtype { return (a, b) }
        let r = type ?? resultType(a, b)
        return (a.to(r), b.to(r))
    }

    /// This tensor's values in `type`, not connected to the graph (for masks, which carry no gradient).
    func detached(as type: DType) -> Tensor {
        dtype == type ? self : detach().to(type)
    }
}

/// A Swift number given to a tensor operation, seen as PyTorch sees a Python number: an integer keeps
/// its exact value and does not change an integer tensor's dtype; a floating-point number makes an
/// integer tensor float32; neither changes a floating-point tensor's dtype.
struct ScalarOperand: Sendable {
    /// Whether the number is an integer.
    let isInteger: Bool
    /// The exact value of an integer that fits in Int64; nil otherwise.
    let integer: Int64?
    /// The value as a Double (rounded for integers beyond 2⁵³).
    let double: Double

    init<S: BinaryInteger>(_ value: S) {
        isInteger = true
        integer = Int64(exactly: value)
        double = Double(value)
    }

    init<S: BinaryFloatingPoint>(_ value: S) {
        isInteger = false
        integer = nil
        double = Double(value)
    }
}

extension Tensor {
    /// The dtype of an operation on this tensor and `s`: a floating-point tensor keeps its dtype; an int64
    /// tensor stays int64 with an integer and becomes float32 with a floating-point number.
    func resultType(with s: ScalarOperand) -> DType {
        dtype.isFloatingPoint || s.isInteger ? dtype : .float32
    }

    /// This tensor converted to the dtype of `self ⊕ s` (float32 instead of int64 for a true division).
    /// The conversion is recorded, as in ``promoted(_:_:to:)``.
    @inline(__always)
    func converted(for s: ScalarOperand, trueDivision: Bool = false) -> Tensor {
        if dtype.isFloatingPoint { return self }   // a number never changes a floating-point tensor's dtype
        let r = resultType(with: s)
        return to(trueDivision ? r.trueDivisionType : r)
    }
}

extension ScalarOperand {
    /// The number as an element of type `T`; an error naming `op` when an integer beyond Int64's range is
    /// given to an integer tensor.
    @inline(__always)
    func element<T: TensorElement>(as _: T.Type, op: String) throws -> T {
        if let i = integer { return T.converted(from: i) }
        try require(!isInteger || T.dtype.isFloatingPoint,
                    "\(op): the integer \(double) does not fit in a \(T.dtype) tensor", .invalidArgument)
        return T.converted(from: double)
    }
}
