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
        if let y = unbatched(input, batchedRank: 3, {
            maxPool1d($0, kernelSize: kernelSize, stride: stride, padding: padding, dilation: dilation, ceilMode: ceilMode)
        }) { return y }
        return checked {
            try require(input.rank == 3, "maxPool1d: input must be [N, C, L], got \(input.shape)", .shapeMismatch)
            try input.requireFloat("maxPool1d")   // as PyTorch's max_pool1d ("not implemented for 'Long'"); 2-D and 3-D pool integers
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
        if let y = unbatched(input, batchedRank: 3, {
            avgPool1d($0, kernelSize: kernelSize, stride: stride, padding: padding, countIncludePad: countIncludePad, ceilMode: ceilMode)
        }) { return y }
        return checked {
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
        if let y = unbatched(input, batchedRank: 3, { adaptiveAvgPool1d($0, outputSize: outputSize) }) { return y }
        return checked {
            try require(input.rank == 3, "adaptiveAvgPool1d: input must be [N, C, L], got \(input.shape)", .shapeMismatch)
            return adaptiveAvgPool2d(input.unsqueeze(2), outputSize: (1, outputSize)).squeeze(2)
        }
    }

    /// 1-D adaptive max pooling of `[N, C, L]` to `[N, C, outputSize]` (PyTorch's
    /// `F.adaptive_max_pool1d`): output i is the maximum of positions ⌊i·L/o⌋ ..< ⌈(i+1)·L/o⌉.
    ///
    /// ```swift
    /// let strongest = Functional.adaptiveMaxPool1d(x, outputSize: 1).squeeze(2)   // [N, C]
    /// ```
    public static func adaptiveMaxPool1d(_ input: Tensor, outputSize: Int) -> Tensor {
        if let y = unbatched(input, batchedRank: 3, { adaptiveMaxPool1d($0, outputSize: outputSize) }) { return y }
        return checked {
            try require(input.rank == 3, "adaptiveMaxPool1d: input must be [N, C, L], got \(input.shape)", .shapeMismatch)
            return adaptiveMaxPool2d(input.unsqueeze(2), outputSize: (1, outputSize)).squeeze(2)
        }
    }

    /// 2-D adaptive max pooling (PyTorch's `F.adaptive_max_pool2d`): output cell (i, j) is the maximum of
    /// input rows ⌊i·H/oh⌋ ..< ⌈(i+1)·H/oh⌉ and the columns likewise. As PyTorch's kernel, the first
    /// largest element of a window wins (its gradient goes there), or the last NaN of a window that has one.
    ///
    /// ```swift
    /// let features = Functional.adaptiveMaxPool2d(x, outputSize: (1, 1)).flatten(startAxis: 1)
    /// ```
    public static func adaptiveMaxPool2d(_ input: Tensor, outputSize: (Int, Int)) -> Tensor {
        if let y = unbatched(input, batchedRank: 4, { adaptiveMaxPool2d($0, outputSize: outputSize) }) { return y }
        return checked {
            let op = "adaptiveMaxPool2d"
            try require(input.rank == 4, "\(op): input must be [N, C, H, W], got \(input.shape)", .shapeMismatch)
            let (oh, ow) = try checkedPair(outputSize, "output size", op, min: 1)
            let (n, c, h, w) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
            try require(h > 0 && w > 0, "\(op): input \(input.shape) has an empty spatial dimension", .shapeMismatch)
            let cells = try Tensor.elementCount([n, c, oh, ow], op: op)
            if n * c == 0 { return Tensor.zeros([n, c, oh, ow], dtype: input.dtype) }
            // The working set: each cell's winner (8 bytes), its index tensor (8) and output element, the
            // window bounds (16 bytes per output row and column), and a copy of the input.
            let (cellBytes, overflow) = cells.multipliedReportingOverflow(by: 16 + input.dtype.byteSize)
            let budget = TensorStorage.physicalMemoryBytes - Swift.min(TensorStorage.physicalMemoryBytes, input.count * input.dtype.byteSize)
            try require(!overflow && oh <= 1 << 28 && ow <= 1 << 28 && cellBytes <= budget,
                        "\(op): output size \(outputSize) for input \(input.shape) needs more than this machine's memory", .outOfMemory)
            // The winner of each cell (a position in its plane), then a gather of them: the gather's
            // gradient goes to the winners.
            func bins(_ o: Int, _ size: Int) -> [Range<Int>] {
                (0..<o).map { i in (i * size / o)..<(((i + 1) * size + o - 1) / o) }
            }
            let rows = bins(oh, h), columns = bins(ow, w)
            func winners<T>(_ values: [T], larger: (T, T) -> Bool, isNaN: (T) -> Bool) -> [Int] {
                var result = [Int](repeating: 0, count: cells)
                var k = 0
                for plane in 0..<(n * c) {
                    let base = plane * h * w
                    for r in rows {
                        for q in columns {
                            var best = r.lowerBound * w + q.lowerBound
                            for y in r { for x in q {
                                let at = y * w + x
                                if isNaN(values[base + at]) || larger(values[base + at], values[base + best]) { best = at }
                            } }
                            result[k] = best
                            k += 1
                        }
                    }
                }
                return result
            }
            let values = input.detach().contiguous()
            let index: [Int]
            switch input.dtype {
            case .float32: index = winners(values.scalars(as: Float.self), larger: { $0 > $1 }, isNaN: { $0.isNaN })
            case .float64: index = winners(values.scalars(as: Double.self), larger: { $0 > $1 }, isNaN: { $0.isNaN })
            case .int64: index = winners(values.intScalars, larger: { $0 > $1 }, isNaN: { _ in false })
            }
            return input.reshape([n, c, h * w]).gather(axis: 2, index: Tensor(shape: [n, c, oh * ow], integers: index))
                .reshape([n, c, oh, ow])
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
    /// The spacing of the window's elements.
    public let dilation: Int
    /// Whether a last, partial window makes an output too.
    public let ceilMode: Bool

    /// A 1-D max-pooling layer.
    ///
    /// - Parameters:
    ///   - kernelSize: the window's length.
    ///   - stride: the step (default: the window's length).
    ///   - padding: on each side (default 0).
    ///   - dilation: the spacing of the window's elements (default 1).
    ///   - ceilMode: PyTorch's `ceil_mode` (default false).
    public init(_ kernelSize: Int, stride: Int? = nil, padding: Int = 0, dilation: Int = 1, ceilMode: Bool = false) {
        self.kernelSize = kernelSize
        self.stride = stride ?? kernelSize
        self.padding = padding
        self.dilation = dilation
        self.ceilMode = ceilMode
        super.init()
    }

    /// Pools `input`.
    public func callAsFunction(_ input: Tensor) -> Tensor {
        withForwardHooks(input) { input in
            Functional.maxPool1d(input, kernelSize: kernelSize, stride: stride, padding: padding, dilation: dilation, ceilMode: ceilMode)
        }
    }

    /// The configuration shown by ``Module/description`` (PyTorch's `extra_repr`).
    public override var extraDescription: String {
        "\(kernelSize), stride: \(stride), padding: \(padding), dilation: \(dilation), ceilMode: \(ceilMode)"
    }
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
    /// Whether a last, partial window makes an output too.
    public let ceilMode: Bool

    /// A 1-D average-pooling layer.
    ///
    /// - Parameters:
    ///   - kernelSize: the window's length.
    ///   - stride: the step (default: the window's length).
    ///   - padding: on each side (default 0).
    ///   - countIncludePad: PyTorch's `count_include_pad` (default true).
    ///   - ceilMode: PyTorch's `ceil_mode` (default false).
    public init(_ kernelSize: Int, stride: Int? = nil, padding: Int = 0, countIncludePad: Bool = true, ceilMode: Bool = false) {
        self.kernelSize = kernelSize
        self.stride = stride ?? kernelSize
        self.padding = padding
        self.countIncludePad = countIncludePad
        self.ceilMode = ceilMode
        super.init()
    }

    /// Pools `input`.
    public func callAsFunction(_ input: Tensor) -> Tensor {
        withForwardHooks(input) { input in
            Functional.avgPool1d(input, kernelSize: kernelSize, stride: stride, padding: padding, countIncludePad: countIncludePad,
                                 ceilMode: ceilMode)
        }
    }

    /// The configuration shown by ``Module/description`` (PyTorch's `extra_repr`).
    public override var extraDescription: String {
        "\(kernelSize), stride: \(stride), padding: \(padding), countIncludePad: \(countIncludePad), ceilMode: \(ceilMode)"
    }
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
        withForwardHooks(input) { input in
            Functional.adaptiveMaxPool2d(input, outputSize: outputSize.pair)
        }
    }

    /// The configuration shown by ``Module/description`` (PyTorch's `extra_repr`).
    public override var extraDescription: String { "\(outputSize)" }
}

/// 1-D adaptive average pooling of `[N, C, L]` to `[N, C, outputSize]` (PyTorch's `nn.AdaptiveAvgPool1d`).
///
/// ```swift
/// let pool = AdaptiveAvgPool1d(1)   // one average per channel
/// ```
public final class AdaptiveAvgPool1d: Module, Layer {
    /// The output's length.
    public let outputSize: Int

    /// An adaptive average-pooling layer to `outputSize` positions.
    ///
    /// - Parameter outputSize: the output's length (positive).
    public init(_ outputSize: Int) {
        self.outputSize = outputSize
        super.init()
    }

    /// Pools `input`.
    public func callAsFunction(_ input: Tensor) -> Tensor {
        withForwardHooks(input) { input in
            Functional.adaptiveAvgPool1d(input, outputSize: outputSize)
        }
    }

    /// The configuration shown by ``Module/description`` (PyTorch's `extra_repr`).
    public override var extraDescription: String { "\(outputSize)" }
}

/// 1-D adaptive max pooling of `[N, C, L]` to `[N, C, outputSize]` (PyTorch's `nn.AdaptiveMaxPool1d`).
///
/// ```swift
/// let pool = AdaptiveMaxPool1d(1)   // the strongest response per channel
/// ```
public final class AdaptiveMaxPool1d: Module, Layer {
    /// The output's length.
    public let outputSize: Int

    /// An adaptive max-pooling layer to `outputSize` positions.
    ///
    /// - Parameter outputSize: the output's length (positive).
    public init(_ outputSize: Int) {
        self.outputSize = outputSize
        super.init()
    }

    /// Pools `input`.
    public func callAsFunction(_ input: Tensor) -> Tensor {
        withForwardHooks(input) { input in
            Functional.adaptiveMaxPool1d(input, outputSize: outputSize)
        }
    }

    /// The configuration shown by ``Module/description`` (PyTorch's `extra_repr`).
    public override var extraDescription: String { "\(outputSize)" }
}
