#if canImport(Glibc)
import Glibc
#endif

/// Cycles the learning rate between a base and a maximum rate, step by step (PyTorch's `CyclicLR`,
/// Smith's cyclical learning rates): up over `stepSizeUp` steps, down over `stepSizeDown`, again and
/// again, the amplitude scaled per cycle (`triangular2`) or per step (`expRange`). Step it after every
/// batch. Like ``OneCycleLR`` it cycles the momentum (β₁ for optimizers with betas) the other way,
/// from `maxMomentum` at the base rate to `baseMomentum` at the peak.
///
/// At step t, with a cycle of T = up + down steps:
///
///     cycle = ⌊1 + t/T⌋,  x = 1 + t/T − cycle
///     s = x / (up/T) while rising, else (x − 1)/(up/T − 1)
///     lr = base + (max − base) · s · scale(cycle or t)
///
/// ```swift
/// let schedule = CyclicLR(optimizer, baseLR: 0.001, maxLR: 0.1, stepSizeUp: 500)
/// for batch in loader { train(batch); optimizer.step(); schedule.step() }
/// ```
public final class CyclicLR: LRScheduler, @unchecked Sendable {
    /// How the cycle's amplitude changes.
    public enum Mode: String, Sendable {
        /// A constant amplitude.
        case triangular
        /// The amplitude halved every cycle.
        case triangular2
        /// The amplitude scaled by gammaᵗ at step t.
        case expRange = "exp_range"
    }

    /// Whether a custom scale function reads the cycle number or the step.
    public enum ScaleMode: String, Sendable {
        /// scale(cycle), cycles counted from 1.
        case cycle
        /// scale(t), steps counted from 0.
        case iterations
    }

    /// Each group's highest rate.
    public let maxLearningRates: [Double]
    /// Steps from the base rate to the maximum.
    public let stepSizeUp: Int
    /// Steps from the maximum back to the base rate.
    public let stepSizeDown: Int
    /// The amplitude's rule.
    public let mode: Mode
    /// The factor of `expRange`.
    public let gamma: Double
    /// Whether the scale reads the cycle or the step.
    public let scaleMode: ScaleMode
    /// The lowest momentum, at the peak rate.
    public let baseMomentum: Double
    /// The highest momentum, at the base rate.
    public let maxMomentum: Double
    /// The optimizer option cycled (`"beta1"` or `"momentum"`), or nil when momentum is not cycled.
    public let momentumOption: String?
    private let scale: @Sendable (Double) -> Double

    /// Creates the schedule with one base and one maximum rate for every group.
    ///
    /// - Parameters:
    ///   - optimizer: the optimizer to drive.
    ///   - baseLR: the lowest rate, where each cycle starts.
    ///   - maxLR: the highest rate, reached after `stepSizeUp` steps.
    ///   - stepSizeUp: steps rising (default 2000).
    ///   - stepSizeDown: steps falling (default: `stepSizeUp`).
    ///   - mode: triangular (default), triangular2 or expRange.
    ///   - gamma: expRange's factor per step (default 1).
    ///   - scaleFunction: a scale of your own in place of the mode's, read by `scaleMode`.
    ///   - scaleMode: what `scaleFunction` reads (default: per cycle).
    ///   - cycleMomentum: cycle the momentum (or β₁) too (default true; the optimizer must have one).
    ///   - baseMomentum: the momentum at the peak rate (default 0.8).
    ///   - maxMomentum: the momentum at the base rate (default 0.9).
    public convenience init(_ optimizer: Optimizer, baseLR: Double, maxLR: Double, stepSizeUp: Int = 2000,
                            stepSizeDown: Int? = nil, mode: Mode = .triangular, gamma: Double = 1,
                            scaleFunction: (@Sendable (Double) -> Double)? = nil, scaleMode: ScaleMode = .cycle,
                            cycleMomentum: Bool = true, baseMomentum: Double = 0.8, maxMomentum: Double = 0.9) {
        let groups = optimizer.parameterGroups.count
        self.init(optimizer, baseLRs: Array(repeating: baseLR, count: groups), maxLRs: Array(repeating: maxLR, count: groups),
                  stepSizeUp: stepSizeUp, stepSizeDown: stepSizeDown, mode: mode, gamma: gamma, scaleFunction: scaleFunction,
                  scaleMode: scaleMode, cycleMomentum: cycleMomentum, baseMomentum: baseMomentum, maxMomentum: maxMomentum)
    }

    /// Creates the schedule with a base and a maximum rate per group.
    ///
    /// ```swift
    /// let schedule = CyclicLR(optimizer, baseLRs: [1e-3, 1e-4], maxLRs: [0.1, 0.01], stepSizeUp: 200, mode: .triangular2)
    /// ```
    public init(_ optimizer: Optimizer, baseLRs: [Double], maxLRs: [Double], stepSizeUp: Int = 2000,
                stepSizeDown: Int? = nil, mode: Mode = .triangular, gamma: Double = 1,
                scaleFunction: (@Sendable (Double) -> Double)? = nil, scaleMode: ScaleMode = .cycle,
                cycleMomentum: Bool = true, baseMomentum: Double = 0.8, maxMomentum: Double = 0.9) {
        var (baseLRs, maxLRs, up, cycleMomentum) = (baseLRs, maxLRs, stepSizeUp, cycleMomentum)
        let groups = optimizer.parameterGroups.count
        if !validSetting(baseLRs.count == groups && maxLRs.count == groups,
                         "CyclicLR: \(baseLRs.count) base and \(maxLRs.count) maximum rates for \(groups) parameter groups") {
            baseLRs = Array(repeating: baseLRs.first ?? 0, count: groups)
            maxLRs = Array(repeating: maxLRs.first ?? 0, count: groups)
        }
        if !validSetting(up >= 1, "CyclicLR: stepSizeUp must be positive, got \(up)") { up = 1 }
        var down = stepSizeDown ?? up
        if !validSetting(down >= 0, "CyclicLR: stepSizeDown must not be negative, got \(down)") { down = up }
        let option: String? = optimizer.defaults["beta1"] != nil ? "beta1"
            : optimizer.defaults["momentum"] != nil ? "momentum" : nil
        if !validSetting(!cycleMomentum || option != nil,
                         "CyclicLR: cycleMomentum needs an optimizer with a momentum or beta1 option, and \(optimizer.name) has neither; pass cycleMomentum: false") {
            cycleMomentum = false
        }
        self.maxLearningRates = maxLRs
        self.stepSizeUp = up
        self.stepSizeDown = down
        self.mode = mode
        self.gamma = gamma
        self.baseMomentum = baseMomentum
        self.maxMomentum = maxMomentum
        self.momentumOption = cycleMomentum ? option : nil
        if let scaleFunction {
            self.scale = scaleFunction
            self.scaleMode = scaleMode
        } else {
            switch mode {
            case .triangular: self.scale = { _ in 1 }; self.scaleMode = .cycle
            case .triangular2: self.scale = { x in 1 / pow(2, x - 1) }; self.scaleMode = .cycle
            case .expRange: self.scale = { x in pow(gamma, x) }; self.scaleMode = .iterations
            }
        }
        super.init(optimizer, baseLearningRates: baseLRs)
        start()
    }

    /// Where step `epoch` sits: the fraction of the way from the base to the maximum, and the scale.
    private func position(atEpoch epoch: Int) -> (height: Double, scale: Double) {
        let total = Double(stepSizeUp + stepSizeDown), ratio = Double(stepSizeUp) / total
        let t = Double(epoch)
        let cycle = (1 + t / total).rounded(.down)
        let x = 1 + t / total - cycle
        let height = x <= ratio ? x / ratio : (x - 1) / (ratio - 1)
        return (height, scale(scaleMode == .cycle ? cycle : t))
    }

    /// The learning rate of each group at `epoch` (a step count).
    public override func learningRates(atEpoch epoch: Int) -> [Double] {
        let (height, scale) = position(atEpoch: epoch)
        return zip(baseLearningRates, maxLearningRates).map { base, top in base + (top - base) * height * scale }
    }

    /// The momentum (β₁ for optimizers with betas) at `epoch`, or nil when momentum is not cycled.
    ///
    /// ```swift
    /// let m = schedule.momentum(atEpoch: 250)
    /// ```
    public func momentum(atEpoch epoch: Int) -> Double? {
        guard momentumOption != nil else { return nil }
        let (height, scale) = position(atEpoch: epoch)
        return maxMomentum - (maxMomentum - baseMomentum) * height * scale
    }

    /// Writes the cycled momentum of `epoch` into every group.
    override func applyOptions(atEpoch epoch: Int) {
        guard let key = momentumOption, let m = momentum(atEpoch: epoch) else { return }
        optimizer.setOption(key, m)
    }
}
