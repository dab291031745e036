import Foundation

extension SearchSpace {
    /// The parameter names ``apply(_:to:)`` maps onto a ``RunConfig``, with the `gradus train` flag each
    /// stands for:
    /// - `lr` (`--lr`): the learning rate, > 0.
    /// - `batch-size` (`--batch-size`): samples per batch, 1...``RunConfig/maxBatchSize``.
    /// - `hidden` (`--hidden`): the MLP's hidden sizes, one width (`128`) or a list (`256,128`).
    /// - `depth`: the number of hidden layers (0...64), each of the `hidden` width (or the base
    ///   configuration's first hidden width, 128 when it has none); needs a single `hidden` width.
    /// - `weight-decay` (`--weight-decay`): ≥ 0.
    /// - `momentum` (`--momentum`): in [0, 1), for sgd and rmsprop.
    /// - `optimizer` (`--optimizer`): sgd, adam, adamw, rmsprop or adagrad.
    /// - `schedule` (`--schedule`): none, step, cosine, onecycle or plateau.
    /// - `epochs` (`--epochs`): 1...``RunConfig/maxEpochs``.
    ///
    /// `dropout` is not among them: the built-in models (``ModelSpec``) have no dropout layer.
    public static let tunableNames = ["lr", "batch-size", "hidden", "depth", "weight-decay", "momentum", "optimizer",
                                      "schedule", "epochs"]

    /// The momentum `gradus train` uses when `--momentum` is not given: 0.9 for SGD, 0 otherwise.
    public static func defaultMomentum(_ kind: OptimizerSpec.Kind) -> Double { kind == .sgd ? 0.9 : 0 }

    /// The configuration of a trial: `base` with the values of `parameters` (names from
    /// ``tunableNames``) put in.
    ///
    /// When `optimizer` is set and `lr` is not, a base learning rate equal to the base optimizer's
    /// default (``OptimizerSpec/Kind/defaultLearningRate``) becomes the new optimizer's default;
    /// likewise a base momentum equal to ``defaultMomentum(_:)`` of the base optimizer follows the new
    /// one (`gradus train --optimizer sgd` gets momentum 0.9). Explicit base values are kept.
    ///
    /// - Parameters:
    ///   - parameters: the trial's values.
    ///   - base: the configuration the values are put into.
    /// - Returns: the trial's configuration (validated with ``RunConfig/validate()``).
    /// - Throws: ``TrainingError`` naming unknown parameters or a value that does not fit its field.
    ///
    /// ```swift
    /// let config = try SearchSpace.apply(["lr": .double(3e-3), "hidden": .string("64,32")], to: RunConfig())
    /// ```
    public static func apply(_ parameters: [String: TrialValue], to base: RunConfig) throws -> RunConfig {
        let unknown = parameters.keys.filter { !tunableNames.contains($0) }.sorted()
        if !unknown.isEmpty {
            var message = "unknown hyperparameter\(unknown.count == 1 ? "" : "s") \(unknown.joined(separator: ", ")); "
                + "a training run can tune \(tunableNames.joined(separator: ", "))"
            if unknown.contains("dropout") { message += " (dropout: the built-in models have no dropout layer)" }
            if unknown.contains("learning-rate") { message += " (the learning rate is named lr)" }
            throw TrainingError(message)
        }
        func number(_ name: String) throws -> Double? {
            guard let v = parameters[name] else { return nil }
            guard let x = v.number, x.isFinite else { throw TrainingError("\(name) = \(v) is not a finite number") }
            return x
        }
        func whole(_ name: String) throws -> Int? {
            guard let x = try number(name) else { return nil }
            guard x == x.rounded(), abs(x) <= Double(SearchSpace.maxInteger) else {
                throw TrainingError("\(name) = \(parameters[name]!) is not a whole number")
            }
            return Int(x)
        }
        var c = base
        if let v = parameters["optimizer"] {
            guard let kind = OptimizerSpec.Kind(rawValue: v.description.lowercased()) else {
                throw TrainingError("optimizer = \(v) is not one of \(OptimizerSpec.Kind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let old = base.optimizer
            c.optimizer.kind = kind
            if old.learningRate == old.kind.defaultLearningRate { c.optimizer.learningRate = kind.defaultLearningRate }
            if old.momentum == defaultMomentum(old.kind) { c.optimizer.momentum = defaultMomentum(kind) }
        }
        if let lr = try number("lr") {
            guard lr > 0 else { throw TrainingError("lr = \(lr) must be positive") }
            c.optimizer.learningRate = lr
        }
        if let m = try number("momentum") {
            guard m >= 0, m < 1 else { throw TrainingError("momentum = \(m) must lie in [0, 1)") }
            c.optimizer.momentum = m
        }
        if let wd = try number("weight-decay") {
            guard wd >= 0 else { throw TrainingError("weight-decay = \(wd) must not be negative") }
            c.optimizer.weightDecay = wd
        }
        if let v = parameters["schedule"] {
            guard let schedule = ScheduleSpec(rawValue: v.description.lowercased()) else {
                throw TrainingError("schedule = \(v) is not one of \(ScheduleSpec.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            c.schedule = schedule
        }
        if let b = try whole("batch-size") {
            guard b >= 1, b <= RunConfig.maxBatchSize else { throw TrainingError("batch-size = \(b) must lie in 1...\(RunConfig.maxBatchSize)") }
            c.batchSize = b
        }
        if let e = try whole("epochs") {
            guard e >= 1, e <= RunConfig.maxEpochs else { throw TrainingError("epochs = \(e) must lie in 1...\(RunConfig.maxEpochs)") }
            c.epochs = e
        }
        if parameters["hidden"] != nil || parameters["depth"] != nil {
            guard base.model.architecture == .mlp else {
                throw TrainingError("hidden and depth shape an mlp; the base model is \(base.model.architecture.rawValue)")
            }
            var widths = base.model.hidden
            if let v = parameters["hidden"] {
                let parts = v.description.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
                widths = try parts.map { p in
                    guard let w = Int(p) ?? Double(p).flatMap({ Int(exactly: $0) }), w >= 1, w <= ModelSpec.maxWidth else {
                        throw TrainingError("hidden = \(v): '\(p)' is not a layer width in 1...\(ModelSpec.maxWidth)")
                    }
                    return w
                }
            }
            if let depth = try whole("depth") {
                guard depth >= 0, depth <= 64 else { throw TrainingError("depth = \(depth) must lie in 0...64") }
                if parameters["hidden"] != nil, widths.count != 1 {
                    throw TrainingError("depth = \(depth) needs a single hidden width, but hidden = \(parameters["hidden"]!) lists \(widths.count)")
                }
                widths = Array(repeating: widths.first ?? 128, count: depth)
            }
            c.model.hidden = widths
        }
        try c.validate()
        return c
    }

    /// Checks, before a study starts, that every name is tunable and that every choice and bound of
    /// the space fits `base` (each value applied on its own, `hidden` choices also with every `depth`).
    ///
    /// - Throws: ``TrainingError`` naming the first value that does not fit.
    ///
    /// ```swift
    /// try space.checkApplicable(to: RunConfig())
    /// ```
    public func checkApplicable(to base: RunConfig) throws {
        _ = try Self.apply([:], to: base)
        let unknown = names.filter { !Self.tunableNames.contains($0) }
        if !unknown.isEmpty { _ = try Self.apply(Dictionary(uniqueKeysWithValues: unknown.map { ($0, TrialValue.int(0)) }), to: base) }
        func corners(_ p: Parameter) -> [TrialValue] {
            switch p {
            case let .uniform(lo, hi), let .logUniform(lo, hi): return [.double(lo), .double(hi)]
            case let .int(lo, hi, _): return [.int(lo), .int(hi)]
            case let .categorical(values): return values.map { .string($0) }
            }
        }
        for d in dimensions {
            for value in corners(d.parameter) {
                do {
                    _ = try Self.apply([d.name: value], to: base)
                } catch let e as TrainingError {
                    throw TrainingError("search space \(d.name): " + e.message)
                }
            }
        }
        if let hidden = self["hidden"], let depth = self["depth"] {
            for h in corners(hidden) {
                for k in corners(depth) {
                    do {
                        _ = try Self.apply(["hidden": h, "depth": k], to: base)
                    } catch let e as TrainingError {
                        throw TrainingError("search space hidden and depth: " + e.message)
                    }
                }
            }
        }
    }
}

extension Trial {
    /// The trial's training configuration: ``SearchSpace/apply(_:to:)`` of its parameters to `base`.
    ///
    /// ```swift
    /// let config = try trial.configuration(base: settings.base)
    /// ```
    public func configuration(base: RunConfig) throws -> RunConfig {
        try SearchSpace.apply(parameters, to: base)
    }
}
