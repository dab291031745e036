import Dispatch
import Synchronization

/// Batches of a ``Dataset``, shuffled from a seed, with the next batch prepared on a background
/// thread while the current one trains (PyTorch's `DataLoader` with a one-batch prefetch).
///
/// Each pass visits every sample exactly once (the last, smaller batch is dropped when `dropLast`).
/// The order depends only on the seed and the epoch number, so runs are reproducible and a resumed
/// run can continue at the epoch where it stopped. Random numbers drawn while a batch is built (a
/// dataset that augments its samples with the default generator) come from a generator of that batch,
/// seeded from the loader's seed, the epoch and the batch's position (as PyTorch seeds each worker):
/// the same on every run, whether the batch is prefetched or not, and apart from what the model draws
/// meanwhile (dropout). Another loader seed draws other augmentations. Iterating the loader itself (`for batch in loader`)
/// starts the next epoch each time, as in PyTorch; ``batches(epoch:)`` picks one explicitly.
///
/// ```swift
/// let loader = DataLoader(train, batchSize: 64, shuffle: true, seed: 42)
/// for epoch in 0..<10 {
///     for (x, y) in loader {              // epoch 0, then 1, ...: a new order each time
///         let loss = crossEntropy(model(x), y)
///         ...
///     }
/// }
///
/// // Several inputs per sample: batches hold a TensorGroup, each field stacked.
/// let pairs = try GroupDataset(["image": images, "features": features], labels)
/// for (group, y) in DataLoader(pairs, batchSize: 32) {
///     let logits = twoInputModel(group)   // group["image"]: [32, ...], group["features"]: [32, ...]
/// }
/// ```
public final class DataLoader<D: Dataset>: Sequence, Sendable {
    /// A batch: inputs (a ``Tensor``, or a ``TensorGroup`` for datasets with several inputs) and
    /// targets (a ``Tensor``, or a ``TensorGroup`` for several targets), samples along the first dimension.
    public typealias Batch = (inputs: D.Input, targets: D.Target)

    /// The dataset batches come from.
    public let dataset: D
    /// The number of samples per batch (the last batch may be smaller unless ``dropLast``).
    public let batchSize: Int
    /// Whether samples are visited in a seeded random order (else in index order).
    public let shuffle: Bool
    /// The seed of the shuffling.
    public let seed: UInt64
    /// Whether a last batch smaller than ``batchSize`` is skipped.
    public let dropLast: Bool
    /// Whether the next batch is prepared on a background thread.
    public let prefetch: Bool
    /// Which samples an epoch reads, in which order (a ``DistributedSampler`` in data-parallel training,
    /// a ``WeightedRandomSampler``, …); nil: every sample, shuffled or not.
    public let sampler: (any DataSampler)?
    /// Which samples form each batch, when the loader was made with one (``init(_:batchSampler:prefetch:)``).
    public let batchSampler: (any DataBatchSampler)?

    private let nextEpoch = Locked(0)

    /// Creates a loader.
    ///
    /// - Parameters:
    ///   - dataset: the samples.
    ///   - batchSize: samples per batch, at least 1.
    ///   - shuffle: visit samples in a seeded random order that changes every epoch.
    ///   - seed: the seed of the order.
    ///   - dropLast: skip a last, incomplete batch.
    ///   - prefetch: prepare the next batch on a background thread.
    ///   - sampler: the indices of each epoch, in order, instead of the loader's own (PyTorch's
    ///     `sampler`): a ``DistributedSampler`` (its `shuffle` and `seed` replace the loader's; its count
    ///     must be the dataset's), a ``WeightedRandomSampler``, ``RandomIndexSampler``,
    ///     ``SubsetRandomSampler`` or your own; its indices must fit the dataset.
    ///
    /// ```swift
    /// let loader = DataLoader(data, batchSize: 32, shuffle: true, seed: 0, dropLast: true)
    /// ```
    public init(_ dataset: D, batchSize: Int, shuffle: Bool = false, seed: UInt64 = 0,
                dropLast: Bool = false, prefetch: Bool = true, sampler: (any DataSampler)? = nil) {
        var sampler = sampler
        if let distributed = sampler as? DistributedSampler {
            if !validSetting(distributed.count == dataset.count,
                             "DataLoader: the sampler covers \(distributed.count) samples, the dataset has \(dataset.count)") {
                sampler = nil
            }
        } else if let given = sampler,
                  !validSetting(given.requiredCount <= dataset.count,
                                "DataLoader: the sampler's indices need \(given.requiredCount) samples, the dataset has \(dataset.count)") {
            sampler = nil
        }
        self.dataset = dataset
        self.batchSize = validSetting(batchSize >= 1, "DataLoader: batchSize must be at least 1, got \(batchSize)") ? batchSize : 1
        let distributed = sampler as? DistributedSampler
        self.shuffle = distributed?.shuffle ?? shuffle
        self.seed = distributed?.seed ?? seed
        self.dropLast = dropLast
        self.prefetch = prefetch
        self.sampler = sampler
        batchSampler = nil
    }

    /// Creates a loader whose batches are those `batchSampler` gives (PyTorch's `batch_sampler`): of any
    /// sizes, in its order. ``batchSize`` is the ``BatchSampler``'s (1 for other batch samplers), and
    /// ``shuffle``, ``seed`` and ``dropLast`` are the batch sampler's business (false, 0, and the
    /// ``BatchSampler``'s setting).
    ///
    /// - Parameters:
    ///   - dataset: the samples.
    ///   - batchSampler: the batches of each epoch; its indices must fit the dataset, each batch at least one.
    ///   - prefetch: prepare the next batch on a background thread.
    ///
    /// ```swift
    /// let batches = try BatchSampler(RandomIndexSampler(count: data.count), batchSize: 64, dropLast: true)
    /// for (x, y) in DataLoader(data, batchSampler: batches) { … }
    /// ```
    public init(_ dataset: D, batchSampler: any DataBatchSampler, prefetch: Bool = true) {
        self.dataset = dataset
        let distributed = (batchSampler as? BatchSampler)?.sampler as? DistributedSampler
        self.batchSampler = validSetting(distributed.map { $0.count == dataset.count } ?? true,
                                         "DataLoader: the batch sampler's DistributedSampler covers \(distributed?.count ?? 0) samples, the dataset has \(dataset.count)")
            && validSetting(batchSampler.requiredCount <= dataset.count,
                            "DataLoader: the batch sampler's indices need \(batchSampler.requiredCount) samples, the dataset has \(dataset.count)")
            ? batchSampler : nil
        let grouping = batchSampler as? BatchSampler
        batchSize = grouping?.batchSize ?? 1
        shuffle = false
        seed = 0
        dropLast = grouping?.dropLast ?? false
        self.prefetch = prefetch
        sampler = nil
    }

    /// The number of samples one epoch reads: the dataset's, or this rank's share.
    private var samplesPerEpoch: Int { sampler?.samplesPerEpoch ?? dataset.count }

    /// The number of batches per epoch.
    public var count: Int {
        if let batchSampler { return Swift.max(0, batchSampler.batchCount(epoch: epoch)) }
        // Rounded up without forming samples + batchSize - 1, which overflows for a batch size of Int.max.
        let full = samplesPerEpoch / batchSize
        return dropLast || samplesPerEpoch % batchSize == 0 ? full : full + 1
    }

    /// The epoch that the next `for … in loader` will run; set it to resume a run.
    ///
    /// ```swift
    /// loader.epoch = checkpointEpoch + 1
    /// ```
    public var epoch: Int {
        get { nextEpoch.withLock { $0 } }
        set { nextEpoch.withLock { $0 = newValue } }
    }

    /// The order in which samples are visited in `epoch`: a permutation of `0..<dataset.count`
    /// (the identity without shuffling), or the sampler's indices when the loader has one.
    ///
    /// ```swift
    /// let first = loader.order(epoch: 0)[0]
    /// ```
    public func order(epoch: Int) -> [Int] {
        if let batchSampler { return batchSampler.batches(epoch: epoch).flatMap { $0 } }
        if let sampler { return sampler.indices(epoch: epoch) }
        guard shuffle else { return Array(0..<dataset.count) }
        var rng = epochGenerator(seed: seed, epoch: epoch)
        return Tensor.randperm(dataset.count, generator: &rng)
    }

    /// The batches of one epoch, without advancing ``epoch``.
    ///
    /// ```swift
    /// for (x, y) in loader.batches(epoch: 3) { ... }
    /// ```
    public func batches(epoch: Int) -> Epoch {
        if let batchSampler {
            // A batch sampler is code of the caller's: its batches are checked before any is read.
            var groups = batchSampler.batches(epoch: epoch)
            let count = dataset.count
            if let bad = groups.firstIndex(where: { $0.isEmpty || $0.contains { !(0..<count).contains($0) } }),
               !validSetting(false, groups[bad].isEmpty
                                ? "DataLoader: batch \(bad) of the batch sampler's epoch \(epoch) is empty"
                                : "DataLoader: batch \(bad) of the batch sampler's epoch \(epoch) holds an index outside the dataset's \(count) samples") {
                groups = []
            }
            return Epoch(dataset: dataset, order: groups.flatMap { $0 }, batchSize: batchSize, batchCount: groups.count,
                         prefetch: prefetch, seed: seed, number: epoch, groups: groups)
        }
        // Batches of the order given (a sampler of your own may give fewer indices than it announced).
        let order = order(epoch: epoch)
        let full = order.count / batchSize
        return Epoch(dataset: dataset, order: order, batchSize: batchSize,
                     batchCount: dropLast || order.count % batchSize == 0 ? full : full + 1,
                     prefetch: prefetch, seed: seed, number: epoch)
    }

    /// Starts the next epoch (see ``epoch``) and iterates its batches.
    public func makeIterator() -> Epoch.Iterator {
        let e = nextEpoch.withLock { value -> Int in
            defer { value += 1 }
            return value
        }
        return batches(epoch: e).makeIterator()
    }

    /// The batches of one epoch, in a fixed order.
    public struct Epoch: Sequence, Sendable {
        let dataset: D
        /// The order in which samples are visited.
        public let order: [Int]
        let batchSize: Int
        let batchCount: Int
        let prefetch: Bool
        /// The loader's seed and this epoch's number, from which each batch's generator is seeded.
        let seed: UInt64
        let number: Int
        /// Each batch's indices, when a batch sampler gave them (else `order` cut into `batchSize`s).
        var groups: [[Int]]? = nil

        /// The number of batches.
        public var count: Int { batchCount }

        /// An iterator that prepares each batch one step ahead on a background thread.
        public func makeIterator() -> Iterator { Iterator(epoch: self) }

        /// The samples of batch `k`.
        /// Batch `k`, built with the default generator of its own (see ``DataLoader``), on whichever
        /// thread builds it.
        func build(_ k: Int) -> Batch {
            var base = SeededGenerator(seed: seed ^ 0xD1B5_4A32_D192_ED03)
            let batchSeed = base.next() &+ UInt64(truncatingIfNeeded: number) &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(truncatingIfNeeded: k)
            return Random.withSeed(batchSeed) { dataset.batch(at: indices(k)) }
        }

        func indices(_ k: Int) -> [Int] {
            if let groups { return groups[k] }
            return Array(order[(k * batchSize)..<Swift.min((k + 1) * batchSize, order.count)])
        }

        /// Iterates the batches of an ``Epoch``.
        public struct Iterator: IteratorProtocol {
            let epoch: Epoch
            var position = 0
            var pending: PendingBatch<Batch>?

            init(epoch: Epoch) { self.epoch = epoch }

            /// The next batch, or `nil` at the end of the epoch.
            public mutating func next() -> Batch? {
                guard position < epoch.batchCount else { return nil }
                let batch = pending?.wait() ?? epoch.build(position)
                position += 1
                pending = nil
                if epoch.prefetch && position < epoch.batchCount {
                    let (epoch, k) = (epoch, position)
                    pending = PendingBatch<Batch> { epoch.build(k) }
                }
                return batch
            }
        }
    }
}

/// A batch being prepared on a background thread.
///
/// The background thread has no ``GradusError/catching(_:)`` scope of the caller's, so the work runs in
/// a scope of its own: a batch that fails (samples of different shapes, a label out of range) is
/// dropped there, and ``wait()`` returns nil, so that the caller prepares it again on its own thread,
/// where the failure goes to the caller's scope (or stops the program with its message, outside one).
final class PendingBatch<Value: Sendable>: Sendable {
    private let done = DispatchSemaphore(value: 0)
    private let result = Locked<Value?>(nil)

    init(_ work: @escaping @Sendable () -> Value) {
        DispatchQueue.global(qos: .userInitiated).async { [self] in
            let batch = try? GradusError.catching { work() }
            result.withLock { $0 = batch }
            done.signal()
        }
    }

    /// Blocks until the batch is ready and returns it; nil when preparing it failed.
    func wait() -> Value? {
        done.wait()
        return result.withLock { $0 }
    }
}
