import CZlib

/// Decompression of gzip and zlib streams through zlib's `inflate`.
///
/// Readers use it transparently: a file that starts with the gzip magic bytes `1f 8b` is inflated
/// before parsing. Corrupt or truncated streams throw a ``DataError`` naming the file; the output is
/// never allowed to grow past `maxBytes` (a "zip bomb" stops with `.tooLarge`).
///
/// ```swift
/// let raw = try Gzip.decompress(compressedBytes, file: "train-images-idx3-ubyte.gz")
/// ```
public enum Gzip {
    /// Whether `bytes` start with the gzip magic `1f 8b`.
    ///
    /// ```swift
    /// if Gzip.isGzip(bytes) { bytes = try Gzip.decompress(bytes, file: path) }
    /// ```
    public static func isGzip(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b
    }

    /// Inflates a gzip (or zlib) stream; concatenated gzip members are joined, as `gunzip` does.
    ///
    /// - Parameters:
    ///   - bytes: the compressed stream.
    ///   - file: the name used in error messages.
    ///   - maxBytes: the largest decompressed size accepted.
    /// - Returns: the decompressed bytes.
    ///
    /// ```swift
    /// let text = try Gzip.decompress(compressed, file: "notes.txt.gz", maxBytes: 1 << 20)
    /// ```
    public static func decompress(_ bytes: [UInt8], file: String = "<memory>",
                                  maxBytes: Int = ReaderLimits.defaultMaxBytes) throws -> [UInt8] {
        try Inflater.inflate(bytes[...], windowBits: 15 + 32, multiMember: true, expectedSize: nil,
                             file: file, maxBytes: maxBytes)
    }

    /// The bytes of the file at `path`, inflated when they start with the gzip magic.
    static func readMaybeCompressed(_ path: String, maxBytes: Int) throws -> [UInt8] {
        let bytes = try FileBytes.read(path, maxBytes: maxBytes)
        return isGzip(bytes) ? try decompress(bytes, file: path, maxBytes: maxBytes) : bytes
    }
}

/// The zlib `inflate` loop shared by gzip files and deflated zip entries.
enum Inflater {
    /// Inflates `input`.
    ///
    /// - Parameters:
    ///   - windowBits: `15 + 32` detects gzip or zlib headers; `-15` reads raw deflate (zip entries).
    ///   - multiMember: continue after the end of a gzip member when another one follows.
    ///   - expectedSize: the exact output size when known (zip entries); a mismatch throws.
    static func inflate(_ input: ArraySlice<UInt8>, windowBits: Int32, multiMember: Bool, expectedSize: Int?,
                        file: String, maxBytes: Int) throws -> [UInt8] {
        // Deflate expands at most 1032:1 (a 258-byte match in 2 bits), so a claimed size beyond that
        // is a lie; checking it here also keeps the claim from sizing the reservation below.
        if let e = expectedSize, e > maxInflatedSize(input.count) {
            throw DataError(.badHeader, file: file,
                            "claims \(e) decompressed bytes, but \(input.count) compressed bytes inflate to at most \(maxInflatedSize(input.count))")
        }
        if let e = expectedSize, e > maxBytes {
            throw DataError(.tooLarge, file: file, "decompressed size \(e) is over the limit of \(maxBytes) bytes")
        }
        var stream = z_stream()
        let initStatus = inflateInit2_(&stream, windowBits, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard initStatus == Z_OK else {
            throw DataError(.io, file: file, "zlib inflateInit2 failed with status \(initStatus)")
        }
        defer { inflateEnd(&stream) }

        var output: [UInt8] = []
        output.reserveCapacity(min(expectedSize ?? input.count * 4, maxBytes))
        let chunkSize = 1 << 20
        var chunk = [UInt8](repeating: 0, count: chunkSize)

        return try input.withUnsafeBytes { (inBuffer: UnsafeRawBufferPointer) -> [UInt8] in
            guard let base = inBuffer.baseAddress, inBuffer.count > 0 else {
                throw DataError(.truncated, file: file, "the compressed stream is empty")
            }
            stream.next_in = UnsafeMutablePointer(mutating: base.assumingMemoryBound(to: Bytef.self))
            stream.avail_in = 0
            var consumed = 0  // bytes handed to zlib so far
            func feed() {
                if stream.avail_in == 0 && consumed < inBuffer.count {
                    let n = min(inBuffer.count - consumed, Int(UInt32.max >> 1))
                    stream.next_in = UnsafeMutablePointer(mutating: (base + consumed).assumingMemoryBound(to: Bytef.self))
                    stream.avail_in = uInt(n)
                    consumed += n
                }
            }
            while true {
                feed()
                let status: Int32 = chunk.withUnsafeMutableBytes { out in
                    stream.next_out = out.baseAddress!.assumingMemoryBound(to: Bytef.self)
                    stream.avail_out = uInt(chunkSize)
                    return CZlib.inflate(&stream, Z_NO_FLUSH)
                }
                let produced = chunkSize - Int(stream.avail_out)
                if produced > 0 {
                    if let e = expectedSize, output.count + produced > e {
                        throw DataError(.corrupt, file: file, "inflates past its declared size of \(e) bytes")
                    }
                    guard output.count + produced <= maxBytes else {
                        throw DataError(.tooLarge, file: file,
                                        "decompressed data exceeds the limit of \(maxBytes) bytes")
                    }
                    output.append(contentsOf: chunk[0..<produced])
                }
                switch status {
                case Z_OK:
                    continue
                case Z_STREAM_END:
                    let left = Int(stream.avail_in) + (inBuffer.count - consumed)
                    if left == 0 {
                        if let e = expectedSize, e != output.count {
                            throw DataError(.corrupt, file: file,
                                            "inflated to \(output.count) bytes, expected \(e)")
                        }
                        return output
                    }
                    feed()
                    if multiMember, stream.avail_in >= 2, stream.next_in[0] == 0x1f, stream.next_in[1] == 0x8b {
                        guard inflateReset(&stream) == Z_OK else {
                            throw DataError(.corrupt, file: file, "cannot restart inflate for the next gzip member")
                        }
                        continue
                    }
                    throw DataError(.corrupt, file: file, "\(left) unexpected bytes after the end of the compressed stream")
                case Z_BUF_ERROR:
                    // No progress possible: the input ran out before the stream ended.
                    if stream.avail_in == 0 && consumed == inBuffer.count {
                        throw DataError(.truncated, file: file,
                                        "the compressed stream ends early (after \(output.count) decompressed bytes)")
                    }
                    continue
                case Z_NEED_DICT:
                    throw DataError(.unsupported, file: file, "the compressed stream needs a preset dictionary")
                case Z_MEM_ERROR:
                    throw DataError(.io, file: file, "zlib ran out of memory")
                default:
                    let reason = stream.msg.map { String(cString: $0) } ?? "status \(status)"
                    throw DataError(.corrupt, file: file, "corrupt compressed data: \(reason)")
                }
            }
        }
    }
}

/// The largest output `compressedCount` bytes of deflate data can produce (1032 bytes per input byte,
/// plus slack for block headers), saturating at `Int.max`.
func maxInflatedSize(_ compressedCount: Int) -> Int {
    let (n, overflow) = compressedCount.multipliedReportingOverflow(by: 1032)
    return overflow ? Int.max : n.addingReportingOverflow(1032).overflow ? Int.max : n + 1032
}

/// CRC-32 of `bytes`, as zip archives store it.
func crc32Of(_ bytes: [UInt8]) -> UInt32 {
    bytes.withUnsafeBufferPointer { b in
        var crc = crc32(0, nil, 0)
        var offset = 0
        while offset < b.count {
            let n = min(b.count - offset, Int(UInt32.max >> 1))
            crc = crc32(crc, b.baseAddress! + offset, uInt(n))
            offset += n
        }
        return UInt32(truncatingIfNeeded: crc)
    }
}
