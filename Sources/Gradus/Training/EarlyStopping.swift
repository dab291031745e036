/// Stopping training when a validation score stops improving, and keeping the best weights.
///
/// The validation part is carved from the training data (``validationFraction``, seeded by the data's
/// split seed), never taken from the test set: the per-epoch scores of a run with early stopping are
/// validation scores, and the test set is evaluated once, at the end, with the best weights.
///
/// ```swift
/// var config = RunConfig()
/// config.earlyStopping = EarlyStopping(patience: 5, monitor: .loss)
/// try TrainingRun(config: config, outputDirectory: "runs/es").run()
/// ```
public struct EarlyStopping: Codable, Sendable, Equatable {
    /// The score watched.
    public enum Monitor: String, Codable, Sendable, CaseIterable {
        /// The validation loss (lower is better).
        case loss
        /// The validation accuracy (higher is better; classification only).
        case accuracy
    }

    /// Epochs without improvement after which training stops.
    public var patience: Int
    /// The score watched.
    public var monitor: Monitor
    /// The smallest change that counts as an improvement.
    public var minDelta: Double
    /// The share of the training part held out for validation.
    public var validationFraction: Double

    /// Creates a rule.
    ///
    /// - Parameters:
    ///   - patience: epochs without improvement before stopping (Keras's and Lightning's `patience`).
    ///   - monitor: validation loss or accuracy.
    ///   - minDelta: the smallest improvement that counts.
    ///   - validationFraction: the share of the training part held out for validation.
    public init(patience: Int, monitor: Monitor = .loss, minDelta: Double = 0, validationFraction: Double = 0.1) {
        self.patience = patience
        self.monitor = monitor
        self.minDelta = minDelta
        self.validationFraction = validationFraction
    }

    /// Checks the numbers; a ``TrainingError`` names the bad one.
    public func validate(task: LearningTask) throws {
        guard patience >= 1 && patience <= RunConfig.maxEpochs else {
            throw TrainingError("--early-stopping patience must lie in 1...\(RunConfig.maxEpochs), got \(patience)")
        }
        guard minDelta >= 0, minDelta.isFinite else { throw TrainingError("--min-delta must be a non-negative number, got \(minDelta)") }
        guard validationFraction > 0, validationFraction < 1 else {
            throw TrainingError("--validation-fraction must lie strictly between 0 and 1, got \(validationFraction)")
        }
        if monitor == .accuracy, task != .classify {
            throw TrainingError("--monitor accuracy needs classification; use loss for regression")
        }
    }
}

/// The state of early stopping during a run: the best score, when it was reached, the epochs since,
/// and a copy of the best weights.
final class EarlyStoppingTracker {
    let rule: EarlyStopping
    var best: Double?
    var bestEpoch = 0
    var badEpochs = 0
    var bestWeights: [String: Tensor] = [:]

    init(_ rule: EarlyStopping) { self.rule = rule }

    /// The watched score of an epoch's metrics (validation loss or accuracy).
    func score(_ m: EpochMetrics) -> Double? {
        rule.monitor == .loss ? m.testLoss : m.testAccuracy
    }

    /// Records an epoch; returns whether training should stop now.
    func update(_ m: EpochMetrics, weights: () -> [String: Tensor]) -> Bool {
        guard let s = score(m), s.isFinite else {
            badEpochs += 1
            return badEpochs >= rule.patience
        }
        let improved: Bool
        if let best {
            improved = rule.monitor == .loss ? s < best - rule.minDelta : s > best + rule.minDelta
        } else {
            improved = true
        }
        if improved {
            best = s
            bestEpoch = m.epoch
            badEpochs = 0
            bestWeights = weights().mapValues { t in GradMode.noGrad { t.clone() } }
        } else {
            badEpochs += 1
        }
        return badEpochs >= rule.patience
    }

    /// The state for a checkpoint's metadata.
    var text: String { "\(best.map { "\($0)" } ?? "none"),\(bestEpoch),\(badEpochs)" }

    /// Restores the state from ``text`` and the saved best weights; false when malformed.
    func restore(_ text: String, weights: [String: Tensor]) -> Bool {
        let parts = text.split(separator: ",").map(String.init)
        guard parts.count == 3, let epoch = Int(parts[1]), let bad = Int(parts[2]), epoch >= 0, bad >= 0,
              epoch <= Int(Int32.max), bad <= Int(Int32.max) else { return false }   // counters a run can reach
        if parts[0] == "none" {
            best = nil
        } else {
            guard let b = Double(parts[0]), b.isFinite else { return false }
            best = b
        }
        bestEpoch = epoch
        badEpochs = bad
        bestWeights = weights
        return true
    }
}
