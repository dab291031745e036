import Foundation
import Gradus
import GradusTestSupport
import Testing

/// One clipping call recorded by scripts/make_optim_fixtures.py.
struct ClipCase: Decodable, Sendable, CustomTestStringConvertible {
    let kind: String
    let grads: [[Double]]
    let clipped: [[Double]]
    let maxNorm: Double?
    let normType: String?
    let total: Double?
    let clipValue: Double?
    var testDescription: String { "\(kind) \(maxNorm ?? clipValue ?? 0) \(normType ?? "")" }
}

struct ClipFixtures: Decodable, Sendable {
    let shapes: [[Int]]
    let cases: [ClipCase]
    static let loaded: ClipFixtures? = try? Fixtures.decode(ClipFixtures.self, "optim/clipping.json")
}

@Test func clippingFixturesLoad() {
    #expect((ClipFixtures.loaded?.cases.count ?? 0) == 13)
}

@Test(arguments: ClipFixtures.loaded?.cases ?? [])
func clippingMatchesPyTorch(_ c: ClipCase) throws {
    let shapes = try #require(ClipFixtures.loaded).shapes
    let params = shapes.map { Tensor.zeros($0).requiringGrad() }
    for (p, g) in zip(params, c.grads) { p.grad = Tensor(shape: p.shape, values: g) }
    let shared = params[0].grad!
    if c.kind == "norm" {
        let total = clipGradNorm(params, maxNorm: c.maxNorm!, normType: Double(c.normType!)!)
        #expect(abs(total - c.total!) <= 1e-5 * c.total!)
    } else {
        clipGradValue(params, clipValue: c.clipValue!)
    }
    for (p, want) in zip(params, c.clipped) {
        #expect(mismatch(p.grad!, Tensor(shape: p.shape, values: want)) == nil)
    }
    // The original gradient tensor is untouched (it may be shared).
    #expect(shared.scalars(as: Double.self) == c.grads[0].map { Double(Float($0)) })
}

@Test func clipGradNormSkipsMissingGradients() {
    let a = Tensor([3.0, 4.0]).requiringGrad(), b = Tensor([1.0]).requiringGrad()
    a.grad = Tensor([3.0, 4.0])
    let total = clipGradNorm([a, b], maxNorm: 1)
    #expect(total == 5)
    #expect(b.grad == nil)
    #expect(mismatch(a.grad!, Tensor([0.6, 0.8])) == nil)
}

/// PyTorch 2.15: a NaN gradient element gives a NaN total and every gradient becomes NaN; a NaN
/// maxNorm does the same with a finite total; p = 0 counts the NaN as non-zero and clips normally.
@Test func clipGradNormWithNaNAsPyTorch() {
    func grads(_ a: [Double]) -> [Tensor] {
        let x = Tensor.zeros([3]).requiringGrad(), y = Tensor.zeros([2]).requiringGrad()
        x.grad = Tensor(a)
        y.grad = Tensor([3.0, 4.0])
        return [x, y]
    }
    let withNaN = grads([1, .nan, 2])
    #expect(clipGradNorm(withNaN, maxNorm: 1).isNaN)
    #expect(withNaN.allSatisfy { $0.grad!.scalars(as: Double.self).allSatisfy(\.isNaN) })
    let nanMax = grads([1, 2, 2])
    #expect(abs(clipGradNorm(nanMax, maxNorm: .nan) - 34.0.squareRoot()) < 1e-5)
    #expect(nanMax.allSatisfy { $0.grad!.scalars(as: Double.self).allSatisfy(\.isNaN) })
    let counted = grads([1, .nan, 2])
    #expect(clipGradNorm(counted, maxNorm: 1, normType: 0) == 2)
    let first = counted[0].grad!.scalars(as: Double.self), second = counted[1].grad!.scalars(as: Double.self)
    #expect(abs(first[0] - 0.5) < 1e-6 && first[1].isNaN && abs(first[2] - 1) < 1e-6)
    #expect(abs(second[0] - 1.5) < 1e-6 && abs(second[1] - 2) < 1e-6)
}

/// PyTorch 2.15 raises for the −∞ norm of an empty gradient (vector_norm has no identity for it); other
/// p give 0 for it, and −∞ over non-empty gradients is their smallest magnitude.
@Test func clipGradNormOfAnEmptyGradient() {
    let empty = Tensor.zeros([0]).requiringGrad(), full = Tensor.zeros([2]).requiringGrad()
    empty.grad = Tensor.zeros([0])
    full.grad = Tensor([3.0, -0.5])
    #expect {
        try GradusError.catching { _ = clipGradNorm([empty, full], maxNorm: 1, normType: -.infinity) }
    } throws: { ($0 as? GradusError)?.message.contains("-inf norm of an empty gradient (shape [0])") == true }
    #expect(full.grad!.scalars(as: Double.self) == [3, -0.5])   // left as it was
    #expect(abs(clipGradNorm([empty, full], maxNorm: 10) - 9.25.squareRoot()) < 1e-12)
    #expect(clipGradNorm([full], maxNorm: 10, normType: -.infinity) == 0.5)
}
