/// The share of a dataset that one process reads in data-parallel training: the ranks' shares are
/// disjoint and together cover every sample once per epoch (PyTorch's `DistributedSampler`).
///
/// The epoch's order is the same on every rank — a permutation drawn from `seed` and the epoch (the
/// same permutation that ``DataLoader`` draws for that seed and epoch), or index order without
/// shuffling — and rank `r` takes positions `r, r + worldSize, r + 2·worldSize, …` of it. So the union
/// of the ranks' `k`-th batches of `b` samples is the `k`-th batch of `worldSize · b` samples that one
/// process would read: N processes see the data exactly as one process with the N-times larger batch.
///
/// When the dataset does not divide evenly, the order is padded by repeating its first samples so that
/// every rank gets `ceil(count / worldSize)` (PyTorch's default), or, with `dropLast`, cut to
/// `floor(count / worldSize)` per rank.
///
/// ```swift
/// let sampler = try DistributedSampler(count: train.count, worldSize: group.worldSize, rank: group.rank,
///                                      shuffle: true, seed: 42)
/// let loader = DataLoader(train, batchSize: 32, sampler: sampler)
/// for epoch in 0..<10 {
///     for (x, y) in loader.batches(epoch: epoch) { ... }   // reshuffled identically on all ranks
/// }
/// ```
public struct DistributedSampler: Sendable, Equatable {
    /// The number of samples in the dataset.
    public let count: Int
    /// The number of ranks sharing the dataset.
    public let worldSize: Int
    /// This rank.
    public let rank: Int
    /// Whether the order is a seeded permutation that changes every epoch.
    public let shuffle: Bool
    /// The seed of the permutation; the same on every rank.
    public let seed: UInt64
    /// Whether samples that do not fill a last round of `worldSize` are dropped instead of padded.
    public let dropLast: Bool

    /// Creates a sampler.
    ///
    /// - Parameters:
    ///   - count: the dataset's number of samples.
    ///   - worldSize: the number of ranks, at least 1.
    ///   - rank: this rank, in `0..<worldSize`.
    ///   - shuffle: draw a new permutation each epoch.
    ///   - seed: the permutation's seed; must be the same on every rank.
    ///   - dropLast: drop the tail instead of padding it.
    /// - Throws: ``GradusError`` for a rank outside the world, a negative count, or a world larger than the
    ///   dataset with `dropLast` (every rank would get nothing).
    public init(count: Int, worldSize: Int, rank: Int, shuffle: Bool = true, seed: UInt64 = 0, dropLast: Bool = false) throws {
        guard worldSize >= 1 && worldSize <= 1 << 24 else {
            throw GradusError(.invalidArgument, "DistributedSampler: worldSize must be in 1...\(1 << 24), got \(worldSize)")
        }
        guard (0..<worldSize).contains(rank) else {
            throw GradusError(.invalidArgument, "DistributedSampler: rank \(rank) is outside 0..<\(worldSize)")
        }
        guard count >= 0 else { throw GradusError(.invalidArgument, "DistributedSampler: count must not be negative, got \(count)") }
        guard !dropLast || count >= worldSize || count == 0 else {
            throw GradusError(.invalidArgument, "DistributedSampler: \(count) samples cannot give each of \(worldSize) ranks one sample with dropLast")
        }
        self.count = count
        self.worldSize = worldSize
        self.rank = rank
        self.shuffle = shuffle
        self.seed = seed
        self.dropLast = dropLast
    }

    /// The number of samples this rank reads per epoch (the same on every rank).
    public var samplesPerRank: Int {
        dropLast || count % worldSize == 0 ? count / worldSize : count / worldSize + 1
    }

    /// The number of samples all ranks read per epoch (`samplesPerRank · worldSize`).
    public var totalSize: Int { samplesPerRank * worldSize }

    /// The order in which all ranks together visit the samples in `epoch` (padded or cut to ``totalSize``).
    public func globalOrder(epoch: Int) -> [Int] {
        var order: [Int]
        if shuffle {
            var rng = epochGenerator(seed: seed, epoch: epoch)
            order = Tensor.randperm(count, generator: &rng)
        } else {
            order = Array(0..<count)
        }
        if order.count > totalSize {
            order.removeLast(order.count - totalSize)
        } else if order.count < totalSize, !order.isEmpty {
            let original = order
            while order.count < totalSize { order += original.prefix(totalSize - order.count) }
        }
        return order
    }

    /// This rank's samples in `epoch`, in the order it reads them.
    ///
    /// ```swift
    /// let mine = sampler.indices(epoch: 3)
    /// ```
    public func indices(epoch: Int) -> [Int] {
        let order = globalOrder(epoch: epoch)
        return Array(stride(from: rank, to: order.count, by: worldSize).map { order[$0] })
    }
}
