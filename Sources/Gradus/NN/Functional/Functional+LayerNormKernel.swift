import CGradusMath

// Layer normalization as one recorded operation (the path `Functional.layerNorm` takes for float32 and
// float64 with parameters of the input's dtype): the forward pass normalizes each row of the
// normalized size in one go and keeps each row's mean and 1/√(σ² + ε); the backward pass writes the input
// gradient row by row and sums the weight and bias gradients over the rows (in Float64, in chunks of a
// fixed number of rows, so that the bits do not depend on the thread count). The
// loops are in CGradusMath (gradus_layernorm.h); rows are split over threads. Composed of tensor
// operations it was 9 recorded whole-tensor passes forward and some 15 backward (about 9% of
// transformer_l128's training step).
//
// With `createGraph` the backward rule is written with tensor operations (recomputing the statistics
// from the input), so that gradients of gradients stay exact.

/// The element types that the layer-normalization loops of CGradusMath are compiled for.
protocol LayerNormElement: TensorFloat {
    static func lnForward(_ x: UnsafePointer<Self>, _ gamma: UnsafePointer<Self>?, _ beta: UnsafePointer<Self>?, rows: Int, n: Int,
                          eps: Double, _ y: UnsafeMutablePointer<Self>, _ mean: UnsafeMutablePointer<Self>, _ rstd: UnsafeMutablePointer<Self>)
    static func lnBackward(_ dy: UnsafePointer<Self>, _ x: UnsafePointer<Self>, _ mean: UnsafePointer<Self>, _ rstd: UnsafePointer<Self>,
                           _ gamma: UnsafePointer<Self>?, rows: Int, n: Int, _ dx: UnsafeMutablePointer<Self>?,
                           _ dgamma: UnsafeMutablePointer<Double>?, _ dbeta: UnsafeMutablePointer<Double>?)
}

extension Float: LayerNormElement {
    static func lnForward(_ x: UnsafePointer<Float>, _ gamma: UnsafePointer<Float>?, _ beta: UnsafePointer<Float>?, rows: Int, n: Int,
                          eps: Double, _ y: UnsafeMutablePointer<Float>, _ mean: UnsafeMutablePointer<Float>, _ rstd: UnsafeMutablePointer<Float>) {
        gradus_layernorm_forward_f32(x, gamma, beta, rows, n, eps, y, mean, rstd)
    }
    static func lnBackward(_ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ mean: UnsafePointer<Float>, _ rstd: UnsafePointer<Float>,
                           _ gamma: UnsafePointer<Float>?, rows: Int, n: Int, _ dx: UnsafeMutablePointer<Float>?,
                           _ dgamma: UnsafeMutablePointer<Double>?, _ dbeta: UnsafeMutablePointer<Double>?) {
        gradus_layernorm_backward_f32(dy, x, mean, rstd, gamma, rows, n, dx, dgamma, dbeta)
    }
}

extension Double: LayerNormElement {
    static func lnForward(_ x: UnsafePointer<Double>, _ gamma: UnsafePointer<Double>?, _ beta: UnsafePointer<Double>?, rows: Int, n: Int,
                          eps: Double, _ y: UnsafeMutablePointer<Double>, _ mean: UnsafeMutablePointer<Double>, _ rstd: UnsafeMutablePointer<Double>) {
        gradus_layernorm_forward_f64(x, gamma, beta, rows, n, eps, y, mean, rstd)
    }
    static func lnBackward(_ dy: UnsafePointer<Double>, _ x: UnsafePointer<Double>, _ mean: UnsafePointer<Double>, _ rstd: UnsafePointer<Double>,
                           _ gamma: UnsafePointer<Double>?, rows: Int, n: Int, _ dx: UnsafeMutablePointer<Double>?,
                           _ dgamma: UnsafeMutablePointer<Double>?, _ dbeta: UnsafeMutablePointer<Double>?) {
        gradus_layernorm_backward_f64(dy, x, mean, rstd, gamma, rows, n, dx, dgamma, dbeta)
    }
}

extension Functional {
    /// Elements from which the layer-normalization loops are split over threads (by rows): each element
    /// is read twice from L1 and written once forward, some 20-40 µs per 64K elements.
    static let layerNormGrain = 1 << 16

    /// The number of parts `rows` rows of `n` elements are split into.
    private static func layerNormParts(rows: Int, n: Int) -> Int {
        Swift.max(1, Swift.min(Threading.count, rows, rows &* n / layerNormGrain))
    }

    /// Layer normalization over the last `normalizedRank` dimensions as one recorded operation, or nil
    /// when the composed tensor operations must run instead: a dtype other than float32/float64, a weight
    /// or bias of another dtype (the composed operations promote), or a normalized shape without elements.
    /// The caller has checked the shapes.
    static func fusedLayerNorm(_ input: Tensor, normalizedRank: Int, weight: Tensor?, bias: Tensor?,
                               eps: Double) -> Tensor? {
        let dtype = input.dtype
        let n = input.shape.suffix(normalizedRank).reduce(1, *)
        guard dtype == .float32 || dtype == .float64, n > 0 else { return nil }
        for t in [weight, bias] { if let t, t.dtype != dtype { return nil } }
        let rows = input.count / n
        let out = Tensor(uninitializedShape: input.shape, dtype: dtype)
        // Per row: the mean and 1/√(σ² + ε), in the element type (as PyTorch keeps them).
        let statistics = Tensor(uninitializedShape: [2, rows], dtype: dtype)
        func forward<T: LayerNormElement>(_: T.Type) {
            let x = UncheckedSendable(UnsafePointer(input.pointer(T.self))), y = UncheckedSendable(out.pointer(T.self))
            let gamma = UncheckedSendable(weight.map { UnsafePointer($0.pointer(T.self)) })
            let beta = UncheckedSendable(bias.map { UnsafePointer($0.pointer(T.self)) })
            let stats = UncheckedSendable(statistics.pointer(T.self))
            Threading.parallelParts(rows, parts: layerNormParts(rows: rows, n: n)) { _, range in
                let start = range.lowerBound
                T.lnForward(x.value + start &* n, gamma.value, beta.value, rows: range.count, n: n, eps: eps,
                            y.value + start &* n, stats.value + start, stats.value + rows + start)
            }
        }
        if rows > 0 {
            if dtype == .float32 { forward(Float.self) } else { forward(Double.self) }
        }
        var inputs = [input]
        if let weight { inputs.append(weight) }
        if let bias { inputs.append(bias) }
        Tensor.record("layerNorm", output: out, inputs: inputs) { g, _ in
            // Recording the backward (createGraph), or a gradient of another dtype: tensor operations.
            if GradMode.isEnabled || g.dtype != dtype || g.shape != input.shape {
                return layerNormBackwardRecorded(g, input: input, normalizedRank: normalizedRank, weight: weight, bias: bias, eps: eps)
            }
            let needs = (input: input.requiresGrad, weight: weight?.requiresGrad ?? false, bias: bias?.requiresGrad ?? false)
            let grads = dtype == .float32
                ? layerNormBackward(Float.self, g, input, statistics, rows: rows, n: n, normalizedRank: normalizedRank,
                                    weight: weight, needs)
                : layerNormBackward(Double.self, g, input, statistics, rows: rows, n: n, normalizedRank: normalizedRank,
                                    weight: weight, needs)
            var result: [Tensor?] = [grads.input]
            if weight != nil { result.append(grads.weight) }
            if bias != nil { result.append(grads.bias) }
            return result
        }
        return out
    }

    /// The backward kernel: dx row by row; dγ = Σ dy·x̂ and dβ = Σ dy over the rows, in Float64: each
    /// chunk of rows (a fixed size, ``layerNormGrain`` elements) sums its own, the threads taking whole
    /// chunks, and the chunks' sums are added in order — so the gradients do not depend on the thread
    /// count (a command's `--threads` changes it process-wide; training must not change with it).
    private static func layerNormBackward<T: LayerNormElement>(
        _: T.Type, _ g: Tensor, _ input: Tensor, _ statistics: Tensor, rows: Int, n: Int, normalizedRank: Int, weight: Tensor?,
        _ needs: (input: Bool, weight: Bool, bias: Bool)
    ) -> (input: Tensor?, weight: Tensor?, bias: Tensor?) {
        let dx = needs.input ? Tensor(uninitializedShape: input.shape, dtype: input.dtype) : nil
        let chunkRows = Swift.max(1, layerNormGrain / n), chunks = (rows + chunkRows - 1) / chunkRows
        let parts = layerNormParts(rows: rows, n: n)
        // Chunk c's weight and bias gradients at c·2n and c·2n + n.
        var sums = [Double](repeating: 0, count: needs.weight || needs.bias ? chunks * 2 * n : 0)
        let dy = UncheckedSendable(UnsafePointer(g.pointer(T.self))), x = UncheckedSendable(UnsafePointer(input.pointer(T.self)))
        let stats = UncheckedSendable(UnsafePointer(statistics.pointer(T.self)))
        let gamma = UncheckedSendable(weight.map { UnsafePointer($0.pointer(T.self)) })
        let out = UncheckedSendable(dx?.pointer(T.self))
        sums.withUnsafeMutableBufferPointer { buffer in
            let partials = UncheckedSendable(buffer.baseAddress)
            Threading.parallelParts(chunks, parts: Swift.min(parts, chunks)) { _, chunkRange in
                for chunk in chunkRange {
                    let start = chunk * chunkRows, count = Swift.min(chunkRows, rows - start)
                    let own = partials.value.map { $0 + chunk &* 2 &* n }
                    T.lnBackward(dy.value + start &* n, x.value + start &* n, stats.value + start, stats.value + rows + start,
                                 gamma.value, rows: count, n: n, out.value.map { $0 + start &* n },
                                 needs.weight ? own : nil, needs.bias ? own.map { $0 + n } : nil)
                }
            }
        }
        // Each parameter has the normalized shape.
        let parameterShape = Array(input.shape.suffix(normalizedRank))
        func total(_ offset: Int, _ shape: [Int]) -> Tensor {
            var values = [Double](repeating: 0, count: n)
            for c in 0..<chunks { for j in 0..<n { values[j] += sums[c * 2 * n + offset + j] } }
            return Tensor(shape: shape, values: values, dtype: input.dtype)
        }
        return (dx, needs.weight ? total(0, parameterShape) : nil, needs.bias ? total(n, parameterShape) : nil)
    }

    /// The backward rule as tensor operations, so that it is recorded when `createGraph` asks for the
    /// graph of the backward pass: the statistics are recomputed from the input (their dependence on x is
    /// part of the derivative).
    private static func layerNormBackwardRecorded(_ g: Tensor, input: Tensor, normalizedRank: Int, weight: Tensor?,
                                                  bias: Tensor?, eps: Double) -> [Tensor?] {
        let axes = Array((input.rank - normalizedRank)..<input.rank), leading = Array(0..<(input.rank - normalizedRank))
        let centered = input - input.mean(axes: axes, keepDims: true)
        let r = 1 / (centered.square().mean(axes: axes, keepDims: true) + eps).sqrt()
        let xhat = centered * r
        let d = weight.map { g * $0 } ?? g
        var grads: [Tensor?] = [input.requiresGrad
            ? (d - d.mean(axes: axes, keepDims: true) - xhat * (d * xhat).mean(axes: axes, keepDims: true)) * r
            : nil]
        // An unbatched input has no leading axis: its gradients are not summed (an empty axis list
        // would sum over every axis).
        func summedOverLeading(_ t: Tensor) -> Tensor { leading.isEmpty ? t : t.sum(axes: leading) }
        if let weight { grads.append(weight.requiresGrad ? summedOverLeading(g * xhat) : nil) }
        if let bias { grads.append(bias.requiresGrad ? summedOverLeading(g) : nil) }
        return grads
    }
}
