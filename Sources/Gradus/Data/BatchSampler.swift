/// Which samples form each batch of an epoch (PyTorch's `batch_sampler`): a ``DataLoader`` made with
/// one reads the batches it gives, of any sizes, instead of cutting one order into equal batches —
/// batches of sequences of similar lengths (less padding), or of one class each.
///
/// ``BatchSampler`` groups any ``DataSampler``'s indices into batches of a size; write your own by
/// conforming to this protocol. Like samplers, batch samplers are seeded by the epoch number, so that
/// runs are reproducible and resume at an epoch.
///
/// ```swift
/// // Sequences sorted by length, cut into batches of 32, the batches in a new order each epoch.
/// struct ByLength: DataBatchSampler {
///     let lengths: [Int]
///     var requiredCount: Int { lengths.count }
///     func batches(epoch: Int) -> [[Int]] {
///         let sorted = lengths.indices.sorted { lengths[$0] < lengths[$1] }
///         var batches = stride(from: 0, to: sorted.count, by: 32).map { Array(sorted[$0..<min($0 + 32, sorted.count)]) }
///         var rng = SeededGenerator(seed: UInt64(truncatingIfNeeded: epoch))
///         batches.shuffle(using: &rng)
///         return batches
///     }
/// }
/// let loader = DataLoader(data, batchSampler: ByLength(lengths: lengths))
/// ```
public protocol DataBatchSampler: Sendable {
    /// The batches of epoch `epoch`, in order: each the dataset indices of one batch (at least one, each
    /// in `0..<requiredCount`).
    func batches(epoch: Int) -> [[Int]]
    /// The number of batches epoch `epoch` gives.
    func batchCount(epoch: Int) -> Int
    /// The least number of samples the dataset must have (the largest index given, plus one).
    var requiredCount: Int { get }
}

extension DataBatchSampler {
    /// The number of batches epoch `epoch` gives: the count of ``batches(epoch:)``.
    public func batchCount(epoch: Int) -> Int { batches(epoch: epoch).count }
}

/// A ``DataSampler``'s indices in batches of `batchSize` (PyTorch's `BatchSampler`): the last batch
/// smaller, or dropped with `dropLast`.
///
/// ```swift
/// let batches = try BatchSampler(SequentialSampler(count: 10), batchSize: 3, dropLast: false)
/// batches.batches(epoch: 0)   // [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
/// let loader = DataLoader(data, batchSampler: batches)
/// ```
public struct BatchSampler: DataBatchSampler {
    /// The sampler whose indices are grouped.
    public let sampler: any DataSampler
    /// The number of indices per batch.
    public let batchSize: Int
    /// Whether a last batch smaller than ``batchSize`` is dropped.
    public let dropLast: Bool

    /// Batches of `batchSize` of `sampler`'s indices.
    ///
    /// - Parameters:
    ///   - sampler: the indices of each epoch, in order (``SequentialSampler``, ``RandomIndexSampler``,
    ///     ``WeightedRandomSampler``, a ``DistributedSampler``, …).
    ///   - batchSize: indices per batch, at least 1.
    ///   - dropLast: drop a last batch smaller than `batchSize`.
    /// - Throws: ``GradusError`` when `batchSize` is below 1.
    ///
    /// ```swift
    /// let batches = try BatchSampler(RandomIndexSampler(count: data.count), batchSize: 64, dropLast: true)
    /// ```
    public init(_ sampler: any DataSampler, batchSize: Int, dropLast: Bool) throws {
        try require(batchSize >= 1, "BatchSampler: batchSize must be at least 1, got \(batchSize)")
        self.sampler = sampler
        self.batchSize = batchSize
        self.dropLast = dropLast
    }

    public var requiredCount: Int { sampler.requiredCount }

    /// The number of batches per epoch (the same in every epoch).
    public func batchCount(epoch: Int) -> Int {
        let samples = Swift.max(0, sampler.samplesPerEpoch)
        // Rounded up without forming samples + batchSize − 1, which overflows for a batch size of Int.max.
        return dropLast || samples % batchSize == 0 ? samples / batchSize : samples / batchSize + 1
    }

    /// The batches of `epoch`: the sampler's indices of that epoch, `batchSize` at a time.
    public func batches(epoch: Int) -> [[Int]] {
        let order = sampler.indices(epoch: epoch)
        var batches: [[Int]] = []
        var start = 0
        while start < order.count {
            let end = start + Swift.min(batchSize, order.count - start)
            if dropLast && end - start < batchSize { break }
            batches.append(Array(order[start..<end]))
            start = end
        }
        return batches
    }
}

/// The samples `0..<count` in order, every epoch (PyTorch's `SequentialSampler`).
///
/// ```swift
/// let batches = try BatchSampler(SequentialSampler(count: data.count), batchSize: 32, dropLast: false)
/// ```
public struct SequentialSampler: DataSampler {
    /// The dataset's size.
    public let count: Int

    /// A sampler of `0..<count`.
    ///
    /// - Parameter count: the dataset's size (a negative count gives no samples).
    public init(count: Int) { self.count = Swift.max(0, count) }

    public var samplesPerEpoch: Int { count }
    public var requiredCount: Int { count }

    /// `0..<count`.
    public func indices(epoch: Int) -> [Int] { Array(0..<count) }
}
