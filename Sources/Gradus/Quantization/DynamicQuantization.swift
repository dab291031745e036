import CDNNL
import CGradusMath
import Synchronization

/// Dynamic quantization: 8-bit weights quantized once, activations quantized on the fly from each
/// batch's range, products in integers, as PyTorch's `torch.ao.quantization.quantize_dynamic`.
///
/// A quantized ``Linear`` or ``Conv2d`` computes, for an input batch x:
/// 1. the activations' range [min(x, 0), max(x, 0)] → scale sₓ = (max − min) / 255 (127, see below)
///    and zero point z = round(−min / sₓ), so that 0 is represented exactly;
/// 2. xq = clamp(round(x / sₓ) + z, 0, 255) (round half to even);
/// 3. the integer product Σ (xq − z) · q over the weights' 8-bit values q (``QuantizedWeights``),
///    accumulated in 32 bits by oneDNN's `dnnl_gemm_u8s8s32` (VNNI dot products where the processor has
///    them);
/// 4. y = sₓ · scaleᵢ · (that sum) + bias, in Float32.
///
/// On processors without VNNI (AVX2, plain AVX-512), oneDNN's integer kernels add pairs of 8-bit
/// products in 16 bits, which can saturate: there, as PyTorch's `reduce_range`, activations use 7 bits
/// (0…127), which keeps every pair in range. ``usesReducedRange`` tells which applies.
///
/// The integer path runs only when no gradient is being recorded through the layer (inference:
/// ``GradMode/noGrad(_:)``, ``TrainedModel/predict(_:)-(Tensor)``), on Float32 inputs whose values are all
/// finite; otherwise the layer computes in Float32 with its dequantized weights, so that gradients
/// (``Explain``) and non-finite values behave as in an unquantized model.
///
/// ```swift
/// model.quantizeDynamic()
/// let probabilities = GradMode.noGrad { model(x).softmax(axis: -1) }
/// ```
public enum DynamicQuantization {
    /// Counts the times any layer's ``Linear/quantizedWeights`` (``Conv2d/quantizedWeights``) were set:
    /// an ``InferencePlan`` looks at its layers' quantization again only when this moved.
    static let epoch = Atomic<Int>(0)

    static func quantizationChanged() { epoch.add(1, ordering: .releasing) }

    /// Whether activations are quantized to 7 bits because the processor lacks VNNI (see above).
    public static var usesReducedRange: Bool {
        reducedRangeOverride ?? !processorHasVNNI
    }

    /// Set by tests to run the other range on this processor (``KernelTesting``), for their own task only:
    /// other tests running at the same time keep the processor's choice.
    @TaskLocal static var reducedRangeOverride: Bool? = nil

    /// Whether one-sample products use CGradusMath's AVX512-VNNI row kernel over weights packed in panels
    /// (`gradus_s8_panels`: 0.9 µs for mlp_infer_b1's first layer, oneDNN's integer product 2.2) rather
    /// than oneDNN; tests force either (``KernelTesting``), and its portable C form
    /// (``KernelTesting/withPortableKernels(_:)``).
    static var usesRowKernel: Bool { hasRowKernel && rowKernelOverride != false }
    static let hasRowKernel = gradus_s8_panels_vnni_available() != 0
    /// nil: the processor's choice, true: the row kernel where it can run, false: oneDNN (tests, their task only).
    @TaskLocal static var rowKernelOverride: Bool? = nil
    /// Rows up to which a product goes to the row kernel, one row at a time.
    static let rowKernelMaximumRows = 4

    /// Whether oneDNN runs VNNI integer kernels here (AVX512_VNNI, AVX_VNNI, AMX and later).
    static let processorHasVNNI: Bool = {
        let isa = dnnl_get_effective_cpu_isa().rawValue
        return isa & 0x40 != 0 || isa & 0x400 != 0   // dnnl_cpu_isa_avx512_core_vnni / avx2_vnni bits
    }()

    /// The scale and zero point for activations in `[low, high]` (low ≤ 0 ≤ high), or nil when the
    /// range is not finite.
    static func activationParameters(low: Float, high: Float, reduced: Bool) -> (scale: Float, zeroPoint: Int32)? {
        guard low.isFinite, high.isFinite else { return nil }
        let levels: Float = reduced ? 127 : 255
        let span = high - low
        // A batch of zeros: any scale represents it; PyTorch takes 0.1 and zero point 0.
        guard span > 0 else { return (0.1, 0) }
        let scale = span / levels
        let zero = Swift.max(0, Swift.min(levels, (-low / scale).rounded(.toNearestOrEven)))
        return (scale, Int32(zero))
    }

    /// y = dequantize((xq − z) · qᵀ) + bias for `x` `[rows, q.inputs]` (contiguous Float32), writing
    /// `y` `[rows, q.outputs]`; false (nothing written) when `x` holds a non-finite value.
    static func linear(_ x: UnsafePointer<Float>, rows: Int, _ q: QuantizedWeights, bias: UnsafePointer<Float>?,
                       relu: Bool = false, into y: UnsafeMutablePointer<Float>) -> Bool {
        let k = q.inputs, n = q.outputs, count = rows * k, reduced = usesReducedRange
        var low: Float = 0, high: Float = 0
        guard gradus_range_with_zero(x, count, &low, &high) != 0,
              let (scale, zero) = activationParameters(low: low, high: high, reduced: reduced) else { return false }
        if rows == 0 || n == 0 { return true }
        let top: Float = reduced ? 127 : 255
        // Scratch on the stack when small (one-sample inference), so that no call allocates. The row
        // kernel reads each row's activations in fours: 3 bytes of slack after the last row.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: count + 3) { quantized in
            let xq = quantized.baseAddress!
            gradus_quantize_u8(x, count, 1 / scale, Float(zero), top, xq)
            if k > 0 && rows <= rowKernelMaximumRows && k <= 65_536 && usesRowKernel {
                q.rowSums.withUnsafeBufferPointer { sums in
                    q.scales.withUnsafeBufferPointer { s in
                        for r in 0..<rows {
                            gradus_s8_panels(n, k, q.panels.pointer, xq + r * k, zero, sums.baseAddress, scale, s.baseAddress,
                                             bias, relu ? 1 : 0, y + r * n)
                        }
                    }
                }
                return
            }
            withUnsafeTemporaryAllocation(of: Int32.self, capacity: rows * n) { sums in
                let acc = sums.baseAddress!
                if k == 0 {
                    acc.update(repeating: 0, count: rows * n)
                } else {
                    var offset: Int32 = 0
                    OneDNNProduct.limitOpenMPThreads()
                    let status = q.values.withUnsafeBufferPointer { w in
                        dnnl_gemm_u8s8s32(78, 84, 70, dnnl_dim_t(rows), dnnl_dim_t(n), dnnl_dim_t(k), 1,   // "N", "T", "F"
                                          xq, dnnl_dim_t(k), UInt8(zero), w.baseAddress, dnnl_dim_t(k), 0,
                                          0, acc, dnnl_dim_t(n), &offset)
                    }
                    invariant(status == dnnl_success, "dnnl_gemm_u8s8s32 failed with status \(status.rawValue)")
                }
                q.scales.withUnsafeBufferPointer { s in
                    gradus_dequantize_rows(acc, rows, n, scale, s.baseAddress, bias, relu ? 1 : 0, y)
                }
            }
        }
        return true
    }

    /// A quantized linear layer's output for `input` `[…, q.inputs]`, or nil when the layer must compute
    /// in Float32 (a gradient is recorded, the input is not Float32, its shape does not fit — the Float32
    /// path then reports it —, or it holds a non-finite value).
    ///
    /// With `relu`, the output is max(·, 0): a ``Sequential`` runs a quantized layer and the ``ReLU``
    /// after it as one pass.
    static func linear(_ input: Tensor, _ q: QuantizedWeights, bias: Tensor?, relu: Bool = false) -> Tensor? {
        guard input.dtype == .float32, bias == nil || bias!.dtype == .float32,
              input.rank >= 1, input.shape[input.rank - 1] == q.inputs,
              !(GradMode.isEnabled && (input.requiresGrad || (bias?.requiresGrad ?? false))) else { return nil }
        // rawPointer reads strided views in row-major order.
        let x = input
        let rows = x.shape.dropLast().reduce(1, *)
        let out = Tensor(uninitializedShape: Array(x.shape.dropLast()) + [q.outputs], dtype: .float32)
        let ok = linear(x.rawPointer.assumingMemoryBound(to: Float.self), rows: rows, q,
                        bias: bias.map { UnsafePointer($0.rawPointer.assumingMemoryBound(to: Float.self)) }, relu: relu,
                        into: out.rawPointer.assumingMemoryBound(to: Float.self))
        return ok ? out : nil
    }
}
