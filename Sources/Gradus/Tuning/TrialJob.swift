import Foundation

/// The job a coordinator sends a worker, as the first line of the worker's standard input: the trial,
/// its complete training configuration (the study's base with the trial's values, the validation
/// fraction set), its folder, the compute threads and the memory budget.
///
/// ```swift
/// let job = TrialJob(trial: 3, config: config, directory: "runs/tune-digits/trials/0003", threads: 1, memoryBytes: 1 << 30)
/// let line = try job.line()
/// let back = try TrialJob.parse(line)
/// ```
public struct TrialJob: Codable, Sendable, Equatable {
    /// The trial's number.
    public var trial: Int
    /// The configuration to train (``DataSpec/validationFraction`` set: scores are validation scores).
    public var config: RunConfig
    /// The trial's folder (checkpoint, metrics, plot).
    public var directory: String
    /// The worker's compute threads (``Threading/count``), 1...1024.
    public var threads: Int
    /// The worker's memory budget (``MemoryBudget/bytes``), at least 1 MiB.
    public var memoryBytes: Int

    /// Creates a job.
    ///
    /// - Parameters:
    ///   - trial: the trial's number.
    ///   - config: the configuration to train.
    ///   - directory: the trial's folder.
    ///   - threads: compute threads of the worker.
    ///   - memoryBytes: the worker's memory budget.
    public init(trial: Int, config: RunConfig, directory: String, threads: Int, memoryBytes: Int) {
        self.trial = trial
        self.config = config
        self.directory = directory
        self.threads = threads
        self.memoryBytes = memoryBytes
    }

    /// The job as one JSON line (without the line end).
    ///
    /// - Throws: ``TrainingError`` when it cannot be encoded.
    public func line() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        do {
            return String(decoding: try encoder.encode(self), as: UTF8.self)
        } catch {
            throw TrainingError("cannot encode the trial job: \(error)")
        }
    }

    /// Reads and checks a job line.
    ///
    /// - Throws: ``TrainingError`` naming what is wrong (not JSON, a field out of range, a
    ///   configuration that does not validate).
    public static func parse(_ line: String) throws -> TrialJob {
        let job: TrialJob
        do {
            job = try JSONDecoder().decode(TrialJob.self, from: Data(line.utf8))
        } catch {
            throw TrainingError("the trial job is not valid JSON of a job: \(error)")
        }
        guard job.trial >= 0 && job.trial < Tuner.maxTrials else { throw TrainingError("job: trial \(job.trial) is outside 0..<\(Tuner.maxTrials)") }
        guard job.threads >= 1 && job.threads <= 1024 else { throw TrainingError("job: threads must lie in 1...1024, got \(job.threads)") }
        guard job.memoryBytes >= 1 << 20 else { throw TrainingError("job: the memory budget must be at least 1 MiB, got \(job.memoryBytes)") }
        guard !job.directory.isEmpty, !job.directory.utf8.contains(0) else { throw TrainingError("job: the trial folder is empty or holds a NUL") }
        try job.config.validate()
        return job
    }
}
