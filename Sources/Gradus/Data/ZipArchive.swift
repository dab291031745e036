/// A read-only view of a zip archive held in memory: the central directory is parsed and every
/// offset and size is checked against the file before any entry is read. Entries stored (method 0)
/// or deflated (method 8, through zlib's raw inflate) are supported, with ZIP64 sizes and offsets.
///
/// ```swift
/// let zip = try ZipArchive(bytes: fileBytes, file: "weights.npz")
/// for name in zip.names { let data = try zip.read(name) }
/// ```
public struct ZipArchive: Sendable {
    /// One entry of the central directory.
    public struct Entry: Sendable {
        /// The entry's path inside the archive.
        public let name: String
        /// 0 (stored) or 8 (deflated); others are rejected when read.
        public let method: UInt16
        /// The size of the stored bytes.
        public let compressedSize: Int
        /// The size of the entry once decompressed.
        public let uncompressedSize: Int
        /// The CRC-32 of the decompressed bytes.
        public let crc32: UInt32
        let flags: UInt16
        let localHeaderOffset: Int
    }

    let bytes: [UInt8]
    /// The file name used in errors.
    public let file: String
    /// The entries, in central-directory order.
    public let entries: [Entry]

    /// The entry names, in central-directory order.
    public var names: [String] { entries.map(\.name) }

    /// Parses the central directory of `bytes`.
    ///
    /// - Parameters:
    ///   - bytes: the whole archive.
    ///   - file: the name used in errors.
    ///
    /// ```swift
    /// let zip = try ZipArchive(bytes: bytes, file: path)
    /// ```
    public init(bytes: [UInt8], file: String) throws {
        self.bytes = bytes
        self.file = file
        let (cdOffset, cdSize, total, cdLimit) = try Self.findCentralDirectory(bytes, file: file)
        guard cdOffset <= cdLimit, cdSize <= cdLimit - cdOffset else {
            throw DataError(.badHeader, file: file,
                            "central directory (offset \(cdOffset), size \(cdSize)) lies outside the archive")
        }
        guard total <= cdSize / 46 else {
            throw DataError(.badHeader, file: file, "\(total) entries cannot fit in a central directory of \(cdSize) bytes")
        }
        let directory = Array(bytes[cdOffset..<(cdOffset + cdSize)])
        var c = ByteCursor(directory, file: file)
        var entries: [Entry] = []
        for k in 0..<total {
            guard try c.u32le("central directory entry") == 0x0201_4B50 else {
                throw DataError(.badHeader, file: file, "central directory entry \(k) has a wrong signature")
            }
            try c.skip(4, "versions")
            let flags = try c.u16le("flags")
            let method = try c.u16le("method")
            try c.skip(4, "time and date")
            let crc = try c.u32le("crc")
            var compressed = UInt64(try c.u32le("compressed size"))
            var uncompressed = UInt64(try c.u32le("uncompressed size"))
            let nameLength = Int(try c.u16le("name length"))
            let extraLength = Int(try c.u16le("extra length"))
            let commentLength = Int(try c.u16le("comment length"))
            try c.skip(8, "disk and attributes")
            var localOffset = UInt64(try c.u32le("local header offset"))
            let nameBytes = try c.take(nameLength, "entry name")
            var extra = ByteCursor(Array(try c.take(extraLength, "extra field")), file: file)
            try c.skip(commentLength, "entry comment")
            // ZIP64: fields saturated at 0xFFFFFFFF are found, in this order, in extra block 0x0001.
            while extra.remaining >= 4 {
                let id = try extra.u16le("extra id"), size = Int(try extra.u16le("extra size"))
                var block = ByteCursor(Array(try extra.take(size, "extra block")), file: file)
                guard id == 0x0001 else { continue }
                if uncompressed == 0xFFFF_FFFF { uncompressed = try block.u64le("zip64 uncompressed size") }
                if compressed == 0xFFFF_FFFF { compressed = try block.u64le("zip64 compressed size") }
                if localOffset == 0xFFFF_FFFF { localOffset = try block.u64le("zip64 local header offset") }
            }
            guard compressed <= UInt64(bytes.count), uncompressed <= UInt64(Int.max), localOffset <= UInt64(bytes.count) else {
                throw DataError(.badHeader, file: file, "entry \(k) claims sizes or offsets beyond the archive")
            }
            entries.append(Entry(name: String(decoding: nameBytes, as: UTF8.self), method: method,
                                 compressedSize: Int(compressed), uncompressedSize: Int(uncompressed),
                                 crc32: crc, flags: flags, localHeaderOffset: Int(localOffset)))
        }
        self.entries = entries
    }

    /// Finds the (ZIP64) end-of-central-directory record: returns the directory's offset, size, entry
    /// count, and the offset where it must end.
    static func findCentralDirectory(_ bytes: [UInt8], file: String) throws -> (Int, Int, Int, Int) {
        guard bytes.count >= 22 else {
            throw DataError(.truncated, file: file, "\(bytes.count) bytes is too short for a zip archive")
        }
        var position = bytes.count - 22
        let lowest = max(0, bytes.count - 22 - 0xFFFF)
        while position >= lowest {
            if bytes[position] == 0x50, bytes[position + 1] == 0x4B, bytes[position + 2] == 0x05, bytes[position + 3] == 0x06 {
                var c = ByteCursor(bytes, file: file, offset: position + 10)
                let total16 = try c.u16le("entry count")
                let size32 = try c.u32le("directory size")
                let offset32 = try c.u32le("directory offset")
                let commentLength = Int(try c.u16le("comment length"))
                if position + 22 + commentLength == bytes.count {
                    if total16 == 0xFFFF || size32 == 0xFFFF_FFFF || offset32 == 0xFFFF_FFFF {
                        return try zip64Directory(bytes, file: file, eocd: position)
                    }
                    return (Int(offset32), Int(size32), Int(total16), position)
                }
            }
            position -= 1
        }
        if bytes.count >= 4, bytes[0] == 0x50, bytes[1] == 0x4B {
            throw DataError(.truncated, file: file, "no end-of-central-directory record: the zip archive is truncated")
        }
        throw DataError(.badMagic, file: file, "not a zip archive (no end-of-central-directory record)")
    }

    static func zip64Directory(_ bytes: [UInt8], file: String, eocd: Int) throws -> (Int, Int, Int, Int) {
        guard eocd >= 20 else { throw DataError(.badHeader, file: file, "ZIP64 locator missing") }
        var locator = ByteCursor(bytes, file: file, offset: eocd - 20)
        guard try locator.u32le("zip64 locator") == 0x0706_4B50 else {
            throw DataError(.badHeader, file: file, "ZIP64 end-of-central-directory locator missing")
        }
        try locator.skip(4, "disk")
        let recordOffset = try locator.u64le("zip64 record offset")
        guard recordOffset <= UInt64(eocd - 20) else {
            throw DataError(.badHeader, file: file, "ZIP64 record offset \(recordOffset) lies outside the archive")
        }
        var c = ByteCursor(bytes, file: file, offset: Int(recordOffset))
        guard try c.u32le("zip64 record") == 0x0606_4B50 else {
            throw DataError(.badHeader, file: file, "ZIP64 end-of-central-directory record has a wrong signature")
        }
        try c.skip(8 + 4 + 8 + 8, "zip64 record fields")
        let total = try c.u64le("zip64 entry count")
        let size = try c.u64le("zip64 directory size")
        let offset = try c.u64le("zip64 directory offset")
        guard total <= UInt64(bytes.count), size <= UInt64(bytes.count), offset <= UInt64(bytes.count) else {
            throw DataError(.badHeader, file: file, "ZIP64 directory claims sizes beyond the archive")
        }
        return (Int(offset), Int(size), Int(total), Int(recordOffset))
    }

    /// The decompressed bytes of entry `name`, checked against its size and CRC-32.
    ///
    /// - Parameters:
    ///   - name: the entry's path inside the archive.
    ///   - maxBytes: the largest decompressed size accepted.
    ///
    /// ```swift
    /// let npy = try zip.read("weights.npy")
    /// ```
    public func read(_ name: String, maxBytes: Int = ReaderLimits.defaultMaxBytes) throws -> [UInt8] {
        guard let entry = entries.first(where: { $0.name == name }) else {
            throw DataError(.io, file: file, "no entry named \"\(name)\" in the archive")
        }
        return try read(entry, maxBytes: maxBytes)
    }

    /// The decompressed bytes of `entry`.
    func read(_ entry: Entry, maxBytes: Int) throws -> [UInt8] {
        let where_ = "\(file)/\(entry.name)"
        guard entry.flags & 1 == 0 else { throw DataError(.unsupported, file: where_, "the entry is encrypted") }
        // A claim beyond deflate's 1032:1 ratio is a lie whatever the limit: say so first.
        if entry.method == 8, entry.uncompressedSize > maxInflatedSize(entry.compressedSize) {
            throw DataError(.badHeader, file: where_,
                            "claims \(entry.uncompressedSize) decompressed bytes, but \(entry.compressedSize) compressed bytes inflate to at most \(maxInflatedSize(entry.compressedSize))")
        }
        guard entry.uncompressedSize <= maxBytes else {
            throw DataError(.tooLarge, file: where_, "entry of \(entry.uncompressedSize) bytes is over the limit of \(maxBytes)")
        }
        var c = ByteCursor(bytes, file: where_, offset: entry.localHeaderOffset)
        guard c.remaining >= 30, try c.u32le("local header") == 0x0403_4B50 else {
            throw DataError(.badHeader, file: where_, "no local file header at offset \(entry.localHeaderOffset)")
        }
        try c.skip(22, "local header fields")
        let nameLength = Int(try c.u16le("local name length"))
        let extraLength = Int(try c.u16le("local extra length"))
        try c.skip(nameLength + extraLength, "local name and extra field")
        guard entry.compressedSize <= c.remaining else {
            throw DataError(.truncated, file: where_,
                            "entry data (\(entry.compressedSize) bytes at offset \(c.offset)) runs past the end of the archive")
        }
        let data = bytes[c.offset..<(c.offset + entry.compressedSize)]
        let out: [UInt8]
        switch entry.method {
        case 0:
            guard entry.compressedSize == entry.uncompressedSize else {
                throw DataError(.badHeader, file: where_,
                                "stored entry has compressed size \(entry.compressedSize) but uncompressed size \(entry.uncompressedSize)")
            }
            out = Array(data)
        case 8:
            out = try Inflater.inflate(data, windowBits: -15, multiMember: false, expectedSize: entry.uncompressedSize,
                                       file: where_, maxBytes: maxBytes)
        default:
            throw DataError(.unsupported, file: where_, "compression method \(entry.method) is not stored (0) or deflated (8)")
        }
        guard crc32Of(out) == entry.crc32 else {
            throw DataError(.corrupt, file: where_, "CRC-32 mismatch: the entry's data is corrupt")
        }
        return out
    }
}
