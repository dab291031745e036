/// Broadcasting by NumPy and PyTorch rules: shapes are aligned at their last dimension, and a dimension
/// of size 1 (or a missing leading one) stretches to the other's size.
public enum Broadcast {
    /// The broadcast shape of `a` and `b`, or nil when they do not broadcast.
    public static func shape(_ a: [Int], _ b: [Int]) -> [Int]? {
        let r = max(a.count, b.count)
        var out = [Int](repeating: 1, count: r)
        for i in 0..<r {
            let da = i < r - a.count ? 1 : a[i - (r - a.count)]
            let db = i < r - b.count ? 1 : b[i - (r - b.count)]
            if da == db || db == 1 { out[i] = da } else if da == 1 { out[i] = db } else { return nil }
        }
        return out
    }

    /// The broadcast shape; throws an error naming `op` and both shapes when there is none.
    static func shape(_ a: [Int], _ b: [Int], op: String) throws -> [Int] {
        guard let s = shape(a, b) else {
            throw GradusError(.shapeMismatch, "\(op): shapes \(a) and \(b) cannot be broadcast together")
        }
        return s
    }

    /// Row-major strides of `shape`, with 0 for dimensions that broadcast to `target`
    /// (and for missing leading dimensions).
    static func strides(of shape: [Int], broadcastTo target: [Int]) -> [Int] {
        let lead = target.count - shape.count
        var strides = [Int](repeating: 0, count: target.count)
        var s = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[lead + i] = shape[i] == 1 && target[lead + i] != 1 ? 0 : s
            s *= shape[i]
        }
        return strides
    }
}

/// Contiguous row-major strides.
func contiguousStrides(_ shape: [Int]) -> [Int] {
    var strides = [Int](repeating: 1, count: shape.count)
    var s = 1
    for i in stride(from: shape.count - 1, through: 0, by: -1) {
        strides[i] = s
        s *= shape[i]
    }
    return strides
}

/// Calls `body(offsetA, offsetB, outOffset, innerCount, innerStrideA, innerStrideB)` once per run of the
/// innermost dimension of `shape`, walking the outer dimensions with an index counter.
///
/// The counter and strides are walked through raw buffers: as Swift arrays, each step paid a uniqueness
/// check and an end-of-mutation call whenever this function was inlined into a generic (dtype-visitor)
/// context that the optimizer did not specialize (measured: 5% of a Transformer training step).
@inline(__always)
func forEachInnerRun(
    shape: [Int], stridesA: [Int], stridesB: [Int],
    _ body: (_ a: Int, _ b: Int, _ out: Int, _ n: Int, _ sa: Int, _ sb: Int) -> Void
) {
    forEachInnerRun(shape: shape, stridesA: stridesA, stridesB: stridesB, runs: 0..<innerRunCount(shape), body)
}

/// How many runs of the innermost dimension `shape` has (the product of the other dimensions; 1 for a
/// scalar or a vector, 0 when a dimension is 0).
@inline(__always)
func innerRunCount(_ shape: [Int]) -> Int {
    if shape.isEmpty { return 1 }
    var runs = 1
    for d in shape { if d == 0 { return 0 } }
    for i in 0..<(shape.count - 1) { runs &*= shape[i] }
    return runs
}

/// ``forEachInnerRun(shape:stridesA:stridesB:_:)`` for the runs numbered `runs` only (in row-major
/// order, 0..<``innerRunCount(_:)``): the part of a walk that one thread takes.
@inline(__always)
func forEachInnerRun(
    shape: [Int], stridesA: [Int], stridesB: [Int], runs: Range<Int>,
    _ body: (_ a: Int, _ b: Int, _ out: Int, _ n: Int, _ sa: Int, _ sb: Int) -> Void
) {
    let r = shape.count
    if runs.isEmpty { return }
    if r == 0 { body(0, 0, 0, 1, 0, 0); return }
    let n = shape[r - 1]
    let sa = stridesA[r - 1], sb = stridesB[r - 1]
    if n == 0 { return }
    if r == 1 { body(0, 0, 0, n, sa, sb); return }
    withUnsafeTemporaryAllocation(of: Int.self, capacity: 4 * (r - 1)) { scratch in
        let index = scratch.baseAddress!, dims = index + (r - 1), stA = dims + (r - 1), stB = stA + (r - 1)
        // The counter at the first run: its number written in the mixed radix of the outer dimensions.
        var q = runs.lowerBound, offA = 0, offB = 0
        for d in stride(from: r - 2, through: 0, by: -1) {
            dims[d] = shape[d]
            stA[d] = stridesA[d]
            stB[d] = stridesB[d]
            index[d] = q % dims[d]
            q /= dims[d]
            offA &+= index[d] &* stA[d]
            offB &+= index[d] &* stB[d]
        }
        var out = runs.lowerBound &* n
        for _ in runs {
            body(offA, offB, out, n, sa, sb)
            out &+= n
            var d = r - 2
            while d >= 0 {
                index[d] &+= 1
                offA &+= stA[d]
                offB &+= stB[d]
                if index[d] < dims[d] { break }
                offA &-= stA[d] &* dims[d]
                offB &-= stB[d] &* dims[d]
                index[d] = 0
                d -= 1
            }
        }
    }
}

/// ``forEachInnerRun(shape:stridesA:stridesB:_:)`` with the runs split over the threads when there are
/// at least `grain` elements per thread. `body` must only write where its own runs lead (the caller
/// checks that no two runs share an output element).
@inline(__always)
func parallelForEachInnerRun(
    shape: [Int], stridesA: [Int], stridesB: [Int], grain: Int,
    _ body: (_ a: Int, _ b: Int, _ out: Int, _ n: Int, _ sa: Int, _ sb: Int) -> Void
) {
    let runs = innerRunCount(shape)
    let n = shape.last ?? 1
    Threading.parallelFor(runs, grain: Swift.max(1, grain / Swift.max(n, 1))) { range in
        forEachInnerRun(shape: shape, stridesA: stridesA, stridesB: stridesB, runs: range, body)
    }
}
