#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Where a failed check goes: into the innermost ``GradusError/catching(_:)`` scope of the thread, or,
/// with no scope, to a stop with the message.
///
/// Every public operation runs its body through ``checked(_:)``: the body's checks throw, and this is the
/// one place that decides what a thrown ``GradusError`` becomes. Inside a scope that has already failed,
/// operations return a placeholder at once, so that the code after a bad request's first error runs
/// through without computing (or trapping on) anything.
enum ErrorScope {
    /// One scope's record: the first error and how many operations failed.
    final class State {
        var first: GradusError?
        var failures = 0
    }

    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    /// How many scopes, on all threads, hold an error: while it is 0 (always, outside scopes) operations
    /// skip the thread-local look-up.
    private static let failedScopes = Atomic<Int>(0)

    /// The innermost scope of this thread.
    static var current: State? {
        guard let raw = pthread_getspecific(key) else { return nil }
        return Unmanaged<State>.fromOpaque(raw).takeUnretainedValue()
    }

    /// Whether this thread is inside a scope that has recorded an error.
    @inline(__always)
    static var hasFailed: Bool {
        failedScopes.load(ordering: .relaxed) != 0 && current?.first != nil
    }

    /// Records `error` in the current scope and returns `fallback`; stops the program when there is no scope.
    static func fail<R>(_ error: any Error, _ fallback: () -> R) -> R {
        let e = error as? GradusError ?? GradusError(.invalidArgument, "\(error)")
        guard let scope = current else { fatalError(e.message) }
        if scope.first == nil {
            scope.first = e
            failedScopes.add(1, ordering: .relaxed)
        }
        scope.failures += 1
        return fallback()
    }

    /// Runs `body` in a new scope of this thread and returns its result, or throws the first recorded error.
    static func run<R>(_ body: () throws -> R) throws -> R {
        let state = State()
        let previous = pthread_getspecific(key)
        let retained = Unmanaged.passRetained(state)
        pthread_setspecific(key, retained.toOpaque())
        defer {
            pthread_setspecific(key, previous)
            if state.first != nil { failedScopes.subtract(1, ordering: .relaxed) }
            retained.release()
        }
        let result: R
        do {
            result = try body()
        } catch {
            throw state.first ?? error
        }
        if let first = state.first { throw first }
        return result
    }
}

/// Runs the body of a public operation that returns a tensor: its result, or — when a check in it
/// fails inside a ``GradusError/catching(_:)`` scope — an empty placeholder tensor.
@inline(__always)
func checked(_ body: () throws -> Tensor) -> Tensor {
    if ErrorScope.hasFailed { return Tensor.placeholder() }
    do { return try body() } catch { return ErrorScope.fail(error, Tensor.placeholder) }
}

/// Runs the body of a public operation, returning `fallback` when a check fails inside a scope.
@inline(__always)
func checked<R>(or fallback: @autoclosure () -> R, _ body: () throws -> R) -> R {
    if ErrorScope.hasFailed { return fallback() }
    do { return try body() } catch { return ErrorScope.fail(error, fallback) }
}

/// Runs the body of an operation that reads no tensor made in the scope — a creation function
/// (``Tensor/zeros(_:dtype:)``, random tensors, tensors from arrays) or an initializer of a given
/// tensor: unlike ``checked(_:)`` it also runs in a scope that has already failed, because its result
/// does not depend on what failed before. A layer built after a request's first error gets real
/// parameters (the layer's own code writes into them), not empty placeholders.
@inline(__always)
func checkedEvenAfterFailure(_ body: () throws -> Tensor) -> Tensor {
    do { return try body() } catch { return ErrorScope.fail(error, Tensor.placeholder) }
}

/// ``checkedEvenAfterFailure(_:)`` for bodies that return something else than a tensor.
@inline(__always)
func checkedEvenAfterFailure<R>(or fallback: @autoclosure () -> R, _ body: () throws -> R) -> R {
    do { return try body() } catch { return ErrorScope.fail(error, fallback) }
}

extension Tensor {
    /// What a failed operation returns inside a ``GradusError/catching(_:)`` scope: an empty float32 tensor.
    static func placeholder() -> Tensor { Tensor(uninitializedShape: [0], dtype: .float32) }

    /// What an initializer keeps in place of a weight that fails its setting check (see `validSetting`):
    /// zeros of `shape` (an empty shape of the layer's rank) in the weight's dtype, or float32 when that
    /// is not floating point, so that the stand-in can require gradients.
    static func standIn(_ shape: [Int], for weight: Tensor) -> Tensor {
        Tensor.zeros(shape, dtype: weight.dtype.isFloatingPoint ? weight.dtype : .float32)
    }
}

extension GradusError {
    /// Runs `body` and throws the first error of any Gradus operation inside it, instead of stopping
    /// the program (the scoped mode, in the spirit of mlx-swift's `withError`).
    ///
    /// After the first failure, the operations in `body` return empty placeholder tensors without
    /// computing anything, and `body` runs to its end; then this function throws the recorded error.
    /// Code in `body` that branches on a result's shape can call ``throwIfRecorded()`` to stop early.
    /// Scopes nest; each is private to the thread that runs it (the operations in `body` must run on
    /// that thread, as synchronous code does).
    ///
    /// - Parameter body: the work to guard: a forward pass, a training step, a request.
    /// - Returns: what `body` returns, when no operation failed.
    /// - Throws: the first ``GradusError`` of an operation in `body`, or what `body` throws itself.
    ///
    /// ```swift
    /// for request in requests {
    ///     do {
    ///         let probabilities = try GradusError.catching { model(request.input).softmax(axis: 1) }
    ///         request.reply(probabilities)
    ///     } catch {
    ///         request.reply(error: "\(error)")   // e.g. "linear: input [1, 3] ... inFeatures 4"
    ///     }
    /// }
    /// ```
    public static func catching<R>(_ body: () throws -> R) throws -> R {
        try ErrorScope.run(body)
    }

    /// Throws the error recorded so far in the current ``catching(_:)`` scope, if any; does nothing
    /// outside a scope or when nothing has failed.
    ///
    /// ```swift
    /// try GradusError.catching {
    ///     let h = encoder(x)
    ///     try GradusError.throwIfRecorded()   // before reading h.shape
    ///     return decoder(h, length: h.shape[1])
    /// }
    /// ```
    public static func throwIfRecorded() throws {
        if let first = ErrorScope.current?.first { throw first }
    }
}
