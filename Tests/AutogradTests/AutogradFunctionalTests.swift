import Foundation
import Gradus
import GradusTestSupport
import Testing

/// Jacobians, Hessians and the vector products of `Autograd` against analytic derivatives, central
/// differences (Float64) and each other: vjp = Jᵀv, jvp = J·v, hvp = H·v.
@Suite("Autograd's functional derivatives")
struct AutogradFunctionalTests {
    func normal(_ shape: [Int], seed: UInt64) -> Tensor {
        var rng = SeededGenerator(seed: seed)
        return Tensor.normal(shape, dtype: .float64, generator: &rng)
    }

    func values(_ t: Tensor) -> [Double] { t.scalars(as: Double.self) }

    func close(_ a: [Double], _ b: [Double], _ tolerance: Double = 1e-9) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= tolerance * max(1, abs($1)) }
    }

    /// Central differences of `f` with respect to input `k`: `[output elements, input k elements]`, row-major.
    func numericJacobian(_ inputs: [Tensor], _ k: Int, _ f: ([Tensor]) -> Tensor) -> [Double] {
        let base = inputs.map { values($0) }
        let outputs = f(inputs).count
        var columns: [[Double]] = []
        for j in 0..<base[k].count {
            func at(_ step: Double) -> [Double] {
                var moved = base
                moved[k][j] += step
                return values(f(zip(moved, inputs).map { Tensor(shape: $0.1.shape, values: $0.0, dtype: .float64) }))
            }
            let h = 1e-6
            columns.append(zip(at(h), at(-h)).map { ($0 - $1) / (2 * h) })
        }
        return (0..<outputs).flatMap { i in columns.map { $0[i] } }
    }

    @Test("the Jacobian of a small function equals its derivatives written out")
    func analyticJacobian() {
        let x = Tensor([1.5, -0.7], dtype: .float64)
        let j = Autograd.jacobian(at: x) { x in
            Tensor.stack([x[0] * x[0], x[0] * x[1], x[1].sin()])
        }
        #expect(j.shape == [3, 2])
        #expect(close(values(j), [3.0, 0, -0.7, 1.5, 0, Foundation.cos(-0.7)]))
        #expect(x.grad == nil && !x.requiresGrad, "the caller's tensor is untouched")
    }

    @Test("Jacobian blocks of several inputs have the shapes output + input and match central differences")
    func blocksMatchDifferences() {
        let w = normal([2, 3], seed: 1), b = normal([2], seed: 2), v = normal([3], seed: 3), unused = normal([4], seed: 4)
        let f: ([Tensor]) -> Tensor = { p in (p[0].matmul(v) + p[1]).tanh().reshape([1, 2]) }
        let blocks = Autograd.jacobian(at: [w, b, unused], of: f)
        #expect(blocks.map(\.shape) == [[1, 2, 2, 3], [1, 2, 2], [1, 2, 4]])
        #expect(close(values(blocks[0]), numericJacobian([w, b, unused], 0, f), 1e-7))
        #expect(close(values(blocks[1]), numericJacobian([w, b, unused], 1, f), 1e-7))
        #expect(values(blocks[2]).allSatisfy { $0 == 0 }, "an input the output ignores has a zero block")
        // A constant output: zero blocks of the right shapes.
        let constant = Autograd.jacobian(at: [w]) { _ in Tensor.ones([2], dtype: .float64) }
        #expect(constant.map(\.shape) == [[2, 2, 3]] && values(constant[0]).allSatisfy { $0 == 0 })
    }

    @Test("vjp, jvp and hvp equal the products with the Jacobian and the Hessian")
    func productsAgreeWithMatrices() {
        let x = normal([3], seed: 5), y = normal([2], seed: 6)
        let f: ([Tensor]) -> Tensor = { p in (p[0].reshape([3, 1]) * p[1].reshape([1, 2])).sin() + p[0].sum().exp() }  // [3, 2]
        let blocks = Autograd.jacobian(at: [x, y], of: f)                 // [3, 2, 3], [3, 2, 2]
        let cotangent = normal([3, 2], seed: 7)
        let (value, vjp) = Autograd.vjp(at: [x, y], of: f, v: cotangent)
        #expect(close(values(value), values(f([x, y]))))
        for (k, input) in [x, y].enumerated() {
            let expected = values((blocks[k].reshape([6, input.count]) * cotangent.reshape([6, 1])).sum(axes: [0]))
            #expect(close(values(vjp[k]), expected), "vjp \(k)")
        }
        let tangents = [normal([3], seed: 8), normal([2], seed: 9)]
        let (_, jvp) = Autograd.jvp(at: [x, y], of: f, v: tangents)
        let expectedJVP = blocks[0].reshape([6, 3]).matmul(tangents[0]) + blocks[1].reshape([6, 2]).matmul(tangents[1])
        #expect(jvp.shape == [3, 2] && close(values(jvp), values(expectedJVP)))

        let g: ([Tensor]) -> Tensor = { p in (p[0] * p[0] * p[0]).sum() + (p[0][0] * p[1]).sum() + p[1].exp().sum() }
        let h = Autograd.hessian(at: [x, y], of: g)
        #expect(h.map { $0.map(\.shape) } == [[[3, 3], [3, 2]], [[2, 3], [2, 2]]])
        // Written out: ∂²/∂x² = diag(6x); ∂²/∂x₀∂y_j = 1; ∂²/∂y² = diag(exp y).
        let xs = values(x), ys = values(y)
        let diagonal: [Double] = (0..<9).map { (i: Int) -> Double in i % 4 == 0 ? 6 * xs[i / 4] : 0 }
        #expect(close(values(h[0][0]), diagonal))
        #expect(close(values(h[0][1]), [1, 1, 0, 0, 0, 0]) && close(values(h[1][0]), [1, 0, 0, 1, 0, 0]))
        #expect(close(values(h[1][1]), [Foundation.exp(ys[0]), 0, 0, Foundation.exp(ys[1])]))
        let (_, hvp) = Autograd.hvp(at: [x, y], of: g, v: tangents)
        let expectedX = h[0][0].matmul(tangents[0]) + h[0][1].matmul(tangents[1])
        let expectedY = h[1][0].matmul(tangents[0]) + h[1][1].matmul(tangents[1])
        #expect(close(values(hvp[0]), values(expectedX)) && close(values(hvp[1]), values(expectedY)))
        // The single-input Hessian.
        let single = Autograd.hessian(at: x) { ($0 * $0 * $0).sum() }
        #expect(close(values(single), values(h[0][0])))
    }

    @Test("with createGraph the results differentiate again, back to the caller's tensors")
    func createGraph() throws {
        let x = Tensor([0.3, -1.2, 2.0], dtype: .float64).requiringGrad()
        // The Jacobian of x³ is diag(3x²); the sum of its entries differentiates to 6x.
        let j = Autograd.jacobian(at: x, of: { $0 * $0 * $0 }, createGraph: true)
        j.sum().backward()
        #expect(close(values(try #require(x.grad)), [1.8, -7.2, 12.0]))
        // Without it the results carry no graph.
        #expect(!Autograd.jacobian(at: x, of: { $0 * $0 }).requiresGrad)
        // jvp of sin along ones is cos(x); its gradient −sin(x).
        x.grad = nil
        let (_, directional) = Autograd.jvp(at: [x], of: { $0[0].sin() }, v: [Tensor.ones([3], dtype: .float64)], createGraph: true)
        #expect(close(values(directional), values(x.detach().cos())))
        directional.sum().backward()
        #expect(close(values(try #require(x.grad)), values(-x.detach().sin())))
    }

    @Test("wrong shapes and non-scalar functions are errors a caller catches, naming the problem")
    func refusals() {
        let x = Tensor([1.0, 2.0], dtype: .float64)
        let cases: [(String, () -> Void)] = [
            ("give v", { _ = Autograd.vjp(at: [x], of: { $0[0] * 2 }) }),
            ("v has shape", { _ = Autograd.vjp(at: [x], of: { $0[0] * 2 }, v: Tensor.ones([3], dtype: .float64)) }),
            ("tangent 0 has shape", { _ = Autograd.jvp(at: [x], of: { $0[0] * 2 }, v: [Tensor.ones([1], dtype: .float64)]) }),
            ("1 tangents for 2 inputs", { _ = Autograd.jvp(at: [x, x], of: { $0[0] * $0[1] }, v: [x]) }),
            ("not a single value", { _ = Autograd.hessian(at: x) { $0 * $0 } }),
            ("not a single value", { _ = Autograd.hvp(at: [x], of: { $0[0] * $0[0] }, v: [x]) }),
        ]
        for (expected, body) in cases {
            let error = failure { body() }
            #expect(error?.message.contains(expected) == true, "\(expected): \(String(describing: error))")
        }
    }

    @Test("edges: rules with zero-gradient shortcuts, the caller's graph, dtypes, noGrad, huge Jacobians, one-variable cov")
    func edges() throws {
        // jvp through eigh's vectors (whose backward skips them for an all-zero gradient) equals J·v.
        let a = normal([3, 3], seed: 21), t = normal([3, 3], seed: 22)
        let vectors: ([Tensor]) -> Tensor = { p in Linalg.eigh((p[0] + p[0].t) * 0.5).eigenvectors }
        let j = Autograd.jacobian(at: [a], of: vectors)[0]
        let (_, directional) = Autograd.jvp(at: [a], of: vectors, v: [t])
        #expect(close(values(directional), values(j.reshape([9, 9]).matmul(t.reshape([9])))))
        #expect(values(directional).contains { abs($0) > 1e-6 })
        // A function reading a tensor of the caller's graph leaves that graph usable.
        let w = normal([3], seed: 23).requiringGrad()
        let h = (w * 2).tanh()
        _ = Autograd.vjp(at: [normal([3], seed: 24)], of: { ($0[0] * h).sum() })
        _ = Autograd.hvp(at: [normal([3], seed: 24)], of: { ($0[0] * $0[0] * h).sum() }, v: [normal([3], seed: 25)])
        let caught = failure { h.sum().backward() }
        #expect(caught == nil, "\(String(describing: caught))")
        #expect(w.grad != nil)
        // Zero blocks take the input's dtype, as the derivatives themselves do.
        let small = Tensor([1.0, 2.0], dtype: .float32)
        #expect(Autograd.jacobian(at: [small], of: { _ in Tensor.ones([2], dtype: .float64) })[0].dtype == .float32)
        #expect(Autograd.jacobian(at: [small], of: { $0[0].to(.float64) * 2 })[0].dtype == .float32)
        // createGraph inside noGrad still records.
        let x = Tensor([0.5, 1.5], dtype: .float64).requiringGrad()
        let recorded = GradMode.noGrad { Autograd.jacobian(at: x, of: { $0 * $0 * $0 }, createGraph: true) }
        #expect(recorded.requiresGrad)
        // v may be omitted for one-element inputs.
        let (_, slope) = Autograd.jvp(at: [Tensor([2.0], dtype: .float64)], of: { $0[0] * $0[0] })
        #expect(values(slope) == [4])
        // A Jacobian no memory holds is refused before any pass.
        let wide = Tensor.zeros([1 << 20])
        let error = failure { Autograd.jacobian(at: wide) { $0 * 2 } }
        #expect(error?.kind == .outOfMemory, "\(String(describing: error))")
        // One variable: a 0-D variance and correlation, as PyTorch squeezes them.
        let row = Tensor([[1.0, 2.0, 4.0]])
        #expect(row.cov().shape == [] && abs(row.cov().item(Double.self) - 7.0 / 3) < 1e-6)
        #expect(row.corrcoef().shape == [] && row.corrcoef().item(Double.self) == 1)
    }
}
