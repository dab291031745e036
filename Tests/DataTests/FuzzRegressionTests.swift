import Foundation
import Gradus
import GradusTestSupport
import Testing

// Inputs found by the libFuzzer targets (scripts/fuzz.sh, docs/fuzzing.md) that once crashed a reader
// or made it allocate from an unchecked size. Each is committed under
// Tests/Fixtures/fuzz-regressions/<target>/ and must now be rejected with a thrown DataError that
// names the file; a regression traps (or exhausts memory) and fails the whole test run.

/// The files of `Tests/Fixtures/fuzz-regressions/<target>/`, sorted.
func fuzzRegressionFiles(_ target: String) -> [String] {
    let folder = Fixtures.directory.appendingPathComponent("fuzz-regressions/" + target)
    let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
    return names.sorted().map { folder.appendingPathComponent($0).path }
}

/// Runs `body` and returns the DataError it throws, recording an issue when it throws nothing or
/// another type, or when the error does not name `path`.
@discardableResult
func expectRejected(_ path: String, sourceLocation: SourceLocation = #_sourceLocation,
                    _ body: () throws -> Void) -> DataError? {
    do {
        try body()
        Issue.record("\(path): malformed input was accepted", sourceLocation: sourceLocation)
    } catch let error as DataError {
        #expect(error.file.hasPrefix(path), "error does not name the file: \(error)", sourceLocation: sourceLocation)
        #expect(!error.message.isEmpty, sourceLocation: sourceLocation)
        return error
    } catch {
        Issue.record("\(path): expected a DataError, got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}

@Suite("Fuzz regressions")
struct FuzzRegressionTests {
    @Test("the committed crash inputs exist")
    func inputsExist() {
        #expect(fuzzRegressionFiles("npz").count >= 1)
    }

    /// NPZ: deflated entries whose central directory claims up to 4 GB of decompressed data; the
    /// inflater reserved the claimed size before inflating anything (malloc of 0.5-4.3 GB). Some of
    /// these entries are `.npy` arrays (read by `NPZReader`), others only reachable through
    /// `ZipArchive.read` (NPZReader skips entries that are not `.npy`): every path must throw or
    /// succeed, and the lying entry must be rejected by the ratio check.
    @Test("npz: claimed decompressed sizes are checked before they size a buffer",
          arguments: fuzzRegressionFiles("npz"))
    func npzRegressions(_ path: String) throws {
        var errors: [DataError] = []
        func attempt(_ what: String, _ body: () throws -> Void) {
            do {
                try body()
            } catch let error as DataError {
                #expect(error.file.hasPrefix(what), "error does not name \(what): \(error)")
                errors.append(error)
            } catch {
                Issue.record("\(what): expected a DataError, got \(error)")
            }
        }
        attempt(path) { _ = try NPZReader.read(path) }
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        attempt("inline.npz") { _ = try NPZReader.decode(bytes, file: "inline.npz") }
        if let zip = try? ZipArchive(bytes: bytes, file: "inline.zip") {
            for name in zip.names { attempt("inline.zip/" + name) { _ = try zip.read(name) } }
        }
        #expect(errors.contains { $0.kind == .badHeader && $0.message.contains("inflate to at most") },
                "no entry was rejected by the deflate ratio check: \(errors)")
    }

    @Test("npz: an entry claiming more than deflate's 1032:1 ratio is rejected as a bad header")
    func npzImpossibleRatio() {
        // One deflated entry holding a final stored block of 3 bytes, but claiming 3 000 000 000.
        let data: [UInt8] = [0x01, 0x03, 0x00, 0xFC, 0xFF, 0x61, 0x62, 0x63]
        let archive = oneEntryZip(name: "x.npy", method: 8, data: data, uncompressedSize: 3_000_000_000)
        let error = expectRejected("claim.npz") { _ = try NPZReader.decode(archive, file: "claim.npz") }
        #expect(error?.kind == .badHeader)
        #expect(error?.file == "claim.npz/x.npy")
        #expect(error?.message.contains("3000000000") == true)
        #expect(error?.message.contains("at most \(8 * 1032 + 1032)") == true)
    }

    @Test("npz: an entry deflated close to the 1032:1 limit still reads")
    func npzMaxRatioStillReads() throws {
        let arrays = try NPZReader.read(Fixtures.directory.appendingPathComponent("fuzz-regressions/valid/max-ratio.npz").path)
        let z = try #require(arrays["z"])
        #expect(z.shape == [4_000_000])
        #expect(z.dtype == .int64)
        #expect(z.intScalars.allSatisfy { $0 == 0 })
    }

    @Test("npz: sizes and offsets held only in ZIP64 fields read")
    func npzZip64() throws {
        let arrays = try NPZReader.read(Fixtures.directory.appendingPathComponent("fuzz-regressions/valid/zip64-full.npz").path)
        #expect(arrays.keys.sorted() == ["v"])
        #expect(arrays["v"]?.intScalars == [0, 1, 2])
    }
}

/// A zip archive of one entry with the given method, raw entry bytes and claimed uncompressed size
/// (the CRC-32 field is left 0: these archives must be rejected before the CRC is checked).
func oneEntryZip(name: String, method: UInt16, data: [UInt8], uncompressedSize: UInt32) -> [UInt8] {
    func u16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8)] }
    func u32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8((v >> (8 * $0)) & 0xFF) } }
    let nameBytes = Array(name.utf8)
    var out = u32(0x0403_4B50) + u16(20) + u16(0) + u16(method) + u32(0) + u32(0)
    out += u32(UInt32(data.count)) + u32(uncompressedSize) + u16(UInt16(nameBytes.count)) + u16(0) + nameBytes + data
    let centralOffset = out.count
    var central = u32(0x0201_4B50) + u16(20) + u16(20) + u16(0) + u16(method) + u32(0) + u32(0)
    central += u32(UInt32(data.count)) + u32(uncompressedSize) + u16(UInt16(nameBytes.count)) + u16(0) + u16(0)
    central += u16(0) + u16(0) + u32(0) + u32(0) + nameBytes
    out += central
    out += u32(0x0605_4B50) + u16(0) + u16(0) + u16(1) + u16(1) + u32(UInt32(central.count)) + u32(UInt32(centralOffset)) + u16(0)
    return out
}
