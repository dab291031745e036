import Dispatch
import Gradus
import GradusTestSupport
import Synchronization
import Testing

@Suite("Creation")
struct CreationTests {
    @Test func constants() {
        #expect(Tensor.zeros([2, 3]).scalars() == [Float](repeating: 0, count: 6))
        #expect(Tensor.ones([2]).scalars() == [1, 1])
        #expect(Tensor.full([2], value: 3.5, dtype: .float64).scalars(as: Double.self) == [3.5, 3.5])
        #expect(Tensor.eye(2, 3).scalars() == [1, 0, 0, 0, 1, 0])
        #expect(Tensor(scalar: 4).shape == [])
    }

    @Test func ranges() {
        #expect(Tensor.arange(0, 5).scalars() == [0, 1, 2, 3, 4])
        #expect(Tensor.arange(1, 2, step: 0.25).scalars() == [1, 1.25, 1.5, 1.75])
        #expect(Tensor.linspace(0, 1, count: 5).scalars() == [0, 0.25, 0.5, 0.75, 1])
        #expect(Tensor.linspace(-1, 1, count: 1).scalars() == [-1])
    }

    @Test func fromArrays() {
        let m = Tensor([[1, 2, 3], [4, 5, 6]])
        #expect(m.shape == [2, 3])
        #expect(m[1].scalars() == [4, 5, 6])
        let c = Tensor([[[1, 2]], [[3, 4]]])
        #expect(c.shape == [2, 1, 2])
        let labels = Tensor(labels: [3, 1])
        #expect(labels.dtype == .int64 && labels.intScalars == [3, 1])
        #expect(Tensor.oneHot(labels, classes: 4).scalars() == [0, 0, 0, 1, 0, 1, 0, 0])
    }

    @Test func sameSeedSameNumbers() {
        var a = SeededGenerator(seed: 42), b = SeededGenerator(seed: 42), c = SeededGenerator(seed: 43)
        let u = Tensor.uniform([100], generator: &a), v = Tensor.uniform([100], generator: &b)
        let w = Tensor.uniform([100], generator: &c)
        #expect(u.scalars() == v.scalars())
        #expect(u.scalars() != w.scalars())
        // Inside withSeed the default generator is this test's own: other tests drawing at the same
        // time cannot come between the seeding and the draw.
        Random.withSeed(0) {
            Random.manualSeed(5)
            let n1 = Tensor.normal([10])
            let saved = Random.state
            let n2 = Tensor.normal([10])
            Random.manualSeed(5)
            #expect(Tensor.normal([10]).scalars() == n1.scalars())
            Random.state = saved
            #expect(Tensor.normal([10]).scalars() == n2.scalars())
            #expect(n1.scalars() != n2.scalars())
        }
    }

    @Test("withSeed gives each thread its own default generator")
    func seededScopesAreIsolated() {
        @Sendable func draws() -> [[Float]] { (0..<500).map { _ in Tensor.normal([64]).scalars() } }
        let expected = Random.withSeed(3) { draws() }
        let matching = Mutex(0)
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            // Without a private generator, concurrent scopes would take turns on one sequence.
            if Random.withSeed(3, { draws() }) == expected { matching.withLock { $0 += 1 } }
        }
        #expect(matching.withLock { $0 } == 8)
        #expect(Random.withSeed(4) { Tensor.normal([64]).scalars() } != expected[0])
    }

    @Test func distributionsHaveTheirMoments() {
        var rng = SeededGenerator(seed: 1)
        let u = Tensor.uniform([100_000], low: -1, high: 3, dtype: .float64, generator: &rng)
        #expect(abs(u.mean().item(Double.self) - 1) < 0.02)
        #expect(u.min().item(Double.self) >= -1 && u.max().item(Double.self) < 3)
        let n = Tensor.normal([100_000], mean: 2, std: 0.5, dtype: .float64, generator: &rng)
        #expect(abs(n.mean().item(Double.self) - 2) < 0.01)
        #expect(abs(n.std().item(Double.self) - 0.5) < 0.01)
        let b = Tensor.bernoulli([100_000], p: 0.3, generator: &rng)
        #expect(abs(b.mean().item(Double.self) - 0.3) < 0.01)
    }

    @Test func conversionsKeepValues() {
        let x = Tensor([1.5, -2])
        #expect(x.to(.float64).scalars(as: Double.self) == [1.5, -2])
        #expect(x.to(.int64).intScalars == [1, -2])
    }

    @Test func argmaxAndIndices() {
        let x = Tensor([[1, 5, 3], [7, 2, 7]])
        #expect(x.argmax(axis: 1).intScalars == [1, 0])
        #expect(x.argmin(axis: 0).intScalars == [0, 1, 0])
        #expect(x.argmax().intScalars == [3])
        let (values, indices) = x.max(axis: 0)
        #expect(values.scalars() == [7, 5, 7] && indices.intScalars == [1, 0, 1])
    }

    @Test("argmax and argmin over every element: first of ties, NaN first (torch.argmax), row-major order of a transposed view, every dtype, an empty tensor refused")
    func flatArgmaxAndArgmin() {
        let x = Tensor([[1, 5, 3], [7, 2, 7]])
        #expect(x.argmax().shape == [] && x.argmax().dtype == .int64)
        #expect(x.argmax().intScalars == [3] && x.argmin().intScalars == [0])
        // The transposed view [[1, 7], [5, 2], [3, 7]]: positions in its own row-major order.
        #expect(x.transpose(0, 1).argmax().intScalars == [1] && x.transpose(0, 1).argmin().intScalars == [0])
        let nan = Tensor([2, .nan, 9, .nan, -1])
        #expect(nan.argmax().intScalars == [1] && nan.argmin().intScalars == [1])
        #expect(Tensor([Double.nan, 1]).argmax().intScalars == [0])
        #expect(Tensor([-Double.infinity, -Double.infinity]).argmax().intScalars == [0])
        #expect(Tensor([4, 9, 9, 4], dtype: .float64).argmax().intScalars == [1])
        #expect(Tensor(shape: [2, 2], integers: [3, -8, 12, 12]).argmax().intScalars == [2])
        #expect(Tensor(shape: [2, 2], integers: [3, -8, 12, -8]).argmin().intScalars == [1])
        #expect(Tensor(scalar: 4).argmax().intScalars == [0])
        // The same as the maximum along the flattened axis, on random values.
        var g = SeededGenerator(seed: 5)
        let r = Tensor.uniform([7, 13], generator: &g)
        #expect(r.argmax().intScalars == r.reshape([91]).max(axis: 0).indices.intScalars)
        #expect(r.argmin().intScalars == r.reshape([91]).min(axis: 0).indices.intScalars)
        #expect(throws: GradusError.self) { try GradusError.catching { _ = Tensor.zeros([0, 3]).argmax() } }
    }

    @Test func printsLikePyTorch() {
        let s = Tensor([[1, 2], [3, 4]]).description
        #expect(s.contains("[[1.0, 2.0],\n [3.0, 4.0]]") && s.contains("shape: [2, 2]"))
    }
}

@Suite("Non-finite values")
struct NonFiniteValueTests {
    @Test("relu, like PyTorch's, passes NaN through")
    func reluKeepsNaN() {
        let y = Tensor([-1, .nan, 2]).relu().scalars()
        #expect(y[0] == 0 && y[1].isNaN && y[2] == 2)
    }

    @Test("randn, rand and their like forms draw what normal and uniform draw, in the other tensor's shape and dtype")
    func pyTorchRandomNames() {
        var a = SeededGenerator(seed: 3), b = SeededGenerator(seed: 3)
        #expect(Tensor.randn([4, 2], generator: &a).scalars() == Tensor.normal([4, 2], generator: &b).scalars())
        #expect(Tensor.rand([5], dtype: .float64, generator: &a).scalars(as: Double.self)
                == Tensor.uniform([5], dtype: .float64, generator: &b).scalars(as: Double.self))
        let x = Tensor.zeros([2, 3], dtype: .float64)
        let y = Tensor.randn(like: x, generator: &a)
        #expect(y.shape == [2, 3] && y.dtype == .float64 && y.scalars(as: Double.self) == Tensor.normal([2, 3], dtype: .float64, generator: &b).scalars(as: Double.self))
        let u = Tensor.rand(like: x)
        #expect(u.shape == [2, 3] && u.scalars(as: Double.self).allSatisfy { $0 >= 0 && $0 < 1 })
        let labels = Tensor.randint(like: Tensor(labels: [0, 0, 0]), 0, 4, generator: &a)
        #expect(labels.dtype == .int64 && labels.shape == [3] && labels.intScalars.allSatisfy { (0..<4).contains($0) })
        #expect(failure { Tensor.randn(like: Tensor(labels: [1])) }?.kind == .dtypeMismatch)
    }
}
