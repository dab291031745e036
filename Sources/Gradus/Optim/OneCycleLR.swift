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
/// Momentum cycling (PyTorch's `cycle_momentum`, on by default there) is not done: momentum and
/// betas stay as the optimizer has them, as with `cycle_momentum=False`.
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
    /// (end step, start rates, end rates) of each phase.
    private let phases: [(end: Double, from: [Double], to: [Double])]

    /// Creates the schedule with one peak rate for every group.
    /// - Parameters:
    ///   - optimizer: the optimizer to drive.
    ///   - maxLR: the peak learning rate.
    ///   - totalSteps: the number of ``step()`` calls of the cycle.
    ///   - pctStart: the fraction of steps spent rising (default 0.3).
    ///   - annealStrategy: `.cos` (default) or `.linear`.
    ///   - divFactor: the initial rate is maxLR / divFactor (default 25).
    ///   - finalDivFactor: the final rate is the initial rate / finalDivFactor (default 1e4).
    ///   - threePhase: come back down to the initial rate before the final annealing.
    public convenience init(_ optimizer: Optimizer, maxLR: Double, totalSteps: Int, pctStart: Double = 0.3,
                            annealStrategy: AnnealStrategy = .cos, divFactor: Double = 25,
                            finalDivFactor: Double = 1e4, threePhase: Bool = false) {
        self.init(optimizer, maxLRs: [Double](repeating: maxLR, count: optimizer.parameterGroups.count),
                  totalSteps: totalSteps, pctStart: pctStart, annealStrategy: annealStrategy, divFactor: divFactor,
                  finalDivFactor: finalDivFactor, threePhase: threePhase)
    }

    /// Creates the schedule with a peak rate per group.
    ///
    /// ```swift
    /// let schedule = OneCycleLR(optimizer, maxLRs: [0.1, 0.01], totalSteps: 1000)
    /// ```
    public init(_ optimizer: Optimizer, maxLRs: [Double], totalSteps: Int, pctStart: Double = 0.3,
                annealStrategy: AnnealStrategy = .cos, divFactor: Double = 25, finalDivFactor: Double = 1e4,
                threePhase: Bool = false) {
        invariant(totalSteps > 0, "OneCycleLR: totalSteps must be positive, got \(totalSteps)")
        invariant(pctStart >= 0 && pctStart <= 1, "OneCycleLR: pctStart must lie in [0, 1], got \(pctStart)")
        invariant(maxLRs.count == optimizer.parameterGroups.count,
                     "OneCycleLR: \(maxLRs.count) maximum rates for \(optimizer.parameterGroups.count) parameter groups")
        let initial = maxLRs.map { $0 / divFactor }
        let minimum = initial.map { $0 / finalDivFactor }
        self.totalSteps = totalSteps
        self.maxLearningRates = maxLRs
        self.minLearningRates = minimum
        self.annealStrategy = annealStrategy
        let rise = pctStart * Double(totalSteps) - 1
        if threePhase {
            phases = [(rise, initial, maxLRs), (2 * pctStart * Double(totalSteps) - 2, maxLRs, initial),
                      (Double(totalSteps) - 1, initial, minimum)]
        } else {
            phases = [(rise, initial, maxLRs), (Double(totalSteps) - 1, maxLRs, minimum)]
        }
        super.init(optimizer, baseLearningRates: initial)
        start()
    }

    /// The learning rate of each group at `epoch`.
    public override func learningRates(atEpoch epoch: Int) -> [Double] {
        invariant(epoch <= totalSteps,
                     "OneCycleLR: stepped \(epoch) times but the cycle has \(totalSteps) steps")
        let t = Double(epoch)
        var start = 0.0
        for (i, phase) in phases.enumerated() {
            if t <= phase.end || i == phases.count - 1 {
                let pct = (t - start) / (phase.end - start)
                return zip(phase.from, phase.to).map { from, to in
                    switch annealStrategy {
                    case .cos: return to + (from - to) / 2 * (cos(Double.pi * pct) + 1)
                    case .linear: return (to - from) * pct + from
                    }
                }
            }
            start = phase.end
        }
        return optimizer.learningRates
    }
}
