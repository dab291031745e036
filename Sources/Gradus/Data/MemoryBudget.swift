#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// How much memory Gradus may plan to use for what comes from outside — decoded files, models built from
/// a configuration or a checkpoint — checked *before* allocating, so that a hostile or mistaken size
/// fails with an error naming it instead of exhausting the machine.
///
/// The default is 1 GiB; the `gradus` commands set it from `--max-memory`. Readers accept files that
/// decode to at most half of it (``ReaderLimits/defaultMaxBytes``); a model's parameters, gradients and
/// optimizer state together must fit in it.
///
/// ```swift
/// MemoryBudget.bytes = 8 << 30      // allow 8 GiB
/// ```
public enum MemoryBudget {
    private static let stored = Atomic<Int>(1 << 30)

    /// The budget in bytes (at least 1 MiB): the current thread's scoped budget
    /// (``withBudget(_:_:)``) when there is one, else the process-wide one, which setting changes.
    public static var bytes: Int {
        get {
            if let raw = pthread_getspecific(scopeKey) { return Unmanaged<Box>.fromOpaque(raw).takeUnretainedValue().bytes }
            return stored.load(ordering: .relaxed)
        }
        set { stored.store(Swift.max(newValue, 1 << 20), ordering: .relaxed) }
    }

    /// Runs `body` with a budget of its own on the current thread (at least 1 MiB), leaving the
    /// process-wide budget and other threads alone: a server can bound one request, and tests that
    /// shrink the budget do not disturb tests running beside them.
    ///
    /// ```swift
    /// let table = try MemoryBudget.withBudget(64 << 20) { try CSVReader.read(upload, targetColumn: "y") }
    /// ```
    public static func withBudget<R>(_ bytes: Int, _ body: () throws -> R) rethrows -> R {
        let previous = pthread_getspecific(scopeKey)
        let box = Unmanaged.passRetained(Box(Swift.max(bytes, 1 << 20)))
        pthread_setspecific(scopeKey, box.toOpaque())
        defer {
            pthread_setspecific(scopeKey, previous)
            box.release()
        }
        return try body()
    }

    private final class Box {
        let bytes: Int
        init(_ bytes: Int) { self.bytes = bytes }
    }

    private static let scopeKey: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    /// Throws a ``DataError`` of kind `.tooLarge` when `needed` bytes exceed the budget.
    ///
    /// - Parameters:
    ///   - needed: the bytes about to be allocated (`nil` when computing them overflowed).
    ///   - what: what they are for, named in the message.
    ///   - source: the file or option they come from.
    ///
    /// ```swift
    /// try MemoryBudget.check(parameterBytes, for: "the model's parameters", source: "--hidden")
    /// ```
    public static func check(_ needed: Int?, for what: String, source: String) throws {
        guard let needed else {
            throw DataError(.overflow, file: source, "\(what): the size overflows")
        }
        guard needed <= bytes else {
            throw DataError(.tooLarge, file: source,
                            "\(what) need \(describe(needed)), over the memory budget of \(describe(bytes)) (raise it with --max-memory)")
        }
    }

    /// A byte count for messages: "1.5 GiB", "12 MiB", "300 bytes".
    public static func describe(_ n: Int) -> String {
        if n >= 1 << 30 { return "\((Double(n) / Double(1 << 30) * 10).rounded() / 10) GiB" }
        if n >= 1 << 20 { return "\(n >> 20) MiB" }
        return "\(n) bytes"
    }
}
