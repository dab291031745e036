/// An n-dimensional array of numbers that records the operations applied to it, so that gradients can
/// flow back through them (reverse-mode automatic differentiation).
///
/// `Tensor` has reference semantics, like PyTorch's: a parameter is one object whose ``grad`` fills in
/// when ``backward(_:retainGraph:createGraph:inputs:)`` runs. Its elements live in a ``TensorStorage``, read
/// through a layout (``strides`` and ``storageOffset``): results of operations are contiguous and
/// row-major, while views (``transpose(_:_:)``, ``permute(_:)``, ``slice(axis:start:end:step:)``,
/// ``select(axis:index:)``, ``expand(_:)``, ``unsqueeze(_:)``, ``reshape(_:)`` where possible) share
/// their input's storage. Operations return new tensors and never change their inputs; the `…InPlace`
/// methods write into a tensor (and so into every view of its storage).
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
    /// The element buffer, possibly shared with other views. Optimizers write into it in place, under
    /// ``GradMode/noGrad(_:)``.
    public let storage: TensorStorage
    /// Where element (0, 0, …) sits in ``storage``, in elements (PyTorch's `storage_offset()`).
    public let storageOffset: Int
    /// The layout of a view that is not contiguous and row-major (nil for every contiguous tensor, so
    /// that ordinary results carry no stride array).
    let viewStrides: [Int]?
    /// ``storageOffset`` in bytes.
    let byteOffset: Int
    /// The contiguous copy that kernels read of a non-contiguous view (nil for contiguous tensors).
    let viewCache: ViewCache?

    /// Whether gradients are computed for this tensor. Set it on leaves (parameters, inputs to explain);
    /// results of operations on such tensors require gradients too.
    // The autograd fields skip Swift's dynamic exclusivity checks: two per operation, 7-10% of the
    // instructions of small_op_fwd / small_op_fwdbwd (callgrind). Tensors are not shared across threads
    // while they are being recorded (ThreadSanitizer runs in scripts/sanitize.sh).
    @exclusivity(unchecked) public var requiresGrad: Bool {
        didSet {
            if requiresGrad && !dtype.isFloatingPoint
                && !validSetting(false, "requiresGrad: only floating-point tensors can require gradients, not \(dtype)") {
                requiresGrad = false
            }
        }
    }
    /// The accumulated gradient of a leaf after ``backward(_:retainGraph:createGraph:inputs:)``; `nil` until then.
    /// A gradient assigned by hand must have this tensor's shape and element type (as in PyTorch); another
    /// is refused like a bad setting (recorded inside ``GradusError/catching(_:)``, a stop outside).
    @exclusivity(unchecked) public var grad: Tensor? {
        didSet {
            guard let g = grad, g.shape != shape || g.dtype != dtype else { return }
            if !validSetting(false, "grad: a gradient of shape \(g.shape) and \(g.dtype) cannot be assigned to a tensor of shape \(shape) and \(dtype)") {
                grad = oldValue
            }
        }
    }
    /// The graph node that produced this tensor; `nil` for leaves.
    @exclusivity(unchecked) public internal(set) var gradFn: Node?
    /// Gradient hooks registered on this tensor (``registerHook(_:)``); nil when there are none.
    @exclusivity(unchecked) var hooks: TensorHooks?

    /// Creates a tensor over an existing storage. The storage must hold `shape`'s product elements of `dtype`.
    ///
    /// A negative or overflowing shape, or a storage too small for it, fails as a setting does
    /// (recorded inside ``GradusError/catching(_:)``, where the tensor is empty; a stop outside).
    public init(shape: [Int], dtype: DType, storage: TensorStorage) {
        let op = "Tensor(shape:dtype:storage:)"
        var shape = shape, count = 0
        // A count is at most Int.max / 8, so count × byteSize cannot overflow.
        if let c = try? Tensor.elementCount(shape, op: op), c * dtype.byteSize <= storage.byteCount {
            count = c
        } else {
            _ = validSetting { _ = try Tensor.elementCount(shape, op: op) }
                && validSetting(false, "\(op): storage of \(storage.byteCount) bytes is too small for shape \(shape) of \(dtype)")
            shape = [0]
        }
        self.shape = shape
        self.dtype = dtype
        self.count = count
        self.storage = storage
        self.storageOffset = 0
        self.viewStrides = nil
        self.byteOffset = 0
        self.viewCache = nil
        self.requiresGrad = false
    }

    /// A view of `storage` with the given layout (`strides` nil: contiguous). The caller guarantees that
    /// every element it reaches lies inside the storage. A layout that is in fact contiguous (ignoring
    /// dimensions of size 1) is stored as such, so that kernels read it directly.
    init(viewOf storage: TensorStorage, shape: [Int], strides: [Int]?, offset: Int, dtype: DType) {
        let count = Tensor.validCount(shape, op: "view")
        self.shape = shape
        self.dtype = dtype
        self.count = count
        self.storage = storage
        self.storageOffset = offset
        self.byteOffset = offset * dtype.byteSize
        let contiguous = strides == nil || count == 0 || Tensor.isContiguousLayout(shape: shape, strides: strides!)
        self.viewStrides = contiguous ? nil : strides
        self.viewCache = contiguous ? nil : ViewCache()
        self.requiresGrad = false
    }

    /// Creates an uninitialized tensor of a shape a caller gave, checked: throws for a negative or
    /// overflowing shape and when the memory cannot be had (``GradusError/Kind/outOfMemory``).
    init(checkedShape shape: [Int], dtype: DType, op: String) throws {
        let count = try Tensor.elementCount(shape, op: op)
        self.shape = shape
        self.dtype = dtype
        self.count = count
        self.storage = try TensorStorage(allocatingOrThrowing: count * dtype.byteSize, op: op)
        self.storageOffset = 0
        self.viewStrides = nil
        self.byteOffset = 0
        self.viewCache = nil
        self.requiresGrad = false
    }

    /// Creates an uninitialized tensor. Kernels fill it before anyone reads it.
    init(uninitializedShape shape: [Int], dtype: DType) {
        let count = Tensor.validCount(shape, op: "Tensor")
        self.shape = shape
        self.dtype = dtype
        self.count = count
        self.storage = TensorStorage(byteCount: count * dtype.byteSize)
        self.storageOffset = 0
        self.viewStrides = nil
        self.byteOffset = 0
        self.viewCache = nil
        self.requiresGrad = false
    }

    /// The number of dimensions.
    public var rank: Int { shape.count }

    /// Whether this tensor is a leaf of the graph: made by the user, not by an operation that records.
    public var isLeaf: Bool { gradFn == nil }

    /// The most elements a tensor may have: its byte count (8 bytes an element at most) must fit in an `Int`.
    static let maximumElementCount = Int.max / 8

    /// The element count of `shape`, checked: no negative dimension, and the product of the dimensions
    /// other than zero at most ``maximumElementCount`` (as PyTorch, which refuses `[0, 2^40, 2^40]`:
    /// strides and byte offsets of such a shape overflow even though it holds no element).
    static func elementCount(_ shape: [Int], op: String) throws -> Int {
        var nonZero = 1, hasZero = false
        for d in shape {
            try require(d >= 0, "\(op): negative dimension in shape \(shape)", .invalidArgument)
            if d == 0 { hasZero = true; continue }
            let (p, overflow) = nonZero.multipliedReportingOverflow(by: d)
            try require(!overflow && p <= maximumElementCount, "\(op): shape \(shape) has too many elements", .shapeMismatch)
            nonZero = p
        }
        return hasZero ? 0 : nonZero
    }

    /// The element count of a shape that an initializer is given: a negative or overflowing shape stops
    /// the program (initializers cannot fail; public creation functions check with `elementCount` first).
    static func validCount(_ shape: [Int], op: String) -> Int {
        do { return try elementCount(shape, op: op) } catch { fatalError("\(error)") }
    }

    // MARK: Typed access

    /// The elements in contiguous row-major order: this tensor's own memory when it is contiguous,
    /// otherwise a copy made on first use and refreshed when the storage changes (kernels read strided
    /// views through it). Write through it only into contiguous tensors; in-place operations on views
    /// go through ``writeValues(from:_:)``.
    @inline(__always)
    var rawPointer: UnsafeMutableRawPointer {
        if let viewCache { return viewCache.contiguousPointer(of: self) }
        return storage.pointer + byteOffset
    }

    /// A typed pointer to the elements in contiguous row-major order (see ``rawPointer``). The caller
    /// must match `dtype`.
    @inline(__always)
    func pointer<T>(_ type: T.Type) -> UnsafeMutablePointer<T> {
        rawPointer.assumingMemoryBound(to: T.self)
    }

    /// A typed buffer over the elements. The caller must match `dtype`.
    @inline(__always)
    func buffer<T>(_ type: T.Type) -> UnsafeMutableBufferPointer<T> {
        UnsafeMutableBufferPointer(start: pointer(T.self), count: count)
    }

    /// Normalizes a possibly negative axis (`-1` is the last) and checks it is in range. A scalar (rank
    /// 0) has no axis, except for operations that treat it as one element along axis 0 or -1 (`scalarAxis`:
    /// reductions, max/min and argmax/argmin, softmax, sort, cumulative sums and products, squeeze,
    /// flatten, transpose), as PyTorch does.
    func axis(_ axis: Int, op: String, rankOverride: Int? = nil, scalarAxis: Bool = false) throws -> Int {
        let r = rankOverride ?? rank
        let a = axis < 0 ? axis + r : axis
        try require(a >= 0 && a < Swift.max(r, scalarAxis ? 1 : 0) || (r == 0 && scalarAxis && axis == -1),
                    "\(op): axis \(axis) is out of range for shape \(shape)", .indexOutOfRange)
        return Swift.max(a, 0)
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

    /// The elements as integers (floating-point values are truncated toward zero; NaN gives 0 and values
    /// outside `Int`'s range the nearest end).
    public var intScalars: [Int] {
        switch dtype {
        case .float32: return buffer(Float.self).map { Int(Int64.converted(from: Double($0))) }
        case .float64: return buffer(Double.self).map { Int(Int64.converted(from: $0)) }
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
        Tensor(viewOf: storage, shape: shape, strides: viewStrides, offset: storageOffset, dtype: dtype)
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

    /// A contiguous copy of this tensor in its own storage, still connected to the graph.
    public func clone() -> Tensor {
        let out = Tensor(uninitializedShape: shape, dtype: dtype)
        out.rawPointer.copyMemory(from: rawPointer, byteCount: count * dtype.byteSize)
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
