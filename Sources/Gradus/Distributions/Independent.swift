/// Treats the rightmost `reinterpretedBatchDims` batch dimensions of a distribution as one event
/// (PyTorch's `torch.distributions.Independent`): a batch of `[N, D]` normals becomes N distributions over
/// vectors of D, whose ``logProb(_:)`` and ``entropy()`` sum over those dimensions.
///
/// ```swift
/// let posterior = try Independent(Normal(loc: mu, scale: sigma), reinterpretedBatchDims: 1)   // [N] over [D]
/// let kl = Distributions.klDivergence(posterior, prior)                                       // [N]
/// ```
public struct Independent<Base: Distribution>: Distribution {
    /// The distribution whose batch dimensions are reinterpreted.
    public let base: Base
    /// How many of the base's rightmost batch dimensions form the event.
    public let reinterpretedBatchDims: Int

    /// The distribution `base` with its rightmost `reinterpretedBatchDims` batch dimensions made event
    /// dimensions.
    ///
    /// - Throws: ``GradusError`` when `reinterpretedBatchDims` is negative or above the base's batch rank.
    public init(_ base: Base, reinterpretedBatchDims: Int) throws {
        try require(reinterpretedBatchDims >= 0 && reinterpretedBatchDims <= base.batchShape.count,
                    "Independent: reinterpretedBatchDims \(reinterpretedBatchDims) must lie in 0...\(base.batchShape.count) (the base's batch shape is \(base.batchShape))")
        self.base = base
        self.reinterpretedBatchDims = reinterpretedBatchDims
    }

    public var batchShape: [Int] { Array(base.batchShape.dropLast(reinterpretedBatchDims)) }
    public var eventShape: [Int] { Array(base.batchShape.suffix(reinterpretedBatchDims)) + base.eventShape }
    public var mean: Tensor { base.mean }
    public var variance: Tensor { base.variance }

    public func sample(_ sampleShape: [Int], generator: inout SeededGenerator) -> Tensor {
        base.sample(sampleShape, generator: &generator)
    }

    /// The sum of the base's log-densities over the reinterpreted dimensions.
    ///
    /// - Parameter value: a tensor ending with ``eventShape`` exactly (not broadcast into it, which would
    ///   count each value several times), whose leading dimensions broadcast with ``batchShape``.
    public func logProb(_ value: Tensor) -> Tensor {
        checked {
            try DistributionChecks.value(value, batchShape: batchShape, eventShape: eventShape, "Independent.logProb",
                                         integer: !value.dtype.isFloatingPoint)
            return sumRightmost(base.logProb(value))
        }
    }

    /// The sum of the base's entropies over the reinterpreted dimensions.
    public func entropy() -> Tensor { sumRightmost(base.entropy()) }

    func sumRightmost(_ t: Tensor) -> Tensor {
        guard reinterpretedBatchDims > 0 else { return t }
        return t.sum(axes: Array((t.rank - reinterpretedBatchDims)..<t.rank))
    }
}

extension Independent: ReparameterizedDistribution where Base: ReparameterizedDistribution {
    public func rsample(_ sampleShape: [Int], generator: inout SeededGenerator) -> Tensor {
        base.rsample(sampleShape, generator: &generator)
    }
}

/// An ``Independent`` of any base, for ``Distributions/klDivergence(_:_:)``.
protocol AnyIndependent {
    var anyBase: any Distribution { get }
    var reinterpretedBatchDims: Int { get }
    func sumRightmost(_ t: Tensor) -> Tensor
}

extension Independent: AnyIndependent {
    var anyBase: any Distribution { base }
}
