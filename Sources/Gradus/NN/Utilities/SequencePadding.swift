/// Which end of a sequence ``padSequence(_:batchFirst:paddingValue:paddingSide:)`` pads.
public enum PaddingSide: String, Sendable {
    /// Padding after each sequence's last element (PyTorch's default).
    case right
    /// Padding before each sequence's first element, as decoder-only generation wants its prompts.
    case left
}

/// Sequences of different lengths as one padded batch (PyTorch's `nn.utils.rnn.pad_sequence`): each
/// `[L_i, …]` padded with `paddingValue` to the longest length, stacked into `[L, B, …]`, or `[B, L, …]`
/// with `batchFirst`. Differentiable: each sequence's gradient is its rows of the batch's.
///
/// - Parameters:
///   - sequences: at least one tensor of rank ≥ 1, all with the same trailing dimensions (converted to
///     the first one's dtype).
///   - batchFirst: put the batch first (`[B, L, …]`).
///   - paddingValue: the value of the added positions.
///   - paddingSide: pad after each sequence (`.right`) or before it (`.left`).
/// - Returns: the padded batch.
///
/// ```swift
/// let batch = padSequence([Tensor([1, 2, 3]), Tensor([4])], batchFirst: true)   // [[1, 2, 3], [4, 0, 0]]
/// let lengths = [3, 1]                                                            // for a padding mask
/// ```
public func padSequence(_ sequences: [Tensor], batchFirst: Bool = false, paddingValue: Double = 0,
                        paddingSide: PaddingSide = .right) -> Tensor {
    checked {
        let op = "padSequence"
        try require(!sequences.isEmpty, "\(op): received an empty list of sequences", .invalidArgument)
        let first = sequences[0]
        try require(first.rank >= 1, "\(op): sequences must have at least one dimension, sequence 0 has shape \(first.shape)", .shapeMismatch)
        let trailing = Array(first.shape.dropFirst())
        for (i, s) in sequences.enumerated() {
            try require(s.rank >= 1 && Array(s.shape.dropFirst()) == trailing,
                        "\(op): sequence \(i) has shape \(s.shape), sequence 0 \(first.shape); all must be [length] + \(trailing)",
                        .shapeMismatch)
        }
        let longest = sequences.map { $0.shape[0] }.max() ?? 0
        _ = try Tensor.elementCount([sequences.count, longest] + trailing, op: op)
        // As PyTorch, which copies every sequence into a tensor of the first one's dtype.
        let padded = sequences.map { given -> Tensor in
            let s = given.dtype == first.dtype ? given : given.to(first.dtype)
            let missing = longest - s.shape[0]
            guard missing > 0 else { return s }
            // F.pad's pairs run from the last dimension: zeros for the trailing ones, then the length's.
            let pairs = [Int](repeating: 0, count: 2 * trailing.count) + (paddingSide == .right ? [0, missing] : [missing, 0])
            return s.pad(pairs, value: paddingValue)
        }
        return Tensor.stack(padded, axis: batchFirst ? 0 : 1)
    }
}
