import ArgumentParser
import Gradus

/// `--max-memory`, shared by the commands: the budget (``MemoryBudget``) that every size read from a
/// file, a checkpoint or a flag is checked against before memory is allocated for it.
public struct ResourceOptions: ParsableArguments {
    /// The budget as given: bytes, or a number with K, M, G or T (binary units).
    @Option(help: ArgumentHelp("The memory that data files and models may take, e.g. 512M or 8G (default 1G); files may decode to half of it.",
                               valueName: "size"))
    public var maxMemory: String?

    public init() {}

    public func validate() throws { _ = try bytes() }

    /// The budget in bytes, or nil for the default.
    func bytes() throws -> Int? {
        guard let text = maxMemory else { return nil }
        guard let parsed = Self.parse(text), parsed >= 1 << 20 else {
            throw ValidationError("--max-memory '\(text)' must be a size of at least 1M, such as 512M or 8G")
        }
        return parsed
    }

    /// Applies the budget.
    func apply() throws {
        if let b = try bytes() { MemoryBudget.bytes = b }
    }

    /// "8G" → 8 GiB; nil when malformed or overflowing.
    static func parse(_ text: String) -> Int? {
        var digits = Substring(text.uppercased())
        var unit = 1
        if let last = digits.last, let shift = ["K": 10, "M": 20, "G": 30, "T": 40][String(last)] {
            unit = 1 << shift
            digits = digits.dropLast()
        }
        guard !digits.isEmpty, digits.allSatisfy(\.isNumber), let n = Int(digits) else { return nil }
        let (b, o) = n.multipliedReportingOverflow(by: unit)
        return o ? nil : b
    }
}
