/// Several schedules acting together on one optimizer (PyTorch's `ChainedScheduler`): each step of the
/// chain moves every schedule's epoch, and each group's rate is its initial rate times the product of
/// every schedule's factor (its rate over the initial rate) at that epoch. A warm-up combined with a
/// decay is the usual use.
///
/// This is PyTorch's result for schedules whose updates are multiplicative — ``ConstantLR``,
/// ``LinearLR``, ``ExponentialLR``, ``StepLR``, ``MultiStepLR``, ``PolynomialLR``,
/// ``MultiplicativeLR`` — each computed in closed form as Gradus's schedules are. Schedules that PyTorch
/// sets absolutely (``LambdaLR``, ``CosineAnnealingLR``'s recursive form, ``CyclicLR``, ``OneCycleLR``,
/// ``SWALR``) overwrite what earlier ones set in PyTorch, which this product does not reproduce. Step
/// only the chain: its schedules' own ``LRScheduler/lastEpoch`` stays where it was.
///
/// ```swift
/// let warmup = ConstantLR(optimizer, factor: 0.1, totalIters: 2)
/// let decay = ExponentialLR(optimizer, gamma: 0.9)
/// let schedule = ChainedScheduler(optimizer, schedulers: [warmup, decay])
/// ```
public final class ChainedScheduler: LRScheduler, @unchecked Sendable {
    /// The schedules, all stepped together.
    public let schedulers: [LRScheduler]

    /// Chains `schedulers`, all built on `optimizer`, and sets the rates of epoch 0.
    ///
    /// - Parameters:
    ///   - optimizer: the optimizer that every schedule drives.
    ///   - schedulers: at least one schedule built on `optimizer`.
    public init(_ optimizer: Optimizer, schedulers: [LRScheduler]) {
        let valid = validSetting(!schedulers.isEmpty, "ChainedScheduler: needs at least one schedule")
            && validSetting(schedulers.allSatisfy { $0.optimizer === optimizer },
                            "ChainedScheduler: every schedule must drive the optimizer given to ChainedScheduler")
        self.schedulers = valid ? schedulers : [ConstantLR(optimizer, factor: 1, totalIters: 0)]
        super.init(optimizer)
        start()
    }

    /// Each group's rate at `epoch`: its initial rate times every schedule's factor at that epoch.
    public override func learningRates(atEpoch epoch: Int) -> [Double] {
        var rates = baseLearningRates
        for schedule in schedulers {
            let scheduled = schedule.learningRates(atEpoch: epoch)
            for g in rates.indices where g < scheduled.count && g < schedule.baseLearningRates.count {
                let base = schedule.baseLearningRates[g]
                rates[g] = base == 0 ? 0 : rates[g] * (scheduled[g] / base)
            }
        }
        return rates
    }

    /// Every schedule sets what it drives besides the rates, in order.
    override func applyOptions(atEpoch epoch: Int) {
        for schedule in schedulers { schedule.applyOptions(atEpoch: epoch) }
    }

    override var finalEpoch: Int? { schedulers.compactMap(\.finalEpoch).min() }
}
