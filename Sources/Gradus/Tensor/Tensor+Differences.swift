// Differences of neighbouring elements along an axis (PyTorch's `torch.diff`), as subtractions of two
// overlapping narrow views, so that gradients and dtypes follow those of subtraction.

extension Tensor {
    /// The `n`-th forward difference along `axis` (PyTorch's `torch.diff`): `out[i] = x[i + 1] − x[i]`,
    /// applied `n` times, after `prepend` and `append` are joined to the tensor along `axis`.
    ///
    /// Each difference shortens the axis by one; past its length the result is empty along `axis`, as
    /// in PyTorch. int64 tensors give int64 differences.
    ///
    /// - Parameters:
    ///   - n: how many times to take the difference, ≥ 0 (0 gives a copy).
    ///   - axis: the dimension (default the last); negative values count from the end.
    ///   - prepend: values joined before the first element: the tensor's rank, its shape except along `axis`.
    ///   - append: values joined after the last element, shaped as `prepend`.
    ///
    /// ```swift
    /// Tensor([1.0, 4, 9, 16]).diff()          // [3, 5, 7]
    /// Tensor([1.0, 4, 9, 16]).diff(n: 2)      // [2, 2]
    /// ```
    public func diff(n: Int = 1, axis: Int = -1, prepend: Tensor? = nil, append: Tensor? = nil) -> Tensor {
        checked {
            try require(rank >= 1, "diff: needs a tensor of at least one dimension, got a scalar", .shapeMismatch)
            try require(n >= 0, "diff: the order n must not be negative, got \(n)", .invalidArgument)
            let a = try self.axis(axis, op: "diff")
            for (name, extra) in [("prepend", prepend), ("append", append)] {
                guard let extra else { continue }
                try require(extra.rank == rank,
                            "diff: \(name) must have the input's \(rank) dimensions, got shape \(extra.shape) for input \(shape)",
                            .shapeMismatch)
                var expected = shape
                expected[a] = extra.shape[a]
                try require(extra.shape == expected,
                            "diff: \(name) of shape \(extra.shape) must match the input's shape \(shape) except along axis \(a)",
                            .shapeMismatch)
            }
            var x = prepend == nil && append == nil
                ? self : Tensor.concatenate([prepend, self, append].compactMap { $0 }, axis: a)
            for _ in 0..<n {
                let length = x.shape[a]
                guard length > 0 else { break }
                x = x.narrow(axis: a, start: 1, length: length - 1) - x.narrow(axis: a, start: 0, length: length - 1)
            }
            return x === self ? clone() : x
        }
    }
}
