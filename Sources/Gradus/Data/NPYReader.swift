/// A reader of NumPy `.npy` files (format versions 1, 2 and 3).
///
/// Supported element types: `<f4` (→ float32), `<f8` (→ float64), `<i8` and `|u1` (→ int64), in C
/// order. Fortran-ordered arrays, big-endian and other element types are rejected with a
/// ``DataError`` of kind `.unsupported`; malformed headers and data lengths that disagree with the
/// shape are rejected too. Files may be gzip-compressed.
///
/// ```swift
/// let x = try NPYReader.read("features.npy")        // as saved by np.save
/// ```
public enum NPYReader {
    /// The magic string that starts every `.npy` file: `\x93NUMPY`.
    static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]

    /// Reads a `.npy` file.
    ///
    /// - Parameters:
    ///   - path: the file.
    ///   - maxBytes: the largest file and decompressed size accepted.
    /// - Returns: a tensor with the array's shape.
    ///
    /// ```swift
    /// let labels = try NPYReader.read("labels.npy")   // |u1 or <i8 -> int64
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
        let out = Tensor(uninitializedShape: header.shape, dtype: header.dtype)
        let start = cursor.offset
        bytes.withUnsafeBytes { raw in
            let src = raw.baseAddress! + start
            if header.descr == "|u1" {
                let p = out.pointer(Int64.self)
                let u = src.assumingMemoryBound(to: UInt8.self)
                for i in 0..<count { p[i] = Int64(u[i]) }
            } else {
                // Little-endian on every platform Gradus runs on: a straight copy.
                out.storage.pointer.copyMemory(from: src, byteCount: dataBytes)
            }
        }
        return out
    }

    struct Header {
        let descr: String
        let dtype: DType
        let itemSize: Int
        let shape: [Int]
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
        guard !fortran else {
            throw DataError(.unsupported, file: file,
                            "the array is in Fortran (column-major) order; save it with np.ascontiguousarray first")
        }
        let types: [String: (DType, Int)] = ["<f4": (.float32, 4), "<f8": (.float64, 8), "<i8": (.int64, 8), "|u1": (.int64, 1)]
        guard let (dtype, size) = types[descr] else {
            throw DataError(.unsupported, file: file, "element type '\(descr)' is not one of <f4, <f8, <i8, |u1")
        }
        return Header(descr: descr, dtype: dtype, itemSize: size, shape: shape)
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
