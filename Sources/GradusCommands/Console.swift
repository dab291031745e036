#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Where a command writes: standard output (with terminal detection) or a capture for tests.
public struct Console: Sendable {
    /// Writes text as is (no line end added).
    public let write: @Sendable (String) -> Void
    /// Whether the output is a terminal: progress bars and colours are used only then.
    public let isTerminal: Bool

    /// Creates a console.
    ///
    /// ```swift
    /// let console = Console(isTerminal: false) { print($0, terminator: "") }
    /// ```
    public init(isTerminal: Bool, write: @escaping @Sendable (String) -> Void) {
        self.isTerminal = isTerminal
        self.write = write
    }

    /// Standard output; a terminal when `isatty(1)` says so.
    public static var standard: Console {
        Console(isTerminal: isatty(1) != 0) { text in
            FileHandle.standardOutput.write(Data(text.utf8))
        }
    }

    /// Writes `text` and a line end.
    public func line(_ text: String = "") { write(text + "\n") }
}
