import Gradus

/// What running a piece of work inside `GradusError.catching` came to, for tests that try many
/// inputs: it computed, it was refused with a `GradusError`, or it threw something else.
public enum ScopedOutcome {
    case computed
    case refused(GradusError)
    case otherError(any Error)

    /// Runs `body` in a scope: its forward result, then its backward pass when the result is a
    /// floating-point tensor that requires gradients.
    public static func of(_ body: () -> Tensor) -> ScopedOutcome {
        do {
            try GradusError.catching {
                let y = body()
                try GradusError.throwIfRecorded()
                if y.dtype.isFloatingPoint && y.requiresGrad { y.sum().backward() }
            }
            return .computed
        } catch let error as GradusError {
            return .refused(error)
        } catch {
            return .otherError(error)
        }
    }
}

/// The `GradusError` that `body` records or throws inside a `GradusError.catching` scope, or nil when it
/// succeeds: for tests that check a refusal's kind and message.
///
/// ```swift
/// #expect(failure { Tensor.arange(5, 0) }?.kind == .invalidArgument)
/// ```
public func failure<R>(_ body: () throws -> R) -> GradusError? {
    do { _ = try GradusError.catching(body); return nil } catch { return error as? GradusError }
}
