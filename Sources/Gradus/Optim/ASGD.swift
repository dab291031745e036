/// Averaged stochastic gradient descent (PyTorch's `torch.optim.ASGD`): SGD with a step size that
/// decays as the steps go, and a running average of the parameters that starts after `t0` steps.
///
/// At step k of a parameter θ with gradient g (η and μ as PyTorch computes them at the end of the
/// previous step, from the rate then: η₁ = lr, η_k = lr / (1 + λ·lr·(k − 1))^α; μ_k = 1 / max(1, k − 1 − t0)):
///
///     g ← ±g + weightDecay·θ          (−g when maximize)
///     θ ← θ·(1 − λ·η_k) − η_k·g
///     ā ← θ  when μ_k = 1,  else  ā ← ā + μ_k·(θ − ā)
///
/// Options: `lr` (0.01), `lambd` (1e-4, the decay term), `alpha` (0.75, the power of η's decay), `t0`
/// (1e6, the step at which averaging starts), `weightDecay`, `maximize` (0/1). Buffer: `ax`, the average
/// ā, which ``average(of:)`` gives. The rate η is derived from the group's rate at its previous step,
/// which ``Optimizer/stateDict()`` saves (`group.<g>.previousLR`), so that a run resumed from a checkpoint
/// takes the steps it would have taken (PyTorch saves η itself). Evaluate with the averaged weights by
/// copying them into the model (``Tensor/assign(_:)``).
///
/// ```swift
/// let optimizer = ASGD(model.parameters(), lr: 0.05, t0: 100)
/// // … training …
/// for p in model.parameters() { if let a = optimizer.average(of: p) { GradMode.noGrad { _ = p.assign(a) } } }
/// ```
public final class ASGD: Optimizer, @unchecked Sendable {
    /// Each group's learning rate at its previous step, from which PyTorch computes the η of the next one.
    private var previousRates: [Int: Double] = [:]

    /// Creates the optimizer over one group of parameters.
    ///
    /// - Parameters:
    ///   - parameters: leaf tensors that require gradients.
    ///   - lr: the initial step size.
    ///   - lambd: the decay term λ.
    ///   - alpha: the power α of the step size's decay.
    ///   - t0: the step at which averaging starts.
    ///   - weightDecay: L2 penalty added to the gradient.
    ///   - maximize: ascend instead of descend.
    public convenience init(_ parameters: [Tensor], lr: Double = 0.01, lambd: Double = 1e-4, alpha: Double = 0.75,
                            t0: Double = 1e6, weightDecay: Double = 0, maximize: Bool = false) {
        self.init(groups: [ParameterGroup(parameters)], lr: lr, lambd: lambd, alpha: alpha, t0: t0,
                  weightDecay: weightDecay, maximize: maximize)
    }

    /// Creates the optimizer over several groups; the arguments are the defaults that each group's
    /// options override.
    ///
    /// ```swift
    /// let asgd = ASGD(groups: [ParameterGroup(a), ParameterGroup(b, ["lr": 0.001])], t0: 50)
    /// ```
    public init(groups: [ParameterGroup], lr: Double = 0.01, lambd: Double = 1e-4, alpha: Double = 0.75,
                t0: Double = 1e6, weightDecay: Double = 0, maximize: Bool = false) {
        _ = validSetting(lr >= 0, "ASGD: invalid learning rate \(lr)")
        _ = validSetting(weightDecay >= 0, "ASGD: invalid weight_decay value \(weightDecay)")
        _ = validSetting(lambd.isFinite && alpha.isFinite && alpha >= 0 && t0.isFinite,
                         "ASGD: lambd \(lambd) and t0 \(t0) must be finite, alpha \(alpha) finite and at least 0")
        super.init(groups: groups,
                   defaults: ["lr": lr, "lambd": lambd, "alpha": alpha, "t0": t0, "weightDecay": weightDecay,
                              "maximize": maximize ? 1 : 0],
                   bufferNames: ["ax"])
    }

    /// The running average of `parameter` (PyTorch's `state[p]["ax"]`), once it has taken a step.
    ///
    /// - Parameter parameter: one of this optimizer's parameters.
    /// - Returns: the average, or nil before the parameter's first step (or for a tensor not optimized here).
    public func average(of parameter: Tensor) -> Tensor? {
        for (group, states) in zip(parameterGroups, states) {
            if let i = group.parameters.firstIndex(where: { $0 === parameter }) { return states[i].buffers[0] }
        }
        return nil
    }

    override func groupState(_ group: Int) -> [String: Double] {
        previousRates[group].map { ["previousLR": $0] } ?? [:]
    }

    override var groupStateNames: Set<String> { ["previousLR"] }

    override func restoreGroupState(_ values: [[String: Double]]) {
        previousRates = [:]
        for (g, kept) in values.enumerated() { if let rate = kept["previousLR"] { previousRates[g] = rate } }
    }

    override func update(group g: Int) throws {
        let o = parameterGroups[g].options
        let lr = o["lr"]!, lambd = o["lambd"]!, alpha = o["alpha"]!, t0 = o["t0"]!, wd = o["weightDecay"]!
        let maximize = o["maximize"]! != 0
        let earlierRate = previousRates[g] ?? lr
        try forEachParameter(group: g) { p, grad, s in
            let k = Double(s.step)
            let eta = s.step == 1 ? lr : earlierRate / Double.pow(1 + lambd * earlierRate * (k - 1), alpha)
            let mu = s.step == 1 ? 1 : 1 / Swift.max(1, k - 1 - t0)
            let average = s.buffer(0, like: p)
            func run<T: TensorFloat>(_: T.Type) {
                let pp = p.pointer(T.self), gp = grad.pointer(T.self), ap = average.pointer(T.self)
                let sign: T = maximize ? -1 : 1, wdT = T(wd), decay = T(1 - lambd * eta), etaT = T(eta), muT = T(mu)
                Optimizer.parallelUpdate(p.count) { r in
                    for i in r {
                        let d = sign * gp[i] + wdT * pp[i]
                        pp[i] = pp[i] * decay - etaT * d
                        ap[i] = mu == 1 ? pp[i] : ap[i] + muT * (pp[i] - ap[i])
                    }
                }
            }
            Optimizer.dispatch(p.dtype, { run(Float.self) }, { run(Double.self) })
        }
        previousRates[g] = lr
    }
}
