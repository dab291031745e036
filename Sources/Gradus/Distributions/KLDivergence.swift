/// Functions over distributions (PyTorch's `torch.distributions` module functions).
public enum Distributions {
    /// The Kullback-Leibler divergence KL(p ‖ q) = E_p[log p − log q] of each pair in the batch, in
    /// closed form (PyTorch's `kl_divergence`), differentiable in both distributions' parameters.
    ///
    /// Pairs: ``Normal``‖``Normal``, ``Bernoulli``‖``Bernoulli``, ``Categorical``‖``Categorical``,
    /// ``Uniform``‖``Uniform`` and ``Independent``‖``Independent`` of those (reinterpreting as many
    /// dimensions). Where q gives zero probability to an outcome that p can produce the divergence is +∞.
    ///
    /// - Parameters:
    ///   - p: the distribution the expectation is under.
    ///   - q: the other distribution, of a batch shape that broadcasts with p's.
    /// - Returns: one divergence per batch element.
    ///
    /// An unsupported pair fails like a tensor operation (``GradusError``, recorded inside
    /// ``GradusError/catching(_:)``).
    ///
    /// ```swift
    /// let prior = try Normal(loc: Tensor.zeros([16]), scale: Tensor.ones([16]))
    /// let kl = Distributions.klDivergence(try Normal(loc: mu, scale: sigma), prior).sum()
    /// ```
    public static func klDivergence(_ p: any Distribution, _ q: any Distribution) -> Tensor {
        checked { try divergence(p, q) }
    }

    private static func divergence(_ p: any Distribution, _ q: any Distribution) throws -> Tensor {
        switch (p, q) {
        case let (p as Normal, q as Normal):
            try require(p.loc.dtype == q.loc.dtype, "klDivergence: \(p.loc.dtype) and \(q.loc.dtype) distributions", .dtypeMismatch)
            let ratio = p.scale / q.scale
            let varianceRatio = ratio * ratio
            let t = (p.loc - q.loc) / q.scale
            return 0.5 * (varianceRatio + t * t - 1 - varianceRatio.log())
        case let (p as Bernoulli, q as Bernoulli):
            try require(p.probs.dtype == q.probs.dtype, "klDivergence: \(p.probs.dtype) and \(q.probs.dtype) distributions", .dtypeMismatch)
            var t1 = p.probs * ((-q.logits).softplus() - (-p.logits).softplus())
            t1 = masked(t1, where: q.probs.eq(Tensor.zeros([], dtype: q.probs.dtype)), .infinity)
            t1 = masked(t1, where: p.probs.eq(Tensor.zeros([], dtype: p.probs.dtype)), 0)
            var t2 = (1 - p.probs) * (q.logits.softplus() - p.logits.softplus())
            t2 = masked(t2, where: q.probs.eq(Tensor.ones([], dtype: q.probs.dtype)), .infinity)
            t2 = masked(t2, where: p.probs.eq(Tensor.ones([], dtype: p.probs.dtype)), 0)
            return t1 + t2
        case let (p as Categorical, q as Categorical):
            try require(p.classCount == q.classCount, "klDivergence: categorical distributions over \(p.classCount) and \(q.classCount) classes",
                        .shapeMismatch)
            try require(p.probs.dtype == q.probs.dtype, "klDivergence: \(p.probs.dtype) and \(q.probs.dtype) distributions", .dtypeMismatch)
            let shape = try Broadcast.shape(p.probs.shape, q.probs.shape, op: "klDivergence")
            var t = p.probs * (p.logits - q.logits)
            t = masked(t.expand(shape), where: q.probs.eq(Tensor.zeros([], dtype: q.probs.dtype)).expand(shape), .infinity)
            t = masked(t, where: p.probs.eq(Tensor.zeros([], dtype: p.probs.dtype)).expand(shape), 0)
            return t.sum(axes: [-1])
        case let (p as Uniform, q as Uniform):
            try require(p.low.dtype == q.low.dtype, "klDivergence: \(p.low.dtype) and \(q.low.dtype) distributions", .dtypeMismatch)
            let result = ((q.high - q.low) / (p.high - p.low)).log()
            let outside = q.low.gt(p.low).logicalOr(q.high.lt(p.high))
            return masked(result, where: outside, .infinity)
        case let (p as any AnyIndependent, q as any AnyIndependent):
            try require(p.reinterpretedBatchDims == q.reinterpretedBatchDims,
                        "klDivergence: Independent distributions reinterpreting \(p.reinterpretedBatchDims) and \(q.reinterpretedBatchDims) dimensions",
                        .invalidArgument)
            return p.sumRightmost(try divergence(p.anyBase, q.anyBase))
        default:
            throw GradusError(.invalidArgument, "klDivergence: no closed form for \(type(of: p)) and \(type(of: q))")
        }
    }

    /// `t` with `value` where `mask` is nonzero (broadcast), gradients flowing only elsewhere.
    private static func masked(_ t: Tensor, where mask: Tensor, _ value: Double) -> Tensor {
        let shape = Broadcast.shape(t.shape, mask.shape) ?? t.shape
        let filled = Tensor.full(shape, value: value, dtype: t.dtype)
        return Tensor.where(mask.expand(shape), filled, t.expand(shape))
    }
}
