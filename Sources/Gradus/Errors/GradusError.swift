/// An error from a tensor operation, a layer, a loss or an optimizer: which operation failed, what kind
/// of problem it was, and a message that names the shapes, dtypes or values involved.
///
/// Operations check their arguments before they touch memory. What happens when a check fails depends
/// on where the operation runs:
/// - inside ``GradusError/catching(_:)``, the first failure is recorded, the operations after it return
///   empty placeholders without computing anything, and the scope throws the recorded error — the
///   process goes on (a server answers the request with an error and serves the next one);
/// - outside such a scope the program stops with the message, as a failed precondition does: a wrong
///   shape in a program's own code is a bug to fix, not a condition to handle.
///
/// Initializers and setters of layers, optimizers, schedules and loaders check their settings (a
/// negative size, a learning rate below 0, a batch size of 0) the same way.
///
/// Functions that take data from outside (``Tensor/init(validatingShape:values:dtype:)``, datasets with a
/// declared class count, ``Trainer``) throw this error directly.
///
/// ```swift
/// do {
///     let logits = try GradusError.catching { model(request.input) }
///     respond(logits)
/// } catch let error as GradusError {
///     print(error.op, error.kind)   // "linear", .shapeMismatch
///     print(error)                  // "linear: input [1, 785] does not end in inFeatures 784 ..."
/// }
/// ```
public struct GradusError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The category of problem, for programs that react to it.
    public enum Kind: String, Sendable, Equatable, CustomStringConvertible {
        /// Shapes that do not fit together (broadcasting, matrix products, concatenation, reshapes).
        case shapeMismatch
        /// An element type the operation does not take, or two that differ where they must match.
        case dtypeMismatch
        /// An index, class label or axis outside the range of the dimension it addresses.
        case indexOutOfRange
        /// An argument outside its allowed values (a negative size, a probability above 1, an empty list).
        case invalidArgument
        /// A tensor that a recorded backward pass still needs was changed in place, or an in-place
        /// operation is not allowed on this tensor (a leaf that requires gradients, outside no-grad).
        case inPlaceModification
        /// A backward pass that cannot run (no graph, a graph already freed, a gradient of the wrong shape).
        case autograd
        /// A NaN found by ``AnomalyMode`` in an operation's result, or a NaN or infinity in a gradient.
        case nonFinite
        /// Memory for a tensor that the system would not give (a shape too large for the machine).
        case outOfMemory

        /// The kind's name, as in error messages (`"shapeMismatch"`).
        public var description: String { rawValue }
    }

    /// The operation that failed, as named in the message (`"matmul"`, `"crossEntropy"`, `"Linear"`).
    public let op: String
    /// The category of problem.
    public let kind: Kind
    /// The full message, starting with the operation's name.
    public let message: String

    /// Creates an error. When `op` is nil it is taken from the message's prefix before the first colon
    /// (messages are written `"op: what is wrong"`).
    ///
    /// - Parameters:
    ///   - kind: the category of problem.
    ///   - message: the full message.
    ///   - op: the operation's name; nil to read it from `message`.
    ///
    /// ```swift
    /// throw GradusError(.invalidArgument, "myLayer: width must be positive, got \(width)")
    /// ```
    public init(_ kind: Kind, _ message: String, op: String? = nil) {
        self.kind = kind
        self.message = message
        if let op {
            self.op = op
        } else if let colon = message.firstIndex(of: ":") {
            self.op = String(message[..<colon])
        } else {
            self.op = ""
        }
    }

    /// The message.
    public var description: String { message }
}
