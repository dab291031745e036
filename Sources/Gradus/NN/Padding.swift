// Padding layers (PyTorch's `nn.ZeroPad1d/2d`, `ConstantPad1d/2d`, `ReflectionPad1d/2d`,
// `ReplicationPad1d/2d`, `CircularPad1d/2d`): modules around ``Tensor/pad(_:mode:value:)``, which checks
// the input's rank and the amounts for each mode and sends gradients back to every element a padded
// position copies.

/// The common part of the padding layers: the amounts, the mode and the fill value.
///
/// Use the concrete layers (``ZeroPad2d``, ``ReflectionPad2d``, …); this class only holds what they share.
/// Negative amounts crop. ``Tensor/pad(_:mode:value:)`` checks the amounts against the input when the
/// layer runs: reflection needs each amount smaller than its dimension, circular padding at most its
/// size; replication takes any amount.
public class PaddingLayer: Module, Layer {
    /// The (before, after) amounts, last dimension first, as ``Tensor/pad(_:mode:value:)`` takes them:
    /// `[left, right]` for 1-D layers, `[left, right, top, bottom]` for 2-D ones.
    public let padding: [Int]
    /// How new positions are filled.
    public let mode: PaddingMode
    /// The fill value of constant padding.
    public let value: Double

    init(padding: [Int], mode: PaddingMode, value: Double) {
        self.padding = padding
        self.mode = mode
        self.value = value
        super.init()
    }

    /// Pads the input's last dimensions.
    public func callAsFunction(_ input: Tensor) -> Tensor { withForwardHooks(input) { input in input.pad(padding, mode: mode, value: value) } }

    /// The configuration shown by ``Module/description`` (PyTorch's `extra_repr`).
    public override var extraDescription: String {
        mode == .constant && value != 0 ? "padding: \(padding), value: \(value)" : "padding: \(padding)"
    }
}

/// Pads the last dimension with zeros (PyTorch's `nn.ZeroPad1d`).
///
/// ```swift
/// let padded = ZeroPad1d(1)(x)   // [N, C, W] -> [N, C, W + 2]
/// ```
public final class ZeroPad1d: PaddingLayer {
    /// A layer padding by the same amount on every side of the last dimension.
    ///
    /// - Parameters:
    ///   - padding: the amount (negative crops).
    public convenience init(_ padding: Int) {
        self.init((padding, padding))
    }

    /// A layer padding by different amounts on each side.
    ///
    /// - Parameters:
    ///   - padding: the amounts (negative crops).
    public init(_ padding: (left: Int, right: Int)) {
        super.init(padding: [padding.left, padding.right], mode: .constant, value: 0)
    }
}

/// Pads the last two dimensions with zeros (PyTorch's `nn.ZeroPad2d`).
///
/// ```swift
/// let padded = ZeroPad2d((1, 1, 2, 0))(x)   // [N, C, H, W] -> [N, C, H + 2, W + 2]
/// ```
public final class ZeroPad2d: PaddingLayer {
    /// A layer padding by the same amount on every side of the last two dimensions.
    ///
    /// - Parameters:
    ///   - padding: the amount (negative crops).
    public convenience init(_ padding: Int) {
        self.init((padding, padding, padding, padding))
    }

    /// A layer padding by different amounts on each side.
    ///
    /// - Parameters:
    ///   - padding: the amounts (negative crops).
    public init(_ padding: (left: Int, right: Int, top: Int, bottom: Int)) {
        super.init(padding: [padding.left, padding.right, padding.top, padding.bottom], mode: .constant, value: 0)
    }
}

/// Pads the last dimension with a constant value (PyTorch's `nn.ConstantPad1d`).
///
/// ```swift
/// let padded = ConstantPad1d(1, value: -1)(x)   // [N, C, W] -> [N, C, W + 2]
/// ```
public final class ConstantPad1d: PaddingLayer {
    /// A layer padding by the same amount on every side of the last dimension.
    ///
    /// - Parameters:
    ///   - padding: the amount (negative crops).
    ///   - value: the fill value.
    public convenience init(_ padding: Int, value: Double) {
        self.init((padding, padding), value: value)
    }

    /// A layer padding by different amounts on each side.
    ///
    /// - Parameters:
    ///   - padding: the amounts (negative crops).
    ///   - value: the fill value.
    public init(_ padding: (left: Int, right: Int), value: Double) {
        super.init(padding: [padding.left, padding.right], mode: .constant, value: value)
    }
}

/// Pads the last two dimensions with a constant value (PyTorch's `nn.ConstantPad2d`).
///
/// ```swift
/// let padded = ConstantPad2d((1, 1, 2, 0), value: -1)(x)   // [N, C, H, W] -> [N, C, H + 2, W + 2]
/// ```
public final class ConstantPad2d: PaddingLayer {
    /// A layer padding by the same amount on every side of the last two dimensions.
    ///
    /// - Parameters:
    ///   - padding: the amount (negative crops).
    ///   - value: the fill value.
    public convenience init(_ padding: Int, value: Double) {
        self.init((padding, padding, padding, padding), value: value)
    }

    /// A layer padding by different amounts on each side.
    ///
    /// - Parameters:
    ///   - padding: the amounts (negative crops).
    ///   - value: the fill value.
    public init(_ padding: (left: Int, right: Int, top: Int, bottom: Int), value: Double) {
        super.init(padding: [padding.left, padding.right, padding.top, padding.bottom], mode: .constant, value: value)
    }
}

/// Pads the last dimension with the input mirrored at its edges (the edge not repeated) (PyTorch's `nn.ReflectionPad1d`). The input is `[N, C, W]` or `[C, W]`.
///
/// ```swift
/// let padded = ReflectionPad1d(1)(x)   // [N, C, W] -> [N, C, W + 2]
/// ```
public final class ReflectionPad1d: PaddingLayer {
    /// A layer padding by the same amount on every side of the last dimension.
    ///
    /// - Parameters:
    ///   - padding: the amount.
    public convenience init(_ padding: Int) {
        self.init((padding, padding))
    }

    /// A layer padding by different amounts on each side.
    ///
    /// - Parameters:
    ///   - padding: the amounts.
    public init(_ padding: (left: Int, right: Int)) {
        super.init(padding: [padding.left, padding.right], mode: .reflect, value: 0)
    }
}

/// Pads the last two dimensions with the input mirrored at its edges (the edge not repeated) (PyTorch's `nn.ReflectionPad2d`). The input is `[N, C, H, W]` or `[C, H, W]`.
///
/// ```swift
/// let padded = ReflectionPad2d((1, 1, 2, 0))(x)   // [N, C, H, W] -> [N, C, H + 2, W + 2]
/// ```
public final class ReflectionPad2d: PaddingLayer {
    /// A layer padding by the same amount on every side of the last two dimensions.
    ///
    /// - Parameters:
    ///   - padding: the amount.
    public convenience init(_ padding: Int) {
        self.init((padding, padding, padding, padding))
    }

    /// A layer padding by different amounts on each side.
    ///
    /// - Parameters:
    ///   - padding: the amounts.
    public init(_ padding: (left: Int, right: Int, top: Int, bottom: Int)) {
        super.init(padding: [padding.left, padding.right, padding.top, padding.bottom], mode: .reflect, value: 0)
    }
}

/// Pads the last dimension with copies of the edge elements (PyTorch's `nn.ReplicationPad1d`). The input is `[N, C, W]` or `[C, W]`.
///
/// ```swift
/// let padded = ReplicationPad1d(1)(x)   // [N, C, W] -> [N, C, W + 2]
/// ```
public final class ReplicationPad1d: PaddingLayer {
    /// A layer padding by the same amount on every side of the last dimension.
    ///
    /// - Parameters:
    ///   - padding: the amount.
    public convenience init(_ padding: Int) {
        self.init((padding, padding))
    }

    /// A layer padding by different amounts on each side.
    ///
    /// - Parameters:
    ///   - padding: the amounts.
    public init(_ padding: (left: Int, right: Int)) {
        super.init(padding: [padding.left, padding.right], mode: .replicate, value: 0)
    }
}

/// Pads the last two dimensions with copies of the edge elements (PyTorch's `nn.ReplicationPad2d`). The input is `[N, C, H, W]` or `[C, H, W]`.
///
/// ```swift
/// let padded = ReplicationPad2d((1, 1, 2, 0))(x)   // [N, C, H, W] -> [N, C, H + 2, W + 2]
/// ```
public final class ReplicationPad2d: PaddingLayer {
    /// A layer padding by the same amount on every side of the last two dimensions.
    ///
    /// - Parameters:
    ///   - padding: the amount.
    public convenience init(_ padding: Int) {
        self.init((padding, padding, padding, padding))
    }

    /// A layer padding by different amounts on each side.
    ///
    /// - Parameters:
    ///   - padding: the amounts.
    public init(_ padding: (left: Int, right: Int, top: Int, bottom: Int)) {
        super.init(padding: [padding.left, padding.right, padding.top, padding.bottom], mode: .replicate, value: 0)
    }
}

/// Pads the last dimension with the input wrapped around (PyTorch's `nn.CircularPad1d`). The input is `[N, C, W]` or `[C, W]`.
///
/// ```swift
/// let padded = CircularPad1d(1)(x)   // [N, C, W] -> [N, C, W + 2]
/// ```
public final class CircularPad1d: PaddingLayer {
    /// A layer padding by the same amount on every side of the last dimension.
    ///
    /// - Parameters:
    ///   - padding: the amount.
    public convenience init(_ padding: Int) {
        self.init((padding, padding))
    }

    /// A layer padding by different amounts on each side.
    ///
    /// - Parameters:
    ///   - padding: the amounts.
    public init(_ padding: (left: Int, right: Int)) {
        super.init(padding: [padding.left, padding.right], mode: .circular, value: 0)
    }
}

/// Pads the last two dimensions with the input wrapped around (PyTorch's `nn.CircularPad2d`). The input is `[N, C, H, W]` or `[C, H, W]`.
///
/// ```swift
/// let padded = CircularPad2d((1, 1, 2, 0))(x)   // [N, C, H, W] -> [N, C, H + 2, W + 2]
/// ```
public final class CircularPad2d: PaddingLayer {
    /// A layer padding by the same amount on every side of the last two dimensions.
    ///
    /// - Parameters:
    ///   - padding: the amount.
    public convenience init(_ padding: Int) {
        self.init((padding, padding, padding, padding))
    }

    /// A layer padding by different amounts on each side.
    ///
    /// - Parameters:
    ///   - padding: the amounts.
    public init(_ padding: (left: Int, right: Int, top: Int, bottom: Int)) {
        super.init(padding: [padding.left, padding.right, padding.top, padding.bottom], mode: .circular, value: 0)
    }
}
