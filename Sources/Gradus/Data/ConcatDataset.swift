/// Several datasets of the same kind one after another (PyTorch's `ConcatDataset`): index 0 is the
/// first dataset's first sample, and the second dataset's samples follow the first's.
///
/// A batch whose indices fall into several parts is collated from their samples; one that falls into a
/// single part is batched by that part (its fast path, for tensor datasets a gather).
///
/// ```swift
/// let all = ConcatDataset([trainA, trainB])
/// let loader = DataLoader(all, batchSize: 64, shuffle: true)
/// ```
public struct ConcatDataset<Part: Dataset>: Dataset {
    /// A sample's input: the parts'.
    public typealias Input = Part.Input
    /// A sample's target: the parts'.
    public typealias Target = Part.Target

    /// The datasets, in order.
    public let parts: [Part]
    /// Where each part starts: the running total of the parts' counts before it.
    private let starts: [Int]

    /// The datasets one after another.
    ///
    /// - Parameter parts: the datasets (any number, empty ones included).
    public init(_ parts: [Part]) {
        self.parts = parts
        var starts: [Int] = []
        var total = 0
        for part in parts {
            starts.append(total)
            total += part.count
        }
        self.starts = starts
        count = total
    }

    /// The number of samples of all parts.
    public let count: Int

    /// The part holding sample `index` and the index within it (`index` in range).
    private func locate(_ index: Int) -> (part: Int, local: Int) {
        // The last part starting at or before `index` that is not empty.
        var low = 0, high = starts.count - 1
        while low < high {
            let mid = (low + high + 1) / 2
            if starts[mid] <= index { low = mid } else { high = mid - 1 }
        }
        while parts[low].count == 0 || index - starts[low] >= parts[low].count { low += 1 }
        return (low, index - starts[low])
    }

    /// The sample at `index`, counting across the parts; negative indices count from the end, as in
    /// PyTorch.
    public func sample(at index: Int) -> (input: Input, target: Target) {
        checked(or: (input: Input.emptyPlaceholder, target: Target.emptyPlaceholder)) {
            let i = index < 0 ? index + count : index
            try require(i >= 0 && i < count, "ConcatDataset: index \(index) is out of range for \(count) samples", .indexOutOfRange)
            let (part, local) = locate(i)
            return parts[part].sample(at: local)
        }
    }

    /// The samples at `indices`: batched by their part when they all fall into one, else collated.
    public func batch(at indices: [Int]) -> (inputs: Input, targets: Target) {
        checked(or: (inputs: Input.emptyPlaceholder, targets: Target.emptyPlaceholder)) {
            if let bad = indices.first(where: { $0 < 0 || $0 >= count }) {
                throw GradusError(.indexOutOfRange, "ConcatDataset: index \(bad) is out of range for \(count) samples")
            }
            let located = indices.map(locate)
            if let first = located.first, located.allSatisfy({ $0.part == first.part }) {
                return parts[first.part].batch(at: located.map(\.local))
            }
            let samples = located.map { parts[$0.part].sample(at: $0.local) }
            return try GradMode.noGrad {
                (inputs: try Input.collate(samples.map(\.input)), targets: try Target.collate(samples.map(\.target)))
            }
        }
    }
}
