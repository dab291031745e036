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
    public func callAsFunction(_ input: Tensor) -> Tensor { input.relu() }
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
    public func callAsFunction(_ input: Tensor) -> Tensor { input.leakyRelu(negativeSlope: negativeSlope) }
    /// The configuration shown by ``Module/description`` (PyTorch\'s `extra_repr`).
    public override var extraDescription: String { "negativeSlope: \(negativeSlope)" }
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
    public func callAsFunction(_ input: Tensor) -> Tensor { input.elu(alpha: alpha) }
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
    public func callAsFunction(_ input: Tensor) -> Tensor { input.gelu(approximate: approximate) }
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
    public func callAsFunction(_ input: Tensor) -> Tensor { input.silu() }
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
    public func callAsFunction(_ input: Tensor) -> Tensor { input.sigmoid() }
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
    public func callAsFunction(_ input: Tensor) -> Tensor { input.tanh() }
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
    public func callAsFunction(_ input: Tensor) -> Tensor { input.softplus(beta: beta, threshold: threshold) }
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
    public func callAsFunction(_ input: Tensor) -> Tensor { input.softmax(axis: axis) }
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
    public func callAsFunction(_ input: Tensor) -> Tensor { input.logSoftmax(axis: axis) }
    /// The configuration shown by ``Module/description`` (PyTorch\'s `extra_repr`).
    public override var extraDescription: String { "axis: \(axis)" }
}
