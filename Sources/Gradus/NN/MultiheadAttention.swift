/// Multi-head attention (PyTorch's `nn.MultiheadAttention`): queries, keys and values are projected,
/// split into `numHeads` heads of `embedDim / numHeads` features, attended per head
/// (`softmax(q·kᵀ/√d + mask)·v`), joined and projected again.
///
/// Parameters, with PyTorch's names: `in_proj_weight` `[3·embedDim, embedDim]` (the query, key and value
/// projections stacked), `in_proj_bias` `[3·embedDim]`, and `out_proj` (a ``Linear``). Sequences are
/// `[L, N, embedDim]` (`[N, L, embedDim]` with `batchFirst`), or `[L, embedDim]` for one sequence.
/// Keys and values of other widths (`kdim`, `vdim`: attending from one modality to another) have their
/// own projections instead of the stacked one, `q_proj_weight` `[embedDim, embedDim]`, `k_proj_weight`
/// `[embedDim, kdim]` and `v_proj_weight` `[embedDim, vdim]`, as in PyTorch.
///
/// Masks: a floating-point mask is added to the scores (`-inf` forbids); an int64 mask forbids the
/// positions where it is nonzero (PyTorch's boolean masks, `True` = not allowed).
///
/// ```swift
/// let attention = MultiheadAttention(embedDim: 16, numHeads: 4, batchFirst: true)
/// let (y, weights) = attention(query: x, key: x, value: x)   // y [N, L, 16], weights [N, L, L]
/// let z = attention(x)                                        // self-attention, output only
///
/// let cross = MultiheadAttention(embedDim: 16, numHeads: 4, kdim: 32, vdim: 32, batchFirst: true)
/// let (fused, _) = cross(query: text, key: image, value: image)   // text [N, L, 16], image [N, S, 32]
/// ```
public final class MultiheadAttention: Module, Layer {
    /// Features of each position (the model's width).
    public let embedDim: Int
    /// Heads; each attends over `embedDim / numHeads` features.
    public let numHeads: Int
    /// The dropout probability on the attention weights, in training mode.
    public let dropout: Double
    /// Whether sequences are `[N, L, embedDim]` rather than `[L, N, embedDim]`.
    public let batchFirst: Bool
    /// Features of each key position (`embedDim` unless given).
    public let kdim: Int
    /// Features of each value position (`embedDim` unless given).
    public let vdim: Int
    /// The stacked query, key and value projections, `[3·embedDim, embedDim]` (`in_proj_weight`); nil
    /// when keys or values have another width than `embedDim` (see ``qProjWeight``).
    @Parameter public var inProjWeight: Tensor?
    /// The query projection `[embedDim, embedDim]` (`q_proj_weight`) when keys or values have another
    /// width, else nil (it is part of ``inProjWeight``).
    @Parameter public var qProjWeight: Tensor?
    /// The key projection `[embedDim, kdim]` (`k_proj_weight`) when keys or values have another width.
    @Parameter public var kProjWeight: Tensor?
    /// The value projection `[embedDim, vdim]` (`v_proj_weight`) when keys or values have another width.
    @Parameter public var vProjWeight: Tensor?
    /// Their biases, `[3·embedDim]` (`in_proj_bias`), or nil.
    @Parameter public var inProjBias: Tensor?
    /// The output projection (`out_proj`).
    public let outProj: Linear

    /// Features per head.
    public var headDim: Int { embedDim / numHeads }

    /// Whether the query, key and value projections are stacked in ``inProjWeight`` (keys and values of
    /// width `embedDim`).
    public var hasPackedProjections: Bool { _inProjWeight.storedValue != nil }   // never computes a parametrized value

    /// The query, key and value projection weights, from the stacked weight or the separate ones; an
    /// error when they were set to nil.
    func projectionWeights(op: String) throws -> (query: Tensor, key: Tensor, value: Tensor) {
        if let inProjWeight {
            let parts = inProjWeight.chunk(3, axis: 0)
            return (parts[0], parts[1], parts[2])
        }
        guard let qProjWeight, let kProjWeight, let vProjWeight else {
            throw GradusError(.invalidArgument, "\(op): the projection weights were set to nil; give inProjWeight, or qProjWeight, kProjWeight and vProjWeight", op: op)
        }
        return (qProjWeight, kProjWeight, vProjWeight)
    }

    /// The parameters' element type.
    var weightDType: DType { outProj.weightDType }

    /// An attention layer with PyTorch's initialization (Xavier-uniform input projections, zero biases,
    /// ``Linear``'s default for the output projection) drawn from `generator`.
    ///
    /// - Parameters:
    ///   - embedDim: features of each position; divisible by `numHeads`.
    ///   - numHeads: parallel attention heads.
    ///   - dropout: dropout on the attention weights in training mode.
    ///   - bias: whether the projections have biases.
    ///   - kdim: features of each key position (nil: `embedDim`).
    ///   - vdim: features of each value position (nil: `embedDim`).
    ///   - batchFirst: sequences as `[N, L, embedDim]`.
    ///   - dtype: the parameters' element type.
    ///   - generator: the source of randomness.
    ///
    /// ```swift
    /// var rng = SeededGenerator(seed: 0)
    /// let attention = MultiheadAttention(embedDim: 8, numHeads: 2, generator: &rng)
    /// let cross = MultiheadAttention(embedDim: 8, numHeads: 2, kdim: 5, vdim: 3, generator: &rng)
    /// ```
    public init(embedDim: Int, numHeads: Int, dropout: Double = 0, bias: Bool = true, kdim: Int? = nil, vdim: Int? = nil,
                batchFirst: Bool = false, dtype: DType = .float32, generator: inout SeededGenerator) {
        var embedDim = embedDim, numHeads = numHeads, dropout = dropout
        if !validSetting(embedDim >= 1 && embedDim <= Int(Int32.max) && numHeads >= 1 && embedDim % numHeads == 0,
                         "MultiheadAttention: embedDim \(embedDim) must be positive, at most \(Int32.max), and divisible by numHeads \(numHeads)") {
            // One head keeps a valid width, so the layer still fits the block around it.
            (embedDim, numHeads) = embedDim >= 1 && embedDim <= Int(Int32.max) ? (embedDim, 1) : (1, 1)
        }
        // Widths given are checked; the default is embedDim as checked above.
        var kdim = kdim ?? embedDim, vdim = vdim ?? embedDim
        for (name, width) in [("kdim", kdim), ("vdim", vdim)]
        where !validSetting(width >= 1 && width <= Int(Int32.max), "MultiheadAttention: \(name) \(width) must be positive and at most \(Int32.max)") {
            if name == "kdim" { kdim = embedDim } else { vdim = embedDim }
        }
        if !validSetting(dropout >= 0 && dropout <= 1, "MultiheadAttention: dropout must be in [0, 1], got \(dropout)") { dropout = 0 }
        self.embedDim = embedDim
        self.numHeads = numHeads
        self.dropout = dropout
        self.batchFirst = batchFirst
        self.kdim = kdim
        self.vdim = vdim
        func projection(_ rows: Int, _ columns: Int) -> Tensor {
            let w = Tensor.zeros([rows, columns], dtype: dtype)
            Init.xavierUniform(w, generator: &generator)
            return w.requiringGrad()
        }
        if kdim == embedDim && vdim == embedDim {
            inProjWeight = projection(3 * embedDim, embedDim)
        } else {
            // PyTorch's order: query, key, value, each Xavier-uniform on its own shape.
            qProjWeight = projection(embedDim, embedDim)
            kProjWeight = projection(embedDim, kdim)
            vProjWeight = projection(embedDim, vdim)
        }
        inProjBias = bias ? Tensor.zeros([3 * embedDim], dtype: dtype).requiringGrad() : nil
        outProj = Linear(embedDim, embedDim, bias: bias, dtype: dtype, generator: &generator)
        // zeros of the bias's own shape: a width too large for memory leaves a stand-in bias of another shape.
        if let b = outProj.bias { unfailing { try GradMode.noGrad { try b.copyValues(from: Tensor.zeros(b.shape, dtype: b.dtype)) } } }
        super.init()
    }

    /// An attention layer initialized from the default generator (``Random``).
    ///
    /// ```swift
    /// let attention = MultiheadAttention(embedDim: 8, numHeads: 2)
    /// ```
    public convenience init(embedDim: Int, numHeads: Int, dropout: Double = 0, bias: Bool = true, kdim: Int? = nil,
                            vdim: Int? = nil, batchFirst: Bool = false, dtype: DType = .float32) {
        var g = splitDefaultGenerator()
        self.init(embedDim: embedDim, numHeads: numHeads, dropout: dropout, bias: bias, kdim: kdim, vdim: vdim,
                  batchFirst: batchFirst, dtype: dtype, generator: &g)
    }

    /// PyTorch's names: in_proj_weight (or q_proj_weight, k_proj_weight, v_proj_weight), in_proj_bias,
    /// then out_proj's.
    /// The stored tensors are read, never parametrized values (which discovery must not compute); the
    /// parametrized ones are replaced by their originals afterwards (``Module/members()``).
    override func discoverMembers() -> Members {
        var found = Members()
        if let inProjWeight = _inProjWeight.storedValue {
            found.parameters.append(("in_proj_weight", inProjWeight))
        } else if let qProjWeight = _qProjWeight.storedValue, let kProjWeight = _kProjWeight.storedValue,
                  let vProjWeight = _vProjWeight.storedValue {
            found.parameters += [("q_proj_weight", qProjWeight), ("k_proj_weight", kProjWeight), ("v_proj_weight", vProjWeight)]
        }
        if let inProjBias = _inProjBias.storedValue { found.parameters.append(("in_proj_bias", inProjBias)) }
        found.children.append(("out_proj", outProj))
        return found
    }

    /// Attends from `query` to `key`/`value`.
    ///
    /// - Parameters:
    ///   - query: `[L, N, embedDim]` (`[N, L, embedDim]` with `batchFirst`) or `[L, embedDim]`.
    ///   - key: `[S, N, kdim]` (likewise).
    ///   - value: `[S, N, vdim]` (likewise).
    ///   - keyPaddingMask: `[N, S]` (`[S]` for one sequence): key positions to ignore (int64 nonzero), or
    ///     values added to their scores (floating point).
    ///   - needWeights: whether to return the attention weights.
    ///   - attentionMask: `[L, S]` or `[N·numHeads, L, S]`, forbidding (int64 nonzero) or adding to scores.
    ///   - averageAttentionWeights: average the returned weights over heads (`[N, L, S]`) rather than
    ///     returning each head's (`[N, numHeads, L, S]`).
    ///   - isCausal: forbid each query position from attending to later key positions (the mask of
    ///     ``Tensor/causalMask(_:dtype:)``), without building the mask. With `attentionMask` it is
    ///     PyTorch's hint that the mask is causal, and the mask is used.
    /// - Returns: the output, shaped like `query`, and the weights when `needWeights` (without `N`
    ///   for one sequence).
    public func callAsFunction(query: Tensor, key: Tensor, value: Tensor, keyPaddingMask: Tensor? = nil,
                               needWeights: Bool = true, attentionMask: Tensor? = nil,
                               averageAttentionWeights: Bool = true, isCausal: Bool = false) -> (output: Tensor, weights: Tensor?) {
        // Forward hooks see the query and the output; a pre-hook's new query of self-attention (query,
        // key and value one tensor) is the new key and value too.
        let selfAttending = query === key && key === value
        return withForwardHooks(query, { hooked in
            attend(query: hooked, key: selfAttending ? hooked : key, value: selfAttending ? hooked : value,
                   keyPaddingMask: keyPaddingMask, needWeights: needWeights, attentionMask: attentionMask,
                   averageAttentionWeights: averageAttentionWeights, isCausal: isCausal)
        }, output: { $0.output }, replacingOutput: { (output: $1, weights: $0.weights) })
    }

    /// The attention itself, hooks aside. `projected`, when given, carries the key and value heads
    /// (`[N·H, S, d]`) between calls on the same key and value tensors: heads found in it are used instead
    /// of projecting `key` and `value` again (their checks still run), and the heads computed are left in it.
    func attend(query: Tensor, key: Tensor, value: Tensor, keyPaddingMask: Tensor?, needWeights: Bool,
                attentionMask: Tensor?, averageAttentionWeights: Bool, isCausal: Bool,
                projected: ProjectedHeads? = nil) -> (output: Tensor, weights: Tensor?) {
        checked(or: (output: Tensor.placeholder(), weights: nil)) {
            let op = "MultiheadAttention"
            try require(query.rank == key.rank && key.rank == value.rank && (query.rank == 2 || query.rank == 3),
                    "\(op): query \(query.shape), key \(key.shape) and value \(value.shape) must all be [L, N, E] or all [L, E]", .shapeMismatch)
            let batched = query.rank == 3
            // Work in the input's own layout, [A, B, E] with (A, B) = (N, L) batch first (one sequence
            // counts as a batch of one) or (L, N) time major: linear layers act on the last dimension, and
            // the heads are split out (and merged back) by one permuting copy either way. (Transposing to
            // time major first made every projection copy its input, and the output a strided view.)
            let batchLeading = !batched || batchFirst
            func leading(_ t: Tensor) -> Tensor { batched ? t : t.unsqueeze(0) }
            let (q0, k0, v0) = (leading(query), leading(key), leading(value))
            func lengthAndBatch(_ t: Tensor) -> (Int, Int) { batchLeading ? (t.shape[1], t.shape[0]) : (t.shape[0], t.shape[1]) }
            let ((l, n), (s, nk), (sv, nv)) = (lengthAndBatch(q0), lengthAndBatch(k0), lengthAndBatch(v0))
            try require(q0.shape[2] == embedDim && k0.shape[2] == kdim && v0.shape[2] == vdim,
                    kdim == embedDim && vdim == embedDim
                        ? "\(op): query \(query.shape), key \(key.shape) and value \(value.shape) must end with embedDim \(embedDim)"
                        : "\(op): query \(query.shape), key \(key.shape) and value \(value.shape) must end with embedDim \(embedDim), kdim \(kdim) and vdim \(vdim)",
                    .shapeMismatch)
            try require(nk == n && nv == n && sv == s,
                    "\(op): key \(key.shape) and value \(value.shape) do not match query \(query.shape)", .shapeMismatch)
            let dtype = weightDType
            try require(query.dtype == dtype && key.dtype == dtype && value.dtype == dtype,
                    "\(op): query, key and value are \(query.dtype), \(key.dtype), \(value.dtype) but the weights are \(dtype)",
                    .dtypeMismatch)
            let (h, d) = (numHeads, headDim)
            // Projected rows [A, B, parts·E] -> [parts, N·H, length, d], contiguous.
            func heads(_ x: Tensor, parts: Int, length: Int) -> Tensor {
                guard x.rank == 3 else { return x }   // a failed projection's placeholder, passed on
                return x.reshape([x.shape[0], x.shape[1], parts, h, d]).permute(batchLeading ? [2, 0, 3, 1, 4] : [2, 1, 3, 0, 4])
                    .contiguous().reshape([parts, n * h, length, d])
            }
            let q: Tensor, k: Tensor, v: Tensor
            if query === key && key === value, let inProjWeight {
                // Self-attention: one product with the packed in_proj weight (as PyTorch does), one copy.
                let qkv = heads(Tensor.linear(q0, weight: inProjWeight, bias: inProjBias), parts: 3, length: l)
                (q, k, v) = (qkv[0], qkv[1], qkv[2])
            } else {
                let w = try projectionWeights(op: op), weights = [w.query, w.key, w.value], biases = inProjBias?.chunk(3, axis: 0)
                func project(_ x: Tensor, _ i: Int, _ length: Int) -> Tensor {
                    heads(Tensor.linear(x, weight: weights[i], bias: biases?[i]), parts: 1, length: length)[0]
                }
                q = project(q0, 0, l)
                if let kept = projected?.heads, kept.keys.shape == [n * h, s, d] {
                    (k, v) = kept
                } else {
                    (k, v) = (project(k0, 1, s), project(v0, 2, s))
                    projected?.heads = (k, v)
                }
            }
            try GradusError.throwIfRecorded()   // a failed projection: stop before its placeholder is read
            var mask: Tensor? = nil
            // With a mask, isCausal is PyTorch's hint that the mask is causal: the mask is what counts.
            let isCausal = isCausal && attentionMask == nil
            if let attentionMask {
                try require(attentionMask.shape == [l, s] || attentionMask.shape == [n * h, l, s],
                        "\(op): attention mask \(attentionMask.shape) must be [\(l), \(s)] or [\(n * h), \(l), \(s)]", .shapeMismatch)
                mask = Functional.additiveMask(attentionMask, dtype: q.dtype)
            }
            if let keyPaddingMask {
                let m = batched ? keyPaddingMask : keyPaddingMask.unsqueeze(0)
                try require(m.shape == [n, s], "\(op): key padding mask \(keyPaddingMask.shape) must be [\(batched ? "\(n), " : "")\(s)]", .shapeMismatch)
                let padding = Functional.additiveMask(m, dtype: q.dtype).reshape([n, 1, 1, s])
                    .expand([n, h, 1, s]).reshape([n * h, 1, s])
                mask = mask.map { $0 + padding } ?? padding
            }
            let (attended, attention) = try Functional.attention(q, k, v, mask: mask, isCausal: isCausal, dropout: dropout,
                                                             training: isTraining, scale: nil, op: op)
            // [N·H, L, d] -> [A, B, E] in the input's layout, then the output projection.
            let merged = attended.reshape([n, h, l, d]).permute(batchLeading ? [0, 2, 1, 3] : [2, 0, 1, 3])
                .reshape([q0.shape[0], q0.shape[1], embedDim])
            var output = outProj(merged)
            if !batched { output = output.squeeze(0) }
            guard needWeights else { return (output, nil) }
            var w = attention.reshape([n, h, l, s])
            if averageAttentionWeights { w = w.mean(axes: [1]) }
            return (output, batched ? w : w.squeeze(0))
        }
    }

    /// Self-attention of `input` (query, key and value alike), output only.
    public func callAsFunction(_ input: Tensor) -> Tensor {
        self(query: input, key: input, value: input, needWeights: false).output
    }

    /// The configuration shown by ``Module/description``.
    public override var extraDescription: String {
        var s = "embedDim: \(embedDim), numHeads: \(numHeads)"
        if dropout != 0 { s += ", dropout: \(dropout)" }
        if inProjBias == nil { s += ", bias: false" }
        if kdim != embedDim { s += ", kdim: \(kdim)" }
        if vdim != embedDim { s += ", vdim: \(vdim)" }
        if batchFirst { s += ", batchFirst: true" }
        return s
    }
}
