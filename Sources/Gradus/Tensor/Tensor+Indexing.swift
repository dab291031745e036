// Joining, splitting, slicing and indexed access: concatenate, stack, split, chunk, slice, select,
// gather, indexSelect, scatterAdd, pad, oneHot.

extension Tensor {
    /// Tensors joined along `axis`; all other dimensions must match.
    ///
    /// - Parameters:
    ///   - tensors: at least one tensor, all of the same rank; their dtypes are promoted to a common one, and
    ///     1-D tensors without elements are skipped, as in PyTorch.
    ///   - axis: the dimension to join along.
    ///
    /// ```swift
    /// let both = Tensor.concatenate([a, b], axis: 0)
    /// ```
    public static func concatenate(_ tensors: [Tensor], axis: Int = 0) -> Tensor {
        checked {
            try require(!tensors.isEmpty, "concatenate: needs at least one tensor")
            // PyTorch's rules: 1-D tensors without elements are skipped (they join anything), and the
            // others are promoted to their common dtype (the conversions are recorded).
            let nonEmpty = tensors.filter { !($0.rank == 1 && $0.count == 0) }
            let joined = nonEmpty.isEmpty ? [tensors[0]] : nonEmpty
            let type = tensors.dropFirst().reduce(tensors[0].dtype) { DType.promoted($0, $1.dtype) }
            let tensors = joined.map { $0.dtype == type ? $0 : $0.to(type) }
            let first = tensors[0]
            let a = try first.axis(axis, op: "concatenate")
            for t in tensors {
                try require(t.rank == first.rank,
                             "concatenate: shapes \(first.shape) and \(t.shape) differ in rank", .shapeMismatch)
                for d in 0..<first.rank where d != a {
                    try require(t.shape[d] == first.shape[d],
                                 "concatenate: shapes \(first.shape) and \(t.shape) differ outside axis \(a)", .shapeMismatch)
                }
            }
            var outShape = first.shape
            var total = 0
            for t in tensors {
                let (sum, overflow) = total.addingReportingOverflow(t.shape[a])
                try require(!overflow, "concatenate: the sizes along axis \(a) add up to more than an Int holds", .shapeMismatch)
                total = sum
            }
            outShape[a] = total
            let out = try Tensor(checkedShape: outShape, dtype: first.dtype, op: "concatenate")
            let outer = first.shape[..<a].reduce(1, *)
            let inner = first.shape[(a + 1)...].reduce(1, *)
            let es = first.dtype.byteSize
            let rowBytes = outShape[a] * inner * es
            var columnOffset = 0
            let destination = out.rawPointer
            for t in tensors {
                let chunk = t.shape[a] * inner * es
                let source = t.rawPointer
                for o in 0..<outer {
                    (destination + o * rowBytes + columnOffset)
                        .copyMemory(from: source + o * chunk, byteCount: chunk)
                }
                columnOffset += chunk
            }
            let sizes = tensors.map { $0.shape[a] }
            record("concatenate", output: out, inputs: tensors) { g, _ in g.split(sizes: sizes, axis: a) }
            return out
        }
    }

    /// Tensors of equal shape stacked along a new dimension `axis`.
    ///
    /// ```swift
    /// let batch = Tensor.stack(samples)   // n × [C, H, W] -> [n, C, H, W]
    /// ```
    public static func stack(_ tensors: [Tensor], axis: Int = 0) -> Tensor {
        checked {
            try require(!tensors.isEmpty, "stack: needs at least one tensor")
            for t in tensors {
                try require(t.shape == tensors[0].shape, "stack: shapes \(tensors[0].shape) and \(t.shape) differ", .shapeMismatch)
            }
            let a = try tensors[0].axis(axis, op: "stack", rankOverride: tensors[0].rank + 1)
            return concatenate(tensors.map { $0.unsqueeze(a) }, axis: a)
        }
    }

    /// Pieces along `axis` with the given sizes, which must add up to the dimension's size.
    ///
    /// ```swift
    /// let parts = x.split(sizes: [2, 3], axis: 1)
    /// ```
    public func split(sizes: [Int], axis: Int = 0) -> [Tensor] {
        checked(or: []) {
            let a = try self.axis(axis, op: "split")
            let total = sizes.allSatisfy { $0 >= 0 }
                ? sizes.reduce(0 as Int?) { sum, n in sum.flatMap { let (t, o) = $0.addingReportingOverflow(n); return o ? nil : t } }
                : nil
            try require(total == shape[a],
                         "split: sizes \(sizes) do not add up to dimension \(a) of shape \(shape)", .shapeMismatch)
            var start = 0
            return sizes.map { n in
                defer { start += n }
                return slice(axis: a, start: start, end: start + n)
            }
        }
    }

    /// Pieces of `size` along `axis` (the last may be smaller), like `torch.split` with an integer. An
    /// empty dimension gives one empty piece, as in PyTorch.
    public func split(size: Int, axis: Int = 0) -> [Tensor] {
        checked(or: []) {
            try require(size > 0, "split: size must be positive, got \(size)")
            let n = shape[try self.axis(axis, op: "split")]
            let sizes = n == 0 ? [0] : stride(from: 0, to: n, by: size).map { Swift.min(size, n - $0) }
            return split(sizes: sizes, axis: axis)
        }
    }

    /// `chunks` pieces of nearly equal size along `axis`, like `torch.chunk`: pieces of ⌈n / chunks⌉, so
    /// there may be fewer than `chunks`; an empty dimension gives `chunks` empty pieces, as in PyTorch.
    public func chunk(_ chunks: Int, axis: Int = 0) -> [Tensor] {
        checked(or: []) {
            try require(chunks > 0, "chunk: chunks must be positive, got \(chunks)")
            let n = shape[try self.axis(axis, op: "chunk")]
            if n == 0 {
                // One empty piece per chunk: a list that must fit in memory, unlike pieces of a real dimension.
                try require(chunks <= 1 << 20, "chunk: \(chunks) empty pieces of an empty dimension are too many (at most 2^20)", .outOfMemory)
                return split(sizes: Array(repeating: 0, count: chunks), axis: axis)
            }
            return split(size: n == 0 ? 1 : (n - 1) / chunks + 1, axis: axis)   // ⌈n / chunks⌉ without overflow
        }
    }

    /// Elements `start..<end` in steps of `step` along `axis` (negative `start`/`end` count from the end,
    /// and out-of-range bounds are clipped, as in Python slicing). A view sharing this tensor's storage:
    /// writing into it in place (under ``GradMode/noGrad(_:)``) changes this tensor.
    ///
    /// ```swift
    /// let evenColumns = x.slice(axis: 1, start: 0, end: x.shape[1], step: 2)
    /// ```
    public func slice(axis: Int, start: Int = 0, end: Int? = nil, step: Int = 1) -> Tensor {
        checked {
            try require(step > 0, "slice: step must be positive, got \(step)")
            let a = try self.axis(axis, op: "slice")
            let n = shape[a]
            func clip(_ i: Int) -> Int { Swift.min(Swift.max(i < 0 ? i + n : i, 0), n) }
            let lo = clip(start), hi = Swift.max(clip(end ?? n), clip(start))
            let len = hi > lo ? (hi - lo - 1) / step + 1 : 0
            if lo == 0 && len == n && step == 1 { return self }
            // A step past the end takes one element: its stride is then irrelevant (and step × stride
            // could overflow).
            let step = len > 1 ? step : 1
            var outShape = shape
            outShape[a] = len
            // The view's layout in the storage, and (for the backward pass) the region's place in a
            // contiguous tensor of the input's shape.
            var viewStrides = strides
            let viewOffset = storageOffset + lo * viewStrides[a]
            viewStrides[a] *= step
            let out = makeView(shape: outShape, strides: viewStrides, offset: viewOffset)
            var st = contiguousStrides(shape)
            let offset = lo * st[a]
            st[a] *= step
            let inputShape = shape
            let strides = st
            record("slice", output: out, inputs: [self]) { g, _ in [g.sliceBackward(inputShape, strides, offset)] }
            out.gradFn?.sliceGeometry = (inputShape, strides, offset)
            return out
        }
    }

    /// Scatters a slice's gradient back into zeros of the input's shape (differentiable in `self`).
    func sliceBackward(_ inputShape: [Int], _ strides: [Int], _ offset: Int) -> Tensor {
        let out = Tensor.zeros(inputShape, dtype: dtype)
        out.stridedAccumulate(self, strides: strides, offset: offset)
        record("sliceBackward", output: out, inputs: [self]) { g, _ in
            [g.stridedCopy(shape: self.shape, strides: strides, offset: offset)]
        }
        return out
    }

    /// The sub-tensor at `index` along `axis`, with that dimension removed; a view sharing this tensor's
    /// storage.
    ///
    /// ```swift
    /// let firstImage = batch.select(axis: 0, index: 0)
    /// ```
    public func select(axis: Int, index: Int) -> Tensor {
        checked {
            let a = try self.axis(axis, op: "select")
            let i = index < 0 ? index + shape[a] : index
            try require(i >= 0 && i < shape[a], "select: index \(index) is out of range for dimension \(a) of shape \(shape)", .indexOutOfRange)
            return slice(axis: a, start: i, end: i + 1).squeeze(a)
        }
    }

    /// The sub-tensor at `index` along the first dimension (a view); setting it writes into this tensor,
    /// as ``subscript(_:)-(TensorIndexExpression...)`` does.
    public subscript(index: Int) -> Tensor {
        get { select(axis: 0, index: index) }
        set { self[index as any TensorIndexExpression] = newValue }
    }

    /// Elements `range` along the first dimension (a view); setting it writes into this tensor.
    public subscript(range: Range<Int>) -> Tensor {
        get { slice(axis: 0, start: range.lowerBound, end: range.upperBound) }
        set { self[range as any TensorIndexExpression] = newValue }
    }

    func checkIndex(_ index: Tensor, op: String) throws {
        try require(index.dtype == .int64, "\(op): index must be an int64 tensor, got \(index.dtype)", .dtypeMismatch)
    }

    /// Checks the arguments of the scatter family (`scatter`, `scatterAdd`, `scatterReduce`): an int64
    /// `index` and a `source` of this tensor's rank and dtype, `index` fitting `source` (and this tensor
    /// off `axis`), every index value in range. Returns `axis` counted from 0.
    func scatterAxis(_ axis: Int, index: Tensor, source: Tensor, op: String) throws -> Int {
        try checkIndex(index, op: op)
        let a = try self.axis(axis, op: op)
        try require(index.rank == rank && source.rank == rank,
                    "\(op): index \(index.shape) and source \(source.shape) must have the rank of input \(shape)", .shapeMismatch)
        try require(source.dtype == dtype, "\(op): source dtype \(source.dtype) differs from \(dtype)", .dtypeMismatch)
        for d in 0..<rank {
            try require(index.shape[d] <= source.shape[d] && (d == a || index.shape[d] <= shape[d]),
                        "\(op): index shape \(index.shape) does not fit source \(source.shape) and input \(shape)", .shapeMismatch)
        }
        try checkIndexRange(index, size: shape[a], axis: a, op: op)
        return a
    }

    /// Checks, before a kernel runs, that every value of the int64 `index` addresses dimension `axis`
    /// (of size `size`), so that the kernel itself never meets a bad index.
    func checkIndexRange(_ index: Tensor, size: Int, axis: Int, op: String) throws {
        let p = index.pointer(Int64.self)
        for k in 0..<index.count where p[k] < 0 || p[k] >= Int64(size) {
            throw GradusError(.indexOutOfRange, "\(op): index \(p[k]) is out of range for dimension \(axis) (size \(size)) of shape \(shape)")
        }
    }

    /// Values picked along `axis` by `index`: for axis 1, `out[i][j] = self[i][index[i][j]]`
    /// (PyTorch's `gather`). `index` has this tensor's rank; its other dimensions may be smaller.
    ///
    /// ```swift
    /// let picked = logProbs.gather(axis: 1, index: targets.unsqueeze(1))
    /// ```
    public func gather(axis: Int, index: Tensor) -> Tensor {
        checked {
            try checkIndex(index, op: "gather")
            let a = try self.axis(axis, op: "gather")
            try require(index.rank == rank, "gather: index shape \(index.shape) must have the rank of input shape \(shape)", .shapeMismatch)
            for d in 0..<rank where d != a {
                try require(index.shape[d] <= shape[d], "gather: index shape \(index.shape) exceeds input shape \(shape) at dimension \(d)", .shapeMismatch)
            }
            let out = Tensor(uninitializedShape: index.shape, dtype: dtype)
            let st = contiguousStrides(shape)
            let ip = index.pointer(Int64.self)
            let n = shape[a]
            try checkIndexRange(index, size: n, axis: a, op: "gather")
            func run<W>(_: W.Type) throws {
                let src = pointer(W.self), dst = out.pointer(W.self)
                var idx = [Int](repeating: 0, count: rank)
                for k in 0..<index.count {
                    let j = Int(ip[k])
                    var off = 0
                    for d in 0..<rank { off += (d == a ? j : idx[d]) * st[d] }
                    dst[k] = src[off]
                    var d = rank - 1
                    while d >= 0 { idx[d] += 1; if idx[d] < index.shape[d] { break }; idx[d] = 0; d -= 1 }
                }
            }
            if dtype.byteSize == 4 { try run(UInt32.self) } else { try run(UInt64.self) }
            let inputShape = shape
            record("gather", output: out, inputs: [self], saved: [index]) { g, _ in
                [Tensor.zeros(inputShape, dtype: g.dtype).scatterAdd(axis: a, index: index, source: g)]
            }
            return out
        }
    }

    /// Values picked along `axis` by `indices`, the two broadcast against each other in every other
    /// dimension (PyTorch's `torch.take_along_dim`): the companion of `argsort`, `argmax(keepDims:)`
    /// and `topk` indices. Without an axis both are flattened first.
    ///
    /// - Parameters:
    ///   - indices: int64 positions along `axis`, of this tensor's rank (any rank without an axis).
    ///   - axis: the dimension to pick along; nil to pick from the flattened tensor.
    ///
    /// ```swift
    /// let best = scores.takeAlongDim(scores.argmax(axis: 1, keepDims: true), axis: 1)   // [N, 1]
    /// ```
    public func takeAlongDim(_ indices: Tensor, axis: Int? = nil) -> Tensor {
        checked {
            try checkIndex(indices, op: "takeAlongDim")
            guard let axis else { return reshape([-1]).gather(axis: 0, index: indices.reshape([-1])) }
            try require(indices.rank == rank,
                        "takeAlongDim: indices of shape \(indices.shape) must have the input's \(rank) dimensions (shape \(shape))",
                        .shapeMismatch)
            let a = try self.axis(axis, op: "takeAlongDim")
            var mine = shape, theirs = indices.shape
            mine[a] = indices.shape[a]
            theirs[a] = shape[a]
            let indexShape = try Broadcast.shape(mine, indices.shape, op: "takeAlongDim")
            let sourceShape = try Broadcast.shape(theirs, shape, op: "takeAlongDim")
            let source = sourceShape == shape ? self : expand(sourceShape)
            let index = indexShape == indices.shape ? indices : indices.expand(indexShape)
            return source.gather(axis: a, index: index)
        }
    }

    /// This tensor with `source` added at the positions `index` names along `axis`: for axis 1,
    /// `out[i][index[i][j]] += source[i][j]` (PyTorch's `scatter_add`, out of place).
    ///
    /// ```swift
    /// let counts = Tensor.zeros([3]).scatterAdd(axis: 0, index: labels, source: Tensor.ones([n]))
    /// ```
    public func scatterAdd(axis: Int, index: Tensor, source: Tensor) -> Tensor {
        checked {
            let a = try scatterAxis(axis, index: index, source: source, op: "scatterAdd")
            let out = Tensor(uninitializedShape: shape, dtype: dtype)
            out.rawPointer.copyMemory(from: rawPointer, byteCount: count * dtype.byteSize)
            let st = contiguousStrides(shape), sst = contiguousStrides(source.shape)
            let ip = index.pointer(Int64.self)
            // Every dtype (int64: counting with PyTorch's wrap-around), as PyTorch's scatter_add.
            func run<T: TensorElement>(_: T.Type) throws {
                let dst = out.pointer(T.self), src = source.pointer(T.self)
                var idx = [Int](repeating: 0, count: rank)
                for k in 0..<index.count {
                    let j = Int(ip[k])
                    var off = 0, soff = 0
                    for d in 0..<rank { off += (d == a ? j : idx[d]) * st[d]; soff += idx[d] * sst[d] }
                    dst[off] = T.wrappingAdd(dst[off], src[soff])
                    var d = rank - 1
                    while d >= 0 { idx[d] += 1; if idx[d] < index.shape[d] { break }; idx[d] = 0; d -= 1 }
                }
            }
            switch dtype {
            case .float32: try run(Float.self)
            case .float64: try run(Double.self)
            case .int64: try run(Int64.self)
            }
            let sourceShape = source.shape
            record("scatterAdd", output: out, inputs: [self, source], saved: [index]) { g, _ in
                var gs = g.gather(axis: a, index: index)
                if gs.shape != sourceShape {
                    gs = gs.pad(Array(Swift.zip(Array(repeating: 0, count: sourceShape.count), Swift.zip(sourceShape, index.shape).map { $0 - $1 }).reversed().flatMap { [$0.0, $0.1] }))
                }
                return [g, gs]
            }
            return out
        }
    }

    /// Slices along `axis` picked by a 1-D int64 `index` (PyTorch's `index_select`).
    ///
    /// ```swift
    /// let rows = table.indexSelect(axis: 0, index: Tensor(labels: [4, 1, 4]))
    /// ```
    public func indexSelect(axis: Int, index: Tensor) -> Tensor {
        checked {
            try checkIndex(index, op: "indexSelect")
            try require(index.rank == 1, "indexSelect: index must be 1-D, got shape \(index.shape)", .shapeMismatch)
            let a = try self.axis(axis, op: "indexSelect")
            let (outer, n, inner) = axisLayout(a)
            try checkIndexRange(index, size: n, axis: a, op: "indexSelect")
            var outShape = shape
            outShape[a] = index.count
            let out = try Tensor(checkedShape: outShape, dtype: dtype, op: "indexSelect")   // an index can repeat rows without bound
            let es = dtype.byteSize
            let ip = index.pointer(Int64.self)
            let source = rawPointer, destination = out.rawPointer
            for o in 0..<outer {
                for k in 0..<index.count {
                    let j = Int(ip[k])
                    (destination + ((o * index.count + k) * inner) * es)
                        .copyMemory(from: source + ((o * n + j) * inner) * es, byteCount: inner * es)
                }
            }
            let inputShape = shape
            record("indexSelect", output: out, inputs: [self], saved: [index]) { g, _ in
                [Tensor.zeros(inputShape, dtype: g.dtype).indexAdd(axis: a, index: index, source: g)]
            }
            return out
        }
    }

    /// This tensor with slices of `source` added at the positions a 1-D `index` names along `axis`
    /// (PyTorch's `index_add`, out of place). The transpose of ``indexSelect(axis:index:)``.
    public func indexAdd(axis: Int, index: Tensor, source: Tensor) -> Tensor {
        checked {
            try checkIndex(index, op: "indexAdd")
            try require(source.dtype == dtype, "indexAdd: source dtype \(source.dtype) differs from \(dtype)", .dtypeMismatch)
            let a = try self.axis(axis, op: "indexAdd")
            var expected = shape
            expected[a] = index.count
            try require(index.rank == 1 && source.shape == expected,
                         "indexAdd: source shape \(source.shape) must be \(expected) for index \(index.shape) and input \(shape)", .shapeMismatch)
            let (outer, n, inner) = axisLayout(a)
            try checkIndexRange(index, size: n, axis: a, op: "indexAdd")
            let out = Tensor(uninitializedShape: shape, dtype: dtype)
            out.rawPointer.copyMemory(from: rawPointer, byteCount: count * dtype.byteSize)
            let ip = index.pointer(Int64.self)
            func run<T: TensorElement>(_: T.Type) {
                let dst = out.pointer(T.self), src = source.pointer(T.self)
                for o in 0..<outer {
                    for k in 0..<index.count {
                        let j = Int(ip[k])
                        let d = dst + (o * n + j) * inner, s = src + (o * index.count + k) * inner
                        for i in 0..<inner { d[i] = T.wrappingAdd(d[i], s[i]) }
                    }
                }
            }
            switch dtype {
            case .float32: run(Float.self)
            case .float64: run(Double.self)
            case .int64: run(Int64.self)
            }
            record("indexAdd", output: out, inputs: [self, source], saved: [index]) { g, _ in [g, g.indexSelect(axis: a, index: index)] }
            return out
        }
    }

    /// Constant padding, with PyTorch's `F.pad` order: pairs (before, after) starting from the last
    /// dimension. Negative amounts crop.
    ///
    /// ```swift
    /// let padded = images.pad([2, 2, 2, 2])   // H and W grow by 4
    /// ```
    public func pad(_ padding: [Int], value: Double = 0) -> Tensor {
        checked {
            try require(padding.count % 2 == 0 && padding.count / 2 <= rank,
                         "pad: padding \(padding) must hold (before, after) pairs for at most \(rank) dimensions of shape \(shape)", .shapeMismatch)
            try require(padding.allSatisfy { $0 > Int.min / 2 && $0 < Int.max / 2 },
                        "pad: padding \(padding) holds amounts too large for any dimension", .shapeMismatch)
            var outShape = shape
            var before = [Int](repeating: 0, count: rank)
            for p in 0..<(padding.count / 2) {
                let d = rank - 1 - p
                before[d] = padding[2 * p]
                // Each amount lies within ±Int.max/2 (checked above), so only adding the pair to the size can overflow.
                let (size, overflow) = outShape[d].addingReportingOverflow(padding[2 * p] + padding[2 * p + 1])
                try require(!overflow, "pad: padding \(padding) overflows dimension \(d) of shape \(shape)", .shapeMismatch)
                outShape[d] = size
                try require(outShape[d] >= 0, "pad: padding \(padding) makes dimension \(d) of shape \(shape) negative", .shapeMismatch)
            }
            // Copy the overlapping region: crop where padding is negative.
            let out = try Tensor.checkedFull(outShape, value: value, dtype: dtype, op: "pad")
            var srcLo = [Int](repeating: 0, count: rank), region = shape
            var dstLo = [Int](repeating: 0, count: rank)
            for d in 0..<rank {
                srcLo[d] = Swift.max(0, -before[d])
                dstLo[d] = Swift.max(0, before[d])
                region[d] = Swift.max(0, Swift.min(shape[d] - srcLo[d], outShape[d] - dstLo[d]))
            }
            let sst = contiguousStrides(shape), dst = contiguousStrides(outShape)
            let srcOffset = Swift.zip(srcLo, sst).reduce(0) { $0 + $1.0 * $1.1 }
            let dstOffset = Swift.zip(dstLo, dst).reduce(0) { $0 + $1.0 * $1.1 }
            if region.allSatisfy({ $0 > 0 }) {
                let piece = stridedCopy(shape: region, strides: sst, offset: srcOffset)
                let es = dtype.byteSize
                let zeros = [Int](repeating: 0, count: rank)
                let source = piece.rawPointer, destination = out.rawPointer
                forEachInnerRun(shape: region, stridesA: dst, stridesB: zeros) { o, _, p, n, _, _ in
                    (destination + (dstOffset + o) * es).copyMemory(from: source + p * es, byteCount: n * es)
                }
            }
            let negated = padding.map { -$0 }
            if dtype.isFloatingPoint {
                record("pad", output: out, inputs: [self]) { g, _ in [g.pad(negated)] }
            }
            return out
        }
    }

    /// One-hot rows for int64 class indices: shape `index.shape + [classes]`.
    ///
    /// ```swift
    /// let targets = Tensor.oneHot(Tensor(labels: [2, 0]), classes: 3)   // [[0,0,1],[1,0,0]]
    /// ```
    public static func oneHot(_ index: Tensor, classes: Int, dtype: DType = .float32) -> Tensor {
        checked {
            try require(index.dtype == .int64, "oneHot: index must be int64, got \(index.dtype)", .dtypeMismatch)
            try require(classes >= 0, "oneHot: classes must not be negative, got \(classes)")
            let out = try Tensor.checkedZeros(index.shape + [classes], dtype: dtype, op: "oneHot")
            let ip = index.pointer(Int64.self)
            for k in 0..<index.count {
                let c = Int(ip[k])
                try require(c >= 0 && c < classes, "oneHot: class \(c) at position \(k) is out of range 0..<\(classes)", .indexOutOfRange)
                switch dtype {
                case .float32: out.pointer(Float.self)[k * classes + c] = 1
                case .float64: out.pointer(Double.self)[k * classes + c] = 1
                case .int64: out.pointer(Int64.self)[k * classes + c] = 1
                }
            }
            return out
        }
    }
}
