import Gradus
import GradusTestSupport
import Testing

/// The CTC loss against PyTorch's F.ctc_loss (Tests/Fixtures/losses/ctc.json,
/// scripts/make_ctc_fixtures.py): values, the gradient through the log-softmax, and PyTorch's gradient
/// with respect to the log-probabilities; a Float64 gradient check; refusals.
struct CTCCase: Decodable, Sendable, CustomTestStringConvertible {
    let name: String
    let dtype: String
    let x: TensorFixture
    let targets: TensorFixture
    let inputLengths: [Int]
    let targetLengths: [Int]
    let blank: Int
    let reduction: String
    let zeroInfinity: Bool
    let upstream: TensorFixture
    let loss: TensorFixture
    let gradX: TensorFixture
    let gradLogProbs: TensorFixture
    var testDescription: String { name }

    static let all: [CTCCase] = {
        struct File: Decodable { let cases: [CTCCase] }
        return (try? Fixtures.decode(File.self, "losses/ctc.json", nonFiniteStrings: true).cases) ?? []
    }()
}

@Suite struct CTCLossTests {
    static func close(_ a: Tensor, _ b: Tensor, float32: Bool = false) -> Bool {
        a.shape == b.shape && a.to(.float64).allClose(b.to(.float64), rtol: float32 ? 1e-5 : 1e-9, atol: float32 ? 1e-6 : 1e-11, equalNaN: true)
    }

    @Test("loss and gradients as PyTorch's", arguments: CTCCase.all)
    func matchesPyTorch(_ c: CTCCase) throws {
        let reduction: Reduction = c.reduction == "none" ? .none : c.reduction == "sum" ? .sum : .mean
        let targets = c.targets.tensor(.int64)
        func loss(_ logProbs: Tensor) -> Tensor {
            logProbs.ctcLoss(targets: targets, inputLengths: c.inputLengths, targetLengths: c.targetLengths, blank: c.blank,
                             reduction: reduction, zeroInfinity: c.zeroInfinity)
        }
        let dtype = DType(rawValue: c.dtype)!, float32 = dtype == .float32
        let x = c.x.tensor(dtype).requiringGrad()
        let value = loss(x.logSoftmax(axis: -1))
        #expect(value.dtype == dtype && Self.close(value, c.loss.tensor(dtype), float32: float32), "\(value) vs \(c.loss.data)")
        (value * c.upstream.tensor(dtype)).sum().backward()
        #expect(x.grad!.dtype == dtype && Self.close(x.grad!, c.gradX.tensor(dtype), float32: float32), "gradient through log-softmax")

        let leaf = GradMode.noGrad { c.x.tensor(dtype).logSoftmax(axis: -1) }.requiringGrad()
        (loss(leaf) * c.upstream.tensor(dtype)).sum().backward()
        #expect(Self.close(leaf.grad!, c.gradLogProbs.tensor(dtype), float32: float32), "gradient with respect to the log-probabilities")
    }

    @Test("Float64 gradient check through the log-softmax (the composition PyTorch checks)")
    func gradientCheck() {
        var rng = SeededGenerator(seed: 9)
        let x = Tensor.normal([6, 2, 4], dtype: .float64, generator: &rng)
        let targets = Tensor(shape: [2, 3], integers: [1, 2, 2, 3, 1, 0])
        for reduction in [Reduction.mean, .sum, .none] {
            let report = GradCheck.check(inputs: [x]) {
                $0[0].logSoftmax(axis: -1).ctcLoss(targets: targets, inputLengths: [6, 5], targetLengths: [3, 2], reduction: reduction)
            }
            #expect(report.passed, "\(reduction): \(report)")
        }
    }

    @Test("refusals: labels outside the classes, lengths out of range, shapes, a blank outside the classes")
    func refusals() {
        let lp = Tensor.zeros([5, 2, 3], dtype: .float64)
        let targets = Tensor(shape: [2, 2], integers: [1, 2, 1, 1])
        #expect(failure { lp.ctcLoss(targets: Tensor(shape: [2, 2], integers: [1, 3, 1, 1]), inputLengths: [5, 5], targetLengths: [2, 2]) }?.kind == .indexOutOfRange)
        #expect(failure { lp.ctcLoss(targets: Tensor(shape: [2, 2], integers: [1, -1, 1, 1]), inputLengths: [5, 5], targetLengths: [2, 2]) }?.kind == .indexOutOfRange)
        #expect(failure { lp.ctcLoss(targets: targets, inputLengths: [6, 5], targetLengths: [2, 2]) }?.kind == .invalidArgument)
        #expect(failure { lp.ctcLoss(targets: targets, inputLengths: [5, 5], targetLengths: [3, 2]) }?.kind == .shapeMismatch)
        #expect(failure { lp.ctcLoss(targets: targets, inputLengths: [5], targetLengths: [2, 2]) }?.kind == .shapeMismatch)
        #expect(failure { lp.ctcLoss(targets: targets, inputLengths: [5, 5], targetLengths: [2, -1]) }?.kind == .invalidArgument)
        #expect(failure { lp.ctcLoss(targets: targets, inputLengths: [5, 5], targetLengths: [2, 2], blank: 3) }?.kind == .invalidArgument)
        #expect(failure { lp.ctcLoss(targets: Tensor([1.0, 2.0]), inputLengths: [5, 5], targetLengths: [1, 1]) }?.kind == .dtypeMismatch)
        #expect(failure { lp.ctcLoss(targets: Tensor(labels: [1, 2]), inputLengths: [5, 5], targetLengths: [2, 1]) }?.kind == .shapeMismatch)
        #expect(failure { lp.ctcLoss(targets: Tensor(labels: [1, 2, 1]), inputLengths: [5, 5], targetLengths: [1, 1]) }?.kind == .shapeMismatch)
        #expect(failure { lp.ctcLoss(targets: Tensor(shape: [2, 2], integers: [1, 0, 1, 1]), inputLengths: [5, 5], targetLengths: [2, 2]) }?.kind == .invalidArgument)
        #expect(failure { Tensor.zeros([0, 2, 3]).ctcLoss(targets: targets, inputLengths: [0, 0], targetLengths: [0, 0]) }?.kind == .shapeMismatch)
        // Without gradients recorded, no gradient is computed, and the value is the same.
        let withGradient = lp.requiringGrad().ctcLoss(targets: targets, inputLengths: [5, 5], targetLengths: [2, 2])
        #expect(GradMode.noGrad { lp.ctcLoss(targets: targets, inputLengths: [5, 5], targetLengths: [2, 2]) }.equal(withGradient.detach()))
        #expect(failure { Tensor.zeros([5, 3], dtype: .int64).ctcLoss(targets: Tensor(labels: [1]), inputLengths: [5], targetLengths: [1]) } != nil)
        // The criterion applies the function with its settings.
        let ctc = CTCLoss(blank: 0, reduction: .sum)
        #expect(ctc(lp, targets: targets, inputLengths: [5, 5], targetLengths: [2, 2])
            .equal(lp.ctcLoss(targets: targets, inputLengths: [5, 5], targetLengths: [2, 2], reduction: .sum)))
    }
}
