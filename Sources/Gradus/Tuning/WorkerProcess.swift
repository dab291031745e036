import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A child process with its standard input and output joined to one end of a Unix socket pair (a
/// two-way pipe), spoken to in lines: how a study's coordinator runs a trial worker.
///
/// The coordinator's end is non-blocking and close-on-exec (other children do not inherit it, so the
/// end of a worker is seen as the end of its output); writes never raise SIGPIPE. The child is started
/// with `posix_spawn`, with SIGINT, SIGTERM and SIGPIPE at their defaults and no signal blocked.
/// Standard error is shared with the coordinator. The child is not reaped behind the owner's back:
/// ``reap(wait:)`` does it.
///
/// ```swift
/// let worker = try WorkerProcess(executable: "/proc/self/exe", arguments: ["tune-worker"], label: "worker 1")
/// _ = worker.send("{…job…}")
/// for line in try worker.receive().lines { print(line) }
/// ```
public final class WorkerProcess {
    /// The child's process id.
    public let pid: pid_t
    /// How messages name the worker (`worker 2 (pid 1234)`).
    public let label: String
    /// The coordinator's end of the socket pair (non-blocking), or -1 once closed: for `poll`.
    public private(set) var fd: Int32
    /// Bytes received after the last complete line.
    private var pending: [UInt8] = []
    /// The raw wait status once reaped.
    public private(set) var waitStatus: Int32? = nil

    /// Starts `executable` with `arguments` (argv[0] is the executable).
    ///
    /// - Throws: ``TrainingError`` naming the executable and the system's reason when the socket pair
    ///   or the process cannot be created.
    public init(executable: String, arguments: [String], label: String) throws {
        var pair: [Int32] = [-1, -1]
        let sockStream = Int32(SOCK_STREAM.rawValue)
        guard socketpair(AF_UNIX, sockStream | Int32(SOCK_CLOEXEC.rawValue), 0, &pair) == 0 else {
            throw TrainingError("\(label): cannot create its pipe: \(String(cString: strerror(errno)))")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // dup2 clears close-on-exec on the copies: the child keeps fds 0 and 1 only.
        posix_spawn_file_actions_adddup2(&actions, pair[1], 0)
        posix_spawn_file_actions_adddup2(&actions, pair[1], 1)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for s in [SIGINT, SIGTERM, SIGPIPE] { sigaddset(&defaults, s) }
        var noMask = sigset_t()
        sigemptyset(&noMask)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &noMask)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var child: pid_t = 0
        let rc = posix_spawn(&child, executable, &actions, &attributes, argv, environ)
        close(pair[1])
        guard rc == 0 else {
            close(pair[0])
            throw TrainingError("\(label): cannot start \(executable): \(String(cString: strerror(rc)))")
        }
        _ = fcntl(pair[0], F_SETFL, fcntl(pair[0], F_GETFL) | O_NONBLOCK)
        self.pid = child
        self.fd = pair[0]
        self.label = "\(label) (pid \(child))"
    }

    deinit {
        if fd >= 0 { close(fd) }
        if waitStatus == nil {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            _ = waitpid(pid, &status, 0)
        }
    }

    /// Sends `line` and a line end; false when the worker is gone (its end is closed).
    @discardableResult
    public func send(_ line: String) -> Bool {
        sendBytes(Array(line.utf8) + [UInt8(ascii: "\n")])
    }

    /// Sends bytes as they are (a relay passing on what it read); false when the worker is gone.
    @discardableResult
    public func sendBytes(_ bytes: [UInt8]) -> Bool {
        guard fd >= 0 else { return false }
        // A worker that does not read for a second is given up on (short lines, rare).
        return Self.writeAll(bytes, to: fd, giveUpAfterMilliseconds: 1000)
    }

    /// Writes all of `bytes` to the socket or pipe `fd` without raising SIGPIPE, waiting while it is
    /// full (for at most `giveUpAfterMilliseconds` at a time, or without limit when nil); false when the
    /// other end is gone or the wait ran out.
    static func writeAll(_ bytes: [UInt8], to fd: Int32, giveUpAfterMilliseconds: Int32?) -> Bool {
        var done = 0
        while done < bytes.count {
            var n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + done, $0.count - done, Int32(MSG_NOSIGNAL)) }
            if n < 0 && errno == ENOTSOCK {
                // A pipe or file (a relay's standard output): plain write.
                n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + done, $0.count - done) }
            }
            if n < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN || errno == EWOULDBLOCK {
                    var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                    if poll(&p, 1, giveUpAfterMilliseconds ?? 100) <= 0 && giveUpAfterMilliseconds != nil { return false }
                    continue
                }
                return false
            }
            done += n
        }
        return true
    }

    /// Reads what is available without blocking.
    ///
    /// - Returns: the complete lines received (without line ends) and whether the worker's output
    ///   ended (it closed its end or exited).
    /// - Throws: ``TrainingError`` when a line grows past ``TrialWorkerMessage/maxLineBytes`` or is not UTF-8.
    public func receive() throws -> (lines: [String], ended: Bool) {
        guard fd >= 0 else { return ([], true) }
        var lines: [String] = []
        var ended = false
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, 0) }
            if n < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN || errno == EWOULDBLOCK { break }
                ended = true
                break
            }
            if n == 0 {
                ended = true
                break
            }
            pending.append(contentsOf: chunk[0..<n])
            if pending.count > TrialWorkerMessage.maxLineBytes * 4 { break }
        }
        while let end = pending.firstIndex(of: UInt8(ascii: "\n")) {
            let raw = Array(pending[0..<end])
            pending.removeSubrange(0...end)
            guard raw.count <= TrialWorkerMessage.maxLineBytes else {
                throw TrainingError("a line of \(raw.count) bytes (at most \(TrialWorkerMessage.maxLineBytes))")
            }
            guard let text = String(validating: raw, as: UTF8.self) else {
                throw TrainingError("a line that is not UTF-8 text")
            }
            lines.append(text.hasSuffix("\r") ? String(text.dropLast()) : text)
        }
        if pending.count > TrialWorkerMessage.maxLineBytes {
            throw TrainingError("more than \(TrialWorkerMessage.maxLineBytes) bytes without a line end")
        }
        if ended, !pending.isEmpty, lines.isEmpty {
            // A last line without its end: the worker died while writing it.
            pending.removeAll()
        }
        return (lines, ended)
    }

    /// Reads the bytes available without blocking, unframed (for a relay).
    ///
    /// - Returns: the bytes and whether the worker's output ended.
    public func receiveBytes() -> (bytes: [UInt8], ended: Bool) {
        guard fd >= 0 else { return ([], true) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while out.count < 1 << 20 {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, 0) }
            if n < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN || errno == EWOULDBLOCK { return (out, false) }
                return (out, true)
            }
            if n == 0 { return (out, true) }
            out.append(contentsOf: chunk[0..<n])
        }
        return (out, false)
    }

    /// Sends `signal` to the worker (nothing once it is reaped).
    public func signal(_ signal: Int32) {
        guard waitStatus == nil else { return }
        kill(pid, signal)
    }

    /// Closes the coordinator's end (the worker reads the end of its input).
    public func closeConnection() {
        if fd >= 0 { close(fd) }
        fd = -1
    }

    /// Collects the worker's exit status: waits for it when `wait` is true, otherwise returns nil
    /// when it is still running.
    @discardableResult
    public func reap(wait: Bool) -> Int32? {
        if let waitStatus { return waitStatus }
        var status: Int32 = 0
        while true {
            let r = waitpid(pid, &status, wait ? 0 : WNOHANG)
            if r == pid {
                waitStatus = status
                return status
            }
            if r < 0, errno == EINTR { continue }
            if r < 0 {
                // Not our child any more (reaped elsewhere): count it as gone with an unknown status.
                waitStatus = -1
                return -1
            }
            return nil
        }
    }

    /// Stops the worker: SIGTERM, then SIGKILL when it has not exited after `grace` seconds; reaps it.
    public func stop(grace: Double) {
        guard waitStatus == nil else { return }
        signal(SIGTERM)
        let until = Date().addingTimeInterval(grace)
        while reap(wait: false) == nil {
            if Date() >= until {
                signal(SIGKILL)
                reap(wait: true)
                return
            }
            usleep(10_000)
        }
    }

    /// How the worker ended, for messages: `exited with status 0`, `was killed by signal 9 (SIGKILL)`;
    /// `is still running` before it is reaped.
    public var statusText: String {
        guard let s = waitStatus else { return "is still running" }
        if s == -1 { return "ended with an unknown status" }
        let signal = s & 0x7f
        if signal == 0 { return "exited with status \((s >> 8) & 0xff)" }
        let names: [Int32: String] = [SIGKILL: "SIGKILL", SIGTERM: "SIGTERM", SIGINT: "SIGINT", SIGSEGV: "SIGSEGV", SIGABRT: "SIGABRT",
                                      SIGILL: "SIGILL", SIGBUS: "SIGBUS", SIGPIPE: "SIGPIPE", SIGTRAP: "SIGTRAP", SIGFPE: "SIGFPE"]
        return "was killed by signal \(signal)" + (names[signal].map { " (\($0))" } ?? "")
    }
}
