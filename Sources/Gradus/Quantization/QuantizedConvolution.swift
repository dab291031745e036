import CDNNL
import CGradusMath

extension DynamicQuantization {
    /// A quantized ``Conv2d``'s output for `input` `[N, C, H, W]`, or nil when the layer must compute in
    /// Float32: a gradient is recorded, the input is not Float32 or holds a non-finite value, the layer is
    /// grouped, or the shapes do not fit (the Float32 path then reports it).
    ///
    /// Each sample is unfolded as in the Float32 kernels (``ConvolutionKernels``), its windows quantized
    /// with the batch's activation scale (the zero border is exactly the zero point), and one integer
    /// product per sample computes outᵀ `[positions, O]` = windowsᵀ·Wᵀ (oneDNN's integer product takes
    /// its unsigned operand first), dequantized into the channels-first output.
    static func conv2d(_ input: Tensor, _ q: QuantizedWeights, bias: Tensor?, layer: Conv2d, padding: ConvPadding) -> Tensor? {
        guard layer.groups == 1, input.dtype == .float32, bias == nil || bias!.dtype == .float32, input.rank == 4,
              input.shape[1] * layer.kernelSize.height * layer.kernelSize.width == q.inputs,
              input.shape[1] == layer.inChannels, q.outputs == layer.outChannels,
              !(GradMode.isEnabled && (input.requiresGrad || (bias?.requiresGrad ?? false))) else { return nil }
        let kernel = layer.kernelSize, stride = layer.stride.pair, dilation = layer.dilation.pair
        guard (try? padding.check("conv2d", stride: stride)) != nil else { return nil }
        let rows = padding.amounts(dimension: 0, kernel: kernel.height, dilation: dilation.0)
        let columns = padding.amounts(dimension: 1, kernel: kernel.width, dilation: dilation.1)
        let extra = (rows.after - rows.before, columns.after - columns.before)
        let x = GradMode.noGrad { extra == (0, 0) ? input : input.pad([0, extra.1, 0, extra.0]) }
        // In a scope that has already failed, pad returns a placeholder: the Float32 path records nothing new.
        guard x.rank == 4, x.dtype == .float32 else { return nil }
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let outH = Functional.windowOutput(h, kernel: kernel.height, stride: stride.0, padding: rows.before, dilation: dilation.0)
        let outW = Functional.windowOutput(w, kernel: kernel.width, stride: stride.1, padding: columns.before, dilation: dilation.1)
        guard outH > 0, outW > 0 else { return nil }
        let g = ConvGeometry(batch: n, inChannels: c, height: h, width: w, outChannels: q.outputs,
                             kernelH: kernel.height, kernelW: kernel.width, strideH: stride.0, strideW: stride.1,
                             padH: rows.before, padW: columns.before, dilationH: dilation.0, dilationW: dilation.1,
                             outH: outH, outW: outW)
        let xp = UnsafePointer(x.rawPointer.assumingMemoryBound(to: Float.self))
        var low: Float = 0, high: Float = 0
        guard gradus_range_with_zero(xp, x.count, &low, &high) != 0,
              let (scale, zero) = activationParameters(low: low, high: high, reduced: usesReducedRange) else { return nil }
        let out = Tensor(uninitializedShape: g.outputShape, dtype: .float32)
        if n == 0 { return out }
        let reduced = usesReducedRange
        let (xs, ys) = (UncheckedSendable(xp), UncheckedSendable(out.rawPointer.assumingMemoryBound(to: Float.self)))
        let biasValues = bias.map { UncheckedSendable(UnsafePointer($0.rawPointer.assumingMemoryBound(to: Float.self))) }
        q.values.withUnsafeBufferPointer { weights in
            q.scales.withUnsafeBufferPointer { scales in
                let (wv, sv) = (UncheckedSendable(weights.baseAddress!), UncheckedSendable(scales.baseAddress!))
                ConvolutionKernels.forEachPart(g, Float.self) { _, samples, work in
                    let k = g.windowSize, positions = g.columns, o = g.outChannels
                    let windows = UnsafeMutablePointer<UInt8>.allocate(capacity: k * positions)
                    let acc = UnsafeMutablePointer<Int32>.allocate(capacity: positions * o)
                    defer { windows.deallocate(); acc.deallocate() }
                    OneDNNProduct.limitOpenMPThreads()
                    for s in samples {
                        let cols = ConvolutionKernels.unfolded(xs.value + s * g.inSample, g, work)
                        gradus_quantize_u8(cols, k * positions, 1 / scale, Float(zero), reduced ? 127 : 255, windows)
                        var offset: Int32 = 0
                        let status = dnnl_gemm_u8s8s32(84, 84, 70, dnnl_dim_t(positions), dnnl_dim_t(o), dnnl_dim_t(k), 1,  // "T", "T", "F"
                                                       windows, dnnl_dim_t(positions), UInt8(zero), wv.value, dnnl_dim_t(k), 0,
                                                       0, acc, dnnl_dim_t(o), &offset)
                        invariant(status == dnnl_success, "dnnl_gemm_u8s8s32 failed with status \(status.rawValue)")
                        // Wide rows (stride 1) hold outH rows of the padded width: keep the first outW of each.
                        let rowPitch = work.wide == nil ? g.outW : g.paddedW
                        let yn = ys.value + s * g.outSample
                        for channel in 0..<o {
                            let factor = scale * sv.value[channel], shift = biasValues?.value[channel] ?? 0
                            let plane = yn + channel * g.outPlane
                            for oy in 0..<g.outH {
                                let source = acc + (oy * rowPitch) * o + channel, target = plane + oy * g.outW
                                for ox in 0..<g.outW { target[ox] = Float(source[ox * o]) * factor + shift }
                            }
                        }
                    }
                }
            }
        }
        return out
    }
}
