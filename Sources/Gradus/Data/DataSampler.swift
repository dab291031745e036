/// Which samples a ``DataLoader`` reads in an epoch, and in which order (PyTorch's
/// `torch.utils.data.Sampler`; the name `Sampler` is the tuner's, which draws hyperparameters): a
/// sampler gives the dataset indices of each epoch, from its own seed and the epoch number, so that runs
/// are reproducible and resume at an epoch.
///
/// Gradus has ``DistributedSampler`` (one process's share in data-parallel training),
/// ``WeightedRandomSampler`` (classes drawn by weight, for imbalanced data), ``RandomIndexSampler`` (with or
/// without replacement, any number of samples), ``SubsetRandomSampler`` (a shuffled subset) and
/// ``SequentialSampler`` (in order). Write your own by conforming to this protocol; to choose the
/// samples of each batch rather than one order, see ``DataBatchSampler``.
///
/// ```swift
/// let sampler = try WeightedRandomSampler(weights: perSampleWeights, numSamples: data.count)
/// for (x, y) in DataLoader(data, batchSize: 64, sampler: sampler) { … }
/// ```
public protocol DataSampler: Sendable {
    /// The dataset indices that epoch `epoch` visits, in order; each in `0..<requiredCount`.
    func indices(epoch: Int) -> [Int]
    /// How many indices an epoch gives.
    var samplesPerEpoch: Int { get }
    /// The least number of samples the dataset must have (the largest index given, plus one).
    var requiredCount: Int { get }
}

extension DistributedSampler: DataSampler {
    /// This rank's share: ``samplesPerRank``.
    public var samplesPerEpoch: Int { samplesPerRank }
    /// The dataset's size, which the sampler was made for.
    public var requiredCount: Int { count }
}

/// The generator of one epoch of a seeded order (the loader's shuffle and every sampler): seeded from
/// the first draw of `seed`'s generator plus the epoch.
func epochGenerator(seed: UInt64, epoch: Int) -> SeededGenerator {
    var base = SeededGenerator(seed: seed)
    return SeededGenerator(seed: base.next() &+ UInt64(truncatingIfNeeded: epoch))
}

/// Indices drawn with probabilities proportional to their weights (PyTorch's
/// `WeightedRandomSampler`): give each sample the inverse of its class's frequency and batches come out
/// balanced.
///
/// With replacement (the default) an index can come several times in an epoch; without it, at most once
/// (then `numSamples` may not exceed the number of positive weights). Draws are seeded by `seed` and
/// the epoch.
///
/// ```swift
/// let counts = labels.bincount().scalars(as: Double.self)
/// let weights = labels.intScalars.map { 1 / counts[$0] }
/// let sampler = try WeightedRandomSampler(weights: weights, numSamples: weights.count)
/// ```
public struct WeightedRandomSampler: DataSampler {
    /// One weight per dataset sample (non-negative, finite, not all zero).
    public let weights: [Double]
    /// The number of indices drawn per epoch.
    public let numSamples: Int
    /// Whether an index may be drawn more than once in an epoch.
    public let replacement: Bool
    /// The seed of the draws.
    public let seed: UInt64
    /// The running totals of the weights, for drawing with replacement.
    private let cumulative: [Double]

    /// A sampler over `weights.count` samples.
    ///
    /// - Parameters:
    ///   - weights: one non-negative, finite weight per sample; not all zero.
    ///   - numSamples: indices per epoch (≥ 0).
    ///   - replacement: draw with replacement (PyTorch's default).
    ///   - seed: the seed of the draws.
    /// - Throws: ``GradusError`` naming the weight or count that is not allowed.
    public init(weights: [Double], numSamples: Int, replacement: Bool = true, seed: UInt64 = 0) throws {
        if let i = weights.firstIndex(where: { !($0.isFinite && $0 >= 0) }) {
            throw GradusError(.invalidArgument, "WeightedRandomSampler: weight \(i) is \(weights[i]); weights must be finite and non-negative")
        }
        try require(numSamples >= 0, "WeightedRandomSampler: numSamples must not be negative, got \(numSamples)")
        var total = 0.0
        var cumulative: [Double] = []
        cumulative.reserveCapacity(weights.count)
        for w in weights { total += w; cumulative.append(total) }
        try require(total > 0 || numSamples == 0, "WeightedRandomSampler: the weights are all zero; no index can be drawn")
        try require(total.isFinite, "WeightedRandomSampler: the weights' sum overflows")
        let positive = weights.lazy.filter { $0 > 0 }.count
        try require(replacement || numSamples <= positive,
                    "WeightedRandomSampler: \(numSamples) samples without replacement, but only \(positive) weights are positive")
        self.weights = weights
        self.numSamples = numSamples
        self.replacement = replacement
        self.seed = seed
        self.cumulative = cumulative
    }

    public var samplesPerEpoch: Int { numSamples }
    public var requiredCount: Int { weights.count }

    /// The indices of `epoch`.
    public func indices(epoch: Int) -> [Int] {
        var rng = epochGenerator(seed: seed, epoch: epoch)
        guard let total = cumulative.last, total > 0 else { return [] }
        if replacement {
            return (0..<numSamples).map { _ in
                // The first index whose running total exceeds u·total: its weight is positive, since
                // the total before it is at most u. u stays below the total (a draw just below 1 times the
                // total can round up to it, and no running total would exceed it).
                let u = Swift.min(rng.nextUnit() * total, total.nextDown)
                var low = 0, high = cumulative.count - 1
                while low < high {
                    let mid = (low + high) / 2
                    if cumulative[mid] > u { high = mid } else { low = mid + 1 }
                }
                return low
            }
        }
        // Without replacement: the numSamples smallest keys −log(u)/w (exponential races), which draws
        // each next index with probability proportional to its weight among those left.
        var keyed: [(key: Double, index: Int)] = []
        keyed.reserveCapacity(weights.count)
        for (i, w) in weights.enumerated() where w > 0 {
            keyed.append((-Double.log(1 - rng.nextUnit()) / w, i))
        }
        keyed.sort { $0.key < $1.key || ($0.key == $1.key && $0.index < $1.index) }
        return keyed.prefix(numSamples).map(\.index)
    }
}

/// Samples in a random order (PyTorch's `RandomSampler`; Gradus's `RandomSampler` is the tuner's): a
/// new permutation each epoch, or, with
/// `replacement`, `numSamples` independent draws; without replacement more samples than the dataset
/// has come from successive permutations.
///
/// ```swift
/// let sampler = try RandomIndexSampler(count: data.count, replacement: true, numSamples: 10_000)
/// ```
public struct RandomIndexSampler: DataSampler {
    /// The dataset's size.
    public let count: Int
    /// Whether draws are independent (an index may repeat).
    public let replacement: Bool
    /// Indices per epoch.
    public let numSamples: Int
    /// The seed of the order.
    public let seed: UInt64

    /// A random sampler over `count` samples.
    ///
    /// - Parameters:
    ///   - count: the dataset's size.
    ///   - replacement: draw independently.
    ///   - numSamples: indices per epoch; nil for `count`.
    ///   - seed: the seed of the order.
    /// - Throws: ``GradusError`` for negative sizes, or samples to draw from an empty dataset.
    public init(count: Int, replacement: Bool = false, numSamples: Int? = nil, seed: UInt64 = 0) throws {
        try require(count >= 0, "RandomIndexSampler: count must not be negative, got \(count)")
        let n = numSamples ?? count
        try require(n >= 0, "RandomIndexSampler: numSamples must not be negative, got \(n)")
        try require(count > 0 || n == 0, "RandomIndexSampler: \(n) samples from an empty dataset")
        self.count = count
        self.replacement = replacement
        self.numSamples = n
        self.seed = seed
    }

    public var samplesPerEpoch: Int { numSamples }
    public var requiredCount: Int { count }

    /// The indices of `epoch`.
    public func indices(epoch: Int) -> [Int] {
        var rng = epochGenerator(seed: seed, epoch: epoch)
        if replacement {
            return (0..<numSamples).map { _ in Swift.min(count - 1, Int(rng.nextUnit() * Double(count))) }
        }
        var out: [Int] = []
        out.reserveCapacity(numSamples)
        while out.count < numSamples {
            out += Tensor.randperm(count, generator: &rng).prefix(numSamples - out.count)
        }
        return out
    }
}

/// The given indices in a new random order each epoch (PyTorch's `SubsetRandomSampler`): train on
/// part of a dataset without building a ``Subset``.
///
/// ```swift
/// let sampler = SubsetRandomSampler(indices: Array(0..<5_000), seed: 1)
/// ```
public struct SubsetRandomSampler: DataSampler {
    /// The dataset indices visited each epoch.
    public let subset: [Int]
    /// The seed of the order.
    public let seed: UInt64

    /// A sampler of `indices` (each non-negative; the loader checks them against its dataset).
    ///
    /// - Throws: ``GradusError`` for a negative index.
    public init(indices: [Int], seed: UInt64 = 0) throws {
        if let bad = indices.first(where: { $0 < 0 }) {
            throw GradusError(.indexOutOfRange, "SubsetRandomSampler: index \(bad) is negative")
        }
        subset = indices
        self.seed = seed
    }

    public var samplesPerEpoch: Int { subset.count }
    public var requiredCount: Int { subset.max().map { $0 == Int.max ? Int.max : $0 + 1 } ?? 0 }

    /// The indices of `epoch`.
    public func indices(epoch: Int) -> [Int] {
        var rng = epochGenerator(seed: seed, epoch: epoch)
        return Tensor.randperm(subset.count, generator: &rng).map { subset[$0] }
    }
}
