import CGradusMath

/// The base of all optimizers: parameter groups with resolved hyper-parameters, per-parameter state,
/// ``step()``, ``zeroGrad(setToNone:)``, learning-rate access for schedules and checkpoints of the state.
///
/// Subclasses (``SGD``, ``Adam``, ``AdamW``, ``RMSprop``, ``Adagrad``, ``Adadelta``, ``Adamax``, ``NAdam``,
/// ``RAdam``, ``Rprop``; ``LBFGS`` steps with a closure)
/// update each parameter in place, in its storage, in one fused pass over its elements, with
/// graph recording off. Parameters without a gradient are skipped, as in PyTorch.
///
/// Boolean options (`nesterov`, `amsgrad`, `centered`, `maximize`) are stored as 0 or 1 among the
/// options, so that groups may differ and checkpoints carry them.
///
/// ```swift
/// let optimizer = Adam(model.parameters(), lr: 1e-3)
/// for (x, y) in batches {
///     optimizer.zeroGrad()
///     criterion(model(x), y).backward()
///     optimizer.step()
/// }
/// ```
public class Optimizer: @unchecked Sendable {
    /// Every option with its default value; groups override them.
    public let defaults: [String: Double]
    /// The parameter groups, each with all options resolved.
    public private(set) var parameterGroups: [ParameterGroup]
    /// Names of the per-parameter buffers this optimizer may keep, in slot order.
    let bufferNames: [String]
    /// Per group, per parameter: step count and buffers.
    var states: [[ParameterState]]
    /// Each group's learning rate when the first schedule was built on this optimizer, or when a
    /// schedule was first built after the group was added (PyTorch's `initial_lr`): later schedules start
    /// from these rates, not from what an earlier schedule set.
    var initialLearningRates: [Double]?

    /// Whether the update reads a parameter's step count (bias correction, a decaying rate): then
    /// buffers loaded without their step are a damaged state. SGD, RMSprop and Adadelta override it.
    var updateReadsStep: Bool { true }

    /// Values a subclass keeps per group besides its options, saved by ``stateDict()`` as
    /// `group.<g>.<name>` (each finite and non-negative) and handed back by ``loadStateDict(_:)`` through
    /// ``restoreGroupState(_:)``: ASGD's rate of each group's previous step.
    func groupState(_ group: Int) -> [String: Double] { [:] }
    /// The names ``groupState(_:)`` uses.
    var groupStateNames: Set<String> { [] }
    /// Takes back the values of ``groupState(_:)`` per group (a name missing from a loaded state is absent).
    func restoreGroupState(_ values: [[String: Double]]) {}

    /// Mutable state of one parameter: its step count and buffers by slot (nil until first used).
    final class ParameterState {
        var step = 0
        var buffers: [Tensor?]
        /// A running product an optimizer keeps alongside the step (NAdam's μ product), with the step it
        /// belongs to; not saved: it is recomputed from the step when missing.
        var runningProduct: (step: Int, value: Float)?
        init(slots: Int) { buffers = [Tensor?](repeating: nil, count: slots) }

        /// The buffer in `slot`, created filled with `value` and shaped like `parameter` on first use.
        func buffer(_ slot: Int, like parameter: Tensor, value: Double = 0) -> Tensor {
            if let b = buffers[slot] { return b }
            let b = Tensor.full(parameter.shape, value: value, dtype: parameter.dtype)
            buffers[slot] = b
            return b
        }
    }

    init(groups: [ParameterGroup], defaults: [String: Double], bufferNames: [String]) {
        self.defaults = defaults
        self.bufferNames = bufferNames
        self.parameterGroups = []
        self.states = []
        for g in groups { addParameterGroup(g) }
    }

    /// The name used in messages.
    var name: String { String(describing: type(of: self)) }

    /// Adds a group of parameters (for example layers unfrozen during fine-tuning), its options
    /// completed from ``defaults``.
    ///
    /// ```swift
    /// optimizer.addParameterGroup(ParameterGroup(head.parameters(), ["lr": 1e-2]))
    /// ```
    public func addParameterGroup(_ group: ParameterGroup) {
        checked(or: ()) {
            for key in group.options.keys {
                try require(defaults[key] != nil,
                             "\(name): unknown option '\(key)'; known options: \(defaults.keys.sorted().joined(separator: ", "))")
            }
            var seen = Set(parameterGroups.flatMap { $0.parameters.map(ObjectIdentifier.init) })
            for (i, p) in group.parameters.enumerated() {
                try require(p.dtype.isFloatingPoint && p.isLeaf,
                             "\(name): parameter \(i) (shape \(p.shape)) must be a floating-point leaf tensor", .dtypeMismatch)
                try require(p.isContiguous,
                             "\(name): parameter \(i) (shape \(p.shape), strides \(p.strides)) is a strided view; optimizers update parameters in their own contiguous storage, so pass contiguous() of it (and train that tensor)", .invalidArgument)
                try require(seen.insert(ObjectIdentifier(p)).inserted,
                             "\(name): parameter \(i) (shape \(p.shape)) appears in more than one place", .shapeMismatch)
            }
            var resolved = group
            resolved.options = defaults.merging(group.options) { _, new in new }
            parameterGroups.append(resolved)
            states.append(group.parameters.map { _ in ParameterState(slots: bufferNames.count) })
        }
}

    /// Updates every parameter that has a gradient, once.
    ///
    /// ```swift
    /// loss.backward()
    /// optimizer.step()
    /// ```
    public func step() {
        checked(or: ()) {
            try GradMode.noGrad {
                for g in parameterGroups.indices { try update(group: g) }
            }
        }
    }

    /// Updates the parameters of group `g`; each subclass implements its rule here.
    func update(group g: Int) throws {
        fatalError("\(name) must override update(group:)")
    }

    /// Calls `body` for each parameter of group `g` that has a gradient, after checking it and
    /// counting the step, with its state.
    func forEachParameter(group g: Int, _ body: (Tensor, Tensor, ParameterState) -> Void) throws {
        let group = parameterGroups[g]
        for (p, s) in zip(group.parameters, states[g]) {
            guard let grad = p.grad else { continue }
            try require(grad.shape == p.shape && grad.dtype == p.dtype,
                         "\(name).step: gradient of shape \(grad.shape) (\(grad.dtype)) does not match parameter of shape \(p.shape) (\(p.dtype))", .dtypeMismatch)
            s.step += 1
            body(p, grad, s)
            p.storage.bumpVersion()
        }
    }

    /// Forgets every parameter's gradient (sets it to nil, PyTorch's default `set_to_none`), or with
    /// `setToNone: false` fills the existing gradients with zeros in place (the next backward pass gives
    /// each parameter a new gradient tensor, see ``Module/zeroGrad(setToNone:)``).
    ///
    /// - Parameter setToNone: whether to drop the gradients (default) rather than zero them.
    ///
    /// ```swift
    /// optimizer.zeroGrad()
    /// ```
    public func zeroGrad(setToNone: Bool = true) {
        for g in parameterGroups { for p in g.parameters { Module.clearGradient(of: p, setToNone: setToNone) } }
    }

    /// The learning rate of the first group; setting it sets every group's.
    ///
    /// ```swift
    /// optimizer.learningRate *= 0.5
    /// ```
    public var learningRate: Double {
        get { parameterGroups.first?.learningRate ?? .nan }
        set { for i in parameterGroups.indices { parameterGroups[i].learningRate = newValue } }
    }

    /// The learning rate of each group, in order (what schedules read and write).
    public var learningRates: [Double] {
        get { parameterGroups.map(\.learningRate) }
        set {
            guard validSetting(newValue.count == parameterGroups.count,
                               "\(name).learningRates: \(newValue.count) values for \(parameterGroups.count) groups") else { return }
            for (i, lr) in newValue.enumerated() { parameterGroups[i].learningRate = lr }
        }
    }

    /// The value of option `key` in group `group`.
    public func option(_ key: String, group: Int = 0) -> Double {
        checkedEvenAfterFailure(or: .nan) {
            try require(parameterGroups.indices.contains(group),
                        "\(name).option: group \(group) is out of range for \(parameterGroups.count) groups", .indexOutOfRange)
            guard let v = parameterGroups[group].options[key] else {
                throw GradusError(.invalidArgument,
                                  "\(name): unknown option '\(key)'; known options: \(defaults.keys.sorted().joined(separator: ", "))")
            }
            return v
        }
    }

    /// Sets option `key` in one group, or in all when `group` is nil.
    ///
    /// ```swift
    /// optimizer.setOption("momentum", 0.95)
    /// ```
    public func setOption(_ key: String, _ value: Double, group: Int? = nil) {
        checked(or: ()) {
            try require(defaults[key] != nil,
                         "\(name): unknown option '\(key)'; known options: \(defaults.keys.sorted().joined(separator: ", "))")
            try require(group.map { parameterGroups.indices.contains($0) } ?? true,
                        "\(name).setOption: group \(group ?? 0) is out of range for \(parameterGroups.count) groups", .indexOutOfRange)
            // Counts that size loops and arrays must be whole and in range (a schedule may set a rate or a
            // momentum to NaN at a degenerate boundary, as PyTorch's do, so those are not checked here).
            try require(!["maxIter", "maxEval", "historySize"].contains(key) || Self.isValidOption(key, value),
                        "\(name).setOption: \(value) is not a valid value for \(key)", .invalidArgument)
            for i in parameterGroups.indices where group == nil || group == i {
                parameterGroups[i].options[key] = value
            }
        }
    }

    // MARK: Checkpoints

    /// The state for a checkpoint: buffers copied into new tensors, step counts and options.
    ///
    /// ```swift
    /// let state = optimizer.stateDict()
    /// ```
    public func stateDict() -> OptimizerState {
        var out = OptimizerState()
        var index = 0
        for (g, group) in parameterGroups.enumerated() {
            out.scalars["group.\(g).parameterCount"] = Double(group.parameters.count)
            for (k, v) in group.options { out.scalars["group.\(g).\(k)"] = v }
            // PyTorch's `initial_lr`: a schedule built after loading starts from it, not from the
            // decayed rate.
            if let initial = initialLearningRates, g < initial.count { out.scalars["group.\(g).initialLR"] = initial[g] }
            for (name, value) in groupState(g) { out.scalars["group.\(g).\(name)"] = value }
            for s in states[g] {
                if s.step > 0 { out.scalars["state.\(index).step"] = Double(s.step) }
                for (slot, b) in s.buffers.enumerated() {
                    if let b { out.tensors["state.\(index).\(bufferNames[slot])"] = GradMode.noGrad { b.clone() } }
                }
                index += 1
            }
        }
        return out
    }

    /// Restores a state made by ``stateDict()`` of an optimizer of the same type with the same
    /// groups. Nothing changes when the state does not fit.
    ///
    /// - Throws: ``OptimizerStateError`` naming the first entry that does not fit.
    ///
    /// ```swift
    /// try optimizer.loadStateDict(state)
    /// ```
    /// Whether `value` is allowed for the option `name`: what the optimizers' initializers accept
    /// (PyTorch's constructor checks), so that every optimizer can load its own state — rates, decays,
    /// momentum, `eps` and RMSprop's `alpha` non-negative, Adam's betas in [0, 1), Adadelta's `rho` in
    /// [0, 1], flags 0 or 1, all finite; SGD's `dampening` is any finite number (PyTorch does not check it).
    static func isValidOption(_ name: String, _ value: Double) -> Bool {
        guard value.isFinite else { return false }
        switch name {
        case "eps", "alpha": return value >= 0
        case "beta1", "beta2": return value >= 0 && value < 1
        case "rho": return value >= 0 && value <= 1
        case "nesterov", "amsgrad", "centered", "maximize", "decoupledWeightDecay": return value == 0 || value == 1
        case "lr", "momentum", "weightDecay", "lrDecay", "initialAccumulatorValue", "momentumDecay": return value >= 0
        case "etaMinus": return value > 0 && value < 1
        case "etaPlus": return value > 1
        case "stepSizeMin", "stepSizeMax", "toleranceGrad", "toleranceChange": return value >= 0
        case "maxIter", "maxEval", "historySize": return value >= 1 && value <= 1e9 && value == value.rounded()
        default: return true
        }
    }

    public func loadStateDict(_ state: OptimizerState) throws {
        let groupCount = state.scalars.keys.filter { $0.hasPrefix("group.") && $0.hasSuffix(".parameterCount") }.count
        guard groupCount == parameterGroups.count else {
            throw OptimizerStateError.groupCountMismatch(expected: parameterGroups.count, found: groupCount)
        }
        var flat: [Tensor] = []
        var newOptions: [[String: Double]] = []
        for (g, group) in parameterGroups.enumerated() {
            let countKey = "group.\(g).parameterCount"
            guard let n = state.scalars[countKey] else { throw OptimizerStateError.missingKey(countKey) }
            guard n >= 0, n <= 1e15, n == n.rounded() else { throw OptimizerStateError.invalidValue(key: countKey, value: n) }
            guard Int(n) == group.parameters.count else {
                throw OptimizerStateError.parameterCountMismatch(group: g, expected: group.parameters.count, found: Int(n))
            }
            var options: [String: Double] = [:]
            for k in defaults.keys {
                guard let v = state.scalars["group.\(g).\(k)"] else { throw OptimizerStateError.missingKey("group.\(g).\(k)") }
                guard Self.isValidOption(k, v) else { throw OptimizerStateError.invalidValue(key: "group.\(g).\(k)", value: v) }
                options[k] = v
            }
            newOptions.append(options)
            flat += group.parameters
        }
        // Every scalar must be a known option, a group size, a group's initial rate or a step count.
        var steps = [Int](repeating: 0, count: flat.count)
        var initialRates = [Double?](repeating: nil, count: parameterGroups.count)
        var kept = [[String: Double]](repeating: [:], count: parameterGroups.count)
        for (key, value) in state.scalars {
            let parts = key.split(separator: ".", maxSplits: 2).map(String.init)
            // Indices in their one spelling ("1", not "+1" or "01"), so that no two keys name one entry.
            guard parts.count == 3, let i = Int(parts[1]), String(i) == parts[1] else { throw OptimizerStateError.unexpectedKey(key) }
            switch parts[0] {
            case "group":
                guard i >= 0, i < parameterGroups.count,
                      parts[2] == "parameterCount" || parts[2] == "initialLR" || defaults[parts[2]] != nil || groupStateNames.contains(parts[2]) else {
                    throw OptimizerStateError.unexpectedKey(key)
                }
                if parts[2] == "initialLR" {
                    guard value.isFinite, value >= 0 else { throw OptimizerStateError.invalidValue(key: key, value: value) }
                    initialRates[i] = value
                } else if groupStateNames.contains(parts[2]) {
                    guard value.isFinite, value >= 0 else { throw OptimizerStateError.invalidValue(key: key, value: value) }
                    kept[i][parts[2]] = value
                }
            case "state":
                guard i >= 0, i < flat.count, parts[2] == "step" else { throw OptimizerStateError.unexpectedKey(key) }
                guard value >= 0, value <= 1e15, value == value.rounded() else { throw OptimizerStateError.invalidValue(key: key, value: value) }
                steps[i] = Int(value)
            default:
                throw OptimizerStateError.unexpectedKey(key)
            }
        }
        var buffers = [[Tensor?]](repeating: [Tensor?](repeating: nil, count: bufferNames.count), count: flat.count)
        for (key, tensor) in state.tensors {
            let parts = key.split(separator: ".", maxSplits: 2).map(String.init)
            guard parts.count == 3, parts[0] == "state", let i = Int(parts[1]), String(i) == parts[1], i >= 0, i < flat.count,
                  let slot = bufferNames.firstIndex(of: parts[2]) else {
                throw OptimizerStateError.unexpectedKey(key)
            }
            guard tensor.shape == flat[i].shape else {
                throw OptimizerStateError.shapeMismatch(key: key, expected: flat[i].shape, found: tensor.shape)
            }
            buffers[i][slot] = GradMode.noGrad { tensor.detach().to(flat[i].dtype).clone() }
        }
        // Within a group, a parameter that has taken steps and holds buffers holds every buffer that the
        // group's other parameters hold (an optimizer creates them together): one missing is a damaged
        // state. A stepped parameter with no buffer at all loads — its gradient was nil whenever the
        // optimizer made buffers (momentum switched on later, for instance) — and gets them, at zero, on
        // its next step, as in PyTorch.
        // Buffers belong to a parameter that has taken steps: where the update reads the step (bias
        // correction, Adagrad's decay), moments without their step count would be used as if fresh
        // (PyTorch refuses such a state with a KeyError on 'step'); SGD's, RMSprop's and Adadelta's
        // updates do not read it (PyTorch's SGD state has no step at all).
        if updateReadsStep, let i = flat.indices.first(where: { steps[$0] == 0 && buffers[$0].contains { $0 != nil } }) {
            throw OptimizerStateError.missingKey("state.\(i).step")
        }
        var first = 0
        for group in parameterGroups {
            let range = first..<(first + group.parameters.count)
            first += group.parameters.count
            let holding = range.filter { i in steps[i] > 0 && buffers[i].contains { $0 != nil } }
            for slot in bufferNames.indices where holding.contains(where: { buffers[$0][slot] != nil }) {
                if let i = holding.first(where: { buffers[$0][slot] == nil }) {
                    throw OptimizerStateError.missingKey("state.\(i).\(bufferNames[slot])")
                }
            }
        }
        // Initial rates: none in a state saved before any schedule; a group added after the schedule was
        // built has none and takes its current rate (PyTorch's setdefault('initial_lr', lr)).
        if initialRates.contains(where: { $0 != nil }) {
            initialLearningRates = initialRates.indices.map { initialRates[$0] ?? newOptions[$0]["lr"] ?? 0 }
        }
        var index = 0
        for g in parameterGroups.indices {
            parameterGroups[g].options = newOptions[g]
            for s in states[g] {
                s.step = steps[index]
                s.buffers = buffers[index]
                s.runningProduct = nil
                index += 1
            }
        }
        restoreGroupState(kept)
    }
}

extension Optimizer {
    /// Runs an update loop over `0..<count`, split across threads for large parameters, with subnormal
    /// numbers flushed to zero on every thread that runs a part.
    ///
    /// State that decays geometrically (a momentum buffer whose gradient stays zero) passes through
    /// the subnormal range, where x86 arithmetic is about a hundred times slower; this made SGD's
    /// update a quarter of an MNIST epoch. Values below 1.2e-38 (Float) become 0, which PyTorch keeps:
    /// trajectories agree to far below any tolerance.
    @inline(__always)
    static func parallelUpdate(_ count: Int, _ body: (Range<Int>) -> Void) {
        Threading.parallelFor(count, grain: Threading.optimizerGrain) { r in
            let saved = gradus_flush_subnormals_begin()
            body(r)
            gradus_flush_subnormals_end(saved)
        }
    }

    /// Runs `body` with the element type of `dtype` (Float or Double).
    @inline(__always)
    static func dispatch(_ dtype: DType, _ body32: () -> Void, _ body64: () -> Void) {
        if dtype == .float32 { body32() } else { body64() }
    }
}

/// Converts a `[Tensor]` parameter list into the single group that optimizers' list initializers use.
func singleGroup(_ parameters: [Tensor]) -> [ParameterGroup] { [ParameterGroup(parameters)] }
