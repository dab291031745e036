/// The samples of a base dataset at chosen indices (PyTorch's `Subset`); its inputs and targets are the
/// base's (a ``Tensor``, a ``TensorGroup``, …).
///
/// ```swift
/// let firstHundred = Subset(base: data, indices: Array(0..<100))
/// ```
public struct Subset<Base: Dataset>: Dataset {
    /// A sample's input: the base dataset's.
    public typealias Input = Base.Input
    /// A sample's target: the base dataset's.
    public typealias Target = Base.Target

    /// The dataset the samples come from.
    public let base: Base
    /// The base indices of this subset's samples, in order.
    public let indices: [Int]

    /// Creates a subset; every index must be in `0..<base.count`.
    public init(base: Base, indices: [Int]) {
        var indices = indices
        if let bad = indices.first(where: { $0 < 0 || $0 >= base.count }),
           !validSetting(false, "Subset: index \(bad) is out of range 0..<\(base.count)") {
            indices = indices.filter { $0 >= 0 && $0 < base.count }
        }
        self.base = base
        self.indices = indices
    }

    /// The number of samples.
    public var count: Int { indices.count }

    /// The base sample at `indices[index]`.
    public func sample(at index: Int) -> (input: Base.Input, target: Base.Target) {
        checked(or: (input: Input.emptyPlaceholder, target: Target.emptyPlaceholder)) {
            try require(index >= 0 && index < count, "Subset: index \(index) is out of range 0..<\(count)", .indexOutOfRange)
            return base.sample(at: indices[index])
        }
    }

    /// The base samples at the mapped indices, batched by the base.
    public func batch(at batchIndices: [Int]) -> (inputs: Base.Input, targets: Base.Target) {
        checked(or: (inputs: Input.emptyPlaceholder, targets: Target.emptyPlaceholder)) {
            if let bad = batchIndices.first(where: { $0 < 0 || $0 >= count }) {
                throw GradusError(.indexOutOfRange, "Subset: index \(bad) is out of range 0..<\(count)")
            }
            return base.batch(at: batchIndices.map { indices[$0] })
        }
    }
}

/// The indices `0..<count` shuffled with `seed` and cut into consecutive pieces of `lengths`.
func splitIndices(count: Int, lengths: [Int], seed: UInt64) throws -> [[Int]] {
    // Summed with overflow checks: lengths such as [Int.max, 1] must be refused, not trap.
    let total = lengths.reduce(Int?.some(0)) { sum, n in
        guard let sum, n >= 0 else { return nil }
        let (s, overflow) = sum.addingReportingOverflow(n)
        return overflow ? nil : s
    }
    try require(total == count, "randomSplit: lengths \(lengths) do not add up to the dataset size \(count)")
    var rng = SeededGenerator(seed: seed)
    let order = Tensor.randperm(count, generator: &rng)
    var parts: [[Int]] = []
    var start = 0
    for n in lengths {
        parts.append(Array(order[start..<(start + n)]))
        start += n
    }
    return parts
}

/// Splits `dataset` at random into non-overlapping subsets of the given sizes (PyTorch's
/// `random_split`); the same seed gives the same split.
///
/// - Parameters:
///   - dataset: the dataset to split.
///   - lengths: the size of each part; they must add up to `dataset.count`.
///   - seed: the seed of the permutation.
///
/// ```swift
/// let parts = randomSplit(data, lengths: [800, 200], seed: 0)
/// let (train, validation) = (parts[0], parts[1])
/// ```
public func randomSplit<D: Dataset>(_ dataset: D, lengths: [Int], seed: UInt64) throws -> [Subset<D>] {
    try splitIndices(count: dataset.count, lengths: lengths, seed: seed).map { Subset(base: dataset, indices: $0) }
}

/// Splits `dataset` at random into fractions that add up to 1; sizes are rounded down and the
/// remainder goes to the first parts, one sample each, as PyTorch does.
///
/// ```swift
/// let parts = randomSplit(data, fractions: [0.8, 0.2], seed: 0)
/// ```
public func randomSplit<D: Dataset>(_ dataset: D, fractions: [Double], seed: UInt64) throws -> [Subset<D>] {
    try require(!fractions.isEmpty && fractions.allSatisfy { $0 >= 0 } && abs(fractions.reduce(0, +) - 1) < 1e-9,
                 "randomSplit: fractions \(fractions) must be non-negative and add up to 1")
    return try randomSplit(dataset, lengths: fractionLengths(count: dataset.count, fractions: fractions), seed: seed)
}

/// PyTorch's lengths for a split by fractions: each rounded down, then the samples left over given one
/// each to the parts in order (`random_split`'s rule; 100 at [0.29, 0.71] gives 29 and 71).
func fractionLengths(count: Int, fractions: [Double]) -> [Int] {
    var lengths = fractions.map { Int((Double(count) * $0).rounded(.down)) }
    var rest = count - lengths.reduce(0, +)
    var i = 0
    while rest > 0 { lengths[i % lengths.count] += 1; rest -= 1; i += 1 }
    return lengths
}
