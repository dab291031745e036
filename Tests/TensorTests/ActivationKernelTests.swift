import Foundation
@_spi(KernelTesting) import Gradus
import Testing

/// The vectorized Float32 sigmoid and tanh (CGradusMath) against Float64 references over their whole
/// range, with the special values.
@Suite("Vectorized sigmoid and tanh")
struct ActivationKernelTests {
    /// -100 ... 100 on a fine grid, plus tiny magnitudes, both signs.
    static let inputs: [Float] = {
        var v = stride(from: -100.0, through: 100.0, by: 0.0137).map { Float($0) }
        for e in stride(from: -40, through: 2, by: 1) { let m = Float(pow(10.0, Double(e))); v += [m, -m, 0.7 * m, -0.7 * m] }
        v += [0.625, -0.625, 0.62499, 0.62501, 9, -9, 44, -44, 87, -87, 88.5, -88.5, 0]
        return v
    }()

    func check(_ name: String, _ f: (Tensor) -> Tensor, _ reference: (Double) -> Double) {
        let x = Tensor(shape: [Self.inputs.count], values: Self.inputs.map(Double.init))
        let y = f(x).scalars()
        var worst = 0.0, worstAt: Float = 0
        for (xi, yi) in zip(Self.inputs, y) {
            let r = reference(Double(xi))
            let error = abs(Double(yi) - r) / (abs(r) + 1e-31)
            if abs(Double(yi) - r) > 1e-37 && error > worst { worst = error; worstAt = xi }
        }
        // Float32 rounding is 6e-8 relative; a few ulp of polynomial error stay below 5e-7.
        #expect(worst < 5e-7, "\(name): largest relative error \(worst) at x = \(worstAt)")
    }

    @Test func sigmoidMatchesFloat64() {
        check("sigmoid", { $0.sigmoid() }) { 1 / (1 + Foundation.exp(-$0)) }
    }

    @Test func tanhMatchesFloat64() {
        check("tanh", { $0.tanh() }) { Foundation.tanh($0) }
    }

    @Test("the plain C kernels (processors without AVX2+FMA, forced) match Float64 too")
    func portableKernels() {
        KernelTesting.withPortableKernels {
            check("sigmoid (portable)", { $0.sigmoid() }) { 1 / (1 + Foundation.exp(-$0)) }
            check("tanh (portable)", { $0.tanh() }) { Foundation.tanh($0) }
            specialValues()
        }
    }

    @Test("NaN stays NaN, infinities saturate, and tanh keeps the sign of zero")
    func specialValues() {
        let x = Tensor(shape: [5], values: [.nan, .infinity, -.infinity, 0, -0.0])
        let s = x.sigmoid().scalars(), t = x.tanh().scalars()
        #expect(s[0].isNaN && t[0].isNaN)
        #expect(s[1] == 1 && t[1] == 1 && t[2] == -1)
        #expect(s[2] >= 0 && s[2] < 1e-37)
        #expect(s[3] == 0.5 && t[3] == 0 && t[4] == 0 && t[4].sign == .minus)
    }
}
