import Gradus
import GradusTestSupport
import Testing

@Suite("div with a rounding mode")
struct RoundedDivisionTests {
    @Test("the gradient of a rounded quotient is zero for each input that requires one, as PyTorch's; nil mode is true division")
    func zeroGradients() throws {
        for mode in Tensor.DivisionRounding.allCases {
            let a = Tensor([-7.5, 7.5, 3.0]).requiringGrad()
            let b = Tensor([2.0], dtype: .float64).requiringGrad()
            let y = a.div(b, roundingMode: mode)
            #expect(y.dtype == .float64 && y.requiresGrad)
            try GradusError.catching { y.sum().backward() }
            #expect(a.grad?.dtype == .float32 && a.grad?.scalars(as: Double.self) == [0, 0, 0])
            #expect(b.grad?.shape == [1] && b.grad?.scalars(as: Double.self) == [0])
        }
        let x = Tensor([3.0]).requiringGrad()
        let q = x.div(Tensor([2.0]))
        try GradusError.catching { q.sum().backward() }
        #expect(x.grad?.scalars(as: Double.self) == [0.5])
        // Integers stay integers, without a graph.
        let i = Tensor(labels: [-7, 7]).div(Tensor(labels: [2, 2]), roundingMode: .trunc)
        #expect(i.dtype == .int64 && !i.requiresGrad && i.scalars(as: Double.self) == [-3, 3])
    }
}
