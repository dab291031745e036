/// Decides, after each epoch of a trial, whether to stop it because it is unlikely to beat the others.
///
/// A pruner decides only from the trials' per-epoch validation scores (``Trial/scores``), as recorded in
/// the study's journal, so a resumed study prunes as the uninterrupted one would have.
///
/// ```swift
/// let pruner: any Pruner = MedianPruner()
/// if pruner.shouldPrune(trial, others: study.trials, direction: .maximize) { /* stop the trial */ }
/// ```
public protocol Pruner: Sendable {
    /// Whether `trial`, whose last score is that of epoch `trial.scores.count`, should stop now.
    ///
    /// - Parameters:
    ///   - trial: the running trial with its scores so far.
    ///   - others: the study's other trials (a trial with the same number as `trial` is ignored).
    ///   - direction: whether higher or lower scores are better.
    func shouldPrune(_ trial: Trial, others: [Trial], direction: StudyDirection) -> Bool
}

/// The median stopping rule (Golovin et al. 2017, "Google Vizier: A Service for Black-Box
/// Optimization"), as Optuna's `MedianPruner`: at epoch e, stop a trial whose best score so far (over
/// epochs 1...e) is worse than the median of the scores at epoch e of the completed trials.
///
/// It does not prune before ``startupTrials`` trials have completed, nor at epochs up to
/// ``warmupEpochs``, nor when no completed trial has a finite score at epoch e. A trial whose scores are
/// all non-finite (a diverged loss) is pruned once those conditions allow.
///
/// ```swift
/// let rule = MedianPruner(startupTrials: 5, warmupEpochs: 1)
/// rule.shouldPrune(trial, others: trials, direction: .maximize)
/// ```
public struct MedianPruner: Pruner {
    /// Completed trials needed before anything is pruned.
    public var startupTrials: Int
    /// Epochs that are never pruned at (pruning starts at epoch `warmupEpochs + 1`).
    public var warmupEpochs: Int

    /// Creates the rule.
    ///
    /// - Parameters:
    ///   - startupTrials: completed trials before pruning starts (Optuna's `n_startup_trials`, 5).
    ///   - warmupEpochs: epochs never pruned at (`n_warmup_steps`; 1 here, as epochs count from 1).
    public init(startupTrials: Int = 5, warmupEpochs: Int = 1) {
        self.startupTrials = startupTrials
        self.warmupEpochs = warmupEpochs
    }

    public func shouldPrune(_ trial: Trial, others: [Trial], direction: StudyDirection) -> Bool {
        let epoch = trial.scores.count
        guard epoch >= 1, epoch > warmupEpochs else { return false }
        let completed = others.filter { $0.state == .complete && $0.number != trial.number }
        guard completed.count >= startupTrials else { return false }
        let atEpoch = completed.compactMap { $0.scores.count >= epoch ? $0.scores[epoch - 1] : nil }.filter(\.isFinite)
        guard let median = Self.median(atEpoch) else { return false }
        guard let best = direction.best(trial.scores) else { return true }
        return direction.isBetter(median, than: best)
    }

    /// The median (the mean of the two middle values for an even count), or nil for no values.
    ///
    /// ```swift
    /// MedianPruner.median([3, 1, 2, 10])   // 2.5
    /// ```
    public static func median(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let s = values.sorted()
        let m = s.count / 2
        return s.count % 2 == 1 ? s[m] : (s[m - 1] + s[m]) / 2
    }
}

/// Asynchronous successive halving (ASHA; Li et al. 2020, "A System for Massively Parallel
/// Hyperparameter Tuning"), as Optuna's `SuccessiveHalvingPruner`: rungs at epochs
/// r·η^(s+k) for k = 0, 1, 2, … (r = ``minEpochs``, η = ``reductionFactor``, s =
/// ``minEarlyStoppingRate``). When a trial reaches a rung, its score there joins the scores every trial
/// recorded at that rung; the trial goes on only when it is among the top ⌊n/η⌋ of those n scores
/// (ties go on). While fewer than η scores are recorded (⌊n/η⌋ = 0), it goes on only when it is the best
/// so far at that rung — Optuna's rule, since a stopped trial cannot be resumed later. A non-finite score
/// at a rung is pruned. Between rungs nothing is pruned.
///
/// ```swift
/// let asha = ASHAPruner(minEpochs: 1, reductionFactor: 3)   // rungs at epochs 1, 3, 9, 27, …
/// asha.isRung(3)   // true
/// ```
public struct ASHAPruner: Pruner {
    /// The epochs of the first rung (r).
    public var minEpochs: Int
    /// The reduction factor (η): about 1 in η trials goes on at each rung.
    public var reductionFactor: Int
    /// The rungs start at r·η^s.
    public var minEarlyStoppingRate: Int

    /// Creates the pruner.
    ///
    /// - Parameters:
    ///   - minEpochs: the first rung's epochs (Optuna's `min_resource`), ≥ 1.
    ///   - reductionFactor: η (`reduction_factor`, 3), ≥ 2.
    ///   - minEarlyStoppingRate: s (`min_early_stopping_rate`, 0).
    public init(minEpochs: Int = 1, reductionFactor: Int = 3, minEarlyStoppingRate: Int = 0) {
        self.minEpochs = minEpochs
        self.reductionFactor = reductionFactor
        self.minEarlyStoppingRate = minEarlyStoppingRate
    }

    /// The rung epochs up to `limit`: r·η^s, r·η^(s+1), ….
    ///
    /// ```swift
    /// ASHAPruner().rungs(upTo: 30)   // [1, 3, 9, 27]
    /// ```
    public func rungs(upTo limit: Int) -> [Int] {
        let r = Swift.max(1, minEpochs), eta = Swift.max(2, reductionFactor)
        var rung = r, out: [Int] = []
        for _ in 0..<Swift.max(0, minEarlyStoppingRate) {
            let (next, o) = rung.multipliedReportingOverflow(by: eta)
            if o { return [] }
            rung = next
        }
        while rung <= limit {
            out.append(rung)
            let (next, o) = rung.multipliedReportingOverflow(by: eta)
            if o { break }
            rung = next
        }
        return out
    }

    /// Whether `epoch` is a rung.
    public func isRung(_ epoch: Int) -> Bool { epoch >= 1 && rungs(upTo: epoch).last == epoch }

    public func shouldPrune(_ trial: Trial, others: [Trial], direction: StudyDirection) -> Bool {
        let epoch = trial.scores.count
        guard isRung(epoch) else { return false }
        let value = trial.scores[epoch - 1]
        guard value.isFinite else { return true }
        var competing = others.filter { $0.number != trial.number && $0.scores.count >= epoch }
            .map { $0.scores[epoch - 1] }.filter(\.isFinite)
        competing.append(value)
        competing.sort()
        let eta = Swift.max(2, reductionFactor)
        var promotable = competing.count / eta - 1
        if promotable < 0 { promotable = 0 }
        switch direction {
        case .maximize: return value < competing[competing.count - 1 - promotable]
        case .minimize: return value > competing[promotable]
        }
    }
}
