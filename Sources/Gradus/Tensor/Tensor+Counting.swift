// Counting: values of an int64 tensor (PyTorch's `torch.bincount`), as an `indexAdd` into zeros, so that
// weighted counts have the gradient of `indexAdd` with respect to the weights; and the elements that are
// not zero (`torch.count_nonzero`).

extension Tensor {
    /// How often each value 0, 1, … occurs in this 1-D int64 tensor of non-negative values (PyTorch's
    /// `torch.bincount`), or the sum of `weights` at each value's positions.
    ///
    /// - Parameters:
    ///   - weights: one floating-point weight per element; the result then has its dtype (and its
    ///     gradient flows back to it). Without weights the counts are int64.
    ///   - minLength: the least length of the result (it is at least the largest value + 1).
    /// - Returns: `[max(largest + 1, minLength)]`.
    ///
    /// ```swift
    /// Tensor(labels: [0, 1, 1, 3]).bincount()                // [1, 2, 0, 1]
    /// Tensor(labels: [0, 1, 1, 3]).bincount(minLength: 6)   // [1, 2, 0, 1, 0, 0]
    /// let perClass = labels.bincount(weights: losses)          // summed loss of each class
    /// ```
    public func bincount(weights: Tensor? = nil, minLength: Int = 0) -> Tensor {
        checked {
            try require(rank == 1 && dtype == .int64, "bincount: needs a 1-D int64 tensor of non-negative values, got \(dtype) of shape \(shape)", .shapeMismatch)
            try require(minLength >= 0, "bincount: minLength must not be negative, got \(minLength)")
            let values = intScalars
            if let negative = values.first(where: { $0 < 0 }) {
                throw GradusError(.indexOutOfRange, "bincount: values must be non-negative, found \(negative)")
            }
            if let weights {
                try require(weights.shape == shape, "bincount: weights \(weights.shape) must have the input's shape \(shape)", .shapeMismatch)
                try weights.requireFloat("bincount")
            }
            let largest = values.max() ?? -1
            try require(largest < Tensor.maximumElementCount, "bincount: value \(largest) needs more bins than a tensor can hold", .indexOutOfRange)
            let length = Swift.max(minLength, largest + 1)
            let zeros = try Tensor.checkedZeros([length], dtype: weights?.dtype ?? .int64, op: "bincount")
            if values.isEmpty { return zeros }
            return zeros.indexAdd(axis: 0, index: self, source: weights ?? Tensor.ones(shape, dtype: .int64))
        }
    }

    /// How many elements are not zero, over `axes` (all when nil) — PyTorch's `torch.count_nonzero`.
    /// NaN counts as not zero. The counts are int64.
    ///
    /// - Parameter axes: the dimensions to count over; nil (or empty, as in PyTorch) for all; negative
    ///   values count from the end.
    ///
    /// ```swift
    /// Tensor([[0.0, 1], [2, 3]]).countNonzero(axes: [1])   // [1, 2]
    /// ```
    public func countNonzero(axes: [Int]? = nil) -> Tensor {
        checked {
            // An empty list counts over all dimensions, as PyTorch's count_nonzero(dim=()) does.
            let ax = try normalizedAxes(axes, op: "countNonzero")
            return GradMode.noGrad { detach().ne(0).to(.int64).sum(axes: ax) }
        }
    }
}

extension Tensor {
    /// A histogram of the values in `bins` equal-width bins between `min` and `max` (PyTorch's
    /// `torch.histc`): values outside the range (and NaN) are ignored, a value equal to `max` counts in
    /// the last bin. With `min` equal to `max` the range is the data's own smallest and largest value
    /// (widened by 1 on each side when they are equal). The result has this tensor's dtype; floating-
    /// point tensors only, as PyTorch's. Not differentiable.
    ///
    /// - Parameters:
    ///   - bins: the number of bins, at least 1.
    ///   - min: the lower end of the range.
    ///   - max: the upper end of the range.
    ///
    /// ```swift
    /// Tensor([1.0, 2.0, 1.0]).histc(bins: 4, min: 0, max: 3)   // [0, 2, 1, 0]
    /// ```
    public func histc(bins: Int = 100, min: Double = 0, max: Double = 0) -> Tensor {
        checked {
            let op = "histc"
            try requireFloat(op)
            try require(bins >= 1, "\(op): bins must be at least 1, got \(bins)", .invalidArgument)
            try require(min <= max, "\(op): max must be larger than min, got min \(min) and max \(max)", .invalidArgument)
            let out = try Tensor(checkedShape: [bins], dtype: dtype, op: op)
            func run<T: TensorFloat>(_: T.Type) throws {
                let values = contiguous().scalars(as: T.self)
                var (left, right) = (T(min), T(max))
                if left == right, !values.isEmpty {
                    // The data's range; a NaN makes it NaN (refused below), as PyTorch's aminmax.
                    if values.contains(where: \.isNaN) {
                        (left, right) = (.nan, .nan)
                    } else {
                        (left, right) = (values.min()!, values.max()!)
                    }
                }
                if left == right { (left, right) = (left - 1, right + 1) }
                try require(left.isFinite && right.isFinite, "\(op): range of [\(left), \(right)] is not finite", .invalidArgument)
                let counts = out.pointer(T.self)
                counts.initialize(repeating: 0, count: bins)
                // PyTorch's linear bin rule, in the element type: (x − left)·bins / (right − left).
                // (A range too narrow or too wide for the element type — ±1 lost on 3e38, a width of
                // inf — gives 0/0 or inf/inf: those values go to the first bin, as x = left does.)
                for x in values where x >= left && x <= right {
                    let raw = (x - left) * T(bins) / (right - left)
                    let position = raw >= 0 && raw < T(bins) ? Int(raw) : (raw >= T(bins) ? bins - 1 : 0)
                    counts[position] += 1
                }
            }
            if dtype == .float32 { try run(Float.self) } else { try run(Double.self) }
            return out
        }
    }
}
