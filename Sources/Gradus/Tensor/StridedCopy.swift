/// Copies a strided view of a tensor into a new contiguous tensor: the one kernel behind permute,
/// transpose, slicing with steps, and expand (stride 0). Elements are moved as raw 4- or 8-byte words,
/// so it serves every dtype.
extension Tensor {
    /// A contiguous tensor of `shape` whose element at index (i₀, i₁, …) is this tensor's element at
    /// `offset + Σ iₖ·strides[k]` (in elements).
    func stridedCopy(shape outShape: [Int], strides: [Int], offset: Int) -> Tensor {
        let out = Tensor(uninitializedShape: outShape, dtype: dtype)
        if out.count == 0 { return out }
        switch dtype.byteSize {
        case 4: Tensor.stridedKernel(pointer(UInt32.self) + offset, out.pointer(UInt32.self), outShape, strides)
        default: Tensor.stridedKernel(pointer(UInt64.self) + offset, out.pointer(UInt64.self), outShape, strides)
        }
        return out
    }

    /// Copies the elements of the view (`shape`, `strides`) at `src` into the contiguous `dst`, split over
    /// the threads by runs of the innermost dimension from ``Threading/elementwiseSplitGrain`` elements per
    /// thread. Unit-stride runs are moved by ``ShortCopy`` (attention's heads are runs of 32 floats, where
    /// a call to memmove per run cost more than the copy).
    static func stridedKernel<W>(_ src: UnsafeMutablePointer<W>, _ dst: UnsafeMutablePointer<W>, _ shape: [Int], _ strides: [Int]) {
        let zeros = [Int](repeating: 0, count: shape.count)
        let (from, to) = (UncheckedSendable(src), UncheckedSendable(dst))
        parallelForEachInnerRun(shape: shape, stridesA: strides, stridesB: zeros, grain: Threading.elementwiseSplitGrain) {
            a, _, o, n, sa, _ in
            let s = from.value + a, d = to.value + o
            if sa == 1 {
                ShortCopy.copy(d, from: s, count: n)
            } else if sa == 0 {
                d.update(repeating: s[0], count: n)
            } else {
                var k = 0
                for j in 0..<n { d[j] = s[k]; k &+= sa }
            }
        }
    }

    /// The elements per thread from which a kernel writing into the view (`shape`, `strides`) splits its
    /// runs: ``Threading/elementwiseSplitGrain`` when the view is large enough to split and its elements
    /// are distinct memory (tested only then: small views, as a generated token's cache writes, skip it),
    /// else never.
    static func splitGrain(shape: [Int], strides: [Int]) -> Int {
        var count = 1
        for d in shape { count &*= d }
        let grain = Threading.elementwiseSplitGrain
        return count >= 2 * grain && isNonOverlapping(shape: shape, strides: strides) ? grain : Int.max / 4
    }

    /// Whether no two elements of the view (`shape`, `strides`) are the same memory: with the dimensions
    /// of more than one element sorted by stride, each stride passes the extent of all smaller ones
    /// (sufficient, and true of every view that slicing, permuting and transposing make; a dimension
    /// expanded with stride 0 fails it). An empty view has no elements to share.
    static func isNonOverlapping(shape: [Int], strides: [Int]) -> Bool {
        if shape.contains(0) { return true }
        let dims = zip(shape, strides).filter { $0.0 > 1 }.sorted { Swift.abs($0.1) < Swift.abs($1.1) }
        var extent = 1
        for (size, stride) in dims {
            if Swift.abs(stride) < extent { return false }
            extent = Swift.abs(stride) * (size - 1) + extent
        }
        return true
    }

    /// Adds a contiguous tensor `src` into this tensor's strided view (the transpose of ``stridedCopy``):
    /// the backward of slicing. Floating-point only. Split over the threads by runs when the view's
    /// elements are all distinct memory (``isNonOverlapping(shape:strides:)``).
    func stridedAccumulate(_ src: Tensor, strides: [Int], offset: Int) {
        let grain = Tensor.splitGrain(shape: src.shape, strides: strides)
        func run<T: TensorFloat>(_: T.Type) {
            let base = UncheckedSendable(pointer(T.self) + offset)
            let sp = UncheckedSendable(src.pointer(T.self))
            let zeros = [Int](repeating: 0, count: src.rank)
            parallelForEachInnerRun(shape: src.shape, stridesA: strides, stridesB: zeros, grain: grain) { a, _, o, n, sa, _ in
                if sa == 1 {
                    // The common case (a slice along an outer axis, a chunk of rows): a unit-stride run,
                    // which the compiler vectorizes; the general loop below cannot be.
                    let d = base.value + a, s = sp.value + o
                    for j in 0..<n { d[j] += s[j] }
                } else {
                    var k = a
                    for j in 0..<n { base.value[k] += sp.value[o + j]; k &+= sa }
                }
            }
        }
        switch dtype {
        case .float32: run(Float.self)
        case .float64: run(Double.self)
        case .int64: fatalError("stridedAccumulate: int64 tensors have no gradients")
        }
    }
}
