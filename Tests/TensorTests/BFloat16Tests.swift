import Foundation
@_spi(KernelTesting) import Gradus
import GradusTestSupport
import Testing

/// bfloat16 mixed precision: rounding matches PyTorch's on its edges (ties, overflow to infinity,
/// subnormals, signed zeros, NaN) on both rounding paths; products on bfloat16 operands match a Float64
/// reference of the rounded operands on every layout; a precision scope reaches worker threads and
/// leaves other threads alone.
@Suite("bfloat16 mixed precision", .serialized)
struct BFloat16Tests {
    struct RoundingFixture: Decodable { let input_bits: [UInt32]; let bf16_bits: [UInt16] }

    @Test("rounding to bfloat16 matches PyTorch's on every path: AVX512_BF16's instruction, the AVX-512 integer form, portable C",
          arguments: KernelTesting.BFloat16Rounding.allCases)
    func roundingMatchesPyTorch(path: KernelTesting.BFloat16Rounding) throws {
        let f = try Fixtures.decode(RoundingFixture.self, "tensor/bf16_rounding.json")
        let values = f.input_bits.map { Float(bitPattern: $0) }
        func check(_ indices: [Int], _ what: String) {
            let bits = KernelTesting.bfloat16Bits(indices.map { values[$0] }, path: path)
            for (got, i) in zip(bits, indices) where got != f.bf16_bits[i] {
                Issue.record("\(what): \(values[i]) (0x\(String(f.input_bits[i], radix: 16))): 0x\(String(got, radix: 16)), PyTorch 0x\(String(f.bf16_bits[i], radix: 16))")
            }
        }
        check(Array(values.indices), "as recorded")
        // The instruction path converts 32 values at a time unless a group holds a zero or subnormal
        // exponent: the fixture's other values repeated into whole groups reach the instruction itself.
        let normal = values.indices.filter { (f.input_bits[$0] & 0x7f80_0000) != 0 }
        check(Array((0..<(64 * normal.count)).map { normal[$0 % normal.count] }), "in whole groups")
        // NaN stays NaN with its sign (payloads differ between implementations).
        for nan in [Float.nan, -Float.nan, Float(bitPattern: 0x7f80_0001), Float(bitPattern: 0xff80_0001)] {
            let b = KernelTesting.bfloat16Bits([nan], path: path)[0]
            #expect(Float(bitPattern: UInt32(b) << 16).isNaN && (b >> 15) == UInt16(nan.sign == .minus ? 1 : 0))
        }
        // Random bit patterns (one in 500 made subnormal, so some groups mix both), lengths with a tail:
        // the same bits as the portable path.
        var g = SeededGenerator(seed: UInt64(path.rawValue) + 40)
        for count in [37, 100_003] {
            let random = (0..<count).map { i -> Float in
                let bits = UInt32.random(in: .min ... .max, using: &g)
                return Float(bitPattern: i % 500 == 7 ? bits & 0x807f_ffff : bits)
            }
            let got = KernelTesting.bfloat16Bits(random, path: path), want = KernelTesting.bfloat16Bits(random, path: .portable)
            let differing = zip(got, want).enumerated().filter { $0.element.0 != $0.element.1 }
            #expect(differing.isEmpty, "\(count) values: \(differing.count) differ, first at \(differing.first.map { "\($0.offset): 0x\(String(random[$0.offset].bitPattern, radix: 16))" } ?? "")")
        }
    }

    @Test("the processor's default rounding path is the fastest it has")
    func bestRoundingPath() {
        let best = KernelTesting.bestBFloat16Rounding
        // A path the processor lacks falls back to the best: asking for each gives the same bits anyway,
        // so this only checks that the instruction path is chosen where oneDNN sees AVX512_BF16.
        if MatrixProductBackend.hasNativeBFloat16 && best != .avx512BFloat16 {
            // AMX without AVX512_BF16 does not exist on shipping processors; oneDNN's bf16 ISA implies the instruction.
            Issue.record("oneDNN runs bf16 natively, but the rounding path is \(best)")
        }
    }

    func rounded(_ x: Float) -> Double {
        Double(Float(bitPattern: UInt32(KernelTesting.bfloat16Bits([x], path: .portable)[0]) << 16))
    }

    @Test("products on bfloat16 operands: every layout against a Float64 reference of the rounded operands")
    func productMatchesReference() throws {
        guard MatrixProductBackend.hasNativeBFloat16 else { return }   // oneDNN's bf16 matmul needs the instructions
        var rng = SeededGenerator(seed: 3)
        for (m, n, k) in [(1, 1, 1), (5, 7, 3), (33, 65, 130), (64, 10, 84)] {
            for transA in [false, true] {
                for transB in [false, true] {
                    for beta: Float in [0, 1] {
                        let pad = beta == 1 ? 2 : 0
                        let (ra, ca) = transA ? (k, m) : (m, k), (rb, cb) = transB ? (n, k) : (k, n)
                        let (lda, ldb, ldc) = (ca + pad, cb + pad, n + pad)
                        let a = (0..<(ra * lda)).map { _ in Float(Double(rng.next() % 2001) / 1000 - 1) }
                        let b = (0..<(rb * ldb)).map { _ in Float(Double(rng.next() % 2001) / 1000 - 1) }
                        let start = (0..<(m * ldc)).map { _ in beta == 0 ? Float.nan : Float(Double(rng.next() % 2001) / 1000) }
                        var c = start
                        #expect(KernelTesting.bfloat16Product(m: m, n: n, k: k, a, lda: lda, transA: transA, b, ldb: ldb,
                                                              transB: transB, beta: beta, &c, ldc: ldc))
                        for i in 0..<m {
                            for j in 0..<n {
                                var sum = beta == 1 ? Double(start[i * ldc + j]) : 0, scale = abs(sum)
                                for p in 0..<k {
                                    let x = rounded(transA ? a[p * lda + i] : a[i * lda + p])
                                    let y = rounded(transB ? b[j * ldb + p] : b[p * ldb + j])
                                    sum += x * y; scale += abs(x * y)
                                }
                                let error = abs(Double(c[i * ldc + j]) - sum) / max(scale, 1e-30)
                                #expect(error < 1e-5, "\(m)×\(n)×\(k) \(transA) \(transB) beta \(beta) [\(i), \(j)]: \(c[i * ldc + j]) vs \(sum)")
                            }
                            for j in n..<ldc { #expect(c[i * ldc + j].bitPattern == start[i * ldc + j].bitPattern) }
                        }
                    }
                }
            }
        }
    }

    @Test("a thread keeps the primitives of 32 product shapes: 41 shapes cycled three times, beta 0 and 1 with and without a bias on one shape, all against the reference")
    func keptPrimitivesServeTheirShapeOnly() throws {
        guard MatrixProductBackend.hasNativeBFloat16 else { return }
        var rng = SeededGenerator(seed: 17)
        func check(m: Int, n: Int, k: Int, beta: Float, ldc: Int, withBias: Bool = false) {
            let bias = withBias ? (0..<n).map { _ in Float(Double(rng.next() % 2001) / 100 - 10) } : nil
            let a = (0..<(m * k)).map { _ in Float(Double(rng.next() % 2001) / 1000 - 1) }
            let b = (0..<(k * n)).map { _ in Float(Double(rng.next() % 2001) / 1000 - 1) }
            let start = (0..<(m * ldc)).map { _ in beta == 0 ? Float.nan : Float(Double(rng.next() % 2001) / 1000) }
            var c = start
            #expect(KernelTesting.bfloat16Product(m: m, n: n, k: k, a, lda: k, transA: false, b, ldb: n, transB: false,
                                                  beta: beta, bias: bias, &c, ldc: ldc))
            var worst = 0.0
            for i in 0..<m {
                for j in 0..<n {
                    var sum = (beta == 1 ? Double(start[i * ldc + j]) : 0) + Double(bias?[j] ?? 0), scale = abs(sum)
                    for p in 0..<k {
                        let x = rounded(a[i * k + p]) * rounded(b[p * n + j])
                        sum += x; scale += abs(x)
                    }
                    worst = max(worst, abs(Double(c[i * ldc + j]) - sum) / max(scale, 1e-30))
                }
                for j in n..<ldc { #expect(c[i * ldc + j].bitPattern == start[i * ldc + j].bitPattern) }
            }
            #expect(worst < 1e-5, "\(m)×\(n)×\(k) beta \(beta) ldc \(ldc) bias \(withBias): relative error \(worst)")
        }
        for _ in 0..<3 {
            for shape in 0..<41 { check(m: 3 + shape, n: 5 + shape % 7, k: 9 + shape % 5, beta: 0, ldc: 5 + shape % 7) }
        }
        for beta: Float in [0, 1, 0, 1] {
            for withBias in [false, true, false] {
                check(m: 16, n: 8, k: 12, beta: beta, ldc: 8, withBias: withBias)
                check(m: 16, n: 8, k: 12, beta: beta, ldc: 11, withBias: withBias)
            }
        }
    }

    @Test("products split over two threads, by bands of rows and of columns, with transposed operands, against a Float64 reference of the rounded operands")
    func splitProductMatchesReference() throws {
        guard MatrixProductBackend.hasNativeBFloat16 else { return }
        // Two threads for this test only (a scope: other suites running beside it keep theirs).
        Threading.withCount(2) {
            var rng = SeededGenerator(seed: 8)
            // 256 output rows: bands of rows; 64 rows and 512 columns: bands of columns. Both ≥ 2^19 multiply-adds.
            for (m, n, k) in [(256, 64, 64), (64, 512, 32), (200, 48, 70)] {
                for transA in [false, true] {
                    for transB in [false, true] {
                        let a = transA ? Tensor.uniform([k, m], low: -1, high: 1, generator: &rng).transpose(0, 1)
                                       : Tensor.uniform([m, k], low: -1, high: 1, generator: &rng)
                        let b = transB ? Tensor.uniform([n, k], low: -1, high: 1, generator: &rng).transpose(0, 1)
                                       : Tensor.uniform([k, n], low: -1, high: 1, generator: &rng)
                        let c = MatrixProductBackend.withFloat32Precision(.medium) { a.matmul(b) }
                        let ra = a.to(.float64).scalars(as: Double.self), rb = b.to(.float64).scalars(as: Double.self)
                        let got = c.scalars(as: Float.self)
                        var worst = 0.0, differs = false
                        for i in 0..<m {
                            for j in 0..<n {
                                var sum = 0.0, scale = 0.0, exact = 0.0
                                for p in 0..<k {
                                    let x = rounded(Float(ra[i * k + p])), y = rounded(Float(rb[p * n + j]))
                                    sum += x * y; scale += abs(x * y); exact += ra[i * k + p] * rb[p * n + j]
                                }
                                worst = max(worst, abs(Double(got[i * n + j]) - sum) / max(scale, 1e-30))
                                if abs(Double(got[i * n + j]) - exact) > 1e-6 * scale { differs = true }
                            }
                        }
                        #expect(worst < 1e-5, "\(m)×\(n)×\(k) transA \(transA) transB \(transB): relative error \(worst)")
                        #expect(differs, "\(m)×\(n)×\(k): the product was not computed on bfloat16 operands")
                    }
                }
            }
        }
    }

    @Test("a precision scope reaches the worker threads of a split product and no other thread")
    func scopeIsPerThread() throws {
        // Two threads for this test only (a scope: other suites running beside it keep theirs).
        Threading.withCount(2) {
            var rng = SeededGenerator(seed: 5)
            let a = Tensor.uniform([256, 128], low: -1, high: 1, generator: &rng)
            let b = Tensor.uniform([128, 256], low: -1, high: 1, generator: &rng)
            let exact = a.matmul(b).scalars(as: Float.self)
            let medium = MatrixProductBackend.withFloat32Precision(.medium) { a.matmul(b) }.scalars(as: Float.self)
            let afterwards = a.matmul(b).scalars(as: Float.self)
            #expect(afterwards == exact, "the scope leaked past its end")
            #expect(MatrixProductBackend.float32Precision == .highest)
            let worst = zip(medium, exact).map { abs($0 - $1) }.max()!
            if MatrixProductBackend.hasNativeBFloat16 {
                // bfloat16 keeps 8 significant bits: each of 128 products off by up to ~2^-8 relative.
                #expect(worst > 0 && worst < 0.25, "bfloat16 products differ from Float32 by \(worst)")
                // Both halves of the split output (rows for the caller and the worker) took the bf16 path.
                let half = 128 * 256
                #expect(zip(medium[..<half], exact[..<half]).contains { $0 != $1 })
                #expect(zip(medium[half...], exact[half...]).contains { $0 != $1 })
            } else {
                #expect(worst == 0, "without bfloat16 instructions products stay Float32")
            }
        }
    }
}
