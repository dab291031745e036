/// The loops behind reductions along one axis: the tensor is seen as [outer, n, inner] and reduced to
/// [outer, inner]. Each loop is written once, generic over the element type, and run for the tensor's
/// dtype through ``DType/dispatch(_:)``.
extension Tensor {
    func axisLayout(_ a: Int) -> (outer: Int, n: Int, inner: Int) {
        let outer = shape[..<a].reduce(1, *)
        let inner = shape[(a + 1)...].reduce(1, *)
        return (outer, shape[a], inner)
    }

    /// The sum of all elements, in a tensor of this rank with every dimension 1.
    func totalSum() throws -> Tensor {
        let out = Tensor(uninitializedShape: [Int](repeating: 1, count: rank), dtype: dtype)
        try dtype.dispatch(TotalSum(source: self, out: out))
        return out
    }

    /// Sum along one axis, keeping it as size 1.
    func sumKernel(axis a: Int) throws -> Tensor {
        let (outer, n, inner) = axisLayout(a)
        let out = Tensor(uninitializedShape: keepDimsShape([a]), dtype: dtype)
        try dtype.dispatch(AxisSum(source: self, out: out, outer: outer, n: n, inner: inner))
        return out
    }

    /// Values summed from zero (eight lanes of 128) before their total joins a Float64 running sum:
    /// long sums are cascaded in blocks of this many, so that the rounding error grows with the block
    /// length rather than with `n` (PyTorch's cascade sum keeps it as small). Shorter sums add as before.
    static let sumBlockLength = 1024

    /// Rows summed from zero, one running value per column, before joining a Float64 running sum: the
    /// column sums' block (each column is one sequential chain, so the block is shorter than a row's).
    /// A batch of up to this many rows (a bias gradient) adds exactly as before.
    static let columnSumBlockLength = 128

    /// Sum of `n` contiguous values: eight independent accumulators (vectorizes) within blocks of
    /// ``sumBlockLength`` values, the blocks' totals added in Float64 for Float32 input (in the type's
    /// own precision otherwise). A sum of at most one block adds in the same order as before blocks were
    /// introduced. Integers wrap around on overflow.
    @inline(__always)
    static func rowSum<T: TensorElement>(_ p: UnsafeMutablePointer<T>, _ n: Int) -> T {
        let block = sumBlockLength
        if n <= block { return blockSum(p, n) }
        if T.self == Float.self {
            let q = UnsafeMutableRawPointer(p).assumingMemoryBound(to: Float.self)
            var total = 0.0, i = 0
            while i < n { total += Double(blockSum(q + i, Swift.min(block, n &- i))); i &+= block }
            return unsafeBitCast(Float(total), to: T.self)
        }
        var total: T = 0, i = 0
        while i < n { total = T.wrappingAdd(total, blockSum(p + i, Swift.min(block, n &- i))); i &+= block }
        return total
    }

    /// Sum of `n` contiguous values with eight independent accumulators.
    @inline(__always)
    private static func blockSum<T: TensorElement>(_ p: UnsafeMutablePointer<T>, _ n: Int) -> T {
        var a0: T = 0, a1: T = 0, a2: T = 0, a3: T = 0, a4: T = 0, a5: T = 0, a6: T = 0, a7: T = 0
        var i = 0
        while i &+ 8 <= n {
            a0 = T.wrappingAdd(a0, p[i]); a1 = T.wrappingAdd(a1, p[i &+ 1])
            a2 = T.wrappingAdd(a2, p[i &+ 2]); a3 = T.wrappingAdd(a3, p[i &+ 3])
            a4 = T.wrappingAdd(a4, p[i &+ 4]); a5 = T.wrappingAdd(a5, p[i &+ 5])
            a6 = T.wrappingAdd(a6, p[i &+ 6]); a7 = T.wrappingAdd(a7, p[i &+ 7])
            i &+= 8
        }
        var tail: T = 0
        while i < n { tail = T.wrappingAdd(tail, p[i]); i &+= 1 }
        let low = T.wrappingAdd(T.wrappingAdd(a0, a4), T.wrappingAdd(a1, a5))
        let high = T.wrappingAdd(T.wrappingAdd(a2, a6), T.wrappingAdd(a3, a7))
        return T.wrappingAdd(T.wrappingAdd(low, high), tail)
    }

    /// Maximum (or minimum) along one axis with the index of its first occurrence; NaN wins, as in PyTorch.
    func extremumKernel(axis a: Int, largest: Bool) throws -> (values: Tensor, indices: Tensor) {
        let (outer, n, inner) = axisLayout(a)
        try require(n > 0, "\(largest ? "max" : "min"): cannot reduce an empty dimension (shape \(shape), axis \(a))", .shapeMismatch)
        let shapeOut = keepDimsShape([a])
        let values = Tensor(uninitializedShape: shapeOut, dtype: dtype)
        let indices = Tensor(uninitializedShape: shapeOut, dtype: .int64)
        try dtype.dispatch(AxisExtremum(source: self, values: values, indices: indices,
                                        outer: outer, n: n, inner: inner, largest: largest))
        return (values, indices)
    }
}

extension Tensor {
    /// The position of the first largest (`largest`) or smallest element in row-major order, a NaN
    /// counting as both (the first NaN wins), as `reshape([count]).max(axis: 0).indices` gives it
    /// without its intermediate tensors.
    func flatExtremumIndex(largest: Bool) throws -> Int {
        try require(count > 0, "\(largest ? "max" : "min"): cannot reduce an empty dimension (shape [\(count)], axis 0)", .shapeMismatch)
        let source = GradMode.noGrad { contiguous() }
        // The visitor holds the tensor unowned: kept alive here until the scan is done.
        return try withExtendedLifetime(source) { try dtype.dispatch(FlatExtremum(source: source, count: count, largest: largest)) }
    }
}

/// The index of the first extremum of `source`'s `count` contiguous elements (NaN first).
private struct FlatExtremum: DTypeVisitor {
    typealias Result = Int
    unowned(unsafe) let source: Tensor
    let count: Int
    let largest: Bool

    func visit<T: TensorElement>(_: T.Type) -> Int {
        firstExtremum(source.pointer(T.self), count: count, stride: 1, largest: largest).index
    }
}

/// The first largest (`largest`) or smallest of `count` ≥ 1 elements `stride` apart, a NaN counting as
/// both (the first NaN wins, as in PyTorch): its value and position.
@inline(__always)
private func firstExtremum<T: TensorElement>(_ src: UnsafePointer<T>, count: Int, stride: Int, largest: Bool) -> (value: T, index: Int) {
    var best = src[0], index = 0
    if isNaNElement(best) { return (best, 0) }
    for k in 1..<Swift.max(count, 1) {
        let v = src[k &* stride]
        if isNaNElement(v) { return (v, k) }
        if largest ? v > best : v < best { best = v; index = k }
    }
    return (best, index)
}

/// The sum of all elements of `source` into `out[0]`.
// Visitors hold their tensors `unowned(unsafe)`: see the note in ElementwiseKernels.swift.
private struct TotalSum: DTypeVisitor {
    typealias Result = Void
    unowned(unsafe) let source: Tensor
    unowned(unsafe) let out: Tensor

    func visit<T: TensorElement>(_: T.Type) {
        out.pointer(T.self)[0] = Tensor.rowSum(source.pointer(T.self), source.count)
    }
}

/// `source` seen as [outer, n, inner] summed over n into `out` ([outer, inner]).
private struct AxisSum: DTypeVisitor {
    typealias Result = Void
    unowned(unsafe) let source: Tensor
    unowned(unsafe) let out: Tensor
    let outer: Int
    let n: Int
    let inner: Int

    /// Split over threads from ``Threading/elementwiseSplitGrain`` elements per thread: by rows of the
    /// output (outer) when each has a single sum or few columns, else by columns. Every sum adds the
    /// same values in the same order as on one thread, so results do not depend on the thread count.
    func visit<T: TensorElement>(_: T.Type) {
        let (src, dst) = (UncheckedSendable(source.pointer(T.self)), UncheckedSendable(out.pointer(T.self)))
        let (outer, n, inner) = (self.outer, self.n, self.inner)
        let total = outer &* n &* inner, grain = Threading.elementwiseSplitGrain
        if inner == 1 {
            Threading.parallelFor(outer, grain: Swift.max(1, grain / Swift.max(n, 1))) { r in
                for o in r { dst.value[o] = Tensor.rowSum(src.value + o &* n, n) }
            }
            return
        }
        // Sums of the columns `columns` of the rows `rows` of the output.
        func sums(_ rows: Range<Int>, _ columns: Range<Int>) {
            var totals: [Double] = []   // the cascaded scalar columns' Float64 totals, allocated once
            for o in rows {
                let d = dst.value + o &* inner
                // Floating-point columns in blocks held in vector registers over all n rows (the loop
                // below loads and stores each sum once per row); the same additions in the same order.
                var first = columns.lowerBound
                if T.self == Float.self {
                    first = columnBlockSums(SIMD16<Float>.self, src.value + o &* n &* inner, d, n: n, inner: inner, columns: columns)
                } else if T.self == Double.self {
                    first = columnBlockSums(SIMD8<Double>.self, src.value + o &* n &* inner, d, n: n, inner: inner, columns: columns)
                }
                let columns = first..<columns.upperBound
                if columns.isEmpty { continue }
                let floating = T.self == Float.self || T.self == Double.self
                if !floating || n <= Tensor.columnSumBlockLength {
                    for i in columns { d[i] = 0 }
                    for k in 0..<n {
                        let s = src.value + (o &* n &+ k) &* inner
                        for i in columns { d[i] = T.wrappingAdd(d[i], s[i]) }
                    }
                    continue
                }
                // Long floating-point columns: blocks of rows summed from zero, their totals in Float64.
                totals.removeAll(keepingCapacity: true)
                totals.append(contentsOf: repeatElement(0, count: columns.count))
                var k0 = 0
                while k0 < n {
                    for i in columns { d[i] = 0 }
                    for k in k0..<Swift.min(n, k0 &+ Tensor.columnSumBlockLength) {
                        let s = src.value + (o &* n &+ k) &* inner
                        for i in columns { d[i] = T.wrappingAdd(d[i], s[i]) }
                    }
                    for (j, i) in columns.enumerated() { totals[j] += floatingAsDouble(d[i]) }
                    k0 &+= Tensor.columnSumBlockLength
                }
                for (j, i) in columns.enumerated() { d[i] = T.converted(from: totals[j]) }
            }
        }
        let parts = Swift.max(1, Swift.min(Threading.count, total / grain))
        if inner < 64 && outer >= parts {
            Threading.parallelParts(outer, parts: parts) { _, rows in sums(rows, 0..<inner) }
        } else {
            Threading.parallelParts(inner, parts: Swift.min(parts, Swift.max(1, inner / 16))) { _, columns in sums(0..<outer, columns) }
        }
    }
}

/// A `Float` or `Double` element as a `Double`.
@inline(__always)
private func floatingAsDouble<T: TensorElement>(_ x: T) -> Double {
    T.self == Float.self ? Double(unsafeBitCast(x, to: Float.self)) : unsafeBitCast(x, to: Double.self)
}

/// Sums over the `n` rows (`inner` elements apart) at `source` of the columns `columns`, in blocks of
/// four vectors of `V` and then of one vector, into `sums`: each column's values added from 0 in row
/// order. More than ``Tensor/columnSumBlockLength`` rows are cascaded: blocks of that many rows are summed
/// from zero and their totals added in Float64. Returns the first column not done (the narrower rest).
@inline(__always)
private func columnBlockSums<V: SIMD, T>(_: V.Type, _ source: UnsafeMutablePointer<T>, _ sums: UnsafeMutablePointer<T>,
                                         n: Int, inner: Int, columns: Range<Int>) -> Int where V.Scalar: BinaryFloatingPoint {
    let width = V.scalarCount, size = MemoryLayout<V.Scalar>.stride
    let src = UnsafeRawPointer(source), dst = UnsafeMutableRawPointer(sums)
    let block = Tensor.columnSumBlockLength
    var i = columns.lowerBound
    // Columns [i, i + 4·width) (`vectors` = 4) or [i, i + width) (`vectors` = 1).
    func columnSums(vectors: Int) {
        // The blocks' Float64 totals, one per column (on the stack; read only when there are several blocks).
        withUnsafeTemporaryAllocation(of: Double.self, capacity: 4 &* width) { totals in
            totals.initialize(repeating: 0)
            func addToTotals(_ a: V, _ v: Int) { for j in 0..<width { totals[v &* width &+ j] += Double(a[j]) } }
            var k0 = 0
            repeat {
                let rows = Swift.min(block, n &- k0)
                var a0 = V(), a1 = V(), a2 = V(), a3 = V()
                var p = src + (k0 &* inner &+ i) &* size
                if vectors == 4 {
                    for _ in 0..<rows {
                        a0 += p.loadUnaligned(as: V.self)
                        a1 += (p + width &* size).loadUnaligned(as: V.self)
                        a2 += (p + 2 &* width &* size).loadUnaligned(as: V.self)
                        a3 += (p + 3 &* width &* size).loadUnaligned(as: V.self)
                        p += inner &* size
                    }
                } else {
                    for _ in 0..<rows { a0 += p.loadUnaligned(as: V.self); p += inner &* size }
                }
                let q = dst + i &* size
                if n <= block {   // one block: the sums as they are
                    q.storeBytes(of: a0, as: V.self)
                    if vectors == 4 {
                        (q + width &* size).storeBytes(of: a1, as: V.self)
                        (q + 2 &* width &* size).storeBytes(of: a2, as: V.self)
                        (q + 3 &* width &* size).storeBytes(of: a3, as: V.self)
                    }
                    return
                }
                addToTotals(a0, 0)
                if vectors == 4 { addToTotals(a1, 1); addToTotals(a2, 2); addToTotals(a3, 3) }
                k0 &+= block
            } while k0 < n
            for v in 0..<vectors {
                var a = V()
                for j in 0..<width { a[j] = V.Scalar(totals[v &* width &+ j]) }
                (dst + (i &+ v &* width) &* size).storeBytes(of: a, as: V.self)
            }
        }
    }
    while i &+ 4 &* width <= columns.upperBound { columnSums(vectors: 4); i &+= 4 &* width }
    while i &+ width <= columns.upperBound { columnSums(vectors: 1); i &+= width }
    return i
}

/// `source` seen as [outer, n, inner]: the largest (or smallest) value over n and the index of its first
/// occurrence, into `values` and `indices` ([outer, inner]). A NaN wins at once.
private struct AxisExtremum: DTypeVisitor {
    typealias Result = Void
    unowned(unsafe) let source: Tensor
    unowned(unsafe) let values: Tensor
    unowned(unsafe) let indices: Tensor
    let outer: Int
    let n: Int
    let inner: Int
    let largest: Bool

    func visit<T: TensorElement>(_: T.Type) {
        let src = source.pointer(T.self), dst = values.pointer(T.self), ip = indices.pointer(Int64.self)
        for o in 0..<outer {
            for i in 0..<inner {
                let (best, index) = firstExtremum(src + (o &* n &* inner &+ i), count: n, stride: inner, largest: largest)
                dst[o &* inner &+ i] = best
                ip[o &* inner &+ i] = Int64(index)
            }
        }
    }
}
