import Gradus
import GradusTestSupport
import Testing

/// Samples augmented with noise from the default generator, as a user's dataset would draw it.
private struct NoisyDataset: Dataset {
    let count = 40
    func sample(at index: Int) -> (input: Tensor, target: Tensor) {
        (Tensor([Double(index)]) + Tensor.uniform([1], low: -0.5, high: 0.5), Tensor(labels: [index % 2]))
    }
}

/// Random augmentation inside a dataset is reproducible through the loader: it no longer depends on
/// whether the batch was prefetched on another thread or on what the model drew meanwhile.
@Suite("Dataset randomness drawn while batches are built")
struct AugmentationReproducibilityTests {
    /// Every batch of two epochs, while "training" draws from the default generator between batches.
    func inputs(prefetch: Bool, seed: UInt64, modelDraws: Bool) -> [[Float]] {
        let loader = DataLoader(NoisyDataset(), batchSize: 8, shuffle: true, seed: seed, prefetch: prefetch)
        var seen: [[Float]] = []
        for _ in 0..<2 {
            for (x, _) in loader {
                seen.append(x.scalars(as: Float.self))
                if modelDraws { _ = Tensor.normal([256]) }   // dropout, initialization, …
            }
        }
        return seen
    }

    @Test("the same loader seed gives the same augmented batches, prefetched or not, whatever the model draws")
    func reproducible() {
        let reference = inputs(prefetch: false, seed: 7, modelDraws: false)
        for _ in 0..<3 {
            #expect(inputs(prefetch: true, seed: 7, modelDraws: true) == reference)
            #expect(inputs(prefetch: false, seed: 7, modelDraws: true) == reference)
        }
        // Another seed draws other noise (and another order); another epoch other noise than the first.
        #expect(inputs(prefetch: true, seed: 8, modelDraws: false) != reference)
        #expect(reference[0] != reference[5])
        // The noise is there (values are not the bare indices) and within its range.
        let flat = reference.flatMap { $0 }
        #expect(flat.contains { $0 != $0.rounded() })
        #expect(flat.allSatisfy { $0 > -0.5 && $0 < 39.5 })
        // Batch building leaves the default generator where it was (checked on a private one: other
        // suites running at the same time draw from the process-wide generator).
        Random.withSeed(3) {
            let before = Random.state
            _ = inputs(prefetch: false, seed: 7, modelDraws: false)
            #expect(Random.state == before)
        }
    }
}
