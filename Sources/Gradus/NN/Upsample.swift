/// Resizes its input's spatial dimensions (PyTorch's `nn.Upsample`): ``Functional/interpolate(_:size:scaleFactor:mode:alignCorners:)``
/// as a layer.
///
/// ```swift
/// let up = Upsample(scaleFactor: 2, mode: .bilinear)
/// let y = up(x)   // [N, C, 2H, 2W]
/// ```
public class Upsample: Module, Layer {
    /// The output's spatial sizes, or nil when ``scaleFactor`` is given.
    public let size: [Int]?
    /// The factor per spatial dimension, or nil when ``size`` is given.
    public let scaleFactor: [Double]?
    /// How new values are computed.
    public let mode: InterpolationMode
    /// For linear modes: whether the corners are aligned.
    public let alignCorners: Bool?

    /// A resizing layer to fixed sizes.
    ///
    /// - Parameters:
    ///   - size: the output's spatial sizes (one for all, or one per spatial dimension).
    ///   - mode: default nearest.
    ///   - alignCorners: for linear modes (default nil: false).
    public init(size: [Int], mode: InterpolationMode = .nearest, alignCorners: Bool? = nil) {
        self.size = size
        self.scaleFactor = nil
        self.mode = mode
        self.alignCorners = alignCorners
        super.init()
    }

    /// A resizing layer by a factor.
    ///
    /// - Parameters:
    ///   - scaleFactor: the factor of every spatial dimension.
    ///   - mode: default nearest.
    ///   - alignCorners: for linear modes (default nil: false).
    public init(scaleFactor: Double, mode: InterpolationMode = .nearest, alignCorners: Bool? = nil) {
        self.size = nil
        self.scaleFactor = [scaleFactor]
        self.mode = mode
        self.alignCorners = alignCorners
        super.init()
    }

    /// A resizing layer by a factor per spatial dimension (PyTorch's `scale_factor=(2, 3)`).
    ///
    /// - Parameters:
    ///   - scaleFactor: one factor per spatial dimension (or one for all).
    ///   - mode: default nearest.
    ///   - alignCorners: for linear modes (default nil: false).
    public init(scaleFactor: [Double], mode: InterpolationMode = .nearest, alignCorners: Bool? = nil) {
        self.size = nil
        self.scaleFactor = scaleFactor
        self.mode = mode
        self.alignCorners = alignCorners
        super.init()
    }

    /// Resizes `input`.
    public func callAsFunction(_ input: Tensor) -> Tensor {
        withForwardHooks(input) { input in
            Functional.interpolate(input, size: size, scaleFactor: scaleFactor, mode: mode, alignCorners: alignCorners)
        }
    }

    /// The configuration shown by ``Module/description`` (PyTorch's `extra_repr`).
    public override var extraDescription: String {
        (size.map { "size: \($0)" } ?? "scaleFactor: \(scaleFactor ?? [])") + ", mode: \(mode.rawValue)"
            + (alignCorners.map { ", alignCorners: \($0)" } ?? "")
    }
}

/// Nearest-neighbour upsampling of `[N, C, H, W]` images (PyTorch's `nn.UpsamplingNearest2d`): an
/// ``Upsample`` in mode nearest.
///
/// ```swift
/// let up = UpsamplingNearest2d(scaleFactor: 2)   // [N, C, H, W] -> [N, C, 2H, 2W]
/// ```
public final class UpsamplingNearest2d: Upsample {
    /// Upsampling to `size` (height, width).
    public init(size: [Int]) { super.init(size: size, mode: .nearest) }

    /// Upsampling by `scaleFactor` on both axes.
    public init(scaleFactor: Double) { super.init(scaleFactor: scaleFactor, mode: .nearest) }

    /// Upsampling by one factor per axis (height, width).
    public init(scaleFactor: [Double]) { super.init(scaleFactor: scaleFactor, mode: .nearest) }
}

/// Bilinear upsampling of `[N, C, H, W]` images with the corners aligned (PyTorch's
/// `nn.UpsamplingBilinear2d`, which is `Upsample(mode: .bilinear, alignCorners: true)`).
///
/// ```swift
/// let up = UpsamplingBilinear2d(size: [64, 64])
/// ```
public final class UpsamplingBilinear2d: Upsample {
    /// Upsampling to `size` (height, width).
    public init(size: [Int]) { super.init(size: size, mode: .bilinear, alignCorners: true) }

    /// Upsampling by `scaleFactor` on both axes.
    public init(scaleFactor: Double) { super.init(scaleFactor: scaleFactor, mode: .bilinear, alignCorners: true) }

    /// Upsampling by one factor per axis (height, width).
    public init(scaleFactor: [Double]) { super.init(scaleFactor: scaleFactor, mode: .bilinear, alignCorners: true) }
}
