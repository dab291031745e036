import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A request to stop training early and save: set by SIGINT or SIGTERM once ``installSignalHandlers()``
/// ran, or by ``request(_:)``. ``Trainer`` checks it after every batch and stops with
/// ``TrainingInterrupted``; ``TrainingRun`` then writes a checkpoint that resumes exactly where the run
/// stopped, mid-epoch included.
///
/// ```swift
/// Interruption.installSignalHandlers()
/// do { try run.run() } catch let stop as TrainingInterrupted { print(stop.message) }
/// ```
public enum Interruption {
    private static let pending = Atomic<Int32>(0)

    /// The signal (or code) of a pending request, or nil.
    public static var requested: Int32? {
        let s = pending.load(ordering: .acquiring)
        return s == 0 ? nil : s
    }

    /// Asks the running training to stop after its current batch; `signal` is reported back (SIGINT by
    /// default).
    public static func request(_ signal: Int32 = SIGINT) { pending.store(signal, ordering: .releasing) }

    /// Forgets a pending request.
    public static func reset() { pending.store(0, ordering: .releasing) }

    /// Makes SIGINT and SIGTERM request a stop instead of killing the process. A second signal of the
    /// same kind kills as usual (the handler restores the default), so a stuck run can still be ended.
    public static func installSignalHandlers() {
        // A parent may have started us with these signals blocked (they would then stay pending forever).
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
        for sig in [SIGINT, SIGTERM] {
            signal(sig) { received in
                // Only an atomic store and signal(): both are async-signal-safe.
                Interruption.pending.store(received, ordering: .releasing)
                signal(received, SIG_DFL)
            }
        }
    }
}

/// Training stopped at a batch boundary because ``Interruption`` was requested. ``TrainingRun`` fills
/// in where it saved.
public struct TrainingInterrupted: Error, CustomStringConvertible, Sendable {
    /// The signal that asked for the stop (SIGINT = 2, SIGTERM = 15).
    public let signal: Int32
    /// The epoch and batch reached.
    public let epoch: Int, batch: Int
    /// The checkpoint written, if any.
    public var checkpoint: String?

    /// What happened and how to go on.
    public var message: String {
        let name = signal == SIGTERM ? "SIGTERM" : (signal == SIGINT ? "SIGINT" : "signal \(signal)")
        var text = batch == 0 ? "training interrupted by \(name) after epoch \(epoch)"
                              : "training interrupted by \(name) after batch \(batch) of epoch \(epoch)"
        if let checkpoint {
            text += "; saved \(checkpoint) (resumable exactly: gradus train --resume \(checkpoint))"
        } else {
            text += "; nothing was saved"
        }
        return text
    }

    public var description: String { message }

    /// The exit status of a process stopped by this signal (128 + signal: 130 for SIGINT, 143 for SIGTERM).
    public var exitStatus: Int32 { (1...127).contains(signal) ? 128 + signal : 1 }
}

/// How far an epoch got: the batches done and the sums its metrics are made from. Checkpoints written
/// mid-epoch keep it, so that a resumed run ends the epoch with the same weights and metrics.
public struct EpochProgress: Sendable, Equatable {
    /// Batches done (used or skipped).
    public var batches = 0
    /// Sum of loss × batch size over the batches used.
    public var lossSum = 0.0
    /// Samples of the batches used.
    public var seen = 0
    /// Samples of all batches done.
    public var processed = 0
    /// Correct predictions (classification).
    public var correct = 0
    /// Batches skipped for a non-finite loss.
    public var skipped = 0
    /// The sums of each output of a model with several outputs (kept in memory only: an epoch resumed
    /// from a checkpoint's ``text`` reports its outputs' metrics over the batches after the resume).
    var outputTallies: [OutputTally] = []

    /// Creates a record of progress.
    public init(batches: Int = 0, lossSum: Double = 0, seen: Int = 0, processed: Int = 0, correct: Int = 0, skipped: Int = 0) {
        self.batches = batches
        self.lossSum = lossSum
        self.seen = seen
        self.processed = processed
        self.correct = correct
        self.skipped = skipped
    }

    /// The record as text for a checkpoint's metadata (the loss sum with all its digits).
    public var text: String { "\(batches),\(lossSum),\(seen),\(processed),\(correct),\(skipped)" }

    /// Parses ``text``; nil when malformed or out of range.
    public init?(text: String) {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 6, let b = Int(parts[0]), let l = Double(parts[1]), let s = Int(parts[2]),
              let p = Int(parts[3]), let c = Int(parts[4]), let k = Int(parts[5]) else { return nil }
        self.init(batches: b, lossSum: l, seen: s, processed: p, correct: c, skipped: k)
        guard problem == nil else { return nil }
    }

    /// What makes this record impossible for an interrupted epoch, or nil when it is consistent: at least
    /// one batch done, a finite loss sum, `correct ≤ seen ≤ processed ≤ 2^50` and `skipped ≤ batches`.
    /// Sums beyond these bounds would overflow as the epoch goes on.
    public var problem: String? {
        guard batches >= 1 else { return "no batch done (\(batches))" }
        guard lossSum.isFinite else { return "a loss sum of \(lossSum)" }
        guard seen >= 0 && processed >= seen && processed <= 1 << 50 else {
            return "\(seen) samples used of \(processed) processed (0 ≤ used ≤ processed ≤ 2^50)"
        }
        guard correct >= 0 && correct <= seen else { return "\(correct) correct of \(seen) samples used" }
        guard skipped >= 0 && skipped <= batches else { return "\(skipped) batches skipped of \(batches)" }
        return nil
    }
}
