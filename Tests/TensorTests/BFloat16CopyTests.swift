import Foundation
@_spi(KernelTesting) import Gradus
import GradusTestSupport
import Testing

/// bfloat16 copies of product operands, rounded once per operation and shared by a backward rule's two
/// products: a copy serves only the same unchanged elements, each operand is rounded once per pass, and
/// values and gradients computed from the copies equal a Float64 reference of the rounded operands on
/// every path (folded, batched, batch split over threads, broadcast, transposed, split bands).
@Suite("bfloat16 operand copies", .serialized)
struct BFloat16CopyTests {
    @Test("a copy holds the rounded values (split over threads at odd edges, special values included) and serves only the same unchanged elements",
          arguments: [1, 2])
    func copyServesOnlyUnchangedElements(threads: Int) throws {
        try Threading.withCount(threads) { () throws in
            // 300 × 437 = 131,100 values: past the count from which rounding is split, not a multiple of 32.
            var rng = SeededGenerator(seed: 11)
            var values = (0..<(300 * 437)).map { _ in Double.random(in: -3...3, using: &rng) }
            let specials: [Double] = [.nan, .infinity, -.infinity, 0, -0.0, 1e-40, -1e-39, 3.4e38, 1.00390625, 1.01171875]
            for (i, v) in specials.enumerated() {
                // Near the two threads' edge (65,536 rounded down to 32) and at both ends.
                values[65_530 + i] = v
                values[i] = v
                values[values.count - 1 - i] = v
            }
            let x = Tensor(shape: [300, 437], values: values)
            let same = KernelTesting.bfloat16Copy(of: x) { x }
            #expect(same.valuesRounded && same.servesOther)
            #expect(KernelTesting.bfloat16Copy(of: x) { x.reshape([437, 300]) }.servesOther, "a reshape is the same elements")
            #expect(KernelTesting.bfloat16Copy(of: x) { x.detach() }.servesOther)
            #expect(KernelTesting.bfloat16Copy(of: x) { x[0..<300] }.servesOther)
            #expect(!KernelTesting.bfloat16Copy(of: x) { x.clone() }.servesOther, "another storage")
            #expect(!KernelTesting.bfloat16Copy(of: x) { x[1..<300] }.servesOther, "another place in the storage")
            #expect(!KernelTesting.bfloat16Copy(of: x) { x[0..<299] }.servesOther, "fewer elements")
            #expect(!KernelTesting.bfloat16Copy(of: x) { x.transpose(0, 1) }.servesOther, "a strided view")
            #expect(!KernelTesting.bfloat16Copy(of: x) { _ = x.addInPlace(Tensor.ones([300, 437])); return x }.servesOther,
                    "values written in place since")
            #expect(try !KernelTesting.bfloat16Copy(of: x) {
                try x.withUnsafeMutableBufferPointer(as: Float.self) { $0[0] = 2 }
                return x
            }.servesOther, "values written through a pointer since")
            // A strided view is rounded from its elements in logical order, and never served again.
            let view = x.transpose(0, 1)
            let fromView = KernelTesting.bfloat16Copy(of: view) { view }
            #expect(fromView.valuesRounded && !fromView.servesOther)
            let empty = Tensor.zeros([0, 5])
            #expect(KernelTesting.bfloat16Copy(of: empty) { empty }.valuesRounded)
        }
    }

    @Test("a layer's input and weight are rounded once per pass, its output gradient once for both gradient products, a batch's matrices once for all")
    func eachOperandRoundedOnce() throws {
        guard MatrixProductBackend.hasNativeBFloat16 else { return }
        var rng = SeededGenerator(seed: 4)
        let x = Tensor.uniform([128, 256], low: -1, high: 1, generator: &rng).requiringGrad()
        let w = Tensor.uniform([128, 256], low: -1, high: 1, generator: &rng).requiringGrad()
        let bias = Tensor.uniform([128], low: -1, high: 1, generator: &rng).requiringGrad()
        for (what, forward) in [
            ("linear with a bias", { Tensor.linear(x, weight: w, bias: bias) }),
            ("linear without a bias", { Tensor.linear(x, weight: w, bias: nil) }),
            ("matmul with a transposed view", { x.matmul(w.transpose(0, 1)) }),
            ("batched matmul", { x.reshape([2, 64, 256]).matmul(w.reshape([2, 256, 64])) }),
        ] as [(String, () -> Tensor)] {
            x.grad = nil; w.grad = nil
            let (_, roundings) = KernelTesting.countingBFloat16Roundings {
                MatrixProductBackend.withFloat32Precision(.medium) { forward().square().sum().backward() }
            }
            // Forward: input and weight; backward: the output gradient, weight (dX) and input (dW).
            #expect(roundings == 5, "\(what): \(roundings) roundings (5 expected)")
            #expect(x.grad != nil && w.grad != nil)
        }
        // A product with few multiply-adds per rounded value stays Float32 (attention's weights·V:
        // 128×32 outputs, 26 per value), one with many runs in bfloat16 (its scores, 128×128: 64).
        let weights = Tensor.uniform([4, 128, 128], low: 0, high: 1, generator: &rng)
        let values = Tensor.uniform([4, 128, 32], low: -1, high: 1, generator: &rng)
        let (narrow, narrowRoundings) = KernelTesting.countingBFloat16Roundings {
            MatrixProductBackend.withFloat32Precision(.medium) { weights.matmul(values) }
        }
        #expect(narrowRoundings == 0 && narrow.scalars(as: Float.self) == weights.matmul(values).scalars(as: Float.self))
        let keys = Tensor.uniform([4, 128, 32], low: -1, high: 1, generator: &rng)
        let (scores, scoreRoundings) = KernelTesting.countingBFloat16Roundings {
            MatrixProductBackend.withFloat32Precision(.medium) { values.matmul(keys.transpose(1, 2)) }
        }
        #expect(scoreRoundings == 2 && scores.scalars(as: Float.self) != values.matmul(keys.transpose(1, 2)).scalars(as: Float.self))
        // Float32 precision rounds nothing.
        let (_, none) = KernelTesting.countingBFloat16Roundings { Tensor.linear(x, weight: w, bias: bias).sum().backward() }
        #expect(none == 0)
    }

    /// c = op(a)·op(b) in Float64 over the operands rounded to bfloat16, with the sum of |terms| as its scale.
    func reference(_ a: [Double], _ b: [Double], m: Int, n: Int, k: Int, transA: Bool, transB: Bool) -> [(Double, Double)] {
        let bits = (KernelTesting.bfloat16Bits(a.map { Float($0) }, path: .portable),
                    KernelTesting.bfloat16Bits(b.map { Float($0) }, path: .portable))
        let (a, b) = (bits.0.map { Double(Float(bitPattern: UInt32($0) << 16)) }, bits.1.map { Double(Float(bitPattern: UInt32($0) << 16)) })
        var out: [(Double, Double)] = []
        out.reserveCapacity(m * n)
        for i in 0..<m {
            for j in 0..<n {
                var sum = 0.0, scale = 0.0
                for p in 0..<k {
                    let x = transA ? a[p * m + i] : a[i * k + p], y = transB ? b[j * k + p] : b[p * n + j]
                    sum += x * y; scale += abs(x * y)
                }
                out.append((sum, scale))
            }
        }
        return out
    }

    /// x·Wᵀ + b in Float64 on the rounded x and W (sums and their scales, as ``reference``), b as it is.
    func linearReference(_ xs: [Double], _ ws: [Double], _ bs: [Double], rows: Int, inF: Int, outF: Int) -> [(Double, Double)] {
        reference(xs, ws, m: rows, n: outF, k: inF, transA: false, transB: true).enumerated().map {
            ($0.element.0 + bs[$0.offset % outF], $0.element.1 + abs(bs[$0.offset % outF]))
        }
    }

    func expectClose(_ got: Tensor, _ want: [(Double, Double)], _ what: String) {
        let values = got.scalars(as: Float.self)
        #expect(values.count == want.count, "\(what): \(values.count) values")
        var worst = 0.0
        for (v, (sum, scale)) in zip(values, want) { worst = max(worst, abs(Double(v) - sum) / max(scale, 1e-30)) }
        #expect(worst < 1e-5, "\(what): relative error \(worst) against the rounded operands' Float64 product")
    }

    @Test("values and gradients from shared copies equal the Float64 product of the rounded operands (1 and 2 threads)",
          arguments: [1, 2])
    func gradientsFromCopiesMatchReference(threads: Int) throws {
        guard MatrixProductBackend.hasNativeBFloat16 else { return }
        Threading.withCount(threads) {
            var rng = SeededGenerator(seed: 21)

            // A linear layer with a bias, rows split into bands at 2 threads: y = x·Wᵀ + b, dX = G·W, dW = Gᵀ·x.
            let (rows, inF, outF) = (200, 96, 72)
            let x = Tensor.uniform([rows, inF], low: -1, high: 1, generator: &rng).requiringGrad()
            let w = Tensor.uniform([outF, inF], low: -1, high: 1, generator: &rng).requiringGrad()
            let b = Tensor.uniform([outF], low: -1, high: 1, generator: &rng).requiringGrad()
            let g = Tensor.uniform([rows, outF], low: -1, high: 1, generator: &rng)
            let y = MatrixProductBackend.withFloat32Precision(.medium) { () -> Tensor in
                let y = Tensor.linear(x, weight: w, bias: b)
                (y * g).sum().backward()
                return y
            }
            let (xs, ws, gs, bs) = (x.to(.float64).scalars(as: Double.self), w.to(.float64).scalars(as: Double.self),
                                    g.to(.float64).scalars(as: Double.self), b.to(.float64).scalars(as: Double.self))
            expectClose(y, linearReference(xs, ws, bs, rows: rows, inF: inF, outF: outF), "linear forward")
            expectClose(x.grad!, reference(gs, ws, m: rows, n: inF, k: outF, transA: false, transB: false), "linear dX")
            expectClose(w.grad!, reference(gs, xs, m: outF, n: inF, k: rows, transA: true, transB: false), "linear dW")
            let exact = x.to(.float64).matmul(w.to(.float64).transpose(0, 1)).scalars(as: Double.self)
            #expect(zip(y.scalars(as: Float.self), exact.enumerated()).contains { abs(Double($0) - $1.element - bs[$1.offset % outF]) > 1e-4 },
                    "the layer was not computed on bfloat16 operands")

            // A wide linear layer on few rows, its output split by columns at 2 threads: each band adds
            // its own part of the bias (the product adds it, rows are not filled with it first).
            do {
                let (rows, inF, outF) = (40, 256, 1024)
                let x = Tensor.uniform([rows, inF], low: -1, high: 1, generator: &rng)
                let w = Tensor.uniform([outF, inF], low: -1, high: 1, generator: &rng)
                let b = Tensor.uniform([outF], low: -4, high: 4, generator: &rng)
                let y = MatrixProductBackend.withFloat32Precision(.medium) { Tensor.linear(x, weight: w, bias: b) }
                let (xs, ws, bs) = (x.to(.float64).scalars(as: Double.self), w.to(.float64).scalars(as: Double.self),
                                    b.to(.float64).scalars(as: Double.self))
                expectClose(y, linearReference(xs, ws, bs, rows: rows, inF: inF, outF: outF), "wide linear forward, \(threads) threads")
            }

            // Attention-like batched products: q·kᵀ per head (8 products, each whole on one thread at 2
            // threads), and a product broadcast over the batch (its expanded operand rounded apart).
            let (heads, length, dim) = (8, 128, 64)   // every product and gradient product in bfloat16
            let q = Tensor.uniform([heads, length, dim], low: -1, high: 1, generator: &rng).requiringGrad()
            let kk = Tensor.uniform([heads, length, dim], low: -1, high: 1, generator: &rng).requiringGrad()
            let shared = Tensor.uniform([1, dim, 160], low: -1, high: 1, generator: &rng).requiringGrad()
            let gs1 = Tensor.uniform([heads, length, length], low: -1, high: 1, generator: &rng)
            let gs2 = Tensor.uniform([heads, length, 160], low: -1, high: 1, generator: &rng)
            let (scores, spread) = MatrixProductBackend.withFloat32Precision(.medium) { () -> (Tensor, Tensor) in
                let scores = q.matmul(kk.transpose(1, 2))
                let spread = q.matmul(shared)
                ((scores * gs1).sum() + (spread * gs2).sum()).backward()
                return (scores, spread)
            }
            let (qs, ks, ss) = (q.to(.float64).scalars(as: Double.self), kk.to(.float64).scalars(as: Double.self),
                                shared.to(.float64).scalars(as: Double.self))
            let (g1, g2) = (gs1.to(.float64).scalars(as: Double.self), gs2.to(.float64).scalars(as: Double.self))
            var scoresWant: [(Double, Double)] = [], spreadWant: [(Double, Double)] = []
            var dqWant: [(Double, Double)] = [], dkWant: [(Double, Double)] = []
            var dShared = [(Double, Double)](repeating: (0, 0), count: dim * 160)
            for h in 0..<heads {
                let qh = Array(qs[(h * length * dim)..<((h + 1) * length * dim)])
                let kh = Array(ks[(h * length * dim)..<((h + 1) * length * dim)])
                let g1h = Array(g1[(h * length * length)..<((h + 1) * length * length)])
                let g2h = Array(g2[(h * length * 160)..<((h + 1) * length * 160)])
                scoresWant += reference(qh, kh, m: length, n: length, k: dim, transA: false, transB: true)
                spreadWant += reference(qh, ss, m: length, n: 160, k: dim, transA: false, transB: false)
                // dq = G1·k + G2·sharedᵀ, dk = G1ᵀ·q, dShared = Σ_h qᵀ·G2.
                let a = reference(g1h, kh, m: length, n: dim, k: length, transA: false, transB: false)
                let c = reference(g2h, ss, m: length, n: dim, k: 160, transA: false, transB: true)
                dqWant += zip(a, c).map { ($0.0 + $1.0, $0.1 + $1.1) }
                dkWant += reference(g1h, qh, m: length, n: dim, k: length, transA: true, transB: false)
                for (i, t) in reference(qh, g2h, m: dim, n: 160, k: length, transA: true, transB: false).enumerated() {
                    dShared[i] = (dShared[i].0 + t.0, dShared[i].1 + t.1)
                }
            }
            expectClose(scores, scoresWant, "per-head scores")
            expectClose(spread, spreadWant, "broadcast product")
            expectClose(q.grad!, dqWant, "dq")
            expectClose(kk.grad!, dkWant, "dk")
            expectClose(shared.grad!, dShared, "gradient of the broadcast operand")
        }
    }

    /// `t`'s values rounded to bfloat16, as Float64.
    func roundedTensor(_ t: Tensor) -> Tensor {
        let bits = KernelTesting.bfloat16Bits(t.scalars(as: Float.self), path: .portable)
        return Tensor(shape: t.shape, values: bits.map { Double(Float(bitPattern: UInt32($0) << 16)) }, dtype: .float64)
    }

    @Test("a convolution in bfloat16 (weight rounded once for the batch, samples unfolded in bfloat16) against Float64 on the rounded operands: values and gradients, 1 and 2 threads, unit stride with and without padding, dilated and odd-sized, strided",
          arguments: [1, 2])
    func convolutionMatchesRoundedReference(threads: Int) throws {
        guard MatrixProductBackend.hasNativeBFloat16 else { return }
        Threading.withCount(threads) {
            var rng = SeededGenerator(seed: 31)
            // 64 output channels, 16·3·3 = 144 inputs per window, 16×16 (15×15 strided) positions: every
            // per-sample product (forward, input gradient, weight gradient) is in bfloat16.
            // Unit stride (wide rows, unfolded in bfloat16) padded, unpadded with dilation on an odd size
            // (rows of odd length), and strided (unfolded in Float32, rounded by the product).
            for (stride, pad, dilation, side) in [(1, 1, 1, 16), (1, 0, 2, 19), (2, 0, 1, 32)] {
                let x = Tensor.uniform([3, 16, side, side], low: -1, high: 1, generator: &rng).requiringGrad()
                let w = Tensor.uniform([64, 16, 3, 3], low: -0.3, high: 0.3, generator: &rng).requiringGrad()
                let b = Tensor.uniform([64], low: -1, high: 1, generator: &rng).requiringGrad()
                func conv(_ x: Tensor, _ w: Tensor, _ b: Tensor) -> Tensor {
                    Functional.conv2d(x, weight: w, bias: b, stride: (stride, stride), padding: (pad, pad),
                                      dilation: (dilation, dilation))
                }
                let y = MatrixProductBackend.withFloat32Precision(.medium) { conv(x, w, b) }
                let g = Tensor.uniform(y.shape, low: -1, high: 1, generator: &rng)
                MatrixProductBackend.withFloat32Precision(.medium) { (y * g).sum().backward() }
                // Float64 on the rounded operands; the backward products read the rounded output gradient.
                let (xr, wr) = (roundedTensor(x).requiringGrad(), roundedTensor(w).requiringGrad())
                let yr = conv(xr, wr, b.to(.float64))
                (yr * roundedTensor(g)).sum().backward()
                func expectClose(_ got: Tensor, _ want: Tensor, _ what: String) {
                    let (a, e) = (got.scalars(as: Float.self), want.scalars(as: Double.self))
                    let scale = e.map(abs).max() ?? 1
                    let worst = zip(a, e).map { abs(Double($0) - $1) }.max() ?? 0
                    #expect(worst <= 2e-5 * scale, "stride \(stride) padding \(pad) dilation \(dilation), \(what): off by \(worst) (largest value \(scale))")
                }
                expectClose(y, yr, "values")
                expectClose(x.grad!, xr.grad!, "input gradient")
                expectClose(w.grad!, wr.grad!, "weight gradient")
                // The products did run in bfloat16: Float32 differs from the rounded operands' result.
                let exact = conv(x.detach(), w.detach(), b.detach())
                let (e, r) = (exact.scalars(as: Float.self), yr.scalars(as: Double.self))
                #expect(zip(e, r).contains { abs(Double($0) - $1) > 1e-3 }, "stride \(stride) padding \(pad) dilation \(dilation): the convolution ran in Float32")
            }
        }
    }

    @Test("rounding with column sums, on every path: the bits of a rounding alone and the sums of a column sum alone, in any column band",
          arguments: KernelTesting.BFloat16Rounding.allCases)
    func roundingWithColumnSums(path: KernelTesting.BFloat16Rounding) {
        // 37 rows: one block of the column sums; 300: three blocks (128, 128, 44) cascaded in Float64.
        for rows in [37, 300] {
        let columns = 150
        var rng = SeededGenerator(seed: 21)
        var values = (0..<(rows * columns)).map { _ in Float.random(in: -300...300, using: &rng) }
        // Specials in both halves of a 64-column block (rows 2 and 5) and in the 16-wide tail (row 30): subnormals send their
        // group of 32 through the integer form on the AVX512_BF16 path.
        for (i, v) in [Float.nan, .infinity, -.infinity, 0, -0.0, Float.leastNonzeroMagnitude * 1000, -Float.leastNormalMagnitude / 3, 3.4e38, 1.00390625, 1.01171875].enumerated() {
            values[2 * columns + 3 * i] = v
            values[5 * columns + 33 + 2 * i] = v
            values[30 * columns + 130 + i] = v
        }
        for band in [0..<150, 0..<64, 16..<144, 128..<150, 5..<6, 149..<150, 70..<70] {
            let (bits, sums) = KernelTesting.bfloat16BitsAndColumnSums(values, rows: rows, columns: band, path: path)
            let alone = KernelTesting.bfloat16Bits(values, path: .portable)
            let wrongBits = (0..<(rows * columns)).filter { bits[$0] != (band.contains($0 % columns) ? alone[$0] : 0) }
            #expect(wrongBits.isEmpty, "\(path) band \(band): \(wrongBits.count) wrong roundings, first at row \(wrongBits.first.map { $0 / columns } ?? -1) column \(wrongBits.first.map { $0 % columns } ?? -1)")
            let wrongSums = (0..<columns).filter { c in
                // The column sums' order: blocks of 128 rows from zero, their totals in Float64.
                var s: Float = 0
                if band.contains(c) {
                    var total = 0.0
                    for start in stride(from: 0, to: rows, by: 128) {
                        s = 0
                        for r in start..<min(start + 128, rows) { s += values[r * columns + c] }
                        total += Double(s)
                    }
                    if rows > 128 { s = Float(total) }
                }
                return !(sums[c].bitPattern == s.bitPattern || (sums[c].isNaN && s.isNaN))
            }
            #expect(wrongSums.isEmpty, "\(path) band \(band): wrong sums of columns \(wrongSums.prefix(8))")
        }
        }
        // No rows: zero sums.
        let (_, empty) = KernelTesting.bfloat16BitsAndColumnSums([], rows: 0, columns: 0..<0, path: path)
        #expect(empty.isEmpty)
    }

    @Test("a linear layer's bias gradient in bfloat16 is summed while the output gradient is rounded: the bits of a Float32 column sum, 1 and 2 threads",
          arguments: [1, 2])
    func biasGradientWithRounding(threads: Int) throws {
        guard MatrixProductBackend.hasNativeBFloat16 else { return }
        try Threading.withCount(threads) { () throws in
            var rng = SeededGenerator(seed: 8)
            // 600 rows of 200 outputs (120,000 gradient values: split over two threads at column 96).
            let x = Tensor.uniform([600, 64], low: -1, high: 1, generator: &rng).requiringGrad()
            let w = Tensor.uniform([200, 64], low: -1, high: 1, generator: &rng).requiringGrad()
            let bias = Tensor.uniform([200], low: -1, high: 1, generator: &rng).requiringGrad()
            let g = Tensor.uniform([600, 200], low: -5, high: 5, generator: &rng)
            let (_, roundings) = KernelTesting.countingBFloat16Roundings {
                MatrixProductBackend.withFloat32Precision(.medium) { (Tensor.linear(x, weight: w, bias: bias) * g).sum().backward() }
            }
            #expect(roundings == 5, "\(roundings) roundings: the output gradient is rounded once, with its sums")
            let expected = g.sum(axes: [0]).scalars(as: Float.self)
            #expect(try #require(bias.grad).scalars(as: Float.self) == expected)
            // With a bias only (no product needs the rounded gradient), the plain sum.
            let lone = Tensor.uniform([200], low: -1, high: 1, generator: &rng).requiringGrad()
            MatrixProductBackend.withFloat32Precision(.medium) {
                (Tensor.linear(x.detach(), weight: w.detach(), bias: lone) * g).sum().backward()
            }
            #expect(try #require(lone.grad).scalars(as: Float.self) == expected)
            // createGraph records the sum, so that the bias gradient can be differentiated again.
            let again = Tensor.uniform([200], low: -1, high: 1, generator: &rng).requiringGrad()
            let grads = MatrixProductBackend.withFloat32Precision(.medium) {
                Autograd.gradients(of: (Tensor.linear(x, weight: w, bias: again) * g).sum(), wrt: [again], createGraph: true)
            }
            #expect(grads.count == 1 && grads[0].scalars(as: Float.self) == expected)
        }
    }
}
