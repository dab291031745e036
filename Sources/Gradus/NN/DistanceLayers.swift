// The distance modules of PyTorch (`nn.CosineSimilarity`, `nn.PairwiseDistance`): two inputs each, so
// modules with a two-tensor call rather than ``Layer``s, around ``Functional/cosineSimilarity(_:_:axis:eps:)``
// and ``Functional/pairwiseDistance(_:_:p:eps:keepDims:)``.

/// The cosine similarity of two batches of vectors along `axis` (PyTorch's `nn.CosineSimilarity`).
///
/// ```swift
/// let similarity = CosineSimilarity(axis: 1)(a, b)   // [N, D] and [N, D] -> [N]
/// ```
public final class CosineSimilarity: Module {
    /// The dimension of the vectors.
    public let axis: Int
    /// The smallest norm a vector is divided by.
    public let eps: Double

    /// A cosine-similarity module.
    ///
    /// - Parameters:
    ///   - axis: the dimension of the vectors (PyTorch's `dim`, default 1).
    ///   - eps: the smallest norm (default 1e-8).
    public init(axis: Int = 1, eps: Double = 1e-8) {
        self.axis = axis
        self.eps = validSetting(eps >= 0, "CosineSimilarity: eps must not be negative, got \(eps)") ? eps : 1e-8
        super.init()
    }

    /// The similarity of `x1` and `x2` (broadcast together), with `axis` reduced.
    public func callAsFunction(_ x1: Tensor, _ x2: Tensor) -> Tensor {
        withForwardHooks(x1) { x1 in Functional.cosineSimilarity(x1, x2, axis: axis, eps: eps) }
    }

    /// The configuration shown by ``Module/description``.
    public override var extraDescription: String { "axis: \(axis), eps: \(eps)" }
}

/// The p-norm distance between two batches of vectors along the last dimension (PyTorch's
/// `nn.PairwiseDistance`).
///
/// ```swift
/// let distance = PairwiseDistance()(anchors, positives)   // [N, D] and [N, D] -> [N]
/// ```
public final class PairwiseDistance: Module {
    /// The norm's order.
    public let p: Double
    /// Added to the difference, so that the gradient stays finite at equal vectors.
    public let eps: Double
    /// Whether the last dimension is kept with size 1.
    public let keepDims: Bool

    /// A pairwise-distance module.
    ///
    /// - Parameters:
    ///   - p: the norm's order (default 2).
    ///   - eps: added to the difference (default 1e-6).
    ///   - keepDims: keep the last dimension with size 1 (PyTorch's `keepdim`).
    public init(p: Double = 2, eps: Double = 1e-6, keepDims: Bool = false) {
        self.p = p
        self.eps = eps
        self.keepDims = keepDims
        super.init()
    }

    /// The distance between `x1` and `x2` (broadcast together).
    public func callAsFunction(_ x1: Tensor, _ x2: Tensor) -> Tensor {
        withForwardHooks(x1) { x1 in Functional.pairwiseDistance(x1, x2, p: p, eps: eps, keepDims: keepDims) }
    }

    /// The configuration shown by ``Module/description``.
    public override var extraDescription: String { "p: \(p), eps: \(eps)" + (keepDims ? ", keepDims: true" : "") }
}
