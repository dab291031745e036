// Dropout for self-normalizing networks (PyTorch's `nn.AlphaDropout` and `nn.FeatureAlphaDropout`):
// dropped units are set to SELU's negative saturation value instead of 0, and an affine correction
// keeps the mean and variance of a standard normal input, so that SELU networks stay normalized.

extension Functional {
    /// SELU's λα (PyTorch's `alpha` in `_dropout_impl`); dropped units go to −λα, SELU's saturation value,
    /// before the affine correction.
    static let alphaDropoutSaturation = 1.7580993408473766

    /// Alpha dropout (PyTorch's `F.alpha_dropout`): in training, each element is dropped with
    /// probability `p`; with a = 1 / √((α²p + 1)(1 − p)) and α = 1.7581, kept elements become a·x + αap
    /// and dropped ones −αa(1 − p), so a zero-mean, unit-variance input keeps its mean and variance.
    /// The identity in evaluation mode; `p` = 1 gives zeros.
    ///
    /// - Parameters:
    ///   - input: any shape.
    ///   - p: the probability of dropping an element, in [0, 1].
    ///   - training: whether to drop (false: the input as it is).
    ///   - generator: the source of the masks.
    ///
    /// ```swift
    /// var rng = SeededGenerator(seed: 1)
    /// let y = Functional.alphaDropout(x, p: 0.1, training: true, generator: &rng)
    /// ```
    public static func alphaDropout(_ input: Tensor, p: Double, training: Bool, generator: inout SeededGenerator) -> Tensor {
        alphaDropout(input, p: p, training: training, perChannel: false, op: "alphaDropout", generator: &generator)
    }

    /// ``alphaDropout(_:p:training:generator:)`` drawing from the default generator (``Random``).
    public static func alphaDropout(_ input: Tensor, p: Double, training: Bool) -> Tensor {
        Random.withDefault { alphaDropout(input, p: p, training: training, generator: &$0) }
    }

    /// Alpha dropout of whole channels (PyTorch's `F.feature_alpha_dropout`): one draw per (sample,
    /// channel) of `[N, C, …]`, the rule of ``alphaDropout(_:p:training:generator:)`` applied to every
    /// position of the channel.
    ///
    /// ```swift
    /// var rng = SeededGenerator(seed: 1)
    /// let y = Functional.featureAlphaDropout(features, p: 0.2, training: true, generator: &rng)   // [N, C, H, W]
    /// ```
    public static func featureAlphaDropout(_ input: Tensor, p: Double, training: Bool, generator: inout SeededGenerator) -> Tensor {
        alphaDropout(input, p: p, training: training, perChannel: true, op: "featureAlphaDropout", generator: &generator)
    }

    /// ``featureAlphaDropout(_:p:training:generator:)`` drawing from the default generator (``Random``).
    public static func featureAlphaDropout(_ input: Tensor, p: Double, training: Bool) -> Tensor {
        Random.withDefault { featureAlphaDropout(input, p: p, training: training, generator: &$0) }
    }

    private static func alphaDropout(_ input: Tensor, p: Double, training: Bool, perChannel: Bool, op: String,
                                     generator: inout SeededGenerator) -> Tensor {
        checked {
            try require(p >= 0 && p <= 1, "\(op): p must be in [0, 1], got \(p)", .invalidArgument)
            // Out of training (or with nothing to drop) the input passes whatever it is, as in PyTorch.
            if !training || p == 0 || input.count == 0 { return input }
            try input.requireFloat(op)
            if perChannel {
                try require(input.rank >= 2, "\(op): input must be [N, C, …], got \(input.shape)", .shapeMismatch)
            }
            if p == 1 { return input * 0 }
            let alpha = alphaDropoutSaturation
            let a = 1 / ((alpha * alpha * p + 1) * (1 - p)).squareRoot()
            let maskShape = perChannel ? Array(input.shape.prefix(2)) + Array(repeating: 1, count: input.rank - 2) : input.shape
            let keep = Tensor.bernoulli(maskShape, p: 1 - p, dtype: input.dtype, generator: &generator)
            // PyTorch's arithmetic: b = (keep − 1)·αa + αap, then input · (keep · a) + b.
            let shift = (keep - 1) * (alpha * a) + alpha * a * p
            return input * (keep * a) + shift
        }
    }
}

/// Alpha dropout (PyTorch's `nn.AlphaDropout`), for networks of ``SELU`` units: see
/// ``Functional/alphaDropout(_:p:training:generator:)``. The identity in evaluation mode.
///
/// ```swift
/// let block = Sequential { Linear(64, 64); SELU(); AlphaDropout(p: 0.1) }
/// ```
public final class AlphaDropout: DropoutLayer {
    /// A AlphaDropout layer.
    ///
    /// - Parameters:
    ///   - p: the probability of dropping an element, in [0, 1].
    ///   - generator: a generator of its own (for repeatable masks), or nil to use the default one.
    public init(p: Double = 0.5, generator: SeededGenerator? = nil) {
        super.init(p: p, generator: generator, name: "AlphaDropout") { Functional.alphaDropout($0, p: $1, training: true, generator: &$2) }
    }
}

/// Alpha dropout of whole channels (PyTorch's `nn.FeatureAlphaDropout`): see
/// ``Functional/featureAlphaDropout(_:p:training:generator:)``. The identity in evaluation mode.
///
/// ```swift
/// let drop = FeatureAlphaDropout(p: 0.2)   // [N, C, H, W]
/// ```
public final class FeatureAlphaDropout: DropoutLayer {
    /// A channel alpha-dropout layer.
    ///
    /// - Parameters:
    ///   - p: the probability of dropping a channel, in [0, 1].
    ///   - generator: a generator of its own (for repeatable masks), or nil to use the default one.
    public init(p: Double = 0.5, generator: SeededGenerator? = nil) {
        super.init(p: p, generator: generator, name: "FeatureAlphaDropout") { Functional.featureAlphaDropout($0, p: $1, training: true, generator: &$2) }
    }
}
