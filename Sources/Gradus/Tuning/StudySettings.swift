import Foundation

/// Which ``Sampler`` a study uses, with its settings; stored in the study's journal.
///
/// ```swift
/// let spec = SamplerSpec.tpe()                 // startupTrials 10, candidates 24, multivariate
/// let sampler = spec.make()
/// ```
public enum SamplerSpec: Codable, Sendable, Equatable {
    /// ``RandomSampler``.
    case random
    /// ``GridSampler`` with this many points per numeric parameter.
    case grid(pointsPerDimension: Int = 5)
    /// ``TPESampler`` with its random start, its candidates and whether it is multivariate. A journal
    /// written before the multivariate sampler has no `multivariate` (nil): its study resumes with the
    /// independent sampler it was recorded with.
    case tpe(startupTrials: Int = 10, candidates: Int = 24, multivariate: Bool? = true)

    /// The sampler.
    public func make() -> any Sampler {
        switch self {
        case .random: return RandomSampler()
        case .grid(let points): return GridSampler(pointsPerDimension: points)
        case .tpe(let startup, let candidates, let multivariate):
            return TPESampler(startupTrials: startup, candidates: candidates, multivariate: multivariate ?? false)
        }
    }

    /// `random`, `grid` or `tpe`.
    public var name: String {
        switch self {
        case .random: return "random"
        case .grid: return "grid"
        case .tpe: return "tpe"
        }
    }

    /// Checks the settings; the ``TrainingError`` names the bad one.
    public func validate() throws {
        switch self {
        case .random: break
        case .grid(let points):
            guard points >= 1 && points <= 1000 else { throw TrainingError("grid points per dimension must lie in 1...1000, got \(points)") }
        case .tpe(let startup, let candidates, _):
            guard startup >= 0 && startup <= 100_000 else { throw TrainingError("TPE startup trials must lie in 0...100000, got \(startup)") }
            guard candidates >= 1 && candidates <= 10_000 else { throw TrainingError("TPE candidates must lie in 1...10000, got \(candidates)") }
        }
    }
}

/// Which ``Pruner`` a study uses, with its settings; stored in the study's journal.
///
/// ```swift
/// let spec = PrunerSpec.asha(minEpochs: 1, reductionFactor: 3)
/// ```
public enum PrunerSpec: Codable, Sendable, Equatable {
    /// No pruning: every trial trains all its epochs.
    case off
    /// ``MedianPruner``.
    case median(startupTrials: Int = 5, warmupEpochs: Int = 1)
    /// ``ASHAPruner``.
    case asha(minEpochs: Int = 1, reductionFactor: Int = 3)

    /// The pruner, or nil for ``off``.
    public func make() -> (any Pruner)? {
        switch self {
        case .off: return nil
        case .median(let startup, let warmup): return MedianPruner(startupTrials: startup, warmupEpochs: warmup)
        case .asha(let r, let eta): return ASHAPruner(minEpochs: r, reductionFactor: eta)
        }
    }

    /// `none`, `median` or `asha`.
    public var name: String {
        switch self {
        case .off: return "none"
        case .median: return "median"
        case .asha: return "asha"
        }
    }

    /// Checks the settings; the ``TrainingError`` names the bad one.
    public func validate() throws {
        switch self {
        case .off: break
        case .median(let startup, let warmup):
            guard startup >= 0, warmup >= 0 else { throw TrainingError("median pruner: startup trials (\(startup)) and warm-up epochs (\(warmup)) must not be negative") }
        case .asha(let r, let eta):
            guard r >= 1 else { throw TrainingError("ASHA: the minimum epochs must be at least 1, got \(r)") }
            guard eta >= 2 else { throw TrainingError("ASHA: the reduction factor must be at least 2, got \(eta)") }
        }
    }
}

/// Everything that defines a study, written as the first line of its journal: the search space, the
/// base training configuration, the seed, the sampler, the pruner and the validation fraction.
///
/// ```swift
/// let settings = StudySettings(space: try SearchSpace.parse(["lr=loguniform:1e-4:1e-1"]),
///                              base: RunConfig(epochs: 5), seed: 0)
/// let tuner = try Tuner(settings: settings, directory: "runs/tune-digits")
/// ```
public struct StudySettings: Codable, Sendable, Equatable {
    /// The search space.
    public var space: SearchSpace
    /// The configuration the trials' values are put into (``SearchSpace/apply(_:to:)``).
    public var base: RunConfig
    /// The study's seed: the samplers' random numbers come from it (the trials' training seed is the
    /// base configuration's).
    public var seed: UInt64
    /// The sampler.
    public var sampler: SamplerSpec
    /// The pruner.
    public var pruner: PrunerSpec
    /// The share of the training part held out to score the trials (``DataSpec/validationFraction``).
    public var validationFraction: Double

    /// Creates the settings.
    ///
    /// - Parameters:
    ///   - space: the search space.
    ///   - base: the base configuration.
    ///   - seed: the study's seed.
    ///   - sampler: the sampler (default TPE).
    ///   - pruner: the pruner (default median).
    ///   - validationFraction: the validation share of the training part (default 0.2).
    public init(space: SearchSpace, base: RunConfig, seed: UInt64 = 0, sampler: SamplerSpec = .tpe(),
                pruner: PrunerSpec = .median(), validationFraction: Double = 0.2) {
        self.space = space
        self.base = base
        self.seed = seed
        self.sampler = sampler
        self.pruner = pruner
        self.validationFraction = validationFraction
    }

    /// Maximize validation accuracy (classification) or minimize validation loss (regression).
    public var direction: StudyDirection { StudyDirection(task: base.task) }

    /// Checks everything before a trial runs: the space (names tunable, every value fits the base
    /// configuration), the base configuration, the sampler, the pruner and the validation fraction.
    ///
    /// - Throws: ``TrainingError`` naming the problem.
    public func validate() throws {
        try space.validate()
        try base.validate()
        guard validationFraction > 0, validationFraction < 1 else {
            throw TrainingError("the validation fraction must lie strictly between 0 and 1, got \(validationFraction)")
        }
        if base.earlyStopping != nil {
            throw TrainingError("the base configuration stops early; a study prunes trials itself and scores them on its own validation part — remove early stopping")
        }
        try sampler.validate()
        try pruner.validate()
        try space.checkApplicable(to: base)
    }
}
