import Gradus
import GradusTestSupport
import Testing

/// A version-1 .npy file with `header` (padded with spaces and a newline) followed by `data`.
func npyBytes(_ header: String, data: [UInt8], headerLength: Int? = nil) -> [UInt8] {
    var h = Array(header.utf8)
    while (10 + h.count + 1) % 64 != 0 { h.append(0x20) }
    h.append(0x0A)
    let n = headerLength ?? h.count
    return [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(n & 0xFF), UInt8(n >> 8)] + h + data
}

/// The offset of a zip archive's end-of-central-directory record.
func endOfCentralDirectory(_ b: [UInt8]) -> Int {
    (0...(b.count - 22)).reversed().first { b[$0] == 0x50 && b[$0 + 1] == 0x4B && b[$0 + 2] == 5 && b[$0 + 3] == 6 }!
}

func readU32(_ b: [UInt8], _ at: Int) -> Int { Int(b[at]) | Int(b[at + 1]) << 8 | Int(b[at + 2]) << 16 | Int(b[at + 3]) << 24 }

func setU32(_ b: inout [UInt8], _ at: Int, _ v: UInt32) {
    for k in 0..<4 { b[at + k] = UInt8((v >> (8 * UInt32(k))) & 0xFF) }
}

@Suite struct NPYReaderTests {
    /// Every array of expected.json (written by scripts/make_io_fixtures.py with NumPy) reads back with
    /// its dtype, shape and values: <f2 <f4 <f8, |i1 <i2 <i4 <i8, |u1 <u2 <u4 <u8, |b1, big-endian
    /// floats and integers, and Fortran-ordered arrays (npy_fortran*.npy), which come back in C order.
    @Test func readsEverySupportedDtype() throws {
        let expected = try Fixtures.decode(ExpectedFixtures.self, "data/expected.json")
        #expect(expected.npy.count >= 24)
        for (name, want) in expected.npy {
            let t = try NPYReader.read(fixturePath("npy_\(name).npy"))
            #expect(t.dtype == want.tensor().dtype, "dtype of \(name)")
            #expect(mismatch(t, want.tensor(), rtol: 0, atol: 0) == nil, "values of \(name)")
        }
        for version in [2, 3] {
            let t = try NPYReader.read(fixturePath("npy_v\(version).npy"))
            #expect(mismatch(t, expected.npy["f4"]!.tensor(), rtol: 0, atol: 0) == nil)
        }
    }

    /// The new types and layouts, checked against values written in the script (not only expected.json).
    @Test func readsIntegersBooleansHalvesBigEndianAndFortranOrder() throws {
        let i4 = try NPYReader.read(fixturePath("npy_i4.npy"))
        #expect(i4.dtype == .int64 && i4.shape == [2, 3])
        #expect(i4.intScalars == [-2_147_483_648, -1, 0, 1, 7, 2_147_483_647])
        #expect(try NPYReader.read(fixturePath("npy_i2.npy")).intScalars == [-32768, -2, 0, 3, 32767])
        #expect(try NPYReader.read(fixturePath("npy_i1.npy")).intScalars == [-128, -1, 0, 127])
        #expect(try NPYReader.read(fixturePath("npy_u2.npy")).intScalars == [0, 1, 300, 65535])
        #expect(try NPYReader.read(fixturePath("npy_u4.npy")).intScalars == [0, 123456, 2_147_483_648, 4_294_967_295])
        #expect(try NPYReader.read(fixturePath("npy_u8.npy")).intScalars == [0, 5, 1 << 53, 1 << 62])
        let b1 = try NPYReader.read(fixturePath("npy_b1.npy"))
        #expect(b1.dtype == .int64 && b1.shape == [2, 3] && b1.intScalars == [1, 0, 1, 0, 0, 1])
        let f2 = try NPYReader.read(fixturePath("npy_f2.npy"))
        #expect(f2.dtype == .float32 && f2.scalars() == [0.5, -1.25, 65504, 0x1p-24, 0])
        #expect(try NPYReader.read(fixturePath("npy_f2_be.npy")).scalars() == [0.5, -1.25, 65504])
        #expect(try NPYReader.read(fixturePath("npy_bigendian.npy")).scalars() == [0, 1, 2])
        #expect(try NPYReader.read(fixturePath("npy_i4_be.npy")).intScalars == [-2_147_483_648, -1, 0, 65536, 2_147_483_647])
        #expect(try NPYReader.read(fixturePath("npy_i2_be.npy")).intScalars == [-32768, 258, -2, 32767])
        #expect(try NPYReader.read(fixturePath("npy_i8_be.npy")).intScalars == [-(1 << 40), 1, 1 << 62])
        #expect(try NPYReader.read(fixturePath("npy_u4_be.npy")).intScalars == [1, 4_294_967_295])
        let f8 = try NPYReader.read(fixturePath("npy_f8_be.npy"))
        #expect(f8.dtype == .float64 && f8.scalars(as: Double.self) == [1.5, -0.1, 1e300, -2.5e-300])
        // np.arange(24).reshape(2, 3, 4) * 0.5 - 3 saved in Fortran order: element [a, b, c] is
        // (12a + 4b + c) / 2 - 3 in C order.
        let cube = try NPYReader.read(fixturePath("npy_fortran3d.npy"))
        #expect(cube.dtype == .float64 && cube.shape == [2, 3, 4])
        #expect(cube.scalars(as: Double.self) == (0..<24).map { Double($0) * 0.5 - 3 })
        let fi8 = try NPYReader.read(fixturePath("npy_fortran_i8.npy"))
        #expect(fi8.shape == [2, 3] && fi8.intScalars == (0..<6).map { $0 * 1000 - (1 << 40) })
        let fbe = try NPYReader.read(fixturePath("npy_fortran_be.npy"))
        #expect(fbe.dtype == .int64 && fbe.shape == [3, 4] && fbe.intScalars == (0..<12).map { $0 - 5 })
    }

    /// Bytes written here: a Fortran-ordered big-endian int16 [2, 3] (column-major file order
    /// 1 4 2 5 3 6), booleans stored as other non-zero bytes, and a short <i2 file.
    @Test func decodesHandWrittenLayouts() throws {
        let columns: [Int16] = [1, 4, 2, 5, 3, -6]
        let data = columns.flatMap { v in [UInt8(UInt16(bitPattern: v) >> 8), UInt8(UInt16(bitPattern: v) & 0xFF)] }
        let f = try NPYReader.decode(npyBytes("{'descr': '>i2', 'fortran_order': True, 'shape': (2, 3), }", data: data),
                                     file: "f.npy")
        #expect(f.shape == [2, 3] && f.intScalars == [1, 2, 3, 4, 5, -6])
        // Fortran order of one dimension is C order.
        let line = try NPYReader.decode(npyBytes("{'descr': '<i4', 'fortran_order': True, 'shape': (2,), }",
                                                 data: [1, 0, 0, 0, 0xFE, 0xFF, 0xFF, 0xFF]), file: "line.npy")
        #expect(line.intScalars == [1, -2])
        let empty = try NPYReader.decode(npyBytes("{'descr': '<i2', 'fortran_order': True, 'shape': (0, 3), }", data: []),
                                         file: "empty.npy")
        #expect(empty.shape == [0, 3] && empty.dtype == .int64)
        let flags = try NPYReader.decode(npyBytes("{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }", data: [0, 1, 2]),
                                         file: "b.npy")
        #expect(flags.intScalars == [0, 1, 1])
        let short = npyBytes("{'descr': '<i2', 'fortran_order': False, 'shape': (3,), }", data: [1, 0, 2, 0, 3])
        expectDataError(.truncated, file: "short.npy", mentions: ["needs 6 bytes"]) { _ = try NPYReader.decode(short, file: "short.npy") }
    }

    @Test func rejectsUnsupportedTypes() {
        let complex = npyBytes("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", data: Array(repeating: 0, count: 8))
        expectDataError(.unsupported, file: "c.npy", mentions: ["<c8"]) { _ = try NPYReader.decode(complex, file: "c.npy") }
        for descr in [">c16", "<U3", "|V8", "|O", "|f4", "<i3", "<f16", "<b2", ""] {
            let bytes = npyBytes("{'descr': '\(descr)', 'fortran_order': False, 'shape': (1,), }", data: Array(repeating: 0, count: 4))
            expectDataError(.unsupported, file: "t.npy", mentions: ["'\(descr)'", "<i4"]) { _ = try NPYReader.decode(bytes, file: "t.npy") }
        }
        // A <u8 value that int64 cannot hold is named, with its place.
        expectDataError(.unsupported, file: "npy_u8_overflow.npy", mentions: ["element 1", "9223372036854775808", "<u8"]) {
            _ = try NPYReader.read(fixturePath("npy_u8_overflow.npy"))
        }
        var v9 = npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", data: [0, 0, 0, 0])
        v9[6] = 9
        expectDataError(.unsupported, file: "v9.npy", mentions: ["version 9"]) { _ = try NPYReader.decode(v9, file: "v9.npy") }
    }

    @Test func rejectsMalformedFiles() throws {
        let good = try fixtureBytes("npy_f4.npy")
        expectDataError(.truncated, file: "cut.npy", mentions: ["needs 24 bytes"]) { _ = try NPYReader.decode(Array(good.dropLast(3)), file: "cut.npy") }
        expectDataError(.badHeader, file: "long.npy", mentions: ["needs 24 bytes", "28 follow"]) {
            _ = try NPYReader.decode(good + [1, 2, 3, 4], file: "long.npy")
        }
        var magic = good
        magic[1] = 0x41
        expectDataError(.badMagic, file: "magic.npy") { _ = try NPYReader.decode(magic, file: "magic.npy") }
        expectDataError(.truncated, file: "tiny.npy") { _ = try NPYReader.decode([0x93, 0x4E], file: "tiny.npy") }
        let lying = npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", data: [0, 0, 0, 0], headerLength: 60000)
        expectDataError(.truncated, file: "lying.npy", mentions: ["header length 60000"]) { _ = try NPYReader.decode(lying, file: "lying.npy") }
        let overflow = npyBytes("{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296, 4294967296), }", data: [])
        expectDataError(.overflow, file: "huge.npy") { _ = try NPYReader.decode(overflow, file: "huge.npy") }
        let digits = npyBytes("{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999999,), }", data: [])
        expectDataError(.overflow, file: "digits.npy") { _ = try NPYReader.decode(digits, file: "digits.npy") }
        for (name, header) in [("nodescr", "{'fortran_order': False, 'shape': (1,), }"),
                               ("garbage", "{'descr': '<f4', 'fortran_order': Maybe, 'shape': (1,), }"),
                               ("notdict", "['descr']"),
                               ("extra", "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 'y', }"),
                               ("dup", "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (1,), }")] {
            let bytes = npyBytes(header, data: [0, 0, 0, 0])
            expectDataError(.badHeader, file: name) { _ = try NPYReader.decode(bytes, file: name) }
        }
        let folder = try temporaryFolder()
        let path = try writeFile(folder, "big.npy", good)
        expectDataError(.tooLarge, file: "big.npy") { _ = try NPYReader.read(path, maxBytes: 100) }
    }

    @Test func readsStoredAndDeflatedNPZ() throws {
        let expected = try Fixtures.decode(ExpectedFixtures.self, "data/expected.json")
        for archive in ["arrays.npz", "arrays_compressed.npz"] {
            let arrays = try NPZReader.read(fixturePath(archive))
            #expect(Set(arrays.keys) == ["x", "y", "pixels"], "keys of \(archive)")
            #expect(mismatch(arrays["x"]!, expected.npy["f4"]!.tensor(), rtol: 0, atol: 0) == nil)
            #expect(arrays["y"]!.intScalars == expected.npy["i8"]!.data.map { Int($0) })
            #expect(arrays["pixels"]!.shape == [2, 2, 2] && arrays["pixels"]!.intScalars == expected.npy["u1"]!.data.map { Int($0) })
        }
        // NPZ entries go through NPYReader: int32 and a Fortran-ordered float64 array.
        let types = try NPZReader.read(fixturePath("arrays_types.npz"))
        #expect(Set(types.keys) == ["counts", "cube"])
        #expect(mismatch(types["counts"]!, expected.npy["i4"]!.tensor(), rtol: 0, atol: 0) == nil)
        #expect(types["counts"]!.dtype == .int64)
        #expect(mismatch(types["cube"]!, expected.npy["fortran3d"]!.tensor(), rtol: 0, atol: 0) == nil)
        let zip = try ZipArchive(bytes: fixtureBytes("arrays_compressed.npz"), file: "arrays_compressed.npz")
        #expect(zip.names == ["x.npy", "y.npy", "pixels.npy"] && zip.entries.allSatisfy { $0.method == 8 })
    }

    @Test func rejectsBrokenArchives() throws {
        let stored = try fixtureBytes("arrays.npz")
        let compressed = try fixtureBytes("arrays_compressed.npz")
        let folder = try temporaryFolder()
        func check(_ kind: DataError.Kind, _ name: String, _ bytes: [UInt8], mentions: [String] = [],
                   sourceLocation: SourceLocation = #_sourceLocation) throws {
            let path = try writeFile(folder, name, bytes)
            expectDataError(kind, file: name, mentions: mentions, sourceLocation: sourceLocation) { _ = try NPZReader.read(path) }
        }
        let e = endOfCentralDirectory(stored)
        let cd = readU32(stored, e + 16)

        var badDirectory = stored
        setU32(&badDirectory, e + 16, 0xFFFF_FF00)
        try check(.badHeader, "cd.npz", badDirectory, mentions: ["central directory"])
        var badLocal = stored
        setU32(&badLocal, cd + 42, UInt32(stored.count - 10))
        try check(.badHeader, "local.npz", badLocal, mentions: ["local file header"])
        var farLocal = stored
        setU32(&farLocal, cd + 42, 0x7FFF_FFF0)
        try check(.badHeader, "far.npz", farLocal, mentions: ["beyond the archive"])
        var longEntry = stored
        setU32(&longEntry, cd + 20, UInt32(stored.count - 1))
        try check(.truncated, "long.npz", longEntry, mentions: ["past the end"])
        var crc = stored
        crc[cd + 16] ^= 0xFF
        try check(.corrupt, "crc.npz", crc, mentions: ["CRC"])
        var method = stored
        method[cd + 10] = 12
        try check(.unsupported, "method.npz", method, mentions: ["method 12"])
        var count = stored
        count[e + 10] = 200
        try check(.badHeader, "count.npz", count, mentions: ["entries"])
        try check(.truncated, "cut.npz", Array(stored.dropLast(30)), mentions: ["truncated"])
        try check(.badMagic, "notzip.npz", try fixtureBytes("npy_f4.npy"))
        var deflated = compressed
        deflated[60] ^= 0x55
        try check(.corrupt, "deflate.npz", deflated)
    }
}
