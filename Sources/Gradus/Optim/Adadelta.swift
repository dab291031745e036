/// Adadelta: steps scaled by the ratio of running RMS of past updates and of gradients, so that no
/// learning rate needs tuning (Zeiler 2012; PyTorch's `torch.optim.Adadelta`).
///
/// For each parameter θ with gradient g (ρ = rho, γ = lr, λ = weightDecay):
///
///     g ← −g                                  if maximize
///     g ← g + λ·θ                             if λ ≠ 0
///     v ← ρ·v + (1 − ρ)·g²                    (from 0)
///     Δ ← √(u + ε) / √(v + ε) · g             (u from 0)
///     u ← ρ·u + (1 − ρ)·Δ²
///     θ ← θ − γ·Δ
///
/// Options: `lr` (default 1), `rho`, `eps`, `weightDecay`, `maximize` (0/1).
///
/// ```swift
/// let optimizer = Adadelta(model.parameters())
/// ```
public final class Adadelta: Optimizer, @unchecked Sendable {
    /// The update reads no step count (see ``Optimizer``'s state loading).
    override var updateReadsStep: Bool { false }

    /// Creates the optimizer over one group of parameters.
    ///
    /// - Parameters:
    ///   - parameters: leaf tensors that require gradients.
    ///   - lr: γ, a scale of the computed update (1 in the paper).
    ///   - rho: ρ, the decay of the running averages.
    ///   - eps: ε, inside both square roots.
    ///   - weightDecay: λ, the L2 penalty added to the gradient.
    ///   - maximize: ascend instead of descend.
    public convenience init(_ parameters: [Tensor], lr: Double = 1.0, rho: Double = 0.9, eps: Double = 1e-6,
                            weightDecay: Double = 0, maximize: Bool = false) {
        self.init(groups: [ParameterGroup(parameters)], lr: lr, rho: rho, eps: eps, weightDecay: weightDecay,
                  maximize: maximize)
    }

    /// Creates the optimizer over several groups; the arguments are the defaults that each group's
    /// options override.
    ///
    /// ```swift
    /// let adadelta = Adadelta(groups: [ParameterGroup(a), ParameterGroup(b, ["rho": 0.95])])
    /// ```
    public init(groups: [ParameterGroup], lr: Double = 1.0, rho: Double = 0.9, eps: Double = 1e-6,
                weightDecay: Double = 0, maximize: Bool = false) {
        _ = validSetting(lr >= 0, "Adadelta: invalid learning rate \(lr)")
        _ = validSetting(rho >= 0 && rho <= 1, "Adadelta: invalid rho \(rho)")
        _ = validSetting(eps >= 0, "Adadelta: invalid eps \(eps)")
        _ = validSetting(weightDecay >= 0, "Adadelta: invalid weightDecay \(weightDecay)")
        super.init(groups: groups,
                   defaults: ["lr": lr, "rho": rho, "eps": eps, "weightDecay": weightDecay, "maximize": maximize ? 1 : 0],
                   bufferNames: ["square_avg", "acc_delta"])
    }

    override func update(group g: Int) throws {
        let o = parameterGroups[g].options
        let lr = o["lr"]!, rho = o["rho"]!, eps = o["eps"]!, wd = o["weightDecay"]!, maximize = o["maximize"]! != 0
        try forEachParameter(group: g) { p, grad, s in
            let v = s.buffer(0, like: p), u = s.buffer(1, like: p)
            func run<T: TensorFloat>(_: T.Type) {
                let pp = p.pointer(T.self), gp = grad.pointer(T.self), vp = v.pointer(T.self), up = u.pointer(T.self)
                let sign: T = maximize ? -1 : 1, wdT = T(wd), rhoT = T(rho), w = T(1 - rho), epsT = T(eps), lrT = T(-lr)
                Optimizer.parallelUpdate(p.count) { r in
                    for i in r {
                        let d = sign * gp[i] + wdT * pp[i]
                        vp[i] = vp[i] * rhoT + w * (d * d)
                        let std = T.sqrt(vp[i] + epsT)
                        let delta = T.sqrt(up[i] + epsT) / std * d
                        up[i] = up[i] * rhoT + w * (delta * delta)
                        pp[i] += lrT * delta
                    }
                }
            }
            Optimizer.dispatch(p.dtype, { run(Float.self) }, { run(Double.self) })
        }
    }
}
