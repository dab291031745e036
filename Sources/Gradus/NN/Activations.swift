// Activation functions as layers, for use in `Sequential`. Each wraps the tensor function of the same
// name and has no parameters.

/// max(x, 0) (PyTorch's `nn.ReLU`).
///
/// ```swift
/// let model = Sequential { Linear(4, 8); ReLU(); Linear(8, 1) }
/// ```
public final class ReLU: Module, Layer {
    /// A ReLU layer.
    public override init() { super.init() }
    /// Applies ReLU elementwise.
    public func callAsFunction(_ input: Tensor) -> Tensor { withForwardHooks(input) { input in input.relu() } }
}

/// x for x > 0, `negativeSlope`·x otherwise (PyTorch's `nn.LeakyReLU`).
///
/// ```swift
/// let act = LeakyReLU(negativeSlope: 0.2)
/// ```
public final class LeakyReLU: Module, Layer {
    /// The slope for negative inputs.
    public let negativeSlope: Double
    /// A leaky ReLU layer with the given negative slope (default 0.01).
    public init(negativeSlope: Double = 0.01) {
        self.negativeSlope = negativeSlope
        super.init()
    }
    /// Applies leaky ReLU elementwise.
    public func callAsFunction(_ input: Tensor) -> Tensor { withForwardHooks(input) { input in input.leakyRelu(negativeSlope: negativeSlope) } }
    /// The configuration shown by ``Module/description`` (PyTorch\'s `extra_repr`).
    public override var extraDescription: String { "negativeSlope: \(negativeSlope)" }
}

/// The randomized leaky ReLU (PyTorch's `nn.RReLU`): in training, each element that is not positive is
/// multiplied by its own slope drawn uniformly from [`lower`, `upper`]; in evaluation, by the fixed slope
/// (lower + upper) / 2. See ``Functional/rrelu(_:lower:upper:training:generator:)``.
///
/// ```swift
/// let act = RReLU(lower: 0.1, upper: 0.3)
/// ```
public final class RReLU: Module, Layer, GeneratorOwningLayer {
    /// The smallest slope.
    public let lower: Double
    /// The largest slope.
    public let upper: Double
    /// The layer's own generator, or nil to draw from the default generator (``Random``).
    public var generator: SeededGenerator?

    /// A randomized leaky ReLU with slopes in [`lower`, `upper`] (PyTorch's defaults 1/8 and 1/3). Bounds
    /// with 0 ≤ lower ≤ upper are required; others are reported and the defaults kept.
    ///
    /// - Parameters:
    ///   - lower: the smallest slope.
    ///   - upper: the largest slope.
    ///   - generator: a generator of its own, for repeatable slopes.
    public init(lower: Double = 1.0 / 8, upper: Double = 1.0 / 3, generator: SeededGenerator? = nil) {
        let valid = validSetting(lower >= 0 && lower <= upper && upper.isFinite,
                                 "RReLU: needs 0 ≤ lower ≤ upper (finite), got lower \(lower), upper \(upper)")
        self.lower = valid ? lower : 1.0 / 8
        self.upper = valid ? upper : 1.0 / 3
        self.generator = generator
        super.init()
    }

    /// Applies the randomized leaky ReLU (random slopes in training mode only).
    public func callAsFunction(_ input: Tensor) -> Tensor {
        withForwardHooks(input) { input in
            guard isTraining else { return Functional.rrelu(input, lower: lower, upper: upper, training: false) }
            return Module.drawing(from: &generator) { Functional.rrelu(input, lower: lower, upper: upper, training: true, generator: &$0) }
        }
    }

    /// The configuration shown by ``Module/description`` (PyTorch\'s `extra_repr`).
    public override var extraDescription: String { "lower: \(lower), upper: \(upper)" }
}

/// x for x > 0, `alpha`·(eˣ − 1) otherwise (PyTorch's `nn.ELU`).
///
/// ```swift
/// let act = ELU(alpha: 1.0)
/// ```
public final class ELU: Module, Layer {
    /// The scale of the negative part.
    public let alpha: Double
    /// An ELU layer (default alpha 1).
    public init(alpha: Double = 1) {
        self.alpha = alpha
        super.init()
    }
    /// Applies ELU elementwise.
    public func callAsFunction(_ input: Tensor) -> Tensor { withForwardHooks(input) { input in input.elu(alpha: alpha) } }
    /// The configuration shown by ``Module/description`` (PyTorch\'s `extra_repr`).
    public override var extraDescription: String { "alpha: \(alpha)" }
}

/// The Gaussian error linear unit x·Φ(x) (PyTorch's `nn.GELU`), exact or with the tanh approximation.
///
/// ```swift
/// let act = GELU(approximate: .tanh)
/// ```
public final class GELU: Module, Layer {
    /// How Φ is evaluated.
    public let approximate: GELUApproximation
    /// A GELU layer (exact by default).
    public init(approximate: GELUApproximation = .none) {
        self.approximate = approximate
        super.init()
    }
    /// Applies GELU elementwise.
    public func callAsFunction(_ input: Tensor) -> Tensor { withForwardHooks(input) { input in input.gelu(approximate: approximate) } }
    /// The configuration shown by ``Module/description`` (PyTorch\'s `extra_repr`).
    public override var extraDescription: String { approximate == .none ? "" : "approximate: \(approximate.rawValue)" }
}

/// x·σ(x), also called swish (PyTorch's `nn.SiLU`).
///
/// ```swift
/// let act = SiLU()
/// ```
public final class SiLU: Module, Layer {
    /// A SiLU layer.
    public override init() { super.init() }
    /// Applies SiLU elementwise.
    public func callAsFunction(_ input: Tensor) -> Tensor { withForwardHooks(input) { input in input.silu() } }
}

/// The logistic function 1 / (1 + e⁻ˣ) (PyTorch's `nn.Sigmoid`).
///
/// ```swift
/// let probability = Sigmoid()(logit)
/// ```
public final class Sigmoid: Module, Layer {
    /// A sigmoid layer.
    public override init() { super.init() }
    /// Applies the sigmoid elementwise.
    public func callAsFunction(_ input: Tensor) -> Tensor { withForwardHooks(input) { input in input.sigmoid() } }
}

/// The hyperbolic tangent (PyTorch's `nn.Tanh`).
///
/// ```swift
/// let act = Tanh()
/// ```
public final class Tanh: Module, Layer {
    /// A tanh layer.
    public override init() { super.init() }
    /// Applies tanh elementwise.
    public func callAsFunction(_ input: Tensor) -> Tensor { withForwardHooks(input) { input in input.tanh() } }
}

/// log(1 + e^(β·x)) / β, linear above `threshold` (PyTorch's `nn.Softplus`).
///
/// ```swift
/// let act = Softplus(beta: 2)
/// ```
public final class Softplus: Module, Layer {
    /// The sharpness β.
    public let beta: Double
    /// Above β·x > threshold the function is the identity (for stability).
    public let threshold: Double
    /// A softplus layer (defaults β = 1, threshold 20).
    public init(beta: Double = 1, threshold: Double = 20) {
        self.beta = beta
        self.threshold = threshold
        super.init()
    }
    /// Applies softplus elementwise.
    public func callAsFunction(_ input: Tensor) -> Tensor { withForwardHooks(input) { input in input.softplus(beta: beta, threshold: threshold) } }
    /// The configuration shown by ``Module/description`` (PyTorch\'s `extra_repr`).
    public override var extraDescription: String { "beta: \(beta), threshold: \(threshold)" }
}

/// exp(x) / Σ exp(x) along an axis (PyTorch's `nn.Softmax`).
///
/// ```swift
/// let probabilities = Softmax(axis: 1)(logits)
/// ```
public final class Softmax: Module, Layer {
    /// The axis normalized over.
    public let axis: Int
    /// A softmax layer over `axis` (default the last).
    public init(axis: Int = -1) {
        self.axis = axis
        super.init()
    }
    /// Applies softmax along ``axis``.
    public func callAsFunction(_ input: Tensor) -> Tensor { withForwardHooks(input) { input in input.softmax(axis: axis) } }
    /// The configuration shown by ``Module/description`` (PyTorch\'s `extra_repr`).
    public override var extraDescription: String { "axis: \(axis)" }
}

/// log softmax along an axis (PyTorch's `nn.LogSoftmax`), computed stably.
///
/// ```swift
/// let logProbabilities = LogSoftmax(axis: 1)(logits)
/// ```
public final class LogSoftmax: Module, Layer {
    /// The axis normalized over.
    public let axis: Int
    /// A log-softmax layer over `axis` (default the last).
    public init(axis: Int = -1) {
        self.axis = axis
        super.init()
    }
    /// Applies log softmax along ``axis``.
    public func callAsFunction(_ input: Tensor) -> Tensor { withForwardHooks(input) { input in input.logSoftmax(axis: axis) } }
    /// The configuration shown by ``Module/description`` (PyTorch\'s `extra_repr`).
    public override var extraDescription: String { "axis: \(axis)" }
}

/// x clamped to [`minValue`, `maxValue`] (PyTorch's `nn.Hardtanh`).
///
/// ```swift
/// let act = Hardtanh(minValue: -2, maxValue: 2)
/// ```
public final class Hardtanh: Module, Layer {
    /// The lower bound.
    public let minValue: Double
    /// The upper bound.
    public let maxValue: Double
    /// A hardtanh layer (default bounds -1 and 1; `minValue` must not exceed `maxValue`).
    public init(minValue: Double = -1, maxValue: Double = 1) {
        let valid = validSetting(minValue <= maxValue, "Hardtanh: minValue \(minValue) is above maxValue \(maxValue)")
        self.minValue = valid ? minValue : -1
        self.maxValue = valid ? maxValue : 1
        super.init()
    }
    /// Applies hardtanh elementwise.
    public func callAsFunction(_ input: Tensor) -> Tensor { withForwardHooks(input) { input in input.hardtanh(minValue: minValue, maxValue: maxValue) } }
    /// The configuration shown by ``Module/description`` (PyTorch\'s `extra_repr`).
    public override var extraDescription: String { "minValue: \(minValue), maxValue: \(maxValue)" }
}

/// min(max(x, 0), 6) (PyTorch's `nn.ReLU6`).
///
/// ```swift
/// let block = Sequential { Conv2d(16, 32, kernelSize: 3, padding: 1); ReLU6() }
/// ```
public final class ReLU6: Module, Layer {
    /// A ReLU6 layer.
    public override init() { super.init() }
    /// Applies relu6 elementwise.
    public func callAsFunction(_ input: Tensor) -> Tensor { withForwardHooks(input) { input in input.relu6() } }
}

/// relu6(x + 3) / 6 (PyTorch's `nn.Hardsigmoid`).
///
/// ```swift
/// let gate = Hardsigmoid()
/// ```
public final class Hardsigmoid: Module, Layer {
    /// A hardsigmoid layer.
    public override init() { super.init() }
    /// Applies hardsigmoid elementwise.
    public func callAsFunction(_ input: Tensor) -> Tensor { withForwardHooks(input) { input in input.hardsigmoid() } }
}

/// x · relu6(x + 3) / 6 (PyTorch's `nn.Hardswish`).
///
/// ```swift
/// let act = Hardswish()
/// ```
public final class Hardswish: Module, Layer {
    /// A hardswish layer.
    public override init() { super.init() }
    /// Applies hardswish elementwise.
    public func callAsFunction(_ input: Tensor) -> Tensor { withForwardHooks(input) { input in input.hardswish() } }
}

/// x · tanh(softplus(x)) (PyTorch's `nn.Mish`).
///
/// ```swift
/// let act = Mish()
/// ```
public final class Mish: Module, Layer {
    /// A mish layer.
    public override init() { super.init() }
    /// Applies mish elementwise.
    public func callAsFunction(_ input: Tensor) -> Tensor { withForwardHooks(input) { input in input.mish() } }
}

/// The scaled exponential linear unit (PyTorch's `nn.SELU`).
///
/// ```swift
/// let act = SELU()
/// ```
public final class SELU: Module, Layer {
    /// A SELU layer.
    public override init() { super.init() }
    /// Applies SELU elementwise.
    public func callAsFunction(_ input: Tensor) -> Tensor { withForwardHooks(input) { input in input.selu() } }
}

/// max(0, x) + min(0, α(e^(x/α) − 1)) (PyTorch's `nn.CELU`).
///
/// ```swift
/// let act = CELU(alpha: 0.5)
/// ```
public final class CELU: Module, Layer {
    /// α.
    public let alpha: Double
    /// A CELU layer (default alpha 1; alpha must not be 0).
    public init(alpha: Double = 1) {
        self.alpha = validSetting(alpha != 0, "CELU: alpha must not be 0") ? alpha : 1
        super.init()
    }
    /// Applies CELU elementwise.
    public func callAsFunction(_ input: Tensor) -> Tensor { withForwardHooks(input) { input in input.celu(alpha: alpha) } }
    /// The configuration shown by ``Module/description`` (PyTorch\'s `extra_repr`).
    public override var extraDescription: String { "alpha: \(alpha)" }
}

/// log σ(x) (PyTorch's `nn.LogSigmoid`).
///
/// ```swift
/// let act = LogSigmoid()
/// ```
public final class LogSigmoid: Module, Layer {
    /// A log-sigmoid layer.
    public override init() { super.init() }
    /// Applies log-sigmoid elementwise.
    public func callAsFunction(_ input: Tensor) -> Tensor { withForwardHooks(input) { input in input.logSigmoid() } }
}

/// x / (1 + |x|) (PyTorch's `nn.Softsign`).
///
/// ```swift
/// let act = Softsign()
/// ```
public final class Softsign: Module, Layer {
    /// A softsign layer.
    public override init() { super.init() }
    /// Applies softsign elementwise.
    public func callAsFunction(_ input: Tensor) -> Tensor { withForwardHooks(input) { input in input.softsign() } }
}

/// x for x > 0, a·x otherwise, with a learned slope `a` — one for all channels or one per channel
/// (dimension 1 of an input of rank 2 or more) (PyTorch's `nn.PReLU`).
///
/// ```swift
/// let act = PReLU(numParameters: 16)   // one slope per channel of a [N, 16, H, W] input
/// ```
public final class PReLU: Module, Layer {
    /// The slopes for negative inputs, `[numParameters]`.
    @Parameter public var weight: Tensor

    /// A PReLU layer.
    /// - Parameters:
    ///   - numParameters: 1 (one slope shared by all channels) or the number of channels.
    ///   - initial: the slopes' starting value (default 0.25).
    ///   - dtype: the slopes' floating-point dtype, that of the inputs (default float32).
    public init(numParameters: Int = 1, initial: Double = 0.25, dtype: DType = .float32) {
        let count = validSetting(numParameters >= 1 && numParameters <= Int(Int32.max),
                                 "PReLU: numParameters must lie in 1...\(Int32.max), got \(numParameters)") ? numParameters : 1
        let type = validSetting(dtype.isFloatingPoint, "PReLU: dtype must be floating point, got \(dtype)") ? dtype : .float32
        weight = Tensor.full([count], value: initial, dtype: type).requiringGrad()
        super.init()
    }

    /// Applies PReLU: `x > 0 ? x : a·x` (see ``Functional/prelu(_:weight:)``).
    public func callAsFunction(_ input: Tensor) -> Tensor { withForwardHooks(input) { input in Functional.prelu(input, weight: weight) } }

    /// The configuration shown by ``Module/description`` (PyTorch\'s `extra_repr`).
    public override var extraDescription: String { "numParameters: \(_weight.shape.reduce(1, *))" }
}

/// x where |x| > λ, else 0 (PyTorch's `nn.Hardshrink`).
///
/// ```swift
/// let sparse = Hardshrink(lambda: 0.1)(x)
/// ```
public final class Hardshrink: Module, Layer {
    /// The half-width of the band set to 0 (PyTorch's `lambd`).
    public let lambda: Double
    /// A hardshrink layer (default λ = 0.5).
    public init(lambda: Double = 0.5) {
        self.lambda = lambda
        super.init()
    }
    /// Applies hardshrink elementwise.
    public func callAsFunction(_ input: Tensor) -> Tensor { withForwardHooks(input) { input in input.hardshrink(lambda: lambda) } }
    /// The configuration shown by ``Module/description`` (PyTorch\'s `extra_repr`).
    public override var extraDescription: String { "lambda: \(lambda)" }
}

/// x − λ above λ, x + λ below −λ, 0 between (PyTorch's `nn.Softshrink`).
///
/// ```swift
/// let denoised = Softshrink(lambda: 0.1)(coefficients)
/// ```
public final class Softshrink: Module, Layer {
    /// The shrinkage (PyTorch's `lambd`), ≥ 0.
    public let lambda: Double
    /// A softshrink layer (default λ = 0.5; a negative λ is an error).
    public init(lambda: Double = 0.5) {
        self.lambda = validSetting(lambda >= 0, "Softshrink: lambda must be greater than or equal to 0, got \(lambda)") ? lambda : 0.5
        super.init()
    }
    /// Applies softshrink elementwise.
    public func callAsFunction(_ input: Tensor) -> Tensor { withForwardHooks(input) { input in input.softshrink(lambda: lambda) } }
    /// The configuration shown by ``Module/description`` (PyTorch\'s `extra_repr`).
    public override var extraDescription: String { "lambda: \(lambda)" }
}

/// x − tanh(x) (PyTorch's `nn.Tanhshrink`).
///
/// ```swift
/// let y = Tanhshrink()(x)
/// ```
public final class Tanhshrink: Module, Layer {
    /// A tanhshrink layer.
    public override init() { super.init() }
    /// Applies tanhshrink elementwise.
    public func callAsFunction(_ input: Tensor) -> Tensor { withForwardHooks(input) { input in input.tanhshrink() } }
}

/// x where x > threshold, else a fixed value (PyTorch's `nn.Threshold`).
///
/// ```swift
/// let y = Threshold(0.1, value: 20)(x)
/// ```
public final class Threshold: Module, Layer {
    /// Inputs at or below it are replaced.
    public let threshold: Double
    /// What replaces them.
    public let value: Double
    /// A threshold layer.
    ///
    /// - Parameters:
    ///   - threshold: inputs at or below it are replaced.
    ///   - value: the replacement.
    public init(_ threshold: Double, value: Double) {
        self.threshold = threshold
        self.value = value
        super.init()
    }
    /// Applies the threshold elementwise.
    public func callAsFunction(_ input: Tensor) -> Tensor { withForwardHooks(input) { input in input.threshold(threshold, value: value) } }
    /// The configuration shown by ``Module/description`` (PyTorch\'s `extra_repr`).
    public override var extraDescription: String { "threshold: \(threshold), value: \(value)" }
}

/// The gated linear unit, a · σ(b) for the two halves of the input along an axis (PyTorch's `nn.GLU`).
///
/// ```swift
/// let block = Sequential { Linear(64, 256); GLU() }   // [N, 64] -> [N, 128]
/// ```
public final class GLU: Module, Layer {
    /// The dimension that is halved.
    public let axis: Int
    /// A GLU layer halving `axis` (default the last), which must have an even size.
    public init(axis: Int = -1) {
        self.axis = axis
        super.init()
    }
    /// Applies the gated linear unit.
    public func callAsFunction(_ input: Tensor) -> Tensor { withForwardHooks(input) { input in input.glu(axis: axis) } }
    /// The configuration shown by ``Module/description`` (PyTorch\'s `extra_repr`).
    public override var extraDescription: String { "axis: \(axis)" }
}

/// softmax(−x) along an axis (PyTorch's `nn.Softmin`).
///
/// ```swift
/// let weights = Softmin(axis: 1)(distances)
/// ```
public final class Softmin: Module, Layer {
    /// The axis normalized over.
    public let axis: Int
    /// A softmin layer over `axis` (default the last).
    public init(axis: Int = -1) {
        self.axis = axis
        super.init()
    }
    /// Applies softmin along ``axis``.
    public func callAsFunction(_ input: Tensor) -> Tensor { withForwardHooks(input) { input in input.softmin(axis: axis) } }
    /// The configuration shown by ``Module/description`` (PyTorch\'s `extra_repr`).
    public override var extraDescription: String { "axis: \(axis)" }
}

/// Softmax over the channels of each position (PyTorch's `nn.Softmax2d`): axis −3 of `[N, C, H, W]`
/// or `[C, H, W]`.
///
/// ```swift
/// let probabilities = Softmax2d()(logits)   // [N, classes, H, W], each pixel's classes sum to 1
/// ```
public final class Softmax2d: Module, Layer {
    /// A channel-softmax layer.
    public override init() { super.init() }

    /// The softmax over axis −3 of a 3-D or 4-D input.
    public func callAsFunction(_ input: Tensor) -> Tensor {
        withForwardHooks(input) { input in
            checked {
                try require(input.rank == 3 || input.rank == 4, "Softmax2d: input must be [N, C, H, W] or [C, H, W], got \(input.shape)", .shapeMismatch)
                return input.softmax(axis: -3)
            }
        }
    }
}
