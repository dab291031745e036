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
            try require(padding.allSatisfy { $0 > -(Int.max / 4) && $0 < Int.max / 4 }, "\(op): padding \(padding) holds amounts too large for any dimension", .shapeMismatch)
            // The output's shape first, checked against memory before any table is built.
            var outShape = shape
            for p in 0..<dims {
                let d = rank - 1 - p
                outShape[d] = shape[d] + padding[2 * p] + padding[2 * p + 1]
                try require(outShape[d] >= 0, "\(op): padding \(padding) makes dimension \(d) of shape \(shape) negative", .shapeMismatch)
            }
            let elements = try Tensor.elementCount(outShape, op: op)
            try require(elements <= TensorStorage.physicalMemoryBytes / dtype.byteSize && outShape.allSatisfy { $0 <= TensorStorage.physicalMemoryBytes / 8 },
                        "\(op): the padded shape \(outShape) is larger than this machine's memory", .outOfMemory)
            var result = self
            for p in 0..<dims {
                let d = rank - 1 - p
                try require(shape[d] > 0, "\(op): dimension \(d) of shape \(shape) is empty; only the batch dimension may be", .shapeMismatch)
                let (before, after) = (padding[2 * p], padding[2 * p + 1])
                if mode == .reflect {
                    // PyTorch reflects over the whole dimension, crops included: position j reads j − before.
                    let n = shape[d]
                    try require(before < n && after < n,
                                "\(op): padding (\(before), \(after)) of dimension \(d) must be smaller than its size \(n)", .shapeMismatch)
                    let sources = Tensor.paddingSources(.reflect, size: n, before: before, length: n + before + after)
                    result = result.indexSelect(axis: d, index: Tensor(shape: [sources.count], integers: sources))
                    try GradusError.throwIfRecorded()
                    continue
                }
                // Replicate and circular, as PyTorch: negative amounts crop first; the positive ones then
                // pad what is left.
                let cropStart = Swift.max(0, -before), cropEnd = shape[d] - Swift.max(0, -after)
                try require(cropEnd > cropStart, "\(op): padding (\(before), \(after)) crops all of dimension \(d) of size \(shape[d])", .shapeMismatch)
                if cropStart > 0 || cropEnd < shape[d] { result = result.narrow(axis: d, start: cropStart, length: cropEnd - cropStart) }
                let (left, right, n) = (Swift.max(0, before), Swift.max(0, after), cropEnd - cropStart)
                if left == 0 && right == 0 { continue }
                if mode == .circular {
                    try require(left <= n && right <= n,
                                "\(op): padding (\(before), \(after)) of dimension \(d) wraps around its size \(n) more than once", .shapeMismatch)
                }
                let length = n + left + right
                let sources = Tensor.paddingSources(mode, size: n, before: left, length: length)
                result = result.indexSelect(axis: d, index: Tensor(shape: [length], integers: sources))
                try GradusError.throwIfRecorded()
            }
            return result
        }
    }

    /// The input position (in 0..<size) each of `length` output positions reads when `before` positions
    /// are added in front: position j reads i = j − before, mirrored (reflect), clamped (replicate) or
    /// wrapped (circular) into the dimension.
    private static func paddingSources(_ mode: PaddingMode, size n: Int, before: Int, length: Int) -> [Int] {
        (0..<length).map { j in
            let i = j - before
            switch mode {
            case .reflect: return i < 0 ? -i : (i >= n ? 2 * (n - 1) - i : i)
            case .circular: return ((i % n) + n) % n
            case .replicate, .constant: return Swift.min(Swift.max(i, 0), n - 1)
            }
        }
    }
}
