// Scoped access to a tensor's memory. The pointer is valid only inside the closure, during which the
// tensor (and so its storage) is kept alive: a pointer taken from a temporary tensor and used after the
// temporary is gone is the use-after-free that AddressSanitizer found when storage pointers were public.

extension Tensor {
    /// Calls `body` with the elements in row-major order (a strided view's elements are copied once into
    /// a contiguous buffer first). The buffer is valid only during the call.
    ///
    /// - Parameters:
    ///   - type: the Swift type of the elements: `Float` for float32, `Double` for float64, `Int64` for int64.
    ///   - body: reads the elements.
    /// - Returns: what `body` returns.
    /// - Throws: a ``GradusError`` when `type` does not match ``dtype``, or what `body` throws.
    ///
    /// ```swift
    /// let total = try x.withUnsafeBufferPointer(as: Float.self) { $0.reduce(0, +) }
    /// ```
    public func withUnsafeBufferPointer<T, R>(as type: T.Type, _ body: (UnsafeBufferPointer<T>) throws -> R) throws -> R {
        try checkElementType(T.self, "withUnsafeBufferPointer")
        return try withExtendedLifetime(self) {
            try body(UnsafeBufferPointer(start: pointer(T.self), count: count))
        }
    }

    /// Calls `body` with the elements of this contiguous tensor for writing, in place; counts a new
    /// storage ``version`` afterwards (so a recorded backward pass that saved the tensor refuses to use
    /// the changed values). The rules of the in-place operations apply: a tensor that requires gradients
    /// is written only under ``GradMode/noGrad(_:)``.
    ///
    /// - Parameters:
    ///   - type: the Swift type of the elements (see ``withUnsafeBufferPointer(as:_:)``).
    ///   - body: reads and writes the elements.
    /// - Returns: what `body` returns.
    /// - Throws: a ``GradusError`` when `type` does not match, the tensor is a strided view (write through
    ///   ``assign(_:)`` instead) or may not be changed now, or what `body` throws.
    ///
    /// ```swift
    /// try GradMode.noGrad { try w.withUnsafeMutableBufferPointer(as: Float.self) { $0[0] = 1 } }
    /// ```
    public func withUnsafeMutableBufferPointer<T, R>(as type: T.Type, _ body: (UnsafeMutableBufferPointer<T>) throws -> R) throws -> R {
        try checkElementType(T.self, "withUnsafeMutableBufferPointer")
        try require(isContiguous, "withUnsafeMutableBufferPointer: the tensor is a strided view (strides \(strides)); write into it with assign(_:), or use contiguous()", .invalidArgument)
        try checkInPlace("withUnsafeMutableBufferPointer")
        defer { storage.bumpVersion() }
        return try withExtendedLifetime(self) {
            try body(UnsafeMutableBufferPointer(start: pointer(T.self), count: count))
        }
    }

    private func checkElementType<T>(_: T.Type, _ op: String) throws {
        let matches: Bool
        switch dtype {
        case .float32: matches = T.self == Float.self
        case .float64: matches = T.self == Double.self
        case .int64: matches = T.self == Int64.self
        }
        try require(matches, "\(op): the tensor holds \(dtype), not \(T.self)", .dtypeMismatch)
    }
}
