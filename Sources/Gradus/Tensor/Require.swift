/// Stops the program with `message` when `condition` is false, in every build configuration.
///
/// Gradus uses it for programmer errors (mismatched shapes, axes out of range). Swift's `precondition`
/// drops its message in optimized builds, which would leave a release user with a bare trap; this
/// keeps the message that names the op and the shapes.
@inline(__always)
func require(
    _ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
    file: StaticString = #fileID, line: UInt = #line
) {
    if _slowPath(!condition()) { fatalError(message(), file: file, line: line) }
}
