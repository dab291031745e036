/// Whether ``ReduceLROnPlateau`` watches a metric that should go down (a loss) or up (an accuracy).
public enum PlateauMode: String, Sendable {
    /// Lower is better.
    case min
    /// Higher is better.
    case max
}

/// How ``ReduceLROnPlateau`` decides that a metric improved on the best so far.
public enum PlateauThresholdMode: String, Sendable {
    /// Better by a fraction: below best·(1 − threshold) (min) or above best·(1 + threshold) (max).
    case rel
    /// Better by an amount: below best − threshold (min) or above best + threshold (max).
    case abs
}

/// Divides the learning rate by 1/`factor` when a metric has stopped improving for more than
/// `patience` epochs (PyTorch's `ReduceLROnPlateau`). After a reduction, `cooldown` epochs pass
/// before bad epochs count again; rates never go below `minLRs`, and a change smaller than `eps`
/// is skipped.
///
/// ```swift
/// let schedule = ReduceLROnPlateau(optimizer, factor: 0.5, patience: 3)
/// for epoch in 0..<50 {
///     train(epoch)
///     schedule.step(validationLoss())
/// }
/// ```
public final class ReduceLROnPlateau: @unchecked Sendable {
    /// The optimizer whose learning rates this schedule sets.
    public let optimizer: Optimizer
    /// Whether lower or higher metrics are better.
    public let mode: PlateauMode
    /// The factor by which rates are multiplied on a plateau.
    public let factor: Double
    /// Epochs without improvement tolerated before a reduction.
    public let patience: Int
    /// The least improvement that counts.
    public let threshold: Double
    /// Whether `threshold` is relative or absolute.
    public let thresholdMode: PlateauThresholdMode
    /// Epochs after a reduction during which bad epochs are not counted.
    public let cooldown: Int
    /// The lowest rate of each group.
    public private(set) var minLRs: [Double]
    /// Whether one minimum was given for every group (``init(_:mode:factor:patience:threshold:thresholdMode:cooldown:minLR:eps:)``),
    /// which then also holds for groups added later.
    private var minimumIsShared = false
    /// The smallest change of rate that is applied.
    public let eps: Double
    /// The best metric so far.
    public private(set) var best: Double
    /// Consecutive epochs without improvement.
    public private(set) var badEpochs = 0
    /// Epochs of cooldown left.
    public private(set) var cooldownCounter = 0
    /// The number of ``step(_:)`` calls so far.
    public private(set) var lastEpoch = 0

    /// Creates the schedule.
    /// - Parameters:
    ///   - optimizer: the optimizer to drive.
    ///   - mode: `.min` (default) for losses, `.max` for accuracies.
    ///   - factor: the multiplier of the rate on a plateau, in (0, 1) (default 0.1).
    ///   - patience: epochs without improvement before reducing (default 10).
    ///   - threshold: the least improvement that counts (default 1e-4).
    ///   - thresholdMode: `.rel` (default) or `.abs`.
    ///   - cooldown: epochs to wait after a reduction (default 0).
    ///   - minLR: the lowest rate of every group (default 0).
    ///   - eps: the smallest change applied (default 1e-8).
    public convenience init(_ optimizer: Optimizer, mode: PlateauMode = .min, factor: Double = 0.1, patience: Int = 10,
                            threshold: Double = 1e-4, thresholdMode: PlateauThresholdMode = .rel, cooldown: Int = 0,
                            minLR: Double = 0, eps: Double = 1e-8) {
        self.init(optimizer, mode: mode, factor: factor, patience: patience, threshold: threshold,
                  thresholdMode: thresholdMode, cooldown: cooldown,
                  minLRs: [Double](repeating: minLR, count: optimizer.parameterGroups.count), eps: eps)
        minimumIsShared = true
    }

    /// Creates the schedule with a lowest rate per group.
    ///
    /// ```swift
    /// let schedule = ReduceLROnPlateau(optimizer, mode: .max, minLRs: [1e-5, 1e-6])
    /// ```
    public init(_ optimizer: Optimizer, mode: PlateauMode = .min, factor: Double = 0.1, patience: Int = 10,
                threshold: Double = 1e-4, thresholdMode: PlateauThresholdMode = .rel, cooldown: Int = 0,
                minLRs: [Double], eps: Double = 1e-8) {
        var minLRs = minLRs
        let groups = optimizer.parameterGroups.count
        if !validSetting(minLRs.count == groups, "ReduceLROnPlateau: \(minLRs.count) minimum rates for \(groups) parameter groups") {
            minLRs = Array(repeating: minLRs.first ?? 0, count: groups)
        }
        self.optimizer = optimizer
        self.mode = mode
        self.factor = validSetting(factor < 1 && factor >= 0, "ReduceLROnPlateau: factor must lie in [0, 1), got \(factor)") ? factor : 0.1
        self.patience = patience
        self.threshold = threshold
        self.thresholdMode = thresholdMode
        self.cooldown = cooldown
        self.minLRs = minLRs
        self.eps = eps
        self.best = mode == .min ? .infinity : -.infinity
    }

    /// Whether `value` improves on the best metric so far.
    public func isBetter(_ value: Double) -> Bool {
        switch (mode, thresholdMode) {
        case (.min, .rel): return value < best * (1 - threshold)
        case (.min, .abs): return value < best - threshold
        case (.max, .rel): return value > best * (threshold + 1)
        case (.max, .abs): return value > best + threshold
        }
    }

    /// Records the epoch's metric and reduces the rates if it has stalled for too long.
    ///
    /// ```swift
    /// schedule.step(validationLoss)
    /// ```
    public func step(_ metric: Double) {
        lastEpoch += 1
        if isBetter(metric) {
            best = metric
            badEpochs = 0
        } else {
            badEpochs += 1
        }
        if cooldownCounter > 0 {
            cooldownCounter -= 1
            badEpochs = 0
        }
        if badEpochs > patience {
            var rates = optimizer.learningRates
            if minLRs.count != rates.count {
                // Groups added since: one shared minimum extends to them (PyTorch's scalar min_lr); a
                // list of per-group minimums cannot say what the new groups' are.
                guard validSetting(minimumIsShared, "ReduceLROnPlateau: \(minLRs.count) minimum rates for \(rates.count) parameter groups (groups were added after the schedule was made with one minimum per group)")
                else { return }
                minLRs = Array(repeating: minLRs.first ?? 0, count: rates.count)
            }
            for i in rates.indices {
                let reduced = Swift.max(rates[i] * factor, minLRs[i])
                if rates[i] - reduced > eps { rates[i] = reduced }
            }
            optimizer.learningRates = rates
            cooldownCounter = cooldown
            badEpochs = 0
        }
    }

    /// The scheduler's counters as text, for checkpoints: best, bad epochs, cooldown, epochs stepped.
    public var stateText: String { "\(best),\(badEpochs),\(cooldownCounter),\(lastEpoch)" }

    /// Restores counters saved by ``stateText``; false (and nothing changed) when the text is malformed.
    ///
    /// ```swift
    /// _ = plateau.restore(stateText: saved)
    /// ```
    public func restore(stateText: String) -> Bool {
        let parts = stateText.split(separator: ",").map(String.init)
        guard parts.count == 4, let b = Double(parts[0]), !b.isNaN, let bad = Int(parts[1]), let cool = Int(parts[2]),
              let last = Int(parts[3]), bad >= 0, cool >= 0, last >= 0,
              // Counters a run can reach: `step` would overflow from Int.max.
              bad <= Int(Int32.max), cool <= Int(Int32.max), last <= Int(Int32.max) else { return false }
        best = b
        badEpochs = bad
        cooldownCounter = cool
        lastEpoch = last
        return true
    }
}
