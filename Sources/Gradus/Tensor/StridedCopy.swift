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

    static func stridedKernel<W>(_ src: UnsafeMutablePointer<W>, _ dst: UnsafeMutablePointer<W>, _ shape: [Int], _ strides: [Int]) {
        let zeros = [Int](repeating: 0, count: shape.count)
        forEachInnerRun(shape: shape, stridesA: strides, stridesB: zeros) { a, _, o, n, sa, _ in
            let s = src + a, d = dst + o
            if sa == 1 {
                d.update(from: s, count: n)
            } else if sa == 0 {
                d.update(repeating: s[0], count: n)
            } else {
                var k = 0
                for j in 0..<n { d[j] = s[k]; k &+= sa }
            }
        }
    }

    /// Adds a contiguous tensor `src` into this tensor's strided view (the transpose of ``stridedCopy``):
    /// the backward of slicing. Floating-point only.
    func stridedAccumulate(_ src: Tensor, strides: [Int], offset: Int) {
        func run<T: TensorFloat>(_: T.Type) {
            let base = pointer(T.self) + offset
            let sp = src.pointer(T.self)
            let zeros = [Int](repeating: 0, count: src.rank)
            forEachInnerRun(shape: src.shape, stridesA: strides, stridesB: zeros) { a, _, o, n, sa, _ in
                if sa == 1 {
                    // The common case (a slice along an outer axis, a chunk of rows): a unit-stride run,
                    // which the compiler vectorizes; the general loop below cannot be.
                    let d = base + a, s = sp + o
                    for j in 0..<n { d[j] += s[j] }
                } else {
                    var k = a
                    for j in 0..<n { base[k] += sp[o + j]; k &+= sa }
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
