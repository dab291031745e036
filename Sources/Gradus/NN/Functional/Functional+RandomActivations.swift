// Activations that draw random numbers: the randomized leaky ReLU (PyTorch's `F.rrelu`) and the
// Gumbel-softmax relaxation of sampling from a categorical distribution (`F.gumbel_softmax`).

extension Functional {
    /// The randomized leaky ReLU (PyTorch's `F.rrelu`): in training, each element that is not positive is
    /// multiplied by its own slope drawn uniformly from [`lower`, `upper`]; in evaluation, by the fixed
    /// slope (lower + upper) / 2 (a leaky ReLU). The gradient is the slope used.
    ///
    /// - Parameters:
    ///   - input: any tensor.
    ///   - lower: the smallest slope, in [0, upper].
    ///   - upper: the largest slope.
    ///   - training: draw the slopes (else the fixed one).
    ///   - generator: the source of randomness.
    ///
    /// ```swift
    /// var rng = SeededGenerator(seed: 0)
    /// let y = Functional.rrelu(x, training: true, generator: &rng)
    /// ```
    public static func rrelu(_ input: Tensor, lower: Double = 1.0 / 8, upper: Double = 1.0 / 3, training: Bool,
                             generator: inout SeededGenerator) -> Tensor {
        checked {
            try require(lower >= 0 && lower <= upper && upper.isFinite,
                        "rrelu: needs 0 ≤ lower ≤ upper (finite), got lower \(lower), upper \(upper)", .invalidArgument)
            try require(input.dtype.isFloatingPoint, "rrelu: needs a floating-point tensor, got \(input.dtype)", .dtypeMismatch)
            guard training else { return input.leakyRelu(negativeSlope: (lower + upper) / 2) }
            let slopes = GradMode.noGrad {
                Tensor.where(input.detach().gt(Tensor.zeros([], dtype: input.dtype)), Tensor.ones([], dtype: input.dtype),
                             Tensor.uniform(input.shape, low: lower, high: upper, dtype: input.dtype, generator: &generator))
            }
            return input * slopes
        }
    }

    /// ``rrelu(_:lower:upper:training:generator:)`` drawing from the default generator (``Random``).
    ///
    /// ```swift
    /// let y = Functional.rrelu(x, training: true)
    /// ```
    public static func rrelu(_ input: Tensor, lower: Double = 1.0 / 8, upper: Double = 1.0 / 3, training: Bool) -> Tensor {
        Random.withDefault { rrelu(input, lower: lower, upper: upper, training: training, generator: &$0) }
    }

    /// A differentiable sample from the categorical distribution of `logits` along `axis` (PyTorch's
    /// `F.gumbel_softmax`): softmax((logits + g) / τ) with Gumbel noise g = −log(E), E exponential. With
    /// `hard`, the result is the one-hot vector of its largest entry in the forward pass, with the soft
    /// sample's gradient (the straight-through estimator).
    ///
    /// - Parameters:
    ///   - logits: unnormalized log-probabilities.
    ///   - tau: the temperature τ > 0; small values approach one-hot samples.
    ///   - hard: return one-hot vectors (straight-through gradient).
    ///   - axis: the categories' dimension.
    ///   - generator: the source of randomness.
    ///
    /// ```swift
    /// var rng = SeededGenerator(seed: 0)
    /// let choice = Functional.gumbelSoftmax(logits, tau: 0.5, hard: true, generator: &rng)
    /// ```
    public static func gumbelSoftmax(_ logits: Tensor, tau: Double = 1, hard: Bool = false, axis: Int = -1,
                                     generator: inout SeededGenerator) -> Tensor {
        checked {
            try require(tau > 0 && tau.isFinite, "gumbelSoftmax: tau must be positive and finite, got \(tau)", .invalidArgument)
            try require(logits.dtype.isFloatingPoint, "gumbelSoftmax: needs floating-point logits, got \(logits.dtype)", .dtypeMismatch)
            let a = try logits.axis(axis, op: "gumbelSoftmax")
            // E = −log(1 − U) is exponential, drawn in Float64 (1 − U rounds to 1 far less often than in
            // Float32) and kept above the smallest normal number, so the noise −log E stays finite (≤ 709).
            let gumbels = GradMode.noGrad {
                let exponential = (1 - Tensor.uniform(logits.shape, dtype: .float64, generator: &generator)).log() * -1
                return -exponential.clamp(min: Double.leastNormalMagnitude).log().to(logits.dtype)
            }
            let soft = ((logits + gumbels) / tau).softmax(axis: a)
            guard hard else { return soft }
            let chosen = GradMode.noGrad { soft.detach().argmax(axis: a, keepDims: true) }
            let oneHot = GradMode.noGrad { Tensor.zeros(like: soft).scatter(axis: a, index: chosen, value: 1) }
            return oneHot - soft.detach() + soft
        }
    }

    /// ``gumbelSoftmax(_:tau:hard:axis:generator:)`` drawing from the default generator (``Random``).
    ///
    /// ```swift
    /// let relaxed = Functional.gumbelSoftmax(logits, tau: 0.5)
    /// ```
    public static func gumbelSoftmax(_ logits: Tensor, tau: Double = 1, hard: Bool = false, axis: Int = -1) -> Tensor {
        Random.withDefault { gumbelSoftmax(logits, tau: tau, hard: hard, axis: axis, generator: &$0) }
    }
}
