import CGradusMath

// A whole Float32 GRU sequence (one layer and direction) as one recorded operation, forward and
// backward written out, as ``LSTM``'s (LSTM+Sequence.swift, which says what it saves against the graph
// of per-step operations). Each thread runs the whole sequence for its own band of the batch's rows,
// with no synchronization between steps; the step-by-step graph split every [N, H]·[H, 3H] product
// over the threads and waited for it, and recorded a dozen small operations a step, which made two
// threads slower than one (gru_b32, docs/benchmarks.md). With a recorded backward (`createGraph`), the gradients are
// computed with tensor operations, so that they can be differentiated again.

extension GRU {
    /// The hidden state of every step of one layer and direction, `[T, N, H]`, from the input's
    /// projections `[T, N, 3H]` (`x·W_ihᵀ + b_ih`), the initial state `[N, H]`, and the hidden weights
    /// `[3H, H]` and bias `[3H]`. With `reverse`, the steps run from the last to the first. Every tensor
    /// is Float32.
    static func sequence(projected: Tensor, h0: Tensor, weight: Tensor, bias: Tensor?, reverse: Bool) -> Tensor {
        let (steps, n, h) = (projected.shape[0], projected.shape[1], weight.shape[1])
        var inputs = [projected, h0, weight]
        if let bias { inputs.append(bias) }
        // What backward reads (r, z, n and h_n of every step) is kept only when the operation is
        // recorded; inference reuses one step's room.
        let recording = GradMode.isEnabled && inputs.contains { $0.requiresGrad }
        let keptSteps = recording ? steps : 1
        let out = Tensor(uninitializedShape: [steps, n, h], dtype: .float32)
        let saved = Tensor(uninitializedShape: [keptSteps, n, 4 * h], dtype: .float32)
        let (pp, ph0, pw) = (projected.pointer(Float.self), h0.pointer(Float.self), weight.pointer(Float.self))
        let pb = bias.map { $0.pointer(Float.self) }
        let (po, ps) = (out.pointer(Float.self), saved.pointer(Float.self))
        let parts = sequenceParts(rows: n)
        let shared = UncheckedSendable((pp, ph0, pw, pb, po, ps))
        Threading.parallelParts(n, parts: parts) { _, rows in
            let (pp, ph0, pw, pb, po, ps) = shared.value
            let (r0, m) = (rows.lowerBound, rows.count)
            let gates = UnsafeMutablePointer<Float>.allocate(capacity: m * 3 * h)
            defer { gates.deallocate() }
            for s in 0..<steps {
                let t = reverse ? steps - 1 - s : s
                let before = reverse ? t + 1 : t - 1          // the step whose state this one reads
                let kept = recording ? t : 0                  // the slot of what backward reads
                // gates = b_hh + h_prev·W_hhᵀ
                if let pb {
                    for r in 0..<m { (gates + r * 3 * h).update(from: pb, count: 3 * h) }
                }
                let hPrev = UnsafePointer(s == 0 ? ph0 + r0 * h : po + (before * n + r0) * h)
                RawBLAS.gemm(m: m, n: 3 * h, k: h, hPrev, lda: h, transA: false, UnsafePointer(pw), ldb: h, transB: true,
                             beta: pb == nil ? 0 : 1, gates, ldc: 3 * h)
                gradus_gru_cell_forward_f32(m, h, pp + (t * n + r0) * 3 * h, gates, hPrev, po + (t * n + r0) * h,
                                            ps + (kept * n + r0) * 4 * h)
            }
        }
        guard recording else { return out }
        Tensor.record("gruSequence", output: out, inputs: inputs) { g, y in
            if GradMode.isEnabled {
                return sequenceGradients(projected: projected, h0: h0, weight: weight, bias: bias, reverse: reverse, gradient: g)
            }
            return sequenceBackward(gradient: g, output: y, saved: saved, h0: h0, weight: weight, hasBias: bias != nil,
                                    reverse: reverse)
        }
        return out
    }

    /// The fused backward: the gradients of the projections, h0, the hidden weights and bias.
    static func sequenceBackward(gradient g: Tensor, output y: Tensor, saved: Tensor, h0: Tensor, weight: Tensor,
                                 hasBias: Bool, reverse: Bool) -> [Tensor?] {
        let (steps, n, h) = (y.shape[0], y.shape[1], weight.shape[1])
        let gradProjected = Tensor(uninitializedShape: [steps, n, 3 * h], dtype: .float32)
        // The gradients of the hidden state's projections h·W_hhᵀ + b_hh, for the weight gradient's one
        // product and the bias's sum.
        let gradHiddenGates = Tensor(uninitializedShape: [steps, n, 3 * h], dtype: .float32)
        let gradH0 = Tensor(uninitializedShape: [n, h], dtype: .float32)
        // The hidden state each step read, [T, N, H].
        let previousHidden = Tensor(uninitializedShape: [steps, n, h], dtype: .float32)
        let (py, ps, ph0, pw) = (y.pointer(Float.self), saved.pointer(Float.self), h0.pointer(Float.self), weight.pointer(Float.self))
        let (pdp, pdg, pph) = (gradProjected.pointer(Float.self), gradHiddenGates.pointer(Float.self),
                               previousHidden.pointer(Float.self))
        walkBandsBackward(steps: steps, rows: n, width: h, reverse: reverse, gradient: g.pointer(Float.self),
                          gradH0: gradH0.pointer(Float.self)) { rows, s, t, before, combined, dh in
            let (r0, m) = (rows.lowerBound, rows.count)
            let hPrev = pph + (t * n + r0) * h
            hPrev.update(from: s == 0 ? ph0 + r0 * h : py + (before * n + r0) * h, count: m * h)
            let gradGates = pdg + (t * n + r0) * 3 * h
            gradus_gru_cell_backward_f32(m, h, combined, hPrev, ps + (t * n + r0) * 4 * h, pdp + (t * n + r0) * 3 * h,
                                         gradGates, dh)
            // dh_prev = combined·z + gradGates·W_hh
            RawBLAS.gemm(m: m, n: h, k: 3 * h, UnsafePointer(gradGates), lda: 3 * h, transA: false, UnsafePointer(pw),
                         ldb: h, transB: false, beta: 1, dh, ldc: h)
        }
        // dW_hh = Σ_t gradGates_tᵀ · h_prev_t: one product over all steps and samples.
        let gradWeight = Tensor(uninitializedShape: [3 * h, h], dtype: .float32)
        RawBLAS.parallelGemm(m: 3 * h, n: h, k: steps * n, UnsafePointer(pdg), lda: 3 * h, transA: true,
                             UnsafePointer(pph), ldb: h, transB: false, beta: 0, gradWeight.pointer(Float.self), ldc: h)
        var grads: [Tensor?] = [gradProjected, gradH0, gradWeight]
        if hasBias { grads.append(gradHiddenGates.reshape([steps * n, 3 * h]).sum(axes: [0])) }
        return grads
    }

    /// The same gradients with tensor operations, recorded (for `createGraph`): the forward pass is
    /// recomputed step by step, then walked back with ``cellGradients(projected:hiddenGates:hidden:gradient:)``.
    static func sequenceGradients(projected: Tensor, h0: Tensor, weight: Tensor, bias: Tensor?, reverse: Bool,
                                  gradient g: Tensor) -> [Tensor?] {
        let steps = projected.shape[0]
        let order = reverse ? Array((0..<steps).reversed()) : Array(0..<steps)
        var hiddenGates = [Tensor?](repeating: nil, count: steps), hiddens = hiddenGates
        var hPrev = h0
        for t in order {
            let gates = Tensor.linear(hPrev, weight: weight, bias: bias)
            (hiddenGates[t], hiddens[t]) = (gates, hPrev)
            hPrev = cell(projectedInput: projected.select(axis: 0, index: t), projectedHidden: gates, hidden: hPrev)
        }
        var dh: Tensor? = nil
        var gradProjected = [Tensor?](repeating: nil, count: steps), gradGates = gradProjected
        var gradWeight: Tensor? = nil
        for t in order.reversed() {
            var step = g.select(axis: 0, index: t)
            if let dh { step = step + dh }
            let parts = cellGradients(projected: projected.select(axis: 0, index: t), hiddenGates: hiddenGates[t]!,
                                      hidden: hiddens[t]!, gradient: step)
            (gradProjected[t], gradGates[t]) = (parts.projected, parts.hiddenGates)
            let contribution = parts.hiddenGates.transpose(0, 1).matmul(hiddens[t]!)
            gradWeight = gradWeight.map { $0 + contribution } ?? contribution
            dh = parts.hidden + parts.hiddenGates.matmul(weight)
        }
        var grads: [Tensor?] = [Tensor.stack(gradProjected.map { $0! }, axis: 0), dh, gradWeight]
        if bias != nil { grads.append(Tensor.stack(gradGates.map { $0! }, axis: 0).sum(axes: [0, 1])) }
        return grads
    }

    /// The cell's backward as tensor operations (differentiable again), from the projections `[N, 3H]`
    /// (r, z, n), the previous state `[N, H]` and the gradient of the new state: the gradients of both
    /// projections and the direct part of the previous state's (`gradient·z`; the part through W_hh is
    /// the caller's product).
    static func cellGradients(projected x: Tensor, hiddenGates p: Tensor, hidden h: Tensor, gradient g: Tensor)
        -> (projected: Tensor, hiddenGates: Tensor, hidden: Tensor) {
        let xs = x.chunk(3, axis: 1), ps = p.chunk(3, axis: 1)
        let r = (xs[0] + ps[0]).sigmoid(), z = (xs[1] + ps[1]).sigmoid()
        let candidate = (xs[2] + r * ps[2]).tanh()
        let gradN = g * (1 - z) * (1 - candidate.square())
        let gradZ = g * (h - candidate) * z * (1 - z)
        let gradR = gradN * ps[2] * r * (1 - r)
        return (Tensor.concatenate([gradR, gradZ, gradN], axis: 1), Tensor.concatenate([gradR, gradZ, gradN * r], axis: 1), g * z)
    }
}
