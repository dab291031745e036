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

    @Test("rounding to bfloat16 matches PyTorch's, on the AVX-512 path and the portable one", arguments: [false, true])
    func roundingMatchesPyTorch(portable: Bool) throws {
        let f = try Fixtures.decode(RoundingFixture.self, "tensor/bf16_rounding.json")
        let values = f.input_bits.map { Float(bitPattern: $0) }
        let bits = KernelTesting.bfloat16Bits(values, portable: portable)
        for (i, (got, want)) in zip(bits, f.bf16_bits).enumerated() {
            #expect(got == want, "value \(values[i]) (0x\(String(f.input_bits[i], radix: 16))): 0x\(String(got, radix: 16)), PyTorch 0x\(String(want, radix: 16))")
        }
        // NaN stays NaN with its sign (payloads differ between implementations).
        for nan in [Float.nan, -Float.nan, Float(bitPattern: 0x7f80_0001), Float(bitPattern: 0xff80_0001)] {
            let b = KernelTesting.bfloat16Bits([nan], portable: portable)[0]
            #expect(Float(bitPattern: UInt32(b) << 16).isNaN && (b >> 15) == UInt16(nan.sign == .minus ? 1 : 0))
        }
        // Lengths that leave a tail after full vectors.
        let many = (0..<37).map { Float($0) * 1.00390625 }
        #expect(KernelTesting.bfloat16Bits(many, portable: portable) == KernelTesting.bfloat16Bits(many, portable: !portable))
    }

    func rounded(_ x: Float) -> Double {
        Double(Float(bitPattern: UInt32(KernelTesting.bfloat16Bits([x], portable: true)[0]) << 16))
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

    @Test("a precision scope reaches the worker threads of a split product and no other thread")
    func scopeIsPerThread() throws {
        let saved = Threading.count
        Threading.count = 2
        defer { Threading.count = saved }
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
