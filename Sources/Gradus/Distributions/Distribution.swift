/// A probability distribution over tensors (PyTorch's `torch.distributions.Distribution`): draws samples
/// and scores values, differentiably in its parameters.
///
/// A distribution holds a batch of independent distributions of the same kind (``batchShape``), each
/// over values of ``eventShape``. ``logProb(_:)`` of a value of shape `[…, batchShape, eventShape]` gives
/// one log-density per batch element. Parameters are checked when the distribution is made (a negative
/// scale, probabilities outside [0, 1]) and values when they are scored (outside the support), with
/// errors that name the problem, as PyTorch's `validate_args` does.
///
/// ```swift
/// let policy = try Categorical(logits: scores)          // [N, actions]
/// let action = policy.sample()                          // [N], int64
/// let loss = -(policy.logProb(action) * advantage).mean()
/// ```
public protocol Distribution {
    /// The shape of the batch of independent distributions.
    var batchShape: [Int] { get }
    /// The shape of one value (empty for scalar distributions).
    var eventShape: [Int] { get }
    /// The mean of each distribution, `[batchShape, eventShape]` (NaN where it is undefined).
    var mean: Tensor { get }
    /// The variance of each distribution, `[batchShape, eventShape]`.
    var variance: Tensor { get }

    /// Samples of shape `[sampleShape, batchShape, eventShape]`, outside the graph.
    ///
    /// - Parameters:
    ///   - sampleShape: how many samples, as a shape (`[]` for one per batch element).
    ///   - generator: the source of randomness.
    func sample(_ sampleShape: [Int], generator: inout SeededGenerator) -> Tensor

    /// The log of the density (or probability) of `value`, one per batch element; differentiable in the
    /// distribution's parameters.
    ///
    /// - Parameter value: a tensor whose shape broadcasts with `[batchShape, eventShape]` and ends with
    ///   ``eventShape``; every element within the support.
    func logProb(_ value: Tensor) -> Tensor

    /// The entropy of each distribution, `[batchShape]`.
    func entropy() -> Tensor
}

/// A distribution whose samples are a differentiable function of its parameters and of parameter-free
/// noise (the reparameterization trick): ``rsample(_:generator:)`` passes gradients to the parameters,
/// as a variational autoencoder's encoder needs.
///
/// ```swift
/// let posterior = try Normal(loc: mu, scale: (0.5 * logVariance).exp())
/// let z = posterior.rsample()            // gradients reach mu and logVariance
/// ```
public protocol ReparameterizedDistribution: Distribution {
    /// Samples of shape `[sampleShape, batchShape, eventShape]`, recorded in the graph of the parameters.
    ///
    /// - Parameters:
    ///   - sampleShape: how many samples, as a shape.
    ///   - generator: the source of the noise.
    func rsample(_ sampleShape: [Int], generator: inout SeededGenerator) -> Tensor
}

extension Distribution {
    /// The standard deviation of each distribution.
    public var stddev: Tensor { variance.sqrt() }

    /// Samples drawn from the default generator (see ``sample(_:generator:)``).
    ///
    /// - Parameter sampleShape: how many samples, as a shape (default: one per batch element).
    public func sample(_ sampleShape: [Int] = []) -> Tensor {
        var g = splitDefaultGenerator()
        return sample(sampleShape, generator: &g)
    }

    /// The shape of samples: `[sampleShape, batchShape, eventShape]`.
    func extendedShape(_ sampleShape: [Int]) -> [Int] { sampleShape + batchShape + eventShape }
}

extension ReparameterizedDistribution {
    /// Reparameterized samples drawn from the default generator (see ``rsample(_:generator:)``).
    ///
    /// - Parameter sampleShape: how many samples, as a shape (default: one per batch element).
    public func rsample(_ sampleShape: [Int] = []) -> Tensor {
        var g = splitDefaultGenerator()
        return rsample(sampleShape, generator: &g)
    }

    /// Samples outside the graph: ``rsample(_:generator:)`` without recording.
    public func sample(_ sampleShape: [Int], generator: inout SeededGenerator) -> Tensor {
        var g = generator
        let drawn = GradMode.noGrad { rsample(sampleShape, generator: &g) }
        generator = g
        return drawn.detach()
    }
}

/// The checks that distributions share.
enum DistributionChecks {
    /// Whether every element of `t` satisfies `predicate` (read outside the graph).
    static func all(_ t: Tensor, _ predicate: (Double) -> Bool) -> Bool {
        GradMode.noGrad { t.detach().contiguous().scalars(as: Double.self) }.allSatisfy(predicate)
    }

    /// A floating-point parameter of a distribution.
    static func parameter(_ t: Tensor, _ what: String) throws {
        try require(t.dtype.isFloatingPoint, "\(what) must be floating point, got \(t.dtype)", .dtypeMismatch)
    }

    /// Checks that `value` can be scored by a distribution of `batchShape` and `eventShape`: floating
    /// point (or integer where `integer`), broadcasting with the batch, ending with the event shape.
    static func value(_ value: Tensor, batchShape: [Int], eventShape: [Int], _ what: String, integer: Bool = false) throws {
        if integer {
            try require(!value.dtype.isFloatingPoint || all(value, { $0 == $0.rounded() }),
                        "\(what): values must be whole numbers", .invalidArgument)
        } else {
            try require(value.dtype.isFloatingPoint, "\(what): values must be floating point, got \(value.dtype)", .dtypeMismatch)
        }
        let full = batchShape + eventShape
        try require(value.rank >= eventShape.count && Array(value.shape.suffix(eventShape.count)) == eventShape,
                    "\(what): a value of shape \(value.shape) does not end with the event shape \(eventShape)", .shapeMismatch)
        try require(Broadcast.shape(value.shape, full) != nil,
                    "\(what): a value of shape \(value.shape) does not broadcast with the distribution's shape \(full)", .shapeMismatch)
    }

    /// The smallest positive normal number's companion for probabilities: the dtype's machine epsilon
    /// (PyTorch's `clamp_probs`).
    static func epsilon(_ dtype: DType) -> Double { dtype == .float64 ? Double.ulpOfOne : Double(Float.ulpOfOne) }

    /// The dtype's most negative finite value (PyTorch's `finfo.min`).
    static func lowest(_ dtype: DType) -> Double { dtype == .float64 ? -Double.greatestFiniteMagnitude : -Double(Float.greatestFiniteMagnitude) }
}
