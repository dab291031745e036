/// Sums, means or maxima of bags of embeddings, without building the `[bag, entry, dim]` tensor of
/// every looked-up row (PyTorch's `nn.EmbeddingBag`): the usual first layer of models over sets of
/// categorical features (words of a document, items of a basket).
///
/// Bags come as a 2-D input `[B, N]` (each row one bag of N indices) or as a 1-D input of all indices
/// with `offsets`, the position at which each bag starts. Entries equal to `paddingIdx` are left out of
/// their bag (and of its count, for the mean); an empty bag gives zeros.
///
/// ```swift
/// let bag = EmbeddingBag(10_000, 64, mode: .mean)
/// let documents = bag(Tensor(labels: [4, 8, 15, 16, 23, 42]), offsets: Tensor(labels: [0, 2]))   // [2, 64]
/// ```
public final class EmbeddingBag: Module, Layer {
    /// How a bag's rows are combined (PyTorch's `mode`).
    public enum Mode: String, Sendable, CaseIterable {
        /// The sum (with per-sample weights, the weighted sum).
        case sum
        /// The mean over the bag's entries that are not padding.
        case mean
        /// The element-wise maximum.
        case max
    }

    /// The table, `[numEmbeddings, embeddingDim]`.
    @Parameter public var weight: Tensor
    /// How bags are combined.
    public let mode: Mode
    /// The index left out of every bag (counted from the start), or nil.
    public let paddingIdx: Int?
    /// Whether `offsets` has one entry more than there are bags, the end of the last one (PyTorch's
    /// `include_last_offset`).
    public let includeLastOffset: Bool
    /// When set, looked-up rows whose ``normType``-norm exceeds it are rescaled in place to this norm.
    public let maxNorm: Double?
    /// The p of the norm that ``maxNorm`` bounds.
    public let normType: Double

    /// The number of rows.
    public var numEmbeddings: Int { _weight.shape[0] }
    /// The size of each vector.
    public var embeddingDim: Int { _weight.shape[1] }

    /// A bag layer over the given table.
    ///
    /// - Parameters:
    ///   - weight: `[numEmbeddings, embeddingDim]`.
    ///   - mode: ``Mode/mean`` by default, as in PyTorch.
    ///   - paddingIdx: an index left out of every bag, in `-numEmbeddings..<numEmbeddings`, or nil.
    ///   - includeLastOffset: whether offsets end with the end of the last bag.
    ///   - maxNorm: rescale looked-up rows whose norm exceeds it, in place, or nil.
    ///   - normType: the p of that norm.
    ///
    /// ```swift
    /// let bag = EmbeddingBag(weight: pretrained, mode: .sum)
    /// ```
    public init(weight: Tensor, mode: Mode = .mean, paddingIdx: Int? = nil, includeLastOffset: Bool = false,
                maxNorm: Double? = nil, normType: Double = 2) {
        let rows = weight.rank == 2 ? weight.shape[0] : 0
        let validWeight = validSetting(weight.rank == 2 && weight.dtype.isFloatingPoint,
                                       "EmbeddingBag: weight must be a floating-point [numEmbeddings, embeddingDim] table, got \(weight.dtype) \(weight.shape)")
        let validPadding = paddingIdx.map { p in
            validSetting(p >= -rows && p < rows, "EmbeddingBag: paddingIdx \(p) is outside -\(rows)..<\(rows)")
        } ?? true
        self.weight = (validWeight ? weight : Tensor.zeros([0, 0])).requiringGrad()
        self.mode = mode
        self.paddingIdx = validPadding ? paddingIdx.map { Embedding.normalizedPaddingIdx($0, rows: rows) } : nil
        self.includeLastOffset = includeLastOffset
        self.maxNorm = maxNorm
        self.normType = normType
        super.init()
    }

    /// A table initialized from N(0, 1) with `generator` (the `paddingIdx` row zero), as in PyTorch.
    ///
    /// ```swift
    /// var rng = SeededGenerator(seed: 0)
    /// let bag = EmbeddingBag(100, 8, mode: .sum, generator: &rng)
    /// ```
    public convenience init(_ numEmbeddings: Int, _ embeddingDim: Int, mode: Mode = .mean, paddingIdx: Int? = nil,
                            includeLastOffset: Bool = false, maxNorm: Double? = nil, normType: Double = 2,
                            dtype: DType = .float32, generator: inout SeededGenerator) {
        let sizesValid = validSetting(numEmbeddings >= 0 && embeddingDim >= 0,
                                      "EmbeddingBag: sizes must not be negative, got \(numEmbeddings), \(embeddingDim)")
        let (rows, columns) = sizesValid ? (numEmbeddings, embeddingDim) : (0, 0)
        let w = Tensor.normal([rows, columns], dtype: dtype, generator: &generator)
        if let paddingIdx, paddingIdx >= -rows && paddingIdx < rows, w.shape == [rows, columns] {
            let row = Embedding.normalizedPaddingIdx(paddingIdx, rows: rows)
            (w.rawPointer + row * columns * dtype.byteSize).initializeMemory(as: UInt8.self, repeating: 0, count: columns * dtype.byteSize)
        }
        self.init(weight: w, mode: mode, paddingIdx: paddingIdx, includeLastOffset: includeLastOffset, maxNorm: maxNorm, normType: normType)
    }

    /// A table initialized from N(0, 1) with the default generator (``Random``).
    public convenience init(_ numEmbeddings: Int, _ embeddingDim: Int, mode: Mode = .mean, paddingIdx: Int? = nil,
                            includeLastOffset: Bool = false, maxNorm: Double? = nil, normType: Double = 2, dtype: DType = .float32) {
        var g = splitDefaultGenerator()
        self.init(numEmbeddings, embeddingDim, mode: mode, paddingIdx: paddingIdx, includeLastOffset: includeLastOffset,
                  maxNorm: maxNorm, normType: normType, dtype: dtype, generator: &g)
    }

    /// Combines the bags of a 2-D input `[B, N]`, giving `[B, embeddingDim]`.
    public func callAsFunction(_ input: Tensor) -> Tensor { self(input, offsets: nil) }

    /// Combines bags: the rows of a 2-D `input` (without offsets), or the runs of a 1-D `input` that
    /// `offsets` starts; see ``Functional/embeddingBag(_:weight:offsets:mode:perSampleWeights:includeLastOffset:paddingIdx:maxNorm:normType:)``.
    ///
    /// - Parameters:
    ///   - input: int64 indices, `[B, N]` or `[L]`.
    ///   - offsets: for a 1-D input, int64 `[B]` (or `[B + 1]` with ``includeLastOffset``), starting at 0.
    ///   - perSampleWeights: a weight per index, shaped like `input` (``Mode/sum`` only).
    /// - Returns: `[B, embeddingDim]`.
    public func callAsFunction(_ input: Tensor, offsets: Tensor?, perSampleWeights: Tensor? = nil) -> Tensor {
        withForwardHooks(input) { input in
            Functional.embeddingBag(input, weight: weight, offsets: offsets, mode: mode, perSampleWeights: perSampleWeights,
                                    includeLastOffset: includeLastOffset, paddingIdx: paddingIdx, maxNorm: maxNorm, normType: normType)
        }
    }

    /// The configuration shown by ``Module/description``.
    public override var extraDescription: String {
        "\(numEmbeddings), \(embeddingDim), mode: \(mode.rawValue)" + (paddingIdx.map { ", paddingIdx: \($0)" } ?? "")
            + (includeLastOffset ? ", includeLastOffset: true" : "")
    }
}

extension Functional {
    /// Sums, means or maxima of bags of rows of `weight` (PyTorch's `F.embedding_bag`); see ``EmbeddingBag``.
    ///
    /// The gradient reaches the rows each bag read (not the padding row) and the per-sample weights; in
    /// ``EmbeddingBag/Mode/max`` mode it is shared among rows tied for a maximum.
    ///
    /// - Parameters:
    ///   - input: int64 indices, `[B, N]` (each row a bag) or `[L]` with `offsets`.
    ///   - weight: `[numEmbeddings, embeddingDim]`.
    ///   - offsets: for a 1-D input, int64 `[B]` bag starts (the first 0, non-decreasing, at most L), or
    ///     `[B + 1]` ending with L when `includeLastOffset` (PyTorch's documented form; another last offset
    ///     is refused, where PyTorch's kernel still reads to the end).
    ///   - mode: ``EmbeddingBag/Mode/mean`` by default.
    ///   - perSampleWeights: a weight per index shaped like `input`, multiplying its row (``EmbeddingBag/Mode/sum`` only).
    ///   - includeLastOffset: whether `offsets` ends with the end of the last bag.
    ///   - paddingIdx: an index left out of its bag, or nil.
    ///   - maxNorm: rescale looked-up rows whose norm exceeds it, in place, or nil.
    ///   - normType: the p of that norm.
    /// - Returns: `[B, embeddingDim]`.
    ///
    /// ```swift
    /// let sums = Functional.embeddingBag(Tensor(shape: [2, 3], integers: [1, 2, 4, 4, 3, 2]), weight: table, mode: .sum)
    /// ```
    public static func embeddingBag(_ input: Tensor, weight: Tensor, offsets: Tensor? = nil, mode: EmbeddingBag.Mode = .mean,
                                    perSampleWeights: Tensor? = nil, includeLastOffset: Bool = false, paddingIdx: Int? = nil,
                                    maxNorm: Double? = nil, normType: Double = 2) -> Tensor {
        checked {
            let op = "embeddingBag"
            try require(weight.rank == 2 && weight.dtype.isFloatingPoint,
                        "\(op): weight must be a floating-point [numEmbeddings, embeddingDim] table, got \(weight.dtype) \(weight.shape)", .shapeMismatch)
            try require(input.dtype == .int64, "\(op): indices must be int64, got \(input.dtype)", .dtypeMismatch)
            let (rows, dim) = (weight.shape[0], weight.shape[1])
            let indices = input.intScalars
            // Each bag's range of positions in the flattened input.
            var starts: [Int]
            switch input.rank {
            case 2:
                try require(offsets == nil, "\(op): offsets must be nil when input is 2-D ([bags, entries]), got offsets \(offsets!.shape)", .invalidArgument)
                let (b, n) = (input.shape[0], input.shape[1])
                starts = (0...b).map { $0 * n }
            case 1:
                guard let offsets else {
                    throw GradusError(.invalidArgument, "\(op): a 1-D input needs offsets (where each bag starts)", op: op)
                }
                try require(offsets.rank == 1 && offsets.dtype == .int64, "\(op): offsets must be a 1-D int64 tensor, got \(offsets.dtype) \(offsets.shape)", .shapeMismatch)
                starts = offsets.intScalars
                if includeLastOffset {
                    try require(starts.last == indices.count,
                                "\(op): with includeLastOffset, offsets must end with the input's length \(indices.count), got \(starts.last.map(String.init) ?? "no offsets")",
                                .invalidArgument)
                } else {
                    starts.append(indices.count)
                }
                try require(starts.first.map { $0 == 0 } ?? true || starts.count == 1,
                            "\(op): offsets must start at 0, got \(starts.first ?? 0)", .invalidArgument)
                for (a, b) in zip(starts, starts.dropFirst()) {
                    try require(a <= b && b <= indices.count,
                                "\(op): offsets must be non-decreasing and at most the input's length \(indices.count), got \(Array(starts.prefix(starts.count - (includeLastOffset ? 0 : 1))))", .invalidArgument)
                }
            default:
                throw GradusError(.shapeMismatch, "\(op): input must be [bags, entries] or a 1-D list with offsets, got shape \(input.shape)", op: op)
            }
            let bags = starts.count - 1
            if let perSampleWeights {
                try require(mode == .sum, "\(op): perSampleWeights is only supported for mode sum, got mode \(mode.rawValue)", .invalidArgument)
                try require(perSampleWeights.shape == input.shape && perSampleWeights.dtype == weight.dtype,
                            "\(op): perSampleWeights must be \(weight.dtype) of the input's shape \(input.shape), got \(perSampleWeights.dtype) \(perSampleWeights.shape)", .shapeMismatch)
            }
            var padding: Int? = nil
            if let paddingIdx {
                try require(paddingIdx >= -rows && paddingIdx < rows, "\(op): paddingIdx \(paddingIdx) is outside -\(rows)..<\(rows)", .indexOutOfRange)
                padding = Embedding.normalizedPaddingIdx(paddingIdx, rows: rows)
            }
            // The entries that count: in a bag and not padding, with their bag.
            var kept: [Int] = [], bagOfEntry: [Int] = [], counts = [Int](repeating: 0, count: bags)
            for b in 0..<bags {
                for position in starts[b]..<starts[b + 1] where indices[position] != padding {
                    kept.append(position)
                    bagOfEntry.append(b)
                    counts[b] += 1
                }
            }
            let keptIndices = Tensor(shape: [kept.count], integers: kept.map { indices[$0] })
            var rowsRead = embedding(keptIndices, weight: weight, paddingIdx: padding, maxNorm: maxNorm, normType: normType)
            try GradusError.throwIfRecorded()
            if let perSampleWeights {
                rowsRead = rowsRead * perSampleWeights.reshape([-1]).indexSelect(axis: 0, index: Tensor(labels: kept)).unsqueeze(1)
            }
            let bagIndex = Tensor(labels: bagOfEntry)
            switch mode {
            case .sum, .mean:
                let sums = Tensor.zeros([bags, dim], dtype: weight.dtype).indexAdd(axis: 0, index: bagIndex, source: rowsRead)
                guard mode == .mean else { return sums }
                let divisors = Tensor(shape: [bags, 1], values: counts.map { Double(Swift.max($0, 1)) }, dtype: weight.dtype)
                return sums / divisors
            case .max:
                // Each bag's rows gathered into [B, longest, dim], short bags filled with −∞, then the
                // maximum; an empty bag gives zeros.
                let longest = counts.max() ?? 0
                let (cells, cellsOverflow) = bags.multipliedReportingOverflow(by: longest)
                let (elements, elementsOverflow) = cells.multipliedReportingOverflow(by: Swift.max(dim, 1))
                try require(!cellsOverflow && !elementsOverflow && elements <= TensorStorage.physicalMemoryBytes / weight.dtype.byteSize,
                            "\(op): \(bags) bags of up to \(longest) entries need more memory than this machine has in mode max", .outOfMemory)
                if longest == 0 { return Tensor.zeros([bags, dim], dtype: weight.dtype) }
                var gather = [Int](repeating: kept.count, count: cells)   // the −∞ row
                var filled = [Int](repeating: 0, count: bags)
                for (entry, b) in bagOfEntry.enumerated() {
                    gather[b * longest + filled[b]] = entry
                    filled[b] += 1
                }
                let extended = Tensor.concatenate([rowsRead, Tensor.full([1, dim], value: -.infinity, dtype: weight.dtype)])
                let maxima = extended.indexSelect(axis: 0, index: Tensor(labels: gather)).reshape([bags, longest, dim]).amax(axes: [1])
                let nonEmpty = Tensor(shape: [bags, 1], values: counts.map { $0 > 0 ? 1 : 0 }, dtype: weight.dtype)
                return Tensor.where(nonEmpty, maxima, Tensor.zeros([bags, dim], dtype: weight.dtype))
            }
        }
    }
}
