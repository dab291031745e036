/// An error reading or writing a data file or a checkpoint: it names the file and what is wrong.
///
/// Every reader in Gradus (IDX/MNIST, CSV, NumPy `.npy`/`.npz`, gzip, safetensors) throws this type
/// instead of trapping on malformed input, and never allocates memory based on a size claimed by a
/// header before checking it against the file and the configured limit.
///
/// ```swift
/// do {
///     let images = try IDXReader.read("/data/train-images-idx3-ubyte.gz")
/// } catch let error as DataError {
///     print(error)          // "/data/train-images-idx3-ubyte.gz: truncated: ..."
///     print(error.kind)     // .truncated
/// }
/// ```
public struct DataError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The category of problem, for programs that react to it.
    public enum Kind: String, Sendable, Equatable, CustomStringConvertible {
        /// The file could not be opened, read or written.
        case io
        /// The file ends before the data its header announces.
        case truncated
        /// The file does not start with the magic bytes of its format.
        case badMagic
        /// A header field is malformed, contradicts the file size, or describes an impossible layout.
        case badHeader
        /// The sizes in a header multiply past what memory can address.
        case overflow
        /// The file, or the data it would produce, exceeds the configured size limit.
        case tooLarge
        /// The compressed stream is corrupt.
        case corrupt
        /// A text cell could not be parsed (CSV), or a row has the wrong number of cells.
        case parse
        /// The format is valid but uses a feature Gradus does not read (an element type such as complex numbers or strings).
        case unsupported

        /// The kind's name, as in error messages (`"truncated"`).
        public var description: String { rawValue }
    }

    /// The category of problem.
    public let kind: Kind
    /// The path (or `archive.npz/entry.npy`) of the file concerned.
    public let file: String
    /// What is wrong, in words.
    public let message: String

    /// Creates an error about `file`.
    ///
    /// - Parameters:
    ///   - kind: the category of problem.
    ///   - file: the path of the file concerned.
    ///   - message: what is wrong.
    ///
    /// ```swift
    /// throw DataError(.badMagic, file: path, "expected 0x00000803, found 0x12345678")
    /// ```
    public init(_ kind: Kind, file: String, _ message: String) {
        self.kind = kind
        self.file = file
        self.message = message
    }

    /// `"<file>: <kind>: <message>"`.
    public var description: String { "\(file): \(kind): \(message)" }
}

/// Size limits that readers enforce before allocating memory.
///
/// ```swift
/// let x = try NPYReader.read(path, maxBytes: 64 << 20)   // refuse anything over 64 MiB
/// ```
public enum ReaderLimits {
    /// The default limit on the size of a file and of the data decoded from it: half of
    /// ``MemoryBudget/bytes`` (512 MiB by default), so that reading and converting the data stay within
    /// the budget. Raise the budget (`--max-memory`) for larger data.
    public static var defaultMaxBytes: Int { MemoryBudget.bytes / 2 }
}
