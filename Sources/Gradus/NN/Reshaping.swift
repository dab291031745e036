/// Merges dimensions `startAxis` through `endAxis` (PyTorch's `nn.Flatten`; by default all but the batch
/// dimension).
///
/// ```swift
/// let flat = Flatten()(x)   // [N, C, H, W] -> [N, C·H·W]
/// ```
public final class Flatten: Module, Layer {
    /// The first dimension merged.
    public let startAxis: Int
    /// The last dimension merged.
    public let endAxis: Int

    /// A flattening layer.
    ///
    /// - Parameters:
    ///   - startAxis: the first dimension to merge (default 1).
    ///   - endAxis: the last dimension to merge (default −1, the last).
    ///
    /// ```swift
    /// let f = Flatten(startAxis: 0)
    /// ```
    public init(startAxis: Int = 1, endAxis: Int = -1) {
        self.startAxis = startAxis
        self.endAxis = endAxis
        super.init()
    }

    /// The former spelling of ``init(startAxis:endAxis:)``.
    @available(*, deprecated, renamed: "init(startAxis:endAxis:)")
    public convenience init(startDim: Int, endDim: Int = -1) { self.init(startAxis: startDim, endAxis: endDim) }

    /// Flattens `input`.
    public func callAsFunction(_ input: Tensor) -> Tensor { input.flatten(startAxis: startAxis, endAxis: endAxis) }

    /// The configuration shown by ``Module/description`` (PyTorch\'s `extra_repr`).

    public override var extraDescription: String { "startAxis: \(startAxis), endAxis: \(endAxis)" }
}

/// Returns its input unchanged (PyTorch's `nn.Identity`): a placeholder, e.g. to remove a layer.
///
/// ```swift
/// let head: any Layer = useHead ? Linear(64, 10) : Identity()
/// ```
public final class Identity: Module, Layer {
    /// An identity layer.
    public override init() { super.init() }

    /// Returns `input`.
    public func callAsFunction(_ input: Tensor) -> Tensor { input }
}

/// Splits dimension `axis` into `sizes` (PyTorch's `nn.Unflatten`); one size may be −1 (inferred).
///
/// ```swift
/// let images = Unflatten(axis: 1, sizes: [1, 28])(x)   // [N, 28, 28] -> [N, 1, 28, 28]
/// ```
public final class Unflatten: Module, Layer {
    /// The dimension split.
    public let axis: Int
    /// The sizes it is split into.
    public let sizes: [Int]

    /// An unflattening layer.
    ///
    /// - Parameters:
    ///   - axis: the dimension to split (negative counts from the end).
    ///   - sizes: the sizes replacing it; their product must equal its size (one may be −1).
    public init(axis: Int, sizes: [Int]) {
        self.axis = axis
        self.sizes = sizes
        super.init()
    }

    /// Splits `input`'s dimension ``axis``.
    public func callAsFunction(_ input: Tensor) -> Tensor {
        checked {
            let a = axis < 0 ? axis + input.rank : axis
            try require(a >= 0 && a < input.rank, "Unflatten: axis \(axis) is out of range for shape \(input.shape)", .indexOutOfRange)
            let shape = Array(input.shape[..<a]) + sizes + Array(input.shape[(a + 1)...])
            return input.reshape(shape)
        }
    }

    public override var extraDescription: String { "axis: \(axis), sizes: \(sizes)" }
}
