/// RMSprop: gradients divided by a running root mean square (PyTorch's `torch.optim.RMSprop`), with
/// optional centering, momentum and L2 weight decay.
///
/// For each parameter θ with gradient g (α = alpha, γ = lr, λ = weightDecay, μ = momentum):
///
///     g ← −g                                  if maximize
///     g ← g + λ·θ                             if λ ≠ 0
///     v ← α·v + (1 − α)·g²                    (from 0)
///     if centered:
///         ḡ ← α·ḡ + (1 − α)·g                 (from 0)
///         d ← √(v − ḡ²) + ε
///     else:
///         d ← √v + ε
///     if μ > 0:
///         b ← μ·b + g/d                       (from 0)
///         θ ← θ − γ·b
///     else:
///         θ ← θ − γ·g/d
///
/// Options: `lr`, `alpha`, `eps`, `weightDecay`, `momentum`, `centered` (0/1), `maximize` (0/1).
///
/// ```swift
/// let optimizer = RMSprop(model.parameters(), lr: 0.01, momentum: 0.9, centered: true)
/// ```
public final class RMSprop: Optimizer, @unchecked Sendable {
    /// The update reads no step count (see ``Optimizer``'s state loading).
    override var updateReadsStep: Bool { false }

    /// Creates the optimizer over one group of parameters.
    ///
    /// - Parameters:
    ///   - parameters: leaf tensors that require gradients.
    ///   - lr: the learning rate γ.
    ///   - alpha: α, the decay of the running averages.
    ///   - eps: ε, added to the denominator.
    ///   - weightDecay: λ, the L2 penalty added to the gradient.
    ///   - momentum: μ (0 for none).
    ///   - centered: divide by an estimate of the gradient's variance rather than its second moment.
    ///   - maximize: ascend instead of descend.
    public convenience init(_ parameters: [Tensor], lr: Double = 0.01, alpha: Double = 0.99, eps: Double = 1e-8,
                            weightDecay: Double = 0, momentum: Double = 0, centered: Bool = false,
                            maximize: Bool = false) {
        self.init(groups: [ParameterGroup(parameters)], lr: lr, alpha: alpha, eps: eps, weightDecay: weightDecay,
                  momentum: momentum, centered: centered, maximize: maximize)
    }

    /// Creates the optimizer over several groups; the arguments are the defaults that each group's
    /// options override.
    ///
    /// ```swift
    /// let rms = RMSprop(groups: [ParameterGroup(a), ParameterGroup(b, ["momentum": 0.9])])
    /// ```
    public init(groups: [ParameterGroup], lr: Double = 0.01, alpha: Double = 0.99, eps: Double = 1e-8,
                weightDecay: Double = 0, momentum: Double = 0, centered: Bool = false, maximize: Bool = false) {
        _ = validSetting(lr >= 0, "RMSprop: invalid learning rate \(lr)")
        _ = validSetting(alpha >= 0, "RMSprop: invalid alpha \(alpha)")
        _ = validSetting(eps >= 0, "RMSprop: invalid eps \(eps)")
        _ = validSetting(weightDecay >= 0, "RMSprop: invalid weightDecay \(weightDecay)")
        _ = validSetting(momentum >= 0, "RMSprop: invalid momentum \(momentum)")
        super.init(groups: groups,
                   defaults: ["lr": lr, "alpha": alpha, "eps": eps, "weightDecay": weightDecay, "momentum": momentum,
                              "centered": centered ? 1 : 0, "maximize": maximize ? 1 : 0],
                   bufferNames: ["square_avg", "grad_avg", "momentum_buffer"])
    }

    override func update(group g: Int) throws {
        let o = parameterGroups[g].options
        let lr = o["lr"]!, alpha = o["alpha"]!, eps = o["eps"]!, wd = o["weightDecay"]!, mu = o["momentum"]!
        let centered = o["centered"]! != 0, maximize = o["maximize"]! != 0
        try forEachParameter(group: g) { p, grad, s in
            let v = s.buffer(0, like: p)
            let avg = centered ? s.buffer(1, like: p) : nil
            let buf = mu > 0 ? s.buffer(2, like: p) : nil
            func run<T: TensorFloat>(_: T.Type) {
                let pp = p.pointer(T.self), gp = grad.pointer(T.self), vp = v.pointer(T.self)
                let ap = avg?.pointer(T.self), bp = buf?.pointer(T.self)
                let sign: T = maximize ? -1 : 1, wdT = T(wd), alphaT = T(alpha), w = T(1 - alpha), epsT = T(eps), muT = T(mu), lrT = T(-lr)
                Optimizer.parallelUpdate(p.count) { r in
                    for i in r {
                        let d = sign * gp[i] + wdT * pp[i]
                        vp[i] = vp[i] * alphaT + w * (d * d)
                        var denom: T
                        if let ap {
                            ap[i] = lerp(ap[i], d, w)
                            denom = T.sqrt(vp[i] - ap[i] * ap[i])
                        } else {
                            denom = T.sqrt(vp[i])
                        }
                        denom += epsT
                        if let bp {
                            bp[i] = bp[i] * muT + d / denom
                            pp[i] += lrT * bp[i]
                        } else {
                            pp[i] += lrT * (d / denom)
                        }
                    }
                }
            }
            Optimizer.dispatch(p.dtype, { run(Float.self) }, { run(Double.self) })
        }
    }
}
