extension Functional {
    /// x for x > 0, a·x otherwise, with slopes `weight` (PyTorch's `F.prelu`): one slope for every
    /// element (`weight` of one element), or one per channel along dimension 1 (dimension 0 of a vector).
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
            let slopes = weight.count
            let a: Tensor
            if slopes == 1 {
                a = weight.reshape([])
            } else {
                let channelAxis = input.rank >= 2 ? 1 : 0
                try require(input.rank >= 1 && input.shape[channelAxis] == slopes,
                            "prelu: input shape \(input.shape) does not have \(slopes) channels in dimension \(channelAxis)",
                            .shapeMismatch)
                var shape = [Int](repeating: 1, count: input.rank)
                shape[channelAxis] = slopes
                a = weight.reshape(shape)
            }
            return Tensor.where(input.gt(0.0), input, input * a)
        }
    }
}
