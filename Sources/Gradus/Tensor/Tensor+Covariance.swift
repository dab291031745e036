extension Tensor {
    /// The covariance matrix of the variables in the rows, observed in the columns (PyTorch's
    /// `torch.cov`): entry (i, j) is Σ (x_i − x̄_i)(x_j − x̄_j) / (N − correction) over the N observations.
    /// Differentiable. A 1-D (or 0-D) tensor, or one row, is one variable, and gives a 0-D variance.
    ///
    /// - Parameter correction: subtracted from N in the divisor: 1 (Bessel's correction, the default),
    ///   0 for the maximum-likelihood estimate. A divisor of 0 or less divides by 0, as PyTorch does.
    /// - Returns: `[vars, vars]`, or a 0-D tensor for one variable; integer input gives Float32.
    ///
    /// ```swift
    /// let x = Tensor([[0.0, 1.0, 2.0], [2.0, 1.0, 0.0]])
    /// x.cov()   // [[1, -1], [-1, 1]]
    /// ```
    public func cov(correction: Int = 1) -> Tensor {
        checked {
            try require(rank <= 2, "cov: expected a tensor of at most two dimensions (variables × observations), got shape \(shape)",
                        .shapeMismatch)
            let values = dtype.isFloatingPoint ? self : self.to(.float32)
            let x = rank == 2 ? values : values.reshape([1, -1])                 // [vars, obs]
            let observations = x.shape[1]
            let centered = x - x.mean(axes: [1], keepDims: true)
            let divisor = Double(Swift.max(observations - correction, 0))
            let c = centered.matmul(centered.t) / divisor
            // One variable gives a 0-D variance, as PyTorch's squeeze of the [1, 1] result.
            return x.shape[0] == 1 ? c.reshape([]) : c
        }
    }

    /// The Pearson correlation coefficients of the variables in the rows, observed in the columns
    /// (PyTorch's `torch.corrcoef`): the covariance of ``cov(correction:)`` divided by the products of the
    /// standard deviations, clamped to [−1, 1]. A variable that does not vary gives NaN, as in PyTorch.
    ///
    /// - Returns: `[vars, vars]`, or a 0-D tensor (1, or NaN) for one-variable input.
    ///
    /// ```swift
    /// let r = Tensor([[1.0, 2.0, 3.0], [2.0, 4.0, 7.0]]).corrcoef()   // r[0, 1] ≈ 0.99
    /// ```
    public func corrcoef() -> Tensor {
        checked {
            let c = cov()
            try GradusError.throwIfRecorded()
            if c.rank == 0 { return c / c }
            let deviations = c.diagonal().sqrt()
            let n = deviations.count
            return (c / deviations.reshape([n, 1]) / deviations.reshape([1, n])).clamp(min: -1, max: 1)
        }
    }
}
