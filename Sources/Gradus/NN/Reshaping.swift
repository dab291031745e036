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
    public func callAsFunction(_ input: Tensor) -> Tensor { withForwardHooks(input) { input in input.flatten(startAxis: startAxis, endAxis: endAxis) } }

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
    public func callAsFunction(_ input: Tensor) -> Tensor { withForwardHooks(input) { $0 } }
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
        withForwardHooks(input) { input in
            checked {
                let a = axis < 0 ? axis + input.rank : axis
                try require(a >= 0 && a < input.rank, "Unflatten: axis \(axis) is out of range for shape \(input.shape)", .indexOutOfRange)
                let shape = Array(input.shape[..<a]) + sizes + Array(input.shape[(a + 1)...])
                return input.reshape(shape)
            }
        }
    }

    public override var extraDescription: String { "axis: \(axis), sizes: \(sizes)" }
}

/// Rearranges channels into space (PyTorch's `nn.PixelShuffle`): `[…, C·r², H, W]` becomes
/// `[…, C, H·r, W·r]`, the sub-pixel convolution upsampling of super-resolution models.
///
/// ```swift
/// let up = PixelShuffle(2)(x)   // [N, 12, 8, 8] -> [N, 3, 16, 16]
/// ```
public final class PixelShuffle: Module, Layer {
    /// The factor r by which height and width grow.
    public let upscaleFactor: Int

    /// A pixel-shuffle layer.
    ///
    /// - Parameter upscaleFactor: r ≥ 1; the input's channels must be a multiple of r².
    public init(_ upscaleFactor: Int) {
        self.upscaleFactor = validSetting(upscaleFactor >= 1, "PixelShuffle: upscale factor \(upscaleFactor) must be >= 1")
            ? upscaleFactor : 1
        super.init()
    }

    /// Rearranges `[…, C·r², H, W]` into `[…, C, H·r, W·r]`.
    public func callAsFunction(_ input: Tensor) -> Tensor { withForwardHooks(input) { input in Functional.pixelShuffle(input, upscaleFactor: upscaleFactor) } }

    /// The configuration shown by ``Module/description``.
    public override var extraDescription: String { "upscaleFactor: \(upscaleFactor)" }
}

/// Rearranges space into channels (PyTorch's `nn.PixelUnshuffle`), the inverse of ``PixelShuffle``:
/// `[…, C, H·r, W·r]` becomes `[…, C·r², H, W]`.
///
/// ```swift
/// let down = PixelUnshuffle(2)(x)   // [N, 3, 16, 16] -> [N, 12, 8, 8]
/// ```
public final class PixelUnshuffle: Module, Layer {
    /// The factor r by which height and width shrink.
    public let downscaleFactor: Int

    /// A pixel-unshuffle layer.
    ///
    /// - Parameter downscaleFactor: r ≥ 1; the input's height and width must be multiples of r.
    public init(_ downscaleFactor: Int) {
        self.downscaleFactor = validSetting(downscaleFactor >= 1, "PixelUnshuffle: downscale factor \(downscaleFactor) must be >= 1")
            ? downscaleFactor : 1
        super.init()
    }

    /// Rearranges `[…, C, H·r, W·r]` into `[…, C·r², H, W]`.
    public func callAsFunction(_ input: Tensor) -> Tensor { withForwardHooks(input) { input in Functional.pixelUnshuffle(input, downscaleFactor: downscaleFactor) } }

    /// The configuration shown by ``Module/description``.
    public override var extraDescription: String { "downscaleFactor: \(downscaleFactor)" }
}

extension Functional {
    /// Shuffles the channels of `[N, C, …]` across `groups` (PyTorch's `F.channel_shuffle`, of
    /// ShuffleNet): the channels, read as `[groups, C / groups]`, are transposed to `[C / groups, groups]`.
    ///
    /// ```swift
    /// let mixed = Functional.channelShuffle(features, groups: 4)   // [N, 16, H, W]
    /// ```
    public static func channelShuffle(_ input: Tensor, groups: Int) -> Tensor {
        checked {
            try require(groups >= 1, "channelShuffle: groups must be at least 1, got \(groups)", .invalidArgument)
            try require(input.rank >= 3, "channelShuffle: input must be [N, C, …] with at least one spatial axis, got \(input.shape)", .shapeMismatch)
            let (n, c) = (input.shape[0], input.shape[1])
            try require(c % groups == 0, "channelShuffle: \(c) channels do not split into \(groups) groups", .shapeMismatch)
            let rest = Array(input.shape.dropFirst(2))
            return input.reshape([n, groups, c / groups] + rest).transpose(1, 2).contiguous().reshape(input.shape)
        }
    }
}

/// Shuffles channels across groups (PyTorch's `nn.ChannelShuffle`, of ShuffleNet): see
/// ``Functional/channelShuffle(_:groups:)``.
///
/// ```swift
/// let shuffle = ChannelShuffle(groups: 2)   // [N, 8, H, W] -> [N, 8, H, W], channels 0 4 1 5 2 6 3 7
/// ```
public final class ChannelShuffle: Module, Layer {
    /// The number of groups the channels are read as.
    public let groups: Int

    /// A channel-shuffle layer.
    ///
    /// - Parameter groups: the number of groups, at least 1; the input's channels must be a multiple of it.
    public init(groups: Int) {
        self.groups = validSetting(groups >= 1, "ChannelShuffle: groups must be at least 1, got \(groups)") ? groups : 1
        super.init()
    }

    /// Shuffles the channels of `[N, C, …]`.
    public func callAsFunction(_ input: Tensor) -> Tensor {
        withForwardHooks(input) { input in Functional.channelShuffle(input, groups: groups) }
    }

    /// The configuration shown by ``Module/description``.
    public override var extraDescription: String { "groups: \(groups)" }
}
