import CGradusMath

// Batch normalization, ReLU and 2×2 max pooling with stride 2 as one recorded operation: the block that
// ends each stage of VGG-style networks (``Sequential`` runs a BatchNorm, a ReLU and such a MaxPool2d
// layer this way). The statistics are those of the normalization kernel (Functional+BatchNormKernel.swift);
// the pass that would write the normalized values writes only the pooled ones, and one byte per window
// for the backward: the winner's place, and whether the ReLU stopped its gradient (gradus_batchnorm_pool.c).
// Neither the normalized values nor the full-size gradient between the pooling and the normalization
// exist: forward, the separate layers write and read the normalized values once more (the pooling's
// input); backward, the pooling writes a full-size gradient that the normalization's two passes read.
//
// Values, winners and masks are the separate operations' bit for bit; the per-channel gradient sums
// add the same terms in another order (the windows' winners rather than a full-size gradient of mostly
// zeros), so dγ, dβ and dx differ from the separate layers' in the last bits.
//
// With `createGraph` (or a gradient of another dtype) the backward rule is the pooling's differentiable
// scatter at the winners followed by the normalization's rule as tensor operations, so that gradients of
// gradients stay exact.

/// The element types that the fused normalization-ReLU-pooling loops of CGradusMath are compiled for.
protocol BatchNormPoolElement: BatchNormElement {
    static func bnReLUPool2x2(_ x: UnsafePointer<Self>, _ planes: Int, _ stride: Int, height: Int, width: Int, center: Self,
                              scale: Self, shift: Self, into y: UnsafeMutablePointer<Self>, codes: UnsafeMutablePointer<UInt8>,
                              _ pooledStride: Int)
    static func bnReLUPool2x2GradientSums(_ dy: UnsafePointer<Self>, codes: UnsafePointer<UInt8>, _ pooledStride: Int,
                                          _ x: UnsafePointer<Self>, _ planes: Int, _ stride: Int, height: Int, width: Int,
                                          center: Self, scale: Self) -> (dy: Double, dyXhat: Double)
    static func bnReLUPool2x2InputGradient(_ dy: UnsafePointer<Self>, codes: UnsafePointer<UInt8>, _ pooledStride: Int,
                                           _ x: UnsafePointer<Self>, _ dx: UnsafeMutablePointer<Self>, _ planes: Int, _ stride: Int,
                                           height: Int, width: Int, center: Self, scale: Self, a: Self, b: Self, c: Self,
                                           batchStatistics: Bool)
}

extension Float: BatchNormPoolElement {
    static func bnReLUPool2x2(_ x: UnsafePointer<Float>, _ planes: Int, _ stride: Int, height: Int, width: Int, center: Float,
                              scale: Float, shift: Float, into y: UnsafeMutablePointer<Float>, codes: UnsafeMutablePointer<UInt8>,
                              _ pooledStride: Int) {
        gradus_bn_relu_pool2x2_f32(x, planes, stride, height, width, center, scale, shift, y, codes, pooledStride)
    }
    static func bnReLUPool2x2GradientSums(_ dy: UnsafePointer<Float>, codes: UnsafePointer<UInt8>, _ pooledStride: Int,
                                          _ x: UnsafePointer<Float>, _ planes: Int, _ stride: Int, height: Int, width: Int,
                                          center: Float, scale: Float) -> (dy: Double, dyXhat: Double) {
        var s = 0.0, q = 0.0
        gradus_bn_relu_pool2x2_grad_sums_f32(dy, codes, pooledStride, x, planes, stride, height, width, center, scale, &s, &q)
        return (s, q)
    }
    static func bnReLUPool2x2InputGradient(_ dy: UnsafePointer<Float>, codes: UnsafePointer<UInt8>, _ pooledStride: Int,
                                           _ x: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>, _ planes: Int, _ stride: Int,
                                           height: Int, width: Int, center: Float, scale: Float, a: Float, b: Float, c: Float,
                                           batchStatistics: Bool) {
        gradus_bn_relu_pool2x2_grad_input_f32(dy, codes, pooledStride, x, dx, planes, stride, height, width, center, scale, a, b, c,
                                              batchStatistics ? 1 : 0)
    }
}

extension Double: BatchNormPoolElement {
    static func bnReLUPool2x2(_ x: UnsafePointer<Double>, _ planes: Int, _ stride: Int, height: Int, width: Int, center: Double,
                              scale: Double, shift: Double, into y: UnsafeMutablePointer<Double>, codes: UnsafeMutablePointer<UInt8>,
                              _ pooledStride: Int) {
        gradus_bn_relu_pool2x2_f64(x, planes, stride, height, width, center, scale, shift, y, codes, pooledStride)
    }
    static func bnReLUPool2x2GradientSums(_ dy: UnsafePointer<Double>, codes: UnsafePointer<UInt8>, _ pooledStride: Int,
                                          _ x: UnsafePointer<Double>, _ planes: Int, _ stride: Int, height: Int, width: Int,
                                          center: Double, scale: Double) -> (dy: Double, dyXhat: Double) {
        var s = 0.0, q = 0.0
        gradus_bn_relu_pool2x2_grad_sums_f64(dy, codes, pooledStride, x, planes, stride, height, width, center, scale, &s, &q)
        return (s, q)
    }
    static func bnReLUPool2x2InputGradient(_ dy: UnsafePointer<Double>, codes: UnsafePointer<UInt8>, _ pooledStride: Int,
                                           _ x: UnsafePointer<Double>, _ dx: UnsafeMutablePointer<Double>, _ planes: Int, _ stride: Int,
                                           height: Int, width: Int, center: Double, scale: Double, a: Double, b: Double, c: Double,
                                           batchStatistics: Bool) {
        gradus_bn_relu_pool2x2_grad_input_f64(dy, codes, pooledStride, x, dx, planes, stride, height, width, center, scale, a, b, c,
                                              batchStatistics ? 1 : 0)
    }
}

extension Functional {
    /// Batch normalization, ReLU and 2×2 max pooling with stride 2 of a float `[N, C, H, W]` input (H and
    /// W at least 2) as one recorded operation ("batchNormReLUMaxPool2x2"), or nil where
    /// ``fusedBatchNormApplies(_:runningMean:runningVar:weight:bias:batchStatistics:)`` refuses the input
    /// or its rank and size do not fit. The caller has checked what ``batchNorm(_:runningMean:runningVar:weight:bias:training:momentum:eps:crossProcess:relu:maxPool2x2:)``
    /// checks.
    static func fusedBatchNormReLUMaxPool2x2(_ input: Tensor, runningMean: Tensor?, runningVar: Tensor?, weight: Tensor?,
                                             bias: Tensor?, batchStatistics: Bool, updateRunning: Bool, momentum: Double,
                                             eps: Double) throws -> Tensor? {
        guard input.rank == 4, input.shape[2] >= 2, input.shape[3] >= 2,
              fusedBatchNormApplies(input, runningMean: runningMean, runningVar: runningVar, weight: weight, bias: bias,
                                    batchStatistics: batchStatistics) else { return nil }
        let dtype = input.dtype
        let layout = BatchNormLayout(input.shape)
        let (n, c, h, width) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
        let pooled = (h / 2) * (width / 2), pooledStride = c * pooled
        let out = Tensor(uninitializedShape: [n, c, h / 2, width / 2], dtype: dtype)
        let codes = TensorStorage(byteCount: Swift.max(1, n * pooledStride))
        let code = UncheckedSendable(codes.pointer.assumingMemoryBound(to: UInt8.self))
        let w = weight?.scalars(as: Double.self), b = bias?.scalars(as: Double.self)
        func forward<T: BatchNormPoolElement>(_: T.Type) -> ChannelStatistics {
            let x = UnsafePointer(input.pointer(T.self)), y = out.pointer(T.self)
            let s = layout.spatial, stride = layout.planeStride
            return normalizeChannels(T.self, input, layout, runningMean: runningMean, runningVar: runningVar, w, b,
                                     batchStatistics: batchStatistics, eps: eps) { ch, center, k in
                T.bnReLUPool2x2(x + ch * s, n, stride, height: h, width: width, center: center, scale: k.scale, shift: k.shift,
                                into: y + ch * pooled, codes: code.value + ch * pooled, pooledStride)
            }
        }
        let statistics = dtype == .float32 ? forward(Float.self) : forward(Double.self)
        if updateRunning, let runningMean, let runningVar {
            try updateRunningStatistics(runningMean, runningVar, statistics, layout, momentum: momentum)
        }
        let (center, invstd) = (statistics.center, statistics.invstd)
        var inputs = [input]
        if let weight { inputs.append(weight) }
        if let bias { inputs.append(bias) }
        Tensor.record("batchNormReLUMaxPool2x2", output: out, inputs: inputs) { [codes] g, y in
            if GradMode.isEnabled || g.dtype != dtype || g.shape != y.shape {
                // The gradient that reaches the normalization, as the pooling's differentiable scatter at
                // the winners (0 where the ReLU stopped it), then the normalization's rule as tensor
                // operations.
                let table = PatchTable(indices: winnerIndices(code.value, planes: n * c, height: h, width: width),
                                       width: pooled, perSample: true)
                let reaching = try patchScatter(g.maskedWhere(y.le(0.0), 0).reshape([n * c, pooled]), table,
                                                inputShape: [n * c, h * width]).reshape(input.shape)
                withExtendedLifetime(codes) {}
                return batchNormBackwardRecorded(reaching, input: input, weight: weight, bias: bias, batchStatistics: batchStatistics,
                                                 center: center, invstd: invstd, eps: eps)
            }
            let needs = (input: input.requiresGrad, weight: weight?.requiresGrad ?? false, bias: bias?.requiresGrad ?? false)
            func backward<T: BatchNormPoolElement>(_: T.Type) -> (input: Tensor?, weight: Tensor?, bias: Tensor?) {
                let dy = UnsafePointer(g.pointer(T.self)), x = UnsafePointer(input.pointer(T.self))
                let s = layout.spatial, stride = layout.planeStride, count = Double(layout.perChannel)
                defer { withExtendedLifetime(codes) {} }
                return backwardChannels(T.self, input, layout, batchStatistics: batchStatistics, needs: needs) { ch, needSums, dxp in
                    let m = T(center[ch]), r = invstd[ch], scale = (w?[ch] ?? 1) * r
                    let gc = dy + ch * pooled, cc = UnsafePointer(code.value + ch * pooled), xc = x + ch * s
                    var sums = (dy: 0.0, dyXhat: 0.0)
                    if needSums {
                        sums = T.bnReLUPool2x2GradientSums(gc, codes: cc, pooledStride, xc, n, stride, height: h, width: width,
                                                            center: m, scale: T(r))
                    }
                    guard let dxp else { return sums }
                    T.bnReLUPool2x2InputGradient(gc, codes: cc, pooledStride, xc, dxp + ch * s, n, stride, height: h, width: width,
                                                 center: m, scale: T(r), a: T(scale),
                                                 b: batchStatistics ? T(-scale * sums.dyXhat / count) : 0,
                                                 c: batchStatistics ? T(-scale * sums.dy / count) : 0,
                                                 batchStatistics: batchStatistics)
                    return sums
                }
            }
            let grads = dtype == .float32 ? backward(Float.self) : backward(Double.self)
            var result: [Tensor?] = [grads.input]
            if weight != nil { result.append(grads.weight) }
            if bias != nil { result.append(grads.bias) }
            return result
        }
        return out
    }

    /// Each window's winner as a flat index within its input plane (`row · width + column`), from the
    /// fused forward's codes.
    private static func winnerIndices(_ codes: UnsafePointer<UInt8>, planes: Int, height: Int, width: Int) -> [Int] {
        let (oh, ow) = (height / 2, width / 2)
        var indices = [Int](repeating: 0, count: planes * oh * ow)
        var j = 0
        for _ in 0..<planes {
            for oy in 0..<oh {
                for ox in 0..<ow {
                    let place = Int(codes[j] & 3)
                    indices[j] = (2 * oy + place / 2) * width + 2 * ox + place % 2
                    j += 1
                }
            }
        }
        return indices
    }
}
