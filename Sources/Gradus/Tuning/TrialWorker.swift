import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The worker side of parallel trials: a process (`gradus tune-worker`) that reads one ``TrialJob``
/// from its standard input, trains that one trial, and streams each epoch's metrics to its standard
/// output in the ``TrialWorkerMessage`` protocol, waiting after each epoch for the coordinator's
/// ``TrialWorkerAnswer`` (`continue`, `prune` or `stop`).
///
/// The worker never decides anything about the study: the coordinator samples the values, keeps the
/// journal and prunes. SIGINT and SIGTERM stop the training at its next batch (reported as
/// `stopped SIGNAL`); the end of the input (the coordinator is gone) stops it after the epoch. Anything
/// else the process prints goes to standard error, so that the protocol stays clean.
///
/// ```swift
/// // The body of a worker executable:
/// exit(TrialWorker.serve())
/// ```
public enum TrialWorker {
    /// Thrown from the epoch callback to stop after an answer.
    private struct Stop: Error { let answer: TrialWorkerAnswer }

    /// Serves one job on `input` / `output` and returns the process's exit status: 0 when the trial's
    /// end was reported (whatever it was), 2 when the job could not be read, 3 when the coordinator
    /// went away.
    ///
    /// - Parameters:
    ///   - input: the file descriptor the job and the answers are read from (default: standard input).
    ///   - output: the file descriptor the messages are written to (default: standard output, which is
    ///     then pointed at standard error for everything else).
    /// - Returns: the exit status.
    public static func serve(input: Int32 = 0, output: Int32 = 1) -> Int32 {
        var out = output
        if output == 1 {
            // Keep the protocol on a private descriptor; stray prints go to standard error.
            let copy = dup(1)
            if copy >= 0 {
                out = copy
                _ = fcntl(copy, F_SETFD, FD_CLOEXEC)
                dup2(2, 1)
            }
        }
        let reader = LineReader(fd: input)
        func send(_ message: TrialWorkerMessage) -> Bool { writeLine(message.line, to: out) }
        guard send(.ready(version: TrialWorkerMessage.version)) else { return 3 }
        let job: TrialJob
        do {
            guard let line = try reader.next() else {
                _ = writeLine("gradus tune-worker: no job on standard input; this command trains one trial for gradus tune --workers, "
                              + "which starts it", to: 2)
                return 3
            }
            job = try TrialJob.parse(line)
        } catch let e as TrainingError {
            _ = send(.failed("the worker could not read its job: " + e.message))
            return 2
        } catch {
            _ = send(.failed("the worker could not read its job: \(error)"))
            return 2
        }
        Threading.count = job.threads
        MemoryBudget.bytes = job.memoryBytes
        Interruption.reset()
        Interruption.installSignalHandlers()

        let end: TrialWorkerMessage
        do {
            let run = try TrainingRun(config: job.config, outputDirectory: job.directory)
            try run.run(onEpoch: { metrics in
                guard send(.epoch(metrics)) else { throw Stop(answer: .stop) }
                guard let line = try reader.next() else { throw Stop(answer: .stop) }
                let answer = try TrialWorkerAnswer.parse(line)
                if answer != .continue { throw Stop(answer: answer) }
            })
            end = .complete
        } catch let stop as Stop {
            end = stop.answer == .prune ? .pruned : .stopped(signal: SIGTERM)
        } catch let stop as TrainingInterrupted {
            end = .stopped(signal: stop.signal)
        } catch let e as TrainingError {
            end = .failed(e.message)
        } catch let e as DataError {
            end = .failed(e.description)
        } catch {
            end = .failed("\(error)")
        }
        return send(end) ? 0 : 3
    }

    /// Writes `line` and a line end to `fd`; false when it cannot.
    static func writeLine(_ line: String, to fd: Int32) -> Bool {
        let bytes = Array(line.utf8) + [UInt8(ascii: "\n")]
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + done, $0.count - done) }
            if n < 0 {
                if errno == EINTR { continue }
                return false
            }
            done += n
        }
        return true
    }

    /// Blocking line reader over a file descriptor, lines bounded by ``TrialJob`` size limits.
    final class LineReader {
        /// The longest line read (a job with a large configuration fits easily).
        static let maxBytes = 16 << 20
        let fd: Int32
        var buffer: [UInt8] = []
        var ended = false

        init(fd: Int32) { self.fd = fd }

        /// The next line without its end, or nil at the end of the input.
        ///
        /// - Throws: ``TrainingError`` for a line that is too long or not UTF-8.
        func next() throws -> String? {
            var chunk = [UInt8](repeating: 0, count: 65536)
            while true {
                if let end = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                    let raw = Array(buffer[0..<end])
                    buffer.removeSubrange(0...end)
                    guard let text = String(validating: raw, as: UTF8.self) else {
                        throw TrainingError("a line from the coordinator is not UTF-8 text")
                    }
                    return text
                }
                if ended { return nil }
                guard buffer.count <= Self.maxBytes else { throw TrainingError("a line from the coordinator is longer than \(Self.maxBytes) bytes") }
                let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
                if n < 0 {
                    if errno == EINTR { continue }
                    ended = true
                } else if n == 0 {
                    ended = true
                } else {
                    buffer.append(contentsOf: chunk[0..<n])
                }
            }
        }
    }
}
