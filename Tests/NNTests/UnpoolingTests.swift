import Gradus
import GradusTestSupport
import Testing

@Suite("Max pooling with indices and unpooling through the layers")
struct UnpoolingTests {
    @Test("MaxPool2d.withIndices then MaxUnpool2d keeps each window's maximum in place and zeros the rest; gradients flow")
    func roundTrip() throws {
        var rng = SeededGenerator(seed: 5)
        let x = Tensor.normal([2, 3, 4, 6], dtype: .float64, generator: &rng).requiringGrad()
        let pool = MaxPool2d(2), unpool = MaxUnpool2d(2)
        let (pooled, at) = pool.withIndices(x)
        #expect(pooled.scalars(as: Double.self) == pool(x).scalars(as: Double.self))
        #expect(at.dtype == .int64 && at.shape == [2, 3, 2, 3])
        let y = unpool(pooled, indices: at)
        #expect(y.shape == x.shape)
        // Each output element is either the input element at that position (a window's maximum) or 0.
        let xs = x.scalars(as: Double.self), ys = y.scalars(as: Double.self)
        #expect(zip(xs, ys).allSatisfy { $1 == 0 || $1 == $0 })
        #expect(ys.filter { $0 != 0 }.count == pooled.count)
        try GradusError.catching { (y * y).sum().backward() }
        // d/dx sum(unpool(pool(x))²) = 2x at the maxima, 0 elsewhere.
        let g = try #require(x.grad).scalars(as: Double.self)
        #expect(zip(zip(xs, ys), g).allSatisfy { pair, grad in grad == (pair.1 == 0 ? 0 : 2 * pair.0) })
        #expect(GradCheck.check(inputs: [pooled.detach(), at]) { unpool($0[0], indices: $0[1]) }.passed)
    }

    @Test("an odd input size needs its output size back; one sample without a batch dimension")
    func outputSizeAndUnbatched() {
        let x = Tensor.arange(0, 35).reshape([1, 1, 5, 7])
        let pool = MaxPool2d(2), unpool = MaxUnpool2d(2)
        let (pooled, at) = pool.withIndices(x)
        // Without the size, the indices (positions in rows of 7) do not fit 4×6 planes: refused, as PyTorch does.
        let unfit = failure { unpool(pooled, indices: at) }.map { "\($0)" }
        #expect(unfit?.contains("outside the 4×6 output plane") == true, "\(unfit ?? "no error")")
        #expect(unpool(pooled, indices: at, outputSize: (5, 7)).shape == [1, 1, 5, 7])
        let (one, oneAt) = pool.withIndices(x[0])
        #expect(unpool(one, indices: oneAt, outputSize: (5, 7)).shape == [1, 5, 7])
        #expect("\(unpool)".contains("kernelSize"))
        let message = failure { unpool(pooled, indices: at, outputSize: (9, 7)) }.map { "\($0)" }
        #expect(message?.contains("within one stride") == true, "\(message ?? "no error")")
    }

    @Test("indices that are a view are read as the view; huge paddings and mixed ranks are refused, not stops")
    func viewsAndRefusals() throws {
        let x = Tensor([1.0, 2.0, 3.0, 4.0]).reshape([1, 1, 2, 2])
        let at = Tensor(shape: [1, 1, 2, 2], integers: [0, 6, 9, 15]).transpose(2, 3)   // [[0, 9], [6, 15]]
        let y = try GradusError.catching { Functional.maxUnpool2d(x, indices: at, kernelSize: (2, 2)) }
        let ys = y.scalars(as: Double.self)
        #expect(ys[0] == 1 && ys[9] == 2 && ys[6] == 3 && ys[15] == 4 && ys.filter { $0 != 0 }.count == 4)
        let one = Tensor.ones([1, 1, 1, 1]), zero = Tensor.zeros([1, 1, 1, 1], dtype: .int64)
        let messages = [
            failure { Functional.maxUnpool2d(one, indices: zero, kernelSize: (1, 1), padding: (Int.max, 0)) },
            failure { Functional.maxUnpool2d(one, indices: zero, kernelSize: (1, 1), stride: (4, 1), padding: (Int.max / 2, 0), outputSize: (1, 1)) },
            failure { Functional.maxUnpool2d(Tensor.ones([1, 2, 2]), indices: Tensor.zeros([1, 1, 2, 2], dtype: .int64), kernelSize: (2, 2)) },
        ].map { $0.map { "\($0)" } }
        #expect(messages[0]?.contains("padding") == true, "\(messages[0] ?? "no error")")
        #expect(messages[1]?.contains("padding") == true, "\(messages[1] ?? "no error")")
        #expect(messages[2]?.contains("must have the input's shape") == true, "\(messages[2] ?? "no error")")
    }
}
