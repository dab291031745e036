import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One line of a study's journal (`study.jsonl`): a JSON object whose `type` says what happened.
///
/// - `study`: the header, first line: `version` and `study` (``StudySettings``: space, base
///   configuration, seed, sampler, pruner, validation fraction).
/// - `started`: trial `trial` started with `params`.
/// - `epoch`: trial `trial` scored `score` on the validation part after epoch `epoch` (no `score`:
///   not a finite number).
/// - `finished`: trial `trial` ended in `state` (`complete`, `pruned`, `failed`) with `score`, after
///   `seconds`; `message` says why it failed or stopped.
/// - `test`: the best trial `trial`, retrained on the whole training part, scored `testLoss` and
///   `testAccuracy` on the `testCount` samples of the test set — the only test evaluation.
///
/// ```swift
/// let r = JournalRecord(type: .started, trial: 3, params: ["lr": .double(0.01)])
/// ```
public struct JournalRecord: Codable, Sendable, Equatable {
    /// What a line records.
    public enum Kind: String, Codable, Sendable {
        /// The header.
        case study
        /// A trial started (or started again after a resume).
        case started
        /// A trial's validation score after an epoch.
        case epoch
        /// A trial ended.
        case finished
        /// The test score of the retrained best configuration.
        case test
    }

    /// What the line records.
    public var type: Kind
    /// The journal format's version (header).
    public var version: Int?
    /// The study's settings (header).
    public var study: StudySettings?
    /// The trial's number.
    public var trial: Int?
    /// The trial's values (`started`).
    public var params: [String: TrialValue]?
    /// The epoch (`epoch`).
    public var epoch: Int?
    /// A validation score (`epoch`, `finished`); absent when not finite.
    public var score: Double?
    /// How the trial ended (`finished`).
    public var state: Trial.State?
    /// The trial's duration (`finished`).
    public var seconds: Double?
    /// Why the trial failed or stopped (`finished`).
    public var message: String?
    /// The test loss (`test`).
    public var testLoss: Double?
    /// The test accuracy (`test`, classification).
    public var testAccuracy: Double?
    /// The test samples (`test`).
    public var testCount: Int?
    /// When the line was written (seconds since 1970), for people reading the file.
    public var time: Double?

    /// Creates a record; non-finite numbers are left out.
    public init(type: Kind, version: Int? = nil, study: StudySettings? = nil, trial: Int? = nil,
                params: [String: TrialValue]? = nil, epoch: Int? = nil, score: Double? = nil, state: Trial.State? = nil,
                seconds: Double? = nil, message: String? = nil, testLoss: Double? = nil, testAccuracy: Double? = nil,
                testCount: Int? = nil, time: Double? = nil) {
        func finite(_ x: Double?) -> Double? { x.flatMap { $0.isFinite ? $0 : nil } }
        self.type = type
        self.version = version
        self.study = study
        self.trial = trial
        self.params = params
        self.epoch = epoch
        self.score = finite(score)
        self.state = state
        self.seconds = finite(seconds)
        self.message = message
        self.testLoss = finite(testLoss)
        self.testAccuracy = finite(testAccuracy)
        self.testCount = testCount
        self.time = finite(time)
    }
}

/// The test score of a study's best configuration, retrained on the whole training part.
public struct TestScore: Sendable, Equatable {
    /// The trial whose configuration was retrained.
    public var trial: Int
    /// The test loss (NaN when it was not finite).
    public var loss: Double
    /// The test accuracy (classification).
    public var accuracy: Double?
    /// The test samples.
    public var count: Int

    /// Creates a record.
    public init(trial: Int, loss: Double, accuracy: Double?, count: Int) {
        self.trial = trial
        self.loss = loss
        self.accuracy = accuracy
        self.count = count
    }
}

/// A study's append-only journal, `study.jsonl` in the study's folder: one ``JournalRecord`` per line,
/// each written with a single `write` and flushed to disk (`fsync`) before the study goes on, so that a
/// killed study loses at most the line being written.
///
/// Reading it back (``replay()``) rebuilds the settings, every trial (a trial `started` but not
/// `finished` is ``Trial/State/running``: the study was killed during it) and the test score. A last
/// line cut short by a kill is dropped, and cut off the file when it is opened for writing.
///
/// ```swift
/// let journal = try StudyJournal(path: "runs/tune-digits/study.jsonl")
/// let (settings, trials, test) = try journal.replay()
/// ```
public final class StudyJournal {
    /// The journal's file name in a study's folder.
    public static let fileName = "study.jsonl"
    /// The journal format written.
    public static let version = 1
    /// The largest journal read.
    public static let maxBytes = 256 << 20

    /// The file.
    public let path: String
    /// The records read and appended, in order.
    public private(set) var records: [JournalRecord]
    /// The line number of each record.
    private var lineNumbers: [Int]
    private var nextLine: Int

    /// Opens a journal, reading what it holds (nothing when the file does not exist; it is created by
    /// the first ``append(_:)``). A last line without its line end (cut short by a kill) is dropped and
    /// cut off the file.
    ///
    /// - Parameter path: the file.
    /// - Throws: ``DataError`` when the file cannot be read or a complete line is not a record.
    public init(path: String) throws {
        self.path = path
        records = []
        lineNumbers = []
        nextLine = 1
        guard FileManager.default.fileExists(atPath: path) else { return }
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        if let size = (attributes?[.size] as? NSNumber)?.intValue, size > Self.maxBytes {
            throw DataError(.tooLarge, file: path, "a journal of \(size) bytes; at most \(Self.maxBytes)")
        }
        guard let data = FileManager.default.contents(atPath: path) else { throw DataError(.io, file: path, "cannot read the study journal") }
        var bytes = [UInt8](data)
        if let last = bytes.last, last != UInt8(ascii: "\n") {
            // A line cut short by a kill: drop it, here and in the file.
            let keep = (bytes.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 }) ?? 0
            bytes.removeSubrange(keep...)
            guard truncate(path, off_t(keep)) == 0 else {
                throw DataError(.io, file: path, "cannot cut off the unfinished last line: \(String(cString: strerror(errno)))")
            }
        }
        let decoder = JSONDecoder()
        var line = 0
        for raw in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            line += 1
            if raw.isEmpty || raw.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\r") }) { continue }
            do {
                records.append(try decoder.decode(JournalRecord.self, from: Data(raw)))
                lineNumbers.append(line)
            } catch {
                throw DataError(.parse, file: path, "line \(line) is not a journal record: \(error)")
            }
        }
        nextLine = line + 1
    }

    /// Appends a record as one line and flushes it to disk.
    ///
    /// - Throws: ``DataError`` when the line cannot be written; the recorded error of a
    ///   ``GradusError/catching(_:)`` scope that has failed (nothing is written then: the record's values
    ///   may come from placeholders).
    public func append(_ record: JournalRecord) throws {
        try GradusError.throwIfRecorded()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var line: [UInt8]
        do {
            line = Array(try encoder.encode(record))
        } catch {
            throw DataError(.io, file: path, "cannot encode a journal record: \(error)")
        }
        line.append(UInt8(ascii: "\n"))
        let created = !FileManager.default.fileExists(atPath: path)
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw DataError(.io, file: path, "cannot open the study journal: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var done = 0
        while done < line.count {
            let n = line.withUnsafeBytes { raw in write(fd, raw.baseAddress! + done, raw.count - done) }
            if n < 0 {
                if errno == EINTR { continue }
                throw DataError(.io, file: path, "cannot write the study journal: \(String(cString: strerror(errno)))")
            }
            done += n
        }
        guard fsync(fd) == 0 else { throw DataError(.io, file: path, "fsync of the study journal failed: \(String(cString: strerror(errno)))") }
        if created {
            // Make the new file's name durable too.
            let folder = (path as NSString).deletingLastPathComponent
            let dirfd = open(folder.isEmpty ? "." : folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            if dirfd >= 0 {
                _ = fsync(dirfd)
                close(dirfd)
            }
        }
        records.append(record)
        lineNumbers.append(nextLine)
        nextLine += 1
    }

    /// Rebuilds the study from the records.
    ///
    /// - Returns: the settings (header), the trials in number order, and the test score if the study
    ///   was finished.
    /// - Throws: ``DataError`` naming the line of a record that does not fit (no header first, an
    ///   unknown trial, an epoch out of order, values outside the search space).
    public func replay() throws -> (settings: StudySettings, trials: [Trial], test: TestScore?) {
        func fail(_ i: Int, _ message: String) -> DataError {
            DataError(.corrupt, file: path, "line \(lineNumbers[i]): \(message)")
        }
        guard let header = records.first else { throw DataError(.corrupt, file: path, "the study journal is empty") }
        guard header.type == .study, let settings = header.study else { throw fail(0, "the first line is not a study header") }
        guard header.version == Self.version else {
            throw fail(0, "journal version \(header.version.map(String.init) ?? "?") is not \(Self.version)")
        }
        var trials: [Trial] = []
        var test: TestScore? = nil
        for i in records.indices.dropFirst() {
            let r = records[i]
            switch r.type {
            case .study:
                throw fail(i, "a second study header")
            case .started:
                guard let n = r.trial, let params = r.params else { throw fail(i, "a started record needs trial and params") }
                let values: [String: TrialValue]
                do { values = try settings.space.normalize(params) } catch let e as TrainingError { throw fail(i, e.message) }
                if n == trials.count {
                    trials.append(Trial(number: n, parameters: values))
                } else if n >= 0, n < trials.count, trials[n].state == .running {
                    guard trials[n].parameters == values else { throw fail(i, "trial \(n) restarted with other values") }
                    trials[n] = Trial(number: n, parameters: values)
                } else {
                    throw fail(i, "trial \(n) cannot start here (trials so far: \(trials.count))")
                }
                guard test == nil else { throw fail(i, "a trial started after the test evaluation") }
            case .epoch:
                guard let n = r.trial, n >= 0, n < trials.count, trials[n].state == .running, let e = r.epoch else {
                    throw fail(i, "an epoch record for trial \(r.trial.map(String.init) ?? "?"), which is not running")
                }
                guard e == trials[n].scores.count + 1 else { throw fail(i, "epoch \(e) of trial \(n) follows epoch \(trials[n].scores.count)") }
                trials[n].scores.append(r.score ?? .nan)
                trials[n].score = trials[n].scores.last
            case .finished:
                guard let n = r.trial, n >= 0, n < trials.count, trials[n].state == .running,
                      let state = r.state, state != .running else {
                    throw fail(i, "a finished record for trial \(r.trial.map(String.init) ?? "?"), which is not running")
                }
                trials[n].state = state
                trials[n].score = trials[n].scores.isEmpty ? nil : (r.score ?? .nan)
                trials[n].seconds = r.seconds ?? 0
                trials[n].message = r.message
            case .test:
                guard let n = r.trial, n >= 0, n < trials.count, trials[n].state == .complete, let count = r.testCount else {
                    throw fail(i, "a test record for a trial that did not complete")
                }
                guard test == nil else { throw fail(i, "a second test evaluation") }
                test = TestScore(trial: n, loss: r.testLoss ?? .nan, accuracy: r.testAccuracy, count: count)
            }
        }
        return (settings, trials, test)
    }
}
