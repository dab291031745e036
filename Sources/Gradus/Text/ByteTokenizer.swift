/// Text as bytes: every UTF-8 byte is a token (256 tokens), so any text encodes and decodes exactly,
/// with no vocabulary to build or ship (the scheme of ByT5 and of byte-level language models).
///
/// ```swift
/// let tokens = ByteTokenizer().encode("héllo")     // [104, 195, 169, 108, 108, 111]
/// ByteTokenizer().decode(tokens)                   // "héllo"
/// ```
public struct ByteTokenizer: Sendable, Equatable {
    /// The number of tokens: 256.
    public var vocabularySize: Int { 256 }

    /// Creates the tokenizer.
    public init() {}

    /// The UTF-8 bytes of `text`, as token ids.
    public func encode(_ text: String) -> [Int] { text.utf8.map(Int.init) }

    /// The text of `tokens`; a byte sequence that is not valid UTF-8 (a model may generate one) is
    /// decoded with replacement characters.
    ///
    /// - Throws: a ``GradusError`` naming a token outside 0...255.
    public func decode(_ tokens: [Int]) throws -> String {
        if let i = tokens.firstIndex(where: { $0 < 0 || $0 > 255 }) {
            throw GradusError(.indexOutOfRange, "ByteTokenizer.decode: token \(tokens[i]) at position \(i) is not a byte (0...255)")
        }
        return String(decoding: tokens.map { UInt8($0) }, as: UTF8.self)
    }
}
