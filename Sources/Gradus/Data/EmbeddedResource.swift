import Foundation

/// The gzip files shipped inside the Gradus bundle (the digits, the text corpus).
enum EmbeddedResource {
    /// The decompressed bytes of the embedded `name.gz`.
    static func gunzip(_ name: String) throws -> [UInt8] {
        guard let url = Bundle.module.url(forResource: name, withExtension: "gz") else {
            throw DataError(.io, file: name + ".gz", "the resource is missing from the Gradus bundle")
        }
        let bytes = try FileBytes.read(url.path, maxBytes: 16 << 20)
        return try Gzip.decompress(bytes, file: url.path, maxBytes: 16 << 20)
    }

    /// The text of the embedded `name` (not compressed).
    static func text(_ name: String, extension ext: String) throws -> String {
        guard let url = Bundle.module.url(forResource: name, withExtension: ext) else {
            throw DataError(.io, file: "\(name).\(ext)", "the resource is missing from the Gradus bundle")
        }
        return String(decoding: try FileBytes.read(url.path, maxBytes: 1 << 20), as: UTF8.self)
    }
}
