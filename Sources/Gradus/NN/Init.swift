/// Parameter initializers (PyTorch's `torch.nn.init`). Each overwrites a tensor's values in place,
/// without recording a graph, so it can be applied to parameters that require gradients. Each takes a
/// `SeededGenerator`, or draws from the default generator (``Random``) when none is given.
///
/// ```swift
/// let layer = Linear(256, 10)
/// Init.xavierUniform(layer.weight)
/// Init.zeros(layer.bias!)
/// ```
public enum Init {
    /// Which fan a Kaiming initializer preserves the variance of.
    public enum FanMode: Sendable {
        /// The number of inputs (preserves the forward pass's variance).
        case fanIn
        /// The number of outputs (preserves the backward pass's variance).
        case fanOut
    }

    /// The nonlinearity that follows a layer, which sets the recommended gain (see ``gain(for:param:)``).
    public enum Nonlinearity: Sendable {
        /// Identity or any convolution: gain 1.
        case linear
        /// Sigmoid: gain 1.
        case sigmoid
        /// Tanh: gain 5/3.
        case tanh
        /// ReLU: gain √2.
        case relu
        /// Leaky ReLU with the negative slope given as `param`: gain √(2 / (1 + slope²)).
        case leakyRelu
        /// SELU: gain 3/4.
        case selu
    }

    /// The recommended gain for `nonlinearity` (PyTorch's `calculate_gain`).
    ///
    /// - Parameters:
    ///   - nonlinearity: the activation that follows.
    ///   - param: the negative slope for `.leakyRelu` (default 0.01).
    ///
    /// ```swift
    /// Init.gain(for: .relu)   // 1.4142…
    /// ```
    public static func gain(for nonlinearity: Nonlinearity, param: Double? = nil) -> Double {
        switch nonlinearity {
        case .linear, .sigmoid: return 1
        case .tanh: return 5.0 / 3
        case .relu: return 2.0.squareRoot()
        case .leakyRelu:
            let slope = param ?? 0.01
            return (2 / (1 + slope * slope)).squareRoot()
        case .selu: return 0.75
        }
    }

    /// The fan-in and fan-out of a weight of shape `[out, in, k…]` (PyTorch's
    /// `_calculate_fan_in_and_fan_out`): `in·Πk` and `out·Πk`.
    ///
    /// ```swift
    /// Init.fans([6, 1, 5, 5])   // (25, 150)
    /// ```
    public static func fans(_ shape: [Int]) -> (fanIn: Int, fanOut: Int) {
        checkedEvenAfterFailure(or: (0, 0)) {
            try require(shape.count >= 2, "Init.fans: needs a tensor with at least 2 dimensions, got shape \(shape)", .shapeMismatch)
            let receptive = shape.dropFirst(2).reduce(1, *)
            return (shape[1] * receptive, shape[0] * receptive)
        }
    }

    /// Overwrites `tensor` in place with the values of `source` (same shape), without recording.
    static func assign(_ tensor: Tensor, _ source: Tensor) throws {
        try require(tensor.dtype.isFloatingPoint, "Init: needs a floating-point tensor, got \(tensor.dtype) of shape \(tensor.shape)", .dtypeMismatch)
        try tensor.copyValues(from: source)
    }

    // MARK: Simple fills

    /// Sets every element to `value`.
    ///
    /// ```swift
    /// Init.constant(bn.weight!, 0.5)
    /// ```
    public static func constant(_ tensor: Tensor, _ value: Double) {
        checkedEvenAfterFailure(or: ()) {
            try assign(tensor, Tensor.full(tensor.shape, value: value, dtype: tensor.dtype))
        }
    }

    /// Sets every element to 0.
    ///
    /// ```swift
    /// Init.zeros(layer.bias!)
    /// ```
    public static func zeros(_ tensor: Tensor) { constant(tensor, 0) }

    /// Sets every element to 1.
    ///
    /// ```swift
    /// Init.ones(norm.weight!)
    /// ```
    public static func ones(_ tensor: Tensor) { constant(tensor, 1) }

    /// Fills with uniform values in [`low`, `high`).
    ///
    /// ```swift
    /// var rng = SeededGenerator(seed: 0)
    /// Init.uniform(w, low: -0.1, high: 0.1, generator: &rng)
    /// ```
    public static func uniform(_ tensor: Tensor, low: Double = 0, high: Double = 1, generator: inout SeededGenerator) {
        checkedEvenAfterFailure(or: ()) {
            try assign(tensor, Tensor.uniform(tensor.shape, low: low, high: high, dtype: tensor.dtype, generator: &generator))
        }
    }

    /// Fills with uniform values in [`low`, `high`) from the default generator.
    public static func uniform(_ tensor: Tensor, low: Double = 0, high: Double = 1) {
        Random.withDefault { uniform(tensor, low: low, high: high, generator: &$0) }
    }

    /// Fills with normally distributed values.
    ///
    /// ```swift
    /// var rng = SeededGenerator(seed: 0)
    /// Init.normal(embedding.weight, std: 0.02, generator: &rng)
    /// ```
    public static func normal(_ tensor: Tensor, mean: Double = 0, std: Double = 1, generator: inout SeededGenerator) {
        checkedEvenAfterFailure(or: ()) {
            try assign(tensor, Tensor.normal(tensor.shape, mean: mean, std: std, dtype: tensor.dtype, generator: &generator))
        }
    }

    /// Fills with normally distributed values from the default generator.
    public static func normal(_ tensor: Tensor, mean: Double = 0, std: Double = 1) {
        Random.withDefault { normal(tensor, mean: mean, std: std, generator: &$0) }
    }

    // MARK: Xavier (Glorot)

    /// Xavier/Glorot uniform: U(−b, b) with b = gain·√(6 / (fanIn + fanOut)).
    ///
    /// - Parameters:
    ///   - tensor: a weight of at least 2 dimensions.
    ///   - gain: the scale factor (see ``gain(for:param:)``).
    ///   - generator: the source of randomness.
    ///
    /// ```swift
    /// var rng = SeededGenerator(seed: 0)
    /// Init.xavierUniform(layer.weight, generator: &rng)
    /// ```
    public static func xavierUniform(_ tensor: Tensor, gain: Double = 1, generator: inout SeededGenerator) {
        let (fi, fo) = fans(tensor.shape)
        let bound = gain * (6 / Double(fi + fo)).squareRoot()
        uniform(tensor, low: -bound, high: bound, generator: &generator)
    }

    /// Xavier/Glorot uniform from the default generator.
    public static func xavierUniform(_ tensor: Tensor, gain: Double = 1) {
        Random.withDefault { xavierUniform(tensor, gain: gain, generator: &$0) }
    }

    /// Xavier/Glorot normal: N(0, σ²) with σ = gain·√(2 / (fanIn + fanOut)).
    ///
    /// ```swift
    /// var rng = SeededGenerator(seed: 0)
    /// Init.xavierNormal(layer.weight, gain: Init.gain(for: .tanh), generator: &rng)
    /// ```
    public static func xavierNormal(_ tensor: Tensor, gain: Double = 1, generator: inout SeededGenerator) {
        let (fi, fo) = fans(tensor.shape)
        normal(tensor, std: gain * (2 / Double(fi + fo)).squareRoot(), generator: &generator)
    }

    /// Xavier/Glorot normal from the default generator.
    public static func xavierNormal(_ tensor: Tensor, gain: Double = 1) {
        Random.withDefault { xavierNormal(tensor, gain: gain, generator: &$0) }
    }

    // MARK: Kaiming (He)

    static func kaimingStd(_ shape: [Int], a: Double, mode: FanMode, nonlinearity: Nonlinearity) throws -> Double {
        let (fi, fo) = fans(shape)
        let fan = mode == .fanIn ? fi : fo
        try require(fan > 0, "Init.kaiming: fan is zero for shape \(shape)", .shapeMismatch)
        return gain(for: nonlinearity, param: a) / Double(fan).squareRoot()
    }

    /// Kaiming/He uniform: U(−b, b) with b = gain·√(3 / fan), gain from `nonlinearity` and `a`.
    /// PyTorch's Linear and Conv layers use it with `a: 5.squareRoot()`, which gives b = 1/√fanIn.
    ///
    /// - Parameters:
    ///   - tensor: a weight of at least 2 dimensions.
    ///   - a: the negative slope of the leaky ReLU that follows (used with `.leakyRelu`).
    ///   - mode: which fan to use.
    ///   - nonlinearity: the activation that follows (default `.leakyRelu`, as in PyTorch).
    ///   - generator: the source of randomness.
    ///
    /// ```swift
    /// var rng = SeededGenerator(seed: 0)
    /// Init.kaimingUniform(conv.weight, nonlinearity: .relu, generator: &rng)
    /// ```
    public static func kaimingUniform(_ tensor: Tensor, a: Double = 0, mode: FanMode = .fanIn,
                                      nonlinearity: Nonlinearity = .leakyRelu, generator: inout SeededGenerator) {
        checkedEvenAfterFailure(or: ()) {
            let bound = try 3.0.squareRoot() * kaimingStd(tensor.shape, a: a, mode: mode, nonlinearity: nonlinearity)
            uniform(tensor, low: -bound, high: bound, generator: &generator)
        }
    }

    /// Kaiming/He uniform from the default generator.
    public static func kaimingUniform(_ tensor: Tensor, a: Double = 0, mode: FanMode = .fanIn,
                                      nonlinearity: Nonlinearity = .leakyRelu) {
        Random.withDefault { kaimingUniform(tensor, a: a, mode: mode, nonlinearity: nonlinearity, generator: &$0) }
    }

    /// Kaiming/He normal: N(0, σ²) with σ = gain / √fan.
    ///
    /// ```swift
    /// var rng = SeededGenerator(seed: 0)
    /// Init.kaimingNormal(conv.weight, mode: .fanOut, nonlinearity: .relu, generator: &rng)
    /// ```
    public static func kaimingNormal(_ tensor: Tensor, a: Double = 0, mode: FanMode = .fanIn,
                                     nonlinearity: Nonlinearity = .leakyRelu, generator: inout SeededGenerator) {
        checkedEvenAfterFailure(or: ()) {
            normal(tensor, std: try kaimingStd(tensor.shape, a: a, mode: mode, nonlinearity: nonlinearity), generator: &generator)
        }
    }

    /// Kaiming/He normal from the default generator.
    public static func kaimingNormal(_ tensor: Tensor, a: Double = 0, mode: FanMode = .fanIn,
                                     nonlinearity: Nonlinearity = .leakyRelu) {
        Random.withDefault { kaimingNormal(tensor, a: a, mode: mode, nonlinearity: nonlinearity, generator: &$0) }
    }

    // MARK: Orthogonal

    /// A (semi-)orthogonal matrix scaled by `gain` (PyTorch's `orthogonal_`): the tensor, viewed as
    /// `[shape[0], rest]`, gets orthonormal rows (or columns, whichever are fewer), from the QR
    /// decomposition of a Gaussian matrix with the signs of R's diagonal folded into Q.
    ///
    /// ```swift
    /// var rng = SeededGenerator(seed: 0)
    /// Init.orthogonal(rnn.weightHH, generator: &rng)
    /// ```
    public static func orthogonal(_ tensor: Tensor, gain: Double = 1, generator: inout SeededGenerator) {
        checkedEvenAfterFailure(or: ()) {
            try require(tensor.rank >= 2, "Init.orthogonal: needs at least 2 dimensions, got shape \(tensor.shape)", .shapeMismatch)
            let rows = tensor.shape[0], cols = tensor.count / Swift.max(rows, 1)
            // Work on a tall matrix m×n (m ≥ n): its n columns become orthonormal.
            let (m, n) = rows < cols ? (cols, rows) : (rows, cols)
            var a = Tensor.normal([m, n], dtype: .float64, generator: &generator).scalars(as: Double.self)
            // Modified Gram-Schmidt, column by column; r's diagonal is each column's norm before scaling (> 0),
            // which is the QR with a positive-diagonal R: the same Q as PyTorch's sign-corrected Householder QR.
            for j in 0..<n {
                for k in 0..<j {
                    var dot = 0.0
                    for i in 0..<m { dot += a[i * n + k] * a[i * n + j] }
                    for i in 0..<m { a[i * n + j] -= dot * a[i * n + k] }
                }
                var norm = 0.0
                for i in 0..<m { norm += a[i * n + j] * a[i * n + j] }
                norm = norm.squareRoot()
                for i in 0..<m { a[i * n + j] /= norm }
            }
            // Q is [rows, cols]: the tall matrix itself, or its transpose when the rows are fewer. Built
            // without tensor operations, so that it also runs in a scope that has failed before.
            var q = [Double](repeating: 0, count: m * n)
            for r in 0..<rows {
                for c in 0..<cols { q[r * cols + c] = gain * (rows < cols ? a[c * n + r] : a[r * n + c]) }
            }
            try assign(tensor, Tensor(shape: tensor.shape, values: q, dtype: .float64))
        }
    }

    /// A (semi-)orthogonal initialization from the default generator.
    public static func orthogonal(_ tensor: Tensor, gain: Double = 1) {
        Random.withDefault { orthogonal(tensor, gain: gain, generator: &$0) }
    }

    // MARK: Sparse

    /// Sparse initialization (PyTorch's `init.sparse_`, after Martens, 2010): a 2-D tensor filled with
    /// N(0, std²) values, then in each column ⌈sparsity · rows⌉ rows, chosen at random, set to zero.
    ///
    /// - Parameters:
    ///   - tensor: a floating-point tensor `[rows, columns]` (a linear layer's weight), overwritten.
    ///   - sparsity: the fraction of each column set to zero, in [0, 1].
    ///   - std: the standard deviation of the other values (default 0.01), finite and not negative.
    ///   - generator: the source of the values and of the rows chosen.
    ///
    /// ```swift
    /// var rng = SeededGenerator(seed: 0)
    /// Init.sparse(layer.weight, sparsity: 0.9, generator: &rng)   // 90% of each column zero
    /// ```
    public static func sparse(_ tensor: Tensor, sparsity: Double, std: Double = 0.01, generator: inout SeededGenerator) {
        checkedEvenAfterFailure(or: ()) {
            try require(tensor.rank == 2, "Init.sparse: only tensors with 2 dimensions are supported, got shape \(tensor.shape)", .shapeMismatch)
            try require(sparsity >= 0 && sparsity <= 1, "Init.sparse: sparsity must lie in [0, 1], got \(sparsity)", .invalidArgument)
            try require(std.isFinite && std >= 0, "Init.sparse: std must be finite and not negative, got \(std)", .invalidArgument)
            try require(tensor.dtype.isFloatingPoint, "Init: needs a floating-point tensor, got \(tensor.dtype) of shape \(tensor.shape)", .dtypeMismatch)
            let (rows, columns) = (tensor.shape[0], tensor.shape[1])
            var values = Tensor.normal(tensor.shape, std: std, dtype: .float64, generator: &generator).scalars(as: Double.self)
            let zeros = Int((sparsity * Double(rows)).rounded(.up))
            var order = Array(0..<rows)
            for c in 0..<columns {
                // The first `zeros` places of a Fisher–Yates shuffle: that many distinct rows, uniformly.
                for i in 0..<zeros {
                    order.swapAt(i, Int.random(in: i..<rows, using: &generator))
                    values[order[i] &* columns &+ c] = 0
                }
            }
            try assign(tensor, Tensor(shape: tensor.shape, values: values, dtype: .float64))
        }
    }

    /// Sparse initialization from the default generator (see ``sparse(_:sparsity:std:generator:)``).
    public static func sparse(_ tensor: Tensor, sparsity: Double, std: Double = 0.01) {
        Random.withDefault { sparse(tensor, sparsity: sparsity, std: std, generator: &$0) }
    }
}
