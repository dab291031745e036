import Gradus
import GradusTestSupport
import Testing

/// What the backward pass guarantees about the gradients it hands out, beyond their values: their
/// element type, that no two tensors share one, that a failed pass leaves nothing behind, and that
/// gradients are never lost silently to an in-place write.
@Suite("Gradient integrity")
struct GradientIntegrityTests {
    @Test("seeds and rule results of another element type are converted to the tensor's (as PyTorch)")
    func gradientsTakeTheTensorsElementType() throws {
        // An int64 seed through a slice (the slice path accumulates into a buffer of the seed's type).
        let x = Tensor([1, 2, 3, 4]).requiringGrad()
        try GradusError.catching { x.slice(axis: 0, start: 1, end: 3).backward(Tensor(shape: [2], values: [1, 1], dtype: .int64)) }
        #expect(x.grad?.dtype == .float32 && x.grad?.scalars() == [0, 1, 1, 0])
        // A float64 seed on a float32 graph.
        let y = Tensor([1, 2]).requiringGrad()
        try GradusError.catching { (y * 3).backward(Tensor([1, 1], dtype: .float64)) }
        #expect(y.grad?.dtype == .float32 && y.grad?.scalars() == [3, 3])
        // A custom backward returning float64 for a float32 input, summed with a float32 gradient.
        let z = Tensor([1, 2, 3]).requiringGrad()
        let doubled = Autograd.function("double64", inputs: [z], forward: { $0[0] * 2 },
                                        backward: { g, _ in [(g * 2).to(.float64)] })
        try GradusError.catching { (doubled + z * 5).sum().backward() }
        #expect(z.grad?.dtype == .float32 && z.grad?.scalars() == [7, 7, 7])
    }

    @Test("no two leaves share a gradient tensor, nor a leaf and the caller's seed")
    func gradientsAreOwned() throws {
        let a = Tensor([1, 2, 3]).requiringGrad(), b = Tensor([4, 5, 6]).requiringGrad()
        ((a + b) * 2).sum().backward()
        let ga = try #require(a.grad), gb = try #require(b.grad)
        #expect(ga.storage !== gb.storage)
        GradMode.noGrad { _ = ga.mulInPlace(10) }
        #expect(gb.scalars() == [2, 2, 2])
        let x = Tensor([1, 2]).requiringGrad()
        let seed = Tensor([5, 6])
        x.backward(seed)
        #expect(x.grad?.storage !== seed.storage)
        _ = seed.fillInPlace(0)
        #expect(x.grad?.scalars() == [5, 6])
        // A pass-through rule (identity-like reshape) to two leaves of one sum.
        let p = Tensor([1, 1]).requiringGrad(), q = Tensor([2, 2]).requiringGrad()
        (p + q).backward(Tensor([1, 1]))
        #expect(p.grad?.storage !== q.grad?.storage)
    }

    @Test("a backward pass that fails part-way leaves no partial sums for the next one (PyTorch: 10, not 18)")
    func failedPassLeavesNothing() throws {
        let x = Tensor([1, 1, 1]).requiringGrad()
        let h = x * 2
        let a = h * 3
        _ = a.registerHook { _ in throw GradusError(.invalidArgument, "refused by the test's hook") }
        let b = h * 4
        #expect(throws: GradusError.self) { try GradusError.catching { (a.sum() + b.sum()).backward(retainGraph: true) } }
        x.grad = nil
        try GradusError.catching { (h * 5).sum().backward() }
        #expect(x.grad?.scalars() == [10, 10, 10])
    }

    @Test("an in-place write from a tensor that requires gradients is refused while recording, allowed detached")
    func inPlaceFromRecordedSourceIsRefused() throws {
        let w = Tensor([1, 2, 3]).requiringGrad()
        let accumulator = Tensor.zeros([3])
        for write in [{ _ = accumulator.addInPlace(w) }, { _ = accumulator.assign(w * 2) }, { _ = accumulator.mulInPlace(w) },
                      { accumulator[0..<2] = w[0..<2] }] {
            #expect { try GradusError.catching(write) } throws: { error in
                (error as? GradusError)?.kind == .inPlaceModification && "\(error)".contains("requires gradients")
            }
        }
        #expect(accumulator.scalars() == [0, 0, 0])
        try GradusError.catching { _ = accumulator.addInPlace(w.detach()) }
        GradMode.noGrad { _ = accumulator.addInPlace(w) }
        #expect(accumulator.scalars() == [2, 4, 6])
    }

    @Test("a gradient assigned by hand must have the tensor's shape and element type")
    func assignedGradientsAreChecked() throws {
        let x = Tensor([1, 2, 3]).requiringGrad()
        #expect(throws: GradusError.self) { try GradusError.catching { x.grad = Tensor.zeros([1]) } }
        #expect(throws: GradusError.self) { try GradusError.catching { x.grad = Tensor.zeros([3], dtype: .float64) } }
        #expect(x.grad == nil)
        x.grad = Tensor([1, 1, 1])
        (x * 2).sum().backward()
        #expect(x.grad?.scalars() == [3, 3, 3])
    }
}

@Suite("Retained gradients and zeroing")
struct RetainedGradientTests {
    @Test("retainGrad keeps a non-leaf's gradient (after its hooks, accumulated over passes), as PyTorch's retain_grad")
    func retainGrad() throws {
        let x = Tensor([1, -2, 3]).requiringGrad()
        let h = x * 2
        #expect(!h.retainsGrad)
        h.retainGrad()
        _ = h.registerHook { g in g * 10 }     // registered after retainGrad, still before the kept gradient
        #expect(h.retainsGrad && !x.retainsGrad)
        (h.relu() * 3).sum().backward(retainGraph: true)
        #expect(h.grad?.scalars() == [30, 0, 30])
        #expect(x.grad?.scalars() == [60, 0, 60])
        (h.relu() * 3).sum().backward()
        #expect(h.grad?.scalars() == [60, 0, 60])
        let plain = x * 3
        plain.sum().backward()
        #expect(plain.grad == nil)
        x.retainGrad()   // a leaf keeps its gradient anyway
        #expect(!x.retainsGrad)
        #expect(throws: GradusError.self) { try GradusError.catching { Tensor([1, 2]).retainGrad() } }
    }

    @Test("zeroGrad(setToNone: false) zeroes the gradients in place; the default drops them")
    func zeroGradInPlace() throws {
        var rng = SeededGenerator(seed: 1)
        let layer = Linear(3, 2, generator: &rng)
        let optimizer = SGD(layer.parameters(), lr: 0.1)
        layer(Tensor.normal([4, 3], generator: &rng)).sum().backward()
        let held = try #require(layer.weight.grad)
        optimizer.zeroGrad(setToNone: false)
        #expect(layer.weight.grad === held && held.scalars().allSatisfy { $0 == 0 })
        layer.zeroGrad(setToNone: false)
        #expect(layer.bias?.grad?.scalars() == [0, 0])
        layer.zeroGrad()
        #expect(layer.weight.grad == nil && layer.bias?.grad == nil)
    }
}

@Suite("In-place changes of what a rule reads")
struct SavedTensorVersionTests {
    @Test("changing an index, a condition or class labels in place before backward is refused, as PyTorch")
    func savedTensorsAreWatched() throws {
        let x = Tensor([1, 2, 3, 4]).requiringGrad()
        let cases: [(String, () -> (Tensor, Tensor))] = [
            ("gather", { let i = Tensor(shape: [2], integers: [0, 3]); return (x.gather(axis: 0, index: i).sum(), i) }),
            ("indexSelect", { let i = Tensor(shape: [2], integers: [1, 2]); return (x.indexSelect(axis: 0, index: i).sum(), i) }),
            ("where", { let c = Tensor([1, 0, 1, 0]); return (Tensor.where(c, x, x * 2).sum(), c) }),
            ("crossEntropy", {
                let labels = Tensor(labels: [1, 0])
                return (x.reshape([2, 2]).crossEntropy(labels), labels)
            }),
        ]
        for (name, make) in cases {
            let (loss, watched) = make()
            GradMode.noGrad { _ = watched.fillInPlace(0) }
            #expect(throws: GradusError.self, "\(name)") { try GradusError.catching { loss.backward() } }
            // Unchanged, the same computation differentiates.
            let (again, _) = make()
            #expect(throws: Never.self, "\(name)") { try GradusError.catching { again.backward() } }
        }
    }
}
