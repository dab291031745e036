/// Inverted dropout (PyTorch's `nn.Dropout`): in training mode each element is zeroed with
/// probability `p` and the others scaled by 1 / (1 − p), so the expected value is unchanged; in
/// evaluation mode it passes the input through.
///
/// ```swift
/// let drop = Dropout(p: 0.5)
/// model.eval()   // now drop(x) is x
/// ```
public final class Dropout: DropoutLayer {
    /// A dropout layer.
    ///
    /// - Parameters:
    ///   - p: the probability of zeroing an element, in [0, 1].
    ///   - generator: a generator of its own (for repeatable masks), or nil to use the default one.
    public init(p: Double = 0.5, generator: SeededGenerator? = nil) {
        super.init(p: p, generator: generator, name: "Dropout") { Functional.dropout($0, p: $1, training: true, generator: &$2) }
    }
}

extension Functional {
    /// Channel dropout (PyTorch's `F.dropout2d`): in training, each channel of each sample of
    /// `[N, C, H, W]` is zeroed whole with probability `p`, the others scaled by 1 / (1 − p) — for
    /// convolutional features, whose neighbouring values are correlated. A 3-D input is read as
    /// `[N, C, L]` (one draw per row), as PyTorch 2.x does (with a warning there).
    ///
    /// ```swift
    /// var rng = SeededGenerator(seed: 1)
    /// let y = Functional.dropout2d(features, p: 0.2, training: true, generator: &rng)
    /// ```
    public static func dropout2d(_ input: Tensor, p: Double, training: Bool, generator: inout SeededGenerator) -> Tensor {
        checked {
            try require(p >= 0 && p <= 1, "dropout2d: p must be in [0, 1], got \(p)")
            try require(input.rank == 3 || input.rank == 4, "dropout2d: input must be [N, C, H, W] or [C, H, W], got \(input.shape)", .shapeMismatch)
            if !training || p == 0 { return input }
            if p == 1 { return input * 0 }
            // One draw per (sample, channel), broadcast over its positions.
            let maskShape = Array(input.shape.prefix(2)) + Array(repeating: 1, count: input.rank - 2)
            let keep = Tensor.bernoulli(maskShape, p: 1 - p, dtype: input.dtype, generator: &generator)
            return input * (keep * (1 / (1 - p)))
        }
    }

    /// ``dropout2d(_:p:training:generator:)`` drawing from the default generator (``Random``).
    public static func dropout2d(_ input: Tensor, p: Double, training: Bool) -> Tensor {
        Random.withDefault { dropout2d(input, p: p, training: training, generator: &$0) }
    }

    /// Channel dropout of sequences (PyTorch's `F.dropout1d`): in training, each channel of each sample
    /// of `[N, C, L]` (or of one sample `[C, L]`) is zeroed whole with probability `p`, the others scaled
    /// by 1 / (1 − p).
    ///
    /// ```swift
    /// let y = Functional.dropout1d(features, p: 0.1, training: true)   // [N, C, L]
    /// ```
    public static func dropout1d(_ input: Tensor, p: Double, training: Bool, generator: inout SeededGenerator) -> Tensor {
        channelDropout(input, p: p, training: training, spatialAxes: 1, layout: "[N, C, L] or [C, L]", op: "dropout1d", generator: &generator)
    }

    /// ``dropout1d(_:p:training:generator:)`` drawing from the default generator (``Random``).
    public static func dropout1d(_ input: Tensor, p: Double, training: Bool) -> Tensor {
        Random.withDefault { dropout1d(input, p: p, training: training, generator: &$0) }
    }

    /// Channel dropout of volumes (PyTorch's `F.dropout3d`): in training, each channel of each sample of
    /// `[N, C, D, H, W]` (or of one sample `[C, D, H, W]`) is zeroed whole with probability `p`, the others
    /// scaled by 1 / (1 − p).
    ///
    /// ```swift
    /// let y = Functional.dropout3d(volumes, p: 0.2, training: true)
    /// ```
    public static func dropout3d(_ input: Tensor, p: Double, training: Bool, generator: inout SeededGenerator) -> Tensor {
        channelDropout(input, p: p, training: training, spatialAxes: 3, layout: "[N, C, D, H, W] or [C, D, H, W]", op: "dropout3d",
                       generator: &generator)
    }

    /// ``dropout3d(_:p:training:generator:)`` drawing from the default generator (``Random``).
    public static func dropout3d(_ input: Tensor, p: Double, training: Bool) -> Tensor {
        Random.withDefault { dropout3d(input, p: p, training: training, generator: &$0) }
    }

    /// Whole channels zeroed: one draw per (sample, channel) of a batch `[N, C, spatial…]`, or per channel
    /// of one sample `[C, spatial…]`, broadcast over the positions.
    private static func channelDropout(_ input: Tensor, p: Double, training: Bool, spatialAxes: Int, layout: String, op: String,
                                       generator: inout SeededGenerator) -> Tensor {
        checked {
            try require(p >= 0 && p <= 1, "\(op): p must be in [0, 1], got \(p)")
            try require(input.rank == spatialAxes + 1 || input.rank == spatialAxes + 2, "\(op): input must be \(layout), got \(input.shape)",
                        .shapeMismatch)
            if !training || p == 0 { return input }
            if p == 1 { return input * 0 }
            let leading = input.rank - spatialAxes
            let maskShape = Array(input.shape.prefix(leading)) + Array(repeating: 1, count: spatialAxes)
            let keep = Tensor.bernoulli(maskShape, p: 1 - p, dtype: input.dtype, generator: &generator)
            return input * (keep * (1 / (1 - p)))
        }
    }
}

/// Channel dropout (PyTorch's `nn.Dropout2d`): whole channels of `[N, C, H, W]` zeroed with probability
/// `p` in training mode, the others scaled by 1 / (1 − p); the identity in evaluation mode.
///
/// ```swift
/// let drop = Dropout2d(p: 0.1)
/// ```
public final class Dropout2d: DropoutLayer {
    /// A channel-dropout layer.
    ///
    /// - Parameters:
    ///   - p: the probability of zeroing a channel, in [0, 1].
    ///   - generator: a generator of its own (for repeatable masks), or nil to use the default one.
    public init(p: Double = 0.5, generator: SeededGenerator? = nil) {
        super.init(p: p, generator: generator, name: "Dropout2d") { Functional.dropout2d($0, p: $1, training: true, generator: &$2) }
    }
}

/// Channel dropout of sequences (PyTorch's `nn.Dropout1d`): whole channels of `[N, C, L]` (or `[C, L]`)
/// zeroed with probability `p` in training mode, the others scaled by 1 / (1 − p); the identity in
/// evaluation mode.
///
/// ```swift
/// let drop = Dropout1d(p: 0.1)
/// ```
public final class Dropout1d: DropoutLayer {
    /// A channel-dropout layer for sequences.
    ///
    /// - Parameters:
    ///   - p: the probability of zeroing a channel, in [0, 1].
    ///   - generator: a generator of its own (for repeatable masks), or nil to use the default one.
    public init(p: Double = 0.5, generator: SeededGenerator? = nil) {
        super.init(p: p, generator: generator, name: "Dropout1d") { Functional.dropout1d($0, p: $1, training: true, generator: &$2) }
    }
}

/// Channel dropout of volumes (PyTorch's `nn.Dropout3d`): whole channels of `[N, C, D, H, W]` (or
/// `[C, D, H, W]`) zeroed with probability `p` in training mode, the others scaled by 1 / (1 − p); the
/// identity in evaluation mode.
///
/// ```swift
/// let drop = Dropout3d(p: 0.2)
/// ```
public final class Dropout3d: DropoutLayer {
    /// A channel-dropout layer for volumes.
    ///
    /// - Parameters:
    ///   - p: the probability of zeroing a channel, in [0, 1].
    ///   - generator: a generator of its own (for repeatable masks), or nil to use the default one.
    public init(p: Double = 0.5, generator: SeededGenerator? = nil) {
        super.init(p: p, generator: generator, name: "Dropout3d") { Functional.dropout3d($0, p: $1, training: true, generator: &$2) }
    }
}
