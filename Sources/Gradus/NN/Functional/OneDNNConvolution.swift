import CGradusOneDNN
import Synchronization

// The three passes of a Float32 convolution, grouped or not, on oneDNN's convolution primitives
// (CGradusOneDNN/gradus_convolution.c), split over Gradus's threads as ConvolutionKernels splits them:
// the batch in contiguous parts, one primitive call per part with one OpenMP thread. One image of an
// ungrouped convolution with enough work for several threads stays unfolded, whose products split over
// the threads (a grouped one's per-group products are too small to split: oneDNN on one thread was
// faster at two threads too). Parts of different sizes get primitives of their own; if oneDNN refuses
// one of them, the whole batch is unfolded.
// Each function returns false when oneDNN is not to be used or refused, and the caller unfolds instead.

enum OneDNNConvolution {
    /// Input channels from which the input gradient runs on oneDNN. Its channel-blocked kernels compute
    /// the gradient of a 1- or 3-channel image 5-13 times slower than the forward pass (one Zen 5 core,
    /// 32 images: 1→6 channels 5×5 1.10 against 0.09 ms, 3→64 4×4 stride 2 1.15 against 0.22 ms), and
    /// 6 channels 2.5 times slower; from 32 channels on both take the same time.
    static let minimumInputGradientChannels = 16

    /// Input channels from which convolutions run on oneDNN's bfloat16 kernels when products run in
    /// bfloat16 (``Float32ProductPrecision/medium``); below, on its Float32 kernels (products that stay
    /// Float32, as small products do in that mode). On one Zen 5 core, 32 images, oneDNN's bfloat16
    /// kernels ran 32→64 and 64→128 channels 2.0× as fast as its Float32 ones, but 1→6 channels' weight
    /// gradient 13× slower (its generic product-based kernel); LeNet-5's step, whose convolutions have
    /// 1 and 6 input channels, ran 22,306 samples/s with them unfolded in bfloat16 against 32,649 in
    /// Float32 on oneDNN.
    static let minimumBFloat16Channels = 16

    /// Whether a convolution computed with products in bfloat16 runs on oneDNN's bfloat16 kernels: from
    /// ``minimumBFloat16Channels`` input channels per group, and with as many multiply-adds per rounded
    /// value as a product must have to run in bfloat16 (``BFloat16Product/minimumMultiplyAddsPerRoundedValue``,
    /// for the per-sample product of a group [O/G, (C/G)·kH·kW]·[(C/G)·kH·kW, outH·outW]): a layer with
    /// one or a few output channels (a discriminator's last) stays Float32, and so does a depthwise one
    /// (9 multiply-adds per value read: memory-bound, nothing for bfloat16 to speed up).
    @inline(__always)
    static func bfloat16Applies(_ g: ConvGeometry) -> Bool {
        let p = g.perGroup
        return p.inChannels >= minimumBFloat16Channels
            && p.outChannels &* p.outPlane >= BFloat16Product.minimumMultiplyAddsPerRoundedValue &* (p.outChannels &+ p.outPlane)
    }

    /// Output positions over the batch (batch · outH · outW) from which oneDNN computes a convolution.
    /// Each call reorders the weight into the kernel's layout, a cost that the convolution's work
    /// outweighs only over enough positions: one image of 64→128 channels on 8×8 (64 positions) took
    /// 57 µs against unfolding's 50, 32→64 on 16×16 (256) 44 against 46, 8 images of either 1.2-1.3×
    /// faster on oneDNN (`gradus-bench conv_passes`, one Zen 5 core).
    static let minimumOutputPositions = 256

    /// Whether the oneDNN path applies to this convolution now. Pointwise convolutions (1×1, stride 1,
    /// no padding) stay with their single product per sample, which needs no unfolding: oneDNN's 1×1
    /// kernel plus the reorders of input and output took 1.15-1.4× its time (64→256 channels on 28×28).
    /// Grouped convolutions go to oneDNN whatever their batch and size: unfolding computes them as a
    /// product per group per sample, tiny for depthwise layers (one filter per group), which oneDNN's
    /// depthwise kernels ran 3-9 times faster down to one image of 8×8 (`gradus-bench conv_passes`,
    /// one Zen 5 core; grouped layers 1.1-2.2×; one image at two threads, oneDNN on one of them still
    /// 1.1-8× faster than unfolding with its products split); the passes that would reach oneDNN's
    /// matrix-product kernel come back refused (gradus_convolution.c) and are unfolded.
    @inline(__always)
    static func applies<T: TensorFloat>(_: T.Type, _ g: ConvGeometry) -> Bool {
        T.self == Float.self && ConvolutionBackend.effective == .oneDNN
            && g.batch > 0 && g.inSample > 0 && g.outChannels > 0 && g.outPlane > 0
            && !g.isPointwise
            && (g.groups > 1 || (g.batch &* g.outPlane >= minimumOutputPositions && (g.sampleThreads > 1 || !splitsProducts(g))))
    }

    /// Whether the unfolded path would split each sample's product over the threads: one image with
    /// enough work, at more than one thread (a batch of several images is split by samples on both
    /// paths). oneDNN could split it only
    /// through OpenMP, whose threads then compete with Gradus's worker, still spinning after the
    /// previous operation: one image's weight gradient (3→32 channels, 32×32) took 2.4 ms instead of 20 µs.
    @inline(__always)
    static func splitsProducts(_ g: ConvGeometry) -> Bool {
        Threading.count > 1 && g.batch < Threading.count
            && g.batch &* g.outChannels &* g.outPlane &* g.windowSize >= RawBLAS.splitMultiplyAdds
    }

    /// Whether the forward pass runs on oneDNN: not for an ungrouped convolution of stride 1 with small
    /// windows (C·kH·kW < 32) into 16 or more channels — an RGB image's first layer — where oneDNN writes
    /// a channels-last output whose transposition back to channels-first costs as much as the convolution
    /// (3→32 channels 3×3 on 32×32: 0.74-0.81× unfolding's speed; 1→6 channels 5×5, whose output is
    /// small, 1.14-1.34×). Depthwise layers have such windows too but blocked outputs.
    @inline(__always)
    static func forwardApplies<T: TensorFloat>(_: T.Type, _ g: ConvGeometry) -> Bool {
        applies(T.self, g) && (g.groups > 1 || !(g.isUnitStride && g.windowSize < 32 && g.outChannels >= 16))
    }

    /// The C description of `g`, for `samples` samples, with bfloat16 inputs when `bfloat16`.
    static func shape(_ g: ConvGeometry, samples: Int, bfloat16: Bool) -> gradus_convolution_shape {
        gradus_convolution_shape(batch: samples, in_channels: g.inChannels, height: g.height, width: g.width,
                                 out_channels: g.outChannels, kernel_h: g.kernelH, kernel_w: g.kernelW,
                                 stride_h: g.strideH, stride_w: g.strideW, pad_h: g.padH, pad_w: g.padW,
                                 dilation_h: g.dilationH, dilation_w: g.dilationW, out_h: g.outH, out_w: g.outW,
                                 groups: g.groups, bfloat16: bfloat16 ? 1 : 0)
    }

    /// Runs `body(part, samples)` for each part of the batch on Gradus's threads, one OpenMP thread per
    /// call; true when every call succeeded.
    private static func forEachPart(_ g: ConvGeometry, parts: Int,
                                    _ body: @Sendable (_ part: Int, _ samples: Range<Int>) -> Int32) -> Bool {
        let failed = Atomic<Bool>(false)
        if parts == 1 {
            OneDNNProduct.limitOpenMPThreads()
            return body(0, 0..<g.batch) == 0
        }
        Threading.parallelParts(g.batch, parts: parts) { part, samples in
            OneDNNProduct.limitOpenMPThreads()
            if body(part, samples) != 0 { failed.store(true, ordering: .relaxed) }
        }
        return !failed.load(ordering: .relaxed)
    }

    /// y = conv(x, w) + bias; false (y not to be relied on) when oneDNN is not used.
    static func forward<T: TensorFloat>(_ x: UnsafePointer<T>, _ w: UnsafePointer<T>, bias: UnsafePointer<T>?,
                                        _ g: ConvGeometry, into y: UnsafeMutablePointer<T>) -> Bool {
        guard forwardApplies(T.self, g) else { return false }
        let bfloat16 = BFloat16Product.enabled && bfloat16Applies(g)
        let (xs, ws, ys, bs) = (UncheckedSendable(Self.floats(x)), UncheckedSendable(Self.floats(w)),
                                UncheckedSendable(Self.floats(y)), UncheckedSendable(bias.map(Self.floats)))
        return forEachPart(g, parts: g.sampleThreads) { _, samples in
            var s = shape(g, samples: samples.count, bfloat16: bfloat16)
            return gradus_convolution_forward(&s, xs.value + samples.lowerBound * g.inSample, ws.value,
                                              bs.value, ys.value + samples.lowerBound * g.outSample)
        }
    }

    /// Whether the input gradient runs on oneDNN (ungrouped: from ``minimumInputGradientChannels`` on).
    @inline(__always)
    static func inputGradientApplies<T: TensorFloat>(_: T.Type, _ g: ConvGeometry) -> Bool {
        applies(T.self, g) && (g.groups > 1 || g.inChannels >= minimumInputGradientChannels)
    }

    /// dx = convᵀ(dy, w); false when oneDNN is not used.
    static func inputGradient<T: TensorFloat>(_ dy: UnsafePointer<T>, _ w: UnsafePointer<T>,
                                              _ g: ConvGeometry, into dx: UnsafeMutablePointer<T>) -> Bool {
        guard inputGradientApplies(T.self, g) else { return false }
        let bfloat16 = BFloat16Product.enabled && bfloat16Applies(g)
        let (dys, ws, dxs) = (UncheckedSendable(Self.floats(dy)), UncheckedSendable(Self.floats(w)), UncheckedSendable(Self.floats(dx)))
        return forEachPart(g, parts: g.sampleThreads) { _, samples in
            var s = shape(g, samples: samples.count, bfloat16: bfloat16)
            return gradus_convolution_backward_data(&s, dys.value + samples.lowerBound * g.outSample, ws.value,
                                                    dxs.value + samples.lowerBound * g.inSample)
        }
    }

    /// dw = Σₙ dyₙ ⋆ xₙ; false when oneDNN is not used. Each part's sum is added in part order.
    static func weightGradient<T: TensorFloat>(_ x: UnsafePointer<T>, _ dy: UnsafePointer<T>,
                                               _ g: ConvGeometry, into dw: UnsafeMutablePointer<T>) -> Bool {
        guard applies(T.self, g) else { return false }
        let bfloat16 = BFloat16Product.enabled && bfloat16Applies(g)
        let parts = Swift.min(g.sampleThreads, g.batch)
        let size = g.weightCount
        // Part 0 writes dw, the others their own buffers, added at the end.
        let partials = UnsafeMutablePointer<Float>.allocate(capacity: Swift.max(parts - 1, 0) * size)
        defer { partials.deallocate() }
        let (xs, dys, dws, ps) = (UncheckedSendable(Self.floats(x)), UncheckedSendable(Self.floats(dy)),
                                  UncheckedSendable(Self.floats(dw)), UncheckedSendable(partials))
        let done = forEachPart(g, parts: parts) { part, samples in
            var s = shape(g, samples: samples.count, bfloat16: bfloat16)
            return gradus_convolution_backward_weights(&s, xs.value + samples.lowerBound * g.inSample,
                                                       dys.value + samples.lowerBound * g.outSample,
                                                       part == 0 ? dws.value : ps.value + (part - 1) * size)
        }
        guard done else { return false }
        ConvolutionKernels.addPartialSums(UnsafePointer(partials), parts: parts - 1, size: size, into: Self.floats(dw))
        return true
    }

    /// The kernel oneDNN chose for a pass of `g` on this thread (0 forward, 1 input gradient, 2 weight
    /// gradient), e.g. "jit:avx512_core"; "" when it offers none worth running. For tests.
    static func kernel(_ g: ConvGeometry, pass: Int32) -> String {
        OneDNNProduct.limitOpenMPThreads()   // as the calls run, so that the report is of their kernel
        var s = shape(g, samples: g.batch, bfloat16: BFloat16Product.enabled && bfloat16Applies(g))
        return String(cString: gradus_convolution_kernel(&s, pass))
    }

    @inline(__always)
    private static func floats<T>(_ p: UnsafePointer<T>) -> UnsafePointer<Float> {
        UnsafeRawPointer(p).assumingMemoryBound(to: Float.self)
    }

    @inline(__always)
    private static func floats<T>(_ p: UnsafeMutablePointer<T>) -> UnsafeMutablePointer<Float> {
        UnsafeMutableRawPointer(p).assumingMemoryBound(to: Float.self)
    }
}
