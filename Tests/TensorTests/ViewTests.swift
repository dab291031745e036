import Gradus
import Testing

/// Strided views: layouts as PyTorch computes them, storage sharing, reads through the view cache,
/// writes through views into the base, gradients through views, and products on transposed views.
@Suite("Strided views")
struct ViewTests {
    private func kind(_ body: () -> Void) -> GradusError.Kind? {
        do { try GradusError.catching(body); return nil } catch { return (error as? GradusError)?.kind }
    }

    /// 0, 1, 2, … in the given shape.
    private func iota(_ shape: [Int], dtype: DType = .float32) -> Tensor {
        let n = shape.reduce(1, *)
        return Tensor(shape: shape, values: (0..<n).map(Double.init), dtype: dtype)
    }

    @Test("views share storage with PyTorch's strides and offsets")
    func layouts() {
        let x = iota([2, 3, 4])
        #expect(x.strides == [12, 4, 1] && x.isContiguous && x.storageOffset == 0)

        let p = x.permute([2, 0, 1])
        #expect(p.shape == [4, 2, 3] && p.strides == [1, 12, 4] && !p.isContiguous && p.sharesStorage(with: x))
        let t = x.transpose(0, 2)
        #expect(t.strides == [1, 4, 12] && t.sharesStorage(with: x))

        let s = x.slice(axis: 2, start: 1, end: 4, step: 2)       // x[:, :, 1:4:2]
        #expect(s.shape == [2, 3, 2] && s.strides == [12, 4, 2] && s.storageOffset == 1 && s.sharesStorage(with: x))
        let rows = x.slice(axis: 0, start: 1)                       // x[1:], contiguous with an offset
        #expect(rows.isContiguous && rows.storageOffset == 12 && rows.sharesStorage(with: x))
        let sel = x.select(axis: 1, index: 2)                       // x[:, 2]
        #expect(sel.shape == [2, 4] && sel.strides == [12, 1] && sel.storageOffset == 8 && sel.sharesStorage(with: x))

        let e = Tensor([1, 2, 3]).unsqueeze(1).expand([3, 4])
        #expect(e.strides == [1, 0] && e.scalars() == [1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3])
        let u = p.unsqueeze(1)                                      // a view of a view stays a view
        #expect(u.shape == [4, 1, 2, 3] && u.sharesStorage(with: x) && u.strides[0] == 1 && u.strides[2] == 12)
        #expect(x.reshape([6, 4]).sharesStorage(with: x) && x.view([4, 6]).sharesStorage(with: x))
        #expect(x.detach().sharesStorage(with: x))
    }

    @Test("views read the right elements, alone and chained, and contiguous() copies them")
    func values() {
        let x = iota([2, 3, 4])
        let p = x.permute([2, 0, 1])
        // p[i, j, k] = x[j, k, i] = 12j + 4k + i
        var expected: [Float] = []
        for i in 0..<4 { for j in 0..<2 { for k in 0..<3 { expected.append(Float(12 * j + 4 * k + i)) } } }
        #expect(p.scalars() == expected)
        let c = p.contiguous()
        #expect(c.isContiguous && !c.sharesStorage(with: x) && c.scalars() == expected && c.strides == [6, 3, 1])

        // x.permute(2, 0, 1)[1:, :, ::2].select(1, 1): elements 12 + 4k + i for i in 1..<4, k in {0, 2}
        let chained = p.slice(axis: 0, start: 1).slice(axis: 2, step: 2).select(axis: 1, index: 1)
        #expect(chained.shape == [3, 2] && chained.sharesStorage(with: x))
        #expect(chained.scalars() == [13, 21, 14, 22, 15, 23])
        // Kernels on views: elementwise with broadcasting, reductions, a product, a reshape that must copy.
        let m = iota([3, 4])
        #expect((m.t + Tensor([100, 200, 300])).scalars()
                == [100, 204, 308, 101, 205, 309, 102, 206, 310, 103, 207, 311])
        #expect(m.t.sum(axes: [1]).scalars() == [12, 15, 18, 21] && m.t.sum(axes: [0]).scalars() == [6, 22, 38])
        #expect(m.t.matmul(Tensor([[1], [1], [1]])).scalars() == [12, 15, 18, 21])
        let flat = m.t.reshape([-1])
        #expect(!flat.sharesStorage(with: m) && flat.scalars() == [0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11])
        #expect(Tensor.zeros([0, 3]).t.shape == [3, 0])
    }

    @Test("view() refuses a layout that needs a copy; reshape copies instead")
    func viewNeedsCompatibleStrides() {
        let m = iota([3, 4])
        #expect(kind { _ = m.t.view([-1]) } == .shapeMismatch)
        #expect(m.t.view([4, 1, 3]).sharesStorage(with: m))      // inserting a 1 is always possible
        #expect(m.slice(axis: 1, step: 2).view([3, 2, 1]).sharesStorage(with: m))
        #expect(kind { _ = m.view([5, -1]) } == .shapeMismatch)
    }

    @Test("in-place operations on a view write into the tensor it was taken from")
    func writesThroughViews() {
        let x = iota([3, 4])
        let column = x.select(axis: 1, index: 1)
        let before = column.scalars()                                // read (and cached) before the write
        #expect(before == [1, 5, 9])
        let v0 = x.version
        x.slice(axis: 1, start: 0, end: 4, step: 2).zeroInPlace()   // x[:, ::2] = 0
        #expect(x.scalars() == [0, 1, 0, 3, 0, 5, 0, 7, 0, 9, 0, 11])
        #expect(x.version == v0 + 1 && column.version == x.version)
        x.t.select(axis: 0, index: 1).addInPlace(Tensor([10, 20, 30]))   // column 1 through a transpose
        #expect(column.scalars() == [11, 25, 39])                        // the cached copy was refreshed
        x[2].fillInPlace(-1)
        #expect(x.scalars() == [0, 11, 0, 3, 0, 25, 0, 7, -1, -1, -1, -1])

        // A transpose assigned from its own base: the source is read before anything is written.
        let sq = iota([3, 3])
        sq.assign(sq.t)
        #expect(sq.scalars() == [0, 3, 6, 1, 4, 7, 2, 5, 8])
        let sq2 = iota([3, 3])
        sq2.t.assign(sq2)
        #expect(sq2.scalars() == [0, 3, 6, 1, 4, 7, 2, 5, 8])

        // Elements that share memory cannot be written.
        let e = Tensor([1, 2]).unsqueeze(0).expand([3, 2])
        #expect(kind { e.fillInPlace(0) } == .inPlaceModification)
        #expect(e.scalars() == [1, 2, 1, 2, 1, 2])
    }

    @Test("a write through a view is seen by backward's version check")
    func versionCheckThroughViews() {
        let w = Tensor([1.0, 2.0, 3.0]).requiringGrad()
        let x = Tensor([4.0, 5.0, 6.0])
        let loss = (w * x).sum()                      // mul saves x
        _ = GradMode.noGrad { x.slice(axis: 0, start: 1, end: 2).fillInPlace(0) }
        #expect(kind { loss.backward() } == .inPlaceModification)

        // Views of a recorded result cannot be written while recording, views of a leaf only under noGrad.
        let y = w * 2
        #expect(kind { y.slice(axis: 0, start: 0, end: 1).zeroInPlace() } == .inPlaceModification)
        #expect(kind { w.t.zeroInPlace() } == .inPlaceModification)
        _ = GradMode.noGrad { w.slice(axis: 0, start: 0, end: 1).fillInPlace(7) }
        #expect(w.scalars() == [7, 2, 3])
    }

    @Test("gradients flow through views to the base, and a leaf's gradient is contiguous")
    func gradientsThroughViews() {
        let w = Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6]).requiringGrad()
        let y = w.t.slice(axis: 0, start: 1).select(axis: 1, index: 0)    // w[0, 1:] through a transpose
        (y * Tensor([10, 100])).sum().backward()
        #expect(w.grad!.scalars() == [0, 10, 100, 0, 0, 0] && w.grad!.isContiguous)

        let a = Tensor(shape: [3, 2], values: [1, 2, 3, 4, 5, 6]).requiringGrad()
        let b = Tensor(shape: [3, 2], values: [1, 0, 0, 1, 1, 1])
        a.t.matmul(b).sum().backward()                                     // d/da = b · 1ᵀ summed
        #expect(a.grad!.isContiguous && a.grad!.scalars() == [1, 1, 1, 1, 2, 2])

        let e = Tensor([1.0, 2.0]).requiringGrad()
        (e.unsqueeze(0).expand([3, 2]) * Tensor([[1, 1], [2, 2], [3, 3]])).sum().backward()
        #expect(e.grad!.scalars() == [6, 6])
    }

    @Test("Float64 gradient checks through chains of views")
    func gradientChecks() {
        var rng = SeededGenerator(seed: 5)
        let a = Tensor.normal([3, 4, 5], dtype: .float64, generator: &rng)
        let b = Tensor.normal([5, 4], dtype: .float64, generator: &rng)
        let checks: [([Tensor], ([Tensor]) -> Tensor)] = [
            ([a], { $0[0].permute([2, 0, 1]).slice(axis: 1, start: 1, step: 2).sin() }),
            ([a], { $0[0].transpose(0, 2).reshape([5, -1]).softmax(axis: 1) }),
            ([a, b], { $0[0].select(axis: 0, index: 2).matmul($0[1]) }),
            ([a, b], { $0[0].transpose(1, 2).matmul($0[1].t) }),
            ([b], { $0[0].t.unsqueeze(0).expand([2, 4, 5]).square() }),
            ([b, a], { Tensor.linear($0[1], weight: $0[0].t.slice(axis: 0, start: 1), bias: nil) }),
        ]
        for (i, (inputs, f)) in checks.enumerated() {
            let report = GradCheck.check(inputs: inputs, epsilon: 1e-6, absoluteTolerance: 1e-6, relativeTolerance: 1e-4, f)
            #expect(report.passed, "check \(i):\n\(report)")
        }
    }

    @Test("products of transposed views equal products of their contiguous copies")
    func transposedProducts() {
        var rng = SeededGenerator(seed: 9)
        for (m, k, n) in [(1, 7, 5), (6, 1, 4), (33, 17, 9), (64, 64, 64), (5, 8, 1)] {
            let a = Tensor.normal([k, m], generator: &rng), b = Tensor.normal([n, k], generator: &rng)
            let viaViews = a.t.matmul(b.t)
            let viaCopies = a.t.contiguous().matmul(b.t.contiguous())
            #expect(viaViews.shape == [m, n])
            let diff = (viaViews - viaCopies).abs().max().item()
            #expect(diff < 1e-5, "m \(m) k \(k) n \(n): \(diff)")
        }
        let batched = Tensor.normal([3, 4, 6], generator: &rng), right = Tensor.normal([3, 4, 2], generator: &rng)
        let diff = (batched.transpose(1, 2).matmul(right) - batched.transpose(1, 2).contiguous().matmul(right)).abs().max().item()
        #expect(diff < 1e-5)
    }

    @Test("optimizers refuse a strided view as a parameter")
    func optimizerNeedsContiguousParameters() {
        let w = Tensor.zeros([2, 3]).t.requiringGrad()
        #expect(kind { _ = SGD([w], lr: 0.1) } == .invalidArgument)
        let ok = Tensor.zeros([2, 3]).t.contiguous().requiringGrad()
        #expect(kind { _ = SGD([ok], lr: 0.1) } == nil)
    }

    @Test("safetensors and state dictionaries store a view's elements, not its storage")
    func serializationOfViews() throws {
        let m = iota([2, 3])
        let data = try SafeTensors.encode(["t": m.t])
        let decoded = try SafeTensors.decode(data, file: "memory").tensors
        #expect(decoded["t"]!.shape == [3, 2] && decoded["t"]!.scalars() == [0, 3, 1, 4, 2, 5])
        let copy = Tensor.zeros([3, 2])
        copy.assign(m.t)
        #expect(copy.scalars() == [0, 3, 1, 4, 2, 5])
    }
}
