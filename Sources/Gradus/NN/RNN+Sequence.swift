import CGradusMath

// A whole Float32 Elman RNN sequence (one layer and direction) as one recorded operation, as the
// LSTM's and GRU's (LSTM+Sequence.swift says what it saves against the graph of per-step operations):
// each thread runs the whole sequence for its own band of the batch's rows. With a recorded backward
// (`createGraph`), the gradients are computed with tensor operations, so that they can be
// differentiated again.

extension RNN {
    /// The hidden state of every step of one layer and direction, `[T, N, H]`, from the input's
    /// projections `[T, N, H]` (`x·W_ihᵀ + b_ih`), the initial state `[N, H]`, and the hidden weights
    /// `[H, H]` and bias `[H]`. With `reverse`, the steps run from the last to the first. Every tensor
    /// is Float32.
    static func sequence(projected: Tensor, h0: Tensor, weight: Tensor, bias: Tensor?, relu: Bool, reverse: Bool) -> Tensor {
        let (steps, n, h) = (projected.shape[0], projected.shape[1], weight.shape[1])
        var inputs = [projected, h0, weight]
        if let bias { inputs.append(bias) }
        let out = Tensor(uninitializedShape: [steps, n, h], dtype: .float32)
        let (pp, ph0, pw) = (projected.pointer(Float.self), h0.pointer(Float.self), weight.pointer(Float.self))
        let pb = bias.map { $0.pointer(Float.self) }
        let po = out.pointer(Float.self)
        let parts = sequenceParts(rows: n)
        let shared = UncheckedSendable((pp, ph0, pw, pb, po))
        Threading.parallelParts(n, parts: parts) { _, rows in
            let (pp, ph0, pw, pb, po) = shared.value
            let (r0, m) = (rows.lowerBound, rows.count)
            let gates = UnsafeMutablePointer<Float>.allocate(capacity: m * h)
            defer { gates.deallocate() }
            for s in 0..<steps {
                let t = reverse ? steps - 1 - s : s
                let before = reverse ? t + 1 : t - 1          // the step whose state this one reads
                // gates = b_hh + h_prev·W_hhᵀ
                if let pb {
                    for r in 0..<m { (gates + r * h).update(from: pb, count: h) }
                }
                let hPrev = UnsafePointer(s == 0 ? ph0 + r0 * h : po + (before * n + r0) * h)
                RawBLAS.gemm(m: m, n: h, k: h, hPrev, lda: h, transA: false, UnsafePointer(pw), ldb: h, transB: true,
                             beta: pb == nil ? 0 : 1, gates, ldc: h)
                gradus_rnn_cell_forward_f32(m * h, pp + (t * n + r0) * h, gates, po + (t * n + r0) * h, relu ? 1 : 0)
            }
        }
        // Backward reads only the outputs (the activations' derivatives are functions of them).
        Tensor.record("rnnSequence", output: out, inputs: inputs) { g, y in
            if GradMode.isEnabled {
                return sequenceGradients(projected: projected, h0: h0, weight: weight, bias: bias, relu: relu, reverse: reverse,
                                         gradient: g)
            }
            return sequenceBackward(gradient: g, output: y, h0: h0, weight: weight, hasBias: bias != nil, relu: relu,
                                    reverse: reverse)
        }
        return out
    }

    /// The fused backward: the gradients of the projections, h0, the hidden weights and bias.
    static func sequenceBackward(gradient g: Tensor, output y: Tensor, h0: Tensor, weight: Tensor, hasBias: Bool, relu: Bool,
                                 reverse: Bool) -> [Tensor?] {
        let (steps, n, h) = (y.shape[0], y.shape[1], weight.shape[1])
        // The gradient of each step's pre-activation: that of both projections.
        let gradProjected = Tensor(uninitializedShape: [steps, n, h], dtype: .float32)
        let gradH0 = Tensor(uninitializedShape: [n, h], dtype: .float32)
        // The hidden state each step read, [T, N, H], for the weight gradient's one product.
        let previousHidden = Tensor(uninitializedShape: [steps, n, h], dtype: .float32)
        let (py, ph0, pw) = (y.pointer(Float.self), h0.pointer(Float.self), weight.pointer(Float.self))
        let (pdp, pph) = (gradProjected.pointer(Float.self), previousHidden.pointer(Float.self))
        walkBandsBackward(steps: steps, rows: n, width: h, reverse: reverse, gradient: g.pointer(Float.self),
                          gradH0: gradH0.pointer(Float.self)) { rows, s, t, before, combined, dh in
            let (r0, m) = (rows.lowerBound, rows.count)
            let gradPre = pdp + (t * n + r0) * h
            gradus_rnn_cell_backward_f32(m * h, combined, py + (t * n + r0) * h, gradPre, relu ? 1 : 0)
            // dh_prev = gradPre·W_hh
            RawBLAS.gemm(m: m, n: h, k: h, UnsafePointer(gradPre), lda: h, transA: false, UnsafePointer(pw), ldb: h,
                         transB: false, beta: 0, dh, ldc: h)
            (pph + (t * n + r0) * h).update(from: s == 0 ? ph0 + r0 * h : py + (before * n + r0) * h, count: m * h)
        }
        // dW_hh = Σ_t gradPre_tᵀ · h_prev_t: one product over all steps and samples.
        let gradWeight = Tensor(uninitializedShape: [h, h], dtype: .float32)
        RawBLAS.parallelGemm(m: h, n: h, k: steps * n, UnsafePointer(pdp), lda: h, transA: true,
                             UnsafePointer(pph), ldb: h, transB: false, beta: 0, gradWeight.pointer(Float.self), ldc: h)
        var grads: [Tensor?] = [gradProjected, gradH0, gradWeight]
        if hasBias { grads.append(gradProjected.reshape([steps * n, h]).sum(axes: [0])) }
        return grads
    }

    /// The same gradients with tensor operations, recorded (for `createGraph`): the forward pass is
    /// recomputed step by step, then walked back.
    static func sequenceGradients(projected: Tensor, h0: Tensor, weight: Tensor, bias: Tensor?, relu: Bool, reverse: Bool,
                                  gradient g: Tensor) -> [Tensor?] {
        let steps = projected.shape[0]
        let order = reverse ? Array((0..<steps).reversed()) : Array(0..<steps)
        var outputs = [Tensor?](repeating: nil, count: steps), hiddens = outputs
        var hPrev = h0
        for t in order {
            let pre = projected.select(axis: 0, index: t) + Tensor.linear(hPrev, weight: weight, bias: bias)
            hiddens[t] = hPrev
            hPrev = relu ? pre.relu() : pre.tanh()
            outputs[t] = hPrev
        }
        var dh: Tensor? = nil
        var gradPre = [Tensor?](repeating: nil, count: steps)
        var gradWeight: Tensor? = nil
        for t in order.reversed() {
            var step = g.select(axis: 0, index: t)
            if let dh { step = step + dh }
            let y = outputs[t]!
            let pre = relu ? step.maskedWhere(y.le(0.0), 0) : step * (1 - y.square())
            gradPre[t] = pre
            let contribution = pre.transpose(0, 1).matmul(hiddens[t]!)
            gradWeight = gradWeight.map { $0 + contribution } ?? contribution
            dh = pre.matmul(weight)
        }
        let gradProjected = Tensor.stack(gradPre.map { $0! }, axis: 0)
        var grads: [Tensor?] = [gradProjected, dh, gradWeight]
        if bias != nil { grads.append(gradProjected.sum(axes: [0, 1])) }
        return grads
    }
}
