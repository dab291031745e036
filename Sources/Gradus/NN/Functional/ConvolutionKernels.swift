import CGradusOneDNN

// The compute behind 2-D convolution where oneDNN's kernels do not take it (OneDNNConvolution,
// ConvolutionBackend), one sample at a time: the sample's windows are unfolded into a small scratch
// matrix [C·kH·kW, outH·outW] (im2col, PyTorch's layout) that stays in cache, and one matrix product
// with the weight [O, C·kH·kW] writes the output [O, outH·outW] in place, channels first: no
// batch-sized column buffer and no permutation afterwards. A grouped convolution does this for each
// group of each sample (its channels are contiguous in the sample, its filters in the weight). The
// batch is split across Gradus's threads, each sample's product running single-threaded on its thread.

/// The sizes of one 2-D convolution over a batch: `groups` groups of `inChannels / groups` input
/// channels, each convolved with its own `outChannels / groups` filters (1: every filter reads every
/// channel).
struct ConvGeometry: Sendable, Equatable {
    let batch: Int, inChannels: Int, height: Int, width: Int, outChannels: Int
    let kernelH: Int, kernelW: Int
    let strideH: Int, strideW: Int
    let padH: Int, padW: Int
    let dilationH: Int, dilationW: Int
    let outH: Int, outW: Int
    /// Channel groups; both channel counts are multiples of it.
    var groups: Int = 1

    /// Elements of one unfolded window of a group ((C / groups)·kH·kW): the inner size of the product.
    var windowSize: Int { inChannels / groups * kernelH * kernelW }
    /// Output positions per channel (outH·outW).
    var outPlane: Int { outH * outW }
    /// Elements of one input sample (C·H·W).
    var inSample: Int { inChannels * height * width }
    /// Elements of one output sample (O·outH·outW).
    var outSample: Int { outChannels * outPlane }
    /// A 1×1 kernel with stride 1 and no padding reads the input as it is: no unfolding needed.
    var isPointwise: Bool {
        kernelH == 1 && kernelW == 1 && strideH == 1 && strideW == 1 && padH == 0 && padW == 0
    }

    /// The input shape `[N, C, H, W]`.
    var inputShape: [Int] { [batch, inChannels, height, width] }
    /// The output shape `[N, O, outH, outW]`.
    var outputShape: [Int] { [batch, outChannels, outH, outW] }
    /// The weight shape `[O, C / groups, kH, kW]`.
    var weightShape: [Int] { [outChannels, inChannels / groups, kernelH, kernelW] }

    /// The convolution of one group: its channels and filters, ungrouped (the geometry itself when
    /// ungrouped). A group's input channels start at `group · perGroup.inSample` in a sample, its output
    /// channels at `group · perGroup.outSample`, its filters at `group · perGroup.weightCount`.
    var perGroup: ConvGeometry {
        guard groups > 1 else { return self }
        return ConvGeometry(batch: batch, inChannels: inChannels / groups, height: height, width: width,
                            outChannels: outChannels / groups, kernelH: kernelH, kernelW: kernelW,
                            strideH: strideH, strideW: strideW, padH: padH, padW: padW,
                            dilationH: dilationH, dilationW: dilationW, outH: outH, outW: outW)
    }
    /// Elements of the weight (O·(C / groups)·kH·kW).
    var weightCount: Int { outChannels * windowSize }

    /// Stride 1 in both directions: unfolded rows are runs of the padded image (the "wide" path).
    var isUnitStride: Bool { strideH == 1 && strideW == 1 }
    /// Whether the input has a zero border.
    var isPadded: Bool { padH > 0 || padW > 0 }
    /// Padded height and width.
    var paddedH: Int { height + 2 * padH }
    var paddedW: Int { width + 2 * padW }
    /// Columns of the wide product: outH rows of the padded width, the last one cut at outW.
    var wideColumns: Int { (outH - 1) * paddedW + outW }
    /// Columns of the unfolded matrix: wide on the stride-1 path, outH·outW otherwise.
    var columns: Int { isUnitStride && !isPointwise ? wideColumns : outPlane }

    /// How many threads to split the batch over: one per core when the batch has enough work to pay
    /// for the split (each sample's product then runs single-threaded on its thread).
    var sampleThreads: Int {
        let perSample = outChannels * outPlane * windowSize
        guard batch * perSample >= RawBLAS.splitMultiplyAdds else { return 1 }
        return Swift.min(Threading.count, batch)
    }
}

enum ConvolutionKernels {
    /// The range of output columns whose input column `ox·stride + offset` lies inside `0..<size`.
    @inline(__always)
    static func validRange(outSize: Int, size: Int, stride: Int, offset: Int) -> Range<Int> {
        let lo = offset >= 0 ? 0 : (-offset + stride - 1) / stride
        let last = size - 1 - offset
        let hi = last < 0 ? 0 : Swift.min(outSize, last / stride + 1)
        return lo < hi ? lo..<hi : lo..<lo
    }

    /// Visits, in the order of the unfolded matrix `[C·kH·kW, outH·outW]`, each output row of each
    /// unfolded row (channel, ky, kx): `colsOffset` is where it starts in the matrix, `imageOffset`
    /// where its input row starts in the sample, shifted by the kernel column (nil when the row lies in
    /// the padding or no column reads inside the input), and `valid` the output columns that read
    /// inside the input, at `imageOffset + ox·strideW`. The traversal shared by im2col and col2im.
    @inline(__always)
    static func forEachWindowRow(_ g: ConvGeometry,
                                 _ body: (_ colsOffset: Int, _ imageOffset: Int?, _ valid: Range<Int>) -> Void) {
        var row = 0
        for ch in 0..<g.inChannels {
            let image = ch &* g.height &* g.width
            for ky in 0..<g.kernelH {
                for kx in 0..<g.kernelW {
                    let offset = kx &* g.dilationW &- g.padW
                    let valid = validRange(outSize: g.outW, size: g.width, stride: g.strideW, offset: offset)
                    for oy in 0..<g.outH {
                        let iy = oy &* g.strideH &- g.padH &+ ky &* g.dilationH
                        let inside = iy >= 0 && iy < g.height && !valid.isEmpty
                        body(row &+ oy &* g.outW, inside ? image &+ iy &* g.width &+ offset : nil, valid)
                    }
                    row &+= g.outPlane
                }
            }
        }
    }

    /// Unfolds one sample `[C, H, W]` into `cols` `[C·kH·kW, outH·outW]`, zeros for padding.
    static func im2col<T: TensorFloat>(_ x: UnsafePointer<T>, _ g: ConvGeometry, into cols: UnsafeMutablePointer<T>) {
        forEachWindowRow(g) { colsOffset, imageOffset, valid in
            let dst = cols + colsOffset
            guard let imageOffset else {
                ShortCopy.zero(dst, count: g.outW)
                return
            }
            let src = x + imageOffset
            if valid.lowerBound > 0 { ShortCopy.zero(dst, count: valid.lowerBound) }
            if g.strideW == 1 {
                ShortCopy.copy(dst + valid.lowerBound, from: src + valid.lowerBound, count: valid.count)
            } else {
                for ox in valid { dst[ox] = src[ox &* g.strideW] }
            }
            if valid.upperBound < g.outW {
                ShortCopy.zero(dst + valid.upperBound, count: g.outW &- valid.upperBound)
            }
        }
    }

    /// Adds unfolded windows `cols` `[C·kH·kW, outH·outW]` back into one sample `x` `[C, H, W]` (col2im),
    /// the adjoint of ``im2col(_:_:into:)``; padding positions are dropped.
    static func col2imAdd<T: TensorFloat>(_ cols: UnsafePointer<T>, _ g: ConvGeometry, into x: UnsafeMutablePointer<T>) {
        forEachWindowRow(g) { colsOffset, imageOffset, valid in
            guard let imageOffset else { return }
            let src = cols + colsOffset, dst = x + imageOffset
            if g.strideW == 1 {
                for ox in valid { dst[ox] += src[ox] }
            } else {
                for ox in valid { dst[ox &* g.strideW] += src[ox] }
            }
        }
    }

    // MARK: Wide unfolding (stride 1)
    //
    // With stride 1, the window rows of neighbouring outputs are runs of the padded image: row
    // (c, ky, kx) of the unfolded matrix, read with the padded width Wp as its row length, is one
    // contiguous run of Hp·Wp-image elements starting at c·Hp·Wp + ky·dH·Wp + kx·dW. The product then
    // computes outputs for all Wp columns of each output row ("wide" rows, of which the first outW are
    // real) over (outH − 1)·Wp + outW columns: a few percent more multiply-adds, but the unfolding is
    // C·kH·kW long copies instead of C·kH·kW·outH short ones.

    /// The sample with its zero border: `x` itself without padding, otherwise a copy in `scratch`.
    /// `T` is the element type, or the bfloat16 bits `UInt16` (zero bits are zero in both).
    static func padded<T>(_ x: UnsafePointer<T>, _ g: ConvGeometry, scratch: UnsafeMutablePointer<T>?) -> UnsafePointer<T> {
        guard let scratch else { return x }
        let (hp, wp) = (g.paddedH, g.paddedW)
        ShortCopy.zero(scratch, count: g.inChannels &* hp &* wp)
        for ch in 0..<g.inChannels {
            for iy in 0..<g.height {
                ShortCopy.copy(scratch + ((ch &* hp &+ iy &+ g.padH) &* wp &+ g.padW),
                               from: x + (ch &* g.height &+ iy) &* g.width, count: g.width)
            }
        }
        return UnsafePointer(scratch)
    }

    /// Copies the interior of a padded sample `p` `[C, Hp, Wp]` into `x` `[C, H, W]`, the inverse of
    /// ``padded(_:_:scratch:)``.
    static func unpad<T: TensorFloat>(_ p: UnsafePointer<T>, _ g: ConvGeometry, into x: UnsafeMutablePointer<T>) {
        for ch in 0..<g.inChannels {
            for iy in 0..<g.height {
                ShortCopy.copy(x + (ch &* g.height &+ iy) &* g.width,
                               from: p + ((ch &* g.paddedH &+ iy &+ g.padH) &* g.paddedW &+ g.padW), count: g.width)
            }
        }
    }

    /// Visits the rows of the wide unfolded matrix in order: `row` is where row (channel, ky, kx) starts
    /// in the matrix, `offset` where its run starts in the padded sample.
    @inline(__always)
    static func forEachWideRow(_ g: ConvGeometry, _ body: (_ row: Int, _ offset: Int) -> Void) {
        var row = 0
        for ch in 0..<g.inChannels {
            for ky in 0..<g.kernelH {
                for kx in 0..<g.kernelW {
                    body(row, (ch &* g.paddedH &+ ky &* g.dilationH) &* g.paddedW &+ kx &* g.dilationW)
                    row &+= g.wideColumns
                }
            }
        }
    }

    /// Unfolds a padded sample into `cols` `[C·kH·kW, wideColumns]` (stride 1 only; `T` as in
    /// ``padded(_:_:scratch:)``).
    static func wideIm2col<T>(_ p: UnsafePointer<T>, _ g: ConvGeometry, into cols: UnsafeMutablePointer<T>) {
        forEachWideRow(g) { row, offset in (cols + row).update(from: p + offset, count: g.wideColumns) }
    }

    /// Adds wide unfolded rows back into a padded sample `p` `[C, Hp, Wp]`, the adjoint of ``wideIm2col(_:_:into:)``.
    static func wideCol2imAdd<T: TensorFloat>(_ cols: UnsafePointer<T>, _ g: ConvGeometry, into p: UnsafeMutablePointer<T>) {
        forEachWideRow(g) { row, offset in
            let src = cols + row, dst = p + offset
            for j in 0..<g.wideColumns { dst[j] += src[j] }
        }
    }

    /// Spreads one sample's output gradient `[O, outH·outW]` into wide rows `[O, wideColumns]`, zeros in
    /// the columns past outW (so they contribute nothing; `T` as in ``padded(_:_:scratch:)``).
    static func widen<T>(_ dy: UnsafePointer<T>, _ g: ConvGeometry, into wide: UnsafeMutablePointer<T>) {
        let n = g.wideColumns, wp = g.paddedW, gap = wp &- g.outW
        for o in 0..<g.outChannels {
            let src = dy + o &* g.outPlane, dst = wide + o &* n
            for oy in 0..<g.outH {
                ShortCopy.copy(dst + oy &* wp, from: src + oy &* g.outW, count: g.outW)
                if oy &+ 1 < g.outH && gap > 0 { ShortCopy.zero(dst + (oy &* wp &+ g.outW), count: gap) }
            }
        }
    }

    // MARK: Batched kernels

    /// The scratch memory of one thread's share of the batch.
    struct Workspace<T: TensorFloat> {
        /// The unfolded sample (or its gradient), `[C·kH·kW, columns]`; nil for pointwise kernels.
        let cols: UnsafeMutablePointer<T>?
        /// The zero-bordered sample `[C, Hp, Wp]` (wide path with padding).
        let padded: UnsafeMutablePointer<T>?
        /// Wide output rows `[O, wideColumns]` (wide path).
        let wide: UnsafeMutablePointer<T>?
        /// For products in bfloat16 on the wide path (nil otherwise): the rounded sample or output gradient
        /// (scratch that ``unfoldedBFloat16(_:_:_:)`` and ``outputGradientRowsBFloat16(_:_:_:)`` each use
        /// only until they return), the rounded sample with its zero border, its unfolding, and the widened
        /// output gradient.
        let sample16, padded16, cols16, wide16: UnsafeMutablePointer<UInt16>?

        /// - Parameter bfloat16: whether this pass's products run in bfloat16 (only the wide path then
        ///   makes its operands in bfloat16, ``unfoldedBFloat16(_:_:_:)``).
        init(_ g: ConvGeometry, bfloat16: Bool = false) {
            let wideRows = g.isUnitStride && !g.isPointwise
            cols = g.isPointwise ? nil : .allocate(capacity: g.windowSize * g.columns)
            padded = wideRows && g.isPadded ? .allocate(capacity: g.inChannels * g.paddedH * g.paddedW) : nil
            wide = wideRows ? .allocate(capacity: g.outChannels * g.wideColumns) : nil
            let rounding = bfloat16 && wideRows && T.self == Float.self
            sample16 = rounding ? .allocate(capacity: Swift.max(g.inSample, g.outSample)) : nil
            padded16 = rounding && g.isPadded ? .allocate(capacity: g.inChannels * g.paddedH * g.paddedW) : nil
            cols16 = rounding ? .allocate(capacity: g.windowSize * g.columns) : nil
            wide16 = rounding ? .allocate(capacity: g.outChannels * g.wideColumns) : nil
        }

        func deallocate() {
            cols?.deallocate()
            padded?.deallocate()
            wide?.deallocate()
            for buffer in [sample16, padded16, cols16, wide16] { buffer?.deallocate() }
        }
    }

    /// One sample unfolded into `[C·kH·kW, g.columns]`: the input itself for pointwise kernels.
    @inline(__always)
    static func unfolded<T: TensorFloat>(_ x: UnsafePointer<T>, _ g: ConvGeometry, _ ws: Workspace<T>) -> UnsafePointer<T> {
        guard let cols = ws.cols else { return x }
        if g.isUnitStride {
            wideIm2col(padded(x, g, scratch: ws.padded), g, into: cols)
        } else {
            im2col(x, g, into: cols)
        }
        return UnsafePointer(cols)
    }

    /// One sample's output gradient with `g.columns` columns per channel (widened on the wide path).
    @inline(__always)
    static func outputGradientRows<T: TensorFloat>(_ dy: UnsafePointer<T>, _ g: ConvGeometry, _ ws: Workspace<T>) -> UnsafePointer<T> {
        guard let wide = ws.wide else { return dy }
        widen(dy, g, into: wide)
        return UnsafePointer(wide)
    }

    // MARK: bfloat16 operands made while unfolding
    //
    // When a pass's products run in bfloat16 (``Float32ProductPrecision/medium``), the wide path makes
    // their operands in bfloat16 directly: the sample is rounded once (C·H·W values), then bordered and
    // unfolded as 16-bit values, instead of being unfolded in Float32 and the C·kH·kW times larger matrix
    // rounded by the product; the output gradient likewise is rounded, then widened. Rounding commutes
    // with copying and zero is zero, so the product reads the same bits as before, from half the bytes.

    /// One sample unfolded in bfloat16 into `ws.cols16` `[C·kH·kW, wideColumns]` (wide path, workspace
    /// made with `bfloat16`).
    static func unfoldedBFloat16<T: TensorFloat>(_ x: UnsafePointer<T>, _ g: ConvGeometry, _ ws: Workspace<T>) -> UnsafePointer<UInt16> {
        let sample = ws.sample16!, cols = ws.cols16!
        gradus_round_to_bf16(UnsafeRawPointer(x).assumingMemoryBound(to: Float.self), g.inSample, sample)
        wideIm2col(padded(UnsafePointer(sample), g, scratch: ws.padded16), g, into: cols)
        return UnsafePointer(cols)
    }

    /// One sample's output gradient rounded to bfloat16 and widened into `ws.wide16` `[O, wideColumns]`.
    static func outputGradientRowsBFloat16<T: TensorFloat>(_ dy: UnsafePointer<T>, _ g: ConvGeometry, _ ws: Workspace<T>) -> UnsafePointer<UInt16> {
        let sample = ws.sample16!, wide = ws.wide16!
        gradus_round_to_bf16(UnsafeRawPointer(dy).assumingMemoryBound(to: Float.self), g.outSample, sample)
        widen(UnsafePointer(sample), g, into: wide)
        return UnsafePointer(wide)
    }

    /// c = op(a)·op(b) + beta·c from bfloat16 operands with Float32 accumulation, on the calling thread;
    /// false when oneDNN refused it (nothing written).
    static func bfloat16Gemm<T: TensorFloat>(m: Int, n: Int, k: Int, _ a: UnsafePointer<UInt16>, lda: Int, transA: Bool,
                                             _ b: UnsafePointer<UInt16>, ldb: Int, transB: Bool, beta: T,
                                             _ c: UnsafeMutablePointer<T>, ldc: Int) -> Bool {
        OneDNNProduct.limitOpenMPThreads()
        return gradus_bf16_gemm(m, n, k, a, lda, transA ? 1 : 0, b, ldb, transB ? 1 : 0, Float(beta),
                                UnsafeMutableRawPointer(c).assumingMemoryBound(to: Float.self), ldc) == 0
    }

    /// Runs `body(part, samples)` over the batch split into `g.sampleThreads` contiguous parts, each with
    /// its own workspace for one group of one sample (with bfloat16 buffers when `bfloat16`).
    @inline(__always)
    static func forEachPart<T: TensorFloat>(_ g: ConvGeometry, _: T.Type, parts: Int? = nil, bfloat16: Bool = false,
                                            _ body: (_ part: Int, _ samples: Range<Int>, _ ws: Workspace<T>) -> Void) {
        Threading.parallelParts(g.batch, parts: parts ?? g.sampleThreads) { part, samples in
            let ws = Workspace<T>(g.perGroup, bfloat16: bfloat16)
            defer { ws.deallocate() }
            body(part, samples, ws)
        }
    }

    /// y = conv(x, w) + bias, `x` `[N, C, H, W]`, `w` `[O, (C / groups)·kH·kW]`, `y` `[N, O, outH·outW]`.
    static func forward<T: TensorFloat>(_ x: UnsafePointer<T>, _ w: UnsafePointer<T>, bias: UnsafePointer<T>?,
                                        _ g: ConvGeometry, into y: UnsafeMutablePointer<T>) {
        if OneDNNConvolution.forward(x, w, bias: bias, g, into: y) { return }
        let (xs, ws, ys, bs) = (UncheckedSendable(x), UncheckedSendable(w), UncheckedSendable(y), UncheckedSendable(bias))
        let gg = g.perGroup
        // A batch too small to split by samples (one-image inference) splits each sample's product instead.
        let splitProducts = g.sampleThreads == 1 && Threading.count > 1
        // In bfloat16, the weight is rounded once for all samples (each sample's product rounded it again).
        let rounded = splitProducts ? nil : BFloat16Product.roundedOnce(w, count: g.weightCount,
                                                                         forProductsOf: gg.outChannels, gg.columns, gg.windowSize,
                                                                         beta: bias == nil || gg.columns != gg.outPlane ? 0 : 1)
        defer { rounded?.deallocate() }
        let w16 = rounded.map { UncheckedSendable(UnsafePointer($0)) }
        forEachPart(g, T.self, bfloat16: rounded != nil) { _, samples, work in
            let k = gg.windowSize, plane = gg.outPlane, n = gg.columns, m = gg.outChannels
            for s in samples {
                for group in 0..<g.groups {
                    let xn = xs.value + (s &* g.inSample &+ group &* gg.inSample)
                    let yn = ys.value + (s &* g.outSample &+ group &* gg.outSample)
                    let wg = ws.value + group &* gg.weightCount, w16g = w16.map { $0.value + group &* gg.weightCount }
                    let bg = bs.value.map { $0 + group &* m }
                    if let wide = work.wide {
                        if let w16g, work.cols16 != nil,
                           bfloat16Gemm(m: m, n: n, k: k, w16g, lda: k, transA: false,
                                        unfoldedBFloat16(xn, gg, work), ldb: n, transB: false, beta: 0, wide, ldc: n) {
                            // computed from the bfloat16 unfolding
                        } else if splitProducts {
                            let cols = unfolded(xn, gg, work)
                            RawBLAS.parallelGemm(m: m, n: n, k: k, wg, lda: k, transA: false,
                                                 cols, ldb: n, transB: false, beta: 0, wide, ldc: n)
                        } else {
                            let cols = unfolded(xn, gg, work)
                            RawBLAS.gemm(m: m, n: n, k: k, wg, lda: k, transA: false,
                                         cols, ldb: n, transB: false, beta: 0, wide, ldc: n, roundedA: w16g)
                        }
                        // The first outW columns of each wide row, plus the bias.
                        for o in 0..<m {
                            let b: T = bg?[o] ?? 0
                            for oy in 0..<g.outH {
                                let src = wide + (o &* n &+ oy &* g.paddedW), dst = yn + (o &* plane &+ oy &* g.outW)
                                for ox in 0..<g.outW { dst[ox] = src[ox] + b }
                            }
                        }
                    } else {
                        let cols = unfolded(xn, gg, work)
                        if let bg {
                            for o in 0..<m { (yn + o &* plane).update(repeating: bg[o], count: plane) }
                        }
                        let beta: T = bg == nil ? 0 : 1
                        if splitProducts {
                            RawBLAS.parallelGemm(m: m, n: plane, k: k, wg, lda: k, transA: false,
                                                 cols, ldb: plane, transB: false, beta: beta, yn, ldc: plane)
                        } else {
                            RawBLAS.gemm(m: m, n: plane, k: k, wg, lda: k, transA: false,
                                         cols, ldb: plane, transB: false, beta: beta, yn, ldc: plane, roundedA: w16g)
                        }
                    }
                }
            }
        }
    }

    /// dx = convᵀ(dy, w): the gradient of the input for output gradient `dy` `[N, O, outH·outW]`.
    static func inputGradient<T: TensorFloat>(_ dy: UnsafePointer<T>, _ w: UnsafePointer<T>,
                                              _ g: ConvGeometry, into dx: UnsafeMutablePointer<T>) {
        if OneDNNConvolution.inputGradient(dy, w, g, into: dx) { return }
        let (dys, ws, dxs) = (UncheckedSendable(dy), UncheckedSendable(w), UncheckedSendable(dx))
        let gg = g.perGroup
        // In bfloat16, the weight is rounded once for all samples.
        let rounded = BFloat16Product.roundedOnce(w, count: g.weightCount,
                                                  forProductsOf: gg.windowSize, gg.columns, gg.outChannels, beta: 0)
        defer { rounded?.deallocate() }
        let w16 = rounded.map { UncheckedSendable(UnsafePointer($0)) }
        forEachPart(g, T.self, bfloat16: rounded != nil) { _, samples, work in
            let k = gg.windowSize, n = gg.columns, m = gg.outChannels
            for s in samples {
                for group in 0..<g.groups {
                    let dxn = dxs.value + (s &* g.inSample &+ group &* gg.inSample)
                    let dyn = dys.value + (s &* g.outSample &+ group &* gg.outSample)
                    let wg = ws.value + group &* gg.weightCount, w16g = w16.map { $0.value + group &* gg.weightCount }
                    guard let cols = work.cols else {   // pointwise: the product is the input gradient
                        RawBLAS.gemm(m: k, n: n, k: m, wg, lda: k, transA: true,
                                     dyn, ldb: n, transB: false, beta: 0, dxn, ldc: n, roundedA: w16g)
                        continue
                    }
                    if let w16g, work.wide16 != nil,
                       bfloat16Gemm(m: k, n: n, k: m, w16g, lda: k, transA: true,
                                    outputGradientRowsBFloat16(dyn, gg, work), ldb: n, transB: false, beta: 0, cols, ldc: n) {
                        // computed from the bfloat16 output gradient
                    } else {
                        RawBLAS.gemm(m: k, n: n, k: m, wg, lda: k, transA: true,
                                     outputGradientRows(dyn, gg, work), ldb: n, transB: false, beta: 0, cols, ldc: n,
                                     roundedA: w16g)
                    }
                    if !gg.isUnitStride {
                        dxn.update(repeating: 0, count: gg.inSample)
                        col2imAdd(cols, gg, into: dxn)
                    } else if let padded = work.padded {
                        padded.update(repeating: 0, count: gg.inChannels * gg.paddedH * gg.paddedW)
                        wideCol2imAdd(cols, gg, into: padded)
                        unpad(padded, gg, into: dxn)
                    } else {
                        dxn.update(repeating: 0, count: gg.inSample)
                        wideCol2imAdd(cols, gg, into: dxn)
                    }
                }
            }
        }
    }

    /// dw = Σₙ dyₙ · unfold(xₙ)ᵀ: the gradient of the weight `[O, (C / groups)·kH·kW]`.
    static func weightGradient<T: TensorFloat>(_ x: UnsafePointer<T>, _ dy: UnsafePointer<T>,
                                               _ g: ConvGeometry, into dw: UnsafeMutablePointer<T>) {
        if OneDNNConvolution.weightGradient(x, dy, g, into: dw) { return }
        let parts = Swift.min(g.sampleThreads, Swift.max(g.batch, 1))
        let gg = g.perGroup
        let k = gg.windowSize, size = g.weightCount
        // Part 0 accumulates into dw, the others into their own buffers, added at the end.
        let partials = UnsafeMutablePointer<T>.allocate(capacity: Swift.max(parts - 1, 0) * size)
        defer { partials.deallocate() }
        let (xs, dys, dws, ps) = (UncheckedSendable(x), UncheckedSendable(dy), UncheckedSendable(dw), UncheckedSendable(partials))
        let bfloat16 = T.self == Float.self && BFloat16Product.applies(m: gg.outChannels, n: k, k: gg.columns, beta: 0)
        // `parts` is read once: it sizes `partials` and must be the split that runs.
        forEachPart(g, T.self, parts: parts, bfloat16: bfloat16) { part, samples, work in
            let target = part == 0 ? dws.value : ps.value + (part - 1) * size
            let n = gg.columns, m = gg.outChannels
            var first = true
            for s in samples {
                let beta: T = first ? 0 : 1
                first = false
                for group in 0..<g.groups {
                    let xn = xs.value + (s &* g.inSample &+ group &* gg.inSample)
                    let dyn = dys.value + (s &* g.outSample &+ group &* gg.outSample)
                    let tg = target + group &* gg.weightCount
                    if work.cols16 != nil,
                       bfloat16Gemm(m: m, n: k, k: n, outputGradientRowsBFloat16(dyn, gg, work), lda: n, transA: false,
                                    unfoldedBFloat16(xn, gg, work), ldb: n, transB: true, beta: beta, tg, ldc: k) {
                        continue
                    }
                    RawBLAS.gemm(m: m, n: k, k: n, outputGradientRows(dyn, gg, work), lda: n, transA: false,
                                 unfolded(xn, gg, work), ldb: n, transB: true, beta: beta, tg, ldc: k)
                }
            }
            if first { target.update(repeating: 0, count: size) }   // a part without samples
        }
        addPartialSums(UnsafePointer(partials), parts: parts - 1, size: size, into: dw)
    }

    /// Adds `parts` partial weight gradients of `size` values each, stored one after another at
    /// `partials`, into `dw`, in part order (the order that keeps a split's result reproducible).
    static func addPartialSums<T: TensorFloat>(_ partials: UnsafePointer<T>, parts: Int, size: Int,
                                               into dw: UnsafeMutablePointer<T>) {
        for p in 0..<Swift.max(parts, 0) {
            let src = partials + p * size
            for i in 0..<size { dw[i] += src[i] }
        }
    }

    /// db[o] = Σ over samples and positions of dy[n, o, ·], the channels split over the threads: each
    /// channel's N planes summed by batch normalization's vectorized per-channel sum (the same layout;
    /// runs of a few thousand values in the element type, added in Float64), whatever the split. It was
    /// a loop of scalar block sums: 3.8% of cnn_c3_b64's step.
    static func biasGradient<T: BatchNormElement>(_ dy: UnsafePointer<T>, _ g: ConvGeometry, into db: UnsafeMutablePointer<T>) {
        let plane = g.outPlane, batch = g.batch, sample = g.outSample
        let (source, sums) = (UncheckedSendable(dy), UncheckedSendable(db))
        let perChannel = Swift.max(1, batch &* plane)
        Threading.parallelFor(g.outChannels, grain: Swift.max(1, Threading.elementwiseSplitGrain / perChannel)) { channels in
            for o in channels { sums.value[o] = T(T.bnSum(source.value + o &* plane, batch, sample, plane)) }
        }
    }
}
