/// Runs schedules one after another, switching at the given epochs (PyTorch's `SequentialLR`): before
/// `milestones[0]` the first schedule drives the rates, then the second from its own epoch 0, and so on.
/// The usual use is a warm-up followed by a decay. Every schedule starts from the optimizer's initial
/// rates (see ``LRScheduler``) in its closed form, as PyTorch computes schedules that have one; step only
/// this one. (A ``MultiplicativeLR`` after a milestone therefore restarts from the initial rates, where
/// PyTorch's would go on from the rate the previous schedule left.)
///
/// ```swift
/// let warmup = LinearLR(optimizer, startFactor: 0.1, totalIters: 5)
/// let decay = CosineAnnealingLR(optimizer, tMax: 95)
/// let schedule = SequentialLR(optimizer, schedulers: [warmup, decay], milestones: [5])
/// ```
public final class SequentialLR: LRScheduler, @unchecked Sendable {
    /// The schedules, in order.
    public let schedulers: [LRScheduler]
    /// The epochs at which each next schedule takes over (one fewer than the schedules, increasing).
    public let milestones: [Int]

    /// Creates the sequence.
    /// - Parameters:
    ///   - optimizer: the optimizer that every schedule drives.
    ///   - schedulers: at least one schedule built on `optimizer`.
    ///   - milestones: `schedulers.count − 1` increasing epochs.
    public init(_ optimizer: Optimizer, schedulers: [LRScheduler], milestones: [Int]) {
        let valid = validSetting(!schedulers.isEmpty, "SequentialLR: needs at least one schedule")
            && validSetting(schedulers.allSatisfy { $0.optimizer === optimizer },
                            "SequentialLR: every schedule must drive the optimizer given to SequentialLR")
            && validSetting(milestones.count == schedulers.count - 1,
                            "SequentialLR: \(milestones.count) milestones for \(schedulers.count) schedules (give one fewer)")
            && validSetting(zip(milestones, milestones.dropFirst()).allSatisfy { $0 < $1 } && (milestones.first ?? 0) >= 0,
                            "SequentialLR: milestones must be increasing and not negative, got \(milestones)")
        self.schedulers = valid ? schedulers : [ConstantLR(optimizer, factor: 1, totalIters: 0)]
        self.milestones = valid ? milestones : []
        super.init(optimizer)
        start()
    }

    /// The learning rate of each group at `epoch`: the rates of the schedule in charge, at the epochs
    /// since its milestone.
    public override func learningRates(atEpoch epoch: Int) -> [Double] {
        let (index, since) = position(epoch)
        return schedulers[index].learningRates(atEpoch: since)
    }

    /// The schedule in charge sets what it drives besides the rates (OneCycleLR's momentum).
    override func applyOptions(atEpoch epoch: Int) {
        let (index, since) = position(epoch)
        schedulers[index].applyOptions(atEpoch: since)
    }

    /// The schedule in charge at `epoch` and the epochs since its milestone.
    private func position(_ epoch: Int) -> (index: Int, since: Int) {
        let index = milestones.firstIndex { epoch < $0 } ?? milestones.count
        return (index, index == 0 ? epoch : epoch - milestones[index - 1])
    }

    override var finalEpoch: Int? {
        guard let last = schedulers.last?.finalEpoch else { return nil }
        let (end, overflow) = (milestones.last ?? 0).addingReportingOverflow(last)
        return overflow ? nil : end
    }
}
