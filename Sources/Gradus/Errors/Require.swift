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
/// For broken invariants only: a state the library's own code should never reach, or a program whose
/// source is wrong (a `Size2` literal of three numbers). Settings that a caller may take from outside
/// (sizes, rates, counts) go through ``validSetting(_:_:)`` instead.
/// Swift's `precondition` drops its message in optimized builds, which would leave a release user
/// with a bare trap; this keeps the message.
@inline(__always)
func invariant(
    _ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
    file: StaticString = #fileID, line: UInt = #line
) {
    if _slowPath(!condition()) { fatalError(message(), file: file, line: line) }
}

/// Checks a setting of an object being built or changed — a layer's size, an optimizer's rate, a loader's
/// batch size — in an initializer or setter that cannot throw, and returns whether the setting is valid.
///
/// A setting that is not valid fails as an operation's argument does (see ``GradusError``): inside a
/// ``GradusError/catching(_:)`` scope the error is recorded and the scope throws it at its end; outside a
/// scope the program stops with the message. When this returns false the caller goes on with a safe
/// substitute (a size of 0, one group, a batch of 1), so that the rest of the scope runs through without
/// trapping; the object built that way never leaves the scope, which throws.
@inline(__always)
func validSetting(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) -> Bool {
    if _fastPath(condition()) { return true }
    return ErrorScope.fail(GradusError(.invalidArgument, message()), { false })
}

/// ``validSetting(_:_:)`` for a check that throws its own error (a padding checked against a stride).
@inline(__always)
func validSetting(_ check: () throws -> Void) -> Bool {
    do { try check(); return true } catch { return ErrorScope.fail(error, { false }) }
}

/// Runs `body`, whose checks can only fail through a broken invariant or a misconfigured object, and
/// stops with the error's message if one does (for initializers, which cannot return a placeholder).
@inline(__always)
func unfailing<R>(_ body: () throws -> R) -> R {
    do { return try body() } catch { fatalError("\(error)") }
}
