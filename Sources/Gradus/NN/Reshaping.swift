/// Merges dimensions `startDim` through `endDim` (PyTorch's `nn.Flatten`; by default all but the batch
/// dimension).
///
/// ```swift
/// let flat = Flatten()(x)   // [N, C, H, W] -> [N, C·H·W]
/// ```
public final class Flatten: Module, Layer {
    /// The first dimension merged.
    public let startDim: Int
    /// The last dimension merged.
    public let endDim: Int

    /// A flattening layer.
    ///
    /// - Parameters:
    ///   - startDim: the first dimension to merge (default 1).
    ///   - endDim: the last dimension to merge (default −1, the last).
    ///
    /// ```swift
    /// let f = Flatten(startDim: 0)
    /// ```
    public init(startDim: Int = 1, endDim: Int = -1) {
        self.startDim = startDim
        self.endDim = endDim
        super.init()
    }

    /// Flattens `input`.
    public func callAsFunction(_ input: Tensor) -> Tensor { input.flatten(startDim: startDim, endDim: endDim) }

    /// The configuration shown by ``Module/description`` (PyTorch\'s `extra_repr`).

    public override var extraDescription: String { "startDim: \(startDim), endDim: \(endDim)" }
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
