import Foundation
import Gradus
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Hyperparameter-search trials on the processes of an MPI job, one trial per rank: `mpirun -np N gradus
/// tune …` makes rank 0 the study's coordinator (the only writer of the journal, the sampler and the
/// pruner, unchanged) with N − 1 trial workers, each trial running on one of ranks 1…N − 1.
///
/// The coordinator starts, for each trial, a local relay (`gradus tune-worker --relay SOCKET`,
/// ``TrialRelay``) as if it were the worker. The bridge on rank 0 — a thread that is the only caller of MPI
/// while the study runs — pairs each relay with a free rank and carries the worker protocol, signals and
/// the exit status between the relay's socket and that rank. A rank runs each trial in a local
/// `gradus tune-worker` child, so a trial that crashes does not take the rank with it. Frames travel as
/// MPI messages on a communicator of their own.
///
/// ```swift
/// let group = try ProcessGroup.initialize()
/// if group.rank == 0 {
///     let bridge = try MPITrialBridge(group: group)
///     tuner.workers = TrialWorkers(count: group.worldSize - 1, arguments: ["tune-worker", "--relay", bridge.socketPath])
///     try tuner.run(trials: 20)
///     try bridge.stop()
/// } else {
///     try MPITrialBridge.serveTrials(group: group, executable: TrialWorkers.currentExecutable)
/// }
/// ```
public final class MPITrialBridge: @unchecked Sendable {
    enum Tag: Int32 { case start = 1, data, signal, exit, quit }

    /// The Unix socket the relays connect to.
    public let socketPath: String
    private let communication: ProcessGroup
    private let listener: Int32
    private let stopping = Atomic<Bool>(false)
    private var thread: Thread?
    private let finished = DispatchSemaphore(value: 0)
    private var failure: Error?

    /// Starts the bridge on rank 0 (call on rank 0 only, after every rank has entered
    /// ``serveTrials(group:executable:)``'s counterpart duplicate: both sides duplicate the communicator).
    ///
    /// - Parameter group: the job's processes; at least 2.
    /// - Throws: ``DistributedError`` when the socket cannot be made or the group has one process.
    public init(group: ProcessGroup) throws {
        guard group.worldSize >= 2 else {
            throw DistributedError(call: "MPITrialBridge", message: "MPITrialBridge: trials need at least 2 processes (rank 0 coordinates)")
        }
        communication = try group.duplicate()
        socketPath = NSTemporaryDirectory() + "gradus-trials-\(getpid()).sock"
        unlink(socketPath)
        listener = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let path = Array(socketPath.utf8)
        guard listener >= 0, path.count < MemoryLayout.size(ofValue: address.sun_path) else {
            throw DistributedError(call: "MPITrialBridge", message: "MPITrialBridge: cannot make the socket \(socketPath)")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in path.enumerated() { raw[i] = b }
            raw[path.count] = 0
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0, listen(listener, 64) == 0 else {
            throw DistributedError(call: "MPITrialBridge", message: "MPITrialBridge: cannot listen on \(socketPath): \(String(cString: strerror(errno)))")
        }
        let t = Thread { [self] in
            do { try serve() } catch { failure = error }
            finished.signal()
        }
        t.stackSize = 1 << 20
        thread = t
        t.start()
    }

    /// Stops the bridge: tells every rank to end its loop, waits for the thread, removes the socket.
    ///
    /// - Throws: what went wrong in the bridge's thread (an MPI error).
    public func stop() throws {
        stopping.store(true, ordering: .releasing)
        finished.wait()
        close(listener)
        unlink(socketPath)
        if let failure { throw failure }
    }

    /// The bridge's loop (its own thread).
    private func serve() throws {
        let ranks = communication.worldSize - 1
        var relayOfRank = [Int32?](repeating: nil, count: ranks + 1)   // by rank; nil: none connected
        var busy = [Bool](repeating: false, count: ranks + 1)
        var rankOfRelay: [Int32: Int] = [:]
        var readers: [Int32: RelayFrame.Reader] = [:]
        var buffer = [UInt8](repeating: 0, count: 65536)
        func dropRelay(_ fd: Int32) {
            if let r = rankOfRelay[fd] { relayOfRank[r] = nil }
            rankOfRelay[fd] = nil
            readers[fd] = nil
            close(fd)
        }
        while !stopping.load(ordering: .acquiring) {
            var fds = [pollfd(fd: listener, events: Int16(POLLIN), revents: 0)]
            for fd in rankOfRelay.keys { fds.append(pollfd(fd: fd, events: Int16(POLLIN), revents: 0)) }
            _ = poll(&fds, nfds_t(fds.count), 2)
            if fds[0].revents != 0 {
                let fd = accept(listener, nil, nil)
                // Not inherited by the relays the coordinator starts next (a copy would hide this one's end).
                if fd >= 0 { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
                if fd >= 0 {
                    if let r = (1...ranks).first(where: { !busy[$0] }) {
                        busy[r] = true
                        relayOfRank[r] = fd
                        rankOfRelay[fd] = r
                        readers[fd] = RelayFrame.Reader()
                        try communication.sendBytes([], to: r, tag: Tag.start.rawValue)
                    } else {
                        close(fd)   // more relays than ranks: the coordinator sees the relay fail
                    }
                }
            }
            for p in fds.dropFirst() where p.revents != 0 {
                guard let r = rankOfRelay[p.fd] else { continue }
                let n = buffer.withUnsafeMutableBytes { read(p.fd, $0.baseAddress!, $0.count) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 {
                    // The relay is gone (killed): kill the trial; the rank becomes free when it reports the end.
                    try communication.sendBytes(RelayFrame.bytes(SIGKILL), to: r, tag: Tag.signal.rawValue)
                    dropRelay(p.fd)
                    continue
                }
                let frames: [RelayFrame]
                do { frames = try readers[p.fd]!.feed(Array(buffer[0..<n])) } catch {
                    try communication.sendBytes(RelayFrame.bytes(SIGKILL), to: r, tag: Tag.signal.rawValue)
                    dropRelay(p.fd)
                    continue
                }
                for frame in frames {
                    switch frame {
                    case .data(let bytes): try communication.sendBytes(bytes, to: r, tag: Tag.data.rawValue)
                    case .signal(let s): try communication.sendBytes(RelayFrame.bytes(s), to: r, tag: Tag.signal.rawValue)
                    case .exit: break
                    }
                }
            }
            while let m = try communication.probeMessage() {
                let payload = try communication.receiveBytes(from: m.source, tag: m.tag, count: m.count)
                guard (1...ranks).contains(m.source) else { continue }
                let relay = relayOfRank[m.source]
                switch Tag(rawValue: m.tag) {
                case .data:
                    if let relay { RelayFrame.write(RelayFrame.data(payload).encoded, to: relay) }
                case .exit where payload.count == 4:
                    if let relay {
                        RelayFrame.write(RelayFrame.exit(RelayFrame.int32(payload[0..<4])).encoded, to: relay)
                        dropRelay(relay)
                    }
                    busy[m.source] = false
                default:
                    break
                }
            }
        }
        for fd in Array(rankOfRelay.keys) { dropRelay(fd) }
        for r in 1...ranks { try communication.sendBytes([], to: r, tag: Tag.quit.rawValue) }
    }

    /// The loop of ranks 1…N − 1: runs each trial the bridge sends in a local `tune-worker` child and
    /// relays its protocol, until rank 0 says to quit. Returns then.
    ///
    /// - Parameters:
    ///   - group: the job's processes.
    ///   - executable: the program to start for a trial (this one: `TrialWorkers.currentExecutable`).
    public static func serveTrials(group: ProcessGroup, executable: String) throws {
        let communication = try group.duplicate()
        var child: WorkerProcess? = nil
        defer { child?.stop(grace: 0) }
        while true {
            if let worker = child {
                var p = pollfd(fd: worker.fd, events: Int16(POLLIN), revents: 0)
                _ = poll(&p, 1, 1)
                let (bytes, ended) = worker.receiveBytes()
                if !bytes.isEmpty { try communication.sendBytes(bytes, to: 0, tag: Tag.data.rawValue) }
                if ended {
                    worker.closeConnection()
                    let status = worker.reap(wait: true) ?? -1
                    try communication.sendBytes(RelayFrame.bytes(status), to: 0, tag: Tag.exit.rawValue)
                    child = nil
                }
            } else {
                usleep(1000)
            }
            while let m = try communication.probeMessage() {
                let payload = try communication.receiveBytes(from: m.source, tag: m.tag, count: m.count)
                guard m.source == 0 else { continue }
                switch Tag(rawValue: m.tag) {
                case .start:
                    do {
                        child = try WorkerProcess(executable: executable, arguments: ["tune-worker"], label: "rank \(group.rank)")
                    } catch {
                        // Could not start: report an exit of status 127, as a shell would.
                        try communication.sendBytes(RelayFrame.bytes(127 << 8), to: 0, tag: Tag.exit.rawValue)
                    }
                case .data:
                    _ = child?.sendBytes(payload)
                case .signal where payload.count == 4:
                    child?.signal(RelayFrame.int32(payload[0..<4]))
                case .quit:
                    return
                default:
                    break
                }
            }
        }
    }
}
