import Gradus
import GradusTestSupport
import Testing

/// The losses beyond the fixtures' values: their shape rules, refusals and the gradient of the
/// Gaussian loss's variance.
@Suite("Likelihood and margin losses")
struct MoreLossesTests {
    @Test("gaussianNLLLoss: variance shapes, the clamp's pass-through gradient, and refusals")
    func gaussianVariance() throws {
        let mean = Tensor(shape: [2, 3], values: [0.1, 0.5, -0.3, 1.0, 2.0, 0.0], dtype: .float64)
        let y = Tensor(shape: [2, 3], values: [0.0, 1.0, 0.0, 1.5, 1.0, 0.5], dtype: .float64)
        let perSample = Tensor([0.5, 2.0], dtype: .float64)
        let a = mean.gaussianNLLLoss(y, variance: perSample)
        let b = mean.gaussianNLLLoss(y, variance: perSample.unsqueeze(1).expand([2, 3]).contiguous())
        let c = mean.gaussianNLLLoss(y, variance: perSample.unsqueeze(1))
        #expect(abs(a.item(Double.self) - b.item(Double.self)) < 1e-12 && abs(a.item(Double.self) - c.item(Double.self)) < 1e-12)
        // The variance's gradient, against finite differences.
        let report = GradCheck.check(inputs: [Tensor([0.7, 1.3, 0.4, 2.0, 0.9, 1.1], dtype: .float64).reshape([2, 3])]) { v in
            mean.gaussianNLLLoss(y, variance: v[0], full: true)
        }
        #expect(report.passed, "\(report)")
        for bad in [Tensor([1.0, -0.5], dtype: .float64), Tensor([1.0, 1.0, 1.0], dtype: .float64)] {
            #expect(throws: GradusError.self) { try GradusError.catching { _ = mean.gaussianNLLLoss(y, variance: bad) } }
        }
    }

    @Test("class-index losses refuse labels outside the classes and class lists with strangers, naming them")
    func labelChecks() {
        let scores = Tensor.zeros([2, 3])
        #expect { try GradusError.catching { _ = scores.multiMarginLoss(Tensor(labels: [0, 3])) } } throws: { "\($0)".contains("label 3") }
        #expect(throws: GradusError.self) { try GradusError.catching { _ = scores.multiMarginLoss(Tensor(labels: [0, 1]), p: 3) } }
        let lists = Tensor(shape: [2, 3], integers: [0, 5, -1, -1, 0, 0])
        #expect { try GradusError.catching { _ = scores.multilabelMarginLoss(lists) } } throws: { "\($0)".contains("target 5") }
        // One sample as [C] scores: a [] loss, equal to the batched row's.
        let row = Tensor([0.2, -0.1, 0.4])
        let single = row.multilabelMarginLoss(Tensor(shape: [3], integers: [2, -1, 0]))
        let batched = row.unsqueeze(0).multilabelMarginLoss(Tensor(shape: [1, 3], integers: [2, -1, 0]), reduction: .none)
        #expect(single.shape == [] && abs(single.item() - batched.item()) < 1e-7)
    }

    @Test("softMarginLoss stays finite for margins whose exponential overflows")
    func softMarginLargeMargins() {
        let loss = Tensor([-200, 200]).softMarginLoss(Tensor([1, 1]), reduction: .none).scalars()
        #expect(loss[0] == 200 && loss[1] == 0)
    }
}

@Suite("Likelihood and margin losses, edges")
struct MoreLossEdgeTests {
    @Test("an infinite labelled score gives PyTorch's 0, not NaN; variances of size 1 along any axis broadcast")
    func infiniteScoresAndVarianceShapes() {
        let scores = Tensor(shape: [1, 3], values: [Double.infinity, 0, 1]).requiringGrad()
        let multi = scores.multiMarginLoss(Tensor(labels: [0]))
        #expect(multi.item() == 0)
        multi.backward()
        #expect(scores.grad?.scalars() == [0, 0, 0])
        let listed = scores.multilabelMarginLoss(Tensor(shape: [1, 3], integers: [0, -1, 0]))
        #expect(listed.item() == 0)
        var rng = SeededGenerator(seed: 8)
        let mean = Tensor.normal([2, 3, 4], generator: &rng), y = Tensor.normal([2, 3, 4], generator: &rng)
        let perPixel = Tensor.uniform([2, 1, 4], low: 0.5, high: 2, generator: &rng)
        let shared = mean.gaussianNLLLoss(y, variance: perPixel)
        let expanded = mean.gaussianNLLLoss(y, variance: perPixel.expand([2, 3, 4]).contiguous())
        #expect(abs(shared.item() - expanded.item()) < 1e-6)
        #expect(abs(mean.gaussianNLLLoss(y, variance: perPixel.to(.float64)).item() - shared.item()) < 1e-6)
        #expect(throws: GradusError.self) {
            try GradusError.catching { _ = mean.gaussianNLLLoss(y, variance: Tensor.ones([1, 1, 4])) }
        }
    }

    @Test("NAdam resumes with the same steps as an uninterrupted run")
    func nadamResumes() throws {
        func run(resumeAt: Int?) throws -> [Float] {
            let p = Tensor([1.0, -2.0, 0.5]).requiringGrad()
            var optimizer = NAdam([p], lr: 0.05)
            for k in 0..<8 {
                if k == resumeAt {
                    let saved = optimizer.stateDict()
                    optimizer = NAdam([p], lr: 0.05)
                    try optimizer.loadStateDict(saved)
                }
                p.grad = Tensor([0.3, -0.1, 0.2]) * Double(k + 1) + p.detach()
                optimizer.step()
            }
            return p.scalars()
        }
        #expect(try run(resumeAt: nil) == run(resumeAt: 5))
    }
}
