#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whole-file reads with a size limit checked before allocating, and bounds-checked decoding of
/// integers from a byte array. Plumbing of the readers (the package's other modules read through it too).
package enum FileBytes {
    /// The bytes of the file at `path`, refusing files larger than `maxBytes`, and FIFOs, devices and
    /// folders (a `DataError`).
    package static func read(_ path: String, maxBytes: Int) throws -> [UInt8] {
        // Refuse FIFOs, devices and folders before opening: open() on a FIFO waits for a writer forever.
        var before = stat()
        guard stat(path, &before) == 0 else { throw DataError(.io, file: path, "cannot open: \(errnoText())") }
        try requireRegular(before, path)
        // O_NONBLOCK too, in case the path was swapped for a FIFO between stat and open.
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw DataError(.io, file: path, "cannot open: \(errnoText())") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw DataError(.io, file: path, "cannot stat: \(errnoText())") }
        try requireRegular(info, path)
        let size = Int(info.st_size)
        guard size <= maxBytes else {
            throw DataError(.tooLarge, file: path, "file has \(size) bytes, over the limit of \(maxBytes)")
        }
        var bytes = [UInt8](repeating: 0, count: size)
        var done = 0
        try bytes.withUnsafeMutableBytes { buffer in
            while done < size {
                let n = Glibc.read(fd, buffer.baseAddress! + done, size - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw DataError(.io, file: path, "read failed: \(errnoText())")
                }
                if n == 0 { break }
                done += n
            }
        }
        guard done == size else { throw DataError(.io, file: path, "file shrank while reading (\(done) of \(size) bytes)") }
        return bytes
    }

    static func errnoText() -> String { String(cString: strerror(errno)) }

    /// Throws unless `info` describes a regular file, naming what it is instead.
    static func requireRegular(_ info: stat, _ path: String) throws {
        let kind: String
        switch info.st_mode & S_IFMT {
        case S_IFREG: return
        case S_IFDIR: kind = "a folder"
        case S_IFIFO: kind = "a FIFO (named pipe)"
        case S_IFCHR: kind = "a character device"
        case S_IFBLK: kind = "a block device"
        case S_IFSOCK: kind = "a socket"
        default: kind = "not a regular file"
        }
        throw DataError(.io, file: path, "\(kind), not a regular file")
    }

    /// The product of `dims`, or an `.overflow` error naming `file`. The dimensions other than zero must
    /// multiply to at most ``Tensor/maximumElementCount`` too: a shape such as `[0, 2^40, 2^40]` holds no
    /// element, but the strides of a tensor of that shape would overflow.
    static func product(_ dims: [Int], file: String, what: String) throws -> Int {
        var nonZero = 1, hasZero = false
        for d in dims {
            guard d >= 0 else { throw DataError(.badHeader, file: file, "\(what) \(dims) has a negative dimension") }
            if d == 0 { hasZero = true; continue }
            let (p, o) = nonZero.multipliedReportingOverflow(by: d)
            guard !o, p <= Tensor.maximumElementCount else {
                throw DataError(.overflow, file: file, "\(what) \(dims): the element count overflows")
            }
            nonZero = p
        }
        return hasZero ? 0 : nonZero
    }

    /// Checks that a decoded tensor of `count` elements of `dtype` fits in the ``MemoryBudget`` (a file
    /// of small integers decodes to eight times its size as `int64`): `.tooLarge` naming `file` if not.
    static func checkDecoded(_ count: Int, _ dtype: DType, file: String, what: String) throws {
        let (bytes, overflow) = count.multipliedReportingOverflow(by: dtype.byteSize)
        try MemoryBudget.check(overflow ? nil : bytes, for: "\(what), decoded as \(dtype),", source: file)
    }

    /// `count * size` bytes, or an `.overflow` error.
    static func byteCount(_ count: Int, _ size: Int, file: String, what: String) throws -> Int {
        let (b, o) = count.multipliedReportingOverflow(by: size)
        guard !o else { throw DataError(.overflow, file: file, "\(what): \(count) elements of \(size) bytes overflow") }
        return b
    }
}

/// Reads integers from a byte array at a moving offset, throwing `.truncated` past the end.
struct ByteCursor {
    let bytes: [UInt8]
    let file: String
    var offset: Int

    init(_ bytes: [UInt8], file: String, offset: Int = 0) {
        self.bytes = bytes
        self.file = file
        self.offset = offset
    }

    var remaining: Int { bytes.count - offset }

    /// Checks that `n` more bytes exist.
    func need(_ n: Int, _ what: String) throws {
        guard n >= 0, n <= remaining else {
            throw DataError(.truncated, file: file, "needs \(n) bytes for \(what) at offset \(offset), only \(remaining) left")
        }
    }

    mutating func u8(_ what: String) throws -> UInt8 {
        try need(1, what)
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func u16le(_ what: String) throws -> UInt16 {
        try need(2, what)
        defer { offset += 2 }
        return UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8
    }

    mutating func u32le(_ what: String) throws -> UInt32 {
        try need(4, what)
        defer { offset += 4 }
        var v: UInt32 = 0
        for i in (0..<4).reversed() { v = v << 8 | UInt32(bytes[offset + i]) }
        return v
    }

    mutating func u64le(_ what: String) throws -> UInt64 {
        try need(8, what)
        defer { offset += 8 }
        var v: UInt64 = 0
        for i in (0..<8).reversed() { v = v << 8 | UInt64(bytes[offset + i]) }
        return v
    }

    mutating func u32be(_ what: String) throws -> UInt32 {
        try need(4, what)
        defer { offset += 4 }
        var v: UInt32 = 0
        for i in 0..<4 { v = v << 8 | UInt32(bytes[offset + i]) }
        return v
    }

    mutating func skip(_ n: Int, _ what: String) throws {
        try need(n, what)
        offset += n
    }

    mutating func take(_ n: Int, _ what: String) throws -> ArraySlice<UInt8> {
        try need(n, what)
        defer { offset += n }
        return bytes[offset..<(offset + n)]
    }
}
