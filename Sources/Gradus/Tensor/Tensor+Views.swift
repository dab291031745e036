// Strided views: a tensor's layout (shape, strides, storage offset) over a shared storage, so that
// transpose, permute, slice, select, expand, unsqueeze/squeeze and (where the layout allows) reshape
// cost no copy. Kernels read a non-contiguous view through its ``ViewCache``; in-place operations write
// into a view's storage by its strides, so the base tensor and every other view see the change.

extension Tensor {
    /// How many elements to step in ``storage`` to move by one along each dimension (PyTorch's
    /// `stride()`). A contiguous tensor has row-major strides; a view may have any, and 0 for a dimension
    /// made by ``expand(_:)``.
    ///
    /// ```swift
    /// let x = Tensor.zeros([2, 3])
    /// x.strides               // [3, 1]
    /// x.transpose(0, 1).strides   // [1, 3]
    /// ```
    public var strides: [Int] { viewStrides ?? contiguousStrides(shape) }

    /// Whether the elements lie in ``storage`` in row-major order without gaps, from ``storageOffset``
    /// (dimensions of size 1 may have any stride). Results of operations are always contiguous; views
    /// made by ``transpose(_:_:)``, ``permute(_:)``, ``expand(_:)`` and slices with a step or along an
    /// inner dimension are not.
    ///
    /// ```swift
    /// x.transpose(0, 1).isContiguous   // false
    /// x.transpose(0, 1).contiguous().isContiguous   // true
    /// ```
    public var isContiguous: Bool { viewStrides == nil }

    /// This tensor when it is contiguous; otherwise a contiguous copy of its elements, in its own storage
    /// (PyTorch's `contiguous()`). The copy stays connected to the graph.
    ///
    /// ```swift
    /// let rows = x.transpose(0, 1).contiguous()
    /// ```
    public func contiguous() -> Tensor {
        if isContiguous { return self }
        // Always a real copy (internal callers hand it to kernels): a view is at most the machine's
        // memory (`expand` checks), so the allocation below is of a size the system can have.
        let out = Tensor(uninitializedShape: shape, dtype: dtype)
        copyElements(into: out.rawPointer)
        record("contiguous", output: out, inputs: [self]) { g, _ in [g] }
        return out
    }

    /// ``contiguous()`` for operations that copy a view: the copy is allocated through the checked path,
    /// which throws ``GradusError/Kind/outOfMemory`` when the system refuses it, since an expanded view
    /// can stand for far more memory than its storage holds.
    func materialized(op: String) throws -> Tensor {
        if isContiguous { return self }
        let out = try Tensor(checkedShape: shape, dtype: dtype, op: op)
        copyElements(into: out.rawPointer)
        record("contiguous", output: out, inputs: [self]) { g, _ in [g] }
        return out
    }

    /// Whether this tensor and `other` share the same ``storage`` (PyTorch's `untyped_storage()`
    /// identity): a change made in place to one can show in the other.
    ///
    /// ```swift
    /// x.transpose(0, 1).sharesStorage(with: x)   // true
    /// ```
    public func sharesStorage(with other: Tensor) -> Bool { storage === other.storage }

    /// A view of this tensor with a new shape, sharing its storage (PyTorch's `view`). Unlike
    /// ``reshape(_:)``, which copies when it must, `view` fails when the layout does not allow the new
    /// shape without a copy (for example after a transpose); one dimension may be -1.
    ///
    /// ```swift
    /// let flat = x.view([-1])          // x contiguous: shares its storage
    /// x.t.view([-1])                   // fails: use reshape or contiguous() first
    /// ```
    public func view(_ newShape: [Int]) -> Tensor {
        checked {
            let target = try reshapeTarget(newShape, op: "view")
            try require(viewLayout(for: target) != nil,
                        "view: shape \(shape) with strides \(strides) cannot be viewed as \(newShape) without a copy; use reshape(_:), which copies when it must, or call contiguous() first",
                        .shapeMismatch)
            return reshape(target)
        }
    }

    // MARK: Internals

    /// Whether `strides` lay out `shape` contiguously in row-major order (ignoring dimensions of size 1).
    static func isContiguousLayout(shape: [Int], strides: [Int]) -> Bool {
        var expected = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) where shape[i] != 1 {
            if strides[i] != expected { return false }
            expected &*= shape[i]
        }
        return true
    }

    /// A view of this tensor's storage with the given layout (offset in elements).
    func makeView(shape: [Int], strides: [Int]?, offset: Int) -> Tensor {
        Tensor(viewOf: storage, shape: shape, strides: strides, offset: offset, dtype: dtype)
    }

    /// The strides under which this tensor's elements, in their order, form `target` (same element
    /// count) without moving; nil when no such strides exist. The algorithm is PyTorch's
    /// `computeStride`: dimensions are matched in chunks that are contiguous among themselves.
    func viewLayout(for target: [Int]) -> [Int]? {
        if isContiguous || count == 0 { return contiguousStrides(target) }
        let oldStrides = strides
        var result = [Int](repeating: 0, count: target.count)
        var viewD = target.count - 1
        var chunkBase = oldStrides.last ?? 1
        var tensorNumel = 1, viewNumel = 1
        for tensorD in stride(from: shape.count - 1, through: 0, by: -1) {
            tensorNumel *= shape[tensorD]
            if tensorD == 0 || (shape[tensorD - 1] != 1 && oldStrides[tensorD - 1] != tensorNumel * chunkBase) {
                while viewD >= 0 && (viewNumel < tensorNumel || target[viewD] == 1) {
                    result[viewD] = viewNumel * chunkBase
                    viewNumel *= target[viewD]
                    viewD -= 1
                }
                if viewNumel != tensorNumel { return nil }
                if tensorD > 0 {
                    chunkBase = oldStrides[tensorD - 1]
                    tensorNumel = 1
                    viewNumel = 1
                }
            }
        }
        return viewD == -1 ? result : nil
    }

    /// Copies the elements, in row-major order, into `destination` (count × byteSize bytes), reading
    /// the storage by this tensor's strides.
    func copyElements(into destination: UnsafeMutableRawPointer) {
        if count == 0 { return }
        let source = storage.pointer + byteOffset
        guard let st = viewStrides else {
            destination.copyMemory(from: source, byteCount: count * dtype.byteSize)
            return
        }
        switch dtype.byteSize {
        case 4: Tensor.stridedKernel(source.assumingMemoryBound(to: UInt32.self), destination.assumingMemoryBound(to: UInt32.self), shape, st)
        default: Tensor.stridedKernel(source.assumingMemoryBound(to: UInt64.self), destination.assumingMemoryBound(to: UInt64.self), shape, st)
        }
    }

    /// Whether two elements of this tensor are the same memory (a dimension of size > 1 with stride 0,
    /// as ``expand(_:)`` makes): such a tensor cannot be written in place.
    var hasInternalOverlap: Bool {
        guard let st = viewStrides else { return false }
        return zip(shape, st).contains { $0 > 1 && $1 == 0 }
    }

    /// Writes `source` (this tensor's shape and dtype) into this tensor's elements, through its strides
    /// when it is a view, and counts a new storage version. The one place where values are stored into an
    /// existing tensor: in-place operations, ``Module/loadStateDict(_:strict:)`` and parameter setters.
    func writeValues(from source: Tensor, _ op: String) throws {
        try require(source.shape == shape && source.dtype == dtype,
                    "\(op): values of shape \(source.shape) (\(source.dtype)) cannot be written into shape \(shape) (\(dtype))", .shapeMismatch)
        try require(!hasInternalOverlap,
                    "\(op): several elements of this tensor (shape \(shape), strides \(strides)) are the same memory (a view made by expand); write into a clone() instead",
                    .inPlaceModification)
        defer { storage.bumpVersion() }
        if count == 0 { return }
        var from = source
        if source.storage === storage && source.viewCache == nil {
            if source.storageOffset == storageOffset && source.strides == strides { return }
            // The source is read from the memory being written: copy it out first.
            from = Tensor(uninitializedShape: shape, dtype: dtype)
            source.copyElements(into: from.rawPointer)
        }
        let destination = storage.pointer + byteOffset
        guard let st = viewStrides else {
            destination.copyMemory(from: from.rawPointer, byteCount: count * dtype.byteSize)
            return
        }
        switch dtype.byteSize {
        case 4: Tensor.stridedStoreKernel(from.pointer(UInt32.self), destination.assumingMemoryBound(to: UInt32.self), shape, st)
        default: Tensor.stridedStoreKernel(from.pointer(UInt64.self), destination.assumingMemoryBound(to: UInt64.self), shape, st)
        }
    }

    /// Stores the contiguous `src` into `dst` laid out by `strides` (the inverse of `stridedKernel`), split
    /// over the threads like it when the view's elements are distinct memory.
    static func stridedStoreKernel<W>(_ src: UnsafeMutablePointer<W>, _ dst: UnsafeMutablePointer<W>, _ shape: [Int], _ strides: [Int]) {
        let zeros = [Int](repeating: 0, count: shape.count)
        let grain = splitGrain(shape: shape, strides: strides)
        let (from, to) = (UncheckedSendable(src), UncheckedSendable(dst))
        parallelForEachInnerRun(shape: shape, stridesA: strides, stridesB: zeros, grain: grain) { a, _, o, n, sa, _ in
            let d = to.value + a, s = from.value + o
            if sa == 1 {
                ShortCopy.copy(d, from: s, count: n)
            } else {
                var k = 0
                for j in 0..<n { d[k] = s[j]; k &+= sa }
            }
        }
    }

    /// Whether BLAS can read this tensor's last two dimensions as stored: it is contiguous, or the
    /// transpose of a contiguous matrix (or batch of matrices).
    var isBLASReadable: Bool {
        guard let st = viewStrides else { return true }
        guard rank >= 2 else { return false }
        var swappedShape = shape, swappedStrides = st
        swappedShape.swapAt(rank - 1, rank - 2)
        swappedStrides.swapAt(rank - 1, rank - 2)
        return Tensor.isContiguousLayout(shape: swappedShape, strides: swappedStrides)
    }

    /// This tensor as BLAS reads it: itself with `transposed` when it is contiguous; when it is the
    /// transpose of a contiguous matrix (or batch of matrices), that matrix with the flag flipped, so that
    /// `x.t.matmul(y)` copies nothing; otherwise (callers make such operands contiguous first, recorded,
    /// so that backward reads the copy too) a contiguous copy.
    func blasOperand(transposed: Bool) -> (Tensor, Bool) {
        guard viewStrides != nil else { return (self, transposed) }
        if isBLASReadable {
            var swappedShape = shape
            swappedShape.swapAt(rank - 1, rank - 2)
            return (makeView(shape: swappedShape, strides: nil, offset: storageOffset), !transposed)
        }
        let copy = Tensor(uninitializedShape: shape, dtype: dtype)
        copyElements(into: copy.rawPointer)
        return (copy, transposed)
    }
}

extension Tensor {
    /// Every window of `size` elements along `axis`, `step` apart, as a view with one more dimension
    /// (PyTorch's `Tensor.unfold(dimension, size, step)`): `axis` becomes the number of windows,
    /// (n − size) / step + 1, and a last dimension of `size` holds each window. Nothing is copied;
    /// windows that overlap share elements, and their gradients add up.
    ///
    /// - Parameters:
    ///   - axis: the dimension to slide along; negative values count from the end.
    ///   - size: the window length, from 0 to the dimension's size.
    ///   - step: the distance between window starts, ≥ 1.
    ///
    /// ```swift
    /// Tensor.arange(0, 7).unfold(axis: 0, size: 3, step: 2)   // [[0, 1, 2], [2, 3, 4], [4, 5, 6]]
    /// let frames = audio.unfold(axis: -1, size: 400, step: 160)   // [N, L] -> [N, frames, 400]
    /// ```
    public func unfold(axis: Int, size: Int, step: Int) -> Tensor {
        checked {
            if rank == 0 {
                try require(axis == 0 || axis == -1, "unfold: axis \(axis) is out of range for a tensor of rank 0", .indexOutOfRange)
                try require(size >= 0 && size <= 1, "unfold: the window size of a scalar is at most 1, got \(size)", .invalidArgument)
                try require(step > 0, "unfold: step must be positive, got \(step)", .invalidArgument)
                // One window of the element, or one empty window.
                return size == 1 ? reshape([1]) : reshape([1]).slice(axis: 0, start: 0, end: 0)
            }
            let a = try self.axis(axis, op: "unfold")
            try require(size >= 0 && size <= shape[a],
                        "unfold: window size \(size) is outside 0...\(shape[a]) for dimension \(a) of shape \(shape)", .invalidArgument)
            try require(step > 0, "unfold: step must be positive, got \(step)", .invalidArgument)
            let windows = (shape[a] - size) / step + 1
            var outShape = shape, outStrides = strides
            outShape[a] = windows
            outStrides[a] = windows > 1 ? strides[a] * step : strides[a]   // no overflow: the windows lie inside
            outShape.append(size)
            outStrides.append(strides[a])
            // Kernels read a view through a contiguous copy of it: windows that overlap make that copy up to
            // `size` times the input, refused here rather than at its first use (as expand does).
            let count = try Tensor.elementCount(outShape, op: "unfold")
            try require(count <= TensorStorage.physicalMemoryBytes / dtype.byteSize,
                        "unfold: \(windows) windows of \(size) would need \(MemoryBudget.describe(count * dtype.byteSize)) when computed with, more than this machine's memory (\(MemoryBudget.describe(TensorStorage.physicalMemoryBytes)))",
                        .outOfMemory)
            let out = makeView(shape: outShape, strides: outStrides, offset: storageOffset)
            // For the backward pass: the windows' places in a contiguous tensor of this shape.
            let contiguous = contiguousStrides(shape)
            var regionStrides = contiguous
            regionStrides[a] = windows > 1 ? contiguous[a] * step : contiguous[a]
            regionStrides.append(contiguous[a])
            let inputShape = shape
            record("unfold", output: out, inputs: [self]) { g, _ in [g.sliceBackward(inputShape, regionStrides, 0)] }
            return out
        }
    }
}
