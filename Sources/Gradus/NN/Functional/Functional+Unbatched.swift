// Unbatched inputs, as PyTorch's convolutions, pooling and instance norm take them: one sample without
// its batch dimension (`[C, H, W]` for a 2-D layer, `[C, L]` for a 1-D one).

extension Functional {
    /// `body` applied to `input` with a batch dimension of 1 in front, and that dimension removed from
    /// the result, when `input` has one dimension less than `batchedRank` (an unbatched sample, which
    /// PyTorch's layers accept); nil otherwise, for the caller to run (and check) the batched form.
    ///
    /// - Parameters:
    ///   - input: the operand as given.
    ///   - batchedRank: the rank of a batched input (4 for `[N, C, H, W]`).
    ///   - body: the operation on a batched input.
    static func unbatched(_ input: Tensor, batchedRank: Int, _ body: (Tensor) -> Tensor) -> Tensor? {
        guard input.rank == batchedRank - 1 else { return nil }
        return body(input.unsqueeze(0)).squeeze(0)
    }
}
