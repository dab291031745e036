#if canImport(Glibc)
import Glibc
#endif

/// How ``OneCycleLR`` moves between two rates.
public enum AnnealStrategy: String, Sendable {
    /// Half a cosine: end + (start − end)·(1 + cos(π·pct))/2.
    case cos
    /// A straight line: start + (end − start)·pct.
    case linear
}

/// The 1cycle policy (Smith & Topin; PyTorch's `OneCycleLR`), stepped after every batch: the rate
/// rises from maxLR/divFactor to maxLR over the first `pctStart` of the steps, then anneals to
/// maxLR/(divFactor·finalDivFactor). With `threePhase` it first comes back down to the initial rate
/// symmetrically, then anneals to the minimum.
///
/// Momentum cycles the other way (PyTorch's `cycle_momentum`, on by default as there): it starts at
/// `maxMomentum`, falls to `baseMomentum` while the rate rises, and comes back to `maxMomentum` while the
/// rate falls (with `threePhase`, it stays at `maxMomentum` during the final annealing), with the same
/// annealing strategy. The cycled option is `beta1` for optimizers with betas (``Adam``, ``AdamW``,
/// ``Adamax``) and `momentum` for the others that have one (``SGD``, ``RMSprop``) — a `momentum` of 0
/// is cycled too, as in PyTorch. An optimizer with neither (``Adagrad``, ``Adadelta``) needs
/// `cycleMomentum: false`.
///
/// Like PyTorch, the schedule may be stepped `totalSteps` times, and no more; the last step lies one
/// step past the end of the final phase, where the annealing continues (the rate comes back up a little).
///
/// ```swift
/// let schedule = OneCycleLR(optimizer, maxLR: 0.1, totalSteps: epochs * batchesPerEpoch)
/// // after each optimizer.step():
/// schedule.step()
/// ```
public final class OneCycleLR: LRScheduler, @unchecked Sendable {
    /// The number of steps of the whole cycle.
    public let totalSteps: Int
    /// The peak rate of each group.
    public let maxLearningRates: [Double]
    /// The final rate of each group.
    public let minLearningRates: [Double]
    /// How rates move within a phase.
    public let annealStrategy: AnnealStrategy
    /// Whether the schedule sets the momentum (or β₁) of each group.
    public let cycleMomentum: Bool
    /// The lowest momentum of the cycle, reached with the peak rate.
    public let baseMomentum: Double
    /// The highest momentum of the cycle, at the start and the end.
    public let maxMomentum: Double
    /// The optimizer option that the schedule cycles: `"beta1"`, `"momentum"`, or nil when momentum is
    /// not cycled.
    public let momentumOption: String?
    /// Each phase: end step, start and end rates per group, start and end momentum.
    private let phases: [(end: Double, from: [Double], to: [Double], momentumFrom: Double, momentumTo: Double)]

    /// Creates the schedule with one peak rate for every group.
    /// - Parameters:
    ///   - optimizer: the optimizer to drive.
    ///   - maxLR: the peak learning rate.
    ///   - totalSteps: the number of ``LRScheduler/step()`` calls of the cycle.
    ///   - pctStart: the fraction of steps spent rising (default 0.3).
    ///   - annealStrategy: `.cos` (default) or `.linear`.
    ///   - divFactor: the initial rate is maxLR / divFactor (default 25).
    ///   - finalDivFactor: the final rate is the initial rate / finalDivFactor (default 1e4).
    ///   - threePhase: come back down to the initial rate before the final annealing.
    ///   - cycleMomentum: cycle the optimizer's momentum (or β₁) inversely to the rate (default true; the
    ///     optimizer must have a `momentum` or `beta1` option).
    ///   - baseMomentum: the momentum at the peak rate (default 0.85).
    ///   - maxMomentum: the momentum at the start and the end of the cycle (default 0.95).
    public convenience init(_ optimizer: Optimizer, maxLR: Double, totalSteps: Int, pctStart: Double = 0.3,
                            annealStrategy: AnnealStrategy = .cos, divFactor: Double = 25,
                            finalDivFactor: Double = 1e4, threePhase: Bool = false, cycleMomentum: Bool = true,
                            baseMomentum: Double = 0.85, maxMomentum: Double = 0.95) {
        self.init(optimizer, maxLRs: [Double](repeating: maxLR, count: optimizer.parameterGroups.count),
                  totalSteps: totalSteps, pctStart: pctStart, annealStrategy: annealStrategy, divFactor: divFactor,
                  finalDivFactor: finalDivFactor, threePhase: threePhase, cycleMomentum: cycleMomentum,
                  baseMomentum: baseMomentum, maxMomentum: maxMomentum)
    }

    /// Creates the schedule with a peak rate per group.
    ///
    /// ```swift
    /// let schedule = OneCycleLR(optimizer, maxLRs: [0.1, 0.01], totalSteps: 1000)
    /// let plain = OneCycleLR(Adagrad(parameters), maxLRs: [0.1], totalSteps: 1000, cycleMomentum: false)
    /// ```
    public init(_ optimizer: Optimizer, maxLRs: [Double], totalSteps: Int, pctStart: Double = 0.3,
                annealStrategy: AnnealStrategy = .cos, divFactor: Double = 25, finalDivFactor: Double = 1e4,
                threePhase: Bool = false, cycleMomentum: Bool = true, baseMomentum: Double = 0.85,
                maxMomentum: Double = 0.95) {
        // Invalid settings are replaced by valid ones after the error is recorded (see validSetting).
        var (maxLRs, totalSteps, pctStart, cycleMomentum) = (maxLRs, totalSteps, pctStart, cycleMomentum)
        if !validSetting(totalSteps > 0, "OneCycleLR: totalSteps must be positive, got \(totalSteps)") { totalSteps = 1 }
        if !validSetting(pctStart >= 0 && pctStart <= 1, "OneCycleLR: pctStart must lie in [0, 1], got \(pctStart)") { pctStart = 0.3 }
        let groups = optimizer.parameterGroups.count
        if !validSetting(maxLRs.count == groups, "OneCycleLR: \(maxLRs.count) maximum rates for \(groups) parameter groups") {
            maxLRs = Array(repeating: maxLRs.first ?? 0, count: groups)
        }
        // PyTorch's choice: betas when the optimizer has them, else momentum.
        let option: String? = optimizer.defaults["beta1"] != nil ? "beta1"
            : optimizer.defaults["momentum"] != nil ? "momentum" : nil
        if !validSetting(!cycleMomentum || option != nil,
                         "OneCycleLR: cycleMomentum needs an optimizer with a momentum or beta1 option, and \(optimizer.name) has neither; pass cycleMomentum: false") {
            cycleMomentum = false
        }
        let initial = maxLRs.map { $0 / divFactor }
        let minimum = initial.map { $0 / finalDivFactor }
        self.totalSteps = totalSteps
        self.maxLearningRates = maxLRs
        self.minLearningRates = minimum
        self.annealStrategy = annealStrategy
        self.cycleMomentum = cycleMomentum
        self.baseMomentum = baseMomentum
        self.maxMomentum = maxMomentum
        self.momentumOption = cycleMomentum ? option : nil
        let rise = pctStart * Double(totalSteps) - 1
        if threePhase {
            phases = [(rise, initial, maxLRs, maxMomentum, baseMomentum),
                      (2 * pctStart * Double(totalSteps) - 2, maxLRs, initial, baseMomentum, maxMomentum),
                      (Double(totalSteps) - 1, initial, minimum, maxMomentum, maxMomentum)]
        } else {
            phases = [(rise, initial, maxLRs, maxMomentum, baseMomentum),
                      (Double(totalSteps) - 1, maxLRs, minimum, baseMomentum, maxMomentum)]
        }
        super.init(optimizer, baseLearningRates: initial)
        start()
    }

    /// The learning rate of each group at `epoch`.
    public override func learningRates(atEpoch epoch: Int) -> [Double] {
        let (i, pct) = position(atEpoch: epoch)
        return zip(phases[i].from, phases[i].to).map { from, to in anneal(from, to, pct) }
    }

    /// The momentum (β₁ for optimizers with betas) that the schedule sets at `epoch`, the same for every
    /// group; nil when momentum is not cycled.
    ///
    /// ```swift
    /// let planned = (0...100).map { schedule.momentum(atEpoch: $0)! }
    /// ```
    public func momentum(atEpoch epoch: Int) -> Double? {
        guard momentumOption != nil else { return nil }
        let (i, pct) = position(atEpoch: epoch)
        return anneal(phases[i].momentumFrom, phases[i].momentumTo, pct)
    }

    override var finalEpoch: Int? { totalSteps }

    /// Writes the cycled momentum (or β₁) of `epoch` into every group, after the rates, on construction
    /// (the maximum momentum) and on every step.
    override func applyOptions(atEpoch epoch: Int) {
        guard let key = momentumOption, let m = momentum(atEpoch: epoch) else { return }
        optimizer.setOption(key, m)
    }

    /// The phase that holds `epoch` and the fraction of it done (above 1 at the last step, one step past
    /// the end of the final phase, as in PyTorch).
    private func position(atEpoch epoch: Int) -> (phase: Int, pct: Double) {
        let epoch = validSetting(epoch <= totalSteps, "OneCycleLR: stepped \(epoch) times but the cycle has \(totalSteps) steps")
            ? epoch : totalSteps
        let t = Double(epoch)
        var start = 0.0
        for i in 0..<(phases.count - 1) {
            if t <= phases[i].end { return (i, (t - start) / (phases[i].end - start)) }
            start = phases[i].end
        }
        return (phases.count - 1, (t - start) / (phases[phases.count - 1].end - start))
    }

    /// The value `pct` of the way from `from` to `to`, by ``annealStrategy``.
    private func anneal(_ from: Double, _ to: Double, _ pct: Double) -> Double {
        switch annealStrategy {
        case .cos: return to + (from - to) / 2 * (cos(Double.pi * pct) + 1)
        case .linear: return (to - from) * pct + from
        }
    }
}
