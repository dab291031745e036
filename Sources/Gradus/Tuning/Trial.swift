import Foundation

/// The value a trial gives one hyperparameter: a whole number (``SearchSpace/Parameter/int(_:_:log:)``),
/// a real number (``SearchSpace/Parameter/uniform(_:_:)``, ``SearchSpace/Parameter/logUniform(_:_:)``)
/// or a choice (``SearchSpace/Parameter/categorical(_:)``).
///
/// In JSON (the study journal) a value is a bare number or string; ``SearchSpace/normalize(_:)`` turns
/// what was read back into the kind its parameter draws.
///
/// ```swift
/// let lr = TrialValue.double(0.003)
/// print(lr)            // 0.003
/// ```
public enum TrialValue: Sendable, Hashable, Codable, CustomStringConvertible {
    /// A whole number.
    case int(Int)
    /// A real number.
    case double(Double)
    /// A choice, as written in the search space.
    case string(String)

    /// The value as text: `16`, `0.003` (the shortest text that reads back to the same number), `adam`.
    public var description: String {
        switch self {
        case .int(let v): return String(v)
        case .double(let v): return "\(v)"
        case .string(let s): return s
        }
    }

    /// The value as a number: whole and real numbers, and choices written as numbers (`"32"`); nil otherwise.
    public var number: Double? {
        switch self {
        case .int(let v): return Double(v)
        case .double(let v): return v
        case .string(let s): return Double(s.trimmingCharacters(in: .whitespaces))
        }
    }

    /// Decodes a bare JSON number (whole numbers first) or string.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let v = try? c.decode(Int.self) {
            self = .int(v)
        } else if let v = try? c.decode(Double.self) {
            self = .double(v)
        } else {
            self = .string(try c.decode(String.self))
        }
    }

    /// Encodes a bare JSON number or string.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .int(let v): try c.encode(v)
        case .double(let v): try c.encode(v)
        case .string(let s): try c.encode(s)
        }
    }
}

/// Whether a study looks for the highest or the lowest validation score: classification maximizes the
/// validation accuracy, regression minimizes the validation loss (mean squared error).
///
/// A score that is not a finite number (a loss that overflowed) is worse than every finite score.
///
/// ```swift
/// let d = StudyDirection(task: .classify)         // .maximize
/// d.isBetter(0.97, than: 0.95)               // true
/// ```
public enum StudyDirection: String, Codable, Sendable, CaseIterable {
    /// Higher is better (validation accuracy).
    case maximize
    /// Lower is better (validation loss).
    case minimize

    /// The direction of a task: classification maximizes accuracy, regression minimizes loss.
    public init(task: LearningTask) { self = task == .classify ? .maximize : .minimize }

    /// The score of an epoch: the validation accuracy when maximizing, the validation loss when
    /// minimizing (``EpochMetrics/testAccuracy`` and ``EpochMetrics/testLoss`` hold the validation
    /// scores of a run with ``DataSpec/validationFraction``); NaN when missing or not finite.
    ///
    /// ```swift
    /// let score = StudyDirection.maximize.score(metrics)
    /// ```
    public func score(_ metrics: EpochMetrics) -> Double {
        let value = self == .maximize ? metrics.testAccuracy : metrics.testLoss
        guard let value, value.isFinite else { return .nan }
        return value
    }

    /// Whether `a` is strictly better than `b`; a non-finite value is never better, and any finite value
    /// is better than a non-finite one.
    public func isBetter(_ a: Double, than b: Double) -> Bool {
        guard a.isFinite else { return false }
        guard b.isFinite else { return true }
        return self == .maximize ? a > b : a < b
    }

    /// The best finite value of `values`, or nil when there is none.
    ///
    /// ```swift
    /// StudyDirection.minimize.best([0.4, .nan, 0.2])   // 0.2
    /// ```
    public func best<S: Sequence>(_ values: S) -> Double? where S.Element == Double {
        var best: Double? = nil
        for v in values where v.isFinite {
            if best == nil || isBetter(v, than: best!) { best = v }
        }
        return best
    }

    /// What the score is called in reports: `validation accuracy` or `validation loss`.
    public var scoreName: String { self == .maximize ? "validation accuracy" : "validation loss" }

    /// A score as text: a percentage for accuracy, 4 significant digits for a loss.
    public func format(_ score: Double?) -> String {
        guard let score, score.isFinite else { return "n/a" }
        return self == .maximize ? String(format: "%.2f%%", score * 100) : String(format: "%.4g", score)
    }
}

/// One configuration tried by a study: its number (from 0), the values of the search space's
/// parameters, its state, the validation score after each epoch, and how long it took.
///
/// ```swift
/// let t = Trial(number: 0, parameters: ["lr": .double(0.01)], state: .complete, scores: [0.91, 0.95], score: 0.95)
/// print(t.bestScore(.maximize)!)   // 0.95
/// ```
public struct Trial: Sendable, Equatable {
    /// Where a trial stands.
    public enum State: String, Codable, Sendable, CaseIterable {
        /// Started and not finished (in a journal: a study killed during the trial; it is run again on resume).
        case running
        /// Trained for all its epochs.
        case complete
        /// Stopped early by the pruner, or by the study's time limit after at least one epoch.
        case pruned
        /// Its configuration could not be trained (a bad value, a loss that diverged), or the time limit
        /// stopped it before its first epoch; ``Trial/message`` says why.
        case failed

        /// Whether the trial is over.
        public var isFinished: Bool { self != .running }
    }

    /// The trial's number, from 0, in the order trials were started.
    public var number: Int
    /// The value of each parameter of the search space.
    public var parameters: [String: TrialValue]
    /// Where the trial stands.
    public var state: State
    /// The validation score after each epoch (index 0: epoch 1); NaN where it was not finite.
    public var scores: [Double]
    /// The score of the trial: its last epoch's validation score (the value of the configuration as
    /// trained for its epochs, what the best configuration's retraining reproduces); nil before any epoch.
    public var score: Double?
    /// The wall-clock seconds of the trial (data loading and evaluation included).
    public var seconds: Double
    /// Why the trial failed or was stopped, or nil.
    public var message: String?

    /// Creates a record.
    ///
    /// - Parameters:
    ///   - number: the trial's number.
    ///   - parameters: the value of each parameter.
    ///   - state: where it stands.
    ///   - scores: the validation score of each epoch so far.
    ///   - score: the trial's score (default: the last of `scores`).
    ///   - seconds: its duration.
    ///   - message: why it failed or stopped.
    ///
    /// ```swift
    /// let t = Trial(number: 3, parameters: ["lr": .double(1e-3)], state: .pruned, scores: [0.5])
    /// ```
    public init(number: Int, parameters: [String: TrialValue], state: State = .running, scores: [Double] = [],
                score: Double? = nil, seconds: Double = 0, message: String? = nil) {
        self.number = number
        self.parameters = parameters
        self.state = state
        self.scores = scores
        self.score = score ?? scores.last
        self.seconds = seconds
        self.message = message
    }

    /// The number of epochs trained.
    public var epochsRun: Int { scores.count }

    /// The best finite score over the trial's epochs, or nil.
    public func bestScore(_ direction: StudyDirection) -> Double? { direction.best(scores) }

    /// The parameters as `name=value` pairs in `order` (names missing from `order` follow, sorted).
    ///
    /// ```swift
    /// trial.parameterText(order: space.names)   // "lr=0.003 batch-size=32"
    /// ```
    public func parameterText(order: [String] = []) -> String {
        let names = order.filter { parameters[$0] != nil } + parameters.keys.filter { !order.contains($0) }.sorted()
        return names.map { "\($0)=\(parameters[$0]!)" }.joined(separator: " ")
    }

    /// Two trials are equal when every field is; NaN scores count as equal to each other.
    public static func == (a: Trial, b: Trial) -> Bool {
        func same(_ x: Double?, _ y: Double?) -> Bool {
            switch (x, y) {
            case (nil, nil): return true
            case let (x?, y?): return x == y || (x.isNaN && y.isNaN)
            default: return false
            }
        }
        return a.number == b.number && a.parameters == b.parameters && a.state == b.state
            && a.scores.count == b.scores.count && zip(a.scores, b.scores).allSatisfy { same($0, $1) }
            && same(a.score, b.score) && a.seconds == b.seconds && a.message == b.message
    }
}
