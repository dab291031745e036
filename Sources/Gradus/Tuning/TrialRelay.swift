import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The local stand-in of a trial that runs on another process of an MPI job (`gradus tune` under
/// `mpirun`): the study's coordinator starts it as one of its worker processes, and it passes the worker
/// protocol between its standard input/output and a Unix socket served by the rank-0 bridge
/// (GradusDistributed's `MPITrialBridge`), which carries it to the rank running the trial. SIGTERM and
/// SIGINT are forwarded to the remote worker; the relay ends as the remote worker ended (same exit status,
/// or killed by the same signal), so the coordinator's handling of workers applies unchanged. Killed
/// itself (SIGKILL), it closes the socket and the bridge kills the remote worker.
///
/// ```swift
/// exit(TrialRelay.run(socketPath: "/tmp/gradus-relay-123.sock"))
/// ```
public enum TrialRelay {
    nonisolated(unsafe) private static var signalPipe: [Int32] = [-1, -1]

    /// Relays until the remote worker ends; returns the exit status to use (a signal ending is
    /// reproduced by killing this process with it).
    ///
    /// - Parameters:
    ///   - socketPath: the bridge's Unix socket.
    ///   - input: the file descriptor relayed to the worker (standard input by default).
    ///   - output: the file descriptor the worker's output is relayed to (standard output by default).
    /// - Returns: the remote worker's exit status, or 1 when the bridge cannot be reached or goes away.
    public static func run(socketPath: String, input: Int32 = 0, output: Int32 = 1) -> Int32 {
        let sock = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard sock >= 0 else { return fail("cannot create a socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let path = Array(socketPath.utf8)
        guard path.count < MemoryLayout.size(ofValue: address.sun_path) else { return fail("socket path too long: \(socketPath)") }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in path.enumerated() { raw[i] = b }
            raw[path.count] = 0
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(sock, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else { return fail("cannot reach the trial bridge at \(socketPath): \(String(cString: strerror(errno)))") }

        // SIGTERM/SIGINT are noted through a pipe and forwarded to the remote worker.
        guard pipe(&signalPipe) == 0 else { return fail("cannot create a pipe") }
        for s in [SIGTERM, SIGINT] {
            signal(s) { number in
                var n = Int32(number)
                _ = withUnsafeBytes(of: &n) { Glibc.write(TrialRelay.signalPipe[1], $0.baseAddress!, 4) }
            }
        }
        var reader = RelayFrame.Reader()
        var inputOpen = true
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            var fds = [pollfd(fd: sock, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: signalPipe[0], events: Int16(POLLIN), revents: 0),
                       pollfd(fd: inputOpen ? input : -1, events: Int16(POLLIN), revents: 0)]
            if poll(&fds, nfds_t(fds.count), -1) < 0 {
                if errno == EINTR { continue }
                return fail("poll failed: \(String(cString: strerror(errno)))")
            }
            if fds[1].revents != 0 {
                var n: Int32 = 0
                if withUnsafeMutableBytes(of: &n, { Glibc.read(signalPipe[0], $0.baseAddress!, 4) }) == 4 {
                    RelayFrame.write(RelayFrame.signal(n).encoded, to: sock)
                }
            }
            if fds[2].revents != 0 {
                let n = buffer.withUnsafeMutableBytes { Glibc.read(input, $0.baseAddress!, $0.count) }
                if n > 0 {
                    RelayFrame.write(RelayFrame.data(Array(buffer[0..<n])).encoded, to: sock)
                } else if n == 0 || (errno != EINTR && errno != EAGAIN) {
                    inputOpen = false   // the coordinator closed its end; wait for the remote end
                }
            }
            if fds[0].revents != 0 {
                let n = buffer.withUnsafeMutableBytes { Glibc.read(sock, $0.baseAddress!, $0.count) }
                if n <= 0 {
                    if n < 0 && errno == EINTR { continue }
                    return fail("the trial bridge went away")
                }
                let frames: [RelayFrame]
                do { frames = try reader.feed(Array(buffer[0..<n])) } catch { return fail("\(error)") }
                for frame in frames {
                    switch frame {
                    case .data(let bytes):
                        RelayFrame.write(bytes, to: output)
                    case .exit(let status):
                        let sig = status & 0x7f
                        if sig != 0 {
                            signal(sig, SIG_DFL)
                            kill(getpid(), sig)
                        }
                        return (status >> 8) & 0xff
                    case .signal:
                        break
                    }
                }
            }
        }
    }

    private static func fail(_ message: String) -> Int32 {
        FileHandle.standardError.write(Data("gradus tune-worker --relay: \(message)\n".utf8))
        return 1
    }
}
