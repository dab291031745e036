import Gradus
import GradusTestSupport
import Testing

/// Alpha dropout (its arithmetic given the mask, the moments it keeps, evaluation mode, refusals) and
/// the two-input distance modules against their functional forms.
@Suite("Alpha dropout and distance modules")
struct AlphaDropoutAndDistanceLayerTests {
    @Test("alpha dropout computes PyTorch's a·x + b on kept elements and −αa(1 − p) on dropped ones")
    func arithmeticGivenTheMask() {
        let p = 0.3, alpha = 1.7580993408473766
        let a = 1 / ((alpha * alpha * p + 1) * (1 - p)).squareRoot()
        var rng = SeededGenerator(seed: 3)
        let x = Tensor.normal([2000], dtype: .float64, generator: &rng)
        let y = Functional.alphaDropout(x, p: p, training: true, generator: &rng)
        var dropped = 0
        for (xi, yi) in zip(x.scalars(as: Double.self), y.scalars(as: Double.self)) {
            let kept = a * xi + alpha * a * p, gone = -alpha * a * (1 - p)
            if abs(yi - gone) < 1e-12 && abs(yi - kept) > 1e-9 { dropped += 1 } else { #expect(abs(yi - kept) < 1e-12) }
        }
        // About p of the elements dropped (2000 draws: 600 ± 4σ ≈ 600 ± 82).
        #expect(abs(dropped - 600) < 82, "\(dropped) dropped")
    }

    @Test("a standard normal input keeps mean 0 and variance 1; per-channel masks drop whole channels")
    func momentsAndChannels() {
        var rng = SeededGenerator(seed: 5)
        let x = Tensor.normal([200_000], dtype: .float64, generator: &rng)
        let y = Functional.alphaDropout(x, p: 0.2, training: true, generator: &rng)
        #expect(abs(y.mean().item(Double.self)) < 0.01)
        #expect(abs(y.variance().item(Double.self) - 1) < 0.02)
        let images = Tensor.normal([8, 16, 3, 3], dtype: .float64, generator: &rng)
        let z = Functional.featureAlphaDropout(images, p: 0.5, training: true, generator: &rng)
        let alpha = 1.7580993408473766, a = 1 / ((alpha * alpha * 0.5 + 1) * 0.5).squareRoot()
        let gone = -alpha * a * 0.5
        let values = z.scalars(as: Double.self)
        for channel in 0..<(8 * 16) {
            let block = values[(channel * 9)..<(channel * 9 + 9)]
            let droppedHere = block.filter { abs($0 - gone) < 1e-12 }.count
            #expect(droppedHere == 0 || droppedHere == 9, "channel \(channel): \(droppedHere) of 9 dropped")
        }
    }

    @Test("evaluation mode and p = 0 pass the input; p = 1 gives zeros; bad settings are errors")
    func modesAndRefusals() {
        let x = Tensor([1.0, -2.0, 3.0])
        let layer = AlphaDropout(p: 0.5)
        layer.eval()
        #expect(layer(x).scalars() == x.scalars())
        #expect(Functional.alphaDropout(x, p: 1, training: true).scalars() == [0, 0, 0])
        #expect(Functional.alphaDropout(x, p: 0, training: true).scalars() == x.scalars())
        #expect(failure { _ = Functional.alphaDropout(x, p: 1.5, training: true) }?.message.contains("p must be in [0, 1]") == true)
        #expect(failure { _ = Functional.featureAlphaDropout(x, p: 0.5, training: true) }?.kind == .shapeMismatch)
        #expect(failure { _ = AlphaDropout(p: -0.1) }?.message.contains("AlphaDropout") == true)
    }

    @Test("out of training any input passes; LocalResponseNorm returns an empty input as it is and normalizes int64 in float32")
    func edges() {
        let integers = Tensor(shape: [3], integers: [1, 2, 3])
        #expect(Functional.alphaDropout(integers, p: 0.5, training: false).intScalars == [1, 2, 3])
        #expect(Functional.featureAlphaDropout(Tensor([1.0]), p: 0.5, training: false).scalars() == [1])
        let empty = Tensor.zeros([0, 3, 4, 4])
        #expect(Functional.localResponseNorm(empty, size: 3).shape == [0, 3, 4, 4])
        let counts = Tensor(shape: [1, 2, 1], integers: [3, 4])
        let normalized = Functional.localResponseNorm(counts, size: 2)
        #expect(normalized.dtype == .float32)
        #expect(normalized.scalars() == Functional.localResponseNorm(counts.to(.float32), size: 2).scalars())
    }

    @Test("CosineSimilarity and PairwiseDistance compute their functional forms, gradients included")
    func distanceModules() {
        var rng = SeededGenerator(seed: 9)
        let a = Tensor.normal([3, 5], dtype: .float64, generator: &rng), b = Tensor.normal([3, 5], dtype: .float64, generator: &rng)
        #expect(CosineSimilarity(axis: 1)(a, b).scalars() == Functional.cosineSimilarity(a, b, axis: 1).scalars())
        #expect(PairwiseDistance(p: 3, keepDims: true)(a, b).scalars() == Functional.pairwiseDistance(a, b, p: 3, keepDims: true).scalars())
        #expect(PairwiseDistance(keepDims: true)(a, b).shape == [3, 1])
        let report = GradCheck.check(inputs: [a, b]) { CosineSimilarity(axis: 0)($0[0], $0[1]) }
        #expect(report.passed, "\(report)")
    }
}
