import Gradus
import Testing

/// The fused mean squared error: same value and gradient as its composite definition, and a recorded
/// backward (createGraph) that differentiates again.
@Suite("Fused MSE")
struct MSEFusedTests {
    @Test func matchesComposite() {
        var rng = SeededGenerator(seed: 4)
        for reduction in [Reduction.mean, .sum] {
            let p = Tensor.normal([7, 3], dtype: .float64, generator: &rng).requiringGrad()
            let t = Tensor.normal([7, 3], dtype: .float64, generator: &rng).requiringGrad()
            let fused = p.mseLoss(t, reduction: reduction)
            fused.backward()
            let (gp, gt) = (p.grad!, t.grad!)
            p.grad = nil; t.grad = nil
            let d = (p - t).square()
            let composite = reduction == .mean ? d.mean() : d.sum()
            composite.backward()
            #expect(abs(fused.item(Double.self) - composite.item(Double.self)) < 1e-12)
            for (a, b) in zip(gp.scalars(as: Double.self), p.grad!.scalars(as: Double.self)) { #expect(abs(a - b) < 1e-12) }
            for (a, b) in zip(gt.scalars(as: Double.self), t.grad!.scalars(as: Double.self)) { #expect(abs(a - b) < 1e-12) }
        }
    }

    @Test("second derivative: d²/dp² of mean((p − t)²) is 2/n")
    func secondDerivative() {
        let p = Tensor([0.5, -1, 2, 3], dtype: .float64).requiringGrad()
        let t = Tensor([1, 1, 1, 1], dtype: .float64)
        let g = Autograd.gradients(of: p.mseLoss(t), wrt: [p], createGraph: true)[0]
        #expect(g.scalars(as: Double.self) == [-0.25, -1, 0.5, 1])
        let h = Autograd.gradients(of: g.sum(), wrt: [p])[0]
        #expect(h.scalars(as: Double.self) == [0.5, 0.5, 0.5, 0.5])
    }
}
