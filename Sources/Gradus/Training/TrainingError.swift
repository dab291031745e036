/// A problem with a training run's configuration, data or checkpoint that a user can fix: a bad
/// option, a file that does not match the model, a label out of range.
///
/// Its ``description`` is a complete sentence meant to be shown as is.
///
/// ```swift
/// throw TrainingError("--batch-size must be at least 1, got 0")
/// ```
public struct TrainingError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The message shown to the user.
    public let message: String

    /// Creates an error with `message`.
    ///
    /// - Parameter message: what is wrong and, where possible, how to fix it.
    ///
    /// ```swift
    /// let e = TrainingError("unknown model 'resnet'")
    /// ```
    public init(_ message: String) { self.message = message }

    /// The message.
    public var description: String { message }
}
