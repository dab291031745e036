/// An optimizer's state for checkpoints: tensors (per-parameter buffers such as momentum) and scalars
/// (step counts and every group's hyper-parameters), both by name.
///
/// Names: `state.<i>.<buffer>` for the buffer of the i-th parameter (counting through the groups in
/// order, as PyTorch does), `state.<i>.step`, `group.<g>.<option>` and `group.<g>.parameterCount`.
///
/// ```swift
/// let saved = optimizer.stateDict()
/// // … later, with an optimizer built the same way:
/// try optimizer.loadStateDict(saved)
/// ```
public struct OptimizerState: @unchecked Sendable {
    /// Per-parameter buffers by name.
    public var tensors: [String: Tensor]
    /// Step counts and hyper-parameters by name.
    public var scalars: [String: Double]

    /// Creates a state from its two tables.
    public init(tensors: [String: Tensor] = [:], scalars: [String: Double] = [:]) {
        self.tensors = tensors
        self.scalars = scalars
    }
}

/// Why ``Optimizer/loadStateDict(_:)`` refused a state.
public enum OptimizerStateError: Error, CustomStringConvertible, Equatable {
    /// The state was made for another number of parameter groups.
    case groupCountMismatch(expected: Int, found: Int)
    /// A group holds another number of parameters than the state says.
    case parameterCountMismatch(group: Int, expected: Int, found: Int)
    /// A name the optimizer does not know (another optimizer type, or another option set).
    case unexpectedKey(String)
    /// A name the optimizer needs is absent.
    case missingKey(String)
    /// A buffer's shape differs from its parameter's.
    case shapeMismatch(key: String, expected: [Int], found: [Int])
    /// A number outside its range (a step count that is negative, fractional or huge).
    case invalidValue(key: String, value: Double)

    /// A message naming the entry that does not fit.
    public var description: String {
        switch self {
        case let .groupCountMismatch(e, f):
            return "optimizer state: the optimizer has \(e) parameter groups but the state has \(f)"
        case let .parameterCountMismatch(g, e, f):
            return "optimizer state: group \(g) has \(e) parameters but the state has \(f)"
        case let .unexpectedKey(k):
            return "optimizer state: unexpected entry '\(k)' (state of another optimizer or configuration?)"
        case let .missingKey(k):
            return "optimizer state: missing entry '\(k)'"
        case let .shapeMismatch(k, e, f):
            return "optimizer state: '\(k)' has shape \(f) but its parameter has shape \(e)"
        case let .invalidValue(k, v):
            return "optimizer state: '\(k)' is \(v), out of its range (counts: whole numbers in 0...1e15; options and rates: finite, within what the optimizer accepts)"
        }
    }
}
