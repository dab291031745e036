/// How a 3-D convolution pads its input: a number of zeros on each side of depth, rows and columns,
/// `.same` (PyTorch's `padding='same'`) or `.valid` (none). Integer and array literals give zeros.
///
/// ```swift
/// let a = Conv3d(1, 8, kernelSize: 3, padding: 1)          // one zero on every side
/// let b = Conv3d(1, 8, kernelSize: 4, padding: .same)      // output as large as the input
/// let c = Conv3d(1, 8, kernelSize: 3, padding: [0, 1, 1])  // none along the depth
/// ```
public enum ConvPadding3d: Sendable, Equatable, ExpressibleByIntegerLiteral, ExpressibleByArrayLiteral,
    CustomStringConvertible
{
    /// The same number of zeros before and after, along depth, rows and columns.
    case zeros(Size3)
    /// As many zeros as keep the output the size of the input (stride 1 only). The window's extent
    /// minus one, `dilation·(kernel − 1)`, is split in two; when it is odd, the extra zero goes after,
    /// as in PyTorch.
    case same

    /// No padding (PyTorch's `padding='valid'`).
    public static let valid = ConvPadding3d.zeros(0)

    /// The same number of zeros on every side, from a literal.
    public init(integerLiteral value: Int) { self = .zeros(Size3(value)) }

    /// `[depth, rows, columns]` zeros, from a literal.
    public init(arrayLiteral elements: Int...) {
        invariant(elements.count == 3, "ConvPadding3d: needs exactly 3 values, got \(elements)")
        self = .zeros(Size3(elements[0], elements[1], elements[2]))
    }

    /// `same`, or the number of zeros as ``Size3`` shows it.
    public var description: String {
        switch self {
        case .zeros(let size): return size.description
        case .same: return "same"
        }
    }

    /// Throws unless the padding can be used by `op` with `stride`: `.same` only with stride 1,
    /// numbers not negative.
    func check(_ op: String, stride: (Int, Int, Int)) throws {
        switch self {
        case .same:
            try require(stride == (1, 1, 1), "\(op): padding same needs stride 1, got stride \(stride)", .shapeMismatch)
        case .zeros(let size):
            try require(size.depth >= 0 && size.height >= 0 && size.width >= 0, "\(op): padding \(size) must not be negative")
        }
    }

    /// Zeros before and after along one dimension, for a kernel of `kernel` elements `dilation` apart:
    /// `same` puts the odd one after, as PyTorch does.
    ///
    /// - Parameters:
    ///   - dimension: 0 for the depth, 1 for the height, 2 for the width.
    ///   - kernel: the kernel's extent along that dimension.
    ///   - dilation: the spacing between kernel elements.
    /// - Returns: the zeros before and after the input.
    ///
    /// ```swift
    /// ConvPadding3d.same.amounts(dimension: 0, kernel: 2, dilation: 1)   // (before: 0, after: 1)
    /// ```
    public func amounts(dimension: Int, kernel: Int, dilation: Int) -> (before: Int, after: Int) {
        switch self {
        case .zeros(let size):
            let n = [size.depth, size.height, size.width][Swift.min(Swift.max(dimension, 0), 2)]
            return (n, n)
        case .same:
            // A dilation or kernel the convolution refuses gives no padding (the convolution then names
            // it); an extent past Int32.max saturates there, and the convolution refuses the padding.
            guard dilation >= 1 && kernel >= 1 else { return (0, 0) }
            let (product, overflow) = dilation.multipliedReportingOverflow(by: kernel - 1)
            let total = overflow ? Int(Int32.max) * 2 + 2 : Swift.min(product, Int(Int32.max) * 2 + 2)
            return (total / 2, total - total / 2)
        }
    }
}
