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
