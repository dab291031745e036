/// Rectified Adam (PyTorch's `torch.optim.RAdam`, Liu et al. 2019): Adam whose adaptive step is
/// switched on only once the variance of its second-moment estimate is tractable, and then scaled by a
/// rectification term — a warm-up without a schedule.
///
/// For each parameter θ with gradient g, at step t (β₁, β₂ = betas, γ = lr, λ = weightDecay):
///
///     g ← −g                                            if maximize
///     θ ← θ·(1 − γλ)  if decoupledWeightDecay, else g ← g + λ·θ
///     m ← β₁·m + (1 − β₁)·g,  v ← β₂·v + (1 − β₂)·g²    (from 0)
///     m̂ = m / (1 − β₁ᵗ),  ρ∞ = 2/(1 − β₂) − 1,  ρₜ = ρ∞ − 2tβ₂ᵗ/(1 − β₂ᵗ)
///     ρₜ > 5:  r = √((ρₜ−4)(ρₜ−2)ρ∞ / ((ρ∞−4)(ρ∞−2)ρₜ)),  θ ← θ − γ · m̂ · r · √(1 − β₂ᵗ)/(√v + ε)
///     else:    θ ← θ − γ · m̂
///
/// Options: `lr` (default 0.001), `beta1`, `beta2`, `eps`, `weightDecay`, `decoupledWeightDecay` (0/1),
/// `maximize` (0/1).
///
/// ```swift
/// let optimizer = RAdam(model.parameters(), lr: 1e-3)
/// ```
public final class RAdam: Optimizer, @unchecked Sendable {
    /// Creates the optimizer over one group of parameters.
    ///
    /// - Parameters:
    ///   - parameters: leaf tensors that require gradients.
    ///   - lr: the learning rate γ.
    ///   - betas: the decay rates (β₁, β₂) of the first and second moments.
    ///   - eps: ε, added to √v.
    ///   - weightDecay: λ.
    ///   - decoupledWeightDecay: decay the weights directly (as AdamW) instead of adding λθ to the gradient.
    ///   - maximize: ascend instead of descend.
    public convenience init(_ parameters: [Tensor], lr: Double = 0.001, betas: (Double, Double) = (0.9, 0.999),
                            eps: Double = 1e-8, weightDecay: Double = 0, decoupledWeightDecay: Bool = false,
                            maximize: Bool = false) {
        self.init(groups: [ParameterGroup(parameters)], lr: lr, betas: betas, eps: eps, weightDecay: weightDecay,
                  decoupledWeightDecay: decoupledWeightDecay, maximize: maximize)
    }

    /// Creates the optimizer over several groups; the arguments are the defaults that each group's
    /// options override.
    ///
    /// ```swift
    /// let radam = RAdam(groups: [ParameterGroup(a), ParameterGroup(b, ["weightDecay": 0.01])])
    /// ```
    public init(groups: [ParameterGroup], lr: Double = 0.001, betas: (Double, Double) = (0.9, 0.999),
                eps: Double = 1e-8, weightDecay: Double = 0, decoupledWeightDecay: Bool = false, maximize: Bool = false) {
        _ = validSetting(lr >= 0, "RAdam: invalid learning rate \(lr)")
        _ = validSetting(eps >= 0, "RAdam: invalid eps \(eps)")
        _ = validSetting(betas.0 >= 0 && betas.0 < 1 && betas.1 >= 0 && betas.1 < 1, "RAdam: invalid betas \(betas)")
        _ = validSetting(weightDecay >= 0, "RAdam: invalid weightDecay \(weightDecay)")
        super.init(groups: groups,
                   defaults: ["lr": lr, "beta1": betas.0, "beta2": betas.1, "eps": eps, "weightDecay": weightDecay,
                              "decoupledWeightDecay": decoupledWeightDecay ? 1 : 0, "maximize": maximize ? 1 : 0],
                   bufferNames: ["exp_avg", "exp_avg_sq"])
    }

    override func update(group g: Int) throws {
        let o = parameterGroups[g].options
        let lr = o["lr"]!, b1 = o["beta1"]!, b2 = o["beta2"]!, eps = o["eps"]!, wd = o["weightDecay"]!
        let decoupled = o["decoupledWeightDecay"]! != 0, maximize = o["maximize"]! != 0
        try forEachParameter(group: g) { p, grad, s in
            let m = s.buffer(0, like: p), v = s.buffer(1, like: p)
            let t = Double(s.step)
            let correction1 = 1 - Double.pow(b1, t), correction2 = 1 - Double.pow(b2, t)
            let rhoInfinity = 2 / (1 - b2) - 1
            let rho = rhoInfinity - 2 * t * Double.pow(b2, t) / correction2
            let rectified = rho > 5
            let rect = rectified
                ? ((rho - 4) * (rho - 2) * rhoInfinity / ((rhoInfinity - 4) * (rhoInfinity - 2) * rho)).squareRoot() : 0
            func run<T: TensorFloat>(_: T.Type) {
                let pp = p.pointer(T.self), gp = grad.pointer(T.self), mp = m.pointer(T.self), vp = v.pointer(T.self)
                let sign: T = maximize ? -1 : 1, w1 = T(1 - b1), b2T = T(b2), w2 = T(1 - b2), epsT = T(eps)
                let c1 = T(correction1), rootC2 = T(correction2.squareRoot()), lrT = T(lr), rectT = T(rect)
                let l2: T = decoupled ? 0 : T(wd), shrink: T = decoupled ? T(1 - lr * wd) : 1
                Optimizer.parallelUpdate(p.count) { r in
                    for i in r {
                        if decoupled { pp[i] *= shrink }
                        let d = sign * gp[i] + l2 * pp[i]
                        mp[i] = lerp(mp[i], d, w1)
                        vp[i] = vp[i] * b2T + w2 * d * d
                        let corrected = mp[i] / c1
                        if rectified {
                            pp[i] -= corrected * lrT * (rootC2 / (vp[i].squareRoot() + epsT)) * rectT
                        } else {
                            pp[i] -= corrected * lrT
                        }
                    }
                }
            }
            Optimizer.dispatch(p.dtype, { run(Float.self) }, { run(Double.self) })
        }
    }
}
