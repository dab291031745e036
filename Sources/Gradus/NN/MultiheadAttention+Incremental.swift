extension MultiheadAttention {
    /// Causal self-attention of new tokens over the tokens already in `cache` and over themselves, for
    /// incremental decoding: the new tokens' keys and values are appended to the cache. The result equals
    /// the matching rows of a causal self-attention over the whole sequence (`isCausal: true`).
    ///
    /// - Parameters:
    ///   - input: the new tokens, `[N, T, E]` when `batchFirst` (else `[T, N, E]`), or `[T, E]`.
    ///   - cache: the keys and values of the earlier tokens of the same sequences; updated.
    ///   - keyPaddingMask: `[N, P + T]` (`[P + T]` for one sequence), P the tokens already in `cache`:
    ///     positions of the whole sequence so far to ignore as keys (int64 nonzero), or values added to
    ///     their scores (floating point) — prompts of different lengths padded on the left, say. Equal to
    ///     the full causal self-attention's rows with that key padding mask.
    /// - Returns: the attention output for the new tokens, in `input`'s layout.
    ///
    /// ```swift
    /// var cache = KeyValueCache()
    /// let prefix = attention.selfAttention(x[0..., 0..<5], cache: &cache)
    /// let sixth = attention.selfAttention(x[0..., 5..<6], cache: &cache)   // row 5 of the full causal result
    /// ```
    public func selfAttention(_ input: Tensor, cache: inout KeyValueCache, keyPaddingMask: Tensor? = nil) -> Tensor {
        // The keys and values go into a copy, handed back when the whole call (post-hooks included)
        // succeeded: a failed call leaves the caller's cache as it was.
        var updated = cache
        let output = withForwardHooks(input) { input in
            let op = "MultiheadAttention.selfAttention(cache:)"
            let result: Tensor = checked {
                try require(input.rank == 2 || input.rank == 3, "\(op): input \(input.shape) must be [L, N, E] or [L, E]", .shapeMismatch)
                let batched = input.rank == 3
                let x = batched ? (batchFirst ? input.transpose(0, 1) : input) : input.unsqueeze(1)   // [T, N, E]
                let (t, n) = (x.shape[0], x.shape[1])
                try require(x.shape[2] == embedDim, "\(op): input \(input.shape) must end with embedDim \(embedDim)", .shapeMismatch)
                try require(kdim == embedDim && vdim == embedDim,
                            "\(op): self-attention needs keys and values of width embedDim \(embedDim), this layer has kdim \(kdim) and vdim \(vdim)",
                            .invalidArgument)
                try require(input.dtype == weightDType, "\(op): input is \(input.dtype) but the weights are \(weightDType)",
                            .dtypeMismatch)
                let (h, d) = (numHeads, headDim)
                if let keys = updated.keys {
                    try require(keys.rank == 3 && keys.shape[0] == n * h && keys.shape[2] == d,
                                "\(op): the cache holds keys of shape \(keys.shape) ([N·H, T, d]), the input needs \(n) sequences of \(h) heads of size \(d)",
                                .shapeMismatch)
                    try require(keys.dtype == input.dtype, "\(op): the cache holds \(keys.dtype) keys, the input is \(input.dtype)", .dtypeMismatch)
                }
                let w = try projectionWeights(op: op), weights = [w.query, w.key, w.value], biases = inProjBias?.chunk(3, axis: 0)
                func heads(_ i: Int) -> Tensor {
                    Tensor.linear(x, weight: weights[i], bias: biases?[i]).reshape([t, n * h, d]).transpose(0, 1)
                }
                let past = updated.length
                let (newKeys, newValues) = (heads(1), heads(2))
                // Only what computed goes into the cache: a placeholder there would break every later call.
                try GradusError.throwIfRecorded()
                let (k, v) = try updated.append(keys: newKeys, values: newValues)
                // New token i sits at position past + i: it sees keys 0 ... past + i (a single token sees all).
                var mask = t == 1 ? nil : Tensor.full([t, past + t], value: -.infinity, dtype: k.dtype).triu(diagonal: past + 1)
                if let keyPaddingMask {
                    let m = batched ? keyPaddingMask : keyPaddingMask.unsqueeze(0)
                    try require(m.shape == [n, past + t],
                                "\(op): key padding mask \(keyPaddingMask.shape) must be [\(batched ? "\(n), " : "")\(past + t)]: the \(past) cached and \(t) new positions",
                                .shapeMismatch)
                    let padding = Functional.additiveMask(m, dtype: k.dtype).reshape([n, 1, 1, past + t])
                        .expand([n, h, 1, past + t]).reshape([n * h, 1, past + t])
                    mask = mask.map { $0 + padding } ?? padding
                }
                let (attended, _) = try Functional.attention(heads(0), k, v, mask: mask, isCausal: false, dropout: dropout,
                                                             training: isTraining, scale: nil, op: op)
                let output = outProj(attended.transpose(0, 1).reshape([t, n, embedDim]))
                return batched ? (batchFirst ? output.transpose(0, 1) : output) : output.squeeze(1)
            }
            return result
        }
        if !ErrorScope.hasFailed { cache = updated }
        return output
    }

    /// Attention from `query` to `memory` (as keys and values) for incremental decoding: the memory's key
    /// and value heads are taken from `cache` when it holds this layer's projection of this memory tensor,
    /// unchanged, and are left there otherwise — when nothing records gradients through them (under
    /// ``GradMode/noGrad(_:)``, or with parameters and memory that require none). Forward hooks run as
    /// for ``callAsFunction(query:key:value:keyPaddingMask:needWeights:attentionMask:averageAttentionWeights:isCausal:)``.
    /// What a ``TransformerDecoderLayer`` uses for its attention to the encoder's output.
    func attend(_ query: Tensor, toMemory memory: Tensor, cache: inout KeyValueCache, keyPaddingMask: Tensor?,
                attentionMask: Tensor?) -> Tensor {
        // Kept heads carry no graph: they stand for a projection only where this call records none either
        // (else the memory and the projection would miss this step's gradients).
        let recording = GradMode.isEnabled && (memory.requiresGrad || ProjectedMemory.parameters(self).contains { $0?.requiresGrad == true })
        let kept = recording ? nil : cache.memory.flatMap { $0.matches(memory, self) ? $0.heads : nil }
        let projected = ProjectedHeads(kept)
        let output = withForwardHooks(query) { hooked in
            attend(query: hooked, key: memory, value: memory, keyPaddingMask: keyPaddingMask, needWeights: false,
                   attentionMask: attentionMask, averageAttentionWeights: true, isCausal: false, projected: projected).output
        }
        if kept == nil, !ErrorScope.hasFailed {
            if let heads = projected.heads, !heads.keys.requiresGrad, !heads.values.requiresGrad {
                cache.memory = ProjectedMemory(layer: self, memory: memory, heads: heads)
            } else {
                cache.memory = nil   // nothing kept for this memory: release what was kept for another
            }
        }
        return output
    }
}
