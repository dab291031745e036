import Gradus
import GradusTestSupport
import Testing

@Suite("Initializers")
struct InitTests {
    func stats(_ t: Tensor) -> (mean: Double, std: Double, maxAbs: Double) {
        let v = t.scalars(as: Double.self)
        let mean = v.reduce(0, +) / Double(v.count)
        let variance = v.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(v.count)
        return (mean, variance.squareRoot(), v.map(Swift.abs).max() ?? 0)
    }

    @Test func gains() {
        #expect(Init.gain(for: .linear) == 1)
        #expect(Init.gain(for: .relu) == 2.0.squareRoot())
        #expect(Init.gain(for: .tanh) == 5.0 / 3)
        #expect(Init.gain(for: .leakyRelu, param: 5.0.squareRoot()) == (2.0 / 6).squareRoot())
        #expect(Init.fans([6, 1, 5, 5]) == (25, 150))
    }

    @Test func kaimingAndXavierHaveTheirVariance() {
        var rng = SeededGenerator(seed: 1)
        let w = Tensor.zeros([400, 250]).requiringGrad()
        Init.kaimingUniform(w, nonlinearity: .relu, generator: &rng)
        let bound = 3.0.squareRoot() * 2.0.squareRoot() / 250.0.squareRoot()
        var s = stats(w)
        #expect(s.maxAbs <= bound && s.maxAbs > 0.99 * bound)
        #expect(Swift.abs(s.std - bound / 3.0.squareRoot()) < 0.01 * bound)
        #expect(w.requiresGrad && w.gradFn == nil)   // in place, nothing recorded

        Init.kaimingNormal(w, mode: .fanOut, nonlinearity: .relu, generator: &rng)
        s = stats(w)
        #expect(Swift.abs(s.std - (2.0 / 400).squareRoot()) < 0.02 * (2.0 / 400).squareRoot())
        #expect(Swift.abs(s.mean) < 0.002)

        Init.xavierUniform(w, gain: 2, generator: &rng)
        let xb = 2 * (6.0 / 650).squareRoot()
        s = stats(w)
        #expect(s.maxAbs <= xb && s.maxAbs > 0.99 * xb)

        Init.xavierNormal(w, generator: &rng)
        s = stats(w)
        #expect(Swift.abs(s.std - (2.0 / 650).squareRoot()) < 0.02 * (2.0 / 650).squareRoot())
    }

    @Test func orthogonalGivesOrthonormalRowsOrColumns() {
        var rng = SeededGenerator(seed: 2)
        for shape in [[3, 5], [5, 3], [4, 2, 2]] {
            let w = Tensor.zeros(shape, dtype: .float64)
            Init.orthogonal(w, gain: 2, generator: &rng)
            let m = w.reshape([shape[0], -1])
            let gram = shape[0] <= m.shape[1] ? m.matmul(m.t) : m.t.matmul(m)
            let n = gram.shape[0]
            #expect(mismatch(gram, Tensor.eye(n, dtype: .float64) * 4, rtol: 0, atol: 1e-12) == nil, "\(shape)")
        }
    }

    @Test("sparse: ⌈sparsity·rows⌉ zeros in every column, at rows that differ between columns, N(0, std²) elsewhere; seeded; refusals")
    func sparse() {
        var rng = SeededGenerator(seed: 4)
        let w = Tensor.zeros([400, 300])
        Init.sparse(w, sparsity: 0.25, std: 0.5, generator: &rng)
        let v = w.scalars(as: Double.self)
        var zeroRows = Set<[Int]>()
        for c in 0..<300 {
            let rows = (0..<400).filter { v[$0 * 300 + c] == 0 }
            #expect(rows.count == 100, "column \(c): \(rows.count) zeros")
            zeroRows.insert(rows)
        }
        #expect(zeroRows.count > 290, "the zeroed rows are drawn for each column")
        let kept = v.filter { $0 != 0 }
        let mean = kept.reduce(0, +) / Double(kept.count)
        let std = (kept.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(kept.count)).squareRoot()
        #expect(abs(mean) < 0.01 && abs(std - 0.5) < 0.01, "mean \(mean), std \(std)")
        // Rounded up: 0.01 of 7 rows is one zero per column; sparsity 0 none, 1 all.
        for (sparsity, zeros) in [(0.01, 1), (0.0, 0), (1.0, 7)] {
            let t = Tensor.zeros([7, 5], dtype: .float64)
            Init.sparse(t, sparsity: sparsity, generator: &rng)
            #expect(t.scalars(as: Double.self).filter { $0 == 0 }.count == 5 * zeros, "sparsity \(sparsity)")
        }
        var a = SeededGenerator(seed: 9), b = SeededGenerator(seed: 9)
        let (x, y) = (Tensor.zeros([6, 4]), Tensor.zeros([6, 4]))
        Init.sparse(x, sparsity: 0.5, generator: &a)
        Init.sparse(y, sparsity: 0.5, generator: &b)
        #expect(x.scalars() == y.scalars())
        for (shape, sparsity, std, words) in [([2, 3, 4], 0.5, 0.01, "2 dimensions"), ([3, 3], 1.5, 0.01, "sparsity"),
                                              ([3, 3], -0.1, 0.01, "sparsity"), ([3, 3], .nan, 0.01, "sparsity"),
                                              ([3, 3], 0.5, -1, "std"), ([3, 3], 0.5, .infinity, "std")] as [([Int], Double, Double, String)] {
            let error = failure { Init.sparse(Tensor.zeros(shape), sparsity: sparsity, std: std) }
            #expect(error?.message.contains(words) == true, "\(shape), \(sparsity), \(std): \(String(describing: error))")
        }
        #expect(failure { Init.sparse(Tensor.zeros([3, 3], dtype: .int64), sparsity: 0.5) } != nil)
    }

    @Test func fills() {
        let t = Tensor.normal([3, 2])
        Init.constant(t, 0.5)
        #expect(t.scalars() == [Float](repeating: 0.5, count: 6))
        Init.zeros(t)
        #expect(t.scalars().allSatisfy { $0 == 0 })
        Init.ones(t)
        #expect(t.scalars().allSatisfy { $0 == 1 })
    }

    @Test func layersUsePyTorchDefaultsAndSeeds() {
        var a = SeededGenerator(seed: 3), b = SeededGenerator(seed: 3)
        let l1 = Linear(300, 200, generator: &a), l2 = Linear(300, 200, generator: &b)
        #expect(l1.weight.scalars() == l2.weight.scalars() && l1.bias!.scalars() == l2.bias!.scalars())
        let bound = 1 / 300.0.squareRoot()
        let ws = stats(l1.weight), bs = stats(l1.bias!)
        #expect(ws.maxAbs <= bound && ws.maxAbs > 0.99 * bound)
        #expect(Swift.abs(ws.std - bound / 3.0.squareRoot()) < 0.02 * bound)
        #expect(bs.maxAbs <= bound)
        let conv = Conv2d(6, 16, kernelSize: 5, generator: &a)
        #expect(stats(conv.weight).maxAbs <= 1 / 150.0.squareRoot() && stats(conv.bias!).maxAbs <= 1 / 150.0.squareRoot())
        let r1 = Random.withSeed(9) { Linear(4, 4).weight.scalars() }
        let r2 = Random.withSeed(9) { Linear(4, 4).weight.scalars() }
        #expect(r1 == r2)
        let e = Embedding(1000, 20, generator: &a)
        #expect(Swift.abs(stats(e.weight).std - 1) < 0.03)
    }
}
