import Foundation
import Gradus
import GradusTestSupport
import Testing

/// A fresh temporary folder for one test.
func temporaryFolder() throws -> String {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("gradus-data-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url.path
}

/// Writes `bytes` to `folder/name` and returns the path.
@discardableResult
func writeFile(_ folder: String, _ name: String, _ bytes: [UInt8]) throws -> String {
    let path = folder + "/" + name
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    return path
}

/// The bytes of `Tests/Fixtures/data/<name>`.
func fixtureBytes(_ name: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: Fixtures.directory.appendingPathComponent("data/" + name)))
}

/// The path of `Tests/Fixtures/data/<name>`.
func fixturePath(_ name: String) -> String {
    Fixtures.directory.appendingPathComponent("data/" + name).path
}

/// Expects `body` to throw a ``DataError`` of `kind` whose file contains `file` and whose message
/// contains every string of `mentions`.
func expectDataError(_ kind: DataError.Kind, file: String, mentions: [String] = [],
                     sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) {
    do {
        try body()
        Issue.record("expected a DataError of kind \(kind), nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as DataError {
        #expect(error.kind == kind, "wrong kind in: \(error)", sourceLocation: sourceLocation)
        #expect(error.file.contains(file), "file not named in: \(error)", sourceLocation: sourceLocation)
        for m in mentions {
            #expect(error.message.contains(m), "\"\(m)\" not mentioned in: \(error)", sourceLocation: sourceLocation)
        }
        #expect(error.description.contains(error.file), sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected a DataError, got \(error)", sourceLocation: sourceLocation)
    }
}

/// The expected values written by scripts/make_io_fixtures.py.
struct ExpectedFixtures: Decodable {
    struct IDX: Decodable { let images: TensorFixture; let labels: TensorFixture }
    let npy: [String: TensorFixture]
    let idx: IDX
}

/// An IDX file: magic (two zeros, type code, rank), big-endian dimensions, then `data`.
func idxBytes(type: UInt8, dims: [UInt32], data: [UInt8]) -> [UInt8] {
    var out: [UInt8] = [0, 0, type, UInt8(dims.count)]
    for d in dims { out += [UInt8(d >> 24), UInt8((d >> 16) & 0xFF), UInt8((d >> 8) & 0xFF), UInt8(d & 0xFF)] }
    return out + data
}
