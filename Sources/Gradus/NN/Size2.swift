/// A pair of sizes for 2-D layers (rows, columns), written as one integer for both or as a two-element
/// array, like PyTorch's `int | tuple` arguments.
///
/// ```swift
/// let a = Conv2d(3, 16, kernelSize: 3)          // 3×3
/// let b = Conv2d(3, 16, kernelSize: [1, 5])     // 1×5
/// ```
public struct Size2: Sendable, Equatable, ExpressibleByIntegerLiteral, ExpressibleByArrayLiteral,
    CustomStringConvertible
{
    /// The size along rows (height).
    public let height: Int
    /// The size along columns (width).
    public let width: Int

    /// Different sizes along rows and columns.
    public init(_ height: Int, _ width: Int) {
        self.height = height
        self.width = width
    }

    /// The same size along both dimensions.
    public init(_ size: Int) { self.init(size, size) }

    /// The same size along both dimensions, from a literal.
    public init(integerLiteral value: Int) { self.init(value) }

    /// `[height, width]` from a literal.
    public init(arrayLiteral elements: Int...) {
        invariant(elements.count == 2, "Size2: needs exactly 2 values, got \(elements)")
        self.init(elements[0], elements[1])
    }

    /// The pair as a tuple.
    public var pair: (Int, Int) { (height, width) }

    /// `3` for a square size, `[1, 5]` otherwise.
    public var description: String { height == width ? "\(height)" : "[\(height), \(width)]" }
}

/// A new generator seeded from the default generator (``Random``): how layers created without a
/// generator draw their initial weights, so that `Random.manualSeed` makes model creation repeatable.
func splitDefaultGenerator() -> SeededGenerator {
    SeededGenerator(seed: Random.withDefault { $0.next() })
}
