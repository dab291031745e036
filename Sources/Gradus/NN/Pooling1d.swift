// Pooling of `[N, C, L]` sequences (PyTorch's `F.max_pool1d`, `F.avg_pool1d`, `F.adaptive_avg_pool1d`)
// and adaptive max pooling of images (`F.adaptive_max_pool2d`). The 1-D forms run the 2-D kernels on a
// height of 1, so their rules (ceil mode, padding limits, divisors) and gradients are the 2-D ones.

extension Functional {
    /// 1-D max pooling of `[N, C, L]`, like PyTorch's `F.max_pool1d`.
    ///
    /// ```swift
    /// let y = Functional.maxPool1d(x, kernelSize: 2)   // [N, C, L / 2]
    /// ```
    public static func maxPool1d(_ input: Tensor, kernelSize: Int, stride: Int? = nil, padding: Int = 0,
                                 dilation: Int = 1, ceilMode: Bool = false) -> Tensor {
        checked {
            try require(input.rank == 3, "maxPool1d: input must be [N, C, L], got \(input.shape)", .shapeMismatch)
            return maxPool2d(input.unsqueeze(2), kernelSize: (1, kernelSize), stride: (1, stride ?? kernelSize),
                             padding: (0, padding), dilation: (1, dilation), ceilMode: ceilMode).squeeze(2)
        }
    }

    /// 1-D average pooling of `[N, C, L]`, like PyTorch's `F.avg_pool1d`.
    ///
    /// ```swift
    /// let y = Functional.avgPool1d(x, kernelSize: 3, stride: 1, padding: 1)
    /// ```
    public static func avgPool1d(_ input: Tensor, kernelSize: Int, stride: Int? = nil, padding: Int = 0,
                                 countIncludePad: Bool = true, ceilMode: Bool = false) -> Tensor {
        checked {
            try require(input.rank == 3, "avgPool1d: input must be [N, C, L], got \(input.shape)", .shapeMismatch)
            return avgPool2d(input.unsqueeze(2), kernelSize: (1, kernelSize), stride: (1, stride ?? kernelSize),
                             padding: (0, padding), countIncludePad: countIncludePad, ceilMode: ceilMode).squeeze(2)
        }
    }

    /// 1-D adaptive average pooling of `[N, C, L]` to `[N, C, outputSize]` (PyTorch's
    /// `F.adaptive_avg_pool1d`).
    ///
    /// ```swift
    /// let pooled = Functional.adaptiveAvgPool1d(x, outputSize: 1).squeeze(2)   // [N, C]
    /// ```
    public static func adaptiveAvgPool1d(_ input: Tensor, outputSize: Int) -> Tensor {
        checked {
            try require(input.rank == 3, "adaptiveAvgPool1d: input must be [N, C, L], got \(input.shape)", .shapeMismatch)
            return adaptiveAvgPool2d(input.unsqueeze(2), outputSize: (1, outputSize)).squeeze(2)
        }
    }

    /// 2-D adaptive max pooling (PyTorch's `F.adaptive_max_pool2d`): output cell (i, j) is the maximum of
    /// input rows ⌊i·H/oh⌋ ..< ⌈(i+1)·H/oh⌉ and the columns likewise. The gradient goes to the maximum
    /// of each cell (the first one on ties, as PyTorch's kernel).
    ///
    /// ```swift
    /// let features = Functional.adaptiveMaxPool2d(x, outputSize: (1, 1)).flatten(startAxis: 1)
    /// ```
    public static func adaptiveMaxPool2d(_ input: Tensor, outputSize: (Int, Int)) -> Tensor {
        checked {
            let op = "adaptiveMaxPool2d"
            try require(input.rank == 4, "\(op): input must be [N, C, H, W], got \(input.shape)", .shapeMismatch)
            let (oh, ow) = try checkedPair(outputSize, "output size", op, min: 1)
            let (n, c, h, w) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
            try require(h > 0 && w > 0, "\(op): input \(input.shape) has an empty spatial dimension", .shapeMismatch)
            try require(oh * ow <= 1 << 16, "\(op): output size \(outputSize) has more than 65536 cells", .shapeMismatch)
            func bins(_ o: Int, _ size: Int) -> [(Int, Int)] {
                (0..<o).map { i in (i * size / o, ((i + 1) * size + o - 1) / o) }
            }
            let rows = bins(oh, h), columns = bins(ow, w)
            // Each cell: the maximum over its window of the flattened plane (a gathered copy of the
            // window's positions); max's gradient goes to the first maximum, as PyTorch's kernel.
            let plane = input.reshape([n, c, h * w])
            var cells: [Tensor] = []
            for (r0, r1) in rows {
                for (c0, c1) in columns {
                    var positions: [Int] = []
                    for r in r0..<r1 { for q in c0..<c1 { positions.append(r * w + q) } }
                    cells.append(plane.indexSelect(axis: 2, index: Tensor(shape: [positions.count], integers: positions))
                        .max(axis: 2).values)
                }
            }
            return Tensor.stack(cells, axis: 2).reshape([n, c, oh, ow])
        }
    }
}

/// 1-D max pooling of `[N, C, L]` (PyTorch's `nn.MaxPool1d`).
///
/// ```swift
/// let pool = MaxPool1d(2)
/// ```
public final class MaxPool1d: Module, Layer {
    /// The window's length.
    public let kernelSize: Int
    /// The step between windows.
    public let stride: Int
    /// Padding on each side (at most half the window).
    public let padding: Int
    /// Whether a last, partial window makes an output too.
    public let ceilMode: Bool

    /// A 1-D max-pooling layer.
    ///
    /// - Parameters:
    ///   - kernelSize: the window's length.
    ///   - stride: the step (default: the window's length).
    ///   - padding: on each side (default 0).
    ///   - ceilMode: PyTorch's `ceil_mode` (default false).
    public init(_ kernelSize: Int, stride: Int? = nil, padding: Int = 0, ceilMode: Bool = false) {
        self.kernelSize = kernelSize
        self.stride = stride ?? kernelSize
        self.padding = padding
        self.ceilMode = ceilMode
        super.init()
    }

    /// Pools `input`.
    public func callAsFunction(_ input: Tensor) -> Tensor {
        Functional.maxPool1d(input, kernelSize: kernelSize, stride: stride, padding: padding, ceilMode: ceilMode)
    }

    /// The configuration shown by ``Module/description`` (PyTorch's `extra_repr`).
    public override var extraDescription: String { "\(kernelSize), stride: \(stride), padding: \(padding)" }
}

/// 1-D average pooling of `[N, C, L]` (PyTorch's `nn.AvgPool1d`).
///
/// ```swift
/// let pool = AvgPool1d(3, stride: 1, padding: 1)
/// ```
public final class AvgPool1d: Module, Layer {
    /// The window's length.
    public let kernelSize: Int
    /// The step between windows.
    public let stride: Int
    /// Padding on each side (at most half the window).
    public let padding: Int
    /// Whether padded zeros count in each window's divisor.
    public let countIncludePad: Bool

    /// A 1-D average-pooling layer.
    ///
    /// - Parameters:
    ///   - kernelSize: the window's length.
    ///   - stride: the step (default: the window's length).
    ///   - padding: on each side (default 0).
    ///   - countIncludePad: PyTorch's `count_include_pad` (default true).
    public init(_ kernelSize: Int, stride: Int? = nil, padding: Int = 0, countIncludePad: Bool = true) {
        self.kernelSize = kernelSize
        self.stride = stride ?? kernelSize
        self.padding = padding
        self.countIncludePad = countIncludePad
        super.init()
    }

    /// Pools `input`.
    public func callAsFunction(_ input: Tensor) -> Tensor {
        Functional.avgPool1d(input, kernelSize: kernelSize, stride: stride, padding: padding, countIncludePad: countIncludePad)
    }

    /// The configuration shown by ``Module/description`` (PyTorch's `extra_repr`).
    public override var extraDescription: String { "\(kernelSize), stride: \(stride), padding: \(padding)" }
}

/// 2-D adaptive max pooling (PyTorch's `nn.AdaptiveMaxPool2d`).
///
/// ```swift
/// let pool = AdaptiveMaxPool2d(Size2(1, 1))
/// ```
public final class AdaptiveMaxPool2d: Module, Layer {
    /// The output's (rows, columns).
    public let outputSize: Size2

    /// An adaptive max-pooling layer to `outputSize`.
    public init(_ outputSize: Size2) {
        self.outputSize = outputSize
        super.init()
    }

    /// Pools `input`.
    public func callAsFunction(_ input: Tensor) -> Tensor {
        Functional.adaptiveMaxPool2d(input, outputSize: outputSize.pair)
    }

    /// The configuration shown by ``Module/description`` (PyTorch's `extra_repr`).
    public override var extraDescription: String { "\(outputSize)" }
}
