extension Functional {
    /// x for x > 0, a·x otherwise, with slopes `weight` (PyTorch's `F.prelu`): one slope for every
    /// element (`weight` of one element), or one per channel along dimension 1 of an input of rank 2 or
    /// more (an input of rank 0 or 1 has one channel, as in PyTorch). Input and weight share a dtype.
    /// Gradients: to the input, g where x > 0 and a·g elsewhere; to each slope, the sum of x·g over its
    /// elements where x ≤ 0.
    ///
    /// - Parameters:
    ///   - input: the values.
    ///   - weight: the slopes, `[1]` or `[channels]`.
    ///
    /// ```swift
    /// let y = Functional.prelu(x, weight: Tensor([0.25, 0.1, 0.3]))   // x: [N, 3, H, W]
    /// ```
    public static func prelu(_ input: Tensor, weight: Tensor) -> Tensor {
        checked {
            try require(weight.rank <= 1, "prelu: weight must be a vector of slopes, got shape \(weight.shape)", .shapeMismatch)
            try require(input.dtype == weight.dtype, "prelu: input dtype \(input.dtype) and weight dtype \(weight.dtype) differ",
                        .dtypeMismatch)
            let slopes = weight.count
            let a: Tensor
            if slopes == 1 {
                a = weight.reshape([])
            } else {
                try require(input.rank >= 2 && input.shape[1] == slopes,
                            "prelu: \(slopes) slopes need an input with \(slopes) channels in dimension 1, got shape \(input.shape)",
                            .shapeMismatch)
                var shape = [Int](repeating: 1, count: input.rank)
                shape[1] = slopes
                a = weight.reshape(shape)
            }
            // The negative part as its own tensor (0 where x > 0), so that a slope's gradient Σ x·g sees an
            // exact 0 there even for x = +inf (0·inf would be NaN).
            let positive = input.gt(0.0)
            let negativePart = input.maskedWhere(positive, 0)
            return Tensor.where(positive, input, negativePart * a)
        }
    }
}
