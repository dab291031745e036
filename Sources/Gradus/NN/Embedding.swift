/// A lookup table of learned vectors (PyTorch's `nn.Embedding`): integer indices pick rows of
/// `weight` `[numEmbeddings, embeddingDim]`, initialized from N(0, 1) as in PyTorch.
///
/// ```swift
/// let embed = Embedding(1000, 64)
/// let vectors = embed(Tensor(labels: [5, 42, 7]))   // [3, 64]
/// ```
public final class Embedding: Module, Layer {
    /// The table, `[numEmbeddings, embeddingDim]`.
    public var weight: Tensor

    /// The number of rows.
    public var numEmbeddings: Int { weight.shape[0] }
    /// The size of each vector.
    public var embeddingDim: Int { weight.shape[1] }

    /// A table with the given weight.
    ///
    /// ```swift
    /// let embed = Embedding(weight: pretrained)
    /// ```
    public init(weight: Tensor) {
        precondition(weight.rank == 2, "Embedding: weight must be [numEmbeddings, embeddingDim], got \(weight.shape)")
        self.weight = weight.requiringGrad()
        super.init()
    }

    /// A table initialized from N(0, 1) with `generator`.
    ///
    /// - Parameters:
    ///   - numEmbeddings: the number of rows (the vocabulary size).
    ///   - embeddingDim: the size of each vector.
    ///   - dtype: the table's element type.
    ///   - generator: the source of randomness.
    ///
    /// ```swift
    /// var rng = SeededGenerator(seed: 0)
    /// let embed = Embedding(10, 4, generator: &rng)
    /// ```
    public convenience init(_ numEmbeddings: Int, _ embeddingDim: Int, dtype: DType = .float32,
                            generator: inout SeededGenerator) {
        self.init(weight: Tensor.normal([numEmbeddings, embeddingDim], dtype: dtype, generator: &generator))
    }

    /// A table initialized from N(0, 1) with the default generator (``Random``).
    ///
    /// ```swift
    /// let embed = Embedding(100, 16)
    /// ```
    public convenience init(_ numEmbeddings: Int, _ embeddingDim: Int, dtype: DType = .float32) {
        var g = splitDefaultGenerator()
        self.init(numEmbeddings, embeddingDim, dtype: dtype, generator: &g)
    }

    /// Looks up int64 `indices` of any shape, giving `indices.shape + [embeddingDim]`.
    public func callAsFunction(_ indices: Tensor) -> Tensor {
        Functional.embedding(indices, weight: weight)
    }

    public override var extraDescription: String { "\(numEmbeddings), \(embeddingDim)" }
}
