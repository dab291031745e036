/// Throws a ``GradusError`` of `kind` with `message` when `condition` is false.
///
/// Every argument check of an operation goes through here, before the operation touches memory. The
/// public operation that catches it decides, through ``ErrorScope``, whether the failure stops the program
/// (no scope) or is recorded (inside ``GradusError/catching(_:)``).
@inline(__always)
func require(
    _ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
    _ kind: GradusError.Kind = .invalidArgument
) throws {
    if _slowPath(!condition()) { throw GradusError(kind, message()) }
}

/// Stops the program with `message` when `condition` is false, in every build configuration.
///
/// For broken invariants only (a state the library's own code should never reach), and for the
/// configuration of objects whose initializers cannot fail (a layer built with a negative size).
/// Swift's `precondition` drops its message in optimized builds, which would leave a release user
/// with a bare trap; this keeps the message.
@inline(__always)
func invariant(
    _ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
    file: StaticString = #fileID, line: UInt = #line
) {
    if _slowPath(!condition()) { fatalError(message(), file: file, line: line) }
}

/// Runs `body`, whose checks can only fail through a broken invariant or a misconfigured object, and
/// stops with the error's message if one does (for initializers, which cannot return a placeholder).
@inline(__always)
func unfailing<R>(_ body: () throws -> R) -> R {
    do { return try body() } catch { fatalError("\(error)") }
}
