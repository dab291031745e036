/// Counts of (actual class, predicted class) pairs.
///
/// ```swift
/// var cm = ConfusionMatrix(classes: 3)
/// cm.add(actual: 2, predicted: 1)
/// print(cm.formatted())
/// ```
public struct ConfusionMatrix: Sendable, Equatable {
    /// The number of classes.
    public let classes: Int
    /// `counts[actual][predicted]`.
    public private(set) var counts: [[Int]]

    /// An empty matrix for `classes` classes.
    ///
    /// - Parameter classes: the number of classes.
    ///
    /// ```swift
    /// let cm = ConfusionMatrix(classes: 10)
    /// ```
    public init(classes: Int) {
        var classes = validSetting(classes >= 1, "ConfusionMatrix: needs at least one class, got \(classes)") ? classes : 1
        if !validSetting(classes <= Self.mostClasses, Self.tooManyClasses(classes)) { classes = 1 }
        self.classes = classes
        counts = Array(repeating: Array(repeating: 0, count: classes), count: classes)
    }

    /// The most classes whose classes² counts of 8 bytes fit in ``MemoryBudget`` (11,585 for 1 GiB).
    static var mostClasses: Int { Int(Double(MemoryBudget.bytes / 8).squareRoot()) }

    /// The message for a matrix of `classes` over ``mostClasses``.
    static func tooManyClasses(_ classes: Int) -> String {
        "ConfusionMatrix: \(classes) classes need \(classes)² counts, more than the memory budget of "
            + "\(MemoryBudget.describe(MemoryBudget.bytes)) holds (at most \(mostClasses) classes; raise MemoryBudget.bytes)"
    }

    /// A matrix with the given counts (`classes × classes`), e.g. sums over processes.
    init(classes: Int, counts: [[Int]]) {
        self.classes = classes
        self.counts = counts
    }

    /// Counts one sample.
    ///
    /// - Parameters:
    ///   - actual: the true class.
    ///   - predicted: the predicted class.
    ///
    /// ```swift
    /// cm.add(actual: 3, predicted: 3)
    /// ```
    public mutating func add(actual: Int, predicted: Int) {
        checked(or: ()) {
            try require(actual >= 0 && actual < classes && predicted >= 0 && predicted < classes,
                         "ConfusionMatrix.add: classes \(actual), \(predicted) out of range 0..<\(classes)", .indexOutOfRange)
            counts[actual][predicted] += 1
        }
    }

    /// The number of samples counted.
    public var total: Int { counts.reduce(0) { $0 + $1.reduce(0, +) } }

    /// The fraction on the diagonal (0 when empty).
    public var accuracy: Double {
        let t = total
        return t == 0 ? 0 : Double((0..<classes).reduce(0) { $0 + counts[$1][$1] }) / Double(t)
    }

    /// A text table: one row per actual class, one column per predicted class.
    ///
    /// ```swift
    /// print(cm.formatted())
    /// ```
    public func formatted() -> String {
        let width = Swift.max(4, String(counts.flatMap { $0 }.max() ?? 0).count + 1)
        func pad(_ s: String) -> String { String(repeating: " ", count: Swift.max(0, width - s.count)) + s }
        var lines = ["actual \\ predicted"]
        lines.append(pad("") + (0..<classes).map { pad(String($0)) }.joined())
        for a in 0..<classes {
            lines.append(pad(String(a)) + counts[a].map { pad(String($0)) }.joined())
        }
        return lines.joined(separator: "\n")
    }
}
