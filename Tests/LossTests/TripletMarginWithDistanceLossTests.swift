import Gradus
import GradusTestSupport
import Testing

/// The triplet margin loss with a distance function (PyTorch's values and gradients are in the op
/// fixtures, `triplet_margin_with_distance*`): Float64 gradient checks, agreement with
/// `tripletMarginLoss` where both apply, and refusals.
@Suite("Triplet margin loss with a distance function")
struct TripletMarginWithDistanceLossTests {
    func normal(_ shape: [Int], seed: UInt64) -> Tensor {
        var rng = SeededGenerator(seed: seed)
        return Tensor.normal(shape, dtype: .float64, generator: &rng)
    }

    @Test("Float64 gradient checks: the Euclidean default with the swap, a cosine distance, an L1 distance summed",
          arguments: [0, 1, 2])
    func gradients(_ which: Int) {
        let (a, p, n) = (normal([4, 5], seed: 1), normal([4, 5], seed: 2), normal([4, 5], seed: 3))
        let report = GradCheck.check(inputs: [a, p, n]) { t in
            switch which {
            case 0: return t[0].tripletMarginWithDistanceLoss(positive: t[1], negative: t[2], margin: 2, swap: true)
            case 1: return TripletMarginWithDistanceLoss(distanceFunction: { 1 - Functional.cosineSimilarity($0, $1) },
                                                         margin: 0.5, reduction: .sum)(t[0], t[1], t[2])
            default: return t[0].tripletMarginWithDistanceLoss(positive: t[1], negative: t[2], distance: { ($0 - $1).abs().sum(axes: [-1]) },
                                                               margin: 3, reduction: .none)
            }
        }
        #expect(report.passed, "\(report)")
    }

    @Test("with the Euclidean distance it is tripletMarginLoss (p = 2), with and without the swap")
    func matchesTripletMarginLoss() {
        let (a, p, n) = (normal([6, 3], seed: 4), normal([6, 3], seed: 5), normal([6, 3], seed: 6))
        for swap in [false, true] {
            let withDistance = a.tripletMarginWithDistanceLoss(positive: p, negative: n, margin: 1.5, swap: swap, reduction: .none)
            let plain = a.tripletMarginLoss(positive: p, negative: n, margin: 1.5, swap: swap, reduction: .none)
            #expect(mismatch(withDistance, plain, rtol: 1e-12, atol: 1e-12) == nil)
        }
    }

    @Test("a margin that every triplet clears gives zero loss and zero gradients; one none clears gives d(a,p) − d(a,n) + margin")
    func margins() {
        let a = Tensor([[0.0, 0.0], [1.0, 1.0]]).requiringGrad()
        let p = Tensor([[0.0, 1.0], [1.0, 2.0]]), n = Tensor([[0.0, 10.0], [1.0, 11.0]])
        let distance: (Tensor, Tensor) -> Tensor = { ($0 - $1).abs().sum(axes: [-1]) }
        let cleared = a.tripletMarginWithDistanceLoss(positive: p, negative: n, distance: distance, margin: 1, reduction: .sum)
        #expect(cleared.item(Double.self) == 0)
        cleared.backward()
        #expect(a.grad?.scalars(as: Double.self) == [0, 0, 0, 0])
        let all = a.tripletMarginWithDistanceLoss(positive: p, negative: n, distance: distance, margin: 20, reduction: .none)
        let expected: [Double] = [11, 11]   // 1 − 10 + 20 for each triplet
        #expect(all.scalars(as: Double.self) == expected)
    }

    @Test("refusals: a margin that is not positive or not finite, tensors of different ranks, distances that do not broadcast")
    func refusals() {
        let (a, p, n) = (normal([3, 4], seed: 7), normal([3, 4], seed: 8), normal([3, 4], seed: 9))
        for margin in [0, -1, .infinity, .nan] as [Double] {
            let error = failure { a.tripletMarginWithDistanceLoss(positive: p, negative: n, margin: margin) }
            #expect(error?.message.contains("margin must be greater than 0") == true, "\(margin): \(String(describing: error))")
        }
        let ranks = failure { a.tripletMarginWithDistanceLoss(positive: p.reshape([3, 1, 4]), negative: n) }
        #expect(ranks?.message.contains("same number of dimensions") == true, "\(String(describing: ranks))")
        // A distance that keeps the vectors' last axis for one pair and not the other: [3, 4] against [3].
        var calls = 0
        let uneven = failure {
            a.tripletMarginWithDistanceLoss(positive: p, negative: n, distance: { x, y in
                calls += 1
                return calls == 1 ? (x - y).abs() : (x - y).abs().sum(axes: [-1])
            })
        }
        #expect(uneven != nil)
    }
}
