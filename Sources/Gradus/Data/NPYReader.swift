/// A reader of NumPy `.npy` files (format versions 1, 2 and 3).
///
/// Supported element types, little- (`<`) or big-endian (`>`): floats `f2`, `f4` (→ float32) and
/// `f8` (→ float64); signed integers `i1`, `i2`, `i4`, `i8`, unsigned integers `u1`, `u2`, `u4`, `u8`
/// and booleans `b1` (→ int64, booleans as 0 and 1). A `u8` value above `Int64.max` is a
/// ``DataError`` of kind `.unsupported` naming the value. Arrays in C or Fortran (column-major) order
/// are read; a Fortran-ordered array comes back in C order with the same shape and values, as NumPy
/// shows it. Other element types (complex, strings, structured records, objects) are rejected with a
/// ``DataError`` of kind `.unsupported`; malformed headers and data lengths that disagree with the
/// shape are rejected too, before anything is allocated. Files may be gzip-compressed.
///
/// ```swift
/// let x = try NPYReader.read("features.npy")        // as saved by np.save
/// ```
public enum NPYReader {
    /// The magic string that starts every `.npy` file: `\x93NUMPY`.
    static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]

    /// The element types read, for messages.
    static let supportedTypes = "<f2 <f4 <f8, |i1 <i2 <i4 <i8, |u1 <u2 <u4 <u8, |b1 (or big-endian >)"

    /// Reads a `.npy` file.
    ///
    /// - Parameters:
    ///   - path: the file.
    ///   - maxBytes: the largest file and decompressed size accepted.
    /// - Returns: a tensor with the array's shape.
    ///
    /// ```swift
    /// let labels = try NPYReader.read("labels.npy")   // integers and booleans -> int64
    /// ```
    public static func read(_ path: String, maxBytes: Int = ReaderLimits.defaultMaxBytes) throws -> Tensor {
        try decode(Gzip.readMaybeCompressed(path, maxBytes: maxBytes), file: path)
    }

    /// Decodes the bytes of a `.npy` file; `file` names it in errors.
    ///
    /// ```swift
    /// let t = try NPYReader.decode(bytes, file: "inline.npy")
    /// ```
    public static func decode(_ bytes: [UInt8], file: String) throws -> Tensor {
        guard bytes.count >= 8 else {
            throw DataError(.truncated, file: file, "\(bytes.count) bytes is too short for a .npy header")
        }
        guard Array(bytes[0..<6]) == magic else {
            throw DataError(.badMagic, file: file, "does not start with \\x93NUMPY (not a .npy file)")
        }
        var cursor = ByteCursor(bytes, file: file, offset: 6)
        let major = try cursor.u8("version"), minor = try cursor.u8("version")
        let headerLength: Int
        switch major {
        case 1: headerLength = Int(try cursor.u16le("header length"))
        case 2, 3: headerLength = Int(try cursor.u32le("header length"))
        default:
            throw DataError(.unsupported, file: file, "format version \(major).\(minor) is not 1.0, 2.0 or 3.0")
        }
        guard headerLength <= cursor.remaining else {
            throw DataError(.truncated, file: file,
                            "header length \(headerLength) runs past the end of the file (\(cursor.remaining) bytes left)")
        }
        let headerBytes = try cursor.take(headerLength, "header")
        guard let headerText = String(validating: Array(headerBytes), as: UTF8.self) else {
            throw DataError(.badHeader, file: file, "the header is not valid text")
        }
        let header = try parseHeader(headerText, file: file)

        let count = try FileBytes.product(header.shape, file: file, what: "shape")
        let dataBytes = try FileBytes.byteCount(count, header.itemSize, file: file, what: "data")
        guard dataBytes <= cursor.remaining else {
            throw DataError(.truncated, file: file,
                            "shape \(header.shape) of \(header.descr) needs \(dataBytes) bytes of data, only \(cursor.remaining) follow")
        }
        guard dataBytes == cursor.remaining else {
            throw DataError(.badHeader, file: file,
                            "shape \(header.shape) of \(header.descr) needs \(dataBytes) bytes of data, but \(cursor.remaining) follow")
        }
        let start = cursor.offset
        return try bytes.withUnsafeBytes { raw in
            try convert(header, from: UnsafeRawPointer(raw.baseAddress! + start), count: count, file: file)
        }
    }

    /// What the elements of an array are.
    enum ElementKind {
        case float, signed, unsigned, bool
    }

    struct Header {
        /// The element type as written (`"<f4"`).
        let descr: String
        let kind: ElementKind
        /// Bytes per element in the file.
        let itemSize: Int
        let bigEndian: Bool
        /// The type of the tensor read.
        let dtype: DType
        let shape: [Int]
        /// Whether the data is in column-major order.
        let fortranOrder: Bool
    }

    /// Parses the Python dict literal `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }`.
    static func parseHeader(_ text: String, file: String) throws -> Header {
        var parser = PyLiteralParser(Array(text.utf8), file: file)
        let dict = try parser.parseDict()
        for key in dict.keys where !["descr", "fortran_order", "shape"].contains(key) {
            throw DataError(.badHeader, file: file, "unexpected header key '\(key)'")
        }
        guard case .string(let descr)? = dict["descr"] else {
            throw DataError(.badHeader, file: file, "the header has no 'descr' string")
        }
        guard case .bool(let fortran)? = dict["fortran_order"] else {
            throw DataError(.badHeader, file: file, "the header has no 'fortran_order' True/False")
        }
        guard case .tuple(let shape)? = dict["shape"] else {
            throw DataError(.badHeader, file: file, "the header has no 'shape' tuple")
        }
        let (kind, size, bigEndian) = try elementType(descr, file: file)
        let dtype: DType = kind != .float ? .int64 : size == 8 ? .float64 : .float32
        return Header(descr: descr, kind: kind, itemSize: size, bigEndian: bigEndian, dtype: dtype, shape: shape,
                      fortranOrder: fortran)
    }

    /// The kind, size and byte order of a `descr` such as `<f4`, `>i8` or `|u1`: a byte-order mark
    /// (`<`, `>`, or `|` for one-byte types), a kind letter and a size in bytes.
    static func elementType(_ descr: String, file: String) throws -> (ElementKind, Int, Bool) {
        let unsupported = DataError(.unsupported, file: file,
                                    "element type '\(descr)' is not supported; Gradus reads \(supportedTypes)")
        let u = Array(descr.utf8)
        guard u.count == 3 else { throw unsupported }
        let size = Int(u[2]) - Int(UInt8(ascii: "0"))  // a single digit; other sizes fail below
        let kind: ElementKind
        switch (u[1], size) {
        case (UInt8(ascii: "f"), 2), (UInt8(ascii: "f"), 4), (UInt8(ascii: "f"), 8): kind = .float
        case (UInt8(ascii: "i"), 1), (UInt8(ascii: "i"), 2), (UInt8(ascii: "i"), 4), (UInt8(ascii: "i"), 8): kind = .signed
        case (UInt8(ascii: "u"), 1), (UInt8(ascii: "u"), 2), (UInt8(ascii: "u"), 4), (UInt8(ascii: "u"), 8): kind = .unsigned
        case (UInt8(ascii: "b"), 1): kind = .bool
        default: throw unsupported
        }
        // One-byte types have no byte order ('|'); NumPy never writes '|' for wider ones.
        switch u[0] {
        case UInt8(ascii: "<"): return (kind, size, false)
        case UInt8(ascii: ">"): return (kind, size, true)
        case UInt8(ascii: "|") where size == 1: return (kind, size, false)
        default: throw unsupported
        }
    }

    /// The tensor holding the `count` elements at `src`, converted from the header's type, byte order
    /// and memory order.
    static func convert(_ h: Header, from src: UnsafeRawPointer, count: Int, file: String) throws -> Tensor {
        let big = h.bigEndian
        func byte(_ i: Int) -> UInt8 { src.load(fromByteOffset: i, as: UInt8.self) }
        func bits16(_ i: Int) -> UInt16 {
            let v = src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)
            return big ? UInt16(bigEndian: v) : UInt16(littleEndian: v)
        }
        func bits32(_ i: Int) -> UInt32 {
            let v = src.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)
            return big ? UInt32(bigEndian: v) : UInt32(littleEndian: v)
        }
        func bits64(_ i: Int) -> UInt64 {
            let v = src.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)
            return big ? UInt64(bigEndian: v) : UInt64(littleEndian: v)
        }
        if h.kind == .unsigned && h.itemSize == 8 {
            // Before allocating: every value must fit in int64.
            for i in 0..<count where bits64(i) > UInt64(Int64.max) {
                throw DataError(.unsupported, file: file,
                                "element \(i) of the \(h.descr) data is \(bits64(i)), above the int64 maximum \(Int64.max)")
            }
        }
        try FileBytes.checkDecoded(count, h.dtype, file: file, what: "the array of shape \(h.shape)")
        let out = Tensor(uninitializedShape: h.shape, dtype: h.dtype)
        let shape = h.shape, fortran = h.fortranOrder && h.shape.count > 1
        if !fortran && !big && h.itemSize == h.dtype.byteSize {
            // <f4, <f8, <i8 (and <u8, checked above) in C order are the tensor's bytes already: the
            // host is little-endian on every platform Gradus runs on.
            out.rawPointer.copyMemory(from: src, byteCount: count * h.itemSize)
            return out
        }
        /// Stores `element(i)` of every element i of the file at its place in C order.
        func fill<T>(_: T.Type, _ element: (Int) -> T) {
            let p = out.pointer(T.self)
            guard fortran else {
                for i in 0..<count { p[i] = element(i) }
                return
            }
            // The file runs the first axis fastest: walk the multi-index that way and keep the C-order
            // offset alongside.
            var strides = [Int](repeating: 1, count: shape.count)
            for axis in stride(from: shape.count - 2, through: 0, by: -1) { strides[axis] = strides[axis + 1] * shape[axis + 1] }
            var index = [Int](repeating: 0, count: shape.count)
            var offset = 0
            for i in 0..<count {
                p[offset] = element(i)
                var axis = 0
                while axis < shape.count {
                    index[axis] += 1
                    offset += strides[axis]
                    if index[axis] < shape[axis] { break }
                    offset -= strides[axis] * shape[axis]
                    index[axis] = 0
                    axis += 1
                }
            }
        }
        switch (h.kind, h.itemSize) {
        case (.float, 2): fill(Float.self) { Float(Float16(bitPattern: bits16($0))) }
        case (.float, 4): fill(Float.self) { Float(bitPattern: bits32($0)) }
        case (.float, 8): fill(Double.self) { Double(bitPattern: bits64($0)) }
        case (.signed, 1): fill(Int64.self) { Int64(Int8(bitPattern: byte($0))) }
        case (.signed, 2): fill(Int64.self) { Int64(Int16(bitPattern: bits16($0))) }
        case (.signed, 4): fill(Int64.self) { Int64(Int32(bitPattern: bits32($0))) }
        case (.signed, 8): fill(Int64.self) { Int64(bitPattern: bits64($0)) }
        case (.unsigned, 1): fill(Int64.self) { Int64(byte($0)) }
        case (.unsigned, 2): fill(Int64.self) { Int64(bits16($0)) }
        case (.unsigned, 4): fill(Int64.self) { Int64(bits32($0)) }
        case (.unsigned, 8): fill(Int64.self) { Int64(bitPattern: bits64($0)) }  // checked above
        case (.bool, 1): fill(Int64.self) { byte($0) != 0 ? 1 : 0 }
        default:
            throw DataError(.unsupported, file: file, "element type '\(h.descr)' is not supported; Gradus reads \(supportedTypes)")
        }
        return out
    }
}

/// The few Python literals a `.npy` header uses: strings, True/False, tuples of integers, a dict.
struct PyLiteralParser {
    enum Value { case string(String), bool(Bool), tuple([Int]) }

    let bytes: [UInt8]
    let file: String
    var i = 0

    init(_ bytes: [UInt8], file: String) {
        self.bytes = bytes
        self.file = file
    }

    func fail(_ what: String) -> DataError {
        DataError(.badHeader, file: file, "malformed header at character \(i): \(what)")
    }

    mutating func skipSpace() {
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x09 || bytes[i] == 0x0D { i += 1 }
    }

    mutating func expect(_ c: UInt8) throws {
        skipSpace()
        guard i < bytes.count, bytes[i] == c else { throw fail("expected '\(Character(Unicode.Scalar(c)))'") }
        i += 1
    }

    mutating func peek() -> UInt8? {
        skipSpace()
        return i < bytes.count ? bytes[i] : nil
    }

    mutating func parseString() throws -> String {
        skipSpace()
        guard i < bytes.count, bytes[i] == 0x27 || bytes[i] == 0x22 else { throw fail("expected a quoted string") }
        let quote = bytes[i]
        i += 1
        let start = i
        while i < bytes.count, bytes[i] != quote {
            guard bytes[i] != 0x5C else { throw fail("escapes in strings are not supported") }
            i += 1
        }
        guard i < bytes.count else { throw fail("unterminated string") }
        defer { i += 1 }
        return String(decoding: bytes[start..<i], as: UTF8.self)
    }

    mutating func parseInt() throws -> Int {
        skipSpace()
        var value = 0
        let start = i
        while i < bytes.count, bytes[i] >= 0x30 && bytes[i] <= 0x39 {
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(Int(bytes[i] - 0x30))
            guard !o1 && !o2 else { throw DataError(.overflow, file: file, "a dimension in the header's shape overflows") }
            value = a
            i += 1
        }
        guard i > start else { throw fail("expected a non-negative integer") }
        if i < bytes.count, bytes[i] == 0x4C { i += 1 }  // Python 2's 'L' suffix
        return value
    }

    mutating func parseValue() throws -> Value {
        switch peek() {
        case 0x27, 0x22: return .string(try parseString())
        case 0x28:
            i += 1
            var items: [Int] = []
            while true {
                if peek() == 0x29 { i += 1; break }
                items.append(try parseInt())
                let c = peek()
                if c == 0x2C { i += 1 } else if c == 0x29 { i += 1; break } else { throw fail("expected ',' or ')' in the shape") }
            }
            return .tuple(items)
        default:
            if bytes[i...].starts(with: Array("True".utf8)) { i += 4; return .bool(true) }
            if bytes[i...].starts(with: Array("False".utf8)) { i += 5; return .bool(false) }
            throw fail("expected a string, a tuple, True or False")
        }
    }

    mutating func parseDict() throws -> [String: Value] {
        try expect(0x7B)
        var dict: [String: Value] = [:]
        while true {
            if peek() == 0x7D { i += 1; break }
            let key = try parseString()
            try expect(0x3A)
            guard dict[key] == nil else { throw fail("duplicate key '\(key)'") }
            dict[key] = try parseValue()
            let c = peek()
            if c == 0x2C { i += 1 } else if c == 0x7D { i += 1; break } else { throw fail("expected ',' or '}'") }
        }
        skipSpace()
        guard i == bytes.count else { throw fail("unexpected text after the header dict") }
        return dict
    }
}
