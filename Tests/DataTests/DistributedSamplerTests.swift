import Gradus
import Testing

@Suite("DistributedSampler")
struct DistributedSamplerTests {
    @Test("ranks' shares are disjoint and cover every sample once per epoch", arguments: [(10, 2), (64, 2), (7, 3), (5, 4), (1, 1), (100, 7)])
    func coversOnce(_ count: Int, _ world: Int) throws {
        for epoch in 0..<3 {
            var seen: [Int] = []
            for rank in 0..<world {
                let s = try DistributedSampler(count: count, worldSize: world, rank: rank, shuffle: true, seed: 9, dropLast: count % world != 0 && count >= world)
                let mine = s.indices(epoch: epoch)
                #expect(mine.count == s.samplesPerRank)
                seen += mine
            }
            // dropLast when uneven: exactly the first floor(count/world)·world of the order, each once.
            #expect(Set(seen).count == seen.count)
            #expect(seen.count == (count / world) * world || count % world == 0)
        }
    }

    @Test("padding repeats the first samples (PyTorch's policy); every sample still read")
    func padding() throws {
        let shares = try (0..<3).map { try DistributedSampler(count: 7, worldSize: 3, rank: $0, shuffle: false).indices(epoch: 0) }
        #expect(shares == [[0, 3, 6], [1, 4, 0], [2, 5, 1]])
        #expect(Set(shares.flatMap { $0 }) == Set(0..<7))
        let dropped = try (0..<3).map { try DistributedSampler(count: 7, worldSize: 3, rank: $0, shuffle: false, dropLast: true).indices(epoch: 0) }
        #expect(dropped == [[0, 3], [1, 4], [2, 5]])
        // Fewer samples than ranks: padding still gives everyone one.
        let tiny = try (0..<4).map { try DistributedSampler(count: 2, worldSize: 4, rank: $0, shuffle: false).indices(epoch: 0) }
        #expect(tiny == [[0], [1], [0], [1]])
        #expect(try DistributedSampler(count: 0, worldSize: 2, rank: 1).indices(epoch: 0).isEmpty)
    }

    @Test("same order on every rank for a seed and epoch; a new order each epoch; one rank = DataLoader's order")
    func ordering() throws {
        let s0 = try DistributedSampler(count: 50, worldSize: 2, rank: 0, seed: 4)
        let s1 = try DistributedSampler(count: 50, worldSize: 2, rank: 1, seed: 4)
        #expect(s0.globalOrder(epoch: 2) == s1.globalOrder(epoch: 2))
        #expect(s0.globalOrder(epoch: 2) != s0.globalOrder(epoch: 3))
        let data = TensorDataset(Tensor.zeros([50, 1]), Tensor(labels: Array(repeating: 0, count: 50)))
        let loader = DataLoader(data, batchSize: 8, shuffle: true, seed: 4)
        let one = try DistributedSampler(count: 50, worldSize: 1, rank: 0, seed: 4)
        #expect(one.indices(epoch: 5) == loader.order(epoch: 5))
    }

    @Test("a sharded loader: the ranks' k-th batches together are one process's k-th batch of the global size")
    func shardedLoaderMatchesGlobalBatches() throws {
        let x = Tensor.arange(0, 40).reshape([40, 1])
        let data = TensorDataset(x, Tensor(labels: Array(0..<40)))
        let global = DataLoader(data, batchSize: 8, shuffle: true, seed: 1)
        let shards = try (0..<2).map { rank in
            DataLoader(data, batchSize: 4, sampler: try DistributedSampler(count: 40, worldSize: 2, rank: rank, seed: 1))
        }
        #expect(shards[0].count == 5 && shards[1].count == 5)
        let globalBatches = global.batches(epoch: 3).map { Set($0.targets.scalars(as: Double.self)) }
        let rank0 = shards[0].batches(epoch: 3).map { $0.targets.scalars(as: Double.self) }
        let rank1 = shards[1].batches(epoch: 3).map { $0.targets.scalars(as: Double.self) }
        for k in 0..<5 { #expect(Set(rank0[k] + rank1[k]) == globalBatches[k]) }
    }

    @Test("bad arguments are catchable errors naming the problem")
    func refusals() {
        #expect(throws: GradusError.self) { try DistributedSampler(count: 10, worldSize: 2, rank: 2) }
        #expect(throws: GradusError.self) { try DistributedSampler(count: 10, worldSize: 0, rank: 0) }
        #expect(throws: GradusError.self) { try DistributedSampler(count: -1, worldSize: 1, rank: 0) }
        let e = #expect(throws: GradusError.self) { try DistributedSampler(count: 1, worldSize: 2, rank: 0, dropLast: true) }
        #expect(e?.message.contains("dropLast") == true)
    }
}
