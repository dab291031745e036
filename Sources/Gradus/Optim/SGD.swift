/// Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and L2 weight
/// decay (PyTorch's `torch.optim.SGD`).
///
/// For each parameter θ with gradient g, at step t:
///
///     g ← −g                                  if maximize
///     g ← g + λ·θ                             if λ = weightDecay ≠ 0
///     if μ = momentum ≠ 0:
///         b ← g                               at t = 1
///         b ← μ·b + (1 − τ)·g                 after (τ = dampening)
///         g ← g + μ·b  if nesterov, else  g ← b
///     θ ← θ − γ·g                             (γ = lr)
///
/// With the whole data set as one batch this is full-batch gradient descent.
///
/// Options: `lr`, `momentum`, `dampening`, `weightDecay`, `nesterov` (0/1), `maximize` (0/1).
///
/// ```swift
/// let optimizer = SGD(model.parameters(), lr: 0.1, momentum: 0.9, nesterov: true)
/// optimizer.zeroGrad(); loss.backward(); optimizer.step()
/// ```
public final class SGD: Optimizer, @unchecked Sendable {
    /// The update reads no step count (see ``Optimizer``'s state loading).
    override var updateReadsStep: Bool { false }

    /// Creates the optimizer over one group of parameters.
    ///
    /// - Parameters:
    ///   - parameters: leaf tensors that require gradients.
    ///   - lr: the learning rate γ.
    ///   - momentum: μ (0 for none).
    ///   - dampening: τ, the damping of the gradient added to the momentum buffer.
    ///   - weightDecay: λ, the L2 penalty added to the gradient.
    ///   - nesterov: use Nesterov momentum (needs μ > 0 and τ = 0).
    ///   - maximize: ascend instead of descend.
    public convenience init(_ parameters: [Tensor], lr: Double = 0.001, momentum: Double = 0, dampening: Double = 0,
                            weightDecay: Double = 0, nesterov: Bool = false, maximize: Bool = false) {
        self.init(groups: [ParameterGroup(parameters)], lr: lr, momentum: momentum, dampening: dampening,
                  weightDecay: weightDecay, nesterov: nesterov, maximize: maximize)
    }

    /// Creates the optimizer over several groups; the arguments are the defaults that each group's
    /// options override.
    ///
    /// ```swift
    /// let sgd = SGD(groups: [ParameterGroup(weights), ParameterGroup(biases, ["weightDecay": 0])],
    ///               lr: 0.1, weightDecay: 5e-4)
    /// ```
    public init(groups: [ParameterGroup], lr: Double = 0.001, momentum: Double = 0, dampening: Double = 0,
                weightDecay: Double = 0, nesterov: Bool = false, maximize: Bool = false) {
        _ = validSetting(lr >= 0, "SGD: invalid learning rate \(lr)")
        _ = validSetting(momentum >= 0, "SGD: invalid momentum \(momentum)")
        _ = validSetting(weightDecay >= 0, "SGD: invalid weightDecay \(weightDecay)")
        _ = validSetting(!nesterov || (momentum > 0 && dampening == 0), "SGD: Nesterov momentum needs momentum > 0 and dampening 0")
        super.init(groups: groups,
                   defaults: ["lr": lr, "momentum": momentum, "dampening": dampening, "weightDecay": weightDecay,
                              "nesterov": nesterov ? 1 : 0, "maximize": maximize ? 1 : 0],
                   bufferNames: ["momentum_buffer"])
    }

    override func update(group g: Int) throws {
        let o = parameterGroups[g].options
        let lr = o["lr"]!, mu = o["momentum"]!, damp = o["dampening"]!, wd = o["weightDecay"]!
        let nesterov = o["nesterov"]! != 0, maximize = o["maximize"]! != 0
        try forEachParameter(group: g) { p, grad, s in
            // The first step sets b ← g: the same update as b ← 0·b + 1·g on the zeroed buffer.
            let first = s.buffers[0] == nil
            let buf = mu != 0 ? s.buffer(0, like: p) : nil
            func run<T: TensorFloat>(_: T.Type) {
                // Branches are taken outside the loops; ±1 and λ = 0 enter as exact arithmetic.
                let pp = p.pointer(T.self), gp = grad.pointer(T.self)
                let sign: T = maximize ? -1 : 1, wdT = T(wd), lrT = T(lr)
                let muB = first ? 0 : T(mu), keep = first ? 1 : T(1 - damp), muT = T(mu)
                Optimizer.parallelUpdate(p.count) { r in
                    guard let bp = buf?.pointer(T.self) else {
                        for i in r { pp[i] -= lrT * (sign * gp[i] + wdT * pp[i]) }
                        return
                    }
                    if nesterov {
                        for i in r {
                            let d = sign * gp[i] + wdT * pp[i]
                            let b = muB * bp[i] + keep * d
                            bp[i] = b
                            pp[i] -= lrT * (d + muT * b)
                        }
                    } else {
                        for i in r {
                            let d = sign * gp[i] + wdT * pp[i]
                            let b = muB * bp[i] + keep * d
                            bp[i] = b
                            pp[i] -= lrT * b
                        }
                    }
                }
            }
            Optimizer.dispatch(p.dtype, { run(Float.self) }, { run(Double.self) })
        }
    }
}
