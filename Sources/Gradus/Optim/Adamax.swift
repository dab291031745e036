/// Adamax: Adam with the infinity norm in place of the second moment (PyTorch's `torch.optim.Adamax`).
///
/// For each parameter θ with gradient g, at step t (β₁, β₂ = betas, γ = lr, λ = weightDecay):
///
///     g ← −g                                  if maximize
///     g ← g + λ·θ                             if λ ≠ 0
///     m ← β₁·m + (1 − β₁)·g                   (from 0)
///     u ← max(β₂·u, |g| + ε)                  (from 0)
///     θ ← θ − γ/(1 − β₁ᵗ) · m/u
///
/// Options: `lr` (default 0.002), `beta1`, `beta2`, `eps`, `weightDecay`, `maximize` (0/1).
///
/// ```swift
/// let optimizer = Adamax(model.parameters())
/// ```
public final class Adamax: Optimizer, @unchecked Sendable {
    /// Creates the optimizer over one group of parameters.
    ///
    /// - Parameters:
    ///   - parameters: leaf tensors that require gradients.
    ///   - lr: the learning rate γ.
    ///   - betas: the decay rates (β₁, β₂) of the first moment and of the infinity norm.
    ///   - eps: ε, added to |g|.
    ///   - weightDecay: λ, the L2 penalty added to the gradient.
    ///   - maximize: ascend instead of descend.
    public convenience init(_ parameters: [Tensor], lr: Double = 0.002, betas: (Double, Double) = (0.9, 0.999),
                            eps: Double = 1e-8, weightDecay: Double = 0, maximize: Bool = false) {
        self.init(groups: [ParameterGroup(parameters)], lr: lr, betas: betas, eps: eps, weightDecay: weightDecay,
                  maximize: maximize)
    }

    /// Creates the optimizer over several groups; the arguments are the defaults that each group's
    /// options override.
    ///
    /// ```swift
    /// let adamax = Adamax(groups: [ParameterGroup(a), ParameterGroup(b, ["lr": 0.01])])
    /// ```
    public init(groups: [ParameterGroup], lr: Double = 0.002, betas: (Double, Double) = (0.9, 0.999),
                eps: Double = 1e-8, weightDecay: Double = 0, maximize: Bool = false) {
        _ = validSetting(lr >= 0, "Adamax: invalid learning rate \(lr)")
        _ = validSetting(eps >= 0, "Adamax: invalid eps \(eps)")
        _ = validSetting(betas.0 >= 0 && betas.0 < 1 && betas.1 >= 0 && betas.1 < 1, "Adamax: invalid betas \(betas)")
        _ = validSetting(weightDecay >= 0, "Adamax: invalid weightDecay \(weightDecay)")
        super.init(groups: groups,
                   defaults: ["lr": lr, "beta1": betas.0, "beta2": betas.1, "eps": eps, "weightDecay": weightDecay,
                              "maximize": maximize ? 1 : 0],
                   bufferNames: ["exp_avg", "exp_inf"])
    }

    override func update(group g: Int) throws {
        let o = parameterGroups[g].options
        let lr = o["lr"]!, b1 = o["beta1"]!, b2 = o["beta2"]!, eps = o["eps"]!, wd = o["weightDecay"]!
        let maximize = o["maximize"]! != 0
        try forEachParameter(group: g) { p, grad, s in
            let m = s.buffer(0, like: p), u = s.buffer(1, like: p)
            let clr = lr / (1 - Double.pow(b1, Double(s.step)))
            func run<T: TensorFloat>(_: T.Type) {
                let pp = p.pointer(T.self), gp = grad.pointer(T.self), mp = m.pointer(T.self), up = u.pointer(T.self)
                let sign: T = maximize ? -1 : 1, wdT = T(wd), w1 = T(1 - b1), b2T = T(b2), epsT = T(eps), step = T(-clr)
                Optimizer.parallelUpdate(p.count) { r in
                    for i in r {
                        let d = sign * gp[i] + wdT * pp[i]
                        mp[i] = lerp(mp[i], d, w1)
                        up[i] = Swift.max(up[i] * b2T, Swift.abs(d) + epsT)
                        pp[i] += step * (mp[i] / up[i])
                    }
                }
            }
            Optimizer.dispatch(p.dtype, { run(Float.self) }, { run(Double.self) })
        }
    }
}
