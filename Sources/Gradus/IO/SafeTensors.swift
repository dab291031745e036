/// Checkpoints in the safetensors format (Hugging Face), readable by Python's `safetensors` package
/// and PyTorch: an 8-byte little-endian header length, a JSON header naming each tensor's dtype,
/// shape and byte range (plus an optional `"__metadata__"` map of strings), then the raw
/// little-endian data.
///
/// Writes are atomic (see ``AtomicFile``). Reads check everything before trusting it: the header
/// length against the file size, the JSON (valid UTF-8, no duplicate keys), each dtype, that each
/// shape's byte size equals its offsets' span, and that the tensors tile the data region exactly,
/// without gaps or overlaps. A malformed file throws a ``DataError`` naming the file and the problem.
///
/// Gradus writes `F32`, `F64` and `I64`. It also reads `F16`, `BF16` (as float32) and `I32`, `I16`,
/// `I8`, `U8`, `BOOL` (as int64).
///
/// ```swift
/// try SafeTensors.save(model.stateDict(), metadata: ["epoch": "3"], to: "model.safetensors")
/// let checkpoint = try SafeTensors.load("model.safetensors")
/// model.loadStateDict(checkpoint.tensors)
/// print(checkpoint.metadata["epoch"]!)
/// ```
public enum SafeTensors {
    /// The tensors and metadata of a checkpoint.
    public struct Contents: Sendable {
        /// The tensors by name (a state dict).
        public var tensors: [String: Tensor]
        /// The `"__metadata__"` map, empty when absent.
        public var metadata: [String: String]
    }

    /// The largest header the reader accepts (as the Python package: 100 MB).
    public static let maxHeaderBytes = 100_000_000

    /// The dtypes a file may hold: name, bytes per element, and the ``DType`` it is read as.
    static let dtypes: [String: (size: Int, dtype: DType)] = [
        "F64": (8, .float64), "F32": (4, .float32), "F16": (2, .float32), "BF16": (2, .float32),
        "I64": (8, .int64), "I32": (4, .int64), "I16": (2, .int64), "I8": (1, .int64), "U8": (1, .int64),
        "BOOL": (1, .int64),
    ]

    static func name(of dtype: DType) -> String {
        switch dtype {
        case .float32: return "F32"
        case .float64: return "F64"
        case .int64: return "I64"
        }
    }

    // MARK: Writing

    /// The header and data layout of `tensors`: tensors ordered by decreasing element size, then
    /// name (as the Python package orders them), and the padded JSON header.
    static func layout(_ tensors: [String: Tensor], metadata: [String: String]) throws -> (header: [UInt8], order: [String]) {
        try require(tensors["__metadata__"] == nil, "SafeTensors: \"__metadata__\" is reserved and cannot name a tensor")
        let order = tensors.keys.sorted { a, b in
            let sa = tensors[a]!.dtype.byteSize, sb = tensors[b]!.dtype.byteSize
            return sa != sb ? sa > sb : a < b
        }
        var parts: [String] = []
        if !metadata.isEmpty {
            let items = metadata.keys.sorted().map { "\(JSONValue.quote($0)):\(JSONValue.quote(metadata[$0]!))" }
            parts.append("\"__metadata__\":{" + items.joined(separator: ",") + "}")
        }
        var offset = 0
        for name in order {
            let t = tensors[name]!
            let bytes = t.count * t.dtype.byteSize
            let shape = t.shape.map(String.init).joined(separator: ",")
            parts.append("\(JSONValue.quote(name)):{\"dtype\":\"\(Self.name(of: t.dtype))\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(offset + bytes)]}")
            offset += bytes
        }
        var header = Array(("{" + parts.joined(separator: ",") + "}").utf8)
        header.append(contentsOf: repeatElement(0x20, count: (8 - header.count % 8) % 8))
        return (header, order)
    }

    /// The bytes of a safetensors file holding `tensors` and `metadata`.
    ///
    /// ```swift
    /// let bytes = SafeTensors.encode(["w": Tensor([1, 2, 3])])
    /// ```
    public static func encode(_ tensors: [String: Tensor], metadata: [String: String] = [:]) throws -> [UInt8] {
        let (header, order) = try layout(tensors, metadata: metadata)
        var out: [UInt8] = []
        let dataBytes = order.reduce(0) { $0 + tensors[$1]!.count * tensors[$1]!.dtype.byteSize }
        out.reserveCapacity(8 + header.count + dataBytes)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: header)
        for name in order {
            let t = tensors[name]!
            out.append(contentsOf: UnsafeRawBufferPointer(start: t.rawPointer, count: t.count * t.dtype.byteSize))
        }
        return out
    }

    /// Writes `tensors` and `metadata` to `path`, atomically (temporary file, fsync, rename).
    ///
    /// - Parameters:
    ///   - tensors: the tensors by name (float32, float64 or int64).
    ///   - metadata: strings stored under `"__metadata__"`.
    ///   - path: the destination file.
    ///
    /// ```swift
    /// try SafeTensors.save(["weight": w, "bias": b], metadata: ["format": "pt"], to: "linear.safetensors")
    /// ```
    public static func save(_ tensors: [String: Tensor], metadata: [String: String] = [:], to path: String) throws {
        let (header, order) = try layout(tensors, metadata: metadata)
        try AtomicFile.write(to: path) { out in
            try withUnsafeBytes(of: UInt64(header.count).littleEndian) { try out.write($0.baseAddress!, count: 8) }
            try out.write(header)
            for name in order {
                let t = tensors[name]!
                try out.write(UnsafeRawPointer(t.rawPointer), count: t.count * t.dtype.byteSize)
            }
        }
    }

    // MARK: Reading

    /// Reads a safetensors file.
    ///
    /// - Parameters:
    ///   - path: the file.
    ///   - maxBytes: the largest file size accepted.
    /// - Returns: the tensors by name and the metadata.
    ///
    /// ```swift
    /// let checkpoint = try SafeTensors.load("model.safetensors")
    /// let weight = checkpoint.tensors["fc1.weight"]!
    /// ```
    public static func load(_ path: String, maxBytes: Int = ReaderLimits.defaultMaxBytes) throws -> Contents {
        try decode(FileBytes.read(path, maxBytes: maxBytes), file: path)
    }

    /// Decodes the bytes of a safetensors file; `file` names it in errors.
    ///
    /// ```swift
    /// let contents = try SafeTensors.decode(bytes, file: "in-memory")
    /// ```
    public static func decode(_ bytes: [UInt8], file: String) throws -> Contents {
        guard bytes.count >= 8 else {
            throw DataError(.truncated, file: file, "\(bytes.count) bytes is too short for the 8-byte header length")
        }
        var cursor = ByteCursor(bytes, file: file)
        let claimed = try cursor.u64le("header length")
        guard claimed <= UInt64(maxHeaderBytes) else {
            throw DataError(.tooLarge, file: file, "header length \(claimed) is over the limit of \(maxHeaderBytes) bytes")
        }
        let headerLength = Int(claimed)
        guard headerLength <= cursor.remaining else {
            throw DataError(.truncated, file: file,
                            "header length \(headerLength) exceeds the \(cursor.remaining) bytes after the length field")
        }
        let headerBytes = try cursor.take(headerLength, "header")
        guard String(validating: headerBytes, as: UTF8.self) != nil else {
            throw DataError(.badHeader, file: file, "the header is not valid UTF-8")
        }
        guard headerBytes.first == 0x7B else {
            throw DataError(.badHeader, file: file, "the header does not start with '{'")
        }
        let json: JSONValue
        do {
            json = try JSONValue.parse(headerBytes)
        } catch {
            throw DataError(.badHeader, file: file, "invalid JSON header at byte \(error.offset): \(error.message)")
        }
        guard case .object(let members) = json else {
            throw DataError(.badHeader, file: file, "the header is not a JSON object")
        }
        let dataStart = cursor.offset
        let dataSize = bytes.count - dataStart

        struct Info { let name: String; let dtype: String; let shape: [Int]; let begin: Int; let end: Int }
        var infos: [Info] = []
        var metadata: [String: String] = [:]
        for (name, value) in members {
            if name == "__metadata__" {
                guard case .object(let items) = value else {
                    throw DataError(.badHeader, file: file, "\"__metadata__\" is not an object of strings")
                }
                for (k, v) in items {
                    guard case .string(let s) = v else {
                        throw DataError(.badHeader, file: file, "metadata value for \"\(k)\" is not a string")
                    }
                    metadata[k] = s
                }
                continue
            }
            guard case .object(let fields) = value else {
                throw DataError(.badHeader, file: file, "entry \"\(name)\" is not an object")
            }
            var dtype: String?, shape: [Int]?, offsets: [Int]?
            for (key, field) in fields {
                switch (key, field) {
                case ("dtype", .string(let s)): dtype = s
                case ("shape", .array(let items)):
                    shape = try items.map { item in
                        guard case .integer(let d) = item, d >= 0 else {
                            throw DataError(.badHeader, file: file, "tensor \"\(name)\": shape entries must be non-negative integers")
                        }
                        return d
                    }
                case ("data_offsets", .array(let items)):
                    offsets = try items.map { item in
                        guard case .integer(let o) = item, o >= 0 else {
                            throw DataError(.badHeader, file: file, "tensor \"\(name)\": data_offsets must be non-negative integers")
                        }
                        return o
                    }
                default:
                    throw DataError(.badHeader, file: file, "tensor \"\(name)\": unexpected or mistyped field \"\(key)\"")
                }
            }
            guard let dt = dtype, let sh = shape, let off = offsets else {
                throw DataError(.badHeader, file: file, "tensor \"\(name)\" lacks dtype, shape or data_offsets")
            }
            guard let (size, _) = dtypes[dt] else {
                throw DataError(.unsupported, file: file, "tensor \"\(name)\" has unknown dtype \"\(dt)\"")
            }
            guard off.count == 2, off[0] <= off[1] else {
                throw DataError(.badHeader, file: file, "tensor \"\(name)\": data_offsets \(off) is not [begin, end] with begin <= end")
            }
            guard off[1] <= dataSize else {
                throw DataError(.truncated, file: file,
                                "tensor \"\(name)\": data_offsets \(off) run past the \(dataSize) bytes of data")
            }
            let count = try FileBytes.product(sh, file: file, what: "tensor \"\(name)\" shape")
            let needed = try FileBytes.byteCount(count, size, file: file, what: "tensor \"\(name)\"")
            guard needed == off[1] - off[0] else {
                throw DataError(.badHeader, file: file,
                                "tensor \"\(name)\": shape \(sh) of \(dt) needs \(needed) bytes but data_offsets \(off) span \(off[1] - off[0])")
            }
            infos.append(Info(name: name, dtype: dt, shape: sh, begin: off[0], end: off[1]))
        }
        // The tensors must tile the data region exactly.
        var position = 0
        for info in infos.sorted(by: { ($0.begin, $0.end) < ($1.begin, $1.end) }) {
            guard info.begin == position else {
                let problem = info.begin < position ? "overlaps the previous tensor" : "leaves a gap of \(info.begin - position) bytes before it"
                throw DataError(.badHeader, file: file, "tensor \"\(info.name)\" at data_offsets [\(info.begin), \(info.end)] \(problem)")
            }
            position = info.end
        }
        guard position == dataSize else {
            throw DataError(.badHeader, file: file, "the tensors cover \(position) bytes but the data region holds \(dataSize)")
        }

        // Decoded, 8- and 16-bit elements take 2-8 times their bytes in the file.
        let decodedBytes = infos.reduce(0) { $0 + ($1.end - $1.begin) / dtypes[$1.dtype]!.size * dtypes[$1.dtype]!.dtype.byteSize }
        try MemoryBudget.check(decodedBytes, for: "the \(infos.count) tensors, decoded,", source: file)
        var tensors: [String: Tensor] = [:]
        bytes.withUnsafeBytes { raw in
            for info in infos {
                let src = raw.baseAddress! + dataStart + info.begin
                tensors[info.name] = makeTensor(src, dtype: info.dtype, shape: info.shape)
            }
        }
        return Contents(tensors: tensors, metadata: metadata)
    }

    /// Converts little-endian elements of a safetensors dtype into a tensor.
    static func makeTensor(_ src: UnsafeRawPointer, dtype: String, shape: [Int]) -> Tensor {
        let target = dtypes[dtype]!.dtype
        let t = Tensor(uninitializedShape: shape, dtype: target)
        let n = t.count
        switch dtype {
        case "F32", "F64", "I64":
            t.rawPointer.copyMemory(from: src, byteCount: n * target.byteSize)
        case "F16":
            let p = t.pointer(Float.self)
            for i in 0..<n { p[i] = Float(Float16(bitPattern: UInt16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))) }
        case "BF16":
            let p = t.pointer(Float.self)
            for i in 0..<n {
                p[i] = Float(bitPattern: UInt32(UInt16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) << 16)
            }
        case "I32":
            let p = t.pointer(Int64.self)
            for i in 0..<n { p[i] = Int64(Int32(littleEndian: src.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self))) }
        case "I16":
            let p = t.pointer(Int64.self)
            for i in 0..<n { p[i] = Int64(Int16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: Int16.self))) }
        case "I8":
            let p = t.pointer(Int64.self)
            for i in 0..<n { p[i] = Int64(src.load(fromByteOffset: i, as: Int8.self)) }
        default:  // U8, BOOL
            let p = t.pointer(Int64.self)
            for i in 0..<n { p[i] = Int64(src.load(fromByteOffset: i, as: UInt8.self)) }
        }
        return t
    }
}
