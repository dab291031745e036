import Foundation

/// The continuous uniform distribution on [`low`, `high`) (PyTorch's `torch.distributions.Uniform`),
/// broadcast together into a batch. Reparameterized: samples are `low + (high − low) · u`, u ~ U(0, 1).
///
/// ```swift
/// let d = try Uniform(low: Tensor([0.0]), high: Tensor([2.0]))
/// print(d.logProb(Tensor([0.5])))   // log(1/2)
/// ```
public struct Uniform: ReparameterizedDistribution {
    /// The lower bounds (included), `[batchShape]`.
    public let low: Tensor
    /// The upper bounds (excluded), `[batchShape]`.
    public let high: Tensor
    public let batchShape: [Int]
    public var eventShape: [Int] { [] }

    /// Uniform distributions on [`low`, `high`), broadcast together.
    ///
    /// - Parameters:
    ///   - low: the lower bounds.
    ///   - high: the upper bounds, each above its lower bound.
    /// - Throws: ``GradusError`` when a bound is NaN or infinite (PyTorch admits infinite bounds, whose
    ///   densities are 0), a lower bound is not below its upper bound, or the shapes or dtypes disagree.
    public init(low: Tensor, high: Tensor) throws {
        try DistributionChecks.parameter(low, "Uniform: low")
        try require(high.dtype == low.dtype, "Uniform: high is \(high.dtype) but low is \(low.dtype)", .dtypeMismatch)
        let shape = try Broadcast.shape(low.shape, high.shape, op: "Uniform")
        let (l, h) = (low.shape == shape ? low : low.expand(shape), high.shape == shape ? high : high.expand(shape))
        try require(DistributionChecks.all(l) { $0.isFinite } && DistributionChecks.all(h) { $0.isFinite },
                    "Uniform: the bounds must be finite numbers")
        try require(DistributionChecks.all(GradMode.noGrad { h - l }) { $0 > 0 }, "Uniform: every low must be below its high")
        self.low = l
        self.high = h
        batchShape = shape
    }

    /// One uniform distribution on [`low`, `high`).
    public init(low: Double, high: Double, dtype: DType = .float32) throws {
        try self.init(low: Tensor.full([], value: low, dtype: dtype), high: Tensor.full([], value: high, dtype: dtype))
    }

    public var mean: Tensor { (high + low) / 2 }
    public var variance: Tensor { let width = high - low; return width * width / 12 }
    public var stddev: Tensor { (high - low) / 12.0.squareRoot() }

    public func rsample(_ sampleShape: [Int], generator: inout SeededGenerator) -> Tensor {
        let u = Tensor.rand(extendedShape(sampleShape), dtype: low.dtype, generator: &generator)
        return low + u * (high - low)
    }

    /// log(1 / (high − low)) inside [low, high), −∞ at `high` (the bound PyTorch's support admits but
    /// its density excludes).
    public func logProb(_ value: Tensor) -> Tensor {
        checked {
            try DistributionChecks.value(value, batchShape: batchShape, eventShape: [], "Uniform.logProb")
            let inside = GradMode.noGrad { low.le(value).logicalAnd(value.le(high)) }
            try require(DistributionChecks.all(inside) { $0 != 0 }, "Uniform.logProb: values must lie within [low, high]")
            let below = GradMode.noGrad { high.gt(value) }.to(low.dtype)
            return below.log() - (high - low).log()
        }
    }

    public func entropy() -> Tensor { (high - low).log() }

    /// The fraction of the mass below `value`: (value − low) / (high − low), clamped to [0, 1].
    public func cdf(_ value: Tensor) -> Tensor {
        checked {
            try DistributionChecks.value(value, batchShape: batchShape, eventShape: [], "Uniform.cdf")
            let inside = GradMode.noGrad { low.le(value).logicalAnd(value.le(high)) }
            try require(DistributionChecks.all(inside) { $0 != 0 }, "Uniform.cdf: values must lie within [low, high]")
            return ((value - low) / (high - low)).clamp(min: 0, max: 1)
        }
    }

    /// The value below which a fraction `probability` of the mass lies: low + p · (high − low).
    public func icdf(_ probability: Tensor) -> Tensor {
        checked {
            try DistributionChecks.value(probability, batchShape: batchShape, eventShape: [], "Uniform.icdf")
            try require(DistributionChecks.all(probability) { $0 >= 0 && $0 <= 1 }, "Uniform.icdf: probabilities must lie in [0, 1]")
            return probability * (high - low) + low
        }
    }
}
