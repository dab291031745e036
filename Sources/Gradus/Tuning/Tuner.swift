import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs a hyperparameter study: trials proposed by a ``Sampler``, each a ``TrainingRun`` scored after
/// every epoch on a validation part carved from the training data, stopped early by a ``Pruner``, all
/// recorded in an append-only journal; then the best configuration retrained on the whole training part
/// and evaluated once on the test set.
///
/// **Folder.** `study.jsonl` (the journal, see ``StudyJournal``), `trials/NNNN/` (each trial's
/// checkpoint, metrics and plot), `results.csv` (one row per trial: `trial,state,<parameters>,score,
/// best_score,epochs,seconds`; `score` is the last epoch's validation score, `best_score` the best over
/// the epochs), `study.svg` (``StudyPlot``), and `best/` (the retrained best configuration:
/// `checkpoint.safetensors`, metrics, and `command.txt`, the `gradus train` command that reproduces it).
/// `results.csv` and `study.svg` are rewritten after every trial.
///
/// **Trials.** Trial n's values come from the sampler given trials 0..<n and the study's seed, so the
/// study is reproducible. Its configuration is the base configuration with the values put in
/// (``SearchSpace/apply(_:to:)``), ``DataSpec/validationFraction`` set to the study's, and the base
/// configuration's seed (every trial starts from the same weights when the architecture is the same).
/// A trial's score is its last epoch's validation score (accuracy for classification, maximized; loss
/// for regression, minimized). A configuration that cannot be trained (a diverging loss, a value that
/// does not fit) is recorded as failed, and the study goes on.
///
/// **Budgets.** `trials` counts every trial of the study, those of earlier sessions included (a grid
/// stops earlier when exhausted). `timeLimit` bounds this session's search, in seconds: no trial starts
/// after it, and a running trial is stopped at its next batch (``Trainer/interruptionRequest``) and
/// recorded as pruned when it finished at least one epoch (its last score stands), failed otherwise.
/// The retraining of the best configuration runs after the search and is not counted.
///
/// **Resume.** ``init(resuming:)`` reads the journal: finished trials are kept as they were, a trial
/// started but not finished (the study was killed) is run again from scratch with the same values, and
/// new trials are proposed as in the uninterrupted study (the samplers are reseeded from the seed and
/// the trial number). No trial is lost and none runs twice to completion.
///
/// **In parallel.** With ``workers`` set to a count above 1, up to that many trials train at the same
/// time, each in a worker process (``TrialWorkers``, ``TrialWorker``); this tuner stays the only writer
/// of the journal, the only sampler and the only pruner (each worker streams its epochs and waits for
/// `continue`, `prune` or `stop`). A worker that dies or breaks the protocol fails its trial, with a
/// message naming it, and the study goes on. Trials are reproducible one by one; the order in which
/// they finish, TPE's proposals after its start-up trials and pruning decisions depend on timing.
///
/// **No peeking.** Trials never see the test set: their per-epoch scores come from the validation part.
/// The test set is evaluated once, for the best configuration, after it is retrained (the retraining's
/// `metrics.csv` logs per-epoch test scores as `gradus train` does; nothing reads them). The journal
/// records that evaluation; a finished study refuses more trials, since choosing again after seeing the
/// test score would be peeking.
///
/// ```swift
/// let settings = StudySettings(space: try SearchSpace.parse(["lr=loguniform:1e-4:1e-1", "hidden=choice:64,128,256"]),
///                              base: RunConfig(epochs: 5), seed: 0, sampler: .tpe(), pruner: .median())
/// let tuner = try Tuner(settings: settings, directory: "runs/tune-digits")
/// let result = try tuner.run(trials: 20)
/// print(result.best!.score!, result.test!.accuracy!, result.command!)
///
/// let again = try Tuner(resuming: "runs/tune-digits")    // after a kill
/// again.workers = TrialWorkers(count: 2)                  // two trials at a time from now on
/// try again.run(trials: 40)
/// ```
public final class Tuner {
    /// What a ``TrainingRun`` made by the tuner is for.
    public enum RunRole: Sendable, Equatable {
        /// A trial (scored on the validation part).
        case trial(Int)
        /// The retraining of the best configuration (tested on the test set).
        case best
    }

    /// What the tuner reports while it works.
    public enum Event {
        /// A trial started (its values are set).
        case trialStarted(Trial)
        /// A trial finished an epoch; its score is the last of its scores.
        case epochScored(Trial, EpochMetrics)
        /// A trial ended (complete, pruned or failed).
        case trialFinished(Trial)
        /// A training run was made, for a trial or for the best configuration.
        case runCreated(TrainingRun, RunRole)
        /// The best trial's configuration is being retrained on the whole training part.
        case retraining(Trial, RunConfig)
        /// A worker process was started for a trial (parallel studies, ``workers``); `label` is how
        /// messages name it (`worker 2 (pid 1234)`).
        case workerStarted(Trial, pid: Int32, label: String)
    }

    /// The study's settings (the journal's header).
    public let settings: StudySettings
    /// The study's folder.
    public let directory: String
    /// The trials so far, in number order.
    public internal(set) var trials: [Trial]
    /// The test score of the retrained best configuration, once evaluated.
    public private(set) var test: TestScore?
    /// Called with every event (progress lines, tests).
    public var onEvent: ((Event) -> Void)? = nil
    /// Asked after every batch whether to stop (default: the process-wide ``Interruption``, which
    /// SIGINT/SIGTERM set). A stop it asks for leaves the running trial unfinished in the journal, to be
    /// run again on resume, and ``run(trials:timeLimit:)`` throws ``TrainingInterrupted``.
    public var interruptionRequest: () -> Int32? = { Interruption.requested }

    /// Worker processes that train trials in parallel (see ``TrialWorkers``); nil or a count of 1: the
    /// trials run in this process, one after another.
    public var workers: TrialWorkers? = nil

    let journal: StudyJournal

    /// The journal's path.
    public var journalPath: String { Self.join(directory, StudyJournal.fileName) }
    /// The results table's path.
    public var resultsPath: String { Self.join(directory, "results.csv") }
    /// The plot's path.
    public var plotPath: String { Self.join(directory, "study.svg") }
    /// The folder of the retrained best configuration.
    public var bestDirectory: String { Self.join(directory, "best") }

    /// The folder of trial `number`: `trials/NNNN`.
    public func trialDirectory(_ number: Int) -> String {
        let digits = String(number)
        return Self.join(Self.join(directory, "trials"), String(repeating: "0", count: Swift.max(0, 4 - digits.count)) + digits)
    }

    /// The maximum of the `trials` budget.
    public static let maxTrials = 100_000

    /// Starts a new study in `directory` (created if needed) and writes its journal's header.
    ///
    /// - Parameters:
    ///   - settings: the study (validated with ``StudySettings/validate()``).
    ///   - directory: the study's folder; it must not hold a study yet.
    /// - Throws: ``TrainingError`` for bad settings or a folder that already holds a study;
    ///   ``DataError`` when the folder cannot be written.
    public init(settings: StudySettings, directory: String) throws {
        try settings.validate()
        try Self.makeFolder(directory)
        let lock = try FolderLock(directory)
        defer { withExtendedLifetime(lock) {} }
        let path = Self.join(directory, StudyJournal.fileName)
        if let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber, size.intValue > 0 {
            throw TrainingError("\(directory) already holds a study (\(StudyJournal.fileName)); continue it with --resume "
                                + "(Tuner(resuming:)) or choose another folder")
        }
        let journal = try StudyJournal(path: path)
        try journal.append(JournalRecord(type: .study, version: StudyJournal.version, study: settings, time: Date().timeIntervalSince1970))
        self.journal = journal
        self.settings = settings
        self.directory = directory
        self.trials = []
        self.test = nil
    }

    /// Reopens the study in `directory` from its journal (see the type's documentation on resuming).
    ///
    /// - Parameter directory: the study's folder.
    /// - Throws: ``TrainingError`` when there is no study there; ``DataError`` when the journal is
    ///   unreadable or inconsistent (naming the line).
    public init(resuming directory: String) throws {
        let path = Self.join(directory, StudyJournal.fileName)
        guard FileManager.default.fileExists(atPath: path) else {
            throw TrainingError("\(directory): no study to resume (no \(StudyJournal.fileName)); start one without --resume")
        }
        let lock = try FolderLock(directory)
        defer { withExtendedLifetime(lock) {} }
        let journal = try StudyJournal(path: path)
        let (settings, trials, test) = try journal.replay()
        try settings.validate()
        self.journal = journal
        self.settings = settings
        self.directory = directory
        self.trials = trials
        self.test = test
    }

    /// The best complete trial (ties: the earlier), or nil.
    public var best: Trial? {
        let direction = settings.direction
        var best: Trial? = nil
        for t in trials where t.state == .complete {
            guard let s = t.score, s.isFinite else { continue }
            if let b = best, let bs = b.score, !direction.isBetter(s, than: bs) { continue }
            best = t
        }
        return best
    }

    /// Runs the study until `trials` trials are finished (or the grid is exhausted, or `timeLimit`
    /// seconds have passed), then retrains the best configuration on the whole training part into
    /// `best/` and evaluates it once on the test set. A study already finished returns its recorded
    /// result without training.
    ///
    /// - Parameters:
    ///   - budget: the study's total number of trials (1...``maxTrials``).
    ///   - timeLimit: the seconds this session may search, or nil.
    /// - Returns: the trials, the best one, its retrained configuration, test score and command line.
    /// - Throws: ``TrainingInterrupted`` when ``interruptionRequest`` asked to stop (resume later);
    ///   ``TrainingError`` for a bad budget, a finished study asked for more trials, or a retraining
    ///   that fails; ``DataError`` when the outputs cannot be written.
    ///
    /// ```swift
    /// let result = try tuner.run(trials: 30, timeLimit: 600)
    /// ```
    @discardableResult
    public func run(trials budget: Int, timeLimit: Double? = nil) throws -> StudyResult {
        guard budget >= 1 && budget <= Self.maxTrials else {
            throw TrainingError("the number of trials must lie in 1...\(Self.maxTrials), got \(budget)")
        }
        if let timeLimit, !(timeLimit > 0 && timeLimit.isFinite) {
            throw TrainingError("the time limit must be a positive number of seconds, got \(timeLimit)")
        }
        if let workers { try workers.validate() }
        let lock = try FolderLock(directory)
        defer { withExtendedLifetime(lock) {} }
        let start = DispatchTime.now().uptimeNanoseconds
        func elapsed() -> Double { Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }

        if let test {
            let finished = trials.filter { $0.state.isFinished }.count
            guard budget <= finished else {
                throw TrainingError("the study in \(directory) is finished: its best configuration (trial \(test.trial)) was retrained and "
                                    + "evaluated on the test set. More trials would choose again after seeing the test score; "
                                    + "start a new study in another folder")
            }
            try writeReports()
            return try result(searchSeconds: 0, stoppedByTimeLimit: false)
        }

        let sampler = settings.sampler.make()
        let pruner = settings.pruner.make()
        var limit = budget
        if let capacity = sampler.capacity(settings.space) { limit = Swift.min(limit, capacity) }
        let deadline: UInt64? = timeLimit.map { start &+ UInt64(Swift.min(9e18, ($0 * 1e9).rounded(.up))) }
        var stoppedByTime = false
        if let workers, workers.count > 1 || !workers.singleWorkerInProcess {
            stoppedByTime = try runWithWorkers(workers, limit: limit, sampler: sampler, pruner: pruner, deadline: deadline)
        } else {
            while true {
                if let signal = interruptionRequest() {
                    throw TrainingInterrupted(signal: signal, epoch: 0, batch: 0, checkpoint: nil)
                }
                let number: Int, params: [String: TrialValue]
                if let running = trials.first(where: { $0.state == .running }) {
                    number = running.number
                    params = running.parameters
                } else if trials.count < limit {
                    number = trials.count
                    params = try settings.space.normalize(try sampler.sample(settings.space, number: number, history: trials,
                                                                             direction: settings.direction, seed: settings.seed))
                } else {
                    break
                }
                if let timeLimit, elapsed() >= timeLimit {
                    stoppedByTime = true
                    break
                }
                if try runTrial(number, params, pruner: pruner, deadline: deadline) {
                    stoppedByTime = true
                    break
                }
            }
        }
        let searchSeconds = elapsed()
        try writeReports()
        try retrainBest()
        return try result(searchSeconds: searchSeconds, stoppedByTimeLimit: stoppedByTime)
    }

    /// Thrown from the epoch callback to stop a pruned trial.
    private struct PruneSignal: Error {}

    /// Runs one trial; returns true when the time limit stopped it.
    private func runTrial(_ number: Int, _ params: [String: TrialValue], pruner: (any Pruner)?, deadline: UInt64?) throws -> Bool {
        let direction = settings.direction
        try journal.append(JournalRecord(type: .started, trial: number, params: params, time: Date().timeIntervalSince1970))
        let fresh = Trial(number: number, parameters: params)
        if number == trials.count { trials.append(fresh) } else { trials[number] = fresh }
        onEvent?(.trialStarted(fresh))
        let began = DispatchTime.now().uptimeNanoseconds

        func finish(_ state: Trial.State, _ message: String?) throws {
            trials[number].state = state
            trials[number].score = trials[number].scores.last
            trials[number].seconds = Double(DispatchTime.now().uptimeNanoseconds - began) / 1e9
            trials[number].message = message
            let t = trials[number]
            try journal.append(JournalRecord(type: .finished, trial: number, score: t.score, state: state, seconds: t.seconds,
                                             message: message, time: Date().timeIntervalSince1970))
            onEvent?(.trialFinished(t))
            try writeReports()
        }

        let folder = trialDirectory(number)
        // A trial run again after a kill starts from scratch.
        if FileManager.default.fileExists(atPath: folder) { try? FileManager.default.removeItem(atPath: folder) }
        let run: TrainingRun
        do {
            var config = try SearchSpace.apply(params, to: settings.base)
            config.data.validationFraction = settings.validationFraction
            config.saveEvery = 0
            run = try TrainingRun(config: config, outputDirectory: folder)
        } catch let e as TrainingError {
            try finish(.failed, e.message)
            return false
        }
        onEvent?(.runCreated(run, .trial(number)))
        var stoppedByTime = false
        let outer = interruptionRequest
        run.trainer.interruptionRequest = {
            if let signal = outer() { return signal }
            if let deadline, DispatchTime.now().uptimeNanoseconds >= deadline {
                stoppedByTime = true
                return SIGTERM
            }
            return nil
        }
        do {
            try run.run(onEpoch: { metrics in
                let score = direction.score(metrics)
                self.trials[number].scores.append(score)
                self.trials[number].score = score
                try self.journal.append(JournalRecord(type: .epoch, trial: number, epoch: metrics.epoch, score: score,
                                                      time: Date().timeIntervalSince1970))
                self.onEvent?(.epochScored(self.trials[number], metrics))
                if let pruner, pruner.shouldPrune(self.trials[number], others: self.trials, direction: direction) {
                    throw PruneSignal()
                }
            })
            try finish(.complete, nil)
        } catch is PruneSignal {
            try finish(.pruned, "pruned after epoch \(trials[number].scores.count) by the \(settings.pruner.name) rule")
        } catch let stop as TrainingInterrupted {
            // A stop asked from outside leaves the trial unfinished in the journal: resume runs it again.
            guard stoppedByTime else { throw stop }
            let n = trials[number].scores.count
            try finish(n > 0 ? .pruned : .failed,
                       n > 0 ? "stopped by the time limit after epoch \(n)" : "stopped by the time limit before its first epoch")
            return true
        } catch let e as TrainingError {
            try finish(.failed, e.message)
        }
        return false
    }

    /// Retrains the best configuration on the whole training part and evaluates it on the test set
    /// (nothing when no trial completed).
    private func retrainBest() throws {
        guard let best = self.best else { return }
        var config = try SearchSpace.apply(best.parameters, to: settings.base)
        config.data.validationFraction = nil
        config.saveEvery = 0
        onEvent?(.retraining(best, config))
        let run: TrainingRun
        do {
            run = try TrainingRun(config: config, outputDirectory: bestDirectory)
            onEvent?(.runCreated(run, .best))
            run.trainer.interruptionRequest = interruptionRequest
            try run.run()
        } catch let e as TrainingError {
            throw TrainingError("retraining the best configuration (trial \(best.number)) on the whole training part failed: \(e.message)")
        }
        let evaluation = run.evaluate()
        let score = TestScore(trial: best.number, loss: evaluation.loss, accuracy: evaluation.accuracy, count: evaluation.count)
        try journal.append(JournalRecord(type: .test, trial: best.number, testLoss: score.loss, testAccuracy: score.accuracy,
                                         testCount: score.count, time: Date().timeIntervalSince1970))
        test = score
        try Self.writeText(TrainCommandLine.text(for: config) + "\n", to: Self.join(bestDirectory, "command.txt"))
    }

    /// The result of the study as it stands.
    private func result(searchSeconds: Double, stoppedByTimeLimit: Bool) throws -> StudyResult {
        let chosen = test.map { trials[$0.trial] } ?? best
        var config: RunConfig? = nil
        if let chosen {
            var c = try SearchSpace.apply(chosen.parameters, to: settings.base)
            c.data.validationFraction = nil
            c.saveEvery = 0
            config = c
        }
        return StudyResult(directory: directory, trials: trials, best: chosen, bestConfig: config, test: test,
                           searchSeconds: searchSeconds, stoppedByTimeLimit: stoppedByTimeLimit)
    }

    /// Rewrites `results.csv` and `study.svg`.
    public func writeReports() throws {
        try Self.writeText(resultsCSV(), to: resultsPath)
        let base = settings.base
        let title = "\(settings.sampler.name) search, pruner \(settings.pruner.name): \(base.model.architecture.rawValue) on \(base.data.format.rawValue)"
        try Self.writeText(StudyPlot.svg(trials, direction: settings.direction, title: title), to: plotPath)
    }

    /// The results table: one row per trial.
    ///
    /// ```swift
    /// print(tuner.resultsCSV())
    /// ```
    public func resultsCSV() -> String {
        func cell(_ s: String) -> String {
            s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
                ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
        }
        func number(_ x: Double?) -> String { x.flatMap { $0.isFinite ? "\($0)" : nil } ?? "" }
        let names = settings.space.names
        var lines = [(["trial", "state"] + names + ["score", "best_score", "epochs", "seconds"]).map(cell).joined(separator: ",")]
        for t in trials {
            let values = names.map { t.parameters[$0]?.description ?? "" }
            let row = ["\(t.number)", t.state.rawValue] + values
                + [number(t.score), number(t.bestScore(settings.direction)), "\(t.epochsRun)", String(format: "%.3f", t.seconds)]
            lines.append(row.map(cell).joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func join(_ dir: String, _ name: String) -> String { (dir as NSString).appendingPathComponent(name) }

    static func writeText(_ text: String, to path: String) throws {
        try AtomicFile.write(to: path) { try $0.write(Array(text.utf8)) }
    }

    static func makeFolder(_ dir: String) throws {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), !isDir.boolValue {
            throw DataError(.io, file: dir, "the study folder is a file; give a folder")
        }
        do {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        } catch {
            throw DataError(.io, file: dir, "cannot create the study folder: \(error.localizedDescription)")
        }
    }
}

/// What a study found.
///
/// ```swift
/// let r = try tuner.run(trials: 20)
/// if let best = r.best { print(best.number, best.score!, r.test?.accuracy ?? .nan, r.command ?? "") }
/// ```
public struct StudyResult: Sendable {
    /// The study's folder.
    public var directory: String
    /// Every trial, in number order.
    public var trials: [Trial]
    /// The best complete trial (by validation score), or nil when none completed.
    public var best: Trial?
    /// The best trial's configuration as retrained: on the whole training part (no validation part).
    public var bestConfig: RunConfig?
    /// Its test score, evaluated once.
    public var test: TestScore?
    /// The seconds this session searched (the retraining excluded).
    public var searchSeconds: Double
    /// Whether the time limit ended the search.
    public var stoppedByTimeLimit: Bool

    /// The `gradus train` arguments that reproduce the best configuration.
    public var commandArguments: [String]? { bestConfig.map(TrainCommandLine.arguments(for:)) }
    /// The `gradus train` command line that reproduces the best configuration.
    public var command: String? { bestConfig.map(TrainCommandLine.text(for:)) }
    /// The retrained best configuration's checkpoint.
    public var bestCheckpoint: String { Tuner.join(Tuner.join(directory, "best"), "checkpoint.safetensors") }

    /// Creates a result.
    public init(directory: String, trials: [Trial], best: Trial?, bestConfig: RunConfig?, test: TestScore?,
                searchSeconds: Double, stoppedByTimeLimit: Bool) {
        self.directory = directory
        self.trials = trials
        self.best = best
        self.bestConfig = bestConfig
        self.test = test
        self.searchSeconds = searchSeconds
        self.stoppedByTimeLimit = stoppedByTimeLimit
    }
}
