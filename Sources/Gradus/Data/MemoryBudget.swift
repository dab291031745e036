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

    /// The budget in bytes (at least 1 MiB).
    public static var bytes: Int {
        get { stored.load(ordering: .relaxed) }
        set { stored.store(Swift.max(newValue, 1 << 20), ordering: .relaxed) }
    }

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
