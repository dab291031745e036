/// An n-dimensional array of numbers that records the operations applied to it, so that gradients can
/// flow back through them (reverse-mode automatic differentiation).
///
/// `Tensor` has reference semantics, like PyTorch's: a parameter is one object whose ``grad`` fills in
/// when ``backward(_:retainGraph:createGraph:)`` runs. Its elements live in one contiguous, row-major
/// ``TensorStorage``; operations return new tensors and never change their inputs.
///
/// ```swift
/// let w = Tensor([[1, 2], [3, 4]]).requiringGrad()
/// let loss = (w * w).sum()
/// loss.backward()
/// print(w.grad!)   // 2 * w
/// ```
public final class Tensor: @unchecked Sendable {
    /// The size of each dimension, outermost first. A scalar has shape `[]`.
    public let shape: [Int]
    /// The element type.
    public let dtype: DType
    /// The number of elements (the product of ``shape``).
    public let count: Int
    /// The element buffer. Optimizers write into it in place, under ``GradMode/noGrad(_:)``.
    public let storage: TensorStorage

    /// Whether gradients are computed for this tensor. Set it on leaves (parameters, inputs to explain);
    /// results of operations on such tensors require gradients too.
    public var requiresGrad: Bool {
        didSet {
            invariant(!requiresGrad || dtype.isFloatingPoint,
                         "requiresGrad: only floating-point tensors can require gradients, not \(dtype)")
        }
    }
    /// The accumulated gradient of a leaf after ``backward(_:retainGraph:createGraph:)``; `nil` until then.
    public var grad: Tensor?
    /// The graph node that produced this tensor; `nil` for leaves.
    public internal(set) var gradFn: Node?

    /// Creates a tensor over an existing storage. The storage must hold `shape`'s product elements of `dtype`.
    public init(shape: [Int], dtype: DType, storage: TensorStorage) {
        let count = Tensor.validCount(shape, op: "Tensor(shape:dtype:storage:)")
        invariant(storage.byteCount >= count * dtype.byteSize,
                     "Tensor(shape:dtype:storage:): storage of \(storage.byteCount) bytes is too small for shape \(shape) of \(dtype)")
        self.shape = shape
        self.dtype = dtype
        self.count = count
        self.storage = storage
        self.requiresGrad = false
    }

    /// Creates an uninitialized tensor. Kernels fill it before anyone reads it.
    init(uninitializedShape shape: [Int], dtype: DType) {
        let count = Tensor.validCount(shape, op: "Tensor")
        self.shape = shape
        self.dtype = dtype
        self.count = count
        self.storage = TensorStorage(byteCount: count * dtype.byteSize)
        self.requiresGrad = false
    }

    /// The number of dimensions.
    public var rank: Int { shape.count }

    /// Whether this tensor is a leaf of the graph: made by the user, not by an operation that records.
    public var isLeaf: Bool { gradFn == nil }

    static func elementCount(_ shape: [Int], op: String) throws -> Int {
        var n = 1
        for d in shape {
            try require(d >= 0, "\(op): negative dimension in shape \(shape)", .invalidArgument)
            let (p, overflow) = n.multipliedReportingOverflow(by: d)
            try require(!overflow, "\(op): shape \(shape) has too many elements", .shapeMismatch)
            n = p
        }
        return n
    }

    /// The element count of a shape that an initializer is given: a negative or overflowing shape stops
    /// the program (initializers cannot fail; public creation functions check with `elementCount` first).
    static func validCount(_ shape: [Int], op: String) -> Int {
        do { return try elementCount(shape, op: op) } catch { fatalError("\(error)") }
    }

    // MARK: Typed access

    /// A typed pointer to the elements. The caller must match `dtype`.
    @inline(__always)
    func pointer<T>(_ type: T.Type) -> UnsafeMutablePointer<T> {
        storage.pointer.assumingMemoryBound(to: T.self)
    }

    /// A typed buffer over the elements. The caller must match `dtype`.
    @inline(__always)
    func buffer<T>(_ type: T.Type) -> UnsafeMutableBufferPointer<T> {
        UnsafeMutableBufferPointer(start: pointer(T.self), count: count)
    }

    /// Normalizes a possibly negative axis (`-1` is the last) and checks it is in range.
    func axis(_ axis: Int, op: String, rankOverride: Int? = nil) throws -> Int {
        let r = rankOverride ?? rank
        let a = axis < 0 ? axis + r : axis
        try require(a >= 0 && a < Swift.max(r, 1), "\(op): axis \(axis) is out of range for shape \(shape)", .indexOutOfRange)
        return a
    }

    // MARK: Reading values

    /// The elements in row-major order, converted to `T`.
    ///
    /// ```swift
    /// Tensor([1, 2, 3]).scalars()            // [1.0, 2.0, 3.0] as [Float]
    /// Tensor([1, 2, 3]).scalars(as: Double.self)
    /// ```
    public func scalars<T: TensorFloat>(as type: T.Type = Float.self) -> [T] {
        switch dtype {
        case .float32: return buffer(Float.self).map { T($0) }
        case .float64: return buffer(Double.self).map { T($0) }
        case .int64: return buffer(Int64.self).map { T($0) }
        }
    }

    /// The elements as integers (floating-point values are truncated toward zero).
    public var intScalars: [Int] {
        switch dtype {
        case .float32: return buffer(Float.self).map { Int($0) }
        case .float64: return buffer(Double.self).map { Int($0) }
        case .int64: return buffer(Int64.self).map { Int($0) }
        }
    }

    /// The single element of a one-element tensor.
    ///
    /// ```swift
    /// let loss: Float = criterion(model(x), y).item()
    /// ```
    public func item<T: TensorFloat>(_ type: T.Type = Float.self) -> T {
        checked(or: T.nan) {
            try require(count == 1, "item(): the tensor has shape \(shape), not exactly one element", .shapeMismatch)
            return scalars(as: T.self)[0]
        }
    }

    /// A new leaf with the same values and no graph history.
    ///
    /// ```swift
    /// let target = prediction.detach()   // gradients do not flow into `prediction` through `target`
    /// ```
    public func detach() -> Tensor {
        Tensor(shape: shape, dtype: dtype, storage: storage)
    }

    /// Sets ``requiresGrad`` and returns this tensor, for chaining.
    ///
    /// ```swift
    /// let w = Tensor.normal([3, 3]).requiringGrad()
    /// ```
    @discardableResult
    public func requiringGrad(_ flag: Bool = true) -> Tensor {
        requiresGrad = flag
        return self
    }

    /// A copy of this tensor in its own storage, still connected to the graph.
    public func clone() -> Tensor {
        let out = Tensor(uninitializedShape: shape, dtype: dtype)
        out.storage.pointer.copyMemory(from: storage.pointer, byteCount: count * dtype.byteSize)
        record("clone", output: out, inputs: [self]) { g, _ in [g] }
        return out
    }
}

extension Tensor: CustomStringConvertible {
    /// A PyTorch-like rendering: nested brackets, then shape and dtype.
    public var description: String {
        let values: [String]
        switch dtype {
        case .float32: values = buffer(Float.self).map { "\($0)" }
        case .float64: values = buffer(Double.self).map { "\($0)" }
        case .int64: values = buffer(Int64.self).map { "\($0)" }
        }
        func render(_ dim: Int, _ offset: Int) -> String {
            if dim == shape.count { return values.isEmpty ? "" : values[offset] }
            let n = shape[dim]
            let stride = shape[(dim + 1)...].reduce(1, *)
            let limit = 6
            var parts: [String] = []
            for i in 0..<n {
                if n > limit && i == 3 { parts.append("..."); continue }
                if n > limit && i > 3 && i < n - 3 { continue }
                parts.append(render(dim + 1, offset + i * stride))
            }
            return "[" + parts.joined(separator: dim == shape.count - 1 ? ", " : ",\n ") + "]"
        }
        var s = "tensor(\(render(0, 0)), shape: \(shape), dtype: \(dtype)"
        if gradFn != nil { s += ", gradFn: \(gradFn!.name)" } else if requiresGrad { s += ", requiresGrad: true" }
        return s + ")"
    }
}
