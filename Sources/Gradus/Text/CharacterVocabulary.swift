/// A character-level vocabulary built from a corpus: each distinct character (Swift `Character`, so a
/// user-perceived character such as "é" or an emoji is one token) gets an id, in sorted order so that the
/// same corpus always gives the same ids (Karpathy's char-rnn and nanoGPT's `shakespeare_char`).
///
/// ```swift
/// let vocabulary = CharacterVocabulary(corpus: "hello world")
/// vocabulary.size                                  // 8: " ", "d", "e", "h", "l", "o", "r", "w"
/// let ids = try vocabulary.encode("hold")
/// try vocabulary.decode(ids)                       // "hold"
/// ```
public struct CharacterVocabulary: Sendable, Equatable, Codable {
    /// The characters, by id.
    public let characters: [String]
    private let ids: [String: Int]

    /// The vocabulary of the characters of `corpus`.
    public init(corpus: String) {
        characters = Set(corpus.map(String.init)).sorted()
        ids = Dictionary(uniqueKeysWithValues: characters.enumerated().map { ($1, $0) })
    }

    /// A vocabulary with the given characters, by id (as saved with a model).
    ///
    /// - Throws: a ``GradusError`` when an entry is not exactly one character or appears twice.
    public init(characters: [String]) throws {
        for (i, c) in characters.enumerated() where c.count != 1 {
            throw GradusError(.invalidArgument, "CharacterVocabulary: entry \(i) (\(c.debugDescription)) is not one character")
        }
        var seen: [String: Int] = [:]
        for (i, c) in characters.enumerated() {
            if let j = seen.updateValue(i, forKey: c) {
                throw GradusError(.invalidArgument, "CharacterVocabulary: \(c.debugDescription) appears at \(j) and \(i)")
            }
        }
        self.characters = characters
        ids = seen
    }

    private enum CodingKeys: String, CodingKey { case characters }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(characters: c.decode([String].self, forKey: .characters))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(characters, forKey: .characters)
    }

    /// The number of characters.
    public var size: Int { characters.count }

    /// The ids of the characters of `text`.
    ///
    /// - Throws: a ``GradusError`` naming the first character that is not in the vocabulary.
    public func encode(_ text: String) throws -> [Int] {
        var out: [Int] = []
        out.reserveCapacity(text.count)
        for (position, ch) in text.enumerated() {
            guard let id = ids[String(ch)] else {
                throw GradusError(.indexOutOfRange, "CharacterVocabulary.encode: \(String(ch).debugDescription) at position \(position) is not in the vocabulary of \(size) characters")
            }
            out.append(id)
        }
        return out
    }

    /// The text of `tokens`.
    ///
    /// - Throws: a ``GradusError`` naming an id outside the vocabulary.
    public func decode(_ tokens: [Int]) throws -> String {
        var text = ""
        for (i, t) in tokens.enumerated() {
            guard t >= 0 && t < size else {
                throw GradusError(.indexOutOfRange, "CharacterVocabulary.decode: id \(t) at position \(i) is outside 0..<\(size)")
            }
            text += characters[t]
        }
        return text
    }
}
