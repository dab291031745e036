extension Tensor {
    /// A tensor of `shape` with every element `value`.
    ///
    /// - Parameters:
    ///   - shape: the size of each dimension.
    ///   - value: the fill value.
    ///   - dtype: the element type (default `.float32`).
    ///
    /// ```swift
    /// let t = Tensor.full([2, 3], value: 0.5)
    /// ```
    public static func full(_ shape: [Int], value: Double, dtype: DType = .float32) -> Tensor {
        checkedEvenAfterFailure { try checkedFull(shape, value: value, dtype: dtype, op: "full") }
    }

    /// ``full(_:value:dtype:)`` for operations that write into the result next (see ``checkedZeros(_:dtype:op:)``).
    static func checkedFull(_ shape: [Int], value: Double, dtype: DType, op: String) throws -> Tensor {
        let t = try Tensor(checkedShape: shape, dtype: dtype, op: op)
        switch dtype {
        case .float32: t.buffer(Float.self).initialize(repeating: Float(value))
        case .float64: t.buffer(Double.self).initialize(repeating: value)
        case .int64: t.buffer(Int64.self).initialize(repeating: try Tensor.int64(value, op: op))
        }
        return t
    }

    /// `value` as an `Int64`, refused (as PyTorch refuses it) when it is NaN, infinite or outside
    /// `Int64`'s range; fractions are truncated toward zero.
    static func int64(_ value: Double, op: String) throws -> Int64 {
        let whole = value.rounded(.towardZero)
        guard let v = Int64(exactly: whole) else {
            throw GradusError(.invalidArgument, "\(op): value \(value) cannot be converted to int64 without overflow")
        }
        return v
    }

    /// A tensor of `shape` filled with zeros.
    ///
    /// ```swift
    /// let bias = Tensor.zeros([10])
    /// ```
    public static func zeros(_ shape: [Int], dtype: DType = .float32) -> Tensor {
        checkedEvenAfterFailure {
            try checkedZeros(shape, dtype: dtype, op: "zeros")
        }
    }

    /// Zeros of a shape computed from a caller's values, for operations that write into them next:
    /// throws (inside the operation's own `checked` body) where ``zeros(_:dtype:)`` would record the
    /// failure and return a placeholder too small to write into.
    static func checkedZeros(_ shape: [Int], dtype: DType, op: String) throws -> Tensor {
        let t = try Tensor(checkedShape: shape, dtype: dtype, op: op)
        TensorStorage.zeroFill(t.storage.pointer, byteCount: t.count * dtype.byteSize)
        return t
    }

    /// A tensor of `shape` filled with ones.
    ///
    /// ```swift
    /// let mask = Tensor.ones([4, 4])
    /// ```
    public static func ones(_ shape: [Int], dtype: DType = .float32) -> Tensor {
        full(shape, value: 1, dtype: dtype)
    }

    /// Zeros with the shape and dtype of `other`.
    public static func zeros(like other: Tensor) -> Tensor { zeros(other.shape, dtype: other.dtype) }

    /// Ones with the shape and dtype of `other`.
    public static func ones(like other: Tensor) -> Tensor { ones(other.shape, dtype: other.dtype) }

    /// A tensor of `other`'s shape and dtype filled with `value` (PyTorch's `torch.full_like`).
    ///
    /// ```swift
    /// let mask = Tensor.full(like: scores, value: -.infinity)
    /// ```
    public static func full(like other: Tensor, value: Double) -> Tensor {
        full(other.shape, value: value, dtype: other.dtype)
    }

    /// A one-element tensor of rank 0 (shape `[]`).
    ///
    /// ```swift
    /// let two = Tensor(scalar: 2)
    /// ```
    public convenience init(scalar: Double, dtype: DType = .float32) {
        self.init(shape: [], values: [scalar], dtype: dtype)
    }

    /// A tensor of `shape` holding `values` in row-major order, converted to `dtype`.
    ///
    /// - Parameters:
    ///   - shape: the size of each dimension; its product must equal `values.count`.
    ///   - values: the elements, outermost dimension first.
    ///   - dtype: the element type (default `.float32`).
    ///
    /// ```swift
    /// let x = Tensor(shape: [2, 2], values: [1, 2, 3, 4])
    /// ```
    public convenience init<S: BinaryFloatingPoint>(shape: [Int], values: [S], dtype: DType = .float32) {
        guard Tensor.valueCountFits(shape, values.count, op: "Tensor(shape:values:)") else {
            self.init(uninitializedShape: [0], dtype: dtype)   // the placeholder of a failed scope
            return
        }
        self.init(uninitializedShape: shape, dtype: dtype)
        switch dtype {
        case .float32: let p = pointer(Float.self); for (i, v) in values.enumerated() { p[i] = Float(v) }
        case .float64: let p = pointer(Double.self); for (i, v) in values.enumerated() { p[i] = Double(v) }
        case .int64: let p = pointer(Int64.self); for (i, v) in values.enumerated() { p[i] = Int64.converted(from: Double(v)) }
        }
    }

    /// Whether `shape` holds exactly `count` elements; when not, the failure goes to the current
    /// ``GradusError/catching(_:)`` scope (the initializer then makes the scope's empty placeholder) or,
    /// outside one, stops with the message.
    static func valueCountFits(_ shape: [Int], _ count: Int, op: String) -> Bool {
        checkedEvenAfterFailure(or: false) {
            let n = try Tensor.elementCount(shape, op: op)
            try require(n == count, "\(op): shape \(shape) needs \(n) values, got \(count)", .shapeMismatch)
            return true
        }
    }

    /// A tensor of `shape` holding integer `values` (for labels and indices use ``init(labels:)``).
    public convenience init(shape: [Int], integers values: [Int], dtype: DType = .int64) {
        guard Tensor.valueCountFits(shape, values.count, op: "Tensor(shape:integers:)") else {
            self.init(uninitializedShape: [0], dtype: dtype)   // the placeholder of a failed scope
            return
        }
        self.init(uninitializedShape: shape, dtype: dtype)
        switch dtype {
        case .float32: let p = pointer(Float.self); for (i, v) in values.enumerated() { p[i] = Float(v) }
        case .float64: let p = pointer(Double.self); for (i, v) in values.enumerated() { p[i] = Double(v) }
        case .int64: let p = pointer(Int64.self); for (i, v) in values.enumerated() { p[i] = Int64(v) }
        }
    }

    /// A tensor of `shape` holding `values`, checked: for values that come from outside the program
    /// (a request, a file). Unlike ``init(shape:values:dtype:)`` it throws instead of stopping.
    ///
    /// - Parameters:
    ///   - shape: the size of each dimension; its product must equal `values.count`.
    ///   - values: the elements, outermost dimension first.
    ///   - dtype: the element type (default `.float32`).
    /// - Throws: ``GradusError`` (`.shapeMismatch` or `.invalidArgument`) naming the shape and the count.
    ///
    /// ```swift
    /// let x = try Tensor(validatingShape: [1, 784], values: request.pixels)
    /// ```
    public convenience init<S: BinaryFloatingPoint>(validatingShape shape: [Int], values: [S], dtype: DType = .float32) throws {
        let n = try Tensor.elementCount(shape, op: "Tensor(validatingShape:values:)")
        try require(n == values.count, "Tensor(validatingShape:values:): shape \(shape) needs \(n) values, got \(values.count)",
                    .shapeMismatch)
        if dtype == .int64 {
            for v in values { _ = try Tensor.int64(Double(v), op: "Tensor(validatingShape:values:)") }
        }
        self.init(shape: shape, values: values, dtype: dtype)
    }

    /// A tensor of `shape` holding integer `values`, checked (see ``init(validatingShape:values:dtype:)``).
    ///
    /// - Parameters:
    ///   - shape: the size of each dimension; its product must equal `values.count`.
    ///   - values: the elements.
    ///   - dtype: the element type (default `.int64`).
    /// - Throws: ``GradusError`` naming the shape and the count.
    ///
    /// ```swift
    /// let labels = try Tensor(validatingShape: [n], integers: request.labels)
    /// ```
    public convenience init(validatingShape shape: [Int], integers values: [Int], dtype: DType = .int64) throws {
        let n = try Tensor.elementCount(shape, op: "Tensor(validatingShape:integers:)")
        try require(n == values.count, "Tensor(validatingShape:integers:): shape \(shape) needs \(n) values, got \(values.count)",
                    .shapeMismatch)
        self.init(shape: shape, integers: values, dtype: dtype)
    }

    /// A 1-D `int64` tensor of class labels or indices.
    ///
    /// ```swift
    /// let targets = Tensor(labels: [3, 0, 9])
    /// ```
    public convenience init(labels: [Int]) {
        self.init(shape: [labels.count], integers: labels, dtype: .int64)
    }

    /// A 1-D tensor from an array.
    ///
    /// ```swift
    /// let v = Tensor([1, 2, 3])
    /// ```
    public convenience init(_ values: [Double], dtype: DType = .float32) {
        self.init(shape: [values.count], values: values, dtype: dtype)
    }

    /// A 2-D tensor from nested arrays (rows must have equal length).
    ///
    /// ```swift
    /// let m = Tensor([[1, 2], [3, 4]])
    /// ```
    public convenience init(_ rows: [[Double]], dtype: DType = .float32) {
        let cols = rows.first?.count ?? 0
        let ragged = checkedEvenAfterFailure(or: true) {
            for (i, r) in rows.enumerated() {
                try require(r.count == cols, "Tensor([[...]]): row \(i) has \(r.count) values, row 0 has \(cols)", .shapeMismatch)
            }
            return false
        }
        if ragged { self.init(uninitializedShape: [0], dtype: dtype); return }   // a failed scope's placeholder
        self.init(shape: [rows.count, cols], values: rows.flatMap { $0 }, dtype: dtype)
    }

    /// A 3-D tensor from nested arrays (all inner arrays must have equal lengths).
    public convenience init(_ blocks: [[[Double]]], dtype: DType = .float32) {
        let rows = blocks.first?.count ?? 0
        let cols = blocks.first?.first?.count ?? 0
        let ragged = checkedEvenAfterFailure(or: true) {
            for (i, b) in blocks.enumerated() {
                try require(b.count == rows, "Tensor([[[...]]]): block \(i) has \(b.count) rows, block 0 has \(rows)", .shapeMismatch)
                for (j, r) in b.enumerated() {
                    try require(r.count == cols, "Tensor([[[...]]]): block \(i) row \(j) has \(r.count) values, expected \(cols)",
                                .shapeMismatch)
                }
            }
            return false
        }
        if ragged { self.init(uninitializedShape: [0], dtype: dtype); return }   // a failed scope's placeholder
        self.init(shape: [blocks.count, rows, cols], values: blocks.flatMap { $0.flatMap { $0 } }, dtype: dtype)
    }

    /// Values from `start` up to (not including) `end` in steps of `step`, like `torch.arange`.
    ///
    /// A negative `step` counts down; a step whose sign points away from `end` (`arange(5, 0)`) is an
    /// error, as in PyTorch, and `start == end` gives an empty tensor.
    ///
    /// ```swift
    /// Tensor.arange(0, 5)          // [0, 1, 2, 3, 4]
    /// Tensor.arange(0, 1, step: 0.25)
    /// ```
    public static func arange(_ start: Double, _ end: Double, step: Double = 1, dtype: DType = .float32) -> Tensor {
        checkedEvenAfterFailure {
            try require(step != 0, "arange: step must not be zero")
            try require(start.isFinite && end.isFinite && step.isFinite,
                        "arange: start, end and step must be finite, got \(start), \(end), \(step)")
            // As torch.arange: a step pointing away from `end` is an error, not an empty range.
            try require(step > 0 ? end >= start : end <= start,
                        "arange: \(start) to \(end) cannot be reached in steps of \(step) (the step's sign points away from the end)")
            let steps = ((end - start) / step).rounded(.up)
            try require(steps.isFinite && steps >= 0 && steps < Double(Tensor.maximumElementCount),
                        "arange: \(start) to \(end) in steps of \(step) has too many elements", .shapeMismatch)
            let n = Swift.max(0, Int(steps))
            let t = try Tensor(checkedShape: [n], dtype: dtype, op: "arange")
            for i in 0..<n {
                let v = start + Double(i) * step
                switch dtype {
                case .float32: t.pointer(Float.self)[i] = Float(v)
                case .float64: t.pointer(Double.self)[i] = v
                case .int64: t.pointer(Int64.self)[i] = try Tensor.int64(v, op: "arange")
                }
            }
            return t
        }
    }

    /// `count` values spaced evenly on a logarithmic scale: base^linspace(start, end) (PyTorch's
    /// `torch.logspace`). The exponents are computed in Float64; for an int64 result the end points are
    /// truncated to integers first and the powers truncated toward zero, as PyTorch's are.
    ///
    /// - Parameters:
    ///   - start: the first exponent.
    ///   - end: the last exponent.
    ///   - count: how many values; not negative.
    ///   - base: the base of the powers.
    ///   - dtype: the element type.
    ///
    /// ```swift
    /// Tensor.logspace(0, 2, count: 3)            // [1, 10, 100]
    /// Tensor.logspace(0, 3, count: 4, base: 2)   // [1, 2, 4, 8]
    /// ```
    public static func logspace(_ start: Double, _ end: Double, count: Int, base: Double = 10, dtype: DType = .float32) -> Tensor {
        checkedEvenAfterFailure {
            try require(count >= 0, "logspace: count must not be negative, got \(count)")
            // As PyTorch: an integer result takes integer end points (truncated) first.
            let (first, last) = dtype == .int64 ? (start.rounded(.towardZero), end.rounded(.towardZero)) : (start, end)
            let exponents = linspace(first, last, count: count, dtype: .float64)
            let values = exponents.scalars(as: Double.self).map { Double.pow(base, $0) }
            if dtype == .int64 {
                return Tensor(shape: [count], integers: try values.map { Int(try Tensor.int64($0, op: "logspace")) })
            }
            return Tensor(shape: [count], values: values, dtype: dtype)
        }
    }

    /// `count` evenly spaced values from `start` to `end` inclusive, like `torch.linspace`.
    ///
    /// ```swift
    /// Tensor.linspace(0, 1, count: 5)   // [0, 0.25, 0.5, 0.75, 1]
    /// ```
    public static func linspace(_ start: Double, _ end: Double, count: Int, dtype: DType = .float32) -> Tensor {
        checkedEvenAfterFailure {
            try require(count >= 0, "linspace: count must not be negative, got \(count)")
            let t = try Tensor(checkedShape: [count], dtype: dtype, op: "linspace")
            let step = count > 1 ? (end - start) / Double(count - 1) : 0
            // Like PyTorch: the first half counts up from start, the second half down from end.
            let half = count == 1 ? 1 : count / 2
            for i in 0..<count {
                let v = i < half ? start + step * Double(i) : end - step * Double(count - 1 - i)
                switch dtype {
                case .float32: t.pointer(Float.self)[i] = Float(v)
                case .float64: t.pointer(Double.self)[i] = v
                case .int64: t.pointer(Int64.self)[i] = try Tensor.int64(v, op: "linspace")
                }
            }
            return t
        }
    }

    /// The `n`×`m` identity matrix (ones on the diagonal).
    ///
    /// ```swift
    /// let i3 = Tensor.eye(3)
    /// ```
    public static func eye(_ n: Int, _ m: Int? = nil, dtype: DType = .float32) -> Tensor {
        checkedEvenAfterFailure {
            let cols = m ?? n
            try require(n >= 0 && cols >= 0, "eye: sizes must not be negative, got \(n) × \(cols)")
            let t = try checkedZeros([n, cols], dtype: dtype, op: "eye")
            for i in 0..<Swift.min(n, cols) {
                switch dtype {
                case .float32: t.pointer(Float.self)[i * cols + i] = 1
                case .float64: t.pointer(Double.self)[i * cols + i] = 1
                case .int64: t.pointer(Int64.self)[i * cols + i] = 1
                }
            }
            return t
        }
    }

    /// This tensor converted to `dtype` (itself when it already has it). Differentiable between
    /// floating-point types. Floating-point values become `int64` truncated toward zero; NaN becomes 0 and
    /// values beyond `Int64`'s range its nearest end (C leaves these undefined; PyTorch gives what the
    /// processor gives).
    ///
    /// ```swift
    /// let x64 = x.to(.float64)
    /// ```
    public func to(_ target: DType) -> Tensor {
        if target == dtype { return self }
        let out = Tensor(uninitializedShape: shape, dtype: target)
        func convert<S, D>(_ s: UnsafeMutablePointer<S>, _ d: UnsafeMutablePointer<D>, _ f: (S) -> D) {
            for i in 0..<count { d[i] = f(s[i]) }
        }
        switch (dtype, target) {
        case (.float32, .float64): convert(pointer(Float.self), out.pointer(Double.self)) { Double($0) }
        case (.float64, .float32): convert(pointer(Double.self), out.pointer(Float.self)) { Float($0) }
        case (.int64, .float32): convert(pointer(Int64.self), out.pointer(Float.self)) { Float($0) }
        case (.int64, .float64): convert(pointer(Int64.self), out.pointer(Double.self)) { Double($0) }
        // NaN becomes 0 and out-of-range values saturate (Swift's Int64(_:) would stop the program).
        case (.float32, .int64): convert(pointer(Float.self), out.pointer(Int64.self)) { Int64.converted(from: Double($0)) }
        case (.float64, .int64): convert(pointer(Double.self), out.pointer(Int64.self)) { Int64.converted(from: $0) }
        default: break
        }
        if target.isFloatingPoint {
            let source = dtype
            record("to", output: out, inputs: [self]) { g, _ in [g.to(source)] }
        }
        return out
    }
}
