import Foundation
@_spi(KernelTesting) import Gradus
import Testing

/// Both Float32 product backends (oneDNN, OpenBLAS), run on the same inputs whichever this machine's
/// default is, against a Float64 reference: every transpose combination, leading dimensions wider than
/// the matrices, accumulation into the output (beta = 1), an output full of NaN that beta = 0 must not
/// read, empty inner dimensions, one-row and one-column products, and sizes on both sides of the size
/// from which oneDNN is used.
@Suite("Matrix product backends")
struct MatrixProductBackendTests {
    struct Case: CustomStringConvertible {
        var m, n, k: Int
        var transA, transB: Bool
        var pad = 0          // extra columns in every stored matrix
        var beta: Float = 0
        var description: String { "\(m)×\(n)×\(k) \(transA ? "T" : "N")\(transB ? "T" : "N") pad \(pad) beta \(beta)" }
    }

    /// Deterministic values in [-1, 1) with a few exact zeros and large/small magnitudes mixed in.
    func values(_ count: Int, seed: UInt64) -> [Float] {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        return (0..<count).map { i in
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            let u = Float(state % 2_000_001) / 1_000_000 - 1
            switch i % 97 { case 0: return 0; case 1: return u * 1e4; case 2: return u * 1e-4; default: return u }
        }
    }

    func check(_ c: Case, backend: MatrixProductBackend) {
        let (rowsA, colsA) = c.transA ? (c.k, c.m) : (c.m, c.k)
        let (rowsB, colsB) = c.transB ? (c.n, c.k) : (c.k, c.n)
        let lda = colsA + c.pad, ldb = colsB + c.pad, ldc = c.n + c.pad
        let a = values(max(1, rowsA * lda), seed: 1), b = values(max(1, rowsB * ldb), seed: 2)
        let start = c.beta == 0 ? [Float](repeating: .nan, count: max(1, c.m * ldc)) : values(max(1, c.m * ldc), seed: 3)
        var out = start
        KernelTesting.product(m: c.m, n: c.n, k: c.k, a, lda: lda, transA: c.transA, b, ldb: ldb, transB: c.transB,
                              beta: c.beta, &out, ldc: ldc, backend: backend)
        var worst: Double = 0
        for i in 0..<c.m {
            for j in 0..<ldc {
                let got = Double(out[i * ldc + j])
                guard j < c.n else {
                    // Padding columns of the output are never written.
                    #expect(got.bitPattern == Double(start[i * ldc + j]).bitPattern || (got.isNaN && start[i * ldc + j].isNaN),
                            "\(backend) \(c): wrote padding at [\(i), \(j)]")
                    continue
                }
                var sum = 0.0, scale = 0.0
                for p in 0..<c.k {
                    let x = Double(c.transA ? a[p * lda + i] : a[i * lda + p])
                    let y = Double(c.transB ? b[j * ldb + p] : b[p * ldb + j])
                    sum += x * y; scale += abs(x * y)
                }
                if c.beta != 0 { let prior = Double(start[i * ldc + j]) * Double(c.beta); sum += prior; scale += abs(prior) }
                // Float32 accumulation: error bounded by a few ulps of the sum of magnitudes per term.
                let error = abs(got - sum) / max(scale, 1e-30)
                if !(error <= 1e-5) { worst = max(worst, error.isNaN ? .infinity : error) }
            }
        }
        #expect(worst == 0, "\(backend) \(c): relative error \(worst) beyond 1e-5 of the sum of magnitudes")
    }

    static let shapes: [(Int, Int, Int)] = [
        (1, 1, 1), (1, 7, 5), (9, 1, 4), (3, 5, 0), (64, 10, 84), (6, 892, 25),
        (32, 512, 128), (128, 32, 128), (130, 67, 33), (17, 300, 257),
    ]

    @Test("every layout on both backends", arguments: MatrixProductBackend.allCases)
    func everyLayout(backend: MatrixProductBackend) {
        for (m, n, k) in Self.shapes {
            for transA in [false, true] {
                for transB in [false, true] {
                    check(Case(m: m, n: n, k: k, transA: transA, transB: transB), backend: backend)
                    check(Case(m: m, n: n, k: k, transA: transA, transB: transB, pad: 3, beta: 1), backend: backend)
                }
            }
        }
    }

    @Test("the two backends agree on a product above oneDNN's size threshold")
    func backendsAgree() {
        let (m, n, k) = (96, 160, 48)
        #expect(m * n * k >= KernelTesting.oneDNNMinimumMultiplyAdds)
        let a = values(m * k, seed: 4), b = values(k * n, seed: 5)
        var viaOneDNN = [Float](repeating: 0, count: m * n), viaOpenBLAS = viaOneDNN
        KernelTesting.product(m: m, n: n, k: k, a, lda: k, transA: false, b, ldb: n, transB: false,
                              beta: 0, &viaOneDNN, ldc: n, backend: .oneDNN)
        KernelTesting.product(m: m, n: n, k: k, a, lda: k, transA: false, b, ldb: n, transB: false,
                              beta: 0, &viaOpenBLAS, ldc: n, backend: .openBLAS)
        let worst = zip(viaOneDNN, viaOpenBLAS).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? 0
        #expect(worst < 1e-3, "largest relative difference \(worst)")
    }

    @Test("GRADUS_MATRIX_BACKEND selects a backend, and a value naming none is reported")
    func environmentChoice() {
        #expect(KernelTesting.backendChoice(environmentValue: nil) == (.oneDNN, nil))
        #expect(KernelTesting.backendChoice(environmentValue: "").0 == .oneDNN)
        #expect(KernelTesting.backendChoice(environmentValue: "OpenBLAS") == (.openBLAS, nil))
        #expect(KernelTesting.backendChoice(environmentValue: "onednn") == (.oneDNN, nil))
        let (choice, warning) = KernelTesting.backendChoice(environmentValue: "mkl")
        #expect(choice == .oneDNN)
        #expect(warning?.contains("GRADUS_MATRIX_BACKEND=mkl") == true)
    }

    @Test("a linear layer's product with its bias (oneDNN adds it in the product when large, rows filled first when small) against Float64, with gradients: row and column bands, a transposed weight, a strided bias",
          arguments: [1, 2])
    func linearWithBias(threads: Int) throws {
        try Threading.withCount(threads) { () throws in
            // (rows, in, out): 300 rows (row bands), 40 rows × 2000 outputs (column bands: the bias
            // offset per band), and 6 × 10 × 7 (under oneDNN's size: bias rows then the product).
            for (rows, inputs, outputs) in [(300, 64, 200), (40, 64, 2000), (6, 10, 7)] {
                for transposedWeight in [false, true] {
                    let xv = values(rows * inputs, seed: 1), wv = values(outputs * inputs, seed: 2)
                    let bv = values(2 * outputs, seed: 3)
                    let x = Tensor(shape: [rows, inputs], values: xv).requiringGrad()
                    // The weight as stored [out, in], or as the transpose of a stored [in, out].
                    let stored = transposedWeight
                        ? Tensor(shape: [inputs, outputs], values: (0..<(inputs * outputs)).map { wv[($0 % outputs) * inputs + $0 / outputs] }).requiringGrad()
                        : Tensor(shape: [outputs, inputs], values: wv).requiringGrad()
                    let w = transposedWeight ? stored.transpose(0, 1) : stored
                    // Every other value of a longer tensor: a strided view.
                    let base = Tensor(shape: [2 * outputs], values: bv).requiringGrad()
                    let bias = base.slice(axis: 0, step: 2)
                    let y = Tensor.linear(x, weight: w, bias: bias)
                    let got = y.scalars(as: Float.self)
                    var worst = 0.0
                    for r in 0..<rows {
                        for o in 0..<outputs {
                            var sum = Double(bv[2 * o]), scale = abs(Double(bv[2 * o]))
                            for i in 0..<inputs {
                                let term = Double(xv[r * inputs + i]) * Double(wv[o * inputs + i])
                                sum += term; scale += abs(term)
                            }
                            worst = Swift.max(worst, abs(Double(got[r * outputs + o]) - sum) / Swift.max(scale, 1e-30))
                        }
                    }
                    #expect(worst < 1e-6, "\(rows)×\(inputs)→\(outputs) transposed \(transposedWeight): relative error \(worst)")
                    // The bias gradient reaches the strided view's elements of the base, zeros between.
                    y.sum().backward()
                    let gb = try #require(base.grad).scalars(as: Float.self)
                    #expect(gb == (0..<(2 * outputs)).map { $0 % 2 == 0 ? Float(rows) : 0 })
                    #expect(x.grad != nil && stored.grad != nil)
                }
            }
        }
    }
}
