import Gradus
import GradusTestSupport
import Testing

/// Samplers as PyTorch's: weighted draws that balance classes, random orders with and without
/// replacement, shuffled subsets, and the loader reading whatever a sampler gives.
@Suite("Samplers: weighted, random, subset, through the DataLoader")
struct SamplerTests {
    @Test("weighted draws balance an imbalanced data set, never draw a zero weight, and are seeded per epoch")
    func weighted() throws {
        // 900 samples of class 0, 100 of class 1; weights 1/frequency.
        let labels = [Int](repeating: 0, count: 900) + [Int](repeating: 1, count: 100)
        let weights = labels.map { $0 == 0 ? 1.0 / 900 : 1.0 / 100 }
        let sampler = try WeightedRandomSampler(weights: weights, numSamples: 20_000, seed: 3)
        let drawn = sampler.indices(epoch: 0)
        #expect(drawn.count == 20_000 && drawn.allSatisfy { $0 >= 0 && $0 < 1000 })
        let ones = drawn.filter { labels[$0] == 1 }.count
        #expect(abs(Double(ones) / 20_000 - 0.5) < 0.02, "class 1 drawn \(ones) of 20000")
        #expect(sampler.indices(epoch: 0) == drawn && sampler.indices(epoch: 1) != drawn)
        // Zero weights are never drawn, with or without replacement.
        let sparse = try WeightedRandomSampler(weights: [0, 3, 0, 1, 0], numSamples: 1000, seed: 1)
        let counts = sparse.indices(epoch: 0).reduce(into: [Int](repeating: 0, count: 5)) { $0[$1] += 1 }
        #expect(counts[0] == 0 && counts[2] == 0 && counts[4] == 0 && counts[1] > 2 * counts[3])
        let distinct = try WeightedRandomSampler(weights: [0, 3, 0, 1, 2], numSamples: 3, replacement: false, seed: 1)
        for e in 0..<20 { #expect(Set(distinct.indices(epoch: e)) == [1, 3, 4]) }
        // Without replacement the heavier index comes first more often (PyTorch's sequential draws).
        let pair = try WeightedRandomSampler(weights: [9, 1], numSamples: 1, replacement: false)
        let firsts = (0..<2000).filter { pair.indices(epoch: $0) == [0] }.count
        #expect(abs(Double(firsts) / 2000 - 0.9) < 0.03)
        // Refusals name the problem.
        #expect(failure { try WeightedRandomSampler(weights: [1, -1], numSamples: 1) }?.message.contains("weight 1 is -1.0") == true)
        #expect(failure { try WeightedRandomSampler(weights: [1, .nan], numSamples: 1) } != nil)
        #expect(failure { try WeightedRandomSampler(weights: [0, 0], numSamples: 1) }?.message.contains("all zero") == true)
        #expect(failure { try WeightedRandomSampler(weights: [1, 0], numSamples: 2, replacement: false) }?.message.contains("only 1") == true)
        #expect(failure { try WeightedRandomSampler(weights: [1], numSamples: -1) } != nil)
        #expect(failure { try WeightedRandomSampler(weights: [.greatestFiniteMagnitude, .greatestFiniteMagnitude], numSamples: 1) } != nil)
    }

    @Test("random and subset samplers: permutations, draws with replacement, more samples than the data set")
    func randomAndSubset() throws {
        let plain = try RandomIndexSampler(count: 10, seed: 2)
        #expect(plain.indices(epoch: 0).sorted() == Array(0..<10) && plain.indices(epoch: 0) != plain.indices(epoch: 1))
        let more = try RandomIndexSampler(count: 4, numSamples: 10)
        let m = more.indices(epoch: 0)
        #expect(m.count == 10 && Array(m[0..<4]).sorted() == [0, 1, 2, 3] && Array(m[4..<8]).sorted() == [0, 1, 2, 3])
        let drawn = try RandomIndexSampler(count: 3, replacement: true, numSamples: 3000).indices(epoch: 5)
        #expect(drawn.allSatisfy { (0..<3).contains($0) } && Set(drawn) == [0, 1, 2])
        #expect(failure { try RandomIndexSampler(count: 0, numSamples: 1) } != nil)
        let subset = try SubsetRandomSampler(indices: [7, 3, 9], seed: 4)
        #expect(subset.indices(epoch: 0).sorted() == [3, 7, 9] && subset.requiredCount == 10)
        #expect(failure { try SubsetRandomSampler(indices: [1, -2]) }?.kind == .indexOutOfRange)
        #expect(try SubsetRandomSampler(indices: [Int.max]).requiredCount == Int.max)
    }

    @Test("the loader reads a sampler's indices: batch count from its length, indices checked against the data set")
    func throughTheLoader() throws {
        let data = indexedDataset(6)
        let sampler = try WeightedRandomSampler(weights: [0, 0, 0, 0, 0, 1], numSamples: 5)
        let loader = DataLoader(data, batchSize: 2, sampler: sampler)
        #expect(loader.count == 3)
        var seen: [Int] = []
        for (_, y) in loader { seen += y.intScalars }
        #expect(seen == [5, 5, 5, 5, 5])
        let subset = DataLoader(data, batchSize: 4, sampler: try SubsetRandomSampler(indices: [0, 2, 4]))
        #expect(subset.batches(epoch: 0).order.sorted() == [0, 2, 4])
        // A sampler whose indices do not fit the data set is a refused setting.
        #expect(failure { DataLoader(data, batchSize: 2, sampler: try SubsetRandomSampler(indices: [6])) }?.message.contains("need 7 samples") == true)
    }
}
