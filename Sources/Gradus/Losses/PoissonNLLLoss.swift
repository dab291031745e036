// The negative log-likelihood of counts under a Poisson distribution of predicted rate.

extension Tensor {
    /// The Poisson negative log-likelihood with this tensor as the predicted rate (PyTorch's
    /// `F.poisson_nll_loss`): `exp(x) − y·x` for a log rate (`logInput`, the default), else
    /// `x − y·log(x + eps)`; with `full`, Stirling's approximation of log(y!), `y·log y − y + ½·log(2πy)`,
    /// is added where y > 1.
    ///
    /// - Parameters:
    ///   - target: the observed counts y, of the same shape.
    ///   - logInput: whether this tensor holds log rates (default) or rates.
    ///   - full: add the Stirling term (a constant in the prediction).
    ///   - eps: keeps `log(x + eps)` finite at a zero rate (without `logInput`).
    ///   - reduction: `.mean` (default), `.sum` or `.none`.
    ///
    /// ```swift
    /// let loss = logRates.poissonNLLLoss(counts)
    /// ```
    public func poissonNLLLoss(_ target: Tensor, logInput: Bool = true, full: Bool = false, eps: Double = 1e-8,
                               reduction: Reduction = .mean) -> Tensor {
        checked {
            try requireSameShape(target, "poissonNLLLoss")
            var loss = logInput ? exp() - target * self : self - target * (self + eps).log()
            if full {
                let stirling = target * target.log() - target + (target * (2 * Double.pi)).log() * 0.5
                loss = loss + stirling.maskedWhere(target.le(1.0), 0)
            }
            return loss.reduced(reduction)
        }
    }
}

/// The Poisson negative log-likelihood as a callable struct (PyTorch's `nn.PoissonNLLLoss`).
///
/// ```swift
/// let criterion = PoissonNLLLoss()
/// let loss = criterion(logRates, counts)
/// ```
public struct PoissonNLLLoss: Sendable {
    /// Whether predictions are log rates.
    public var logInput: Bool
    /// Whether the Stirling term is added.
    public var full: Bool
    /// Added to a rate before its logarithm (without `logInput`).
    public var eps: Double
    /// How per-element losses are combined.
    public var reduction: Reduction

    /// Creates the criterion.
    /// - Parameters:
    ///   - logInput: predictions are log rates (default true).
    ///   - full: add Stirling's approximation of log(y!) (default false).
    ///   - eps: default 1e-8.
    ///   - reduction: `.mean` (default), `.sum` or `.none`.
    public init(logInput: Bool = true, full: Bool = false, eps: Double = 1e-8, reduction: Reduction = .mean) {
        self.logInput = logInput
        self.full = full
        self.eps = eps
        self.reduction = reduction
    }

    /// The loss of predictions `input` for counts `target`.
    public func callAsFunction(_ input: Tensor, _ target: Tensor) -> Tensor {
        input.poissonNLLLoss(target, logInput: logInput, full: full, eps: eps, reduction: reduction)
    }
}
