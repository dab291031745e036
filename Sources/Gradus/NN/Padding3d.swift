// Padding layers for volumes (PyTorch's `nn.ZeroPad3d`, `ConstantPad3d`, `ReflectionPad3d`,
// `ReplicationPad3d`, `CircularPad3d`): the last three dimensions of `[N, C, D, H, W]` or `[C, D, H, W]`,
// with the amounts `(left, right, top, bottom, front, back)` in PyTorch's order. The padding itself is
// ``Tensor/pad(_:mode:value:)``, shared with the 1-D and 2-D layers through ``PaddingLayer``.

/// Pads the last three dimensions with zeros (PyTorch's `nn.ZeroPad3d`).
///
/// ```swift
/// let padded = ZeroPad3d(1)(x)   // [N, C, D, H, W] -> [N, C, D + 2, H + 2, W + 2]
/// ```
public final class ZeroPad3d: PaddingLayer {
    /// A layer padding by the same amount on every side of the last three dimensions.
    ///
    /// - Parameters:
    ///   - padding: the amount (negative crops).
    public convenience init(_ padding: Int) {
        self.init((padding, padding, padding, padding, padding, padding))
    }

    /// A layer padding by different amounts on each side.
    ///
    /// - Parameters:
    ///   - padding: the amounts (negative crops): columns (left, right), rows (top, bottom), depth (front, back).
    public init(_ padding: (left: Int, right: Int, top: Int, bottom: Int, front: Int, back: Int)) {
        super.init(padding: [padding.left, padding.right, padding.top, padding.bottom, padding.front, padding.back],
                   mode: .constant, value: 0)
    }
}

/// Pads the last three dimensions with a constant value (PyTorch's `nn.ConstantPad3d`).
///
/// ```swift
/// let padded = ConstantPad3d(1, value: -1)(x)   // [N, C, D, H, W] -> [N, C, D + 2, H + 2, W + 2]
/// ```
public final class ConstantPad3d: PaddingLayer {
    /// A layer padding by the same amount on every side of the last three dimensions.
    ///
    /// - Parameters:
    ///   - padding: the amount (negative crops).
    ///   - value: the fill value.
    public convenience init(_ padding: Int, value: Double) {
        self.init((padding, padding, padding, padding, padding, padding), value: value)
    }

    /// A layer padding by different amounts on each side.
    ///
    /// - Parameters:
    ///   - padding: the amounts (negative crops): columns (left, right), rows (top, bottom), depth (front, back).
    ///   - value: the fill value.
    public init(_ padding: (left: Int, right: Int, top: Int, bottom: Int, front: Int, back: Int), value: Double) {
        super.init(padding: [padding.left, padding.right, padding.top, padding.bottom, padding.front, padding.back],
                   mode: .constant, value: value)
    }
}

/// Pads the last three dimensions with the input mirrored at its edges (the edge not repeated) (PyTorch's `nn.ReflectionPad3d`).
///
/// ```swift
/// let padded = ReflectionPad3d(1)(x)   // [N, C, D, H, W] -> [N, C, D + 2, H + 2, W + 2]
/// ```
public final class ReflectionPad3d: PaddingLayer {
    /// A layer padding by the same amount on every side of the last three dimensions.
    ///
    /// - Parameters:
    ///   - padding: the amount (each smaller than its dimension).
    public convenience init(_ padding: Int) {
        self.init((padding, padding, padding, padding, padding, padding))
    }

    /// A layer padding by different amounts on each side.
    ///
    /// - Parameters:
    ///   - padding: the amounts (each smaller than its dimension): columns (left, right), rows (top, bottom), depth (front, back).
    public init(_ padding: (left: Int, right: Int, top: Int, bottom: Int, front: Int, back: Int)) {
        super.init(padding: [padding.left, padding.right, padding.top, padding.bottom, padding.front, padding.back],
                   mode: .reflect, value: 0)
    }
}

/// Pads the last three dimensions with copies of the edge elements (PyTorch's `nn.ReplicationPad3d`).
///
/// ```swift
/// let padded = ReplicationPad3d(1)(x)   // [N, C, D, H, W] -> [N, C, D + 2, H + 2, W + 2]
/// ```
public final class ReplicationPad3d: PaddingLayer {
    /// A layer padding by the same amount on every side of the last three dimensions.
    ///
    /// - Parameters:
    ///   - padding: the amount.
    public convenience init(_ padding: Int) {
        self.init((padding, padding, padding, padding, padding, padding))
    }

    /// A layer padding by different amounts on each side.
    ///
    /// - Parameters:
    ///   - padding: the amounts: columns (left, right), rows (top, bottom), depth (front, back).
    public init(_ padding: (left: Int, right: Int, top: Int, bottom: Int, front: Int, back: Int)) {
        super.init(padding: [padding.left, padding.right, padding.top, padding.bottom, padding.front, padding.back],
                   mode: .replicate, value: 0)
    }
}

/// Pads the last three dimensions with the input wrapped around (PyTorch's `nn.CircularPad3d`).
///
/// ```swift
/// let padded = CircularPad3d(1)(x)   // [N, C, D, H, W] -> [N, C, D + 2, H + 2, W + 2]
/// ```
public final class CircularPad3d: PaddingLayer {
    /// A layer padding by the same amount on every side of the last three dimensions.
    ///
    /// - Parameters:
    ///   - padding: the amount (each at most its dimension).
    public convenience init(_ padding: Int) {
        self.init((padding, padding, padding, padding, padding, padding))
    }

    /// A layer padding by different amounts on each side.
    ///
    /// - Parameters:
    ///   - padding: the amounts (each at most its dimension): columns (left, right), rows (top, bottom), depth (front, back).
    public init(_ padding: (left: Int, right: Int, top: Int, bottom: Int, front: Int, back: Int)) {
        super.init(padding: [padding.left, padding.right, padding.top, padding.bottom, padding.front, padding.back],
                   mode: .circular, value: 0)
    }
}
