import CGradusMath
import CGradusOneDNN
import Synchronization
/// Entry points for tests of kernels that Gradus chooses at run time (by processor features, by size or
/// by backend), so that a test can run each path on the same inputs whatever this machine would choose.
/// Not part of the supported API: import with `@_spi(KernelTesting) import Gradus`.
@_spi(KernelTesting)
public enum KernelTesting {
    /// c = op(a)·op(b) + beta·c on row-major buffers laid out as BLAS expects (op(a) m×k, op(b) k×n,
    /// c m×`ldc`), computed by `backend` whatever its size.
    public static func product(m: Int, n: Int, k: Int, _ a: [Float], lda: Int, transA: Bool,
                               _ b: [Float], ldb: Int, transB: Bool,
                               beta: Float, _ c: inout [Float], ldc: Int, backend: MatrixProductBackend) {
        invariant(a.count >= (transA ? k : m) * lda && b.count >= (transB ? n : k) * ldb && c.count >= m * ldc,
                     "KernelTesting.product: buffers smaller than their shapes")
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    RawBLAS.gemm(m: m, n: n, k: k, pa.baseAddress!, lda: lda, transA: transA,
                                 pb.baseAddress!, ldb: ldb, transB: transB, beta: beta, pc.baseAddress!, ldc: ldc,
                                 backend: backend)
                }
            }
        }
    }

    /// The backend a value of `GRADUS_MATRIX_BACKEND` selects, and the warning printed for a value that
    /// names none.
    public static func backendChoice(environmentValue: String?) -> (MatrixProductBackend, warning: String?) {
        MatrixProductBackend.choice(environmentValue: environmentValue)
    }

    /// Multiply-adds from which the active oneDNN backend computes a Float32 product.
    public static var oneDNNMinimumMultiplyAdds: Int { OneDNNProduct.minimumMultiplyAdds }

    /// Runs `body` with dynamic quantization's activations in 7 bits (`reduced`, the path of processors
    /// without VNNI) or 8 bits, whatever this processor would use, in this task only (tests running
    /// beside it keep the processor's choice).
    public static func withReducedActivationRange<R>(_ reduced: Bool, _ body: () throws -> R) rethrows -> R {
        try DynamicQuantization.$reducedRangeOverride.withValue(reduced) { try body() }
    }

    /// Runs `body` with one-row quantized products on CGradusMath's VNNI row kernel (`rowKernel`, where
    /// the processor can run it) or on oneDNN, in this task only.
    public static func withQuantizedRowKernel<R>(_ rowKernel: Bool, _ body: () throws -> R) rethrows -> R {
        try DynamicQuantization.$rowKernelOverride.withValue(rowKernel) { try body() }
    }

    /// Runs `body` with an ``InferencePlan`` compiling one-sample linear layers as row products
    /// (`rowProducts`, the default) or as oneDNN inner products; restores the default after. Plans
    /// compiled inside keep their choice.
    public static func withInferenceRowProducts<R>(_ rowProducts: Bool, _ body: () throws -> R) rethrows -> R {
        InferenceBuilder.rowProductsOverride.store(rowProducts ? 0 : 1, ordering: .relaxed)
        defer { InferenceBuilder.rowProductsOverride.store(0, ordering: .relaxed) }
        return try body()
    }

    /// How an ``InferencePlan``'s convolutions are computed.
    public enum InferenceConvolution: Sendable, Equatable {
        /// The fastest of oneDNN's direct and Winograd kernels on this machine, timed when compiled (the default).
        case fastest
        /// oneDNN's first direct kernel.
        case direct
        /// oneDNN's first Winograd kernel where it has one (3×3, stride 1, no dilation; F(2×2, 3×3) for
        /// one image on AVX-512, F(4×4, 3×3) for more), direct elsewhere.
        case winograd
        /// Only oneDNN's kernels whose implementation name contains the string (`"wino_4x3"`,
        /// `"brgconv"`, `"jit:avx512_core"`, …), timed as ``fastest``; a convolution none of them
        /// computes runs as the model runs it.
        case kernel(String)
    }

    /// Runs `body` with ``InferencePlan``s compiling convolutions as `algorithm`; restores the default after.
    public static func withInferenceConvolutions<R>(_ algorithm: InferenceConvolution, _ body: () throws -> R) rethrows -> R {
        let value = switch algorithm {
        case .fastest, .kernel: gradus_convolution_fastest
        case .direct: gradus_convolution_direct
        case .winograd: gradus_convolution_winograd
        }
        if case .kernel(let name) = algorithm { InferenceBuilder.convolutionKernelFilter.withLock { $0 = name } }
        InferenceBuilder.convolutionAlgorithm.store(value.rawValue, ordering: .relaxed)
        defer {
            InferenceBuilder.convolutionAlgorithm.store(gradus_convolution_fastest.rawValue, ordering: .relaxed)
            InferenceBuilder.convolutionKernelFilter.withLock { $0 = nil }
        }
        return try body()
    }

    /// Runs `body` with the oneDNN chains of ``InferencePlan``s refusing steps past the first `limit`
    /// of each chain (reorders, layers, separate activations), as an allocation failure would: a layer
    /// whose steps do not all fit must be left out of the chain entirely and run as the model runs it.
    /// Plans compiled by other tasks at the same time are not limited.
    public static func withInferenceChainStepLimit<R>(_ limit: Int, _ body: () throws -> R) rethrows -> R {
        try InferenceBuilder.$chainStepLimit.withValue(limit, operation: body)
    }

    /// How many convolutions compiled by ``InferencePlan``s in this process took the kernel already timed
    /// for the same layer and setting instead of timing the kernels again.
    public static var reusedConvolutionChoices: Int { gradus_network_reused_convolution_choices() }

    /// Whether this processor can run the VNNI row kernel of one-row quantized products.
    public static var hasQuantizedRowKernel: Bool { DynamicQuantization.hasRowKernel }

    /// The ways Gradus rounds Float32 to bfloat16; each gives the same bits.
    public enum BFloat16Rounding: Int32, Sendable, CaseIterable {
        /// The branch-free C loop of processors without AVX-512.
        case portable = 0
        /// The AVX-512 integer form.
        case avx512Integer = 1
        /// AVX512_BF16's conversion instruction, with groups holding subnormals through the integer form.
        case avx512BFloat16 = 2
    }

    /// The rounding path this processor runs by default (the fastest it has).
    public static var bestBFloat16Rounding: BFloat16Rounding {
        BFloat16Rounding(rawValue: gradus_round_to_bf16_best()) ?? .portable
    }

    /// The bits of each value rounded to bfloat16 on `path` (the best one this processor has when it
    /// lacks `path`'s instructions).
    public static func bfloat16Bits(_ values: [Float], path: BFloat16Rounding) -> [UInt16] {
        var out = [UInt16](repeating: 0, count: values.count)
        values.withUnsafeBufferPointer { v in
            out.withUnsafeMutableBufferPointer { o in
                gradus_round_to_bf16_with(v.baseAddress, v.count, o.baseAddress, path.rawValue)
            }
        }
        return out
    }

    /// Whether the strided kernels take the view (`shape`, `strides`) for distinct memory, which lets them
    /// split its writes over the threads (a view that repeats memory is written on one thread).
    public static func isNonOverlapping(shape: [Int], strides: [Int]) -> Bool {
        Tensor.isNonOverlapping(shape: shape, strides: strides)
    }

    /// The columns `columns` of the row-major `rows`×`values.count / rows` matrix `values` rounded to
    /// bfloat16 on `path` (the other columns of `bits` stay 0), and each of those columns' sums over the
    /// rows (0 elsewhere): the one-pass kernel behind a linear layer's bias gradient in bfloat16.
    public static func bfloat16BitsAndColumnSums(_ values: [Float], rows: Int, columns: Range<Int>,
                                                 path: BFloat16Rounding) -> (bits: [UInt16], sums: [Float]) {
        let width = rows == 0 ? 0 : values.count / rows
        var bits = [UInt16](repeating: 0, count: values.count)
        var sums = [Float](repeating: 0, count: width)
        values.withUnsafeBufferPointer { v in
            bits.withUnsafeMutableBufferPointer { o in
                sums.withUnsafeMutableBufferPointer { s in
                    gradus_round_to_bf16_column_sums(v.baseAddress, rows, width, columns.lowerBound, columns.upperBound,
                                                     o.baseAddress, s.baseAddress, path.rawValue)
                }
            }
        }
        return (bits, sums)
    }

    /// ``product(m:n:k:_:lda:transA:_:ldb:transB:beta:_:ldc:backend:)`` with the operands rounded to
    /// bfloat16 (``Float32ProductPrecision/medium``), plus `bias` (n values) in every row when given;
    /// false when oneDNN refused it.
    public static func bfloat16Product(m: Int, n: Int, k: Int, _ a: [Float], lda: Int, transA: Bool,
                                       _ b: [Float], ldb: Int, transB: Bool,
                                       beta: Float, bias: [Float]? = nil, _ c: inout [Float], ldc: Int) -> Bool {
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    (bias ?? []).withUnsafeBufferPointer { pbias in
                        BFloat16Product.sgemm(m: m, n: n, k: k, pa.baseAddress!, lda: lda, transA: transA, pb.baseAddress!,
                                              ldb: ldb, transB: transB, beta: beta, bias: bias == nil ? nil : pbias.baseAddress,
                                              pc.baseAddress!, ldc: ldc)
                    }
                }
            }
        }
    }

    /// Runs `body` and returns how many tensors bfloat16 products rounded meanwhile on this task
    /// (``BFloat16Copy``): a linear layer's forward and backward passes round its input and weight once
    /// each per pass, and its output gradient once for both gradient products.
    public static func countingBFloat16Roundings<R>(_ body: () throws -> R) rethrows -> (result: R, roundings: Int) {
        let counter = RoundingCounter()
        let result = try $bfloat16Roundings.withValue(counter) { try body() }
        return (result, counter.count.load(ordering: .relaxed))
    }

    /// Rounds the Float32 `tensor` into a bfloat16 copy as products do (over the threads when large) and
    /// tells whether the copy holds `tensor`'s values rounded as ``bfloat16Bits(_:path:)`` rounds them,
    /// and whether it serves the tensor `other` returns (called after the rounding): the same elements of
    /// the same storage, nothing written since.
    public static func bfloat16Copy(of tensor: Tensor, serves other: () throws -> Tensor) rethrows
        -> (valuesRounded: Bool, servesOther: Bool) {
        let copy = BFloat16Copy(rounding: tensor)
        let expected = bfloat16Bits(tensor.scalars(as: Float.self), path: .portable)
        let valuesRounded = zip(UnsafeBufferPointer(start: copy.pointer, count: tensor.count), expected).allSatisfy { $0 == $1 }
        return (valuesRounded, copy.holds(try other()))
    }

    final class RoundingCounter: @unchecked Sendable { let count = Atomic<Int>(0) }
    @TaskLocal static var bfloat16Roundings: RoundingCounter?

    /// Whether recurrent layers run step by step, as a graph of per-step operations, rather than as one
    /// fused operation per sequence (``withStepwiseRecurrence(_:)``).
    @TaskLocal static var stepwiseRecurrence = false

    /// Runs `body` with Float32 convolutions computed by `backend` in this task only (tests
    /// running beside it keep ``ConvolutionBackend/active``).
    public static func withConvolutionBackend<R>(_ backend: ConvolutionBackend, _ body: () throws -> R) rethrows -> R {
        try ConvolutionBackend.$taskOverride.withValue(backend) { try body() }
    }

    /// The backend a value of `GRADUS_CONVOLUTION_BACKEND` selects, and the warning for a value naming none.
    public static func convolutionBackendChoice(environmentValue: String?) -> (ConvolutionBackend, warning: String?) {
        ConvolutionBackend.choice(environmentValue: environmentValue)
    }

    /// The oneDNN kernel that computes a pass of a convolution on the calling thread (0 forward, 1 input
    /// gradient, 2 weight gradient), e.g. `"jit:avx512_core"`; `""` when oneDNN offers none worth running
    /// (only its reference kernel, or for a grouped convolution its matrix-product kernel), so that Gradus
    /// unfolds. Input `[batch, inChannels, height, width]`, weight
    /// `[outChannels, inChannels / groups, kernel.0, kernel.1]`.
    public static func convolutionKernel(pass: Int, batch: Int, inChannels: Int, height: Int, width: Int, outChannels: Int,
                                         kernel: (Int, Int), stride: (Int, Int) = (1, 1), padding: (Int, Int) = (0, 0),
                                         dilation: (Int, Int) = (1, 1), groups: Int = 1) -> String {
        let g = geometry(batch: batch, inChannels: inChannels, height: height, width: width, outChannels: outChannels,
                         kernel: kernel, stride: stride, padding: padding, dilation: dilation, groups: groups)
        return OneDNNConvolution.kernel(g, pass: Int32(pass))
    }

    /// Which passes of a Float32 convolution Gradus gives to oneDNN with ``ConvolutionBackend/oneDNN``
    /// in effect, at the caller's thread count and precision, the others being unfolded: forward, input
    /// gradient, weight gradient; and whether those passes read bfloat16 copies of their inputs (products
    /// in bfloat16, ``Float32ProductPrecision/medium``, on a layer large enough) or Float32. A pass given
    /// to oneDNN is still unfolded where oneDNN offers no kernel worth running
    /// (``convolutionKernel(pass:batch:inChannels:height:width:outChannels:kernel:stride:padding:dilation:groups:)``).
    public static func convolutionPassesOnOneDNN(batch: Int, inChannels: Int, height: Int, width: Int, outChannels: Int,
                                                 kernel: (Int, Int), stride: (Int, Int) = (1, 1), padding: (Int, Int) = (0, 0),
                                                 dilation: (Int, Int) = (1, 1), groups: Int = 1)
        -> (forward: Bool, inputGradient: Bool, weightGradient: Bool, bfloat16: Bool) {
        let g = geometry(batch: batch, inChannels: inChannels, height: height, width: width, outChannels: outChannels,
                         kernel: kernel, stride: stride, padding: padding, dilation: dilation, groups: groups)
        return withConvolutionBackend(.oneDNN) {
            (OneDNNConvolution.forwardApplies(Float.self, g), OneDNNConvolution.inputGradientApplies(Float.self, g),
             OneDNNConvolution.applies(Float.self, g), BFloat16Product.enabled && OneDNNConvolution.bfloat16Applies(g))
        }
    }

    /// How many successful oneDNN convolution calls the calling thread has made (a call oneDNN fails is
    /// not counted, and its pass is unfolded). With one thread (``Threading/withCount(_:_:)``) each pass of
    /// the caller's convolutions is one call on the calling thread; with more, each part of the batch is a
    /// call on the thread that ran it.
    public static var convolutionPassesRunOnOneDNN: Int { gradus_convolution_runs_on_this_thread() }

    private static func geometry(batch: Int, inChannels: Int, height: Int, width: Int, outChannels: Int, kernel: (Int, Int),
                                 stride: (Int, Int), padding: (Int, Int), dilation: (Int, Int), groups: Int) -> ConvGeometry {
        let outH = Functional.windowOutput(height, kernel: kernel.0, stride: stride.0, padding: padding.0, dilation: dilation.0)
        let outW = Functional.windowOutput(width, kernel: kernel.1, stride: stride.1, padding: padding.1, dilation: dilation.1)
        return ConvGeometry(batch: batch, inChannels: inChannels, height: height, width: width, outChannels: outChannels,
                            kernelH: kernel.0, kernelW: kernel.1, strideH: stride.0, strideW: stride.1,
                            padH: padding.0, padW: padding.1, dilationH: dilation.0, dilationW: dilation.1, outH: outH, outW: outW,
                            groups: groups)
    }

    /// Runs `body` with recurrent layers computed step by step (the path of Float64 and of layers
    /// without a fused sequence), to compare the fused RNN, LSTM and GRU sequences against it.
    public static func withStepwiseRecurrence<R>(_ body: () throws -> R) rethrows -> R {
        try $stepwiseRecurrence.withValue(true) { try body() }
    }

    /// Runs `body` with the plain C kernels where this processor would run their vector copies (AVX2+FMA:
    /// sigmoid, tanh, the LSTM and GRU cells, the fused RNN sequence's cell, batch normalization, max
    /// pooling; AVX-512: 2×2 max pooling, the packed row products of inference plans, int8 activation
    /// quantization; AVX512-VNNI: the int8 row kernel), on this thread and the workers of its jobs.
    public static func withPortableKernels<R>(_ body: () throws -> R) rethrows -> R {
        let saved = gradus_portable_kernels_get()
        gradus_portable_kernels_set(1)
        defer { gradus_portable_kernels_set(saved) }
        return try body()
    }
}
