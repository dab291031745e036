// Pooling layers for volumes and clips `[N, C, D, H, W]` (PyTorch's `nn.MaxPool3d`, `nn.AvgPool3d`,
// `nn.AdaptiveAvgPool3d`, `nn.AdaptiveMaxPool3d`, `nn.MaxUnpool3d`), around the functions of
// Functional+Pooling3d.swift.

/// 3-D max pooling (PyTorch's `nn.MaxPool3d`): the largest value of each window. No parameters.
///
/// ```swift
/// let pool = MaxPool3d(2)
/// let y = pool(x)   // [N, C, 16, 32, 32] -> [N, C, 8, 16, 16]
/// ```
public final class MaxPool3d: Module, Layer {
    /// The window size.
    public let kernelSize: Size3
    /// The step between windows (the kernel size by default).
    public let stride: Size3
    /// Implicit −∞ padding on each side.
    public let padding: Size3
    /// The spacing between window elements.
    public let dilation: Size3
    /// Whether a last, partial window makes an output (output size rounded up).
    public let ceilMode: Bool

    /// A max-pooling layer.
    ///
    /// - Parameters:
    ///   - kernelSize: the window size.
    ///   - stride: the step between windows; nil means `kernelSize`.
    ///   - padding: implicit −∞ padding, at most half the kernel.
    ///   - dilation: the spacing between window elements.
    ///   - ceilMode: round the output size up (PyTorch's `ceil_mode`), keeping a last, partial window.
    ///
    /// ```swift
    /// let pool = MaxPool3d([1, 2, 2])   // pools each frame, keeps the depth
    /// ```
    public init(_ kernelSize: Size3, stride: Size3? = nil, padding: Size3 = 0, dilation: Size3 = 1, ceilMode: Bool = false) {
        self.kernelSize = kernelSize
        self.stride = stride ?? kernelSize
        self.padding = padding
        self.dilation = dilation
        self.ceilMode = ceilMode
        super.init()
    }

    /// Pools `[N, C, D, H, W]` (or one unbatched `[C, D, H, W]`).
    public func callAsFunction(_ input: Tensor) -> Tensor {
        withForwardHooks(input) { input in
            Functional.maxPool3d(input, kernelSize: kernelSize.triple, stride: stride.triple, padding: padding.triple,
                                 dilation: dilation.triple, ceilMode: ceilMode)
        }
    }

    /// Pools and returns where each value came from (PyTorch's `return_indices=True`), for ``MaxUnpool3d``.
    ///
    /// ```swift
    /// let (pooled, at) = pool.withIndices(x)
    /// let restored = MaxUnpool3d(2)(pooled, indices: at)
    /// ```
    public func withIndices(_ input: Tensor) -> (values: Tensor, indices: Tensor) {
        withForwardHooks(input, { input in
            Functional.maxPool3dWithIndices(input, kernelSize: kernelSize.triple, stride: stride.triple, padding: padding.triple,
                                            dilation: dilation.triple, ceilMode: ceilMode)
        }, output: { $0.values }, replacingOutput: { (values: $1, indices: $0.indices) })
    }

    /// The configuration shown by ``Module/description`` (PyTorch's `extra_repr`).
    public override var extraDescription: String {
        "kernelSize: \(kernelSize), stride: \(stride), padding: \(padding), dilation: \(dilation)" + (ceilMode ? ", ceilMode: true" : "")
    }
}

/// 3-D average pooling (PyTorch's `nn.AvgPool3d`): the mean of each window. No parameters.
///
/// ```swift
/// let pool = AvgPool3d(2)
/// let y = pool(x)   // [N, C, 8, 8, 8] -> [N, C, 4, 4, 4]
/// ```
public final class AvgPool3d: Module, Layer {
    /// The window size.
    public let kernelSize: Size3
    /// The step between windows (the kernel size by default).
    public let stride: Size3
    /// Zero padding on each side.
    public let padding: Size3
    /// Whether padded zeros count in each window's divisor.
    public let countIncludePad: Bool
    /// Whether a last, partial window makes an output (output size rounded up).
    public let ceilMode: Bool

    /// An average-pooling layer.
    ///
    /// - Parameters:
    ///   - kernelSize: the window size.
    ///   - stride: the step between windows; nil means `kernelSize`.
    ///   - padding: zero padding, at most half the kernel.
    ///   - countIncludePad: whether padding counts in the divisor (PyTorch's default: true).
    ///   - ceilMode: round the output size up (PyTorch's `ceil_mode`), keeping a last, partial window.
    ///
    /// ```swift
    /// let pool = AvgPool3d(3, stride: 1, padding: 1, countIncludePad: false)
    /// ```
    public init(_ kernelSize: Size3, stride: Size3? = nil, padding: Size3 = 0, countIncludePad: Bool = true, ceilMode: Bool = false) {
        self.kernelSize = kernelSize
        self.stride = stride ?? kernelSize
        self.padding = padding
        self.countIncludePad = countIncludePad
        self.ceilMode = ceilMode
        super.init()
    }

    /// Pools `[N, C, D, H, W]` (or one unbatched `[C, D, H, W]`).
    public func callAsFunction(_ input: Tensor) -> Tensor {
        withForwardHooks(input) { input in
            Functional.avgPool3d(input, kernelSize: kernelSize.triple, stride: stride.triple, padding: padding.triple,
                                 countIncludePad: countIncludePad, ceilMode: ceilMode)
        }
    }

    /// The configuration shown by ``Module/description`` (PyTorch's `extra_repr`).
    public override var extraDescription: String {
        "kernelSize: \(kernelSize), stride: \(stride), padding: \(padding)"
            + (countIncludePad ? "" : ", countIncludePad: false") + (ceilMode ? ", ceilMode: true" : "")
    }
}

/// 3-D adaptive average pooling (PyTorch's `nn.AdaptiveAvgPool3d`): averages into a fixed output size
/// whatever the input size. `AdaptiveAvgPool3d(1)` is global average pooling of a volume.
///
/// ```swift
/// let gap = AdaptiveAvgPool3d(1)
/// let y = gap(x)   // [N, C, D, H, W] -> [N, C, 1, 1, 1]
/// ```
public final class AdaptiveAvgPool3d: Module, Layer {
    /// The output size (depth, rows, columns).
    public let outputSize: Size3

    /// An adaptive average-pooling layer with the given output size.
    ///
    /// - Parameter outputSize: the output's depth, height and width (positive).
    public init(_ outputSize: Size3) {
        self.outputSize = outputSize
        super.init()
    }

    /// Pools `[N, C, D, H, W]` to `[N, C, outputSize.depth, outputSize.height, outputSize.width]`.
    public func callAsFunction(_ input: Tensor) -> Tensor {
        withForwardHooks(input) { input in Functional.adaptiveAvgPool3d(input, outputSize: outputSize.triple) }
    }

    /// The configuration shown by ``Module/description`` (PyTorch's `extra_repr`).
    public override var extraDescription: String { "outputSize: \(outputSize)" }
}

/// 3-D adaptive max pooling (PyTorch's `nn.AdaptiveMaxPool3d`): the maximum of each cell of a fixed
/// output grid, whatever the input size.
///
/// ```swift
/// let pool = AdaptiveMaxPool3d([1, 2, 2])
/// ```
public final class AdaptiveMaxPool3d: Module, Layer {
    /// The output size (depth, rows, columns).
    public let outputSize: Size3

    /// An adaptive max-pooling layer with the given output size.
    ///
    /// - Parameter outputSize: the output's depth, height and width (positive).
    public init(_ outputSize: Size3) {
        self.outputSize = outputSize
        super.init()
    }

    /// Pools `[N, C, D, H, W]` to `[N, C, outputSize.depth, outputSize.height, outputSize.width]`.
    public func callAsFunction(_ input: Tensor) -> Tensor {
        withForwardHooks(input) { input in Functional.adaptiveMaxPool3d(input, outputSize: outputSize.triple) }
    }

    /// The configuration shown by ``Module/description`` (PyTorch's `extra_repr`).
    public override var extraDescription: String { "outputSize: \(outputSize)" }
}

/// Puts 3-D max-pooled values back where they came from (PyTorch's `nn.MaxUnpool3d`), zeros elsewhere,
/// with the indices of ``MaxPool3d/withIndices(_:)``.
///
/// ```swift
/// let pool = MaxPool3d(2), unpool = MaxUnpool3d(2)
/// let (pooled, at) = pool.withIndices(x)
/// let y = unpool(pooled, indices: at)   // x's shape, zeros but at each window's maximum
/// ```
public final class MaxUnpool3d: Module {
    /// The pooling window.
    public let kernelSize: Size3
    /// The pooling step.
    public let stride: Size3
    /// The pooling padding.
    public let padding: Size3

    /// An unpooling layer inverting ``MaxPool3d`` with the same window, stride and padding.
    ///
    /// - Parameters:
    ///   - kernelSize: the pooling window.
    ///   - stride: the pooling step; nil means the kernel size.
    ///   - padding: the pooling padding.
    public init(_ kernelSize: Size3, stride: Size3? = nil, padding: Size3 = 0) {
        self.kernelSize = kernelSize
        self.stride = stride ?? kernelSize
        self.padding = padding
        super.init()
    }

    /// The values of `input` placed at `indices` in volumes of `outputSize` (by default the size the
    /// pooling gives back; pass the pooled input's depth, height and width when pooling dropped a remainder).
    ///
    /// - Parameters:
    ///   - input: `[N, C, D, H, W]` or `[C, D, H, W]`.
    ///   - indices: int64 of the input's shape, from ``MaxPool3d/withIndices(_:)``.
    ///   - outputSize: the output's depth, height and width, or nil.
    public func callAsFunction(_ input: Tensor, indices: Tensor, outputSize: (Int, Int, Int)? = nil) -> Tensor {
        withForwardHooks(input) { input in
            Functional.maxUnpool3d(input, indices: indices, kernelSize: kernelSize.triple, stride: stride.triple,
                                   padding: padding.triple, outputSize: outputSize)
        }
    }

    /// The configuration shown by ``Module/description``.
    public override var extraDescription: String { "kernelSize: \(kernelSize), stride: \(stride), padding: \(padding)" }
}
