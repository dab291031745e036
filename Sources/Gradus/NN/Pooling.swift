/// 2-D max pooling (PyTorch's `nn.MaxPool2d`): the largest value of each window. No parameters.
///
/// ```swift
/// let pool = MaxPool2d(2)
/// let y = pool(x)   // [N, C, 28, 28] -> [N, C, 14, 14]
/// ```
public final class MaxPool2d: Module, Layer {
    /// The window size.
    public let kernelSize: Size2
    /// The step between windows (the kernel size by default).
    public let stride: Size2
    /// Implicit −∞ padding on each side.
    public let padding: Size2
    /// The spacing between window elements.
    public let dilation: Size2
    /// Whether a last, partial window at the bottom and right makes an output (output size rounded up).
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
    /// let pool = MaxPool2d(3, stride: 2, padding: 1)
    /// let ceilPool = MaxPool2d(3, stride: 2, ceilMode: true)   // [N, C, 8, 8] -> [N, C, 4, 4]
    /// ```
    public init(_ kernelSize: Size2, stride: Size2? = nil, padding: Size2 = 0, dilation: Size2 = 1,
                ceilMode: Bool = false) {
        self.kernelSize = kernelSize
        self.stride = stride ?? kernelSize
        self.padding = padding
        self.dilation = dilation
        self.ceilMode = ceilMode
        super.init()
    }

    /// Pools `[N, C, H, W]`.
    public func callAsFunction(_ input: Tensor) -> Tensor {
        withForwardHooks(input) { input in
            Functional.maxPool2d(input, kernelSize: kernelSize.pair, stride: stride.pair, padding: padding.pair,
                                 dilation: dilation.pair, ceilMode: ceilMode)
        }
    }

    /// Pools `[N, C, H, W]` and returns where each value came from (PyTorch's `return_indices=True`), for
    /// ``MaxUnpool2d``.
    ///
    /// ```swift
    /// let (pooled, at) = pool.withIndices(x)
    /// let restored = unpool(pooled, indices: at)
    /// ```
    public func withIndices(_ input: Tensor) -> (values: Tensor, indices: Tensor) {
        withForwardHooks(input, { input in
            Functional.maxPool2dWithIndices(input, kernelSize: kernelSize.pair, stride: stride.pair, padding: padding.pair,
                                            dilation: dilation.pair, ceilMode: ceilMode)
        }, output: { $0.values }, replacingOutput: { (values: $1, indices: $0.indices) })
    }

    /// The configuration shown by ``Module/description`` (PyTorch\'s `extra_repr`).

    public override var extraDescription: String {
        "kernelSize: \(kernelSize), stride: \(stride), padding: \(padding), dilation: \(dilation)"
            + (ceilMode ? ", ceilMode: true" : "")
    }
}

/// 2-D average pooling (PyTorch's `nn.AvgPool2d`): the mean of each window. No parameters.
///
/// ```swift
/// let pool = AvgPool2d(2)
/// let y = pool(x)   // [N, C, 8, 8] -> [N, C, 4, 4]
/// ```
public final class AvgPool2d: Module, Layer {
    /// The window size.
    public let kernelSize: Size2
    /// The step between windows (the kernel size by default).
    public let stride: Size2
    /// Zero padding on each side.
    public let padding: Size2
    /// Whether padded zeros count in each window's divisor.
    public let countIncludePad: Bool
    /// Whether a last, partial window at the bottom and right makes an output (output size rounded up).
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
    /// let pool = AvgPool2d(3, stride: 1, padding: 1)
    /// ```
    public init(_ kernelSize: Size2, stride: Size2? = nil, padding: Size2 = 0, countIncludePad: Bool = true,
                ceilMode: Bool = false) {
        self.kernelSize = kernelSize
        self.stride = stride ?? kernelSize
        self.padding = padding
        self.countIncludePad = countIncludePad
        self.ceilMode = ceilMode
        super.init()
    }

    /// Pools `[N, C, H, W]`.
    public func callAsFunction(_ input: Tensor) -> Tensor {
        withForwardHooks(input) { input in
            Functional.avgPool2d(input, kernelSize: kernelSize.pair, stride: stride.pair, padding: padding.pair,
                                 countIncludePad: countIncludePad, ceilMode: ceilMode)
        }
    }

    /// The configuration shown by ``Module/description`` (PyTorch\'s `extra_repr`).

    public override var extraDescription: String {
        "kernelSize: \(kernelSize), stride: \(stride), padding: \(padding)"
            + (countIncludePad ? "" : ", countIncludePad: false") + (ceilMode ? ", ceilMode: true" : "")
    }
}

/// 2-D adaptive average pooling (PyTorch's `nn.AdaptiveAvgPool2d`): averages into a fixed output size
/// whatever the input size. `AdaptiveAvgPool2d(1)` is global average pooling.
///
/// ```swift
/// let gap = AdaptiveAvgPool2d(1)
/// let y = gap(x)   // [N, C, H, W] -> [N, C, 1, 1]
/// ```
public final class AdaptiveAvgPool2d: Module, Layer {
    /// The output size (rows, columns).
    public let outputSize: Size2

    /// An adaptive average-pooling layer with the given output size.
    ///
    /// ```swift
    /// let pool = AdaptiveAvgPool2d([7, 7])
    /// ```
    public init(_ outputSize: Size2) {
        self.outputSize = outputSize
        super.init()
    }

    /// Pools `[N, C, H, W]` to `[N, C, outputSize.height, outputSize.width]`.
    public func callAsFunction(_ input: Tensor) -> Tensor {
        withForwardHooks(input) { input in
            Functional.adaptiveAvgPool2d(input, outputSize: outputSize.pair)
        }
    }

    /// The configuration shown by ``Module/description`` (PyTorch\'s `extra_repr`).

    public override var extraDescription: String { "outputSize: \(outputSize)" }
}

/// Puts max-pooled values back where they came from (PyTorch's `nn.MaxUnpool2d`), zeros elsewhere: the
/// decoder half of a SegNet-style model, with the indices of ``MaxPool2d/withIndices(_:)``.
///
/// ```swift
/// let pool = MaxPool2d(2), unpool = MaxUnpool2d(2)
/// let (pooled, at) = pool.withIndices(x)
/// let y = unpool(pooled, indices: at)   // x's shape, zeros but at each window's maximum
/// ```
public final class MaxUnpool2d: Module {
    /// The pooling window.
    public let kernelSize: Size2
    /// The pooling step.
    public let stride: Size2
    /// The pooling padding.
    public let padding: Size2

    /// An unpooling layer inverting ``MaxPool2d`` with the same window, stride and padding.
    ///
    /// - Parameters:
    ///   - kernelSize: the pooling window.
    ///   - stride: the pooling step; nil means the kernel size.
    ///   - padding: the pooling padding.
    public init(_ kernelSize: Size2, stride: Size2? = nil, padding: Size2 = 0) {
        self.kernelSize = kernelSize
        self.stride = stride ?? kernelSize
        self.padding = padding
        super.init()
    }

    /// The values of `input` placed at `indices` in planes of `outputSize` (by default the size the
    /// pooling gives back; pass the pooled input's height and width when pooling dropped a remainder).
    ///
    /// - Parameters:
    ///   - input: `[N, C, H, W]` or `[C, H, W]`.
    ///   - indices: int64 of the input's shape, from ``MaxPool2d/withIndices(_:)``.
    ///   - outputSize: the output's height and width, or nil.
    public func callAsFunction(_ input: Tensor, indices: Tensor, outputSize: (Int, Int)? = nil) -> Tensor {
        withForwardHooks(input) { input in
            Functional.maxUnpool2d(input, indices: indices, kernelSize: kernelSize.pair, stride: stride.pair, padding: padding.pair,
                                   outputSize: outputSize)
        }
    }

    /// The configuration shown by ``Module/description``.
    public override var extraDescription: String {
        "kernelSize: \(kernelSize), stride: \(stride), padding: \(padding)"
    }
}
