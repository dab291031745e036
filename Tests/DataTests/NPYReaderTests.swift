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
    @Test func readsEverySupportedDtype() throws {
        let expected = try Fixtures.decode(ExpectedFixtures.self, "data/expected.json")
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

    @Test func rejectsUnsupportedLayouts() {
        expectDataError(.unsupported, file: "npy_fortran.npy", mentions: ["Fortran"]) { _ = try NPYReader.read(fixturePath("npy_fortran.npy")) }
        expectDataError(.unsupported, file: "npy_bigendian.npy", mentions: [">f4"]) { _ = try NPYReader.read(fixturePath("npy_bigendian.npy")) }
        let complex = npyBytes("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", data: Array(repeating: 0, count: 8))
        expectDataError(.unsupported, file: "c.npy", mentions: ["<c8"]) { _ = try NPYReader.decode(complex, file: "c.npy") }
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
