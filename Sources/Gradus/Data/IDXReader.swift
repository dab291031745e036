/// A reader of IDX files, the format of MNIST: a big-endian header (two zero bytes, an element type
/// code, the number of dimensions, then each dimension as a `UInt32`) followed by the elements.
///
/// Files may be gzip-compressed (detected by the gzip magic bytes). Every header claim is checked
/// against the file before memory is allocated.
///
/// ```swift
/// let images = try IDXReader.read("t10k-images-idx3-ubyte.gz", dtype: .float32, scale: 1.0 / 255)
/// let labels = try IDXReader.read("t10k-labels-idx1-ubyte.gz")          // int64
/// ```
public enum IDXReader {
    /// The element types an IDX header can announce.
    public enum ElementType: UInt8, Sendable, CaseIterable {
        /// Unsigned byte (code 0x08), the type of MNIST.
        case uint8 = 0x08
        /// Signed byte (0x09).
        case int8 = 0x09
        /// Big-endian 16-bit integer (0x0B).
        case int16 = 0x0B
        /// Big-endian 32-bit integer (0x0C).
        case int32 = 0x0C
        /// Big-endian 32-bit float (0x0D).
        case float32 = 0x0D
        /// Big-endian 64-bit float (0x0E).
        case float64 = 0x0E

        /// Bytes per element.
        public var byteSize: Int {
            switch self {
            case .uint8, .int8: return 1
            case .int16: return 2
            case .int32, .float32: return 4
            case .float64: return 8
            }
        }

        /// The tensor type that holds this element type exactly: `int64` for integers.
        public var naturalDType: DType {
            switch self {
            case .float32: return .float32
            case .float64: return .float64
            default: return .int64
            }
        }
    }

    /// The decoded header of an IDX file.
    public struct Header: Sendable, Equatable {
        /// The element type.
        public let elementType: ElementType
        /// The dimensions, outermost first.
        public let shape: [Int]
        /// The 32-bit magic number (`0x0000_0803` = 2051 for MNIST images, 2049 for labels).
        public var magic: UInt32 { UInt32(elementType.rawValue) << 8 | UInt32(shape.count) }
    }

    /// Reads an IDX file (raw or gzip) into a tensor.
    ///
    /// - Parameters:
    ///   - path: the file.
    ///   - dtype: the tensor type; `nil` picks `int64` for integer files and the float type otherwise.
    ///     Integer tensors cannot be scaled.
    ///   - scale: a factor applied to every element of a floating-point result (`1/255` for pixels).
    ///   - expect: when given, the header's element type and rank must match (MNIST: 2051 or 2049).
    ///   - maxBytes: the largest file and decompressed size accepted.
    /// - Returns: a tensor with the file's shape.
    ///
    /// ```swift
    /// let x = try IDXReader.read(path, dtype: .float32, scale: 1.0 / 255)
    /// ```
    public static func read(_ path: String, dtype: DType? = nil, scale: Double = 1,
                            expect: (type: ElementType, rank: Int)? = nil,
                            maxBytes: Int = ReaderLimits.defaultMaxBytes) throws -> Tensor {
        let bytes = try Gzip.readMaybeCompressed(path, maxBytes: maxBytes)
        return try decode(bytes, file: path, dtype: dtype, scale: scale, expect: expect)
    }

    /// Decodes the bytes of an (uncompressed) IDX file; `file` names it in errors.
    ///
    /// ```swift
    /// let t = try IDXReader.decode(bytes, file: "labels.idx")
    /// ```
    public static func decode(_ bytes: [UInt8], file: String, dtype: DType? = nil, scale: Double = 1,
                              expect: (type: ElementType, rank: Int)? = nil) throws -> Tensor {
        var cursor = ByteCursor(bytes, file: file)
        let header = try parseHeader(&cursor)
        if let e = expect, e.type != header.elementType || e.rank != header.shape.count {
            let want = UInt32(e.type.rawValue) << 8 | UInt32(truncatingIfNeeded: e.rank & 0xFF)
            throw DataError(.badMagic, file: file,
                            "magic number \(header.magic) (\(header.elementType), rank \(header.shape.count)), expected \(want) (\(e.type), rank \(e.rank))")
        }
        let count = try FileBytes.product(header.shape, file: file, what: "IDX shape")
        let dataBytes = try FileBytes.byteCount(count, header.elementType.byteSize, file: file, what: "IDX data")
        guard dataBytes <= cursor.remaining else {
            throw DataError(.truncated, file: file,
                            "header announces shape \(header.shape) (\(dataBytes) bytes of data), but only \(cursor.remaining) bytes follow")
        }
        guard dataBytes == cursor.remaining else {
            throw DataError(.badHeader, file: file,
                            "header announces shape \(header.shape) (\(dataBytes) bytes of data), but \(cursor.remaining) bytes follow")
        }
        let outType = dtype ?? header.elementType.naturalDType
        try require(outType.isFloatingPoint || scale == 1, "IDXReader.read: cannot scale an int64 tensor (scale \(scale))", .dtypeMismatch)
        if outType == .int64 && (header.elementType == .float32 || header.elementType == .float64) {
            throw DataError(.unsupported, file: file, "cannot read \(header.elementType) elements as int64")
        }
        try FileBytes.checkDecoded(count, outType, file: file, what: "the IDX data of shape \(header.shape)")
        let out = Tensor(uninitializedShape: header.shape, dtype: outType)
        let start = cursor.offset
        bytes.withUnsafeBytes { raw in
            let src = raw.baseAddress! + start
            func element(_ i: Int) -> Double {
                switch header.elementType {
                case .uint8: return Double(src.load(fromByteOffset: i, as: UInt8.self))
                case .int8: return Double(src.load(fromByteOffset: i, as: Int8.self))
                case .int16: return Double(Int16(bitPattern: UInt16(bigEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))))
                case .int32: return Double(Int32(bitPattern: UInt32(bigEndian: src.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))))
                case .float32: return Double(Float(bitPattern: UInt32(bigEndian: src.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))))
                case .float64: return Double(bitPattern: UInt64(bigEndian: src.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)))
                }
            }
            switch outType {
            case .float32:
                let p = out.pointer(Float.self)
                if header.elementType == .uint8 {
                    // The MNIST case: a fast path without the generic switch per element.
                    let s = Float(scale)
                    let u = src.assumingMemoryBound(to: UInt8.self)
                    for i in 0..<count { p[i] = Float(u[i]) * s }
                } else {
                    for i in 0..<count { p[i] = Float(element(i) * scale) }
                }
            case .float64:
                let p = out.pointer(Double.self)
                for i in 0..<count { p[i] = element(i) * scale }
            case .int64:
                let p = out.pointer(Int64.self)
                for i in 0..<count { p[i] = Int64(element(i)) }
            }
        }
        return out
    }

    /// Parses the magic number and dimensions.
    static func parseHeader(_ cursor: inout ByteCursor) throws -> Header {
        let file = cursor.file
        guard cursor.remaining >= 4 else {
            throw DataError(.truncated, file: file, "\(cursor.remaining) bytes is too short for an IDX magic number")
        }
        let z0 = try cursor.u8("magic"), z1 = try cursor.u8("magic")
        let code = try cursor.u8("magic"), rank = try cursor.u8("magic")
        let magic = UInt32(z0) << 24 | UInt32(z1) << 16 | UInt32(code) << 8 | UInt32(rank)
        let hex = "0x" + String(magic, radix: 16, uppercase: true)
        guard z0 == 0, z1 == 0 else {
            throw DataError(.badMagic, file: file, "magic number \(hex) does not start with two zero bytes (not an IDX file)")
        }
        guard let type = ElementType(rawValue: code) else {
            throw DataError(.badMagic, file: file, "magic number \(hex) names unknown element type code 0x\(String(code, radix: 16))")
        }
        guard rank >= 1 else { throw DataError(.badHeader, file: file, "magic number \(hex) announces zero dimensions") }
        var shape: [Int] = []
        for d in 0..<Int(rank) {
            guard cursor.remaining >= 4 else {
                throw DataError(.truncated, file: file, "header ends before dimension \(d + 1) of \(rank)")
            }
            shape.append(Int(try cursor.u32be("dimension")))
        }
        return Header(elementType: type, shape: shape)
    }
}
