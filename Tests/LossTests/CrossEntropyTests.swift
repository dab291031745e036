import Foundation
import Gradus
import GradusTestSupport
import Testing

/// The fused cross-entropy agrees with its composite definition logSoftmax + NLL, in value and gradient.
@Test(arguments: [Reduction.mean, .sum, .none])
func fusedCrossEntropyEqualsLogSoftmaxPlusNLL(_ reduction: Reduction) {
    var rng = SeededGenerator(seed: 11)
    let logits = Tensor.normal([5, 4], dtype: .float64, generator: &rng)
    let labels = Tensor(labels: [3, 0, 1, 1, 2])
    let weight = Tensor([0.5, 2.0, 1.0, 1.5], dtype: .float64)
    let a = logits.detach().requiringGrad(), b = logits.detach().requiringGrad()
    let fused = a.crossEntropy(labels, weight: weight, reduction: reduction)
    let composite = b.logSoftmax(axis: 1).nllLoss(labels, weight: weight, reduction: reduction)
    #expect(mismatch(fused, composite, rtol: 1e-12, atol: 1e-14) == nil)
    let upstream = reduction == .none ? Tensor([1.0, -2.0, 0.5, 3.0, 1.0], dtype: .float64) : nil
    fused.backward(upstream)
    composite.backward(upstream)
    #expect(mismatch(a.grad!, b.grad!, rtol: 1e-12, atol: 1e-14) == nil)
}

/// With `createGraph` the backward is recorded with tensor operations; its result equals the fused
/// kernel's, and the second derivative passes a finite-difference check.
@Test(arguments: [0.0, 0.2])
func crossEntropySecondDerivative(_ smoothing: Double) {
    var rng = SeededGenerator(seed: 5)
    let logits = Tensor.normal([3, 4], dtype: .float64, generator: &rng)
    let labels = Tensor(labels: [2, -100, 0])
    let weight = Tensor([1.0, 0.5, 2.0, 1.0], dtype: .float64)
    let x = logits.detach().requiringGrad()
    let recorded = Autograd.gradients(of: x.crossEntropy(labels, weight: weight, labelSmoothing: smoothing),
                                      wrt: [x], createGraph: true)[0]
    let y = logits.detach().requiringGrad()
    y.crossEntropy(labels, weight: weight, labelSmoothing: smoothing).backward()
    #expect(recorded.requiresGrad)
    #expect(mismatch(recorded, y.grad!, rtol: 1e-12, atol: 1e-14) == nil)

    // GradCheck evaluates the function without recording too; the gradient needs a variable then.
    let report = GradCheck.check(inputs: [logits]) { xs in
        GradMode.with(enabled: true) {
            let v = xs[0].requiresGrad ? xs[0] : xs[0].detach().requiringGrad()
            return Autograd.gradients(of: v.crossEntropy(labels, weight: weight, labelSmoothing: smoothing),
                                      wrt: [v], createGraph: true)[0]
        }
    }
    #expect(report.passed, "\(report)")
}

@Test func crossEntropyOnOneSample() {
    // Logits of shape [C] with a label of shape [] equal the first row of a batch.
    let logits = Tensor([1.0, -0.5, 2.0])
    let single = logits.crossEntropy(Tensor(shape: [], integers: [2]))
    let batch = logits.reshape([1, 3]).crossEntropy(Tensor(labels: [2]))
    #expect(single.shape == [])
    #expect(mismatch(single, batch) == nil)
    // log Σ exp − x₂, by hand.
    let expected = Foundation.log(exp(1.0) + exp(-0.5) + exp(2.0)) - 2.0
    #expect(abs(Double(single.item()) - expected) < 1e-6)
}

@Test func crossEntropyMeanOfAllIgnoredIsNaN() {
    // As in PyTorch: 0 / 0.
    let loss = Tensor([[1.0, 2.0]]).crossEntropy(Tensor(labels: [-100]))
    #expect(loss.item().isNaN)
}

@Test func criteriaAreInterchangeable() {
    let criteria: [any Criterion] = [MSELoss(), L1Loss(), SmoothL1Loss(), HuberLoss()]
    let x = Tensor([0.5, 2.0, -1.0]), y = Tensor([0.0, 0.0, 0.0])
    let values = criteria.map { $0(x, y).item(Double.self) }
    #expect(values.count == 4 && values.allSatisfy { $0 > 0 })
}
