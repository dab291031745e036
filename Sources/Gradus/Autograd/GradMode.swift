#if canImport(Glibc)
import Glibc
#endif

/// Whether operations record the graph that ``Tensor/backward(_:retainGraph:createGraph:inputs:)`` walks.
///
/// Recording is on by default; it is a per-thread setting, so inference on one thread does not
/// disturb training on another.
///
/// ```swift
/// let prediction = GradMode.noGrad { model(x) }   // no graph, less memory, faster
/// ```
public enum GradMode {
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    // The thread-specific value is a tag: nil (default) means enabled, any non-nil value means disabled.

    /// Whether operations on this thread record the graph.
    public static var isEnabled: Bool {
        get { pthread_getspecific(key) == nil }
        set { pthread_setspecific(key, newValue ? nil : UnsafeRawPointer(bitPattern: 1)) }
    }

    /// Runs `body` with graph recording switched off on this thread, then restores the previous setting.
    ///
    /// - Parameter body: the work to run without recording (inference, parameter updates).
    /// - Returns: what `body` returns.
    @inlinable
    public static func noGrad<R>(_ body: () throws -> R) rethrows -> R {
        try with(enabled: false, body)
    }

    /// Runs `body` with graph recording set to `enabled` on this thread, then restores the previous setting.
    public static func with<R>(enabled: Bool, _ body: () throws -> R) rethrows -> R {
        let previous = isEnabled
        isEnabled = enabled
        defer { isEnabled = previous }
        return try body()
    }
}
