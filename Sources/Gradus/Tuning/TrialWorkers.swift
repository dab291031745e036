import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// How a ``Tuner`` runs trials in parallel: `count` worker processes, each started from `executable`
/// with `arguments` for one trial (``TrialWorker`` on the other side, `gradus tune-worker`), each
/// using `threads` compute threads.
///
/// With a count of 1 the tuner runs its trials in its own process, one after another, exactly as
/// without workers.
///
/// ```swift
/// tuner.workers = TrialWorkers(count: 2)                       // this executable's `tune-worker`
/// tuner.workers = TrialWorkers(count: 4, executable: "/usr/local/bin/gradus", threads: 2)
/// ```
public struct TrialWorkers: Sendable, Equatable {
    /// The largest number of workers.
    public static let maxCount = 256

    /// Trials trained at the same time (1...``maxCount``).
    public var count: Int
    /// The program a worker runs.
    public var executable: String
    /// Its arguments (after argv[0]).
    public var arguments: [String]
    /// Compute threads per worker (``Threading/count`` in the worker), 1...1024.
    public var threads: Int
    /// Seconds a worker asked to stop (time limit, interruption) may take before it is killed.
    public var stopGrace: Double
    /// Seconds a new worker may take to say `ready` before it is killed and its trial failed (a program
    /// that is not a trial worker).
    public var readyTimeout: Double
    /// Whether a count of 1 means trials in the tuner's own process (true, the default) or still in one
    /// worker process at a time (trials relayed to another process of an MPI job).
    public var singleWorkerInProcess = true

    /// Creates the settings.
    ///
    /// - Parameters:
    ///   - count: workers at the same time.
    ///   - executable: the worker program (default: this process's own executable, ``currentExecutable``).
    ///   - arguments: its arguments (default: `["tune-worker"]`, the `gradus` subcommand).
    ///   - threads: compute threads per worker (default 1).
    ///   - stopGrace: seconds between SIGTERM and SIGKILL when workers are stopped (default 10).
    ///   - readyTimeout: seconds a worker may take to start (default 60).
    public init(count: Int, executable: String? = nil, arguments: [String] = ["tune-worker"], threads: Int = 1, stopGrace: Double = 10,
                readyTimeout: Double = 60) {
        self.count = count
        self.executable = executable ?? Self.currentExecutable
        self.arguments = arguments
        self.threads = threads
        self.stopGrace = stopGrace
        self.readyTimeout = readyTimeout
    }

    /// The running program: `/proc/self/exe` resolved, else `CommandLine.arguments[0]`.
    public static var currentExecutable: String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        if n > 0 {
            return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        return CommandLine.arguments.first ?? "gradus"
    }

    /// Checks the numbers and the executable.
    ///
    /// - Throws: ``TrainingError`` naming the bad value.
    public func validate() throws {
        guard count >= 1 && count <= Self.maxCount else { throw TrainingError("the number of workers must lie in 1...\(Self.maxCount), got \(count)") }
        guard threads >= 1 && threads <= 1024 else { throw TrainingError("the threads per worker must lie in 1...1024, got \(threads)") }
        guard stopGrace >= 0 && stopGrace <= 86_400 else { throw TrainingError("the stop grace must lie in 0...86400 seconds, got \(stopGrace)") }
        guard readyTimeout > 0 && readyTimeout <= 86_400 else { throw TrainingError("the ready timeout must lie in (0, 86400] seconds, got \(readyTimeout)") }
        guard count == 1 || access(executable, X_OK) == 0 else {
            throw TrainingError("the worker program \(executable) is not an executable file")
        }
    }
}
