import Foundation

// Initializers of a given structure rather than a distribution's width: truncated normal (the ViT and
// BERT initializer), identity matrices and identity convolutions (PyTorch's `trunc_normal_`, `eye_`,
// `dirac_`).

extension Init {
    /// Normally distributed values N(mean, std²) redrawn until they fall inside [`a`, `b`] (PyTorch's
    /// `trunc_normal_`, whose bounds are absolute values, not multiples of `std`).
    ///
    /// - Parameters:
    ///   - tensor: the tensor to fill.
    ///   - mean: the mean (default 0).
    ///   - std: the standard deviation (default 1), positive.
    ///   - a: the lower bound (default −2).
    ///   - b: the upper bound (default 2), above `a`.
    ///   - generator: the source of randomness.
    ///
    /// ```swift
    /// var rng = SeededGenerator(seed: 0)
    /// Init.truncNormal(patchEmbedding.weight, std: 0.02, generator: &rng)
    /// ```
    public static func truncNormal(_ tensor: Tensor, mean: Double = 0, std: Double = 1, a: Double = -2, b: Double = 2,
                                   generator: inout SeededGenerator) {
        checkedEvenAfterFailure(or: ()) {
            try require(std > 0 && std.isFinite && mean.isFinite && a < b && !a.isNaN && !b.isNaN,
                        "Init.truncNormal: needs std > 0 and a < b, got std \(std), [\(a), \(b)]", .invalidArgument)
            // Inverse-CDF sampling of the truncated distribution (as PyTorch): no rejection loop, so a
            // narrow or distant interval cannot make it spin.
            func cdf(_ x: Double) -> Double { (1 + erf((x - mean) / (std * 2.0.squareRoot()))) / 2 }
            let (low, high) = (cdf(a), cdf(b))
            let uniform = Tensor.uniform(tensor.shape, low: 0, high: 1, dtype: .float64, generator: &generator).scalars(as: Double.self)
            let values = uniform.map { u -> Double in
                let p = Swift.min(Swift.max(low + (high - low) * u, 1e-300), 1 - 1e-16)
                return Swift.min(Swift.max(mean + std * 2.0.squareRoot() * inverseErf(2 * p - 1), a), b)
            }
            try assign(tensor, Tensor(shape: tensor.shape, values: values, dtype: tensor.dtype))
        }
    }

    /// Truncated normal values from the default generator.
    public static func truncNormal(_ tensor: Tensor, mean: Double = 0, std: Double = 1, a: Double = -2, b: Double = 2) {
        Random.withDefault { truncNormal(tensor, mean: mean, std: std, a: a, b: b, generator: &$0) }
    }

    /// The identity matrix in a 2-D tensor: ones on the main diagonal, zeros elsewhere (PyTorch's
    /// `eye_`), so that a square `Linear` starts as the identity.
    ///
    /// ```swift
    /// Init.eye(layer.weight)
    /// ```
    public static func eye(_ tensor: Tensor) {
        checkedEvenAfterFailure(or: ()) {
            try require(tensor.rank == 2, "Init.eye: needs a matrix, got shape \(tensor.shape)", .shapeMismatch)
            try assign(tensor, Tensor.eye(tensor.shape[0], tensor.shape[1], dtype: tensor.dtype))
        }
    }

    /// The identity convolution (PyTorch's `dirac_`): a kernel `[out, in / groups, k…]` (3 to 5
    /// dimensions) that copies input channel i to output channel i of each group, through the kernel's
    /// centre; output channels beyond the inputs stay 0.
    ///
    /// - Parameters:
    ///   - tensor: the kernel.
    ///   - groups: the convolution's groups; they must divide the output channels.
    ///
    /// ```swift
    /// Init.dirac(conv.weight)   // conv(x) == x for a 3×3 convolution with padding 1
    /// ```
    public static func dirac(_ tensor: Tensor, groups: Int = 1) {
        checkedEvenAfterFailure(or: ()) {
            try require((3...5).contains(tensor.rank), "Init.dirac: needs a kernel of 3 to 5 dimensions, got shape \(tensor.shape)", .shapeMismatch)
            try require(groups >= 1 && tensor.shape[0] % groups == 0,
                        "Init.dirac: \(tensor.shape[0]) output channels are not divisible into \(groups) groups", .invalidArgument)
            try require(tensor.shape.dropFirst(2).allSatisfy { $0 > 0 }, "Init.dirac: the kernel \(tensor.shape) has an empty spatial dimension", .shapeMismatch)
            let outPerGroup = tensor.shape[0] / groups, inputs = tensor.shape[1]
            let spatial = Array(tensor.shape.dropFirst(2))
            let centre = spatial.map { $0 / 2 }
            var strides = [Int](repeating: 1, count: tensor.rank)
            for d in stride(from: tensor.rank - 2, through: 0, by: -1) { strides[d] = strides[d + 1] * tensor.shape[d + 1] }
            var values = [Double](repeating: 0, count: tensor.count)
            for g in 0..<groups {
                for i in 0..<Swift.min(outPerGroup, inputs) {
                    var position = (g * outPerGroup + i) * strides[0] + i * strides[1]
                    for (k, c) in centre.enumerated() { position += c * strides[2 + k] }
                    values[position] = 1
                }
            }
            try assign(tensor, Tensor(shape: tensor.shape, values: values, dtype: tensor.dtype))
        }
    }

    /// The inverse of the error function, by Giles's approximation refined with two Newton steps
    /// (full double precision on (−1, 1)).
    static func inverseErf(_ y: Double) -> Double {
        if y <= -1 { return -.infinity }
        if y >= 1 { return .infinity }
        var w = -Foundation.log((1 - y) * (1 + y)), x: Double
        if w < 5 {
            w -= 2.5
            var p = 2.81022636e-08
            for c in [3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087, -0.00125372503, -0.00417768164, 0.246640727, 1.50140941] { p = c + p * w }
            x = p * y
        } else {
            w = w.squareRoot() - 3
            var p = -0.000200214257
            for c in [0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613, 0.00943887047, 1.00167406, 2.83297682] { p = c + p * w }
            x = p * y
        }
        for _ in 0..<2 {   // Newton: erf(x) − y = 0
            let e = Foundation.erf(x) - y
            x -= e / (2 / Double.pi.squareRoot() * Foundation.exp(-x * x))
        }
        return x
    }
}
