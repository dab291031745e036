import Foundation

/// Everything that defines a training run — data, model, task, optimizer, schedule, epochs, batch size,
/// seed and the handling of non-finite losses — stored as JSON in the run's checkpoints (metadata key `config`).
///
/// ```swift
/// var config = RunConfig()                       // digits, mlp 64-128-10, adam, 30 epochs
/// config.epochs = 5
/// let run = try TrainingRun(config: config, outputDirectory: "runs/test")
/// try run.run()
/// ```
public struct RunConfig: Codable, Sendable, Equatable {
    /// The data and its split.
    public var data: DataSpec
    /// The model; ``ModelSpec/inputShape`` and ``ModelSpec/outputs`` are filled from the data.
    public var model: ModelSpec
    /// Classification or regression.
    public var task: LearningTask
    /// The optimizer.
    public var optimizer: OptimizerSpec
    /// The learning-rate schedule.
    public var schedule: ScheduleSpec
    /// The number of epochs of the run.
    public var epochs: Int
    /// Samples per batch.
    public var batchSize: Int
    /// The seed of the initial weights, the data order and the global generator.
    public var seed: UInt64
    /// Also keep `epoch-N.safetensors` every this many epochs (0: only the latest checkpoint).
    public var saveEvery: Int
    /// What to do when a batch's loss is NaN or infinite (default: stop with an error).
    public var nonFiniteLoss: NonFiniteLossPolicy
    /// Stop when a validation score stops improving and keep the best weights (nil: train all epochs).
    public var earlyStopping: EarlyStopping? = nil

    /// Creates a configuration; the defaults train an MLP with one hidden layer of 128 units on the
    /// embedded digits (standardized) with Adam (lr 2e-3) and a cosine schedule, batch 32, for 30 epochs,
    /// stopping on a non-finite loss.
    ///
    /// ```swift
    /// let config = RunConfig(model: ModelSpec(architecture: .lenet, inputShape: [], outputs: 0))
    /// ```
    public init(data: DataSpec = DataSpec(format: .digits, standardize: true),
                model: ModelSpec = ModelSpec(architecture: .mlp, inputShape: [], hidden: [128], outputs: 0),
                task: LearningTask = .classify, optimizer: OptimizerSpec = OptimizerSpec(kind: .adam),
                schedule: ScheduleSpec = .cosine, epochs: Int = 30, batchSize: Int = 32, seed: UInt64 = 0,
                saveEvery: Int = 0, nonFiniteLoss: NonFiniteLossPolicy = .stop) {
        self.data = data
        self.model = model
        self.task = task
        self.optimizer = optimizer
        self.schedule = schedule
        self.epochs = epochs
        self.batchSize = batchSize
        self.seed = seed
        self.saveEvery = saveEvery
        self.nonFiniteLoss = nonFiniteLoss
    }

    private enum CodingKeys: String, CodingKey {
        case data, model, task, optimizer, schedule, epochs, batchSize, seed, saveEvery, nonFiniteLoss, earlyStopping
    }

    /// Decodes a configuration; `nonFiniteLoss` may be absent (configurations saved before it existed
    /// get `.stop`).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        data = try c.decode(DataSpec.self, forKey: .data)
        model = try c.decode(ModelSpec.self, forKey: .model)
        task = try c.decode(LearningTask.self, forKey: .task)
        optimizer = try c.decode(OptimizerSpec.self, forKey: .optimizer)
        schedule = try c.decode(ScheduleSpec.self, forKey: .schedule)
        epochs = try c.decode(Int.self, forKey: .epochs)
        batchSize = try c.decode(Int.self, forKey: .batchSize)
        seed = try c.decode(UInt64.self, forKey: .seed)
        saveEvery = try c.decode(Int.self, forKey: .saveEvery)
        nonFiniteLoss = try c.decodeIfPresent(NonFiniteLossPolicy.self, forKey: .nonFiniteLoss) ?? .stop
        earlyStopping = try c.decodeIfPresent(EarlyStopping.self, forKey: .earlyStopping)
    }

    /// Checks the numbers and throws a ``TrainingError`` naming the bad one.
    ///
    /// ```swift
    /// try config.validate()
    /// ```
    public func validate() throws {
        guard epochs >= 1 && epochs <= Self.maxEpochs else {
            throw TrainingError("--epochs must lie in 1...\(Self.maxEpochs), got \(epochs)")
        }
        guard batchSize >= 1 && batchSize <= Self.maxBatchSize else {
            throw TrainingError("--batch-size must lie in 1...\(Self.maxBatchSize), got \(batchSize)")
        }
        guard saveEvery >= 0 && saveEvery <= Self.maxEpochs else {
            throw TrainingError("--save-every must lie in 0...\(Self.maxEpochs), got \(saveEvery)")
        }
        if let bad = model.hidden.first(where: { $0 < 1 }) {
            throw TrainingError("--hidden sizes must be positive, got \(bad)")
        }
        guard model.architecture.isLanguageModel == (task == .languageModel) else {
            throw TrainingError("the model \(model.architecture.rawValue) does not fit the task \(task.rawValue): "
                                + "gpt, lstm and gru models are language models, the others classify or regress")
        }
        try optimizer.validate()
        try earlyStopping?.validate(task: task)
        if task == .classify, data.format == .csv, data.target == nil {
            throw TrainingError("CSV data needs --target COLUMN naming the target column")
        }
    }

    /// The largest number of epochs accepted.
    public static let maxEpochs = 1_000_000
    /// The largest batch size accepted.
    public static let maxBatchSize = 1 << 20

    /// The configuration as JSON.
    public func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        return String(decoding: (try? encoder.encode(self)) ?? Data(), as: UTF8.self)
    }

    /// Decodes a configuration from JSON.
    ///
    /// - Throws: ``TrainingError`` when the text is not a configuration.
    ///
    /// ```swift
    /// let config = try RunConfig.decode(json: checkpoint.metadata["config"]!)
    /// ```
    public static func decode(json: String) throws -> RunConfig {
        do {
            return try JSONDecoder().decode(RunConfig.self, from: Data(json.utf8))
        } catch {
            throw TrainingError("the run configuration in the checkpoint cannot be read: \(error)")
        }
    }
}
