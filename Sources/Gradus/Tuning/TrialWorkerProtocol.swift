import Foundation

/// The line protocol between a study's coordinator (``Tuner`` with ``Tuner/workers``) and a worker
/// process (``TrialWorker``, `gradus tune-worker`) that trains one trial.
///
/// Every message is one line of UTF-8 text ending in `\n`, at most ``maxLineBytes`` bytes.
///
/// Worker → coordinator (the worker's standard output):
///
/// | line | meaning |
/// |---|---|
/// | `ready 1` | the worker runs, protocol version 1; first line |
/// | `epoch {EpochMetrics as JSON}` | an epoch ended; the worker waits for the answer |
/// | `complete` | the trial trained all its epochs |
/// | `pruned` | the trial stopped after the coordinator's `prune` |
/// | `stopped SIGNAL` | the trial was stopped by a signal (SIGTERM: the time limit) or a `stop` |
/// | `failed "message"` | the configuration could not be trained (the message as a JSON string) |
///
/// Coordinator → worker (the worker's standard input): first the job, ``TrialJob`` as one JSON line;
/// then one answer per `epoch` line: `continue`, `prune` or `stop`.
///
/// ```swift
/// let m = try TrialWorkerMessage.parse("epoch {\"epoch\":1,\"trainLoss\":0.5,\"learningRate\":0.01,\"seconds\":1,\"samplesPerSecond\":100,\"skippedBatches\":0}")
/// print(m.line)   // the same message, as sent
/// ```
public enum TrialWorkerMessage: Sendable, Equatable {
    /// The worker runs and speaks protocol version `version`.
    case ready(version: Int)
    /// An epoch ended with these metrics (the validation scores are the test fields).
    case epoch(EpochMetrics)
    /// The trial trained all its epochs.
    case complete
    /// The trial stopped after a `prune` answer.
    case pruned
    /// A signal (or a `stop` answer, reported as SIGTERM) stopped the trial.
    case stopped(signal: Int32)
    /// The configuration could not be trained.
    case failed(String)

    /// The protocol version spoken.
    public static let version = 1
    /// The longest line accepted (bytes, without the line end).
    public static let maxLineBytes = 1 << 20

    /// The message as one line, without the line end.
    public var line: String {
        switch self {
        case .ready(let v): return "ready \(v)"
        case .epoch(let m):
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
            let json = (try? encoder.encode(m)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
            return "epoch " + json
        case .complete: return "complete"
        case .pruned: return "pruned"
        case .stopped(let s): return "stopped \(s)"
        case .failed(let message):
            let json = (try? JSONEncoder().encode(message)).map { String(decoding: $0, as: UTF8.self) } ?? "\"\""
            return "failed " + json
        }
    }

    /// Reads one line (without its line end).
    ///
    /// - Parameter line: the line as received.
    /// - Returns: the message.
    /// - Throws: ``TrainingError`` saying what is wrong with the line (unknown word, bad JSON, a
    ///   number out of range, too long).
    public static func parse(_ line: String) throws -> TrialWorkerMessage {
        guard line.utf8.count <= maxLineBytes else { throw TrainingError("a line of \(line.utf8.count) bytes (at most \(maxLineBytes))") }
        let word: Substring, rest: Substring
        if let space = line.firstIndex(of: " ") {
            word = line[..<space]
            rest = line[line.index(after: space)...]
        } else {
            word = Substring(line)
            rest = ""
        }
        func bare() throws {
            guard rest.isEmpty else { throw TrainingError("'\(word)' takes no argument") }
        }
        switch word {
        case "ready":
            guard let v = Int(rest), v >= 1 else { throw TrainingError("'ready' needs a protocol version, got '\(clip(rest))'") }
            return .ready(version: v)
        case "epoch":
            let decoder = JSONDecoder()
            decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
            let metrics: EpochMetrics
            do {
                metrics = try decoder.decode(EpochMetrics.self, from: Data(rest.utf8))
            } catch {
                throw TrainingError("'epoch' needs the epoch's metrics as JSON, got '\(clip(rest))'")
            }
            guard metrics.epoch >= 1 && metrics.epoch <= RunConfig.maxEpochs else {
                throw TrainingError("epoch \(metrics.epoch) is outside 1...\(RunConfig.maxEpochs)")
            }
            return .epoch(metrics)
        case "complete":
            try bare()
            return .complete
        case "pruned":
            try bare()
            return .pruned
        case "stopped":
            guard let s = Int32(rest), s >= 1, s < 128 else { throw TrainingError("'stopped' needs a signal number, got '\(clip(rest))'") }
            return .stopped(signal: s)
        case "failed":
            guard let message = try? JSONDecoder().decode(String.self, from: Data(rest.utf8)) else {
                throw TrainingError("'failed' needs a message as a JSON string, got '\(clip(rest))'")
            }
            return .failed(message)
        default:
            throw TrainingError("unknown message '\(clip(word))'")
        }
    }

    /// The first 80 characters of `text`, for messages.
    static func clip<S: StringProtocol>(_ text: S) -> String {
        let s = String(text)
        return s.count <= 80 ? s : String(s.prefix(80)) + "…"
    }
}

/// The coordinator's answer to a worker's `epoch` line.
///
/// ```swift
/// let a = try TrialWorkerAnswer.parse("prune")   // .prune
/// ```
public enum TrialWorkerAnswer: String, Sendable, CaseIterable {
    /// Train the next epoch.
    case `continue`
    /// Stop: the pruner stopped the trial (the worker reports `pruned`).
    case prune
    /// Stop: the study is stopping (the worker reports `stopped 15`).
    case stop

    /// Reads an answer line.
    ///
    /// - Throws: ``TrainingError`` for any other line.
    public static func parse(_ line: String) throws -> TrialWorkerAnswer {
        guard let a = TrialWorkerAnswer(rawValue: line) else {
            throw TrainingError("expected continue, prune or stop from the coordinator, got '\(TrialWorkerMessage.clip(line))'")
        }
        return a
    }
}
