import Foundation
@_spi(KernelTesting) import Gradus
import Testing

/// The vectorized Float32 softmax and log-softmax over the last axis (CGradusMath's gradus_softmax.c),
/// forward and backward, against the Float64 tensor-operation path: row lengths around the sixteen-lane
/// blocks, masked (−∞) scores, saturated and offset logits, and the special values.
@Suite("Vectorized softmax rows")
struct SoftmaxKernelTests {
    /// Row lengths below, at and around the 16-lane blocks, and attention-sized.
    static let lengths = [1, 2, 15, 16, 17, 31, 33, 128, 301]

    /// `rows × n` logits: normal values scaled by 4, every fifth entry of rows 1 and 3 masked to −∞.
    static func logits(rows: Int, n: Int, offset: Double = 0, seed: UInt64) -> [Double] {
        var rng = SeededGenerator(seed: seed)
        var v = (0..<rows * n).map { _ in 4 * (2 * rng.nextUnit() - 1) + offset }
        for r in [1, 3] where r < rows && n > 1 {
            for k in stride(from: 1, to: n, by: 5) { v[r * n + k] = -.infinity }
        }
        return v
    }

    /// Largest absolute difference between Float32 results and a Float64 reference, NaN where either has one.
    static func worst(_ a: [Float], _ b: [Double]) -> Double {
        zip(a, b).map { x, y in
            if x.isNaN || y.isNaN { return x.isNaN && y.isNaN ? 0 : .nan }
            if x.isInfinite || y.isInfinite { return Double(x) == y ? 0 : .infinity }
            return abs(Double(x) - y)
        }.max() ?? 0
    }

    /// Forward and backward of `f` in Float32 and in Float64 (the tensor-operation path), compared.
    func compare(_ name: String, log: Bool, rows: Int, n: Int, offset: Double = 0, seed: UInt64) {
        // Rounded to Float32 first, so that both sides see the same logits (at an offset of 1000, the
        // rounding of the inputs alone would move the probabilities by 1e-5).
        let values = Self.logits(rows: rows, n: n, offset: offset, seed: seed).map { Double(Float($0)) }
        var rng = SeededGenerator(seed: seed + 1)
        let weights = (0..<rows * n).map { _ in 2 * rng.nextUnit() - 1 }
        func run(_ dtype: DType) -> (y: Tensor, grad: Tensor) {
            let x = Tensor(shape: [rows, n], values: values, dtype: dtype).requiringGrad()
            let y = log ? x.logSoftmax(axis: -1) : x.softmax(axis: -1)
            // Masked log-probabilities are −∞: weight them 0 so that the loss stays finite.
            let w = Tensor(shape: [rows, n], values: zip(weights, values).map { $1 == -.infinity ? 0 : $0 }, dtype: dtype)
            let finite = log ? y.maskedWhere(Tensor(shape: [rows, n], values: values.map { $0 == -.infinity ? 1 : 0 }, dtype: dtype), 0) : y
            (finite * w).sum().backward()
            return (y, x.grad!)
        }
        let (y32, g32) = run(.float32), (y64, g64) = run(.float64)
        let scale = log ? max(1, abs(offset)) : 1
        let yError = Self.worst(y32.scalars(as: Float.self), y64.scalars(as: Double.self))
        let gError = Self.worst(g32.scalars(as: Float.self), g64.scalars(as: Double.self))
        #expect(yError <= 1e-6 * scale, "\(name) n=\(n): output differs by \(yError)")
        #expect(gError <= 2e-6, "\(name) n=\(n): gradient differs by \(gError)")
        // Masked scores: probability exactly 0 (log-probability −∞), gradient exactly 0.
        let y = y32.scalars(as: Float.self), g = g32.scalars(as: Float.self)
        for (i, v) in values.enumerated() where v == -.infinity {
            #expect(log ? y[i] == -.infinity : y[i] == 0, "\(name) n=\(n): masked entry \(i) gives \(y[i])")
            #expect(g[i] == 0, "\(name) n=\(n): masked entry \(i) has gradient \(g[i])")
        }
    }

    @Test("softmax and log-softmax of Float32 rows match Float64, forward and backward", arguments: [false, true])
    func matchesFloat64(log: Bool) {
        for (k, n) in Self.lengths.enumerated() {
            compare(log ? "logSoftmax" : "softmax", log: log, rows: 5, n: n, seed: UInt64(k))
        }
    }

    @Test("a large common offset keeps log-softmax's digits; saturated rows give one-hot probabilities")
    func offsetsAndSaturation() {
        compare("logSoftmax +1000", log: true, rows: 4, n: 40, offset: 1000, seed: 9)
        compare("softmax +1000", log: false, rows: 4, n: 40, offset: 1000, seed: 9)
        var row = [Double](repeating: -1e4, count: 37)
        row[20] = 1e4
        let p = Tensor(shape: [1, 37], values: row).softmax(axis: -1).scalars(as: Float.self)
        #expect(p[20] == 1 && p.enumerated().allSatisfy { $0.offset == 20 || $0.element == 0 })
    }

    @Test("the plain C kernels (processors without AVX2+FMA, forced) give the same results")
    func portableKernels() {
        KernelTesting.withPortableKernels {
            for (k, n) in [15, 16, 33, 128].enumerated() {
                compare("softmax (portable)", log: false, rows: 5, n: n, seed: UInt64(20 + k))
                compare("logSoftmax (portable)", log: true, rows: 5, n: n, seed: UInt64(20 + k))
            }
            specialValues()
        }
    }

    @Test("a row of −∞ is NaN, NaN spreads over its row only, as on the Float64 path")
    func specialValues() {
        let n = 20
        var values = [Double](repeating: 0.5, count: 3 * n)
        for k in 0..<n { values[k] = -.infinity }   // row 0: all masked
        values[n + 7] = .nan                         // row 1: one NaN
        for log in [false, true] {
            let x32 = Tensor(shape: [3, n], values: values), x64 = Tensor(shape: [3, n], values: values, dtype: .float64)
            let y32 = (log ? x32.logSoftmax(axis: -1) : x32.softmax(axis: -1)).scalars(as: Float.self)
            let y64 = (log ? x64.logSoftmax(axis: -1) : x64.softmax(axis: -1)).scalars(as: Double.self)
            for i in 0..<(2 * n) {
                #expect(y32[i].isNaN == y64[i].isNaN && (y32[i].isNaN || Double(y32[i]) == y64[i]),
                        "log \(log): entry \(i) is \(y32[i]), Float64 \(y64[i])")
            }
            #expect((0..<n).allSatisfy { y32[n + $0].isNaN }, "a NaN spreads over its row")
            let uniform = log ? Float(Foundation.log(1.0 / Double(n))) : Float(1.0 / Double(n))
            #expect((0..<n).allSatisfy { abs(y32[2 * n + $0] - uniform) < 1e-6 }, "row 2 is uniform")
        }
    }

    @Test("large tensors split over threads give the rows a single pass gives")
    func manyRows() {
        let values = Self.logits(rows: 700, n: 128, seed: 3)
        let x = Tensor(shape: [700, 128], values: values)
        let whole = x.softmax(axis: -1).scalars(as: Float.self)
        var single: [Float] = []
        for r in stride(from: 0, to: 700, by: 100) {
            single += x.slice(axis: 0, start: r, end: r + 100).softmax(axis: -1).scalars(as: Float.self)
        }
        #expect(whole == single)
        #expect(Self.worst(whole, Tensor(shape: [700, 128], values: values, dtype: .float64).softmax(axis: -1).scalars(as: Double.self)) < 1e-6)
    }
}
