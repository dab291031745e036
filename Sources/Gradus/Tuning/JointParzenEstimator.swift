import Foundation

/// The multivariate estimator of ``TPESampler``: a weighted mixture of product kernels over whole
/// configurations (one kernel per observed configuration, plus the prior), as Optuna 5's
/// `_ParzenEstimator` with `_MixtureOfProductDistribution`.
///
/// A point holds one number per axis: the logarithm of a log-scale real, a real, a whole number (its
/// kernels live in log space for log scales), or the index of a choice.
struct JointParzenEstimator {
    /// One parameter as the estimator sees it.
    enum Axis {
        /// A real: kernels in [low, high] (logarithms for log scales; the point is in that space too).
        case continuous(low: Double, high: Double, isLog: Bool, lo: Double, hi: Double)
        /// A whole number in lo...hi: kernels in [lo − ½, hi + ½] (in log space for log scales); the
        /// point is the number itself and its density the kernel's mass of [k − ½, k + ½].
        case discrete(lo: Int, hi: Int, isLog: Bool)
        /// One of the values: the point is its index.
        case categorical([String])

        init(_ parameter: SearchSpace.Parameter) {
            switch parameter {
            case let .uniform(lo, hi): self = .continuous(low: lo, high: hi, isLog: false, lo: lo, hi: hi)
            case let .logUniform(lo, hi): self = .continuous(low: log(lo), high: log(hi), isLog: true, lo: lo, hi: hi)
            case let .int(lo, hi, isLog): self = .discrete(lo: lo, hi: hi, isLog: isLog)
            case let .categorical(values): self = .categorical(values)
            }
        }

        /// The kernels' space for a whole number (or a bound of one).
        func kernelSpace(_ x: Double) -> Double {
            if case .discrete(_, _, true) = self { return log(x) }
            return x
        }

        /// The kernels' range (whole numbers: widened by ½ on each side); nil for choices.
        var bounds: (low: Double, high: Double)? {
            switch self {
            case let .continuous(low, high, _, _, _): return (low, high)
            case let .discrete(lo, hi, _): return (kernelSpace(Double(lo) - 0.5), kernelSpace(Double(hi) + 0.5))
            case .categorical: return nil
            }
        }

        /// A trial's value as a point's coordinate, or nil when it does not belong to the axis.
        func internalValue(_ v: TrialValue) -> Double? {
            switch self {
            case let .continuous(_, _, isLog, _, _):
                guard let x = v.number, x.isFinite, !isLog || x > 0 else { return nil }
                return isLog ? log(x) : x
            case let .discrete(_, _, isLog):
                guard let x = v.number, x.isFinite, !isLog || x > 0.5 else { return nil }
                return x.rounded()
            case let .categorical(values):
                return values.firstIndex(of: v.description).map(Double.init)
            }
        }

        /// A coordinate as the trial's value.
        func value(_ x: Double) -> TrialValue {
            switch self {
            case let .continuous(_, _, isLog, lo, hi): return .double(Swift.min(hi, Swift.max(lo, isLog ? exp(x) : x)))
            case let .discrete(lo, hi, _): return .int(TuningRandom.clamp(Int(x.rounded()), lo, hi))
            case let .categorical(values): return .string(values[TuningRandom.clamp(Int(x), 0, values.count - 1)])
            }
        }
    }

    /// Per axis: the kernels' means, bandwidths and log truncation masses (numbers), or their choice
    /// probabilities (choices).
    enum Kernels {
        case numeric(mus: [Double], sigmas: [Double], logMasses: [Double])
        case categorical(probabilities: [[Double]])
    }

    let axes: [Axis]
    let weights: [Double]
    let logWeights: [Double]
    let kernels: [Kernels]

    /// - Parameters:
    ///   - points: the observed configurations (each one coordinate per axis).
    ///   - weights: their weights (``TPESampler/weights(_:)``).
    ///   - priorWeight: the prior kernel's weight.
    init(axes: [Axis], points: [[Double]], weights observationWeights: [Double], priorWeight: Double) {
        self.axes = axes
        var w = observationWeights.count == points.count ? observationWeights : Array(repeating: 1, count: points.count)
        w.append(points.isEmpty ? 1 : priorWeight)
        let total = w.reduce(0, +)
        weights = w.map { $0 / total }
        logWeights = weights.map { log($0) }
        let n = points.count
        kernels = axes.enumerated().map { i, axis in
            let column = points.map { $0[i] }
            switch axis {
            case let .categorical(values):
                let c = values.count
                guard n > 0 else { return .categorical(probabilities: [Array(repeating: 1 / Double(c), count: c)]) }
                let base = priorWeight / Double(n + 1)
                var rows = column.map { observed -> [Double] in
                    var row = [Double](repeating: base, count: c)
                    row[Int(observed)] += 1
                    return row
                }
                rows.append([Double](repeating: base, count: c))
                return .categorical(probabilities: rows.map { row in
                    let s = row.reduce(0, +)
                    return s > 0 ? row.map { $0 / s } : Array(repeating: 1 / Double(c), count: c)
                })
            case .continuous, .discrete:
                let (low, high) = axis.bounds!
                var mus = column.map(axis.kernelSpace)
                var sigmas = TPESampler.bandwidths(mus, low: low, high: high)
                mus.append(0.5 * (low + high))
                sigmas.append(high - low)
                let masses = zip(mus, sigmas).map { mu, s in Self.logMass((low - mu) / s, (high - mu) / s) }
                return .numeric(mus: mus, sigmas: sigmas, logMasses: masses)
            }
        }
    }

    /// The standard normal distribution function.
    static func cdf(_ z: Double) -> Double { 0.5 * erfc(-z / 2.0.squareRoot()) }

    /// log(Φ(b) − Φ(a)) for a ≤ b, computed on the side of the tails that keeps its precision.
    static func logMass(_ a: Double, _ b: Double) -> Double {
        let mass: Double
        if b <= 0 {
            mass = cdf(b) - cdf(a)
        } else if a >= 0 {
            mass = cdf(-a) - cdf(-b)
        } else {
            mass = 1 - cdf(a) - cdf(-b)
        }
        return log(Swift.max(mass, Double.leastNormalMagnitude))
    }

    /// A configuration drawn from the mixture: a kernel by weight, then each coordinate from it.
    func sample(_ rng: inout SeededGenerator) -> [Double] {
        let u = rng.nextUnit()
        var k = weights.count - 1, acc = 0.0
        for (i, w) in weights.enumerated() {
            acc += w
            if u < acc { k = i; break }
        }
        return zip(axes, kernels).map { axis, kernel in
            switch kernel {
            case let .categorical(probabilities):
                let row = probabilities[k]
                let v = rng.nextUnit()
                var sum = 0.0
                for (c, p) in row.enumerated() {
                    sum += p
                    if v < sum { return Double(c) }
                }
                return Double(row.count - 1)
            case let .numeric(mus, sigmas, _):
                let (low, high) = axis.bounds!
                var y = Swift.min(high, Swift.max(low, mus[k]))
                for _ in 0..<100 {
                    let z = mus[k] + sigmas[k] * TuningRandom.normal(&rng)
                    if z >= low && z <= high { y = z; break }
                }
                if case let .discrete(lo, hi, isLog) = axis {
                    let x = isLog ? exp(y) : y
                    return Double(TuningRandom.clamp(Int(x.rounded()), lo, hi))
                }
                return y
            }
        }
    }

    /// The log density of a configuration (for whole numbers: the log mass of [k − ½, k + ½]).
    func logDensity(_ x: [Double]) -> Double {
        var terms = logWeights
        let logRoot2Pi = 0.5 * log(2 * Double.pi)
        for (i, (axis, kernel)) in zip(axes, kernels).enumerated() {
            switch kernel {
            case let .categorical(probabilities):
                let c = Int(x[i])
                for k in terms.indices { terms[k] += log(probabilities[k][c]) }
            case let .numeric(mus, sigmas, logMasses):
                if case .discrete = axis {
                    let left = axis.kernelSpace(x[i] - 0.5), right = axis.kernelSpace(x[i] + 0.5)
                    for k in terms.indices {
                        terms[k] += Self.logMass((left - mus[k]) / sigmas[k], (right - mus[k]) / sigmas[k]) - logMasses[k]
                    }
                } else {
                    for k in terms.indices {
                        let z = (x[i] - mus[k]) / sigmas[k]
                        terms[k] += -0.5 * z * z - log(sigmas[k]) - logRoot2Pi - logMasses[k]
                    }
                }
            }
        }
        let m = terms.max() ?? -Double.infinity
        guard m.isFinite else { return m }
        return m + log(terms.reduce(0) { $0 + exp($1 - m) })
    }
}
