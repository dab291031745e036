/// AdamW: Adam with decoupled weight decay (Loshchilov & Hutter; PyTorch's `torch.optim.AdamW`).
///
/// For each parameter θ with gradient g, at step t (β₁, β₂ = betas, γ = lr, λ = weightDecay):
///
///     g ← −g                                  if maximize
///     θ ← θ·(1 − γ·λ)                          (decay applied to θ, not added to g)
///     m ← β₁·m + (1 − β₁)·g
///     v ← β₂·v + (1 − β₂)·g²
///     v̂ ← max(v̂, v)  and use v̂ for v below   if amsgrad
///     θ ← θ − γ/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)
///
/// Options: `lr`, `beta1`, `beta2`, `eps`, `weightDecay` (default 0.01), `amsgrad` (0/1), `maximize` (0/1).
///
/// ```swift
/// let optimizer = AdamW(model.parameters(), lr: 1e-3, weightDecay: 0.05)
/// ```
public final class AdamW: Adam, @unchecked Sendable {
    /// Creates the optimizer over one group of parameters.
    ///
    /// - Parameters:
    ///   - parameters: leaf tensors that require gradients.
    ///   - lr: the learning rate γ.
    ///   - betas: the decay rates (β₁, β₂) of the moment averages.
    ///   - eps: ε, added to the denominator.
    ///   - weightDecay: λ: each step multiplies θ by 1 − γ·λ.
    ///   - amsgrad: use the maximum of past second moments (AMSGrad).
    ///   - maximize: ascend instead of descend.
    public convenience init(_ parameters: [Tensor], lr: Double = 0.001, betas: (Double, Double) = (0.9, 0.999),
                            eps: Double = 1e-8, weightDecay: Double = 0.01, amsgrad: Bool = false, maximize: Bool = false) {
        self.init(groups: [ParameterGroup(parameters)], lr: lr, betas: betas, eps: eps, weightDecay: weightDecay,
                  amsgrad: amsgrad, maximize: maximize)
    }

    /// Creates the optimizer over several groups; the arguments are the defaults that each group's
    /// options override.
    ///
    /// ```swift
    /// let adamw = AdamW(groups: [ParameterGroup(weights), ParameterGroup(norms, ["weightDecay": 0])])
    /// ```
    public convenience init(groups: [ParameterGroup], lr: Double = 0.001, betas: (Double, Double) = (0.9, 0.999),
                            eps: Double = 1e-8, weightDecay: Double = 0.01, amsgrad: Bool = false, maximize: Bool = false) {
        self.init(groups: groups, lr: lr, betas: betas, eps: eps, weightDecay: weightDecay, amsgrad: amsgrad,
                  maximize: maximize, decoupled: true)
    }
}
