// The affine map of a fully connected layer as one fused primitive: y = x·Wᵀ + b computed by one
// product that adds the bias (oneDNN's matmul with a bias row; with OpenBLAS, or below oneDNN's size, a
// product that adds into rows pre-filled with the bias), with its own backward rule.

extension Tensor {
    /// x·Wᵀ + b over the last dimension of `input`, like `torch.nn.functional.linear`.
    ///
    /// - Parameters:
    ///   - input: `[..., inFeatures]`.
    ///   - weight: `[outFeatures, inFeatures]`.
    ///   - bias: `[outFeatures]`, or nil for none.
    /// - Returns: `[..., outFeatures]`.
    ///
    /// ```swift
    /// let y = Tensor.linear(x, weight: w, bias: b)
    /// ```
    public static func linear(_ input: Tensor, weight: Tensor, bias: Tensor?) -> Tensor {
        checked {
            try require(weight.rank == 2 && input.rank >= 1 && input.shape[input.rank - 1] == weight.shape[1],
                         "linear: input shape \(input.shape) does not match weight shape \(weight.shape) (expects [..., \(weight.shape.count == 2 ? weight.shape[1] : -1)])", .shapeMismatch)
            try require(input.dtype == weight.dtype, "linear: input dtype \(input.dtype) differs from weight dtype \(weight.dtype)", .dtypeMismatch)
            let outFeatures = weight.shape[0], inFeatures = weight.shape[1]
            if input.dtype == .int64 {
                // Integer layers (PyTorch computes them exactly): the integer product, then the bias.
                // Rows flattened to one matrix (a batched product would copy the weight for each batch row).
                let rows = input.reshape([input.shape.dropLast().reduce(1, *), inFeatures])   // not -1: inFeatures may be 0
                let product = rows.matmul(weight.transpose(0, 1)).reshape(Array(input.shape.dropLast()) + [outFeatures])
                guard let bias else { return product }
                try require(bias.shape == [outFeatures] && bias.dtype == .int64,
                            "linear: bias shape \(bias.shape) (\(bias.dtype)) must be [\(outFeatures)] (int64) for weight shape \(weight.shape)",
                            .shapeMismatch)
                return product + bias
            }
            // Strided inputs are copied once, recorded, so that backward reshapes the copy for free.
            let input = input.isContiguous ? input : input.contiguous()
            let weight = weight.isBLASReadable ? weight : weight.contiguous()
            guard let requestedBias = bias else {
                return input.rank == 1
                    ? try matmulCore(input.unsqueeze(0), weight, transA: false, transB: true).squeeze(0)
                    : try matmulCore(input, weight, transA: false, transB: true)
            }
            try require(requestedBias.shape == [outFeatures] && requestedBias.dtype == weight.dtype,
                         "linear: bias shape \(requestedBias.shape) must be [\(outFeatures)] for weight shape \(weight.shape)", .shapeMismatch)
            // The kernels read the bias as `outFeatures` contiguous values: a strided view is copied (recorded).
            let bias = requestedBias.isContiguous ? requestedBias : requestedBias.contiguous()
            let rows = input.shape.dropLast().reduce(1, *)   // not count / inFeatures, which is 0 when inFeatures is
            // Checked: rows × outFeatures can be far more than both inputs hold ([2^20, 1] by [2^20, 1]).
            let out = try Tensor(checkedShape: Array(input.shape.dropLast()) + [outFeatures], dtype: input.dtype, op: "linear")
            // A weight that is a transposed view goes to BLAS as it is stored, with the flag flipped.
            let (w, wTransposed) = weight.blasOperand(transposed: true)
            if let pair = roundedPair(input, w, m: rows, n: outFeatures, k: inFeatures, rounding: nil) {
                // In bfloat16, oneDNN's product adds the bias itself (writing bias rows first for the
                // product to read back cost more than a third of its time).
                gemm(input, 0, w, 0, out, 0, m: rows, n: outFeatures, k: inFeatures, transA: false, transB: wTransposed,
                     rounded: pair, bias: bias)
            } else if input.dtype == .float32,
                      OneDNNProduct.gemmWithBias(m: rows, n: outFeatures, k: inFeatures, input.pointer(Float.self), lda: inFeatures,
                                                 w.pointer(Float.self), ldb: wTransposed ? inFeatures : outFeatures, transB: wTransposed,
                                                 bias: bias.pointer(Float.self), out.pointer(Float.self)) {
                // Float32 on oneDNN: its product adds the bias too.
            } else {
                // The bias in every row (the product then adds to it), over the threads when large.
                let rowBytes = outFeatures * input.dtype.byteSize
                let (biasValues, destination) = (UncheckedSendable(bias.rawPointer), UncheckedSendable(out.rawPointer))
                Threading.parallelFor(rows, grain: Swift.max(1, Threading.elementwiseSplitGrain / Swift.max(outFeatures, 1))) { r in
                    for row in r { (destination.value + row * rowBytes).copyMemory(from: biasValues.value, byteCount: rowBytes) }
                }
                gemm(input, 0, w, 0, out, 0, m: rows, n: outFeatures, k: inFeatures, transA: false, transB: wTransposed, beta: 1)
            }
            record("linear", output: out, inputs: [input, weight, bias]) { g, _ in
                let g2 = g.reshape([rows, outFeatures])
                let x2 = input.reshape([rows, inFeatures])
                // In bfloat16, both gradient products read one rounded copy of g; when one of them will,
                // the bias gradient is summed in the same pass over g (not recorded: createGraph sums;
                // one output is a row sum, added in another order).
                let r = BFloat16Product.enabled ? BFloat16Copies() : nil
                var biasGradient: Tensor? = nil
                if bias.requiresGrad, let r, !GradMode.isEnabled, outFeatures > 1, g2.dtype == .float32, g2.isContiguous,
                   input.requiresGrad && BFloat16Product.applies(m: rows, n: inFeatures, k: outFeatures, beta: 0)
                    || weight.requiresGrad && BFloat16Product.applies(m: outFeatures, n: inFeatures, k: rows, beta: 0) {
                    biasGradient = r.columnSums(rounding: g2)
                }
                return [
                    input.requiresGrad ? try matmulCore(g2, weight, transA: false, transB: false, rounding: r).reshape(input.shape) : nil,
                    weight.requiresGrad ? try matmulCore(g2, x2, transA: true, transB: false, rounding: r) : nil,
                    bias.requiresGrad ? biasGradient ?? g2.sum(axes: [0]) : nil,
                ]
            }
            return out
        }
    }
}
