import Foundation

/// Runs `gradus-distributed-check` under `mpirun` (as root too, oversubscribing the 2-core machines).
struct MPILaunch {
    enum Transport: String, CaseIterable, CustomStringConvertible, Sendable {
        /// Open MPI's shared-memory transport (processes on one machine).
        case sharedMemory
        /// TCP on the loopback interface: the transport that crosses machines.
        case tcp
        var description: String { rawValue }
        var arguments: [String] {
            switch self {
            case .sharedMemory: return ["--mca", "btl", "self,vader"]
            case .tcp: return ["--mca", "btl", "self,tcp", "--mca", "btl_tcp_if_include", "lo"]
            }
        }
    }

    struct Result {
        var status: Int32
        var output: String
        var seconds: Double
    }

    static var mpirun: String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
            let path = "\(dir)/mpirun"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    static var products: URL {
        Bundle.main.bundleURL.path.hasSuffix(".xctest")
            ? Bundle.main.bundleURL.deletingLastPathComponent() : Bundle.main.bundleURL
    }

    static var checkBinary: String { products.appendingPathComponent("gradus-distributed-check").path }

    static var gradus: String { products.appendingPathComponent("gradus").path }

    /// Launches `processes` ranks of one scenario and waits (at most `timeout` seconds, then kills them).
    static func run(_ scenario: String, processes: Int = 2, transport: Transport = .sharedMemory,
                    extra: [String] = [], timeout: Double = 180) throws -> Result {
        try launch([checkBinary, scenario], processes: processes, transport: transport, extra: extra, timeout: timeout)
    }

    /// Runs `gradus` with `arguments` in `processes` processes under mpirun (0: alone, without mpirun).
    static func gradus(_ arguments: [String], processes: Int, timeout: Double = 300) throws -> Result {
        if processes == 0 {
            return try launch([gradus] + arguments, processes: 0, timeout: timeout)
        }
        return try launch([gradus] + arguments, processes: processes, timeout: timeout)
    }

    /// Launches `command` under mpirun with `processes` ranks, or directly when `processes` is 0.
    static func launch(_ command: [String], processes: Int, transport: Transport = .sharedMemory,
                       extra: [String] = [], timeout: Double = 180) throws -> Result {
        guard let mpirun else { throw CocoaError(.fileNoSuchFile, userInfo: [NSLocalizedDescriptionKey: "mpirun not found: run scripts/bootstrap.sh (installs openmpi-bin)"]) }
        let p = Process()
        if processes == 0 {
            p.executableURL = URL(fileURLWithPath: command[0])
            p.arguments = Array(command.dropFirst())
        } else {
            p.executableURL = URL(fileURLWithPath: mpirun)
            // Arguments that choose the transports themselves replace the transport's.
            let transportArguments = extra.contains("btl") ? [] : transport.arguments
            p.arguments = ["--allow-run-as-root", "--oversubscribe", "-np", "\(processes)"] + transportArguments + extra + command
        }
        var env = ProcessInfo.processInfo.environment
        env["SWIFT_BACKTRACE"] = "enable=no"
        env["GRADUS_THREADS"] = "1"
        p.environment = env
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        let start = Date()
        try p.run()
        let data = Locked<Data>()
        let reader = Thread { data.value = pipe.fileHandleForReading.readDataToEndOfFile() }
        reader.start()
        while p.isRunning && Date().timeIntervalSince(start) < timeout { usleep(20_000) }
        if p.isRunning {
            p.terminate()
            usleep(500_000)
            if p.isRunning { kill(p.processIdentifier, SIGKILL) }
        }
        p.waitUntilExit()
        let seconds = Date().timeIntervalSince(start)
        while reader.isExecuting || !reader.isFinished { usleep(10_000) }
        return Result(status: p.terminationStatus, output: String(decoding: data.value ?? Data(), as: UTF8.self), seconds: seconds)
    }
}

/// A value shared with the reader thread.
final class Locked<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: T?
    var value: T? {
        get { lock.lock(); defer { lock.unlock() }; return stored }
        set { lock.lock(); stored = newValue; lock.unlock() }
    }
}

/// A child process started with no blocked signals and default signal handling. Foundation's `Process`
/// passes on the spawning thread's signal mask, and the test runner's threads block SIGTERM and SIGINT:
/// `mpirun` would then never see the signal that a job scheduler sends.
struct SignalableProcess {
    let pid: pid_t

    init(_ path: String, _ arguments: [String], output: String = "/dev/null") throws {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t(), defaults = sigset_t()
        sigemptyset(&empty)
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGTERM)
        sigaddset(&defaults, SIGINT)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        defer { for a in argv { free(a) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, path, &actions, &attributes, argv, environ)
        guard rc == 0 else { throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: "posix_spawn \(path): \(rc)"]) }
        self.pid = pid
    }

    func signal(_ s: Int32) { kill(pid, s) }

    /// Waits for the exit and returns its status (128 + signal when killed).
    func wait() -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        if status & 0x7f == 0 { return (status >> 8) & 0xff }
        return 128 + (status & 0x7f)
    }
}

/// A folder of this test process under the temporary directory, with fresh subfolders per test.
struct ScratchFolder {
    let root: String

    init(_ prefix: String) { root = NSTemporaryDirectory() + "\(prefix)-\(getpid())" }

    /// `root/name`, removed first if a previous test left it.
    func folder(_ name: String) -> String {
        let path = root + "/" + name
        try? FileManager.default.removeItem(atPath: path)
        return path
    }
}
