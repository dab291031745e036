/// Three sizes for 3-D layers (depth, rows, columns), written as one integer for all three or as a
/// three-element array, like PyTorch's `int | tuple` arguments of `nn.Conv3d` and the 3-D pools.
///
/// ```swift
/// let a = Conv3d(1, 8, kernelSize: 3)            // 3×3×3
/// let b = Conv3d(1, 8, kernelSize: [1, 3, 3])    // one frame deep, 3×3 wide
/// ```
public struct Size3: Sendable, Equatable, ExpressibleByIntegerLiteral, ExpressibleByArrayLiteral,
    CustomStringConvertible
{
    /// The size along the depth (time, slices).
    public let depth: Int
    /// The size along rows (height).
    public let height: Int
    /// The size along columns (width).
    public let width: Int

    /// Different sizes along depth, rows and columns.
    public init(_ depth: Int, _ height: Int, _ width: Int) {
        self.depth = depth
        self.height = height
        self.width = width
    }

    /// The same size along all three dimensions.
    public init(_ size: Int) { self.init(size, size, size) }

    /// The same size along all three dimensions, from a literal.
    public init(integerLiteral value: Int) { self.init(value) }

    /// `[depth, height, width]` from a literal.
    public init(arrayLiteral elements: Int...) {
        invariant(elements.count == 3, "Size3: needs exactly 3 values, got \(elements)")
        self.init(elements[0], elements[1], elements[2])
    }

    /// The sizes as a tuple.
    public var triple: (Int, Int, Int) { (depth, height, width) }

    /// `3` for a cube, `[1, 3, 3]` otherwise.
    public var description: String {
        depth == height && height == width ? "\(depth)" : "[\(depth), \(height), \(width)]"
    }
}
