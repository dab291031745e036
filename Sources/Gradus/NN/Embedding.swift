/// A lookup table of learned vectors (PyTorch's `nn.Embedding`): integer indices pick rows of
/// `weight` `[numEmbeddings, embeddingDim]`, initialized from N(0, 1) as in PyTorch. An optional
/// `paddingIdx` row starts at zero and is never trained; as in PyTorch it may count from the end
/// (`-1` is the last row) and is stored counted from the start.
///
/// ```swift
/// let embed = Embedding(1000, 64)
/// let vectors = embed(Tensor(labels: [5, 42, 7]))   // [3, 64]
/// ```
public final class Embedding: Module, Layer {
    /// The table, `[numEmbeddings, embeddingDim]`.
    @Parameter public var weight: Tensor
    /// The row that is looked up but receives no gradient (e.g. the padding token), or nil; always in
    /// `0..<numEmbeddings` (a negative `paddingIdx` given to an initializer is counted from the end).
    public let paddingIdx: Int?
    /// When set, each looked-up row whose ``normType``-norm exceeds it is rescaled in place to this norm
    /// before the lookup (PyTorch's `max_norm`; see ``Functional/embedding(_:weight:paddingIdx:maxNorm:normType:)``).
    public let maxNorm: Double?
    /// The p of the p-norm that ``maxNorm`` bounds (2 by default).
    public let normType: Double

    /// The number of rows.
    public var numEmbeddings: Int { _weight.shape[0] }
    /// The size of each vector.
    public var embeddingDim: Int { _weight.shape[1] }

    /// A table with the given weight.
    ///
    /// - Parameters:
    ///   - weight: the table `[numEmbeddings, embeddingDim]`.
    ///   - paddingIdx: a row that receives no gradient, in `-numEmbeddings..<numEmbeddings` (negative
    ///     values count from the end, as in PyTorch), or nil.
    ///   - maxNorm: rescale looked-up rows whose norm exceeds it, in place (PyTorch's `max_norm`), or nil.
    ///   - normType: the p of that norm.
    ///
    /// ```swift
    /// let embed = Embedding(weight: pretrained)
    /// ```
    public init(weight: Tensor, paddingIdx: Int? = nil, maxNorm: Double? = nil, normType: Double = 2) {
        var weight = weight
        if !validSetting(weight.rank == 2, "Embedding: weight must be [numEmbeddings, embeddingDim], got \(weight.shape)") {
            weight = Tensor.standIn([0, 0], for: weight)
        }
        var padding: Int? = nil
        if let paddingIdx, validSetting(paddingIdx >= -weight.shape[0] && paddingIdx < weight.shape[0],
                                        "Embedding: paddingIdx \(paddingIdx) is out of range for \(weight.shape[0]) rows") {
            padding = Embedding.normalizedPaddingIdx(paddingIdx, rows: weight.shape[0])
        }
        self.weight = weight.requiringGrad()
        self.paddingIdx = padding
        var bound = maxNorm, p = normType
        if let m = maxNorm, !validSetting(m.isFinite && m >= 0, "Embedding: maxNorm must be a finite number >= 0, got \(m)") { bound = nil }
        // As PyTorch, normType matters (and is checked) only with a bound.
        if maxNorm != nil, !validSetting(normType > 0, "Embedding: normType must be > 0, got \(normType)") { p = 2 }
        self.maxNorm = bound
        self.normType = p
        super.init()
    }

    /// `index` counted from the start: negative indices count from the end (PyTorch's rule).
    static func normalizedPaddingIdx(_ index: Int, rows: Int) -> Int {
        index < 0 ? index + rows : index
    }

    /// A table initialized from N(0, 1) with `generator`.
    ///
    /// - Parameters:
    ///   - numEmbeddings: the number of rows (the vocabulary size).
    ///   - embeddingDim: the size of each vector.
    ///   - paddingIdx: a row set to zero and never trained, in `-numEmbeddings..<numEmbeddings`
    ///     (negative values count from the end, as in PyTorch), or nil.
    ///   - maxNorm: rescale looked-up rows whose norm exceeds it, in place (PyTorch's `max_norm`), or nil.
    ///   - normType: the p of that norm.
    ///   - dtype: the table's element type.
    ///   - generator: the source of randomness.
    ///
    /// ```swift
    /// var rng = SeededGenerator(seed: 0)
    /// let embed = Embedding(10, 4, generator: &rng)
    /// ```
    public convenience init(_ numEmbeddings: Int, _ embeddingDim: Int, paddingIdx: Int? = nil, maxNorm: Double? = nil,
                            normType: Double = 2, dtype: DType = .float32, generator: inout SeededGenerator) {
        var (numEmbeddings, embeddingDim) = (numEmbeddings, embeddingDim)
        if !validSetting(numEmbeddings >= 0 && embeddingDim >= 0,
                         "Embedding: sizes must not be negative, got \(numEmbeddings), \(embeddingDim)") {
            (numEmbeddings, embeddingDim) = (max(numEmbeddings, 0), max(embeddingDim, 0))
        }
        let w = Tensor.normal([numEmbeddings, embeddingDim], dtype: dtype, generator: &generator)
        if let paddingIdx, w.shape == [numEmbeddings, embeddingDim], paddingIdx >= -numEmbeddings && paddingIdx < numEmbeddings {
            let row = Embedding.normalizedPaddingIdx(paddingIdx, rows: numEmbeddings)
            let p = w.rawPointer + row * embeddingDim * dtype.byteSize
            p.initializeMemory(as: UInt8.self, repeating: 0, count: embeddingDim * dtype.byteSize)
        }
        self.init(weight: w, paddingIdx: paddingIdx, maxNorm: maxNorm, normType: normType)
    }

    /// A table initialized from N(0, 1) with the default generator (``Random``).
    ///
    /// ```swift
    /// let embed = Embedding(100, 16)
    /// ```
    public convenience init(_ numEmbeddings: Int, _ embeddingDim: Int, paddingIdx: Int? = nil, maxNorm: Double? = nil,
                            normType: Double = 2, dtype: DType = .float32) {
        var g = splitDefaultGenerator()
        self.init(numEmbeddings, embeddingDim, paddingIdx: paddingIdx, maxNorm: maxNorm, normType: normType, dtype: dtype, generator: &g)
    }

    /// Looks up int64 `indices` of any shape, giving `indices.shape + [embeddingDim]`.
    public func callAsFunction(_ indices: Tensor) -> Tensor {
        withForwardHooks(indices) { indices in
            Functional.embedding(indices, weight: weight, paddingIdx: paddingIdx, maxNorm: maxNorm, normType: normType)
        }
    }

    /// The configuration shown by ``Module/description`` (PyTorch\'s `extra_repr`).

    public override var extraDescription: String {
        "\(numEmbeddings), \(embeddingDim)" + (paddingIdx.map { ", paddingIdx: \($0)" } ?? "")
            + (maxNorm.map { ", maxNorm: \($0)" } ?? "") + (maxNorm != nil && normType != 2 ? ", normType: \(normType)" : "")
    }
}
