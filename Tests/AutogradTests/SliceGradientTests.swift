import Gradus
import GradusTestSupport
import Testing

/// Slices deliver their gradient into a region of the input's gradient (not as zero-padded copies):
/// the sums must be those of the plain rule on every path (interior node, leaf, requested input,
/// overlapping slices, recorded backward).
@Suite("Gradients of many slices")
struct SliceGradientTests {
    /// Σ over steps t of Σ (w_t ⊙ y[t]²) with y = x·3 (an interior node), plus an overlapping slice.
    func loss(_ x: Tensor) -> Tensor {
        let y = x * 3
        var total = (y.slice(axis: 0, start: 1, end: 4) * 0.5).sum()
        for t in 0..<x.shape[0] { total = total + (y.select(axis: 0, index: t).square() * Double(t + 1)).sum() }
        return total
    }

    /// d loss / dx by hand: 3·(2·3x·(t+1)) per row t, plus 3·0.5 on rows 1...3.
    func expected(_ x: Tensor) -> [Float] {
        let v = x.scalars(), columns = x.shape[1]
        return v.enumerated().map { i, xi in
            let t = i / columns
            return 18 * xi * Float(t + 1) + ((1...3).contains(t) ? 1.5 : 0)
        }
    }

    @Test func interiorLeafAndRequested() {
        var rng = SeededGenerator(seed: 1)
        let x = Tensor.normal([6, 5], generator: &rng).requiringGrad()
        loss(x).backward()
        #expect(mismatch(x.grad!, Tensor(shape: [6, 5], values: expected(x).map(Double.init)), rtol: 1e-6, atol: 1e-6) == nil)
        // The same with x's gradient requested (no .grad written), and x sliced directly (a leaf input).
        let requested = Autograd.gradients(of: loss(x), wrt: [x])[0]
        #expect(mismatch(requested, x.grad!, rtol: 0, atol: 0) == nil)
        let direct = x.detach().requiringGrad()
        var total = Tensor(scalar: 0)
        for t in 0..<6 { total = total + (direct.select(axis: 0, index: t) * Double(t)).sum() }
        total.backward()
        let rowIndex: [Float] = (0..<30).map { i in Float(i / 5) }
        #expect(direct.grad!.scalars() == rowIndex)
    }

    @Test("with createGraph the slices' rule runs and the gradient can be differentiated again")
    func secondOrder() {
        var rng = SeededGenerator(seed: 2)
        let x = Tensor.normal([4, 3], dtype: .float64, generator: &rng).requiringGrad()
        let g = Autograd.gradients(of: loss(x), wrt: [x], createGraph: true)[0]
        let expectedFirst = expected(x.to(.float32))
        #expect(mismatch(g.to(.float32), Tensor(shape: [4, 3], values: expectedFirst.map(Double.init)), rtol: 1e-5, atol: 1e-5) == nil)
        // d/dx Σ g = 18·(t+1) per row.
        let h = Autograd.gradients(of: g.sum(), wrt: [x])[0].scalars(as: Double.self)
        let secondExpected: [Double] = (0..<12).map { i in Double(18 * (i / 3 + 1)) }
        #expect(h == secondExpected)
    }
}
