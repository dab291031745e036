/// Adagrad: per-element learning rates shrinking with the sum of squared gradients (PyTorch's
/// `torch.optim.Adagrad`).
///
/// For each parameter θ with gradient g, at step t (γ = lr, η = lrDecay, λ = weightDecay):
///
///     s ← initialAccumulatorValue               (once, before the first step)
///     g ← −g                                    if maximize
///     g ← g + λ·θ                               if λ ≠ 0
///     γₜ ← γ / (1 + (t − 1)·η)
///     s ← s + g²
///     θ ← θ − γₜ · g / (√s + ε)
///
/// Options: `lr`, `lrDecay`, `weightDecay`, `initialAccumulatorValue`, `eps`, `maximize` (0/1).
///
/// ```swift
/// let optimizer = Adagrad(model.parameters(), lr: 0.01)
/// ```
public final class Adagrad: Optimizer, @unchecked Sendable {
    /// Creates the optimizer over one group of parameters.
    ///
    /// - Parameters:
    ///   - parameters: leaf tensors that require gradients.
    ///   - lr: the learning rate γ.
    ///   - lrDecay: η, the decay of the learning rate with the step count.
    ///   - weightDecay: λ, the L2 penalty added to the gradient.
    ///   - initialAccumulatorValue: the starting value of the sum of squares.
    ///   - eps: ε, added to the denominator.
    ///   - maximize: ascend instead of descend.
    public convenience init(_ parameters: [Tensor], lr: Double = 0.01, lrDecay: Double = 0, weightDecay: Double = 0,
                            initialAccumulatorValue: Double = 0, eps: Double = 1e-10, maximize: Bool = false) {
        self.init(groups: [ParameterGroup(parameters)], lr: lr, lrDecay: lrDecay, weightDecay: weightDecay,
                  initialAccumulatorValue: initialAccumulatorValue, eps: eps, maximize: maximize)
    }

    /// Creates the optimizer over several groups; the arguments are the defaults that each group's
    /// options override.
    ///
    /// ```swift
    /// let adagrad = Adagrad(groups: [ParameterGroup(embeddings, ["lr": 0.1]), ParameterGroup(rest)])
    /// ```
    public init(groups: [ParameterGroup], lr: Double = 0.01, lrDecay: Double = 0, weightDecay: Double = 0,
                initialAccumulatorValue: Double = 0, eps: Double = 1e-10, maximize: Bool = false) {
        _ = validSetting(lr >= 0, "Adagrad: invalid learning rate \(lr)")
        _ = validSetting(lrDecay >= 0, "Adagrad: invalid lrDecay \(lrDecay)")
        _ = validSetting(weightDecay >= 0, "Adagrad: invalid weightDecay \(weightDecay)")
        _ = validSetting(initialAccumulatorValue >= 0, "Adagrad: invalid initialAccumulatorValue \(initialAccumulatorValue)")
        _ = validSetting(eps >= 0, "Adagrad: invalid eps \(eps)")
        super.init(groups: groups,
                   defaults: ["lr": lr, "lrDecay": lrDecay, "weightDecay": weightDecay,
                              "initialAccumulatorValue": initialAccumulatorValue, "eps": eps,
                              "maximize": maximize ? 1 : 0],
                   bufferNames: ["sum"])
    }

    override func update(group g: Int) throws {
        let o = parameterGroups[g].options
        let lr = o["lr"]!, lrDecay = o["lrDecay"]!, wd = o["weightDecay"]!, eps = o["eps"]!
        let initial = o["initialAccumulatorValue"]!, maximize = o["maximize"]! != 0
        try forEachParameter(group: g) { p, grad, s in
            let sum = s.buffer(0, like: p, value: initial)
            let clr = lr / (1 + Double(s.step - 1) * lrDecay)
            func run<T: TensorFloat>(_: T.Type) {
                let pp = p.pointer(T.self), gp = grad.pointer(T.self), sp = sum.pointer(T.self)
                let sign: T = maximize ? -1 : 1, wdT = T(wd), epsT = T(eps), step = T(-clr)
                Optimizer.parallelUpdate(p.count) { r in
                    for i in r {
                        let d = sign * gp[i] + wdT * pp[i]
                        sp[i] += d * d
                        pp[i] += step * (d / (T.sqrt(sp[i]) + epsT))
                    }
                }
            }
            Optimizer.dispatch(p.dtype, { run(Float.self) }, { run(Double.self) })
        }
    }
}
