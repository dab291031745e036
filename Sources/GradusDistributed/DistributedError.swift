/// An error from the distributed layer: a failed MPI call (with MPI's own description of the error), a
/// tensor that cannot be communicated, or ranks that disagree.
///
/// MPI errors are returned, not fatal (the process group sets `MPI_ERRORS_RETURN`), so a caller can catch
/// them; the `gradus` command turns them into a message naming the rank and stops all ranks.
///
/// ```swift
/// do { try group.allReduce(t) } catch let e as DistributedError { print(e.call, e) }
/// ```
public struct DistributedError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The MPI function or the Gradus operation that failed (`"MPI_Allreduce"`, `"allReduce"`).
    public let call: String
    /// MPI's error code, or nil for an error that Gradus found before calling MPI.
    public let code: Int32?
    /// The full message.
    public let message: String

    /// Creates an error.
    ///
    /// - Parameters:
    ///   - call: the MPI function or operation that failed.
    ///   - code: MPI's error code, if any.
    ///   - message: what went wrong.
    public init(call: String, code: Int32? = nil, message: String) {
        self.call = call
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
