// PyTorch's names for the random tensors (`torch.randn`, `torch.rand`, `torch.randn_like`,
// `torch.rand_like`, `torch.randint_like`), as thin entries over ``Tensor/normal(_:mean:std:dtype:generator:)``,
// ``Tensor/uniform(_:low:high:dtype:generator:)`` and ``Tensor/randint(_:_:shape:generator:)``: the same draws.

extension Tensor {
    /// Standard normal values (mean 0, standard deviation 1): PyTorch's `torch.randn`.
    ///
    /// - Parameters:
    ///   - shape: the shape.
    ///   - dtype: a floating-point type.
    ///   - generator: the source of randomness.
    ///
    /// ```swift
    /// var rng = SeededGenerator(seed: 0)
    /// let x = Tensor.randn([64, 784], generator: &rng)
    /// ```
    public static func randn(_ shape: [Int], dtype: DType = .float32, generator: inout SeededGenerator) -> Tensor {
        normal(shape, dtype: dtype, generator: &generator)
    }

    /// Standard normal values from the default generator (see ``Random``).
    public static func randn(_ shape: [Int], dtype: DType = .float32) -> Tensor { normal(shape, dtype: dtype) }

    /// Uniform values in [0, 1): PyTorch's `torch.rand`.
    ///
    /// - Parameters:
    ///   - shape: the shape.
    ///   - dtype: a floating-point type.
    ///   - generator: the source of randomness.
    ///
    /// ```swift
    /// var rng = SeededGenerator(seed: 0)
    /// let keep = Tensor.rand([10], generator: &rng).lt(0.8)
    /// ```
    public static func rand(_ shape: [Int], dtype: DType = .float32, generator: inout SeededGenerator) -> Tensor {
        uniform(shape, dtype: dtype, generator: &generator)
    }

    /// Uniform values in [0, 1) from the default generator (see ``Random``).
    public static func rand(_ shape: [Int], dtype: DType = .float32) -> Tensor { uniform(shape, dtype: dtype) }

    /// Standard normal values of `other`'s shape and dtype (PyTorch's `torch.randn_like`); a
    /// floating-point `other`.
    ///
    /// ```swift
    /// let noisy = x + Tensor.randn(like: x) * 0.1
    /// ```
    public static func randn(like other: Tensor) -> Tensor { normal(other.shape, dtype: other.dtype) }

    /// Standard normal values of `other`'s shape and dtype, from `generator`.
    public static func randn(like other: Tensor, generator: inout SeededGenerator) -> Tensor {
        normal(other.shape, dtype: other.dtype, generator: &generator)
    }

    /// Uniform values in [0, 1) of `other`'s shape and dtype (PyTorch's `torch.rand_like`); a
    /// floating-point `other`.
    public static func rand(like other: Tensor) -> Tensor { uniform(other.shape, dtype: other.dtype) }

    /// Uniform values in [0, 1) of `other`'s shape and dtype, from `generator`.
    public static func rand(like other: Tensor, generator: inout SeededGenerator) -> Tensor {
        uniform(other.shape, dtype: other.dtype, generator: &generator)
    }

    /// Random integers in [`low`, `high`) of `other`'s shape, int64 (PyTorch's `torch.randint_like` with
    /// an int64 result).
    ///
    /// ```swift
    /// var rng = SeededGenerator(seed: 0)
    /// let fakeLabels = Tensor.randint(like: labels, 0, 10, generator: &rng)
    /// ```
    public static func randint(like other: Tensor, _ low: Int, _ high: Int, generator: inout SeededGenerator) -> Tensor {
        randint(low, high, shape: other.shape, generator: &generator)
    }
}
