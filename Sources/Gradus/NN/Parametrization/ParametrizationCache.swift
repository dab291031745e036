/// The parametrized tensors computed in one ``Parametrizations/cached(_:)`` scope, or in one call of a
/// module that has parametrizations: each is computed once there and reused.
final class ParametrizationCache: @unchecked Sendable {
    /// The scope of the running task or thread, if any.
    @TaskLocal static var current: ParametrizationCache?

    /// Locked: a task started inside the scope inherits it and may compute in parallel.
    private let values = Locked<[ObjectIdentifier: (list: ParametrizationList, value: Tensor)]>([:])

    /// `list`'s value, computed by `compute` the first time in this scope.
    func value(of list: ParametrizationList, _ compute: () -> Tensor) -> Tensor {
        let key = ObjectIdentifier(list)
        if let known = values.withLock({ $0[key] }) { return known.value }
        let value = compute()
        // Two threads may both compute a value: the first stored is the one every reader gets after.
        return values.withLock { stored in
            if let known = stored[key] { return known.value }
            stored[key] = (list, value)
            return value
        }
    }

    /// Runs `body` in a scope of its own unless one is open.
    static func scoped<R>(_ body: () throws -> R) rethrows -> R {
        if current != nil { return try body() }
        return try $current.withValue(ParametrizationCache(), operation: body)
    }
}
