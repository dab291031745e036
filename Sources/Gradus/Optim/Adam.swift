/// Adam: adaptive moment estimation (PyTorch's `torch.optim.Adam`), with L2 weight decay added to the
/// gradient and the AMSGrad variant. ``AdamW`` is the same with decoupled weight decay.
///
/// For each parameter θ with gradient g, at step t (β₁, β₂ = betas, γ = lr, λ = weightDecay):
///
///     g ← −g                                  if maximize
///     g ← g + λ·θ                             if λ ≠ 0
///     m ← β₁·m + (1 − β₁)·g                   (first moment, from 0)
///     v ← β₂·v + (1 − β₂)·g²                  (second moment, from 0)
///     v̂ ← max(v̂, v)  and use v̂ for v below   if amsgrad
///     θ ← θ − γ/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)
///
/// Options: `lr`, `beta1`, `beta2`, `eps`, `weightDecay`, `amsgrad` (0/1), `maximize` (0/1).
///
/// ```swift
/// let optimizer = Adam(model.parameters(), lr: 1e-3)
/// ```
public class Adam: Optimizer, @unchecked Sendable {
    /// Whether weight decay shrinks θ directly (AdamW) instead of adding λ·θ to the gradient.
    let decoupledWeightDecay: Bool

    /// Creates the optimizer over one group of parameters.
    ///
    /// - Parameters:
    ///   - parameters: leaf tensors that require gradients.
    ///   - lr: the learning rate γ.
    ///   - betas: the decay rates (β₁, β₂) of the moment averages.
    ///   - eps: ε, added to the denominator.
    ///   - weightDecay: λ, the L2 penalty added to the gradient.
    ///   - amsgrad: use the maximum of past second moments (AMSGrad).
    ///   - maximize: ascend instead of descend.
    public convenience init(_ parameters: [Tensor], lr: Double = 0.001, betas: (Double, Double) = (0.9, 0.999),
                            eps: Double = 1e-8, weightDecay: Double = 0, amsgrad: Bool = false, maximize: Bool = false) {
        self.init(groups: [ParameterGroup(parameters)], lr: lr, betas: betas, eps: eps, weightDecay: weightDecay,
                  amsgrad: amsgrad, maximize: maximize)
    }

    /// Creates the optimizer over several groups; the arguments are the defaults that each group's
    /// options override.
    ///
    /// ```swift
    /// let adam = Adam(groups: [ParameterGroup(body), ParameterGroup(head, ["lr": 1e-2])], lr: 1e-3)
    /// ```
    public convenience init(groups: [ParameterGroup], lr: Double = 0.001, betas: (Double, Double) = (0.9, 0.999),
                            eps: Double = 1e-8, weightDecay: Double = 0, amsgrad: Bool = false, maximize: Bool = false) {
        self.init(groups: groups, lr: lr, betas: betas, eps: eps, weightDecay: weightDecay, amsgrad: amsgrad,
                  maximize: maximize, decoupled: false)
    }

    init(groups: [ParameterGroup], lr: Double, betas: (Double, Double), eps: Double, weightDecay: Double,
         amsgrad: Bool, maximize: Bool, decoupled: Bool) {
        let opName = decoupled ? "AdamW" : "Adam"
        _ = validSetting(lr >= 0, "\(opName): invalid learning rate \(lr)")
        _ = validSetting(eps >= 0, "\(opName): invalid eps \(eps)")
        _ = validSetting(betas.0 >= 0 && betas.0 < 1 && betas.1 >= 0 && betas.1 < 1, "\(opName): invalid betas \(betas)")
        _ = validSetting(weightDecay >= 0, "\(opName): invalid weightDecay \(weightDecay)")
        decoupledWeightDecay = decoupled
        super.init(groups: groups,
                   defaults: ["lr": lr, "beta1": betas.0, "beta2": betas.1, "eps": eps, "weightDecay": weightDecay,
                              "amsgrad": amsgrad ? 1 : 0, "maximize": maximize ? 1 : 0],
                   bufferNames: ["exp_avg", "exp_avg_sq", "max_exp_avg_sq"])
    }

    override func update(group g: Int) throws {
        let o = parameterGroups[g].options
        let lr = o["lr"]!, b1 = o["beta1"]!, b2 = o["beta2"]!, eps = o["eps"]!, wd = o["weightDecay"]!
        let amsgrad = o["amsgrad"]! != 0, maximize = o["maximize"]! != 0
        let decoupled = decoupledWeightDecay
        try forEachParameter(group: g) { p, grad, s in
            let m = s.buffer(0, like: p), v = s.buffer(1, like: p)
            let vmax = amsgrad ? s.buffer(2, like: p) : nil
            let t = Double(s.step)
            let bc1 = 1 - Double.pow(b1, t), bc2 = 1 - Double.pow(b2, t)
            let stepSize = lr / bc1, bc2Sqrt = bc2.squareRoot()
            func run<T: TensorFloat>(_: T.Type) {
                // One pass per parameter; options enter as exact arithmetic (±1, λ = 0, decay = 1)
                // so that the loops have no branches and vectorize.
                let pp = p.pointer(T.self), gp = grad.pointer(T.self)
                let mp = m.pointer(T.self), vp = v.pointer(T.self)
                let sign: T = maximize ? -1 : 1
                let l2 = decoupled ? 0 : T(wd), decay = decoupled && wd != 0 ? T(1 - lr * wd) : 1
                let w1 = T(1 - b1), low = Swift.abs(1 - b1) < 0.5, b2T = T(b2), w2 = T(1 - b2)
                let bc2S = T(bc2Sqrt), epsT = T(eps), step = T(-stepSize)
                Optimizer.parallelUpdate(p.count) { r in
                    if let xp = vmax?.pointer(T.self) {
                        for i in r {
                            let theta = pp[i] * decay
                            let d = sign * gp[i] + l2 * theta
                            let mi = lerp(mp[i], d, w1, low)
                            mp[i] = mi
                            let vi = vp[i] * b2T + w2 * (d * d)
                            vp[i] = vi
                            let vm = Swift.max(xp[i], vi)
                            xp[i] = vm
                            pp[i] = theta + step * (mi / (T.sqrt(vm) / bc2S + epsT))
                        }
                    } else if low {
                        // The common case (β₁ ≥ 0.5) as its own loop: no branch inside, so it vectorizes.
                        for i in r {
                            let theta = pp[i] * decay
                            let d = sign * gp[i] + l2 * theta
                            let mi = mp[i] + w1 * (d - mp[i])
                            mp[i] = mi
                            let vi = vp[i] * b2T + w2 * (d * d)
                            vp[i] = vi
                            pp[i] = theta + step * (mi / (T.sqrt(vi) / bc2S + epsT))
                        }
                    } else {
                        for i in r {
                            let theta = pp[i] * decay
                            let d = sign * gp[i] + l2 * theta
                            let mi = lerp(mp[i], d, w1, low)
                            mp[i] = mi
                            let vi = vp[i] * b2T + w2 * (d * d)
                            vp[i] = vi
                            pp[i] = theta + step * (mi / (T.sqrt(vi) / bc2S + epsT))
                        }
                    }
                }
            }
            Optimizer.dispatch(p.dtype, { run(Float.self) }, { run(Double.self) })
        }
    }
}

/// a + w·(b − a), evaluated as PyTorch's `lerp` does (from the nearer end).
@inline(__always)
func lerp<T: TensorFloat>(_ a: T, _ b: T, _ w: T) -> T {
    lerp(a, b, w, Swift.abs(w) < 0.5)
}

/// ``lerp(_:_:_:)`` with the choice of end (`low`: |w| < 0.5) made once, outside a loop.
@inline(__always)
func lerp<T: TensorFloat>(_ a: T, _ b: T, _ w: T, _ low: Bool) -> T {
    low ? a + w * (b - a) : b - (b - a) * (1 - w)
}
