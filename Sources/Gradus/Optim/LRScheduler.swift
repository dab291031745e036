/// The base of epoch- or step-driven learning-rate schedules: it remembers each group's initial
/// learning rate and, on each ``step()``, sets the optimizer's rates to the schedule's value at the
/// new epoch (PyTorch's `LRScheduler`; call `step()` after `optimizer.step()`).
///
/// Schedules are computed in closed form from the initial rates, the form that PyTorch's chainable
/// updates produce when one schedule drives the optimizer. Building a schedule sets the rates of
/// epoch 0. The initial rates are those the optimizer had when its first schedule was built (PyTorch's
/// `initial_lr`), so a second schedule on the same optimizer — the decay after a warm-up, for
/// ``SequentialLR`` — starts from them too, not from the rate the first one set.
///
/// ```swift
/// let optimizer = SGD(parameters, lr: 0.1)
/// let schedule = StepLR(optimizer, stepSize: 30, gamma: 0.1)
/// for epoch in 0..<90 {
///     train(epoch)
///     schedule.step()
/// }
/// ```
public class LRScheduler: @unchecked Sendable {
    /// The optimizer whose learning rates this schedule sets.
    public let optimizer: Optimizer
    /// Each group's learning rate at epoch 0.
    public internal(set) var baseLearningRates: [Double]
    /// The number of ``step()`` calls so far (the current epoch).
    public private(set) var lastEpoch: Int = 0

    /// `recordsAsInitial`: whether given base rates become the optimizer's initial rates (as OneCycleLR
    /// overwrites PyTorch's `initial_lr`; SWALR, which starts from the current rates, leaves them).
    init(_ optimizer: Optimizer, baseLearningRates: [Double]? = nil, recordsAsInitial: Bool = true) {
        self.optimizer = optimizer
        // PyTorch's setdefault('initial_lr', lr): groups that have no initial rate yet (all of them for the
        // first schedule, groups added since for a later one) take their current rate.
        let known = optimizer.initialLearningRates ?? []
        let current = optimizer.learningRates
        if known.count < current.count { optimizer.initialLearningRates = known + current[known.count...] }
        let rates = baseLearningRates ?? optimizer.initialLearningRates ?? optimizer.learningRates
        self.baseLearningRates = validSetting(rates.count == optimizer.parameterGroups.count,
                                              "LRScheduler: \(rates.count) learning rates for \(optimizer.parameterGroups.count) parameter groups")
            ? rates : optimizer.learningRates
        // A schedule that brings its own starting rates (OneCycleLR: maxLR / divFactor) records them as
        // the initial ones, as PyTorch's OneCycleLR overwrites initial_lr.
        if recordsAsInitial && baseLearningRates != nil && rates.count == optimizer.parameterGroups.count {
            optimizer.initialLearningRates = rates
        }
    }

    /// Sets the rates of epoch 0; subclasses call it at the end of their initializers.
    func start() {
        optimizer.learningRates = learningRates(atEpoch: 0)
        applyOptions(atEpoch: 0)
    }

    /// Sets what the schedule drives besides the rates at `epoch` (OneCycleLR's momentum); nothing by
    /// default. Called after the rates on construction and on every step, and by ``SequentialLR`` for
    /// the schedule in charge.
    func applyOptions(atEpoch epoch: Int) {}

    /// Advances one epoch (or one batch, for per-step schedules) and sets the optimizer's rates.
    ///
    /// ```swift
    /// optimizer.step()
    /// schedule.step()
    /// ```
    public func step() {
        lastEpoch += 1
        optimizer.learningRates = learningRates(atEpoch: lastEpoch)
        applyOptions(atEpoch: lastEpoch)
    }

    /// Moves to `epoch` as ``step()`` called until ``lastEpoch`` reaches it would (schedules are closed
    /// form: one step from `epoch − 1`), for restoring a run from its counters without looping over them.
    func advance(to epoch: Int) {
        guard epoch > lastEpoch else { return }
        lastEpoch = epoch - 1
        step()
    }

    /// The last epoch this schedule may be stepped to (nil: no end).
    var finalEpoch: Int? { nil }

    // MARK: Checkpoints

    /// The schedule's position, for a checkpoint of a hand-written training loop (PyTorch's
    /// `scheduler.state_dict()`): `lastEpoch` and each group's base rate (`baseLR.0`, `baseLR.1`, …).
    /// The schedule's settings (step size, γ, …) are not included: they come from building the same
    /// schedule again.
    ///
    /// ```swift
    /// let saved = schedule.stateDict()
    /// // … later, after building the model, optimizer and schedule as before:
    /// try optimizer.loadStateDict(savedOptimizer)
    /// try schedule.loadStateDict(saved)   // continues at the saved epoch
    /// ```
    public func stateDict() -> [String: Double] {
        var state = ["lastEpoch": Double(lastEpoch)]
        for (g, rate) in baseLearningRates.enumerated() { state["baseLR.\(g)"] = rate }
        return state
    }

    /// Restores a position saved by ``stateDict()``: the epoch and base rates, and the optimizer's
    /// rates (and cycled options) at that epoch. Nothing changes when the state does not fit.
    /// Schedules whose rates follow from their own settings (`OneCycleLR`'s maximum rates,
    /// `SequentialLR`'s schedules) take only the epoch from the state.
    ///
    /// - Parameter state: the saved values.
    /// - Throws: ``GradusError`` naming the key that is missing, unknown or out of range (an epoch
    ///   that is negative, fractional, or past the end of a schedule with one; a rate that is negative or
    ///   not finite; another number of groups).
    ///
    /// ```swift
    /// try schedule.loadStateDict(saved)
    /// ```
    public func loadStateDict(_ state: [String: Double]) throws {
        let op = "\(type(of: self)).loadStateDict"
        let groups = optimizer.parameterGroups.count
        let known = Set(["lastEpoch"] + (0..<groups).map { "baseLR.\($0)" })
        if let key = state.keys.sorted().first(where: { !known.contains($0) }) {
            throw GradusError(.invalidArgument, "\(op): unexpected key \(key) (the optimizer has \(groups) parameter group(s))")
        }
        guard let epochValue = state["lastEpoch"] else { throw GradusError(.invalidArgument, "\(op): missing key lastEpoch") }
        // Bounded so that a schedule computed from every epoch before it (MultiplicativeLR's product)
        // cannot be made to run for hours by the number in a file.
        let limit = 1 << 24
        guard epochValue >= 0, epochValue <= Double(limit), epochValue == epochValue.rounded() else {
            throw GradusError(.invalidArgument, "\(op): lastEpoch \(epochValue) is not a whole number in 0...\(limit)")
        }
        let epoch = Int(epochValue)
        if let last = finalEpoch, epoch > last {
            throw GradusError(.invalidArgument, "\(op): lastEpoch \(epoch) is past this schedule's end (\(last))")
        }
        var rates: [Double] = []
        for g in 0..<groups {
            guard let rate = state["baseLR.\(g)"] else { throw GradusError(.invalidArgument, "\(op): missing key baseLR.\(g)") }
            guard rate.isFinite, rate >= 0 else { throw GradusError(.invalidArgument, "\(op): baseLR.\(g) is \(rate), not a finite rate ≥ 0") }
            rates.append(rate)
        }
        baseLearningRates = rates
        lastEpoch = epoch
        optimizer.learningRates = learningRates(atEpoch: epoch)
        applyOptions(atEpoch: epoch)
    }

    /// The learning rates that the schedule gives at `epoch`, one per group.
    ///
    /// ```swift
    /// let planned = (0..<10).map { schedule.learningRates(atEpoch: $0)[0] }
    /// ```
    public func learningRates(atEpoch epoch: Int) -> [Double] {
        fatalError("\(type(of: self)) must override learningRates(atEpoch:)")
    }

    /// The rates set by the last ``step()`` (or by construction).
    public var lastLearningRates: [Double] { optimizer.learningRates }
}
