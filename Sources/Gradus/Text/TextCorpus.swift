import Foundation

/// Text to train language models on: the corpus shipped with Gradus, and text files read with checks.
///
/// The embedded corpus is three plays by Shakespeare — The Tempest, A Midsummer Night's Dream and
/// Macbeth — 298,115 characters of ASCII text (75 distinct characters), public domain, in the Open
/// Knowledge Foundation's edition (``shakespeareLicense()`` tells its source and terms).
///
/// ```swift
/// let text = try TextCorpus.shakespeare()
/// let vocabulary = CharacterVocabulary(corpus: text)
/// let data = try TextWindowDataset(tokens: vocabulary.encode(text), length: 128)
/// ```
public enum TextCorpus {
    /// The embedded corpus's text.
    ///
    /// - Throws: a ``DataError`` when the resource is missing from the bundle.
    public static func shakespeare() throws -> String {
        String(decoding: try EmbeddedResource.gunzip("shakespeare.txt"), as: UTF8.self)
    }

    /// The source and license of the embedded corpus.
    ///
    /// ```swift
    /// print(try TextCorpus.shakespeareLicense())
    /// ```
    public static func shakespeareLicense() throws -> String {
        try EmbeddedResource.text("shakespeare-LICENSE", extension: "txt")
    }

    /// The largest text file read by default (64 MiB).
    public static let defaultMaxBytes = 64 << 20

    /// Reads a UTF-8 text file (gzip-compressed files too), refusing what is not text.
    ///
    /// - Parameters:
    ///   - path: the file.
    ///   - maxBytes: the largest size accepted, before and after decompression.
    /// - Returns: the text.
    /// - Throws: a ``DataError`` for a missing, unreadable, too large or empty file, bytes that are not
    ///   UTF-8 (naming the offset), or a NUL byte (binary data).
    ///
    /// ```swift
    /// let text = try TextCorpus.read("corpus.txt")
    /// ```
    public static func read(_ path: String, maxBytes: Int = defaultMaxBytes) throws -> String {
        let bytes = try Gzip.readMaybeCompressed(path, maxBytes: maxBytes)
        guard !bytes.isEmpty else { throw DataError(.parse, file: path, "the text file is empty") }
        if let nul = bytes.firstIndex(of: 0) {
            throw DataError(.parse, file: path, "byte \(nul) is NUL: this is binary data, not text")
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            // Find the first offending byte for the message.
            var offset = 0
            var iterator = bytes.makeIterator()
            var decoder = UTF8()
            loop: while true {
                switch decoder.decode(&iterator) {
                case .scalarValue(let s): offset += UTF8.width(s)
                case .emptyInput: break loop
                case .error: break loop
                }
            }
            throw DataError(.parse, file: path, "the bytes at offset \(offset) are not valid UTF-8; give UTF-8 text (or use --tokenizer byte)")
        }
        return text
    }

    /// Reads a file as raw bytes for byte-level tokens (any content but an empty file).
    static func readBytes(_ path: String, maxBytes: Int = defaultMaxBytes) throws -> [UInt8] {
        let bytes = try Gzip.readMaybeCompressed(path, maxBytes: maxBytes)
        guard !bytes.isEmpty else { throw DataError(.parse, file: path, "the text file is empty") }
        return bytes
    }
}

/// How text becomes tokens for a language model.
public enum TextTokenizer: String, Codable, Sendable, CaseIterable {
    /// One token per character of a vocabulary built from the training text (``CharacterVocabulary``).
    case character
    /// One token per UTF-8 byte, 256 tokens (``ByteTokenizer``): any file, no vocabulary to keep.
    case byte
}
