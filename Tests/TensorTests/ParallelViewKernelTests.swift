import Foundation
@_spi(KernelTesting) import Gradus
import Testing

/// The kernels behind views, split over the threads by runs of the innermost dimension (copying a view
/// into a contiguous tensor, writing into a view, adding a slice's gradient back), the zero fill of large
/// buffers and the vector-register column sums: at 1 and 2 threads each gives exactly the elements that
/// index arithmetic on the view's strides gives, with the split at an odd place in the runs.
@Suite("View kernels split over threads")
struct ParallelViewKernelTests {
    /// The element of a view at each of its indices (row-major), read from the base's values through the
    /// view's strides and offset: an index computation independent of the kernels.
    func viewElements(_ base: [Float], _ view: Tensor) -> [Float] {
        let shape = view.shape, strides = view.strides
        var out: [Float] = []
        out.reserveCapacity(view.count)
        var index = [Int](repeating: 0, count: shape.count)
        for _ in 0..<view.count {
            var at = view.storageOffset
            for d in 0..<shape.count { at += index[d] * strides[d] }
            out.append(base[at])
            var d = shape.count - 1
            while d >= 0 {
                index[d] += 1
                if index[d] < shape[d] { break }
                index[d] = 0
                d -= 1
            }
        }
        return out
    }

    func ramp(_ count: Int) -> [Float] { (0..<count).map { Float($0 % 9973) * 0.5 - 1000 } }

    /// Expects equal arrays, reporting the first difference (not both arrays: they are 200,000 long).
    func expectSame(_ actual: [Float], _ expected: [Float], _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let first = zip(actual, expected).enumerated().first { $0.element.0.bitPattern != $0.element.1.bitPattern }?.offset
        #expect(actual.count == expected.count && first == nil,
                "\(what): \(actual.count) values (expected \(expected.count)), first difference at \(first.map(String.init) ?? "-")",
                sourceLocation: sourceLocation)
    }

    @Test("contiguous copies of permuted, stepped, transposed and expanded views match index arithmetic", arguments: [1, 2])
    func copiesMatchIndexArithmetic(threads: Int) {
        Threading.withCount(threads) {
            // Attention's head split at odd sizes: runs of 33 floats (copied inline, not by memmove),
            // 205,920 elements, so that two threads split the runs unevenly.
            let values = ramp(4 * 130 * 3 * 4 * 33)
            let base = Tensor(shape: [4, 130, 3 * 4 * 33], values: values.map(Double.init))
            let views: [(String, Tensor)] = [
                ("head split", base.reshape([4, 130, 3, 4, 33]).permute([2, 0, 3, 1, 4])),
                ("head merge", base.reshape([4 * 3 * 4, 130, 33]).reshape([4, 12, 130, 33]).permute([0, 2, 1, 3])),
                ("every other column", base.slice(axis: 2, start: 1, step: 2)),
                ("transpose (unit stride outside)", base.transpose(1, 2)),
                ("a slice of rows", base.slice(axis: 1, start: 7, end: 129)),
                ("a column expanded", base.slice(axis: 2, start: 5, end: 6).expand([4, 130, 300])),
                ("a row expanded", base.select(axis: 1, index: 3).unsqueeze(1).expand([4, 70, 396])),
            ]
            for (what, view) in views {
                let expected = viewElements(values, view)
                expectSame(view.contiguous().scalars(as: Float.self), expected, "\(what) at \(threads) thread(s)")
                expectSame(view.reshape([view.count]).scalars(as: Float.self), expected, "\(what) reshaped")
            }
            // Empty and scalar views.
            #expect(base.slice(axis: 1, start: 3, end: 3).transpose(1, 2).contiguous().count == 0)
            #expect(base.select(axis: 0, index: 1).select(axis: 0, index: 2).select(axis: 0, index: 5).contiguous().item() == values[1 * 130 * 396 + 2 * 396 + 5])
        }
    }

    @Test("values written into a permuted view land where its strides lead", arguments: [1, 2])
    func writesIntoViews(threads: Int) throws {
        try Threading.withCount(threads) { () throws in
            let base = Tensor.zeros([4, 130, 396])
            let view = base.reshape([4, 130, 3, 4, 33]).permute([2, 0, 3, 1, 4])
            let source = ramp(view.count)
            _ = view.assign(Tensor(shape: view.shape, values: source.map(Double.init)))
            // Reading the view back through index arithmetic on the base gives the source in order.
            expectSame(viewElements(base.scalars(as: Float.self), view), source, "written through the view")
            // A view whose elements repeat memory cannot be written (checked before any write).
            let expanded = base.slice(axis: 2, start: 0, end: 1).expand([4, 130, 2])
            #expect(throws: GradusError.self) { try GradusError.catching { _ = expanded.assign(Tensor.ones([4, 130, 2])) } }
        }
    }

    @Test("a slice's gradient is added back into its place, whatever the split", arguments: [1, 2])
    func sliceGradientsAddBack(threads: Int) throws {
        try Threading.withCount(threads) { () throws in
            let x = Tensor(shape: [3, 260, 396], values: ramp(3 * 260 * 396).map(Double.init)).requiringGrad()
            // q, k, v taken from one projection as attention does, each used with its own weight; plus
            // an overlapping pair of stepped slices of the same rows, whose gradients add up.
            let parts = x.reshape([3, 260, 12, 33]).permute([0, 2, 1, 3])
            let loss = (parts.select(axis: 0, index: 0) * 2).sum() + (parts.select(axis: 0, index: 1) * 3).sum()
                + (parts.select(axis: 0, index: 2) * 5).sum()
                + x.slice(axis: 2, start: 0, step: 2).sum() + x.slice(axis: 2, start: 0, step: 4).sum()
            loss.backward()
            let grad = try #require(x.grad).scalars(as: Float.self)
            var expected = [Float](repeating: 0, count: grad.count)
            for i in 0..<grad.count {
                let (part, column) = (i / (260 * 396), i % 396)
                expected[i] = [2, 3, 5][part] + (column % 2 == 0 ? 1 : 0) + (column % 4 == 0 ? 1 : 0)
            }
            expectSame(grad, expected, "gradient of the slices")
        }
    }

    @Test("the non-overlap test: slices, permutations and transposes are distinct memory; expanded or crossing strides are not")
    func nonOverlap() {
        #expect(KernelTesting.isNonOverlapping(shape: [3, 4, 5], strides: [20, 5, 1]))
        #expect(KernelTesting.isNonOverlapping(shape: [5, 4, 3], strides: [1, 5, 20]), "a permutation")
        #expect(KernelTesting.isNonOverlapping(shape: [4, 3], strides: [12, 2]), "every other element")
        #expect(KernelTesting.isNonOverlapping(shape: [4, 1, 3], strides: [3, 0, 1]), "a dimension of one with stride 0")
        #expect(KernelTesting.isNonOverlapping(shape: [0, 3], strides: [0, 0]) && KernelTesting.isNonOverlapping(shape: [], strides: []))
        #expect(!KernelTesting.isNonOverlapping(shape: [4, 3], strides: [0, 1]), "expanded")
        #expect(!KernelTesting.isNonOverlapping(shape: [3, 3], strides: [1, 1]), "sliding windows")
        #expect(!KernelTesting.isNonOverlapping(shape: [2, 4], strides: [3, 1]), "rows longer than their stride")
        #expect(KernelTesting.isNonOverlapping(shape: [2, 4], strides: [4, 1]) && KernelTesting.isNonOverlapping(shape: [2, 4], strides: [-4, 1]))
    }

    @Test("large zero tensors are zero everywhere, also in reused buffers", arguments: [1, 2])
    func zeroFill(threads: Int) {
        Threading.withCount(threads) {
            // A buffer of the same size is freed full of ones first, so the pool hands the next
            // allocation back dirty; 300,007 floats: the split edge is not a multiple of 64 bytes' worth.
            for _ in 0..<2 {
                var ones: Tensor? = Tensor.ones([300_007])
                #expect(ones!.sum().item() == 300_007)
                ones = nil
                let zeros = Tensor.zeros([300_007])
                expectSame(zeros.scalars(as: Float.self), [Float](repeating: 0, count: 300_007), "zeros")
            }
        }
    }

    /// A column's sum in the order the kernels promise: up to 128 values added one at a time from zero;
    /// more in blocks of 128 so added, the blocks' totals added in Float64 and rounded once.
    func cascadedSum<T: BinaryFloatingPoint>(_ column: [T]) -> T {
        func plain(_ part: ArraySlice<T>) -> T { var s: T = 0; for v in part { s += v }; return s }
        if column.count <= 128 { return plain(column[...]) }
        var total = 0.0
        for start in stride(from: 0, to: column.count, by: 128) {
            total += Double(plain(column[start..<min(start + 128, column.count)]))
        }
        return T(total)
    }

    @Test("column sums in vector blocks equal sums added one row at a time within blocks of 128 rows, at every column count", arguments: [1, 2])
    func columnSums(threads: Int) {
        Threading.withCount(threads) {
            // (One column is a sum along a contiguous row, with eight accumulators: another order.)
            for columns in [2, 15, 16, 17, 63, 64, 65, 130, 513] {
                let rows = 65_536 / columns + 3
                var rng = SeededGenerator(seed: UInt64(columns))
                var values = (0..<(rows * columns)).map { _ in Double.random(in: -1000...1000, using: &rng) }
                values[0] = -0.0
                if columns > 20 {
                    // A column with an infinity and one with a NaN, and one of signed zeros.
                    values[3 * columns + 17] = .infinity
                    values[5 * columns + 19] = .nan
                    for r in 0..<rows { values[r * columns + 20] = r % 2 == 0 ? -0.0 : 0.0 }
                }
                for dtype in [DType.float32, .float64] {
                    let x = Tensor(shape: [rows, columns], values: values, dtype: dtype)
                    let sums = x.sum(axes: [0])
                    for c in 0..<columns {
                        if dtype == .float32 {
                            let s = cascadedSum((0..<rows).map { Float(values[$0 * columns + c]) })
                            let got = sums.scalars(as: Float.self)[c]
                            #expect(got.bitPattern == s.bitPattern || (got.isNaN && s.isNaN), "Float32 column \(c) of \(columns)")
                        } else {
                            let s = cascadedSum((0..<rows).map { values[$0 * columns + c] })
                            let got = sums.scalars(as: Double.self)[c]
                            #expect(got.bitPattern == s.bitPattern || (got.isNaN && s.isNaN), "Float64 column \(c) of \(columns)")
                        }
                    }
                }
            }
        }
    }
}
