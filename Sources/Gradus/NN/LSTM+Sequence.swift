import CGradusMath

// A whole Float32 LSTM sequence (one layer and direction) as one recorded operation, forward and
// backward written out, as PyTorch's and oneDNN's RNN kernels do rather than a graph of per-step
// operations. What it saves against the per-step graph (measured in docs/benchmarks.md):
// - the recording, slicing and stacking of ~6 operations per step, and in backward the zero buffers and
//   strided accumulation of the per-step slices' gradients;
// - the T small weight-gradient products of backward, replaced by one [4H, T·N]·[T·N, H] product;
// - the waits of splitting every small per-step product over the threads: the samples of a batch are
//   independent, so each thread runs the whole sequence for its own band of rows, with no
//   synchronization between steps.
// When the backward pass is itself recorded (`createGraph`), the gradients are computed with tensor
// operations instead, so that they can be differentiated again.

extension LSTM {
    /// The hidden and cell states of every step of one layer and direction, `[T, N, 2H]` (h then c
    /// side by side), from the input's projections `[T, N, 4H]` (`x·W_ihᵀ + b_ih`), the initial states
    /// `[N, H]`, and the hidden weights `[4H, H]` and bias `[4H]`. With `reverse`, the steps run from
    /// the last to the first. Every tensor is Float32.
    static func sequence(projected: Tensor, h0: Tensor, c0: Tensor, weight: Tensor, bias: Tensor?, reverse: Bool) -> Tensor {
        let (steps, n, h) = (projected.shape[0], projected.shape[1], weight.shape[1])
        var inputs = [projected, h0, c0, weight]
        if let bias { inputs.append(bias) }
        // What backward reads (the gates' activations and the previous cell state of every step) is kept
        // only when the operation is recorded; inference reuses one step's room.
        let recording = GradMode.isEnabled && inputs.contains { $0.requiresGrad }
        let keptSteps = recording ? steps : 1
        let out = Tensor(uninitializedShape: [steps, n, 2 * h], dtype: .float32)
        let saved = Tensor(uninitializedShape: [keptSteps, n, 5 * h], dtype: .float32)
        let previousCells = Tensor(uninitializedShape: [keptSteps, n, h], dtype: .float32)
        let (pp, ph0, pc0, pw) = (projected.pointer(Float.self), h0.pointer(Float.self), c0.pointer(Float.self), weight.pointer(Float.self))
        let pb = bias.map { $0.pointer(Float.self) }
        let (po, ps, pcp) = (out.pointer(Float.self), saved.pointer(Float.self), previousCells.pointer(Float.self))
        let parts = sequenceParts(rows: n)
        let shared = UncheckedSendable((pp, ph0, pc0, pw, pb, po, ps, pcp))
        Threading.parallelParts(n, parts: parts) { _, rows in
            let (pp, ph0, pc0, pw, pb, po, ps, pcp) = shared.value
            let (r0, m) = (rows.lowerBound, rows.count)
            let gates = UnsafeMutablePointer<Float>.allocate(capacity: m * 4 * h)
            defer { gates.deallocate() }
            for s in 0..<steps {
                let t = reverse ? steps - 1 - s : s
                let before = reverse ? t + 1 : t - 1          // the step whose state this one reads
                let kept = recording ? t : 0                  // the slot of what backward reads
                // gates = projection + b_hh + h_prev·W_hhᵀ
                let projection = pp + (t * n + r0) * 4 * h
                for r in 0..<m {
                    let src = projection + r * 4 * h, dst = gates + r * 4 * h
                    if let pb { for j in 0..<4 * h { dst[j] = src[j] + pb[j] } } else { dst.update(from: src, count: 4 * h) }
                }
                let (hPrev, ldh): (UnsafePointer<Float>, Int) = s == 0
                    ? (UnsafePointer(ph0 + r0 * h), h) : (UnsafePointer(po + (before * n + r0) * 2 * h), 2 * h)
                RawBLAS.gemm(m: m, n: 4 * h, k: h, hPrev, lda: ldh, transA: false, UnsafePointer(pw), ldb: h, transB: true,
                             beta: 1, gates, ldc: 4 * h)
                // The cell reads the previous cell state contiguous: keep a copy for backward too.
                let cPrev = pcp + (kept * n + r0) * h
                if s == 0 {
                    cPrev.update(from: pc0 + r0 * h, count: m * h)
                } else {
                    let previous = po + (before * n + r0) * 2 * h + h
                    for r in 0..<m { (cPrev + r * h).update(from: previous + r * 2 * h, count: h) }
                }
                gradus_lstm_cell_forward_f32(m, h, gates, cPrev, po + (t * n + r0) * 2 * h, ps + (kept * n + r0) * 5 * h)
            }
        }
        guard recording else { return out }
        Tensor.record("lstmSequence", output: out, inputs: inputs) { g, y in
            if GradMode.isEnabled {
                return sequenceGradients(projected: projected, h0: h0, c0: c0, weight: weight, bias: bias, reverse: reverse,
                                         gradient: g)
            }
            return sequenceBackward(gradient: g, output: y, saved: saved, previousCells: previousCells, h0: h0,
                                    weight: weight, hasBias: bias != nil, reverse: reverse)
        }
        return out
    }

    /// The fused backward: the gradients of the projections, h0, c0, the hidden weights and bias.
    static func sequenceBackward(gradient g: Tensor, output y: Tensor, saved: Tensor, previousCells: Tensor, h0: Tensor,
                                 weight: Tensor, hasBias: Bool, reverse: Bool) -> [Tensor?] {
        let (steps, n, h) = (y.shape[0], y.shape[1], weight.shape[1])
        let gradProjected = Tensor(uninitializedShape: [steps, n, 4 * h], dtype: .float32)
        let gradH0 = Tensor(uninitializedShape: [n, h], dtype: .float32)
        let gradC0 = Tensor(uninitializedShape: [n, h], dtype: .float32)
        // The hidden state each step read, [T, N, H], for the weight gradient's one product.
        let previousHidden = Tensor(uninitializedShape: [steps, n, h], dtype: .float32)
        let (pg, py, ps, pcp, ph0, pw) = (g.pointer(Float.self), y.pointer(Float.self), saved.pointer(Float.self),
                                          previousCells.pointer(Float.self), h0.pointer(Float.self), weight.pointer(Float.self))
        let (pdp, pdh0, pdc0, pph) = (gradProjected.pointer(Float.self), gradH0.pointer(Float.self), gradC0.pointer(Float.self),
                                      previousHidden.pointer(Float.self))
        let parts = sequenceParts(rows: n)
        let shared = UncheckedSendable((pg, py, ps, pcp, ph0, pw, pdp, pdh0, pdc0, pph))
        Threading.parallelParts(n, parts: parts) { _, rows in
            let (pg, py, ps, pcp, ph0, pw, pdp, pdh0, pdc0, pph) = shared.value
            let (r0, m) = (rows.lowerBound, rows.count)
            // The gradient reaching [h, c] of a step: its own plus what the next step sends back.
            let combined = UnsafeMutablePointer<Float>.allocate(capacity: m * 2 * h)
            let dh = UnsafeMutablePointer<Float>.allocate(capacity: m * h)
            let dc = UnsafeMutablePointer<Float>.allocate(capacity: m * h)
            defer { combined.deallocate(); dh.deallocate(); dc.deallocate() }
            dh.initialize(repeating: 0, count: m * h)
            dc.initialize(repeating: 0, count: m * h)
            for s in stride(from: steps - 1, through: 0, by: -1) {
                let t = reverse ? steps - 1 - s : s
                let before = reverse ? t + 1 : t - 1
                let own = pg + (t * n + r0) * 2 * h
                for r in 0..<m {
                    let src = own + r * 2 * h, dst = combined + r * 2 * h, rh = dh + r * h, rc = dc + r * h
                    for j in 0..<h { dst[j] = src[j] + rh[j] }
                    for j in 0..<h { dst[h + j] = src[h + j] + rc[j] }
                }
                let gradGates = pdp + (t * n + r0) * 4 * h
                gradus_lstm_cell_backward_f32(m, h, combined, pcp + (t * n + r0) * h, ps + (t * n + r0) * 5 * h, gradGates, dc)
                // dh_prev = gradGates·W_hh
                RawBLAS.gemm(m: m, n: h, k: 4 * h, UnsafePointer(gradGates), lda: 4 * h, transA: false, UnsafePointer(pw), ldb: h,
                             transB: false, beta: 0, dh, ldc: h)
                let hPrev = pph + (t * n + r0) * h
                if s == 0 {
                    hPrev.update(from: ph0 + r0 * h, count: m * h)
                } else {
                    let previous = py + (before * n + r0) * 2 * h
                    for r in 0..<m { (hPrev + r * h).update(from: previous + r * 2 * h, count: h) }
                }
            }
            (pdh0 + r0 * h).update(from: dh, count: m * h)
            (pdc0 + r0 * h).update(from: dc, count: m * h)
        }
        // dW_hh = Σ_t gradGates_tᵀ · h_prev_t: one product over all steps and samples.
        let gradWeight = Tensor(uninitializedShape: [4 * h, h], dtype: .float32)
        RawBLAS.parallelGemm(m: 4 * h, n: h, k: steps * n, UnsafePointer(pdp), lda: 4 * h, transA: true,
                             UnsafePointer(pph), ldb: h, transB: false, beta: 0, gradWeight.pointer(Float.self), ldc: h)
        var grads: [Tensor?] = [gradProjected, gradH0, gradC0, gradWeight]
        if hasBias { grads.append(gradProjected.reshape([steps * n, 4 * h]).sum(axes: [0])) }
        return grads
    }

    /// The same gradients with tensor operations, recorded (for `createGraph`): the forward pass is
    /// recomputed step by step, then walked back with ``cellGradients(gates:cell:gradient:)``.
    static func sequenceGradients(projected: Tensor, h0: Tensor, c0: Tensor, weight: Tensor, bias: Tensor?, reverse: Bool,
                                  gradient g: Tensor) -> [Tensor?] {
        let steps = projected.shape[0]
        let order = reverse ? Array((0..<steps).reversed()) : Array(0..<steps)
        var gates = [Tensor?](repeating: nil, count: steps), cells = gates, hiddens = gates
        var hPrev = h0, cPrev = c0
        for t in order {
            let pre = projected.select(axis: 0, index: t) + Tensor.linear(hPrev, weight: weight, bias: bias)
            let p = pre.chunk(4, axis: 1)
            let c = p[1].sigmoid() * cPrev + p[0].sigmoid() * p[2].tanh()
            (gates[t], cells[t], hiddens[t]) = (pre, cPrev, hPrev)
            hPrev = p[3].sigmoid() * c.tanh()
            cPrev = c
        }
        var dh: Tensor? = nil, dc: Tensor? = nil
        var gradGates = [Tensor?](repeating: nil, count: steps)
        var gradWeight: Tensor? = nil
        for t in order.reversed() {
            var step = g.select(axis: 0, index: t)
            if let dh, let dc { step = step + Tensor.concatenate([dh, dc], axis: 1) }
            let parts = cellGradients(gates: gates[t]!, cell: cells[t]!, gradient: step)
            let gg = parts[0]!
            gradGates[t] = gg
            let contribution = gg.transpose(0, 1).matmul(hiddens[t]!)
            gradWeight = gradWeight.map { $0 + contribution } ?? contribution
            dh = gg.matmul(weight)
            dc = parts[1]
        }
        let gradProjected = Tensor.stack(gradGates.map { $0! }, axis: 0)
        var grads: [Tensor?] = [gradProjected, dh, dc, gradWeight]
        if bias != nil { grads.append(gradProjected.sum(axes: [0, 1])) }
        return grads
    }
}
