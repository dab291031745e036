/// The measurements of one training epoch: training loss and accuracy (averaged over the epoch's
/// batches), test loss and accuracy (after the epoch), learning rate, time, throughput, and the number
/// of batches left out because their loss was not finite (``NonFiniteLossPolicy/skip``).
///
/// Accuracies are nil for regression; test values are nil when no test data was given.
///
/// ```swift
/// try trainer.fit(train: train, test: test, epochs: 5, batchSize: 32) { m in
///     print(m.epoch, m.trainLoss, m.testAccuracy ?? .nan)
/// }
/// ```
public struct EpochMetrics: Codable, Sendable, Equatable {
    /// The epoch number, from 1.
    public var epoch: Int
    /// The mean training loss over the epoch.
    public var trainLoss: Double
    /// The fraction of training samples classified correctly during the epoch.
    public var trainAccuracy: Double?
    /// The loss on the test data after the epoch.
    public var testLoss: Double?
    /// The accuracy on the test data after the epoch.
    public var testAccuracy: Double?
    /// The learning rate during the epoch's last step.
    public var learningRate: Double
    /// The seconds spent in the epoch's training steps (evaluation excluded).
    public var seconds: Double
    /// Training samples per second (skipped batches included).
    public var samplesPerSecond: Double
    /// The batches whose update was skipped because their loss was NaN or infinite.
    public var skippedBatches: Int
    /// For a model with several outputs, each output's training loss and accuracy over the epoch
    /// (``trainLoss`` is then the weighted total and ``trainAccuracy`` nil); empty otherwise. Not
    /// part of ``csvRow``.
    public var outputs: [OutputMetrics] = []
    /// For a model with several outputs, each output's test loss and accuracy after the epoch
    /// (``testLoss`` is the weighted total); empty otherwise.
    public var testOutputs: [OutputMetrics] = []

    /// Creates a record.
    ///
    /// ```swift
    /// let m = EpochMetrics(epoch: 1, trainLoss: 0.5, learningRate: 0.01, seconds: 1, samplesPerSecond: 1000)
    /// ```
    public init(epoch: Int, trainLoss: Double, trainAccuracy: Double? = nil, testLoss: Double? = nil,
                testAccuracy: Double? = nil, learningRate: Double, seconds: Double, samplesPerSecond: Double,
                skippedBatches: Int = 0) {
        self.epoch = epoch
        self.trainLoss = trainLoss
        self.trainAccuracy = trainAccuracy
        self.testLoss = testLoss
        self.testAccuracy = testAccuracy
        self.learningRate = learningRate
        self.seconds = seconds
        self.samplesPerSecond = samplesPerSecond
        self.skippedBatches = skippedBatches
    }

    private enum CodingKeys: String, CodingKey {
        case epoch, trainLoss, trainAccuracy, testLoss, testAccuracy, learningRate, seconds, samplesPerSecond, skippedBatches
        case outputs, testOutputs
    }

    /// Decodes a record; `skippedBatches` may be absent (records written before it existed).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        epoch = try c.decode(Int.self, forKey: .epoch)
        trainLoss = try c.decode(Double.self, forKey: .trainLoss)
        trainAccuracy = try c.decodeIfPresent(Double.self, forKey: .trainAccuracy)
        testLoss = try c.decodeIfPresent(Double.self, forKey: .testLoss)
        testAccuracy = try c.decodeIfPresent(Double.self, forKey: .testAccuracy)
        learningRate = try c.decode(Double.self, forKey: .learningRate)
        seconds = try c.decode(Double.self, forKey: .seconds)
        samplesPerSecond = try c.decode(Double.self, forKey: .samplesPerSecond)
        skippedBatches = try c.decodeIfPresent(Int.self, forKey: .skippedBatches) ?? 0
        outputs = try c.decodeIfPresent([OutputMetrics].self, forKey: .outputs) ?? []
        testOutputs = try c.decodeIfPresent([OutputMetrics].self, forKey: .testOutputs) ?? []
    }

    /// The CSV header matching ``csvRow``.
    public static let csvHeader = "epoch,train_loss,train_accuracy,test_loss,test_accuracy,learning_rate,seconds,samples_per_second,skipped_batches"

    /// The header written before `skipped_batches` existed; ``parseCSV(_:)`` still reads it.
    static let csvHeaderV1 = "epoch,train_loss,train_accuracy,test_loss,test_accuracy,learning_rate,seconds,samples_per_second"

    /// The record as a CSV row (empty cells for nil values; full precision).
    ///
    /// ```swift
    /// let text = ([EpochMetrics.csvHeader] + history.map(\.csvRow)).joined(separator: "\n")
    /// ```
    public var csvRow: String {
        func cell(_ v: Double?) -> String { v.map { "\($0)" } ?? "" }
        return ["\(epoch)", cell(trainLoss), cell(trainAccuracy), cell(testLoss), cell(testAccuracy),
                cell(learningRate), cell(seconds), cell(samplesPerSecond), "\(skippedBatches)"].joined(separator: ",")
    }

    /// A whole history as CSV text with a header line.
    ///
    /// ```swift
    /// try EpochMetrics.csv(history).write(toFile: "metrics.csv", atomically: true, encoding: .utf8)
    /// ```
    public static func csv(_ history: [EpochMetrics]) -> String {
        ([csvHeader] + history.map(\.csvRow)).joined(separator: "\n") + "\n"
    }

    /// Parses text written by ``csv(_:)`` (also the older form without `skipped_batches`).
    ///
    /// - Parameter text: the CSV text.
    /// - Returns: the records.
    /// - Throws: ``TrainingError`` when the header or a row is malformed.
    ///
    /// ```swift
    /// let history = try EpochMetrics.parseCSV(text)
    /// ```
    public static func parseCSV(_ text: String) throws -> [EpochMetrics] {
        let lines = text.split(separator: "\n").map(String.init)
        let columns: Int
        switch lines.first {
        case csvHeader: columns = 9
        case csvHeaderV1: columns = 8
        default: throw TrainingError("metrics: unexpected CSV header \(lines.first ?? "(empty)")")
        }
        return try lines.dropFirst().enumerated().map { i, line in
            let cells = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            func value(_ k: Int) throws -> Double? {
                if cells[k].isEmpty { return nil }
                guard let v = Double(cells[k]) else { throw TrainingError("metrics: row \(i + 2): '\(cells[k])' is not a number") }
                return v
            }
            guard cells.count == columns, let epoch = Int(cells[0]) else {
                throw TrainingError("metrics: row \(i + 2) is malformed: \(line)")
            }
            guard epoch >= 1 && epoch <= RunConfig.maxEpochs else {
                throw TrainingError("metrics: row \(i + 2): epoch \(epoch) is outside 1...\(RunConfig.maxEpochs)")
            }
            var skipped = 0
            if columns == 9 {
                guard let v = Int(cells[8]), v >= 0 else {
                    throw TrainingError("metrics: row \(i + 2): '\(cells[8])' is not a count of skipped batches")
                }
                skipped = v
            }
            return EpochMetrics(epoch: epoch, trainLoss: try value(1) ?? .nan, trainAccuracy: try value(2),
                                testLoss: try value(3), testAccuracy: try value(4), learningRate: try value(5) ?? .nan,
                                seconds: try value(6) ?? 0, samplesPerSecond: try value(7) ?? 0, skippedBatches: skipped)
        }
    }
}
