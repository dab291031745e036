import CGradusMath

// Batch normalization as one recorded operation (the path `Functional.batchNorm` takes unless its
// statistics are summed across processes): in training, one forward pass per channel computes the
// batch mean and biased variance (two passes over the channel: its sum, then the moments about that
// mean) and writes the normalized output; one backward computes dx, dγ and dβ from Σdy and Σdy·x̂.
// In evaluation mode it is one per-channel scale and shift, y = (x − μ)·γ/√(σ² + ε) + β, whose
// backward is a scale. The loops are in CGradusMath (gradus_batchnorm.h); channels are split over
// threads when the tensor is large. Composed of tensor operations it was ~10 recorded whole-tensor
// passes forward and as many backward (28% of cnn_c3_b64's training step).
//
// Followed by ReLU (``Sequential`` with a BatchNorm layer and a ReLU layer), the ReLU is applied in the
// normalizing pass, and its mask in the two backward passes, recomputed from x with the forward's
// coefficients (bit for bit: gradus_batchnorm.c does not contract into FMA): the normalized values are
// never stored, the ReLU's own passes over memory are gone, and the training backward reads what it
// reads without the ReLU (the evaluation backward reads x besides the gradient). Reading the ReLU's
// output for the mask instead is a third strided stream: the fused [64, 128, 16, 16] block's step took
// 2.34-2.39 ms that way against 1.92-2.02 ms recomputing, 3.06-3.22 ms as two layers (one thread, AMD
// EPYC Zen 5).
//
// With `createGraph` the backward rule is written with tensor operations (recomputing the statistics
// from the input), so that gradients of gradients stay exact.

/// The element types that the batch-normalization loops of CGradusMath are compiled for. With `relu`
/// (a ReLU follows the normalization, `Functional.batchNormReLU`), the gradient is taken as 0 where the
/// ReLU's input, (x − center)·relu.scale + relu.shift, is ≤ 0: the forward's normalize arguments, so
/// that the C loops recompute the forward's values bit for bit.
protocol BatchNormElement: TensorFloat {
    static func bnSum(_ x: UnsafePointer<Self>, _ planes: Int, _ stride: Int, _ len: Int) -> Double
    static func bnMoments(_ x: UnsafePointer<Self>, _ planes: Int, _ stride: Int, _ len: Int, center: Self) -> (sum: Double, squares: Double)
    static func bnNormalize(_ x: UnsafePointer<Self>, _ y: UnsafeMutablePointer<Self>, _ planes: Int, _ stride: Int, _ len: Int,
                            center: Self, scale: Self, shift: Self, relu: Bool)
    static func bnGradientSums(_ dy: UnsafePointer<Self>, _ x: UnsafePointer<Self>, _ planes: Int, _ stride: Int, _ len: Int,
                               center: Self, scale: Self, relu: (scale: Self, shift: Self)?) -> (dy: Double, dyXhat: Double)
    static func bnInputGradient(_ dy: UnsafePointer<Self>, _ x: UnsafePointer<Self>, _ dx: UnsafeMutablePointer<Self>,
                                _ planes: Int, _ stride: Int, _ len: Int, center: Self, scale: Self, a: Self, b: Self, c: Self,
                                relu: (scale: Self, shift: Self)?)
    static func bnScaleReLU(_ dy: UnsafePointer<Self>, _ x: UnsafePointer<Self>, _ dx: UnsafeMutablePointer<Self>,
                            _ planes: Int, _ stride: Int, _ len: Int, scale: Self, center: Self, relu: (scale: Self, shift: Self))
}

extension Float: BatchNormElement {
    static func bnSum(_ x: UnsafePointer<Float>, _ planes: Int, _ stride: Int, _ len: Int) -> Double {
        var s = 0.0
        gradus_bn_sum_f32(x, planes, stride, len, &s)
        return s
    }
    static func bnMoments(_ x: UnsafePointer<Float>, _ planes: Int, _ stride: Int, _ len: Int, center: Float) -> (sum: Double, squares: Double) {
        var s = 0.0, q = 0.0
        gradus_bn_moments_f32(x, planes, stride, len, center, &s, &q)
        return (s, q)
    }
    static func bnNormalize(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ planes: Int, _ stride: Int, _ len: Int,
                            center: Float, scale: Float, shift: Float, relu: Bool) {
        if relu {
            gradus_bn_normalize_relu_f32(x, y, planes, stride, len, center, scale, shift)
        } else {
            gradus_bn_normalize_f32(x, y, planes, stride, len, center, scale, shift)
        }
    }
    static func bnGradientSums(_ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ planes: Int, _ stride: Int, _ len: Int,
                               center: Float, scale: Float, relu: (scale: Float, shift: Float)?) -> (dy: Double, dyXhat: Double) {
        var s = 0.0, q = 0.0
        if let relu {
            gradus_bn_grad_sums_relu_f32(dy, x, planes, stride, len, center, scale, relu.scale, relu.shift, &s, &q)
        } else {
            gradus_bn_grad_sums_f32(dy, x, planes, stride, len, center, scale, &s, &q)
        }
        return (s, q)
    }
    static func bnInputGradient(_ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>,
                                _ planes: Int, _ stride: Int, _ len: Int, center: Float, scale: Float, a: Float, b: Float, c: Float,
                                relu: (scale: Float, shift: Float)?) {
        if let relu {
            gradus_bn_grad_input_relu_f32(dy, x, dx, planes, stride, len, center, scale, a, b, c, relu.scale, relu.shift)
        } else {
            gradus_bn_grad_input_f32(dy, x, dx, planes, stride, len, center, scale, a, b, c)
        }
    }
    static func bnScaleReLU(_ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>,
                            _ planes: Int, _ stride: Int, _ len: Int, scale: Float, center: Float, relu: (scale: Float, shift: Float)) {
        gradus_bn_scale_relu_f32(dy, x, dx, planes, stride, len, scale, center, relu.scale, relu.shift)
    }
}

extension Double: BatchNormElement {
    static func bnSum(_ x: UnsafePointer<Double>, _ planes: Int, _ stride: Int, _ len: Int) -> Double {
        var s = 0.0
        gradus_bn_sum_f64(x, planes, stride, len, &s)
        return s
    }
    static func bnMoments(_ x: UnsafePointer<Double>, _ planes: Int, _ stride: Int, _ len: Int, center: Double) -> (sum: Double, squares: Double) {
        var s = 0.0, q = 0.0
        gradus_bn_moments_f64(x, planes, stride, len, center, &s, &q)
        return (s, q)
    }
    static func bnNormalize(_ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>, _ planes: Int, _ stride: Int, _ len: Int,
                            center: Double, scale: Double, shift: Double, relu: Bool) {
        if relu {
            gradus_bn_normalize_relu_f64(x, y, planes, stride, len, center, scale, shift)
        } else {
            gradus_bn_normalize_f64(x, y, planes, stride, len, center, scale, shift)
        }
    }
    static func bnGradientSums(_ dy: UnsafePointer<Double>, _ x: UnsafePointer<Double>, _ planes: Int, _ stride: Int, _ len: Int,
                               center: Double, scale: Double, relu: (scale: Double, shift: Double)?) -> (dy: Double, dyXhat: Double) {
        var s = 0.0, q = 0.0
        if let relu {
            gradus_bn_grad_sums_relu_f64(dy, x, planes, stride, len, center, scale, relu.scale, relu.shift, &s, &q)
        } else {
            gradus_bn_grad_sums_f64(dy, x, planes, stride, len, center, scale, &s, &q)
        }
        return (s, q)
    }
    static func bnInputGradient(_ dy: UnsafePointer<Double>, _ x: UnsafePointer<Double>, _ dx: UnsafeMutablePointer<Double>,
                                _ planes: Int, _ stride: Int, _ len: Int, center: Double, scale: Double, a: Double, b: Double, c: Double,
                                relu: (scale: Double, shift: Double)?) {
        if let relu {
            gradus_bn_grad_input_relu_f64(dy, x, dx, planes, stride, len, center, scale, a, b, c, relu.scale, relu.shift)
        } else {
            gradus_bn_grad_input_f64(dy, x, dx, planes, stride, len, center, scale, a, b, c)
        }
    }
    static func bnScaleReLU(_ dy: UnsafePointer<Double>, _ x: UnsafePointer<Double>, _ dx: UnsafeMutablePointer<Double>,
                            _ planes: Int, _ stride: Int, _ len: Int, scale: Double, center: Double, relu: (scale: Double, shift: Double)) {
        gradus_bn_scale_relu_f64(dy, x, dx, planes, stride, len, scale, center, relu.scale, relu.shift)
    }
}

/// An input `[N, C, *]` seen as N planes of S = ∏* elements per channel: channel c's planes start at
/// `c·S` and follow each other every `C·S` elements.
struct BatchNormLayout {
    let batch: Int
    let channels: Int
    let spatial: Int

    init(_ shape: [Int]) {
        batch = shape[0]
        channels = shape[1]
        spatial = shape[2...].reduce(1, *)
    }

    /// Values per channel (N·S).
    var perChannel: Int { batch * spatial }
    var planeStride: Int { channels * spatial }

    /// The shape `[1, C, 1, …]` of a per-channel tensor broadcast against an input of rank `rank`.
    static func statisticsShape(channels: Int, rank: Int) -> [Int] {
        var s = [Int](repeating: 1, count: rank)
        s[1] = channels
        return s
    }
}

extension Functional {
    /// Elements from which the per-channel loops are split over threads (by channels). Each element
    /// is read three times and written once forward, read twice and written once backward, from L2
    /// for the channel being worked on: 64K elements are some 30-60 µs of work, above the cost of
    /// waking a second thread (DESIGN.md).
    static let batchNormGrain = 1 << 16

    /// Runs `body` over channel ranges, on several threads when the tensor has at least
    /// ``batchNormGrain`` elements per thread (and a channel for each).
    static func forEachChannelRange(_ layout: BatchNormLayout, _ body: (Range<Int>) -> Void) {
        let elements = layout.perChannel * layout.channels
        let parts = Swift.max(1, Swift.min(Threading.count, layout.channels, elements / batchNormGrain))
        Threading.parallelParts(layout.channels, parts: parts) { _, range in body(range) }
    }

    /// Batch normalization as one recorded operation, or nil when the composed tensor operations must
    /// run instead: a dtype other than float32/float64, parameters or statistics of another dtype than
    /// the input (the composed operations promote), or running statistics that require gradients in
    /// evaluation mode. The caller has checked the shapes and, in training, that each channel has more
    /// than one value.
    ///
    /// - Parameters:
    ///   - batchStatistics: normalize with the batch's statistics (otherwise with the running ones).
    ///   - updateRunning: update `runningMean`/`runningVar` (batch statistics only).
    ///   - relu: apply ReLU to the normalized values in the same pass (one recorded operation whose
    ///     backward masks the gradient where the output is ≤ 0, as PyTorch's relu backward does).
    static func fusedBatchNorm(_ input: Tensor, runningMean: Tensor?, runningVar: Tensor?, weight: Tensor?, bias: Tensor?,
                               batchStatistics: Bool, updateRunning: Bool, momentum: Double, eps: Double,
                               relu: Bool = false) throws -> Tensor? {
        let dtype = input.dtype
        guard fusedBatchNormApplies(input, runningMean: runningMean, runningVar: runningVar, weight: weight, bias: bias,
                                    batchStatistics: batchStatistics) else { return nil }
        let layout = BatchNormLayout(input.shape)
        let w = weight?.scalars(as: Double.self), b = bias?.scalars(as: Double.self)
        let out = Tensor(uninitializedShape: input.shape, dtype: dtype)
        func normalize<T: BatchNormElement>(_: T.Type) -> ChannelStatistics {
            let x = UnsafePointer(input.pointer(T.self)), y = out.pointer(T.self)
            let s = layout.spatial, stride = layout.planeStride, planes = layout.batch
            return normalizeChannels(T.self, input, layout, runningMean: runningMean, runningVar: runningVar, w, b,
                                     batchStatistics: batchStatistics, eps: eps) { ch, center, k in
                T.bnNormalize(x + ch * s, y + ch * s, planes, stride, s, center: center, scale: k.scale, shift: k.shift, relu: relu)
            }
        }
        let statistics = dtype == .float32 ? normalize(Float.self) : normalize(Double.self)
        let (center, invstd) = (statistics.center, statistics.invstd)
        if updateRunning, let runningMean, let runningVar {
            try updateRunningStatistics(runningMean, runningVar, statistics, layout, momentum: momentum)
        }
        var inputs = [input]
        if let weight { inputs.append(weight) }
        if let bias { inputs.append(bias) }
        Tensor.record(relu ? "batchNormReLU" : "batchNorm", output: out, inputs: inputs) { g, y in
            // Recording the backward (createGraph), or a gradient of another dtype: tensor operations.
            if GradMode.isEnabled || g.dtype != dtype || g.shape != input.shape {
                return batchNormBackwardRecorded(relu ? g.maskedWhere(y.le(0.0), 0) : g, input: input, weight: weight, bias: bias,
                                                 batchStatistics: batchStatistics, center: center, invstd: invstd, eps: eps)
            }
            let needs = (input: input.requiresGrad, weight: weight?.requiresGrad ?? false, bias: bias?.requiresGrad ?? false)
            let grads = dtype == .float32
                ? batchNormBackward(Float.self, g, input, layout, w, b, center, invstd, batchStatistics, relu, needs)
                : batchNormBackward(Double.self, g, input, layout, w, b, center, invstd, batchStatistics, relu, needs)
            var result: [Tensor?] = [grads.input]
            if weight != nil { result.append(grads.weight) }
            if bias != nil { result.append(grads.bias) }
            return result
        }
        return out
    }

    /// Whether ``fusedBatchNorm(_:runningMean:runningVar:weight:bias:batchStatistics:updateRunning:momentum:eps:relu:)``
    /// (and the kernels built on its per-channel statistics) can take an input: float32 or float64, with
    /// parameters and statistics of its dtype (the composed operations promote), and running statistics
    /// that do not require gradients when they normalize.
    static func fusedBatchNormApplies(_ input: Tensor, runningMean: Tensor?, runningVar: Tensor?, weight: Tensor?, bias: Tensor?,
                                      batchStatistics: Bool) -> Bool {
        let dtype = input.dtype
        guard dtype == .float32 || dtype == .float64 else { return false }
        for t in [weight, bias] { if let t, t.dtype != dtype { return false } }
        if !batchStatistics {
            guard let rm = runningMean, let rv = runningVar, rm.dtype == dtype, rv.dtype == dtype else { return false }
            if GradMode.isEnabled && (rm.requiresGrad || rv.requiresGrad) { return false }
        }
        return true
    }

    /// Per channel: the center subtracted (the mean, rounded to the element type), 1/√(σ² + ε) and, with
    /// batch statistics, the biased variance.
    struct ChannelStatistics {
        var center: [Double]
        var invstd: [Double]
        var variance: [Double]
    }

    /// Each channel's statistics (the batch's, or the running ones), then `write(channel, center,
    /// coefficients)` for it while the channel is still in cache: the pass that writes the output.
    /// Channels are split over threads (``forEachChannelRange(_:_:)``).
    static func normalizeChannels<T: BatchNormElement>(
        _: T.Type, _ input: Tensor, _ layout: BatchNormLayout, runningMean: Tensor?, runningVar: Tensor?, _ w: [Double]?,
        _ b: [Double]?, batchStatistics: Bool, eps: Double, write: (Int, T, (scale: T, shift: T)) -> Void
    ) -> ChannelStatistics {
        let c = layout.channels
        var statistics = ChannelStatistics(center: [Double](repeating: 0, count: c), invstd: [Double](repeating: 0, count: c),
                                           variance: [Double](repeating: 0, count: c))
        if !batchStatistics {
            let rm = runningMean!.scalars(as: Double.self), rv = runningVar!.scalars(as: Double.self)
            for ch in 0..<c {
                statistics.center[ch] = rm[ch]
                statistics.invstd[ch] = 1 / (rv[ch] + eps).squareRoot()
            }
            let (centers, invstds) = (statistics.center, statistics.invstd)
            forEachChannelRange(layout) { range in
                for ch in range { write(ch, T(centers[ch]), normalizeCoefficients(ch, invstd: invstds[ch], w, b)) }
            }
            return statistics
        }
        let x = UnsafePointer(input.pointer(T.self))
        let n = layout.perChannel, s = layout.spatial, stride = layout.planeStride, planes = layout.batch
        statistics.center.withUnsafeMutableBufferPointer { centerBuffer in
            statistics.invstd.withUnsafeMutableBufferPointer { invstdBuffer in
                statistics.variance.withUnsafeMutableBufferPointer { varianceBuffer in
                    let centers = UncheckedSendable(centerBuffer), invstds = UncheckedSendable(invstdBuffer)
                    let variances = UncheckedSendable(varianceBuffer)
                    forEachChannelRange(layout) { range in
                        for ch in range {
                            let xc = x + ch * s
                            // Two passes: the sum, then the moments about its mean; the first moment
                            // corrects the mean for the rounding of the first pass.
                            let rough = T(T.bnSum(xc, planes, stride, s) / Double(n))
                            var (d1, d2) = T.bnMoments(xc, planes, stride, s, center: rough)
                            if !d2.isFinite && d1.isFinite { (d1, d2) = wideMoments(xc, planes, stride, s, center: rough) }
                            let offset = d1 / Double(n)
                            let m = T(Double(rough) + offset)
                            let v = Swift.max(0, d2 / Double(n) - offset * offset)
                            let r = 1 / (v + eps).squareRoot()
                            centers.value[ch] = Double(m)
                            invstds.value[ch] = r
                            variances.value[ch] = v
                            write(ch, m, normalizeCoefficients(ch, invstd: r, w, b))
                        }
                    }
                }
            }
        }
        return statistics
    }

    /// running = (1 − momentum)·running + momentum·batch, with the unbiased variance.
    static func updateRunningStatistics(_ runningMean: Tensor, _ runningVar: Tensor, _ statistics: ChannelStatistics,
                                        _ layout: BatchNormLayout, momentum: Double) throws {
        let c = layout.channels
        let n = Double(layout.perChannel), correction = n / Swift.max(n - 1, 1)
        let oldMean = runningMean.scalars(as: Double.self), oldVar = runningVar.scalars(as: Double.self)
        var newMean = [Double](repeating: 0, count: c), newVar = [Double](repeating: 0, count: c)
        for ch in 0..<c {
            newMean[ch] = oldMean[ch] * (1 - momentum) + statistics.center[ch] * momentum
            newVar[ch] = oldVar[ch] * (1 - momentum) + statistics.variance[ch] * correction * momentum
        }
        try GradMode.noGrad {
            try runningMean.copyValues(from: Tensor(shape: [c], values: newMean, dtype: .float64))
            try runningVar.copyValues(from: Tensor(shape: [c], values: newVar, dtype: .float64))
        }
    }

    /// The scale γ/√(σ² + ε) and shift β with which channel `ch` is normalized, rounded to the element
    /// type: one computation for the forward pass and for the backward of a fused ReLU, which recomputes
    /// the normalized values from them.
    static func normalizeCoefficients<T: BatchNormElement>(_ ch: Int, invstd: Double, _ w: [Double]?, _ b: [Double]?)
        -> (scale: T, shift: T) {
        (T(invstd * (w?[ch] ?? 1)), T(b?[ch] ?? 0))
    }

    /// The moments about `center` accumulated in Float64 element by element: for Float32 channels whose
    /// squared deviations overflow Float32 (values beyond ~1e19).
    private static func wideMoments<T: BatchNormElement>(_ x: UnsafePointer<T>, _ planes: Int, _ stride: Int, _ len: Int,
                                                         center: T) -> (sum: Double, squares: Double) {
        var s = 0.0, q = 0.0
        let c = Double(center)
        for p in 0..<planes {
            let row = x + p * stride
            for i in 0..<len {
                let d = Double(row[i]) - c
                s += d
                q += d * d
            }
        }
        return (s, q)
    }

    /// The backward kernel: with x̂ = (x − center)·invstd and n values per channel,
    /// dβ = Σdy, dγ = Σdy·x̂, and dx = γ·invstd·(dy − Σdy/n − x̂·Σ(dy·x̂)/n) with batch statistics
    /// (the statistics depend on x), γ·invstd·dy with running ones. With `relu` (a normalization fused
    /// with the ReLU after it), dy is first set to 0 where the normalized value (recomputed from x with
    /// the forward's coefficients) is ≤ 0.
    private static func batchNormBackward<T: BatchNormElement>(
        _: T.Type, _ g: Tensor, _ input: Tensor, _ layout: BatchNormLayout, _ w: [Double]?, _ b: [Double]?, _ center: [Double],
        _ invstd: [Double], _ batchStatistics: Bool, _ relu: Bool, _ needs: (input: Bool, weight: Bool, bias: Bool)
    ) -> (input: Tensor?, weight: Tensor?, bias: Tensor?) {
        let n = Double(layout.perChannel)
        let s = layout.spatial, stride = layout.planeStride, planes = layout.batch
        let dy = UnsafePointer(g.pointer(T.self)), x = UnsafePointer(input.pointer(T.self))
        return backwardChannels(T.self, input, layout, batchStatistics: batchStatistics, needs: needs) { ch, needSums, dxp in
            let offset = ch * s
            let m = T(center[ch]), r = invstd[ch], scale = (w?[ch] ?? 1) * r
            let mask: (scale: T, shift: T)? = relu ? normalizeCoefficients(ch, invstd: r, w, b) : nil
            var sums = (dy: 0.0, dyXhat: 0.0)
            if needSums { sums = T.bnGradientSums(dy + offset, x + offset, planes, stride, s, center: m, scale: T(r), relu: mask) }
            guard let dxp else { return sums }
            if batchStatistics {
                T.bnInputGradient(dy + offset, x + offset, dxp + offset, planes, stride, s, center: m, scale: T(r),
                                  a: T(scale), b: T(-scale * sums.dyXhat / n), c: T(-scale * sums.dy / n), relu: mask)
            } else if let mask {
                T.bnScaleReLU(dy + offset, x + offset, dxp + offset, planes, stride, s, scale: T(scale), center: m, relu: mask)
            } else {
                T.bnNormalize(dy + offset, dxp + offset, planes, stride, s, center: 0, scale: T(scale), shift: 0, relu: false)
            }
            return sums
        }
    }

    /// What every backward kernel of the normalization shares: dx allocated when the input needs it,
    /// `channel(ch, needSums, dx)` run for every channel (split over threads), which writes the channel's
    /// part of dx (when dx is given) and returns its Σdy and Σdy·x̂ (when `needSums`: dγ or dβ is needed,
    /// or dx with batch statistics); dγ = Σdy·x̂ and dβ = Σdy made tensors where asked for.
    static func backwardChannels<T: BatchNormElement>(
        _: T.Type, _ input: Tensor, _ layout: BatchNormLayout, batchStatistics: Bool, needs: (input: Bool, weight: Bool, bias: Bool),
        _ channel: (Int, Bool, UnsafeMutablePointer<T>?) -> (dy: Double, dyXhat: Double)
    ) -> (input: Tensor?, weight: Tensor?, bias: Tensor?) {
        let c = layout.channels
        let needSums = needs.weight || needs.bias || (needs.input && batchStatistics)
        let dx = needs.input ? Tensor(uninitializedShape: input.shape, dtype: input.dtype) : nil
        let dxp = dx?.pointer(T.self)
        var sumDy = [Double](repeating: 0, count: c), sumDyXhat = [Double](repeating: 0, count: c)
        sumDy.withUnsafeMutableBufferPointer { sdBuffer in
            sumDyXhat.withUnsafeMutableBufferPointer { sxBuffer in
                let sd = UncheckedSendable(sdBuffer), sx = UncheckedSendable(sxBuffer)
                forEachChannelRange(layout) { range in
                    for ch in range {
                        let sums = channel(ch, needSums, dxp)
                        sd.value[ch] = sums.dy
                        sx.value[ch] = sums.dyXhat
                    }
                }
            }
        }
        return (dx,
                needs.weight ? Tensor(shape: [c], values: sumDyXhat, dtype: input.dtype) : nil,
                needs.bias ? Tensor(shape: [c], values: sumDy, dtype: input.dtype) : nil)
    }

    /// The backward rule as tensor operations, so that it is recorded when `createGraph` asks for the
    /// graph of the backward pass: with batch statistics they are recomputed from the input (their
    /// dependence on x is part of the derivative); running statistics are the constants used forward.
    static func batchNormBackwardRecorded(_ g: Tensor, input: Tensor, weight: Tensor?, bias: Tensor?, batchStatistics: Bool,
                                                  center: [Double], invstd: [Double], eps: Double) -> [Tensor?] {
        let axes = [0] + Array(2..<input.rank)
        let statShape = BatchNormLayout.statisticsShape(channels: input.shape[1], rank: input.rank)
        let xhat: Tensor, r: Tensor
        if batchStatistics {
            let centered = input - input.mean(axes: axes, keepDims: true)
            r = 1 / (centered.square().mean(axes: axes, keepDims: true) + eps).sqrt()
            xhat = centered * r
        } else {
            r = Tensor(shape: statShape, values: invstd, dtype: input.dtype)
            xhat = (input - Tensor(shape: statShape, values: center, dtype: input.dtype)) * r
        }
        let scale = weight.map { $0.reshape(statShape) * r } ?? r
        var grads: [Tensor?] = []
        if input.requiresGrad {
            grads.append(batchStatistics
                ? (g - g.mean(axes: axes, keepDims: true) - xhat * (g * xhat).mean(axes: axes, keepDims: true)) * scale
                : g * scale)
        } else {
            grads.append(nil)
        }
        if let weight { grads.append(weight.requiresGrad ? (g * xhat).sum(axes: axes) : nil) }
        if let bias { grads.append(bias.requiresGrad ? g.sum(axes: axes) : nil) }
        return grads
    }
}
