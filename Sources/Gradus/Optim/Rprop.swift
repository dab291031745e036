/// Resilient backpropagation (PyTorch's `torch.optim.Rprop`): each element moves by its own step size in
/// the direction opposite its gradient's sign; the step size grows while the sign holds and shrinks
/// when it flips, and after a flip that element skips one update.
///
/// For each parameter θ with gradient g (η₋, η₊ = etas; Δ starts at the group's lr; g₋ at 0):
///
///     g ← −g                                         if maximize
///     f ← η₊ where g·g₋ > 0, η₋ where g·g₋ < 0, 1 where it is 0
///     Δ ← clamp(Δ·f, stepSizeMin, stepSizeMax)
///     g ← 0                                          where f = η₋
///     θ ← θ − sign(g)·Δ
///     g₋ ← g
///
/// Options: `lr` (default 0.01, the initial step size), `etaMinus`, `etaPlus` (0 < η₋ < 1 < η₊),
/// `stepSizeMin`, `stepSizeMax`, `maximize` (0/1). Buffers: `prev`, `step_size`. A NaN gradient element
/// moves nothing (PyTorch's sign(NaN) is 0) and keeps its step size. Meant for full-batch training: the
/// signs of mini-batch gradients flip too often for it.
///
/// ```swift
/// let optimizer = Rprop(model.parameters())
/// ```
public final class Rprop: Optimizer, @unchecked Sendable {
    /// Creates the optimizer over one group of parameters.
    ///
    /// - Parameters:
    ///   - parameters: leaf tensors that require gradients.
    ///   - lr: the initial step size of every element.
    ///   - etas: (η₋, η₊), the factors that shrink and grow the step sizes; 0 < η₋ < 1 < η₊.
    ///   - stepSizes: (minimum, maximum) step size.
    ///   - maximize: ascend instead of descend.
    public convenience init(_ parameters: [Tensor], lr: Double = 0.01, etas: (Double, Double) = (0.5, 1.2),
                            stepSizes: (Double, Double) = (1e-6, 50), maximize: Bool = false) {
        self.init(groups: [ParameterGroup(parameters)], lr: lr, etas: etas, stepSizes: stepSizes, maximize: maximize)
    }

    /// Creates the optimizer over several groups; the arguments are the defaults that each group's
    /// options override.
    ///
    /// ```swift
    /// let rprop = Rprop(groups: [ParameterGroup(a), ParameterGroup(b, ["lr": 0.001])])
    /// ```
    public init(groups: [ParameterGroup], lr: Double = 0.01, etas: (Double, Double) = (0.5, 1.2),
                stepSizes: (Double, Double) = (1e-6, 50), maximize: Bool = false) {
        _ = validSetting(lr >= 0, "Rprop: invalid learning rate \(lr)")
        _ = validSetting(etas.0 > 0 && etas.0 < 1 && etas.1 > 1, "Rprop: invalid eta values \(etas.0), \(etas.1) (need 0 < etaMinus < 1 < etaPlus)")
        _ = validSetting(stepSizes.0 >= 0 && stepSizes.0 <= stepSizes.1, "Rprop: invalid step sizes \(stepSizes)")
        super.init(groups: groups,
                   defaults: ["lr": lr, "etaMinus": etas.0, "etaPlus": etas.1, "stepSizeMin": stepSizes.0,
                              "stepSizeMax": stepSizes.1, "maximize": maximize ? 1 : 0],
                   bufferNames: ["prev", "step_size"])
    }

    override func update(group g: Int) throws {
        let o = parameterGroups[g].options
        let lr = o["lr"]!, etaMinus = o["etaMinus"]!, etaPlus = o["etaPlus"]!
        let lowest = o["stepSizeMin"]!, highest = o["stepSizeMax"]!
        let maximize = o["maximize"]! != 0
        try forEachParameter(group: g) { p, grad, s in
            let previous = s.buffer(0, like: p), stepSize = s.buffer(1, like: p, value: lr)
            func run<T: TensorFloat>(_: T.Type) {
                let pp = p.pointer(T.self), gp = grad.pointer(T.self), prev = previous.pointer(T.self), sp = stepSize.pointer(T.self)
                let sign: T = maximize ? -1 : 1, down = T(etaMinus), up = T(etaPlus), lo = T(lowest), hi = T(highest)
                Optimizer.parallelUpdate(p.count) { r in
                    for i in r {
                        var d = sign * gp[i]
                        let product = d * prev[i]
                        // PyTorch's order: the sign of the product picks the factor; 0 keeps the step, and
                        // so does NaN (PyTorch's sign(NaN) is 0).
                        let factor: T = product > 0 ? up : (product < 0 ? down : 1)
                        let size = sp[i] * factor
                        sp[i] = Swift.min(Swift.max(size, lo), hi)
                        if factor == down { d = 0 }
                        let direction: T = d > 0 ? 1 : (d < 0 ? -1 : 0)   // sign; NaN moves nothing, as PyTorch's
                        pp[i] -= direction * sp[i]
                        prev[i] = d
                    }
                }
            }
            Optimizer.dispatch(p.dtype, { run(Float.self) }, { run(Double.self) })
        }
    }
}
