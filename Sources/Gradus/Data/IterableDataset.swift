/// A stream of samples read in order, whose length need not be known in advance (PyTorch's
/// `IterableDataset`): lines of a log, records of files read one after another, samples generated on
/// the fly. Batch it with ``IterableDataLoader``.
///
/// Conforming types make a new pass over their samples for each epoch; `epoch` lets a stream visit
/// its shards in another order, or seed its augmentation, per pass. Inputs and targets are ``Tensor``s
/// unless the type says otherwise (`typealias Input = TensorGroup` for several inputs, `Target` for
/// several targets), as for ``Dataset``.
///
/// ```swift
/// struct Countdown: IterableDataset {
///     func makeSamples(epoch: Int) -> AnyIterator<(input: Tensor, target: Tensor)> {
///         var n = 10
///         return AnyIterator {
///             n -= 1
///             return n < 0 ? nil : (Tensor([Double(n)]), Tensor([Double(2 * n)]))
///         }
///     }
/// }
/// for (x, y) in IterableDataLoader(Countdown(), batchSize: 4) { ... }   // batches of 4, 4 and 2
/// ```
public protocol IterableDataset: Sendable {
    /// The input of one sample: a ``Tensor`` (the default) or a ``TensorGroup``.
    associatedtype Input: Collatable = Tensor
    /// The target of one sample: a ``Tensor`` (the default) or a ``TensorGroup``.
    associatedtype Target: Collatable = Tensor
    /// What a pass reads the samples from.
    associatedtype Samples: IteratorProtocol where Samples.Element == (input: Input, target: Target)

    /// A new pass over the samples, for epoch `epoch` (0, 1, …).
    func makeSamples(epoch: Int) -> Samples
}

/// Batches of an ``IterableDataset``: consecutive samples collated along a new first dimension, in the
/// order the stream gives them (PyTorch's `DataLoader` over an `IterableDataset`; shuffling is the
/// stream's own business, through its `epoch`).
///
/// Iterating the loader (`for batch in loader`) starts the next epoch each time, as ``DataLoader`` does;
/// ``batches(epoch:)`` picks one. Unlike ``DataLoader``, batches are read on the calling thread, and
/// random numbers a stream draws come from wherever it takes them (seed them from the epoch for
/// reproducible augmentation). Samples that cannot be collated together (other shapes, other fields)
/// end the pass with a ``GradusError`` naming their positions in the stream, caught with
/// ``GradusError/catching(_:)`` as every data error is; inside such a scope the pass stops there.
///
/// ```swift
/// let loader = IterableDataLoader(logLines, batchSize: 32, dropLast: true)
/// for epoch in 0..<3 {
///     for (x, y) in loader { ... }
/// }
/// ```
public final class IterableDataLoader<D: IterableDataset>: Sequence, Sendable {
    /// A batch: the collated inputs and targets, samples along the first dimension.
    public typealias Batch = (inputs: D.Input, targets: D.Target)

    /// The stream batches come from.
    public let dataset: D
    /// The number of samples per batch (the last batch may be smaller unless ``dropLast``).
    public let batchSize: Int
    /// Whether a last batch smaller than ``batchSize`` is skipped.
    public let dropLast: Bool

    private let nextEpoch = Locked(0)

    /// Creates a loader.
    ///
    /// - Parameters:
    ///   - dataset: the stream.
    ///   - batchSize: samples per batch, at least 1 (a smaller value is an error, and the loader uses 1).
    ///   - dropLast: skip a last, incomplete batch.
    public init(_ dataset: D, batchSize: Int, dropLast: Bool = false) {
        self.dataset = dataset
        self.batchSize = validSetting(batchSize >= 1, "IterableDataLoader: batchSize must be at least 1, got \(batchSize)") ? batchSize : 1
        self.dropLast = dropLast
    }

    /// The epoch the next `for` loop over the loader reads (0 at first, one more after each loop). Set
    /// it to resume a run at the epoch where it stopped.
    ///
    /// ```swift
    /// loader.epoch = checkpointEpoch + 1
    /// ```
    public var epoch: Int {
        get { nextEpoch.withLock { $0 } }
        set { nextEpoch.withLock { $0 = newValue } }
    }

    /// The batches of one epoch.
    public func batches(epoch: Int) -> Batches {
        Batches(samples: dataset.makeSamples(epoch: epoch), batchSize: batchSize, dropLast: dropLast)
    }

    /// The batches of the next epoch (0 on the first call).
    public func makeIterator() -> Batches {
        let epoch = nextEpoch.withLock { value -> Int in
            defer { value += 1 }
            return value
        }
        return batches(epoch: epoch)
    }

    /// One epoch's batches, read from the stream as they are asked for.
    public struct Batches: IteratorProtocol, Sequence {
        private var samples: D.Samples
        private let batchSize: Int
        private let dropLast: Bool
        private var position = 0
        private var finished = false
        private var streamEnded = false   // the stream's iterator returned nil: not asked again

        init(samples: D.Samples, batchSize: Int, dropLast: Bool) {
            self.samples = samples
            self.batchSize = batchSize
            self.dropLast = dropLast
        }

        /// The next batch, or nil at the end of the stream (or after a failure, see ``IterableDataLoader``).
        public mutating func next() -> Batch? {
            guard !finished else { return nil }
            let result: Batch? = checked(or: nil) {
                var inputs: [D.Input] = [], targets: [D.Target] = []
                inputs.reserveCapacity(Swift.min(batchSize, 1024))   // batchSize may be Int.max: the whole stream
                targets.reserveCapacity(Swift.min(batchSize, 1024))
                while inputs.count < batchSize, !streamEnded {
                    guard let sample = samples.next() else {
                        streamEnded = true
                        break
                    }
                    inputs.append(sample.input)
                    targets.append(sample.target)
                }
                let first = position
                position += inputs.count
                guard !inputs.isEmpty, inputs.count == batchSize || !dropLast else { return nil }
                return try GradMode.noGrad {
                    try collating(first, inputs.count) {
                        (inputs: try D.Input.collate(inputs), targets: try D.Target.collate(targets))
                    }
                }
            }
            if result == nil { finished = true }
            return result
        }

        /// Runs a collation of `count` samples from stream position `first`, naming them in its error.
        private func collating<R>(_ first: Int, _ count: Int, _ body: () throws -> R) throws -> R {
            do {
                return try body()
            } catch let error as GradusError {
                throw GradusError(error.kind, "IterableDataLoader: the samples \(first)..<\(first + count) of the stream "
                                              + "cannot be batched: \(error.message)")
            }
        }
    }
}
