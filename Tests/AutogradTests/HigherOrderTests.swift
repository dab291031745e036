import Foundation
import Gradus
import GradusTestSupport
import Testing

@Suite("Higher-order gradients")
struct HigherOrderTests {
    let points: [Double] = [-1.3, -0.2, 0.4, 1.7]

    func secondDerivative(_ f: (Tensor) -> Tensor) -> [Double] {
        let x = Tensor(points, dtype: .float64).requiringGrad()
        let dy = Autograd.gradients(of: f(x).sum(), wrt: [x], createGraph: true)[0]
        return Autograd.gradients(of: dy.sum(), wrt: [x])[0].scalars(as: Double.self)
    }

    func expectClose(_ a: [Double], _ b: [Double], _ what: String) {
        for (u, v) in zip(a, b) { #expect(abs(u - v) <= 1e-12 + 1e-10 * abs(v), "\(what): \(u) vs \(v)") }
    }

    @Test func tanhSecondDerivative() {
        // d²/dx² tanh x = −2 tanh x (1 − tanh² x)
        expectClose(secondDerivative { $0.tanh() }, points.map { -2 * tanh($0) * (1 - tanh($0) * tanh($0)) }, "tanh''")
    }

    @Test func expSecondDerivative() {
        expectClose(secondDerivative { $0.exp() }, points.map { Foundation.exp($0) }, "exp''")
    }

    @Test func cubeSecondDerivative() {
        expectClose(secondDerivative { $0 * $0 * $0 }, points.map { 6 * $0 }, "(x·x·x)''")
        expectClose(secondDerivative { $0.pow(3) }, points.map { 6 * $0 }, "pow(x,3)''")
    }

    @Test func thirdDerivativeOfCube() {
        let x = Tensor(points, dtype: .float64).requiringGrad()
        let d1 = Autograd.gradients(of: x.pow(3).sum(), wrt: [x], createGraph: true)[0]
        let d2 = Autograd.gradients(of: d1.sum(), wrt: [x], createGraph: true)[0]
        let d3 = Autograd.gradients(of: d2.sum(), wrt: [x])[0]
        expectClose(d3.scalars(as: Double.self), points.map { _ in 6 }, "x³'''")
    }

    struct HVPFixture: Decodable {
        let params: [String: TensorFixture]
        let x: TensorFixture
        let y: TensorFixture
        let v: [String: TensorFixture]
        let loss: Double
        let grad: [String: TensorFixture]
        let hvp: [String: TensorFixture]
    }

    @Test("Hessian-vector product of an MLP's loss matches PyTorch")
    func hessianVectorProduct() throws {
        let f = try Fixtures.decode(HVPFixture.self, "autograd/hvp.json")
        let names = ["w1", "b1", "w2", "b2"]
        let p = names.map { f.params[$0]!.tensor(.float64).requiringGrad() }
        let x = f.x.tensor(.float64), y = f.y.tensor(.float64)
        let h = (Tensor.matmulT(x, p[0]) + p[1]).tanh()
        let loss = ((Tensor.matmulT(h, p[2]) + p[3] - y).square()).mean()
        #expect(abs(loss.item(Double.self) - f.loss) < 1e-12)
        let grads = Autograd.gradients(of: loss, wrt: p, createGraph: true)
        for (n, g) in zip(names, grads) { #expect(mismatch(g, f.grad[n]!.tensor(.float64), rtol: 1e-10, atol: 1e-12) == nil) }
        var dot = (grads[0] * f.v["w1"]!.tensor(.float64)).sum()
        for (i, n) in names.enumerated().dropFirst() { dot = dot + (grads[i] * f.v[n]!.tensor(.float64)).sum() }
        let hvp = Autograd.gradients(of: dot, wrt: p)
        for (n, hv) in zip(names, hvp) {
            let m = mismatch(hv, f.hvp[n]!.tensor(.float64), rtol: 1e-9, atol: 1e-12)
            #expect(m == nil, "HVP \(n): \(m ?? "")")
        }
    }
}

extension Tensor {
    /// a · bᵀ, as `nn.Linear` computes it.
    static func matmulT(_ a: Tensor, _ b: Tensor) -> Tensor { a.matmul(b.t) }
}
