import Foundation

/// The normal (Gaussian) distribution with mean `loc` and standard deviation `scale` (PyTorch's
/// `torch.distributions.Normal`), broadcast together into a batch.
///
/// Reparameterized: ``rsample(_:generator:)`` is `loc + scale · ε` with ε ~ N(0, 1), so gradients reach
/// both parameters.
///
/// ```swift
/// let d = try Normal(loc: Tensor([0.0, 1.0]), scale: Tensor([1.0, 0.5]))
/// let z = d.rsample([16])          // [16, 2]
/// let score = d.logProb(z)         // [16, 2]
/// ```
public struct Normal: ReparameterizedDistribution {
    /// The means, `[batchShape]`.
    public let loc: Tensor
    /// The standard deviations, `[batchShape]`.
    public let scale: Tensor
    public let batchShape: [Int]
    public var eventShape: [Int] { [] }

    /// Normal distributions with means `loc` and standard deviations `scale`, broadcast together.
    ///
    /// - Parameters:
    ///   - loc: the means (no NaN).
    ///   - scale: the standard deviations (positive), of `loc`'s dtype.
    /// - Throws: ``GradusError`` for a NaN mean, a scale that is not positive, shapes that do not
    ///   broadcast or dtypes that differ.
    public init(loc: Tensor, scale: Tensor) throws {
        try DistributionChecks.parameter(loc, "Normal: loc")
        try require(scale.dtype == loc.dtype, "Normal: scale is \(scale.dtype) but loc is \(loc.dtype)", .dtypeMismatch)
        let shape = try Broadcast.shape(loc.shape, scale.shape, op: "Normal")
        try require(DistributionChecks.all(loc) { !$0.isNaN }, "Normal: loc must be real numbers, got NaN")
        try require(DistributionChecks.all(scale) { $0 > 0 }, "Normal: scale must be positive")
        self.loc = loc.shape == shape ? loc : loc.expand(shape)
        self.scale = scale.shape == shape ? scale : scale.expand(shape)
        batchShape = shape
    }

    /// One normal distribution with the given mean and standard deviation.
    public init(loc: Double, scale: Double, dtype: DType = .float32) throws {
        try self.init(loc: Tensor.full([], value: loc, dtype: dtype), scale: Tensor.full([], value: scale, dtype: dtype))
    }

    public var mean: Tensor { loc }
    public var variance: Tensor { scale * scale }
    /// The standard deviations: ``scale``.
    public var stddev: Tensor { scale }

    public func rsample(_ sampleShape: [Int], generator: inout SeededGenerator) -> Tensor {
        let noise = Tensor.normal(extendedShape(sampleShape), dtype: loc.dtype, generator: &generator)
        return loc + noise * scale
    }

    public func logProb(_ value: Tensor) -> Tensor {
        checked {
            try DistributionChecks.value(value, batchShape: batchShape, eventShape: [], "Normal.logProb")
            try require(DistributionChecks.all(value) { !$0.isNaN }, "Normal.logProb: values must be real numbers, got NaN")
            let difference = value - loc
            return -(difference * difference) / (2 * variance) - scale.log() - log((2 * Double.pi).squareRoot())
        }
    }

    public func entropy() -> Tensor { scale.log() + (0.5 + 0.5 * log(2 * Double.pi)) }

    /// The cumulative distribution function at `value`.
    ///
    /// ```swift
    /// let p = try Normal(loc: 0, scale: 1).cdf(Tensor([1.96]))   // ≈ 0.975
    /// ```
    public func cdf(_ value: Tensor) -> Tensor {
        checked {
            try DistributionChecks.value(value, batchShape: batchShape, eventShape: [], "Normal.cdf")
            try require(DistributionChecks.all(value) { !$0.isNaN }, "Normal.cdf: values must be real numbers, got NaN")
            return 0.5 * (1 + ((value - loc) * scale.reciprocal() / 2.0.squareRoot()).erf())
        }
    }

    /// The inverse of ``cdf(_:)``: the value below which a fraction `probability` of the mass lies.
    ///
    /// - Parameter probability: fractions in [0, 1].
    public func icdf(_ probability: Tensor) -> Tensor {
        checked {
            try DistributionChecks.value(probability, batchShape: batchShape, eventShape: [], "Normal.icdf")
            try require(DistributionChecks.all(probability) { $0 >= 0 && $0 <= 1 }, "Normal.icdf: probabilities must lie in [0, 1]")
            return loc + scale * (2 * probability - 1).erfinv() * 2.0.squareRoot()
        }
    }
}
