/// Fixed-length windows of a token sequence for next-token prediction: sample `i` is the tokens
/// `start ..< start + length` as input and the same window shifted by one as target (int64, shape
/// `[length]` each), the standard language-model training pairs.
///
/// Windows start every `stride` tokens (default: `length`, no overlap). ``split(validationFraction:seed:)``
/// cuts the *sequence* into a training and a validation stretch (a seeded choice of contiguous blocks),
/// so that no validation token is ever inside a training window.
///
/// ```swift
/// let tokens = ByteTokenizer().encode(text)
/// let data = try TextWindowDataset(tokens: tokens, length: 64)
/// let (train, validation) = try data.split(validationFraction: 0.1, seed: 0)
/// let loader = DataLoader(train, batchSize: 32, shuffle: true)
/// ```
public struct TextWindowDataset: Dataset {
    /// The token ids.
    public let tokens: [Int]
    /// Tokens per window.
    public let length: Int
    /// Tokens between the starts of consecutive windows.
    public let stride: Int

    /// Windows of `length` tokens (plus the one after each, for the target) every `stride` tokens.
    ///
    /// - Throws: a ``GradusError`` when `length` or `stride` is not positive, a token is negative, or the
    ///   sequence is too short for one window.
    public init(tokens: [Int], length: Int, stride: Int? = nil) throws {
        let stride = stride ?? length
        try require(length >= 1 && stride >= 1, "TextWindowDataset: length \(length) and stride \(stride) must be positive", .invalidArgument)
        if let i = tokens.firstIndex(where: { $0 < 0 }) {
            throw GradusError(.indexOutOfRange, "TextWindowDataset: token \(tokens[i]) at position \(i) is negative")
        }
        try require(tokens.count > length,
                    "TextWindowDataset: \(tokens.count) tokens cannot make one window of \(length) tokens and its next-token target; give more text or a shorter length",
                    .invalidArgument)
        self.tokens = tokens
        self.length = length
        self.stride = stride
    }

    /// The number of windows.
    public var count: Int { (tokens.count - length - 1) / stride + 1 }

    /// Window `index`: its tokens and the tokens one position later.
    public func sample(at index: Int) -> (input: Tensor, target: Tensor) {
        checked(or: (Tensor.placeholder(), Tensor.placeholder())) {
            try require(index >= 0 && index < count, "TextWindowDataset: index \(index) is out of range 0..<\(count)", .indexOutOfRange)
            let start = index * stride
            return (Tensor(shape: [length], integers: Array(tokens[start..<(start + length)])),
                    Tensor(shape: [length], integers: Array(tokens[(start + 1)...(start + length)])))
        }
    }

    /// The sequence cut into a training and a validation dataset: it is divided into 20 contiguous
    /// blocks, a seeded choice of `validationFraction` of them (at least one) forms the validation
    /// stretch, the rest the training one, each joined in order and windowed as this dataset is (a
    /// window may cross the join between two blocks that were not neighbours).
    ///
    /// - Throws: a ``GradusError`` when the fraction is not in (0, 1) or a part is too short for a window.
    public func split(validationFraction: Double, seed: UInt64) throws -> (train: TextWindowDataset, validation: TextWindowDataset) {
        try require(validationFraction > 0 && validationFraction < 1,
                    "TextWindowDataset.split: validationFraction \(validationFraction) is not in (0, 1)", .invalidArgument)
        let blocks = 20
        let bounds = (0...blocks).map { $0 * tokens.count / blocks }
        var rng = SeededGenerator(seed: seed)
        let chosen = Set(Array(0..<blocks).shuffled(using: &rng).prefix(Swift.max(1, Int((Double(blocks) * validationFraction).rounded()))))
        var train: [Int] = [], validation: [Int] = []
        for b in 0..<blocks {
            let piece = tokens[bounds[b]..<bounds[b + 1]]
            if chosen.contains(b) { validation += piece } else { train += piece }
        }
        return (try TextWindowDataset(tokens: train, length: length, stride: stride),
                try TextWindowDataset(tokens: validation, length: length, stride: stride))
    }
}
