import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The frames that a trial relay (`gradus tune-worker --relay`) and the process that serves it exchange
/// over a Unix socket when trials run on other machines: bytes of the worker protocol in either
/// direction, a signal for the remote worker, and the remote worker's exit status. A frame is a type
/// byte, a 4-byte little-endian length and the payload.
///
/// ```swift
/// let bytes = RelayFrame.data(Array("ready 1\n".utf8)).encoded
/// var reader = RelayFrame.Reader()
/// let frames = try reader.feed(bytes)
/// ```
public enum RelayFrame: Equatable, Sendable {
    /// Bytes of the worker protocol.
    case data([UInt8])
    /// A signal to deliver to the remote worker.
    case signal(Int32)
    /// The remote worker ended with this raw wait status.
    case exit(Int32)

    /// The largest payload accepted (a worker's protocol lines are far shorter).
    public static let maxPayload = 16 << 20

    /// The frame's bytes.
    public var encoded: [UInt8] {
        let (type, payload): (UInt8, [UInt8])
        switch self {
        case .data(let b): (type, payload) = (1, b)
        case .signal(let s): (type, payload) = (2, Self.bytes(s))
        case .exit(let s): (type, payload) = (3, Self.bytes(s))
        }
        return [type] + Self.bytes(Int32(truncatingIfNeeded: payload.count)) + payload
    }

    /// The 4 little-endian bytes of `v` (a signal or exit payload).
    public static func bytes(_ v: Int32) -> [UInt8] {
        let u = UInt32(bitPattern: v)
        return [UInt8(u & 0xff), UInt8((u >> 8) & 0xff), UInt8((u >> 16) & 0xff), UInt8(u >> 24)]
    }

    /// The value of 4 little-endian bytes.
    public static func int32(_ b: ArraySlice<UInt8>) -> Int32 {
        let i = b.startIndex
        return Int32(bitPattern: UInt32(b[i]) | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2]) << 16 | UInt32(b[i + 3]) << 24)
    }

    /// Collects frames from a byte stream that arrives in pieces.
    public struct Reader: Sendable {
        private var pending: [UInt8] = []

        /// Creates an empty reader.
        public init() {}

        /// Adds received bytes and returns the frames they complete.
        ///
        /// - Throws: ``TrainingError`` for an unknown type, a payload above ``RelayFrame/maxPayload`` or a
        ///   signal/exit payload that is not 4 bytes.
        public mutating func feed(_ bytes: [UInt8]) throws -> [RelayFrame] {
            pending += bytes
            var frames: [RelayFrame] = []
            while pending.count >= 5 {
                let length = Int(UInt32(bitPattern: RelayFrame.int32(pending[1..<5])))
                guard length <= RelayFrame.maxPayload else { throw TrainingError("relay: a frame of \(length) bytes (at most \(RelayFrame.maxPayload))") }
                guard pending.count >= 5 + length else { break }
                let payload = Array(pending[5..<(5 + length)])
                switch pending[0] {
                case 1: frames.append(.data(payload))
                case 2, 3:
                    guard payload.count == 4 else { throw TrainingError("relay: a signal or exit frame of \(payload.count) bytes, not 4") }
                    let v = RelayFrame.int32(payload[0..<4])
                    frames.append(pending[0] == 2 ? .signal(v) : .exit(v))
                default:
                    throw TrainingError("relay: unknown frame type \(pending[0])")
                }
                pending.removeFirst(5 + length)
            }
            return frames
        }
    }

    /// Writes all of `bytes` to `fd` (blocking descriptors, or waiting on non-blocking ones); false when
    /// the other end is gone.
    @discardableResult
    public static func write(_ bytes: [UInt8], to fd: Int32) -> Bool {
        WorkerProcess.writeAll(bytes, to: fd, giveUpAfterMilliseconds: nil)
    }
}
