import Gradus
import GradusTestSupport
import Testing

/// Float32 sums over many elements stay accurate (cascaded in blocks, as PyTorch's cascade sum): a
/// single running Float32 total drifts by percents over 10⁷ values and stops growing at 2²⁴ ones.
/// The PyTorch values in the comments are torch 2.15 at one thread.
@Suite("Summation accuracy of long Float32 sums, rows and columns, and of running sums")
struct SummationAccuracyTests {
    /// The Float32 value nearest 0.1, as a Double.
    let tenth = Double(Float(0.1))

    @Test("sum and mean of 10⁷ and 2²⁴+10 values")
    func longRows() {
        // PyTorch: 0.09999994; one running Float32 total gives 0.10107918.
        let mean = Tensor.full([10_000_000], value: 0.1).mean().item(Double.self)
        #expect(abs(mean - tenth) < 1e-6, "mean \(mean)")
        // PyTorch: 16777226; eight running Float32 totals gave 16777216 only from 2²⁷ on, one total at 2²⁴.
        #expect(Tensor.ones([(1 << 24) + 10]).sum().item(Double.self) == Double((1 << 24) + 10))
        // Through an axis (rows of [outer, n]): each row a long sum.
        let rows = Tensor.full([2, 5_000_001], value: 0.1).sum(axes: [1]).scalars(as: Double.self)
        for r in rows { #expect(abs(r - 5_000_001 * tenth) < 1.0, "row sum \(r)") }
    }

    @Test("column sums over 10⁶ rows, in the vector blocks and in the narrower rest")
    func longColumns() {
        // 19 columns: one block of 16 lanes and three columns of the scalar rest.
        for dtype in [DType.float32, .float64] {
            let means = Tensor.full([1_000_000, 19], value: 0.1, dtype: dtype).mean(axes: [0]).scalars(as: Double.self)
            let want = dtype == .float32 ? tenth : 0.1
            for (c, m) in means.enumerated() { #expect(abs(m - want) < 1e-6, "\(dtype) column \(c) mean \(m)") }
        }
        // 64 columns (four vectors at once) and an [outer, n, inner] layout.
        let sums = Tensor.full([2, 300_000, 64], value: 0.1).sum(axes: [1]).scalars(as: Double.self)
        for s in sums { #expect(abs(s - 300_000 * tenth) < 0.05, "column sum \(s)") }
    }

    @Test("sums across the block length agree with a Float64 sum of the same values")
    func blockBoundaries() {
        var rng = SeededGenerator(seed: 21)
        for n in [0, 1, 127, 128, 129, 257, 1023, 1024, 1025, 2048, 2051, 4097] {
            let x = Tensor.normal([n], generator: &rng)
            let exact = x.scalars(as: Double.self).reduce(0, +)
            let scale = x.scalars(as: Double.self).map(abs).reduce(0, +) + 1
            #expect(abs(x.sum().item(Double.self) - exact) <= 1e-6 * scale, "row of \(n)")
            // The same values as a column of [n, 17] (a vector block and one scalar column).
            let columns = x.reshape([n, 1]).expand([n, 17]).contiguous().sum(axes: [0]).scalars(as: Double.self)
            for c in columns { #expect(abs(c - exact) <= 1e-6 * scale, "column of \(n)") }
        }
        // Integers still wrap around, in blocks as before.
        let big = Tensor(shape: [5000], integers: [Int](repeating: Int.max / 1000, count: 5000))
        #expect(big.sum().intScalars == [(0..<5000).reduce(Int64(0)) { acc, _ in acc &+ Int64(Int.max / 1000) }].map(Int.init))
    }

    @Test("cumsum and cumprod of Float32 run in Float64 and round each output once")
    func runningSums() {
        // PyTorch: 16777226 and 100000.0; a Float32 running sum gives 16777216 and 100958.34.
        let ones = Tensor.ones([(1 << 24) + 10]).cumsum(axis: 0)
        #expect(ones[(1 << 24) + 9].item(Double.self) == Double((1 << 24) + 10))
        let tenths = Tensor.full([1_000_000], value: 0.1).cumsum(axis: 0)
        #expect(abs(tenths[999_999].item(Double.self) - 1_000_000 * tenth) < 0.01)
        // PyTorch: 2.7048113 (the Float64 running product of Float32(1.01), rounded once).
        let product = Tensor.full([100], value: 1.01).cumprod(axis: 0)[99].item(Double.self)
        var want = 1.0
        for _ in 0..<100 { want *= Double(Float(1.01)) }
        #expect(product == Double(Float(want)))
        // The gradient of cumsum (a reversed running sum) is accurate too.
        let x = Tensor.ones([(1 << 24) + 10]).requiringGrad()
        x.cumsum(axis: 0).sum().backward()
        #expect(x.grad![0].item(Double.self) == Double((1 << 24) + 10))
    }
}
