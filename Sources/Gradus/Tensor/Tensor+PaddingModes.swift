// Padding by reflection, replication and wrapping (PyTorch's `F.pad` with `mode='reflect'`,
// `'replicate'`, `'circular'`). Each padded dimension is an index map from output to input positions,
// applied with `indexSelect`, whose adjoint (`indexAdd`) sums the gradient of every copy back into the
// element it came from.

/// How ``Tensor/pad(_:mode:value:)`` fills the new positions.
public enum PaddingMode: String, Sendable, CaseIterable {
    /// A constant value (PyTorch's `'constant'`; `'zeros'` for convolutions).
    case constant
    /// The input mirrored at its edge, the edge itself not repeated: `[1, 2, 3]` padded by 2 on the left
    /// reads `[3, 2, 1, 2, 3]` (PyTorch's `'reflect'`). Each amount must be smaller than the dimension.
    case reflect
    /// The edge element repeated: `[1, 2, 3]` padded by 2 on the left reads `[1, 1, 1, 2, 3]`
    /// (PyTorch's `'replicate'`).
    case replicate
    /// The input wrapped around: `[1, 2, 3]` padded by 2 on the left reads `[2, 3, 1, 2, 3]` (PyTorch's
    /// `'circular'`). Each amount must be at most the dimension.
    case circular
}

extension Tensor {
    /// Pads (or, with negative amounts, crops) the last dimensions, PyTorch's `F.pad(input, pad, mode,
    /// value)`: `padding` holds (before, after) pairs starting from the last dimension.
    ///
    /// With `.constant` (the default) any number of dimensions may be padded with `value`. The other modes
    /// pad the last 1, 2 or 3 dimensions of an input with one or two more dimensions before them
    /// (`[C, W]` or `[N, C, W]` for 1, up to `[N, C, D, H, W]` for 3), as PyTorch requires; the padded
    /// dimensions must not be empty. Gradients flow back to every element a padded position copies.
    ///
    /// - Parameters:
    ///   - padding: (before, after) amounts, last dimension first.
    ///   - mode: how new positions are filled.
    ///   - value: the fill value of `.constant`.
    ///
    /// ```swift
    /// let mirrored = images.pad([1, 1, 1, 1], mode: .reflect)   // [N, C, H + 2, W + 2]
    /// ```
    public func pad(_ padding: [Int], mode: PaddingMode, value: Double = 0) -> Tensor {
        if mode == .constant { return pad(padding, value: value) }
        return checked {
            let op = "pad(\(mode.rawValue))"
            let dims = padding.count / 2
            try require(padding.count % 2 == 0 && (1...3).contains(dims) && (rank == dims + 1 || rank == dims + 2),
                        "\(op): padding \(padding) pads \(dims) dimension(s); \(mode.rawValue) padding takes 2, 4 or 6 amounts for an input of \(dims + 1) or \(dims + 2) dimensions, got shape \(shape)",
                        .shapeMismatch)
            var result = self
            for p in 0..<dims {
                let d = rank - 1 - p
                let (before, after, n) = (padding[2 * p], padding[2 * p + 1], shape[d])
                try require(n > 0, "\(op): dimension \(d) of shape \(shape) is empty; only the batch dimension may be", .shapeMismatch)
                switch mode {
                case .reflect:
                    try require(before < n && after < n,
                                "\(op): padding (\(before), \(after)) of dimension \(d) must be smaller than its size \(n)", .shapeMismatch)
                case .circular:
                    try require(before <= n && after <= n,
                                "\(op): padding (\(before), \(after)) of dimension \(d) wraps around its size \(n) more than once", .shapeMismatch)
                case .replicate, .constant:
                    try require(before < Int.max / 4 && after < Int.max / 4, "\(op): padding \(padding) is too large", .shapeMismatch)
                }
                let length = n + before + after
                try require(length >= 0, "\(op): padding (\(before), \(after)) makes dimension \(d) of size \(n) negative", .shapeMismatch)
                // The output's positions read input positions i = j − before, mapped into 0..<n.
                var sources = [Int](repeating: 0, count: length)
                for j in 0..<length {
                    let i = j - before
                    switch mode {
                    case .reflect: sources[j] = i < 0 ? -i : (i >= n ? 2 * (n - 1) - i : i)
                    case .replicate: sources[j] = Swift.min(Swift.max(i, 0), n - 1)
                    case .circular: sources[j] = ((i % n) + n) % n
                    case .constant: sources[j] = i
                    }
                }
                result = result.indexSelect(axis: d, index: Tensor(shape: [length], integers: sources))
                try GradusError.throwIfRecorded()
            }
            return result
        }
    }
}
