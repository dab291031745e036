#if canImport(Glibc)
import Glibc
#endif

/// How ``SWALR`` moves from the current learning rate to the averaging rate.
public enum SWAAnnealStrategy: String, Sendable {
    /// Half a cosine: (1 − cos πt) / 2 of the way at fraction t of the anneal (PyTorch's `'cos'`).
    case cosine
    /// In a straight line (PyTorch's `'linear'`).
    case linear
}

/// The learning rate for stochastic weight averaging (PyTorch's `torch.optim.swa_utils.SWALR`): from
/// each group's rate when the schedule is built, annealed to `swaLR` over `annealEpochs` steps, then
/// held there.
///
/// At step s the rate is `swaLR · α + start · (1 − α)` with α the strategy's curve at
/// t = min(1, s / annealEpochs). With `annealEpochs` 0 the rate is `swaLR` from the start. As in
/// PyTorch, `start` is worked out again on each step from the rate the optimizer has then: a schedule
/// built early and stepped only from some epoch on (PyTorch's usual recipe: a cosine schedule until the
/// averaging starts, then this one) anneals from where the other schedule left the rate.
///
/// ```swift
/// let swaSchedule = SWALR(optimizer, swaLR: 0.05, annealEpochs: 5)
/// ```
public final class SWALR: LRScheduler, @unchecked Sendable {
    /// Each group's averaging rate.
    public let swaLearningRates: [Double]
    /// The number of steps of the anneal.
    public let annealEpochs: Int
    /// The shape of the anneal.
    public let annealStrategy: SWAAnnealStrategy

    /// Creates the schedule with one averaging rate for every group.
    ///
    /// - Parameters:
    ///   - optimizer: the optimizer to drive.
    ///   - swaLR: the rate to anneal to (≥ 0).
    ///   - annealEpochs: steps from the current rate to `swaLR` (≥ 0; default 10).
    ///   - annealStrategy: cosine (default) or linear.
    public convenience init(_ optimizer: Optimizer, swaLR: Double, annealEpochs: Int = 10,
                            annealStrategy: SWAAnnealStrategy = .cosine) {
        self.init(optimizer, swaLRs: Array(repeating: swaLR, count: optimizer.parameterGroups.count),
                  annealEpochs: annealEpochs, annealStrategy: annealStrategy)
    }

    /// Creates the schedule with an averaging rate per parameter group.
    ///
    /// - Parameters:
    ///   - optimizer: the optimizer to drive.
    ///   - swaLRs: one rate per group (each ≥ 0).
    ///   - annealEpochs: steps from the current rates to `swaLRs` (≥ 0; default 10).
    ///   - annealStrategy: cosine (default) or linear.
    public init(_ optimizer: Optimizer, swaLRs: [Double], annealEpochs: Int = 10, annealStrategy: SWAAnnealStrategy = .cosine) {
        let groups = optimizer.parameterGroups.count
        let validRates = validSetting(swaLRs.count == groups && swaLRs.allSatisfy { $0.isFinite && $0 >= 0 },
                                      "SWALR: needs one finite rate ≥ 0 per parameter group (\(groups)), got \(swaLRs)")
        self.swaLearningRates = validRates ? swaLRs : optimizer.learningRates
        self.annealEpochs = validSetting(annealEpochs >= 0, "SWALR: annealEpochs must be equal or greater than 0, got \(annealEpochs)")
            ? annealEpochs : 0
        self.annealStrategy = annealStrategy
        super.init(optimizer, baseLearningRates: optimizer.learningRates, recordsAsInitial: false)
        start()
    }

    /// Advances one step: the starting rates are read back from the optimizer's current rates (PyTorch's
    /// get_lr: `(lr − α₋·swaLR) / (1 − α₋)` with α₋ the previous step's curve value), then the rates of
    /// the new step are set.
    public override func step() {
        let previous = alpha(atEpoch: lastEpoch)
        let current = optimizer.learningRates
        if previous < 1 && current.count == baseLearningRates.count && current.count == swaLearningRates.count {
            baseLearningRates = zip(current, swaLearningRates).map { lr, swa in (lr - previous * swa) / (1 - previous) }
        }
        super.step()
    }

    /// The anneal's progress α at step `epoch`: 0 at the start, 1 once at `swaLR`.
    private func alpha(atEpoch epoch: Int) -> Double {
        let step = annealEpochs == 0 ? Swift.max(1, epoch) : epoch
        let t = Swift.max(0, Swift.min(1, Double(step) / Double(Swift.max(1, annealEpochs))))
        return annealStrategy == .cosine ? (1 - cos(Double.pi * t)) / 2 : t
    }

    /// The learning rate of each group at step `epoch`, from the current starting rates.
    public override func learningRates(atEpoch epoch: Int) -> [Double] {
        let a = alpha(atEpoch: epoch)
        return zip(baseLearningRates, swaLearningRates).map { start, swa in swa * a + start * (1 - a) }
    }
}
