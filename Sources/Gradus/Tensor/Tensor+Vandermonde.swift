// Vandermonde matrices (PyTorch's `torch.vander`), built as one cumulative product so that the gradient
// is exact at zero (x⁰ = 1 carries none; a power's gradient never divides by x).

extension Tensor {
    /// The Vandermonde matrix of a vector: column j holds x^(n−1−j) (x^j with `increasing`), `[len, n]`
    /// (PyTorch's `torch.vander`). Integer vectors stay integers. Differentiable.
    ///
    /// - Parameters:
    ///   - n: the number of columns (default the vector's length); not negative.
    ///   - increasing: powers rising from the left.
    ///
    /// ```swift
    /// Tensor([1, 2, 3]).vander(n: 3)   // [[1, 1, 1], [4, 2, 1], [9, 3, 1]]
    /// ```
    public func vander(n: Int? = nil, increasing: Bool = false) -> Tensor {
        checked {
            try require(rank == 1, "vander: needs a vector, got shape \(shape)", .shapeMismatch)
            let columns = n ?? count
            try require(columns >= 0, "vander: the number of columns must not be negative, got \(columns)", .invalidArgument)
            try require(count.multipliedReportingOverflow(by: columns).overflow == false
                            && count * columns <= TensorStorage.physicalMemoryBytes / dtype.byteSize,
                        "vander: a \(count) × \(columns) matrix does not fit in this machine's memory", .outOfMemory)
            guard columns > 0, count > 0 else { return Tensor.zeros([count, columns], dtype: dtype) }
            // [1, x, x, …] multiplied along the row: the powers x⁰ … x^(n−1), in one cumulative product
            // (whose gradient is exact with zeros).
            let factors = Tensor.concatenate([Tensor.ones([count, 1], dtype: dtype), reshape([count, 1]).expand([count, columns - 1])], axis: 1)
            let powers = factors.cumprod(axis: 1)
            return increasing ? powers : powers.flip(axes: [1])
        }
    }
}
