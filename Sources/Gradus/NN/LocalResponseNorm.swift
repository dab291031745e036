// Local response normalization (PyTorch's `nn.LocalResponseNorm`, of AlexNet): each value is divided by
// (k + α·mean of the squares of `size` neighbouring channels)^β, the neighbourhood zero-padded at the
// edges — written as PyTorch writes it (a window average over the channel axis), so gradients follow.

extension Functional {
    /// Local response normalization of `[N, C, …]`: `x / (k + α · avg_{size channels}(x²))^β`, the
    /// window running from `size / 2` channels before to `(size − 1) / 2` after, zeros beyond the edges
    /// (PyTorch's `F.local_response_norm`).
    ///
    /// - Parameters:
    ///   - input: `[N, C, …]` with at least one axis after C.
    ///   - size: the number of channels in the window, at least 1.
    ///   - alpha: the scale of the average (default 1e-4).
    ///   - beta: the exponent (default 0.75).
    ///   - k: the constant added (default 1).
    ///
    /// ```swift
    /// let y = Functional.localResponseNorm(features, size: 5)
    /// ```
    public static func localResponseNorm(_ input: Tensor, size: Int, alpha: Double = 1e-4, beta: Double = 0.75, k: Double = 1) -> Tensor {
        checked {
            try require(size >= 1, "localResponseNorm: size must be at least 1, got \(size)", .invalidArgument)
            try require(input.rank >= 3, "localResponseNorm: input must be [N, C, …] with at least 3 dimensions, got \(input.shape)", .shapeMismatch)
            // Integers are normalized in float32, and an empty input is returned as it is, as PyTorch does.
            if input.dtype == .int64 { return localResponseNorm(input.to(.float32), size: size, alpha: alpha, beta: beta, k: k) }
            if input.count == 0 { return input }
            let (n, c) = (input.shape[0], input.shape[1])
            let positions = input.count / Swift.max(n * c, 1)
            // [N, 1, C, positions], padded along the channels, averaged over windows of `size` channels.
            let squares = input.square().reshape([n, 1, c, positions])
                .pad([0, 0, size / 2, (size - 1) / 2])
            let average = Functional.avgPool2d(squares, kernelSize: (size, 1), stride: (1, 1)).reshape(input.shape)
            return input / (average * alpha + k).pow(beta)
        }
    }
}

/// Local response normalization across channels (PyTorch's `nn.LocalResponseNorm`, of AlexNet): see
/// ``Functional/localResponseNorm(_:size:alpha:beta:k:)``.
///
/// ```swift
/// let norm = LocalResponseNorm(size: 5, alpha: 1e-4, beta: 0.75, k: 2)
/// ```
public final class LocalResponseNorm: Module, Layer {
    /// The number of channels in the window.
    public let size: Int
    /// The scale of the window's average of squares.
    public let alpha: Double
    /// The exponent.
    public let beta: Double
    /// The constant added.
    public let k: Double

    /// A local-response-normalization layer.
    ///
    /// - Parameters:
    ///   - size: the number of channels in the window, at least 1.
    ///   - alpha: the scale (default 1e-4).
    ///   - beta: the exponent (default 0.75).
    ///   - k: the constant (default 1).
    public init(size: Int, alpha: Double = 1e-4, beta: Double = 0.75, k: Double = 1) {
        self.size = validSetting(size >= 1, "LocalResponseNorm: size must be at least 1, got \(size)") ? size : 1
        (self.alpha, self.beta, self.k) = (alpha, beta, k)
        super.init()
    }

    /// Normalizes `[N, C, …]`.
    public func callAsFunction(_ input: Tensor) -> Tensor {
        withForwardHooks(input) { input in Functional.localResponseNorm(input, size: size, alpha: alpha, beta: beta, k: k) }
    }

    /// The configuration shown by ``Module/description``.
    public override var extraDescription: String { "size: \(size), alpha: \(alpha), beta: \(beta), k: \(k)" }
}
