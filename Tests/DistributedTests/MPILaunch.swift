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

    static var checkBinary: String {
        let products = Bundle.main.bundleURL.path.hasSuffix(".xctest")
            ? Bundle.main.bundleURL.deletingLastPathComponent() : Bundle.main.bundleURL
        return products.appendingPathComponent("gradus-distributed-check").path
    }

    /// Launches `processes` ranks of one scenario and waits (at most `timeout` seconds, then kills them).
    static func run(_ scenario: String, processes: Int = 2, transport: Transport = .sharedMemory,
                    extra: [String] = [], timeout: Double = 180) throws -> Result {
        guard let mpirun else { throw CocoaError(.fileNoSuchFile, userInfo: [NSLocalizedDescriptionKey: "mpirun not found: run scripts/bootstrap.sh (installs openmpi-bin)"]) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: mpirun)
        // Arguments that choose the transports themselves replace the transport's.
        let transportArguments = extra.contains("btl") ? [] : transport.arguments
        p.arguments = ["--allow-run-as-root", "--oversubscribe", "-np", "\(processes)"] + transportArguments + extra
            + [checkBinary, scenario]
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
