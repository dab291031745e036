/// How a convolution pads its input: a number of zeros on each side, or `.same` (PyTorch's
/// `padding='same'`), or `.valid` (none). Integer and array literals give a number of zeros.
///
/// ```swift
/// let a = Conv2d(3, 16, kernelSize: 3, padding: 1)       // one zero on each side
/// let b = Conv2d(3, 16, kernelSize: 4, padding: .same)   // output as large as the input
/// ```
public enum ConvPadding: Sendable, Equatable, ExpressibleByIntegerLiteral, ExpressibleByArrayLiteral,
    CustomStringConvertible
{
    /// The same number of zeros before and after, along rows and columns.
    case zeros(Size2)
    /// As many zeros as keep the output the size of the input (stride 1 only). The window's extent
    /// minus one, `dilation·(kernel − 1)`, is split in two; when it is odd, the extra zero goes after
    /// (bottom, right), as in PyTorch.
    case same

    /// No padding (PyTorch's `padding='valid'`).
    public static let valid = ConvPadding.zeros(0)

    /// The same number of zeros on every side, from a literal.
    public init(integerLiteral value: Int) { self = .zeros(Size2(value)) }

    /// `[rows, columns]` zeros, from a literal.
    public init(arrayLiteral elements: Int...) {
        invariant(elements.count == 2, "ConvPadding: needs exactly 2 values, got \(elements)")
        self = .zeros(Size2(elements[0], elements[1]))
    }

    /// `same`, or the number of zeros as ``Size2`` shows it.
    public var description: String {
        switch self {
        case .zeros(let size): return size.description
        case .same: return "same"
        }
    }

    /// Stops unless the padding can be used by `op` with `stride` (rows, columns; a 1-D convolution's
    /// is `(1, s)`): `.same` only with stride 1, numbers not negative, one number for 1-D.
    func check(_ op: String, stride: (Int, Int), oneDimensional: Bool = false) throws {
        switch self {
        case .same:
            try require(stride == (1, 1), "\(op): padding same needs stride 1, got stride \(oneDimensional ? "\(stride.1)" : "\(stride)")", .shapeMismatch)
        case .zeros(let size):
            try require(size.height >= 0 && size.width >= 0, "\(op): padding \(size) must not be negative")
            try require(!oneDimensional || size.height == size.width, "\(op): padding must be one number or .same, got \(size)")
        }
    }

    /// Zeros before and after along one dimension, for a kernel of `kernel` elements `dilation` apart:
    /// `same` puts the odd one after, as PyTorch does.
    ///
    /// - Parameters:
    ///   - dimension: 0 for the height, 1 for the width (and for one-dimensional convolutions).
    ///   - kernel: the kernel's extent along that dimension.
    ///   - dilation: the spacing between kernel elements.
    /// - Returns: the zeros before and after the input.
    ///
    /// ```swift
    /// ConvPadding.same.amounts(dimension: 0, kernel: 4, dilation: 1)   // (before: 1, after: 2)
    /// ```
    public func amounts(dimension: Int, kernel: Int, dilation: Int) -> (before: Int, after: Int) {
        switch self {
        case .zeros(let size):
            let n = dimension == 0 ? size.height : size.width
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
