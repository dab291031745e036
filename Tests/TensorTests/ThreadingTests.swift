import Foundation
import Gradus
import Testing

/// Products and convolutions large enough to be split across Gradus's worker threads: every block is
/// computed once and lands in the right place, workers wake up after sleeping, and concurrent callers
/// (which find the pool busy and run their parts themselves) get the same values.
@Suite("Work split across threads")
struct ThreadingTests {
    init() {
        // The split needs at least two threads; the default is the number of cores.
        if Threading.count < 2 { Threading.count = 2 }
    }

    /// `[m, k]·[k, n]` by a triple loop in Float64.
    func naiveProduct(_ a: [Float], _ b: [Float], m: Int, n: Int, k: Int) -> [Float] {
        var c = [Float](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var s = 0.0
                for p in 0..<k { s += Double(a[i * k + p]) * Double(b[p * n + j]) }
                c[i * n + j] = Float(s)
            }
        }
        return c
    }

    func transpose(_ x: [Float], rows: Int, columns: Int) -> [Float] {
        var t = [Float](repeating: 0, count: x.count)
        for i in 0..<rows { for j in 0..<columns { t[j * rows + i] = x[i * columns + j] } }
        return t
    }

    func expectClose(_ actual: [Float], _ expected: [Float], _ what: String) {
        #expect(actual.count == expected.count, "\(what): \(actual.count) values, expected \(expected.count)")
        // Float32 sums of up to ~250 terms of unit size: rounding stays near 1e-5; a misplaced or
        // missing block is off by order 1.
        let worst = zip(actual, expected).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? 0
        #expect(worst < 3e-5, "\(what): largest relative error \(worst)")
    }

    @Test("split products and their gradients match a triple loop",
          arguments: [(m: 64, n: 160, k: 48), (m: 160, n: 64, k: 48), (m: 97, n: 131, k: 33),
                      (m: 203, n: 150, k: 37), (m: 256, n: 24, k: 64),
                      // Narrow outputs (a classifier's last layer on a batch): too few columns to split.
                      (m: 64, n: 10, k: 512), (m: 40, n: 12, k: 600), (m: 100, n: 1, k: 3000)])
    func splitProducts(_ s: (m: Int, n: Int, k: Int)) {
        var rng = SeededGenerator(seed: UInt64(s.m * 1000 + s.n))
        let a = Tensor.normal([s.m, s.k], generator: &rng).requiringGrad()
        let b = Tensor.normal([s.k, s.n], generator: &rng).requiringGrad()
        let g = Tensor.normal([s.m, s.n], generator: &rng)
        let c = a.matmul(b)
        expectClose(c.scalars(), naiveProduct(a.scalars(), b.scalars(), m: s.m, n: s.n, k: s.k), "product \(s)")
        c.backward(g)
        // ∂/∂a = g·bᵀ and ∂/∂b = aᵀ·g: products with transposed operands, split the same way.
        let bt = transpose(b.scalars(), rows: s.k, columns: s.n), at = transpose(a.scalars(), rows: s.m, columns: s.k)
        expectClose(a.grad!.scalars(), naiveProduct(g.scalars(), bt, m: s.m, n: s.k, k: s.n), "gradient of a \(s)")
        expectClose(b.grad!.scalars(), naiveProduct(at, g.scalars(), m: s.k, n: s.n, k: s.m), "gradient of b \(s)")
    }

    @Test("batched products (attention's many small ones) match one triple loop per item, with their gradients")
    func batchedProducts() {
        var rng = SeededGenerator(seed: 77)
        let (b, m, n, k) = (24, 35, 33, 16)
        let a = Tensor.normal([b, m, k], generator: &rng).requiringGrad()
        let w = Tensor.normal([b, k, n], generator: &rng).requiringGrad()
        let c = a.matmul(w)
        var expected: [Float] = []
        for i in 0..<b {
            expected += naiveProduct(a.select(axis: 0, index: i).scalars(), w.select(axis: 0, index: i).scalars(), m: m, n: n, k: k)
        }
        expectClose(c.scalars(), expected, "batched product")
        c.sum().backward()
        // d/da of Σ (a·w) is a row of w's row sums for every row of a.
        var gradA: [Float] = []
        for i in 0..<b {
            let ws = w.select(axis: 0, index: i).sum(axes: [1]).scalars()
            for _ in 0..<m { gradA += ws }
        }
        expectClose(a.grad!.scalars(), gradA, "gradient of the batched left operand")
    }

    @Test("one-row products (matrix-vector, AVX-512 row kernel, split by output blocks when large) match a triple loop",
          arguments: [(outputs: 513, inputs: 300), (outputs: 10, inputs: 17), (outputs: 3, inputs: 5), (outputs: 6, inputs: 32)])
    func matrixVector(_ s: (outputs: Int, inputs: Int)) {
        var rng = SeededGenerator(seed: UInt64(s.outputs * 7 + s.inputs))
        let x = Tensor.normal([1, s.inputs], generator: &rng)
        let w = Tensor.normal([s.outputs, s.inputs], generator: &rng), b = Tensor.normal([s.outputs], generator: &rng)
        let expected = naiveProduct(x.scalars(), transpose(w.scalars(), rows: s.outputs, columns: s.inputs),
                                    m: 1, n: s.outputs, k: s.inputs)
        expectClose(Tensor.linear(x, weight: w, bias: nil).scalars(), expected, "x·Wᵀ \(s)")
        // With a bias the product adds into the bias (beta = 1).
        expectClose(Tensor.linear(x, weight: w, bias: b).scalars(), zip(expected, b.scalars()).map { $0 + $1 }, "x·Wᵀ + b \(s)")
        // x·W with W stored [inputs, outputs]: the transposed product, through OpenBLAS.
        let wt = Tensor.normal([s.inputs, s.outputs], generator: &rng)
        expectClose(x.matmul(wt).scalars(), naiveProduct(x.scalars(), wt.scalars(), m: 1, n: s.outputs, k: s.inputs), "x·W \(s)")
    }

    @Test("relu and its gradient on a tensor split across threads match an element loop (NaN kept and passing its gradient, 0 at 0)")
    func splitRelu() {
        var rng = SeededGenerator(seed: 8)
        var values = Tensor.normal([200_003], generator: &rng).scalars()
        values[7] = .nan
        values[150_001] = 0
        let x = Tensor(shape: [values.count], values: values).requiringGrad()
        let g = Tensor.normal([values.count], generator: &rng)
        let y = x.relu()
        y.backward(g)
        let ys = y.scalars(), gx = x.grad!.scalars(), gs = g.scalars()
        var wrong = 0
        for i in 0..<values.count {
            let v = values[i]
            let expectedY: Float = v < 0 ? 0 : v
            // PyTorch's threshold_backward: 0 where the output is ≤ 0, the gradient elsewhere (NaN included).
            let expectedG: Float = v <= 0 ? 0 : gs[i]
            let sameY = v.isNaN ? ys[i].isNaN : ys[i] == expectedY
            if !sameY || gx[i] != expectedG { wrong += 1 }
        }
        #expect(wrong == 0, "\(wrong) of \(values.count) elements differ")
    }

    @Test("elementwise operations and axis sums split across threads give the bits of one thread, and the element loop's",
          arguments: [DType.float32, .float64, .int64])
    func splitElementwiseAndSums(dtype: DType) throws {
        // 600 × 301: several split grains; odd sizes so that the parts' edges fall anywhere.
        var rng = SeededGenerator(seed: 12)
        let shape = [600, 301]
        let a = (Tensor.normal(shape, generator: &rng) * 50).to(dtype), b = (Tensor.normal(shape, generator: &rng) * 50).to(dtype)
        func results() -> [Tensor] {
            [a + b, a * b, a - 3, 2 - a, -a, a.sum(axes: [0]), a.sum(axes: [1]), a.reshape([20, 30, 301]).sum(axes: [1]),
             a.reshape([600, 7, 43]).sum(axes: [1])]
        }
        let one = Threading.withCount(1) { results() }, two = Threading.withCount(2) { results() }
        for (k, (x, y)) in zip(one, two).enumerated() {
            #expect(x.shape == y.shape && x.scalars(as: Double.self) == y.scalars(as: Double.self), "\(dtype) result \(k)")
        }
        // Against element loops in Float64 (exact for int64 and for the elementwise results).
        let (av, bv) = (a.scalars(as: Double.self), b.scalars(as: Double.self))
        let expected: [[Double]] = [zip(av, bv).map(+), zip(av, bv).map(*), av.map { $0 - 3 }, av.map { 2 - $0 }, av.map { -$0 }]
        for (k, e) in expected.enumerated() {
            #expect(two[k].scalars(as: Double.self) == Tensor(shape: [e.count], values: e, dtype: dtype).scalars(as: Double.self),
                    "\(dtype) elementwise \(k)")
        }
        var columns = [Double](repeating: 0, count: 301)
        for i in 0..<600 { for j in 0..<301 { columns[j] += av[i * 301 + j] } }
        let sums = two[5].scalars(as: Double.self)
        #expect(zip(sums, columns).allSatisfy { abs($0 - $1) <= 1e-3 * max(1, abs($1)) }, "\(dtype) column sums")
    }

    @Test("a convolution's bias gradient, split over channels, gives the bits of one thread and each channel's sum in sample order",
          arguments: [DType.float32, .float64])
    func convolutionBiasGradientSplit(dtype: DType) throws {
        // 8 samples × 37 channels × 32×30 positions: channels split unevenly between two threads.
        var rng = SeededGenerator(seed: 31)
        let x = Tensor.normal([8, 5, 32, 30], generator: &rng).to(dtype)
        let w = Tensor.normal([37, 5, 3, 3], generator: &rng).to(dtype)
        let g = (Tensor.normal([8, 37, 32, 30], generator: &rng) * 10).to(dtype)
        func biasGradient() throws -> [Double] {
            let b = Tensor.zeros([37], dtype: dtype).requiringGrad()
            (Functional.conv2d(x, weight: w, bias: b, padding: (1, 1)) * g).sum().backward()
            return try #require(b.grad).scalars(as: Double.self)
        }
        let one = try Threading.withCount(1) { try biasGradient() }, two = try Threading.withCount(2) { try biasGradient() }
        #expect(one == two)
        let gv = g.scalars(as: Double.self)
        for o in [0, 18, 36] {
            var total = 0.0
            for s in 0..<8 { for p in 0..<(32 * 30) { total += gv[(s * 37 + o) * 32 * 30 + p] } }
            #expect(abs(two[o] - total) <= (dtype == .float32 ? 1e-3 : 1e-10) * Swift.max(1, abs(total)), "\(dtype) channel \(o)")
        }
    }

    @Test("workers that fell asleep wake up for the next product")
    func workersWakeUp() throws {
        var rng = SeededGenerator(seed: 6)
        let a = Tensor.normal([128, 96], generator: &rng), b = Tensor.normal([96, 128], generator: &rng)
        let expected = naiveProduct(a.scalars(), b.scalars(), m: 128, n: 128, k: 96)
        for _ in 0..<3 {
            expectClose(a.matmul(b).scalars(), expected, "product after a pause")
            Thread.sleep(forTimeInterval: 0.02)   // far longer than the workers spin
        }
    }

    final class Inputs: @unchecked Sendable {
        let a: [Tensor], b: [Tensor], images: [Tensor], kernel: Tensor
        init(a: [Tensor], b: [Tensor], images: [Tensor], kernel: Tensor) {
            (self.a, self.b, self.images, self.kernel) = (a, b, images, kernel)
        }
    }

    /// A product, a convolution split by samples, and the convolution's gradients.
    static func work(_ a: Tensor, _ b: Tensor, _ x: Tensor, _ kernel: Tensor) -> [Float] {
        let w = kernel.detach().requiringGrad()
        let xi = x.detach().requiringGrad()
        let y = Functional.conv2d(xi, weight: w, padding: (1, 1))
        y.square().sum().backward()
        return a.matmul(b).scalars() + y.scalars() + xi.grad!.scalars() + w.grad!.scalars()
    }

    @Test("8 concurrent callers get the values computed one at a time")
    func concurrentCallers() async {
        var rng = SeededGenerator(seed: 7)
        let inputs = Inputs(a: (0..<8).map { _ in Tensor.normal([96, 80], generator: &rng) },
                            b: (0..<8).map { _ in Tensor.normal([80, 112], generator: &rng) },
                            images: (0..<8).map { _ in Tensor.normal([8, 4, 12, 12], generator: &rng) },
                            kernel: Tensor.normal([8, 4, 3, 3], generator: &rng))
        let expected = (0..<8).map { Self.work(inputs.a[$0], inputs.b[$0], inputs.images[$0], inputs.kernel) }
        let results = await withTaskGroup(of: (Int, [Float]).self) { group in
            for i in 0..<8 {
                group.addTask {
                    var last: [Float] = []
                    for _ in 0..<10 { last = Self.work(inputs.a[i], inputs.b[i], inputs.images[i], inputs.kernel) }
                    return (i, last)
                }
            }
            var out = [[Float]](repeating: [], count: 8)
            for await (i, r) in group { out[i] = r }
            return out
        }
        for i in 0..<8 {
            let differing = zip(results[i], expected[i]).filter { $0 != $1 }.count
            #expect(results[i].count == expected[i].count && differing == 0,
                    "task \(i): \(differing) of \(expected[i].count) values differ from the sequential result")
        }
    }

    @Test("a thread-count scope applies to the calling thread only, nests, clamps to 1 and ends with its body")
    func threadCountScope() throws {
        let global = Threading.count
        final class Seen: @unchecked Sendable { var count = 0 }
        func countOnAnotherThread() -> Int {
            // async, not sync: DispatchQueue.sync runs its block on the calling thread.
            let seen = Seen(), done = DispatchSemaphore(value: 0)
            DispatchQueue.global().async { seen.count = Threading.count; done.signal() }
            done.wait()
            return seen.count
        }
        Threading.withCount(1) {
            #expect(Threading.count == 1)
            #expect(countOnAnotherThread() == global, "the scope leaked to another thread")
            Threading.withCount(3) { #expect(Threading.count == 3) }
            #expect(Threading.count == 1, "the inner scope did not end")
            Threading.withCount(0) { #expect(Threading.count == 1) }
            Threading.withCount(-5) { #expect(Threading.count == 1) }
        }
        #expect(Threading.count == global)
        // A product large enough to be split is computed whole inside a one-thread scope, correctly.
        var rng = SeededGenerator(seed: 9)
        let a = Tensor.normal([256, 96], generator: &rng), b = Tensor.normal([96, 128], generator: &rng)
        let expected = naiveProduct(a.scalars(), b.scalars(), m: 256, n: 128, k: 96)
        expectClose(Threading.withCount(1) { a.matmul(b) }.scalars(), expected, "product in a one-thread scope")
        struct Failure: Error {}
        #expect(throws: Failure.self) { try Threading.withCount(1) { throw Failure() } }
        #expect(Threading.count == global, "the scope did not end when its body threw")
    }
}
