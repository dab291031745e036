// The negative log-likelihood of targets under Gaussians of predicted mean and variance.

extension Tensor {
    /// The Gaussian negative log-likelihood with this tensor as the predicted mean (PyTorch's
    /// `F.gaussian_nll_loss`): `½·(log v + (x − y)² / v)`, plus `½·log 2π` with `full`.
    ///
    /// The variance is clamped to at least `eps` for stability, and, as in PyTorch, the clamp passes the
    /// gradient through unchanged. `variance` may have this tensor's shape, lack its last dimension (one
    /// variance per sample), or have this tensor's shape with one dimension of size 1 (shared along it,
    /// a per-pixel variance `[N, 1, H, W]` for instance); it is converted to this tensor's dtype.
    ///
    /// - Parameters:
    ///   - target: the observations y, of this tensor's shape.
    ///   - variance: the predicted variances v, none negative.
    ///   - full: add the constant `½·log 2π`.
    ///   - eps: the smallest variance used (default 1e-6).
    ///   - reduction: `.mean` (default), `.sum` or `.none`.
    ///
    /// ```swift
    /// let loss = mean.gaussianNLLLoss(y, variance: logVariance.exp())
    /// ```
    public func gaussianNLLLoss(_ target: Tensor, variance: Tensor, full: Bool = false, eps: Double = 1e-6,
                                reduction: Reduction = .mean) -> Tensor {
        checked {
            let op = "gaussianNLLLoss"
            try requireSameShape(target, op)
            try require(variance.dtype.isFloatingPoint, "\(op): variance must be floating point, got \(variance.dtype)", .dtypeMismatch)
            var v = variance.dtype == dtype ? variance : variance.to(dtype)
            if variance.shape != shape {
                let differing = zip(variance.shape, shape).filter { $0 != $1 }
                if rank >= 1 && variance.shape == Array(shape.dropLast()) {
                    v = v.unsqueeze(-1)
                } else {
                    try require(variance.rank == rank && differing.count == 1 && differing[0].0 == 1,
                                "\(op): variance of shape \(variance.shape) must have the input's shape \(shape), lack its last dimension, or have the input's shape with one dimension of size 1",
                                .shapeMismatch)
                }
            }
            try require(eps >= 0 && eps.isFinite, "\(op): eps must be finite and not negative, got \(eps)")
            try require(v.count == 0 || !(GradMode.noGrad { v.min().item(Double.self) } < 0),
                        "\(op): the variance has a negative entry", .invalidArgument)
            // The clamp without a gradient of its own (PyTorch clamps a copy in place under no_grad).
            let clamped = v + (v.clamp(min: eps) - v).detach()
            var loss = (clamped.log() + (self - target).square() / clamped) * 0.5
            if full { loss = loss + 0.918_938_533_204_672_7 }   // ½·log 2π
            return loss.reduced(reduction)
        }
    }
}

/// The Gaussian negative log-likelihood as a callable struct (PyTorch's `nn.GaussianNLLLoss`).
///
/// ```swift
/// let criterion = GaussianNLLLoss()
/// let loss = criterion(mean, y, variance)
/// ```
public struct GaussianNLLLoss: Sendable {
    /// Whether the constant `½·log 2π` is added.
    public var full: Bool
    /// The smallest variance used.
    public var eps: Double
    /// How per-element losses are combined.
    public var reduction: Reduction

    /// Creates the criterion.
    /// - Parameters:
    ///   - full: add `½·log 2π` (default false).
    ///   - eps: default 1e-6.
    ///   - reduction: `.mean` (default), `.sum` or `.none`.
    public init(full: Bool = false, eps: Double = 1e-6, reduction: Reduction = .mean) {
        self.full = full
        self.eps = eps
        self.reduction = reduction
    }

    /// The loss of predicted means `input` and variances `variance` for observations `target`.
    public func callAsFunction(_ input: Tensor, _ target: Tensor, _ variance: Tensor) -> Tensor {
        input.gaussianNLLLoss(target, variance: variance, full: full, eps: eps, reduction: reduction)
    }
}
