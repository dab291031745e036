import Foundation

/// Proposes the hyperparameters of the next trial of a study.
///
/// A sampler keeps no state between calls: the proposal for trial `number` depends only on the space,
/// the trials before it, the direction and the study's seed (every random number comes from a
/// ``SeededGenerator`` seeded from the study's seed, the trial's number and the parameter's name, or a
/// fixed name for a whole configuration). So a study resumed from its journal proposes exactly what the
/// uninterrupted study would have.
///
/// ```swift
/// let sampler: any Sampler = TPESampler()
/// var history: [Trial] = []
/// for n in 0..<40 {
///     let p = try sampler.sample(space, number: n, history: history, direction: .minimize, seed: 7)
///     let value = objective(p)
///     history.append(Trial(number: n, parameters: p, state: .complete, scores: [value]))
/// }
/// ```
public protocol Sampler: Sendable {
    /// Proposes the values of trial `number`.
    ///
    /// - Parameters:
    ///   - space: the search space.
    ///   - number: the trial's number (from 0).
    ///   - history: the trials before it (finished ones are used; running ones are ignored).
    ///   - direction: whether higher or lower scores are better.
    ///   - seed: the study's seed.
    /// - Returns: a value for every parameter of `space`.
    /// - Throws: ``TrainingError`` when the space cannot be sampled (a grid too large).
    func sample(_ space: SearchSpace, number: Int, history: [Trial], direction: StudyDirection,
                seed: UInt64) throws -> [String: TrialValue]

    /// The number of distinct configurations the sampler proposes before repeating itself, or nil when
    /// unbounded; a study runs at most this many trials.
    func capacity(_ space: SearchSpace) -> Int?
}

extension Sampler {
    /// Unbounded.
    public func capacity(_ space: SearchSpace) -> Int? { nil }
}

/// The seeded randomness shared by the samplers.
enum TuningRandom {
    /// A 64-bit mix of two words (SplitMix64's finalizer over a combination).
    static func mix(_ a: UInt64, _ b: UInt64) -> UInt64 {
        var z = a ^ (b &* 0x9E37_79B9_7F4A_7C15 &+ 0x632B_E59B_D9B4_E019)
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// FNV-1a of the UTF-8 bytes (stable across processes, unlike `Hasher`).
    static func hash(_ text: String) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in text.utf8 {
            h ^= UInt64(byte)
            h = h &* 0x0000_0100_0000_01B3
        }
        return h
    }

    /// The generator of one parameter of one trial.
    static func generator(seed: UInt64, trial: Int, parameter: String) -> SeededGenerator {
        SeededGenerator(seed: mix(mix(seed, UInt64(truncatingIfNeeded: trial)), hash(parameter)))
    }

    /// A whole number uniform in lo...hi.
    static func int(_ lo: Int, _ hi: Int, _ rng: inout SeededGenerator) -> Int {
        lo + Swift.min(hi - lo, Int(rng.nextUnit() * (Double(hi) - Double(lo) + 1)))
    }

    /// A standard normal number (Box-Muller).
    static func normal(_ rng: inout SeededGenerator) -> Double {
        var u1 = rng.nextUnit()
        while u1 <= Double.leastNormalMagnitude { u1 = rng.nextUnit() }
        let u2 = rng.nextUnit()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }

    /// A value drawn uniformly from the parameter's distribution (log scales uniform in log space; a
    /// log-scale whole number uniform in [log(low − ½), log(high + ½)], rounded).
    static func draw(_ parameter: SearchSpace.Parameter, _ rng: inout SeededGenerator) -> TrialValue {
        let u = rng.nextUnit()
        switch parameter {
        case let .uniform(lo, hi):
            return .double(Swift.min(hi, Swift.max(lo, lo + (hi - lo) * u)))
        case let .logUniform(lo, hi):
            return .double(Swift.min(hi, Swift.max(lo, exp(log(lo) + (log(hi) - log(lo)) * u))))
        case let .int(lo, hi, isLog):
            if isLog {
                let a = log(Double(lo) - 0.5), b = log(Double(hi) + 0.5)
                return .int(clamp(Int(exp(a + (b - a) * u).rounded()), lo, hi))
            }
            return .int(lo + Swift.min(hi - lo, Int(u * (Double(hi) - Double(lo) + 1))))
        case let .categorical(values):
            return .string(values[Swift.min(values.count - 1, Int(u * Double(values.count)))])
        }
    }

    static func clamp(_ x: Int, _ lo: Int, _ hi: Int) -> Int { Swift.min(hi, Swift.max(lo, x)) }
}

/// Random search: every parameter drawn independently and uniformly (log-uniformly for log scales)
/// from its distribution (Bergstra and Bengio 2012).
///
/// ```swift
/// let p = try RandomSampler().sample(space, number: 0, history: [], direction: .maximize, seed: 1)
/// ```
public struct RandomSampler: Sampler {
    /// Creates the sampler.
    public init() {}

    public func sample(_ space: SearchSpace, number: Int, history: [Trial], direction: StudyDirection,
                       seed: UInt64) -> [String: TrialValue] {
        var out: [String: TrialValue] = [:]
        for d in space.dimensions {
            var rng = TuningRandom.generator(seed: seed, trial: number, parameter: d.name)
            out[d.name] = TuningRandom.draw(d.parameter, &rng)
        }
        return out
    }
}

/// Grid search: the Cartesian product of every choice of the categorical parameters and
/// ``pointsPerDimension`` evenly spaced points of each numeric one (geometrically spaced on log
/// scales; every whole number when there are no more than that many), visited in an order shuffled
/// by the study's seed. A study stops when the grid is exhausted (``capacity(_:)``).
///
/// ```swift
/// let grid = GridSampler(pointsPerDimension: 3)
/// print(grid.capacity(space)!)     // e.g. 3 × 3 = 9
/// ```
public struct GridSampler: Sampler {
    /// The points of each numeric parameter.
    public var pointsPerDimension: Int
    /// The largest grid accepted.
    public static let maxPoints = 1_000_000

    /// Creates the sampler.
    ///
    /// - Parameter pointsPerDimension: points of each numeric parameter (1 takes the middle of the range).
    public init(pointsPerDimension: Int = 5) { self.pointsPerDimension = pointsPerDimension }

    /// The grid's values of one parameter (at most ``maxPoints`` of them, whatever
    /// ``pointsPerDimension`` says).
    ///
    /// ```swift
    /// GridSampler(pointsPerDimension: 3).values(of: .logUniform(1e-4, 1e-2))   // 0.0001, 0.001, 0.01
    /// ```
    public func values(of parameter: SearchSpace.Parameter) -> [TrialValue] {
        let k = Swift.min(Self.maxPoints, Swift.max(1, pointsPerDimension))
        func spaced(_ a: Double, _ b: Double) -> [Double] {
            k == 1 ? [(a + b) / 2] : (0..<k).map { a + (b - a) * Double($0) / Double(k - 1) }
        }
        switch parameter {
        case let .uniform(lo, hi):
            return spaced(lo, hi).map { .double(Swift.min(hi, Swift.max(lo, $0))) }
        case let .logUniform(lo, hi):
            return spaced(log(lo), log(hi)).map { .double(Swift.min(hi, Swift.max(lo, exp($0)))) }
        case let .int(lo, hi, isLog):
            if hi - lo + 1 <= k { return (lo...hi).map { .int($0) } }
            let points = isLog ? spaced(log(Double(lo)), log(Double(hi))).map { exp($0) } : spaced(Double(lo), Double(hi))
            var seen = Set<Int>(), out: [TrialValue] = []
            for p in points {
                let v = TuningRandom.clamp(Int(p.rounded()), lo, hi)
                if seen.insert(v).inserted { out.append(.int(v)) }
            }
            return out
        case let .categorical(values):
            return values.map { .string($0) }
        }
    }

    /// The number of grid points (`Int.max` when it overflows).
    public func capacity(_ space: SearchSpace) -> Int? {
        var size = 1
        for d in space.dimensions {
            let (p, o) = size.multipliedReportingOverflow(by: values(of: d.parameter).count)
            if o { return Int.max }
            size = p
        }
        return size
    }

    public func sample(_ space: SearchSpace, number: Int, history: [Trial], direction: StudyDirection,
                       seed: UInt64) throws -> [String: TrialValue] {
        guard pointsPerDimension <= Self.maxPoints else {
            throw TrainingError("a grid of \(pointsPerDimension) points per dimension is more than \(Self.maxPoints) points")
        }
        let lists = space.dimensions.map { values(of: $0.parameter) }
        guard let size = capacity(space), size <= Self.maxPoints else {
            throw TrainingError("the grid over \(space.names.joined(separator: ", ")) has more than \(Self.maxPoints) points; "
                                + "give fewer points per dimension or fewer choices")
        }
        var rng = SeededGenerator(seed: TuningRandom.mix(seed, 0x6121D))
        var order = Array(0..<size)
        if size > 1 {
            for i in stride(from: size - 1, to: 0, by: -1) {
                order.swapAt(i, TuningRandom.int(0, i, &rng))
            }
        }
        var index = order[((number % size) + size) % size]
        var out: [String: TrialValue] = [:]
        for (d, list) in zip(space.dimensions, lists) {
            out[d.name] = list[index % list.count]
            index /= list.count
        }
        return out
    }
}

/// The Tree-structured Parzen Estimator (Bergstra, Bardenet, Bengio and Kégl 2011, "Algorithms for
/// Hyper-Parameter Optimization"), as Optuna's default `TPESampler` (Optuna 5: multivariate; Watanabe 2023,
/// "Tree-Structured Parzen Estimator: Understanding Its Algorithm Components and Their Roles for Better
/// Empirical Performance"):
///
/// 1. While fewer than ``startupTrials`` trials are finished (complete or pruned), sample at random.
/// 2. Rank the finished trials — complete ones by score, then pruned ones (more epochs first, then by
///    their last score) — and call the first γ(n) = min(⌈0.1 n⌉, 25) the good trials, the rest the bad.
/// 3. Build two Parzen estimators from the good (l) and the bad (g) trials. Each is a mixture of one
///    kernel per trial plus the prior kernel (weight ``priorWeight``); with ``multivariate`` (the
///    default, as Optuna 5) a trial's kernel is the product of one kernel per parameter, so l and g are
///    densities over whole configurations and the parameters are sampled together (what goes well with a
///    large learning rate is not what goes well with a small one). Observations are weighted as Optuna
///    does: 1 each for fewer than 25, else a linear ramp from 1/n to 1 for all but the 25 newest.
///    Numeric parameters: a truncated Gaussian per observation, log scales in log space, whole numbers
///    discretized (the mass of [k − ½, k + ½]); the prior is a Gaussian at the middle of the range as wide
///    as the range. Bandwidths by the neighbour rule: the larger distance to the neighbouring observations
///    (the range's ends bound the first and last; endpoints not considered), clipped to
///    [range / min(100, 1 + kernels), range] (Optuna's "magic clip"). Categorical parameters: each
///    observation's kernel gives its choice weight 1 plus the prior weight spread over all choices; the
///    prior kernel is uniform.
/// 4. Draw ``candidates`` configurations (values, without ``multivariate``) from l and keep the one that
///    maximizes l(x) / g(x).
///
/// Without ``multivariate`` it is Optuna 4's default (independent per parameter, and the prior's mean
/// counts as a neighbour in the bandwidth rule): the algorithm of studies recorded before the
/// multivariate sampler, which resume with it (``SamplerSpec/tpe(startupTrials:candidates:multivariate:)``).
///
/// ```swift
/// let tpe = TPESampler(startupTrials: 10, candidates: 24)
/// let p = try tpe.sample(space, number: 12, history: trials, direction: .maximize, seed: 0)
/// ```
public struct TPESampler: Sampler {
    /// Random trials before the estimators are used.
    public var startupTrials: Int
    /// The candidates drawn from l(x) per parameter.
    public var candidates: Int
    /// The weight of the prior in each mixture.
    public var priorWeight: Double
    /// Whether the parameters are modelled and sampled together (Optuna 5's default) rather than one by
    /// one (Optuna 4's default).
    public var multivariate: Bool

    /// Creates the sampler with Optuna's defaults.
    ///
    /// - Parameters:
    ///   - startupTrials: random trials first (Optuna's `n_startup_trials`, 10).
    ///   - candidates: candidates drawn from l (`n_ei_candidates`, 24).
    ///   - priorWeight: the prior's weight (`prior_weight`, 1).
    ///   - multivariate: one joint estimator over all parameters (`multivariate`, true since Optuna 5).
    public init(startupTrials: Int = 10, candidates: Int = 24, priorWeight: Double = 1, multivariate: Bool = true) {
        self.startupTrials = startupTrials
        self.candidates = candidates
        self.priorWeight = priorWeight
        self.multivariate = multivariate
    }

    /// The number of good trials among `n`: min(⌈0.1 n⌉, 25) (Optuna's `default_gamma`).
    public static func gamma(_ n: Int) -> Int { Swift.min(Int((0.1 * Double(n)).rounded(.up)), 25) }

    /// The weights of `n` observations in trial order (Optuna's `default_weights`): all 1 below 25,
    /// else a ramp from 1/n to 1 over the oldest n − 25, then 25 ones.
    public static func weights(_ n: Int) -> [Double] {
        guard n >= 25 else { return Array(repeating: 1, count: n) }
        let m = n - 25, start = 1 / Double(n)
        let ramp = (0..<m).map { i in m == 1 ? start : start + (1 - start) * Double(i) / Double(m - 1) }
        return ramp + Array(repeating: 1, count: 25)
    }

    /// The good and bad finished trials (step 2 of the algorithm), each in trial-number order.
    ///
    /// ```swift
    /// let (good, bad) = TPESampler.split(trials, direction: .maximize)
    /// ```
    public static func split(_ history: [Trial], direction: StudyDirection) -> (good: [Trial], bad: [Trial]) {
        let usable = history.filter { $0.state == .complete || ($0.state == .pruned && !$0.scores.isEmpty) }
        let ranked = usable.sorted { a, b in
            if (a.state == .complete) != (b.state == .complete) { return a.state == .complete }
            if a.state == .pruned, a.scores.count != b.scores.count { return a.scores.count > b.scores.count }
            let x = a.score ?? .nan, y = b.score ?? .nan
            if direction.isBetter(x, than: y) { return true }
            if direction.isBetter(y, than: x) { return false }
            return a.number < b.number
        }
        let n = gamma(usable.count)
        return (Array(ranked.prefix(n)).sorted { $0.number < $1.number },
                Array(ranked.dropFirst(n)).sorted { $0.number < $1.number })
    }

    public func sample(_ space: SearchSpace, number: Int, history: [Trial], direction: StudyDirection,
                       seed: UInt64) -> [String: TrialValue] {
        let (good, bad) = Self.split(history, direction: direction)
        let startup = good.count + bad.count < Swift.max(startupTrials, 1)
        if !startup && multivariate { return sampleJointly(space, good: good, bad: bad, number: number, seed: seed) }
        var out: [String: TrialValue] = [:]
        for d in space.dimensions {
            var rng = TuningRandom.generator(seed: seed, trial: number, parameter: d.name)
            out[d.name] = startup ? TuningRandom.draw(d.parameter, &rng)
                                  : sample(d, good: good, bad: bad, rng: &rng)
        }
        return out
    }

    /// For values sorted in [low, high]: each one's larger distance to its neighbours (the range's ends
    /// bounding the first and last), except that the first and last take the distance to their inner
    /// neighbour when there are two or more — the neighbour rule of Optuna's Parzen estimators.
    static func neighbourDistances(_ sorted: [Double], low: Double, high: Double) -> [Double] {
        let ends = [low] + sorted + [high]
        var out = sorted.indices.map { i in Swift.max(ends[i + 1] - ends[i], ends[i + 2] - ends[i + 1]) }
        if ends.count >= 4 {
            out[0] = ends[2] - ends[1]
            out[out.count - 1] = ends[ends.count - 2] - ends[ends.count - 3]
        }
        return out
    }

    /// The bandwidths of the Gaussians at `observations` (internal values: logarithms on log scales) in
    /// [low, high] (for whole numbers: widened by ½ on each side), as Optuna 5's Parzen estimator: the
    /// larger distance to the neighbouring observations, the range's ends bounding the first and last,
    /// except that the first and last take the distance to their inner neighbour when there are two or
    /// more; clipped to [(high − low) / min(100, 2 + n), high − low]. (The prior's own width is
    /// high − low.)
    ///
    /// ```swift
    /// TPESampler.bandwidths([0.2, 0.3, 0.9], low: 0, high: 1)   // [0.2, 0.6, 0.6] (0.1 clipped to 1/5)
    /// ```
    public static func bandwidths(_ observations: [Double], low: Double, high: Double) -> [Double] {
        guard !observations.isEmpty else { return [] }
        let order = observations.indices.sorted { observations[$0] < observations[$1] }
        let sorted = neighbourDistances(order.map { observations[$0] }, low: low, high: high)
        let range = high - low
        let minSigma = range / Swift.min(100, 1 + Double(observations.count + 1))
        var out = [Double](repeating: 0, count: observations.count)
        for (k, i) in order.enumerated() { out[i] = Swift.min(range, Swift.max(minSigma, sorted[k])) }
        return out
    }

    /// The log density at `configuration` of the multivariate estimator built from `observations` (the
    /// good or the bad trials' values, oldest first): l(x) or g(x) of step 3, as Optuna 5 computes it
    /// (for whole numbers the log mass of [k − ½, k + ½]; log scales in log space; choices as
    /// probabilities). Observations missing a parameter or holding a value outside it are left out.
    ///
    /// ```swift
    /// let space = try SearchSpace.parse(["x=uniform:0:1", "b=choice:16,32"])
    /// TPESampler.logDensity(["x": .double(0.3), "b": .string("16")],
    ///                       observations: [["x": .double(0.25), "b": .string("16")]], space: space)
    /// ```
    public static func logDensity(_ configuration: [String: TrialValue], observations: [[String: TrialValue]],
                                  space: SearchSpace, priorWeight: Double = 1) -> Double {
        let axes = space.dimensions.map { JointParzenEstimator.Axis($0.parameter) }
        func point(_ values: [String: TrialValue]) -> [Double]? {
            var out: [Double] = []
            for (d, axis) in zip(space.dimensions, axes) {
                guard let v = values[d.name], let x = axis.internalValue(v) else { return nil }
                out.append(x)
            }
            return out
        }
        let points = observations.compactMap(point)
        guard let x = point(configuration) else { return -.infinity }
        return JointParzenEstimator(axes: axes, points: points, weights: weights(points.count), priorWeight: priorWeight).logDensity(x)
    }

    /// All parameters together from one estimator over whole configurations (``multivariate``).
    func sampleJointly(_ space: SearchSpace, good: [Trial], bad: [Trial], number: Int, seed: UInt64) -> [String: TrialValue] {
        let dims = space.dimensions.map { JointParzenEstimator.Axis($0.parameter) }
        // Trials with a value for every parameter, as points (Optuna skips the others).
        func points(_ trials: [Trial]) -> [[Double]] {
            trials.compactMap { t in
                var point: [Double] = []
                for (d, axis) in zip(space.dimensions, dims) {
                    guard let v = t.parameters[d.name], let x = axis.internalValue(v) else { return nil }
                    point.append(x)
                }
                return point
            }
        }
        let gp = points(good), bp = points(bad)
        let l = JointParzenEstimator(axes: dims, points: gp, weights: Self.weights(gp.count), priorWeight: priorWeight)
        let g = JointParzenEstimator(axes: dims, points: bp, weights: Self.weights(bp.count), priorWeight: priorWeight)
        var rng = TuningRandom.generator(seed: seed, trial: number, parameter: "*tpe:multivariate*")
        var best: [Double] = [], bestScore = -Double.infinity
        for _ in 0..<Swift.max(1, candidates) {
            let x = l.sample(&rng)
            let s = l.logDensity(x) - g.logDensity(x)
            if best.isEmpty || s > bestScore || (bestScore.isNaN && !s.isNaN) {
                best = x
                bestScore = s
            }
        }
        var out: [String: TrialValue] = [:]
        for (i, d) in space.dimensions.enumerated() { out[d.name] = dims[i].value(best[i]) }
        return out
    }

    /// One parameter from the good and bad trials' values.
    func sample(_ d: SearchSpace.Dimension, good: [Trial], bad: [Trial], rng: inout SeededGenerator) -> TrialValue {
        let n = Swift.max(1, candidates)
        switch d.parameter {
        case let .categorical(values):
            func indices(_ trials: [Trial]) -> [Int] {
                trials.compactMap { t in t.parameters[d.name].flatMap { values.firstIndex(of: $0.description) } }
            }
            let gi = indices(good), bi = indices(bad)
            let l = CategoricalEstimator(observations: gi, weights: Self.weights(gi.count), choices: values.count, priorWeight: priorWeight)
            let g = CategoricalEstimator(observations: bi, weights: Self.weights(bi.count), choices: values.count, priorWeight: priorWeight)
            var best = 0, bestScore = -Double.infinity
            for _ in 0..<n {
                let c = l.sample(&rng)
                let s = log(l.probabilities[c]) - log(g.probabilities[c])
                if s > bestScore { best = c; bestScore = s }
            }
            return .string(values[best])
        case .uniform, .logUniform, .int:
            let domain = NumericDomain(d.parameter)
            func observations(_ trials: [Trial]) -> [Double] {
                trials.compactMap { t in t.parameters[d.name]?.number.map(domain.toInternal) }.filter(\.isFinite)
            }
            let go = observations(good), bo = observations(bad)
            let l = ParzenEstimator(observations: go, weights: Self.weights(go.count), low: domain.low, high: domain.high,
                                    step: domain.step, priorWeight: priorWeight)
            let g = ParzenEstimator(observations: bo, weights: Self.weights(bo.count), low: domain.low, high: domain.high,
                                    step: domain.step, priorWeight: priorWeight)
            var best = 0.0, bestScore = -Double.infinity, first = true
            for _ in 0..<n {
                let x = l.sample(&rng)
                let s = l.logDensity(x) - g.logDensity(x)
                if first || s > bestScore || (bestScore.isNaN && !s.isNaN) {
                    best = x
                    bestScore = s
                    first = false
                }
            }
            return domain.value(best)
        }
    }
}

/// A numeric parameter as the estimators see it: log scales in log space, whole numbers on a grid of
/// step 1 (log-scale whole numbers: continuous in [log(low − ½), log(high + ½)], as Optuna).
struct NumericDomain {
    let low: Double, high: Double, step: Double
    let isLog: Bool
    let parameter: SearchSpace.Parameter

    init(_ parameter: SearchSpace.Parameter) {
        var a = 0.0, b = 1.0, h = 0.0, logScale = false
        switch parameter {
        case let .uniform(lo, hi):
            a = lo
            b = hi
        case let .logUniform(lo, hi):
            a = log(lo)
            b = log(hi)
            logScale = true
        case let .int(lo, hi, l):
            if l {
                a = log(Double(lo) - 0.5)
                b = log(Double(hi) + 0.5)
                logScale = true
            } else {
                a = Double(lo)
                b = Double(hi)
                h = 1
            }
        case .categorical:
            break
        }
        self.parameter = parameter
        self.low = a
        self.high = b
        self.step = h
        self.isLog = logScale
    }

    func toInternal(_ x: Double) -> Double { isLog ? log(x) : x }

    func value(_ internalValue: Double) -> TrialValue {
        let x = isLog ? exp(internalValue) : internalValue
        switch parameter {
        case let .uniform(lo, hi), let .logUniform(lo, hi): return .double(Swift.min(hi, Swift.max(lo, x)))
        case let .int(lo, hi, _): return .int(TuningRandom.clamp(Int(x.rounded()), lo, hi))
        case .categorical: return .double(x)
        }
    }
}

/// A mixture of truncated Gaussians on [low − step/2, high + step/2] (step 0: continuous) with
/// Optuna's bandwidths; see ``TPESampler``.
struct ParzenEstimator {
    let mus: [Double]
    let sigmas: [Double]
    let weights: [Double]
    let logWeights: [Double]
    let logNormalizers: [Double]
    let low: Double, high: Double, step: Double

    init(observations: [Double], weights observationWeights: [Double], low: Double, high: Double, step: Double,
         priorWeight: Double) {
        self.low = low
        self.high = high
        self.step = step
        let range = high - low + step
        let priorMu = 0.5 * (low + high)
        var mus = observations, sigmas: [Double] = []
        if !observations.isEmpty {
            // Neighbour rule on the observations and the prior's mean, bounded by the range's ends.
            let withPrior = observations + [priorMu]
            let order = withPrior.indices.sorted { withPrior[$0] < withPrior[$1] }
            let sortedSigmas = TPESampler.neighbourDistances(order.map { withPrior[$0] }, low: low - step / 2, high: high + step / 2)
            var all = [Double](repeating: 0, count: withPrior.count)
            for (k, i) in order.enumerated() { all[i] = sortedSigmas[k] }
            let kernels = Double(observations.count + 1)
            let minSigma = range / Swift.min(100, 1 + kernels), maxSigma = range
            sigmas = all.prefix(observations.count).map { Swift.min(maxSigma, Swift.max(minSigma, $0)) }
        }
        mus.append(priorMu)
        sigmas.append(range)
        var w = observationWeights.count == observations.count ? observationWeights : Array(repeating: 1, count: observations.count)
        w.append(observations.isEmpty ? 1 : priorWeight)
        let total = w.reduce(0, +)
        let normalized = w.map { $0 / total }
        let a = low - step / 2, b = high + step / 2
        var normalizers: [Double] = []
        for (mu, s) in zip(mus, sigmas) {
            normalizers.append(log(Swift.max(ParzenEstimator.cdf((b - mu) / s) - ParzenEstimator.cdf((a - mu) / s), 1e-300)))
        }
        self.weights = normalized
        self.logWeights = normalized.map { log($0) }
        self.mus = mus
        self.sigmas = sigmas
        self.logNormalizers = normalizers
    }

    /// The standard normal distribution function.
    static func cdf(_ z: Double) -> Double { 0.5 * erfc(-z / 2.0.squareRoot()) }

    /// A draw: a kernel by weight, then its truncated Gaussian (by rejection), rounded to the step.
    func sample(_ rng: inout SeededGenerator) -> Double {
        let u = rng.nextUnit()
        var k = weights.count - 1, acc = 0.0
        for (i, w) in weights.enumerated() {
            acc += w
            if u < acc { k = i; break }
        }
        let a = low - step / 2, b = high + step / 2
        var x = Swift.min(b, Swift.max(a, mus[k]))
        for _ in 0..<100 {
            let y = mus[k] + sigmas[k] * TuningRandom.normal(&rng)
            if y >= a && y <= b { x = y; break }
        }
        if step > 0 {
            x = low + ((x - low) / step).rounded() * step
            x = Swift.min(high, Swift.max(low, x))
        }
        return x
    }

    /// The log density at `x` (for a step: the log mass of [x − step/2, x + step/2]).
    func logDensity(_ x: Double) -> Double {
        var terms: [Double] = []
        terms.reserveCapacity(mus.count)
        let logRoot2Pi = 0.5 * log(2 * Double.pi)
        for k in mus.indices {
            let mu = mus[k], s = sigmas[k]
            if step > 0 {
                let mass = Self.cdf((x + step / 2 - mu) / s) - Self.cdf((x - step / 2 - mu) / s)
                terms.append(logWeights[k] + log(Swift.max(mass, 1e-300)) - logNormalizers[k])
            } else {
                let z = (x - mu) / s
                terms.append(logWeights[k] - 0.5 * z * z - log(s) - logRoot2Pi - logNormalizers[k])
            }
        }
        let m = terms.max() ?? -Double.infinity
        guard m.isFinite else { return m }
        return m + log(terms.reduce(0) { $0 + exp($1 - m) })
    }
}

/// The categorical estimator of ``TPESampler``: choice probabilities of the weighted kernels.
struct CategoricalEstimator {
    let probabilities: [Double]

    init(observations: [Int], weights observationWeights: [Double], choices: Int, priorWeight: Double) {
        guard !observations.isEmpty else {
            probabilities = Array(repeating: 1 / Double(choices), count: choices)
            return
        }
        var mixture = observationWeights.count == observations.count ? observationWeights : Array(repeating: 1, count: observations.count)
        mixture.append(priorWeight)
        let total = mixture.reduce(0, +)
        mixture = mixture.map { $0 / total }
        let base = priorWeight / Double(observations.count + 1)
        let rowTotal = base * Double(choices) + 1
        var p = [Double](repeating: mixture[mixture.count - 1] / Double(choices), count: choices)
        for (k, observed) in observations.enumerated() {
            for c in 0..<choices { p[c] += mixture[k] * base / rowTotal }
            p[observed] += mixture[k] / rowTotal
        }
        probabilities = p
    }

    func sample(_ rng: inout SeededGenerator) -> Int {
        let u = rng.nextUnit() * probabilities.reduce(0, +)
        var acc = 0.0
        for (i, p) in probabilities.enumerated() {
            acc += p
            if u < acc { return i }
        }
        return probabilities.count - 1
    }
}
