/// A running average of a model's weights over training (PyTorch's `torch.optim.swa_utils.AveragedModel`):
/// stochastic weight averaging (SWA) with ``AveragingStrategy/equal`` or an exponential moving average
/// (EMA) with ``AveragingStrategy/exponential(decay:)``.
///
/// The average lives in ``module``, a second instance of the model's type that you pass in (Swift cannot
/// copy an arbitrary class instance as PyTorch's `deepcopy` does); it starts as a copy of the model's
/// parameters and buffers. Call ``update(from:)`` after optimizer steps; use ``module`` to evaluate or
/// save the average. Buffers (batch-norm statistics) are copied from the model on each update, or
/// averaged too with `useBuffers`; in the first case recompute them for the averaged weights with
/// ``BatchNormStatistics/update(_:inputs:)`` before evaluating, as PyTorch's `update_bn`.
///
/// The state dictionary holds `module.…` and `n_averaged`, as PyTorch's.
///
/// ```swift
/// let model = MLP()
/// let swa = try AveragedModel(model, copy: MLP())
/// let swaSchedule = SWALR(optimizer, swaLR: 0.05)
/// for epoch in 0..<epochs {
///     train(model, optimizer)
///     if epoch >= swaStart { try swa.update(from: model); swaSchedule.step() }
/// }
/// try BatchNormStatistics.update(swa.module, inputs: trainImages.split(size: 128))
/// ```
public final class AveragedModel<Model: Module>: Module {
    /// The averaged copy of the model.
    public let module: Model
    /// How the average is formed.
    public let strategy: AveragingStrategy
    /// Whether buffers are averaged like parameters (PyTorch's `use_buffers`) instead of copied.
    public let useBuffers: Bool
    /// The number of updates so far (an int64 scalar buffer, PyTorch's `n_averaged`).
    @Buffer("n_averaged") public var averagedCount: Tensor = Tensor.zeros([], dtype: .int64)

    /// An average of `model` held in `copy`, which takes the model's current parameters and buffers.
    ///
    /// - Parameters:
    ///   - model: the model being trained.
    ///   - copy: a second instance of the same architecture; its values are overwritten.
    ///   - strategy: how updates combine (default: the equal-weight mean of SWA).
    ///   - useBuffers: average the buffers too, instead of copying them from the model.
    /// - Throws: ``StateDictError`` when `copy` does not have the model's parameters and buffers.
    public init(_ model: Model, copy: Model, strategy: AveragingStrategy = .equal, useBuffers: Bool = false) throws {
        self.module = copy
        self.strategy = strategy
        self.useBuffers = useBuffers
        super.init()
        let own = copy.namedParameters().map(\.tensor) + copy.namedBuffers().map(\.tensor)
        let theirs = model.namedParameters().map(\.tensor) + model.namedBuffers().map(\.tensor)
        if copy === model || own.contains(where: { t in theirs.contains { $0.sharesStorage(with: t) } }) {
            throw GradusError(.invalidArgument, "AveragedModel: the copy shares tensors with the model (pass a second, separate instance)")
        }
        for (mine, theirs) in zip(copy.namedParameters(), model.namedParameters())
        where mine.name == theirs.name && mine.tensor.dtype != theirs.tensor.dtype {
            throw GradusError(.dtypeMismatch, "AveragedModel: the copy's \(mine.name) is \(mine.tensor.dtype), the model's \(theirs.tensor.dtype); build the copy with the model's dtype")
        }
        _ = try copy.loadStateDict(model.stateDict())
    }

    /// The number of updates so far.
    public var count: Int { Int(averagedCount.intScalars.first ?? 0) }

    /// Folds the model's current values into the average (PyTorch's `update_parameters`): the first
    /// update copies them; later ones combine by ``strategy``. With `useBuffers`, integer buffers
    /// (batch counters) are combined in Float64 and truncated back to integers, as PyTorch's copy does.
    ///
    /// - Parameter model: the model being trained (the same architecture as ``module``).
    /// - Throws: ``GradusError`` when the model's parameters or buffers do not match the average's.
    ///
    /// ```swift
    /// try ema.update(from: model)
    /// ```
    public func update(from model: Model) throws {
        // After a failed operation in the caller's scope the model's values are not to be trusted.
        try GradusError.throwIfRecorded()
        let averaged = pairs(of: module), current = pairs(of: model)
        let names = averaged.map(\.name)
        guard names == current.map(\.name),
              zip(averaged, current).allSatisfy({ $0.tensor.shape == $1.tensor.shape && $0.tensor.dtype == $1.tensor.dtype }) else {
            func describe(_ list: [(name: String, tensor: Tensor, averages: Bool)]) -> String {
                list.map { "\($0.name) \($0.tensor.shape) \($0.tensor.dtype)" }.joined(separator: ", ")
            }
            throw GradusError(.shapeMismatch, "AveragedModel.update: the model's parameters and buffers (\(describe(current))) do not match the average's (\(describe(averaged)))")
        }
        // The count comes from a checkpoint too: checked before it divides or is incremented.
        let stored = averagedCount.intScalars.first ?? -1
        guard averagedCount.count == 1, stored >= 0, stored < 1 << 53 else {
            throw GradusError(.invalidArgument, "AveragedModel.update: n_averaged is \(averagedCount.intScalars), not a count in 0..<2^53")
        }
        let n = Int(stored)
        try GradusError.catching {
            // Every new value first, then all of them written: a rule that fails on one tensor leaves the
            // average as it was.
            let values: [Tensor] = GradMode.noGrad {
                zip(averaged, current).map { mine, theirs in
                    let (target, source) = (mine.tensor.detach(), theirs.tensor.detach())
                    if n == 0 || !mine.averages { return source }
                    if target.dtype.isFloatingPoint { return strategy.combine(target, source, count: n) }
                    // An integer buffer (a batch counter) averaged as PyTorch does it: in floating point,
                    // the result truncated back into the integers by the copy.
                    let (a, c) = (target.to(.float64), source.to(.float64))
                    if case .exponential(let decay) = strategy { return a * decay + c * (1 - decay) }
                    return strategy.combine(a, c, count: n)
                }
            }
            try GradusError.throwIfRecorded()
            for (mine, value) in zip(averaged, values) where value.shape != mine.tensor.shape {
                throw GradusError(.shapeMismatch, "AveragedModel.update: the averaging rule gave \(mine.name) the shape \(value.shape), not \(mine.tensor.shape)")
            }
            GradMode.noGrad {
                for (mine, value) in zip(averaged, values) { mine.tensor.assign(value) }
                averagedCount.assign(Tensor(scalar: Double(n + 1), dtype: .int64))
            }
        }
    }

    /// The tensors an update touches, by name: the parameters (averaged) and the buffers (averaged when
    /// `useBuffers`, else copied).
    private func pairs(of model: Module) -> [(name: String, tensor: Tensor, averages: Bool)] {
        model.namedParameters().map { ($0.name, $0.tensor, true) }
            + model.namedBuffers().map { ($0.name, $0.tensor, useBuffers) }
    }

    /// The configuration shown by ``Module/description`` (PyTorch's `extra_repr`).
    public override var extraDescription: String { "count: \(count), useBuffers: \(useBuffers)" }
}
