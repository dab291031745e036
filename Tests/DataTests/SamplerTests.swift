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

    @Test("BatchSampler groups a sampler's indices as PyTorch's: the last batch smaller or dropped, seeded per epoch")
    func batchSampler() throws {
        let sequential = try BatchSampler(SequentialSampler(count: 10), batchSize: 3, dropLast: false)
        #expect(sequential.batches(epoch: 0) == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]])
        #expect(sequential.batchCount(epoch: 0) == 4)
        let dropped = try BatchSampler(SequentialSampler(count: 10), batchSize: 3, dropLast: true)
        #expect(dropped.batches(epoch: 0) == [[0, 1, 2], [3, 4, 5], [6, 7, 8]] && dropped.batchCount(epoch: 0) == 3)
        // Exact multiples, batches larger than the data, and no data at all.
        #expect(try BatchSampler(SequentialSampler(count: 6), batchSize: 3, dropLast: false).batches(epoch: 0) == [[0, 1, 2], [3, 4, 5]])
        #expect(try BatchSampler(SequentialSampler(count: 2), batchSize: Int.max, dropLast: false).batches(epoch: 0) == [[0, 1]])
        #expect(try BatchSampler(SequentialSampler(count: 2), batchSize: Int.max, dropLast: true).batches(epoch: 0).isEmpty)
        #expect(try BatchSampler(SequentialSampler(count: 0), batchSize: 2, dropLast: false).batchCount(epoch: 0) == 0)
        // Over a random order: every index once per epoch, a new grouping each epoch, the same for the same epoch.
        let random = try BatchSampler(RandomIndexSampler(count: 20, seed: 4), batchSize: 8, dropLast: false)
        let first = random.batches(epoch: 0)
        #expect(first.map(\.count) == [8, 8, 4] && first.flatMap { $0 }.sorted() == Array(0..<20))
        #expect(random.batches(epoch: 0) == first && random.batches(epoch: 1) != first)
        #expect(failure { try BatchSampler(SequentialSampler(count: 3), batchSize: 0, dropLast: false) }?.message.contains("at least 1") == true)
    }

    /// Batches of the samples with the same label, a label's batch at a time: batches of any sizes.
    struct ByLabel: DataBatchSampler {
        let labels: [Int]
        var requiredCount: Int { labels.count }
        func batches(epoch: Int) -> [[Int]] {
            let groups = Dictionary(grouping: labels.indices, by: { labels[$0] })
            return groups.keys.sorted().map { groups[$0]! }
        }
    }

    /// A batch sampler that gives what it is told to, for the loader's checks.
    struct Fixed: DataBatchSampler {
        let given: [[Int]]
        var requiredCount: Int { 0 }
        func batches(epoch: Int) -> [[Int]] { given }
    }

    @Test("the loader reads a batch sampler's batches: any sizes, its count and order, its indices checked")
    func batchSamplerThroughTheLoader() throws {
        let data = indexedDataset(7)
        let labels = [2, 0, 1, 0, 2, 2, 0]
        let loader = DataLoader(data, batchSampler: ByLabel(labels: labels))
        #expect(loader.count == 3 && loader.batchSize == 1 && !loader.dropLast)
        var batches: [[Int]] = []
        for (_, y) in loader { batches.append(y.intScalars) }
        #expect(batches == [[1, 3, 6], [2], [0, 4, 5]])
        #expect(loader.order(epoch: 0) == [1, 3, 6, 2, 0, 4, 5])
        // Without prefetching, and through BatchSampler (whose size and dropLast the loader reports).
        let grouped = DataLoader(data, batchSampler: try BatchSampler(SequentialSampler(count: 7), batchSize: 3, dropLast: true), prefetch: false)
        #expect(grouped.batchSize == 3 && grouped.dropLast && grouped.count == 2)
        #expect(grouped.batches(epoch: 0).map { $0.targets.intScalars } == [[0, 1, 2], [3, 4, 5]])
        // Batches that do not fit the data set are refused before any is read, naming the batch.
        #expect(failure { DataLoader(data, batchSampler: try BatchSampler(SequentialSampler(count: 8), batchSize: 2, dropLast: false)) }?
            .message.contains("need 8 samples") == true)
        #expect(failure { _ = DataLoader(data, batchSampler: Fixed(given: [[0, 1], [9]])).batches(epoch: 0) }?
            .message.contains("batch 1") == true)
        #expect(failure { _ = DataLoader(data, batchSampler: Fixed(given: [[0], [], [1]])).batches(epoch: 0) }?
            .message.contains("batch 1") == true)
        #expect(failure { _ = DataLoader(data, batchSampler: Fixed(given: [[-1]])).batches(epoch: 0) }?
            .message.contains("outside") == true)
        // A DistributedSampler made for another data set size is refused, as by the sampler initializer.
        #expect(failure { DataLoader(data, batchSampler: try BatchSampler(DistributedSampler(count: 5, worldSize: 1, rank: 0), batchSize: 2, dropLast: false)) }?
            .message.contains("covers 5 samples") == true)
    }

    /// A sampler that announces more indices than it gives.
    struct Short: DataSampler {
        var samplesPerEpoch: Int { 6 }
        var requiredCount: Int { 3 }
        func indices(epoch: Int) -> [Int] { [2, 0, 1] }
    }

    @Test("a sampler giving fewer indices than it announced: the loader reads the batches of what it gave, without trapping")
    func shortSampler() {
        let data = indexedDataset(3)
        let loader = DataLoader(data, batchSize: 2, prefetch: false, sampler: Short())
        #expect(loader.batches(epoch: 0).map { $0.targets.intScalars } == [[2, 0], [1]])
        let grouped = DataLoader(data, batchSampler: try! BatchSampler(Short(), batchSize: 2, dropLast: false), prefetch: false)
        #expect(grouped.batches(epoch: 0).map { $0.targets.intScalars } == [[2, 0], [1]])
    }
}
