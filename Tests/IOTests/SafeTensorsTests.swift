import Foundation
import Gradus
import GradusTestSupport
import Testing

func temporaryFolder() throws -> String {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("gradus-io-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url.path
}

/// A safetensors file from a header text and data bytes, with an optional lying length field.
func safetensorsBytes(_ header: String, data: [UInt8], length: UInt64? = nil) -> [UInt8] {
    let h = Array(header.utf8)
    let n = length ?? UInt64(h.count)
    return (0..<8).map { UInt8((n >> (8 * UInt64($0))) & 0xFF) } + h + data
}

/// Expects `body` to throw a DataError of `kind` naming `file` and mentioning `mentions`.
func expectRejected(_ kind: DataError.Kind, file: String, mentions: [String] = [],
                    sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) {
    do {
        try body()
        Issue.record("expected a DataError of kind \(kind)", sourceLocation: sourceLocation)
    } catch let error as DataError {
        #expect(error.kind == kind, "wrong kind in: \(error)", sourceLocation: sourceLocation)
        #expect(error.file == file, "file not named in: \(error)", sourceLocation: sourceLocation)
        for m in mentions { #expect(error.message.contains(m), "\"\(m)\" not in: \(error)", sourceLocation: sourceLocation) }
    } catch {
        Issue.record("expected a DataError, got \(error)", sourceLocation: sourceLocation)
    }
}

struct SafeTensorsExpected: Decodable {
    struct Part: Decodable { let tensors: [String: TensorFixture]; let metadata: [String: String] }
    let safetensors: Part
}

@Suite struct SafeTensorsTests {
    @Test func readsAFileWrittenByPythonSafetensors() throws {
        let expected = try Fixtures.decode(SafeTensorsExpected.self, "data/expected.json").safetensors
        let path = Fixtures.directory.appendingPathComponent("data/torch.safetensors").path
        let contents = try SafeTensors.load(path)
        #expect(contents.metadata == expected.metadata)
        #expect(Set(contents.tensors.keys) == Set(expected.tensors.keys))
        for (name, want) in expected.tensors {
            let t = contents.tensors[name]!
            #expect(t.dtype == want.tensor().dtype, "dtype of \(name)")
            #expect(mismatch(t, want.tensor(), rtol: 0, atol: 0) == nil, "values of \(name)")
        }
    }

    @Test func roundTripsStateDictsAndMetadata() throws {
        var rng = SeededGenerator(seed: 1)
        let tensors: [String: Tensor] = [
            "layer.weight": Tensor.normal([3, 5], generator: &rng),
            "layer.bias": Tensor.normal([3], dtype: .float64, generator: &rng),
            "steps": Tensor(labels: [1, -2, 1 << 40]),
            "scalar": Tensor(scalar: 0.25),
            "empty": Tensor.zeros([0, 4]),
            "odd \"name\" é": Tensor([1, 2, 3]),
        ]
        let metadata = ["epoch": "7", "optimizer": "adam", "quote": "a\"b\\c\n"]
        let folder = try temporaryFolder()
        let path = folder + "/model.safetensors"
        try SafeTensors.save(tensors, metadata: metadata, to: path)
        let contents = try SafeTensors.load(path)
        #expect(contents.metadata == metadata)
        #expect(Set(contents.tensors.keys) == Set(tensors.keys))
        for (name, t) in tensors {
            let r = contents.tensors[name]!
            #expect(r.shape == t.shape && r.dtype == t.dtype, "\(name)")
            #expect(mismatch(r, t, rtol: 0, atol: 0) == nil, "\(name)")
        }
        // The file is exactly `encode`'s bytes; its header is space-padded to 8-byte alignment.
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(try bytes == SafeTensors.encode(tensors, metadata: metadata))
        let headerLength = bytes[0..<8].reversed().reduce(0) { $0 << 8 | Int($1) }
        #expect(headerLength % 8 == 0 && bytes[8] == UInt8(ascii: "{"))
        // Saving again replaces the file atomically and leaves no temporary file behind.
        try SafeTensors.save(["only": Tensor([9])], to: path)
        #expect(try SafeTensors.load(path).tensors.keys.sorted() == ["only"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["model.safetensors"])
    }

    @Test func failedWritesLeaveNoFile() throws {
        let folder = try temporaryFolder()
        expectRejected(.io, file: folder + "/missing/x.safetensors", mentions: ["temporary"]) {
            try SafeTensors.save(["a": Tensor([1])], to: folder + "/missing/x.safetensors")
        }
        struct Boom: Error {}
        #expect(throws: Boom.self) { try AtomicFile.write(to: folder + "/y.bin") { _ in throw Boom() } }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).isEmpty)
    }

    @Test func rejectsMalformedHeaders() throws {
        let f = "bad.safetensors"
        let four: [UInt8] = [0, 0, 128, 63]   // one float32
        func decode(_ bytes: [UInt8]) throws { _ = try SafeTensors.decode(bytes, file: f) }
        let good = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#
        #expect(try SafeTensors.decode(safetensorsBytes(good, data: four), file: f).tensors["a"]!.scalars() == [1])

        expectRejected(.truncated, file: f, mentions: ["8-byte"]) { try decode([1, 2, 3]) }
        expectRejected(.truncated, file: f, mentions: ["header length 1000"]) { try decode(safetensorsBytes(good, data: four, length: 1000)) }
        expectRejected(.tooLarge, file: f, mentions: ["limit"]) { try decode(safetensorsBytes(good, data: four, length: 1 << 40)) }
        expectRejected(.badHeader, file: f, mentions: ["UTF-8"]) {
            try decode((0..<8).map { $0 == 0 ? 4 : 0 } + [0x7B, 0xFF, 0xFE, 0x7D])
        }
        expectRejected(.badHeader, file: f, mentions: ["JSON"]) { try decode(safetensorsBytes(#"{"a":{"dtype":"F32",}}"#, data: [])) }
        expectRejected(.badHeader, file: f, mentions: ["start with '{'"]) { try decode(safetensorsBytes("[]", data: [])) }
        expectRejected(.badHeader, file: f, mentions: ["duplicate key"]) {
            try decode(safetensorsBytes(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, data: four))
        }
        expectRejected(.unsupported, file: f, mentions: ["unknown dtype \"C64\""]) {
            try decode(safetensorsBytes(#"{"a":{"dtype":"C64","shape":[1],"data_offsets":[0,4]}}"#, data: four))
        }
        expectRejected(.badHeader, file: f, mentions: ["needs 8 bytes", "span 4"]) {
            try decode(safetensorsBytes(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}"#, data: four))
        }
        expectRejected(.truncated, file: f, mentions: ["run past"]) {
            try decode(safetensorsBytes(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, data: four))
        }
        expectRejected(.badHeader, file: f, mentions: ["begin <= end"]) {
            try decode(safetensorsBytes(#"{"a":{"dtype":"F32","shape":[0],"data_offsets":[4,0]}}"#, data: four))
        }
        expectRejected(.badHeader, file: f, mentions: ["overlaps"]) {
            try decode(safetensorsBytes(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, data: four + four))
        }
        expectRejected(.badHeader, file: f, mentions: ["gap of 4 bytes"]) {
            try decode(safetensorsBytes(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, data: four + four))
        }
        expectRejected(.badHeader, file: f, mentions: ["cover 4 bytes", "holds 8"]) {
            try decode(safetensorsBytes(good, data: four + four))
        }
        expectRejected(.overflow, file: f) {
            try decode(safetensorsBytes(#"{"a":{"dtype":"F64","shape":[4294967296,4294967296,4294967296],"data_offsets":[0,4]}}"#, data: four))
        }
        expectRejected(.badHeader, file: f, mentions: ["non-negative"]) {
            try decode(safetensorsBytes(#"{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#, data: four))
        }
        expectRejected(.badHeader, file: f, mentions: ["JSON"]) {
            try decode(safetensorsBytes(#"{"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}"#, data: four))
        }
        expectRejected(.badHeader, file: f, mentions: ["not a string"]) {
            try decode(safetensorsBytes(#"{"__metadata__":{"k":1}}"#, data: []))
        }
        expectRejected(.badHeader, file: f, mentions: ["lacks"]) { try decode(safetensorsBytes(#"{"a":{"dtype":"F32"}}"#, data: [])) }
        expectRejected(.badHeader, file: f, mentions: ["unexpected"]) {
            try decode(safetensorsBytes(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":1}}"#, data: four))
        }

        let folder = try temporaryFolder()
        let path = folder + "/big.safetensors"
        try SafeTensors.save(["w": Tensor.zeros([100])], to: path)
        expectRejected(.tooLarge, file: path, mentions: ["limit"]) { _ = try SafeTensors.load(path, maxBytes: 100) }
        expectRejected(.io, file: folder + "/none.safetensors") { _ = try SafeTensors.load(folder + "/none.safetensors") }
    }
}
