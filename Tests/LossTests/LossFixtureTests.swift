import Foundation
import Gradus
import GradusTestSupport
import Testing

/// One loss evaluation recorded by scripts/make_loss_fixtures.py.
struct LossCase: Decodable, Sendable, CustomTestStringConvertible {
    let name: String
    let loss: String
    let reduction: String
    let input: TensorFixture
    let target: TensorFixture
    let value: TensorFixture
    let grad: TensorFixture
    let upstream: TensorFixture?
    let weight: TensorFixture?
    let posWeight: TensorFixture?
    let other: TensorFixture?
    let beta: Double?
    let delta: Double?
    let margin: Double?
    let labelSmoothing: Double?
    let ignoreIndex: Int?
    let logTarget: Bool?
    let logInput: Bool?
    let full: Bool?
    let p: Int?

    var testDescription: String { name }

    /// Evaluates this case's loss in Gradus at `input` (in the dtype of `input`).
    /// `otherOverride` replaces the fixture's `other` operand (the Gaussian loss's variance).
    func evaluate(_ input: Tensor, _ target: Tensor, otherOverride: Tensor? = nil) -> Tensor {
        let dt = input.dtype
        let r = Reduction(rawValue: reduction) ?? .mean
        let w = weight?.tensor(dt)
        switch loss {
        case "mse": return MSELoss(reduction: r)(input, target)
        case "l1": return L1Loss(reduction: r)(input, target)
        case "smoothl1": return SmoothL1Loss(beta: beta!, reduction: r)(input, target)
        case "huber": return HuberLoss(delta: delta!, reduction: r)(input, target)
        case "bce": return BCELoss(weight: w, reduction: r)(input, target)
        case "bcelogits":
            return BCEWithLogitsLoss(weight: w, posWeight: posWeight?.tensor(dt), reduction: r)(input, target)
        case "ce":
            return CrossEntropyLoss(weight: w, ignoreIndex: ignoreIndex ?? -100,
                                    labelSmoothing: labelSmoothing ?? 0, reduction: r)(input, target)
        case "nll": return NLLLoss(weight: w, ignoreIndex: ignoreIndex ?? -100, reduction: r)(input, target)
        case "kl":
            let kr = reduction == "batchmean" ? KLDivReduction.batchMean : KLDivReduction(rawValue: reduction)!
            return KLDivLoss(reduction: kr, logTarget: logTarget ?? false)(input, target)
        case "margin": return MarginRankingLoss(margin: margin!, reduction: r)(input, other!.tensor(dt), target)
        case "poisson": return PoissonNLLLoss(logInput: logInput!, full: full ?? false, reduction: r)(input, target)
        case "gaussian": return GaussianNLLLoss(full: full ?? false, reduction: r)(input, target, otherOverride ?? other!.tensor(dt))
        case "soft_margin": return SoftMarginLoss(reduction: r)(input, target)
        case "multilabel_soft_margin": return MultiLabelSoftMarginLoss(weight: w, reduction: r)(input, target)
        case "hinge_embedding": return HingeEmbeddingLoss(margin: margin!, reduction: r)(input, target)
        case "multi_margin": return MultiMarginLoss(p: p!, margin: margin!, weight: w, reduction: r)(input, target)
        case "multilabel_margin": return MultiLabelMarginLoss(reduction: r)(input, target)
        default: fatalError("unknown loss \(loss) in fixture \(name)")
        }
    }

    /// The target in `dtype` (int64 labels stay int64).
    func targetTensor(_ dtype: DType) -> Tensor {
        target.dtype == "int64" ? target.tensor() : target.tensor(dtype)
    }
}

struct LossFixtures: Decodable {
    let cases: [LossCase]
    static let all: [LossCase] = (try? Fixtures.decode(LossFixtures.self, "losses/losses.json").cases) ?? []
}

@Test func lossFixturesLoad() {
    #expect(LossFixtures.all.count >= 107)
}

@Test(arguments: LossFixtures.all)
func lossMatchesPyTorch(_ c: LossCase) {
    let x = c.input.tensor(.float32).requiringGrad()
    let out = c.evaluate(x, c.targetTensor(.float32))
    #expect(mismatch(out, c.value.tensor(.float32), rtol: 1e-5, atol: 1e-6) == nil, "\(c.name) value")
    out.backward(c.upstream?.tensor(.float32))
    let g = x.grad ?? Tensor.zeros(like: x)
    #expect(mismatch(g, c.grad.tensor(.float32), rtol: 1e-5, atol: 1e-6) == nil, "\(c.name) gradient")
}

@Test(arguments: LossFixtures.all)
func lossPassesGradCheck(_ c: LossCase) {
    // Float64 finite differences at the same inputs; float targets are checked too, labels are not.
    // BCE's saturated element (x = 1 − 1e-7) is moved inside, where finite differences are meaningful.
    var input = c.input.tensor(.float64)
    if c.loss == "bce" { input = input.clamp(min: 0.01, max: 0.99) }
    let target = c.targetTensor(.float64)
    // Targets that are compared (hinge: y = ±1) or hold zero counts under a logarithm (Poisson) are not
    // differentiable there.
    let checkTarget = target.dtype != .int64 && !["margin", "hinge_embedding", "poisson"].contains(c.loss)
        && !(c.loss == "kl" && c.logTarget != true)
    let inputs = checkTarget ? [input, target] : [input]
    // The Gaussian case's variance of 1e-9 (clamped to 1e-6) curves the loss too sharply for finite
    // differences: the check runs with variances of at least 0.01 (the value test keeps the 1e-9).
    let variance = c.loss == "gaussian" ? c.other?.tensor(.float64).clamp(min: 0.01) : nil
    let report = GradCheck.check(inputs: inputs) { xs in
        c.evaluate(xs[0], checkTarget ? xs[1] : target, otherOverride: variance)
    }
    #expect(report.passed, "\(c.name): \(report)")
}
