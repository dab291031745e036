/// Adam with Nesterov momentum (PyTorch's `torch.optim.NAdam`, Dozat 2016): the step looks ahead with a
/// momentum coefficient μₜ that warms up over the first steps.
///
/// For each parameter θ with gradient g, at step t (β₁, β₂ = betas, γ = lr, λ = weightDecay, ψ = momentumDecay):
///
///     g ← −g                                            if maximize
///     θ ← θ·(1 − γλ)  if decoupledWeightDecay, else g ← g + λ·θ
///     μₜ = β₁·(1 − ½·0.96^(t·ψ)),  μₜ₊₁ likewise,  Πₜ = μ₁⋯μₜ
///     m ← β₁·m + (1 − β₁)·g,  v ← β₂·v + (1 − β₂)·g²    (from 0)
///     d = √(v / (1 − β₂ᵗ)) + ε
///     θ ← θ − γ(1 − μₜ)/(1 − Πₜ) · g/d − γμₜ₊₁/(1 − Πₜμₜ₊₁) · m/d
///
/// As in PyTorch, the product Πₜ is kept in float32. Options: `lr` (default 0.002), `beta1`, `beta2`,
/// `eps`, `weightDecay`, `momentumDecay` (default 0.004), `decoupledWeightDecay` (0/1), `maximize` (0/1).
///
/// ```swift
/// let optimizer = NAdam(model.parameters(), lr: 0.002)
/// ```
public final class NAdam: Optimizer, @unchecked Sendable {
    /// The last Πₜ recomputed from scratch, with what it was computed from: parameters that need it at
    /// the same step (after a load, every parameter of a group) share one computation.
    private var recomputed: (beta1: Double, momentumDecay: Double, step: Int, value: Float)?

    /// Creates the optimizer over one group of parameters.
    ///
    /// - Parameters:
    ///   - parameters: leaf tensors that require gradients.
    ///   - lr: the learning rate γ.
    ///   - betas: the decay rates (β₁, β₂) of the first and second moments.
    ///   - eps: ε, added to the denominator.
    ///   - weightDecay: λ.
    ///   - momentumDecay: ψ, how fast μₜ warms up to β₁.
    ///   - decoupledWeightDecay: decay the weights directly (as AdamW) instead of adding λθ to the gradient.
    ///   - maximize: ascend instead of descend.
    public convenience init(_ parameters: [Tensor], lr: Double = 0.002, betas: (Double, Double) = (0.9, 0.999),
                            eps: Double = 1e-8, weightDecay: Double = 0, momentumDecay: Double = 0.004,
                            decoupledWeightDecay: Bool = false, maximize: Bool = false) {
        self.init(groups: [ParameterGroup(parameters)], lr: lr, betas: betas, eps: eps, weightDecay: weightDecay,
                  momentumDecay: momentumDecay, decoupledWeightDecay: decoupledWeightDecay, maximize: maximize)
    }

    /// Creates the optimizer over several groups; the arguments are the defaults that each group's
    /// options override.
    ///
    /// ```swift
    /// let nadam = NAdam(groups: [ParameterGroup(a), ParameterGroup(b, ["lr": 0.01])])
    /// ```
    public init(groups: [ParameterGroup], lr: Double = 0.002, betas: (Double, Double) = (0.9, 0.999),
                eps: Double = 1e-8, weightDecay: Double = 0, momentumDecay: Double = 0.004,
                decoupledWeightDecay: Bool = false, maximize: Bool = false) {
        _ = validSetting(lr >= 0, "NAdam: invalid learning rate \(lr)")
        _ = validSetting(eps >= 0, "NAdam: invalid eps \(eps)")
        _ = validSetting(betas.0 >= 0 && betas.0 < 1 && betas.1 >= 0 && betas.1 < 1, "NAdam: invalid betas \(betas)")
        _ = validSetting(weightDecay >= 0, "NAdam: invalid weightDecay \(weightDecay)")
        _ = validSetting(momentumDecay >= 0, "NAdam: invalid momentumDecay \(momentumDecay)")
        super.init(groups: groups,
                   defaults: ["lr": lr, "beta1": betas.0, "beta2": betas.1, "eps": eps, "weightDecay": weightDecay,
                              "momentumDecay": momentumDecay, "decoupledWeightDecay": decoupledWeightDecay ? 1 : 0,
                              "maximize": maximize ? 1 : 0],
                   bufferNames: ["exp_avg", "exp_avg_sq"])
    }

    override func update(group g: Int) throws {
        let o = parameterGroups[g].options
        let lr = o["lr"]!, b1 = o["beta1"]!, b2 = o["beta2"]!, eps = o["eps"]!, wd = o["weightDecay"]!
        let psi = o["momentumDecay"]!, decoupled = o["decoupledWeightDecay"]! != 0, maximize = o["maximize"]! != 0
        func mu(_ t: Int) -> Double { b1 * (1 - 0.5 * Double.pow(0.96, Double(t) * psi)) }
        try forEachParameter(group: g) { p, grad, s in
            let m = s.buffer(0, like: p), v = s.buffer(1, like: p)
            let t = s.step
            // Πₜ in float32, as PyTorch's state tensor; recomputed from the step after a load.
            var product: Float
            if let cached = s.runningProduct, cached.step == t - 1 {
                product = cached.value * Float(mu(t))
            } else if let r = recomputed, r.beta1 == b1, r.momentumDecay == psi, r.step == t {
                product = r.value
            } else {
                product = 1
                for k in 1...t { product = product * Float(mu(k)) }
                recomputed = (b1, psi, t, product)
            }
            s.runningProduct = (t, product)
            let muT = mu(t), muNext = mu(t + 1)
            let gradScale = -lr * (1 - muT) / (1 - Double(product))
            let momentumScale = -lr * muNext / (1 - Double(product) * muNext)
            let correction2 = 1 - Double.pow(b2, Double(t))
            func run<T: TensorFloat>(_: T.Type) {
                let pp = p.pointer(T.self), gp = grad.pointer(T.self), mp = m.pointer(T.self), vp = v.pointer(T.self)
                let sign: T = maximize ? -1 : 1, w1 = T(1 - b1), b2T = T(b2), w2 = T(1 - b2), epsT = T(eps)
                let c2 = T(correction2), gs = T(gradScale), ms = T(momentumScale)
                let l2: T = decoupled ? 0 : T(wd), shrink: T = decoupled ? T(1 - lr * wd) : 1
                Optimizer.parallelUpdate(p.count) { r in
                    for i in r {
                        if decoupled { pp[i] *= shrink }
                        let d = sign * gp[i] + l2 * pp[i]
                        mp[i] = lerp(mp[i], d, w1)
                        vp[i] = vp[i] * b2T + w2 * d * d
                        let denominator = (vp[i] / c2).squareRoot() + epsT
                        pp[i] += gs * d / denominator
                        pp[i] += ms * mp[i] / denominator
                    }
                }
            }
            Optimizer.dispatch(p.dtype, { run(Float.self) }, { run(Double.self) })
        }
    }
}
