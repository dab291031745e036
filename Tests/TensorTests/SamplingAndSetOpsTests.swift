import Gradus
import GradusTestSupport
import Testing

/// What the op table and semantics fixtures cannot show: draws (Bernoulli with per-element
/// probabilities, Gumbel-softmax, the randomized leaky ReLU) checked by their laws, and exact integers
/// beyond what a JSON number carries.
@Suite("Sampling, set membership and mode")
struct SamplingAndSetOpsTests {
    @Test func isinComparesLargeIntegersExactly() {
        let big = 1 << 53
        let elements = Tensor(shape: [3], integers: [big, big + 1, -big - 1])
        let set = Tensor(shape: [2], integers: [big + 1, -big - 1])
        #expect(elements.isin(set).scalars(as: Double.self) == [0, 1, 1])
        #expect(elements.isin(set, invert: true).scalars(as: Double.self) == [1, 0, 0])
    }

    @Test func modeSendsTheGradientToTheLastOccurrence() {
        let x = Tensor([[2, 7, 2, 9, 7, 7]], dtype: .float64).requiringGrad()
        let (values, indices) = x.mode(axis: 1)
        #expect(values.scalars(as: Double.self) == [7])
        #expect(indices.scalars(as: Double.self) == [5])
        values.sum().backward()
        #expect(x.grad!.scalars(as: Double.self) == [0, 0, 0, 0, 0, 1])
    }

    @Test func bernoulliWithPerElementProbabilities() {
        var rng = SeededGenerator(seed: 4)
        let p = Tensor([0, 0.25, 0.9, 1], dtype: .float64).reshape([1, 4]).expand([20_000, 4]).contiguous()
        let draws = Tensor.bernoulli(p, generator: &rng)
        #expect(draws.dtype == .float64 && draws.shape == [20_000, 4])
        let rates = draws.mean(axes: [0]).scalars(as: Double.self)
        #expect(rates[0] == 0 && rates[3] == 1)
        #expect(abs(rates[1] - 0.25) < 0.015 && abs(rates[2] - 0.9) < 0.01, "\(rates)")
        var again = SeededGenerator(seed: 4)
        #expect(Tensor.bernoulli(p, generator: &again).scalars(as: Double.self) == draws.scalars(as: Double.self))
        #expect(failure { Tensor.bernoulli(Tensor([0.5, 1.5])) }?.message.contains("1.5") == true)
        #expect(failure { Tensor.bernoulli(Tensor([Double.nan])) }?.kind == .invalidArgument)
        #expect(failure { Tensor.bernoulli(Tensor(shape: [1], integers: [1])) }?.kind == .dtypeMismatch)
    }

    @Test func gumbelSoftmaxSamplesTheCategoricalDistribution() {
        let logits = Tensor([[1.0, 0.0, -1.0]], dtype: .float64)
        var rng = SeededGenerator(seed: 9)
        let hard = Functional.gumbelSoftmax(logits.expand([30_000, 3]).contiguous(), tau: 0.7, hard: true, generator: &rng)
        // One-hot rows, chosen with the softmax's probabilities (the Gumbel-max property).
        #expect(hard.sum(axes: [1]).scalars(as: Double.self).allSatisfy { $0 == 1 })
        let frequencies = hard.mean(axes: [0]).scalars(as: Double.self)
        let expected = logits.softmax(axis: 1).scalars(as: Double.self)
        for (f, e) in zip(frequencies, expected) { #expect(abs(f - e) < 0.01, "\(frequencies) vs \(expected)") }
        // Soft samples are distributions; the hard one's gradient is the soft one's (straight through).
        let w = Tensor([[0.3, -1.2, 2.0]], dtype: .float64)
        var a = SeededGenerator(seed: 2), b = SeededGenerator(seed: 2)
        let x = logits.requiringGrad()
        let soft = Functional.gumbelSoftmax(x, tau: 0.5, generator: &a)
        #expect(abs(soft.sum().scalars(as: Double.self)[0] - 1) < 1e-12)
        let softGradient = Autograd.gradients(of: (soft * w).sum(), wrt: [x])[0]
        let hardGradient = Autograd.gradients(of: (Functional.gumbelSoftmax(x, tau: 0.5, hard: true, generator: &b) * w).sum(), wrt: [x])[0]
        #expect(hardGradient.scalars(as: Double.self) == softGradient.scalars(as: Double.self))
        #expect(softGradient.abs().sum().scalars(as: Double.self)[0] > 0)
        #expect(failure { Functional.gumbelSoftmax(logits, tau: 0) }?.kind == .invalidArgument)
        // Float32 logits: noise drawn in Float64 stays finite, so no row turns into NaN.
        var r = SeededGenerator(seed: 11)
        let many = Functional.gumbelSoftmax(Tensor.zeros([1000, 2000]), tau: 0.1, generator: &r)
        #expect(many.isFinite().all().scalars()[0] == 1)
    }

    @Test func randomizedLeakyReLUDrawsSlopesInItsRange() {
        var rng = SeededGenerator(seed: 5)
        let x = Tensor.normal([4000], dtype: .float64, generator: &rng).requiringGrad()
        var g = SeededGenerator(seed: 6)
        let y = Functional.rrelu(x, lower: 0.1, upper: 0.3, training: true, generator: &g)
        y.sum().backward()
        let xs = x.detach().scalars(as: Double.self), ys = y.scalars(as: Double.self), gs = x.grad!.scalars(as: Double.self)
        var slopes: [Double] = []
        for (k, v) in xs.enumerated() {
            if v > 0 {
                #expect(ys[k] == v && gs[k] == 1)
            } else {
                let slope = ys[k] / v
                #expect(slope >= 0.1 && slope <= 0.3 && abs(gs[k] - slope) < 1e-12)
                slopes.append(slope)
            }
        }
        let mean = slopes.reduce(0, +) / Double(slopes.count)
        #expect(abs(mean - 0.2) < 0.01 && Set(slopes.map { ($0 * 1e6).rounded() }).count > slopes.count / 2)
        // Evaluation: the fixed mean slope; the layer with its own generator repeats its draws.
        #expect(Functional.rrelu(x.detach(), lower: 0.1, upper: 0.3, training: false).scalars(as: Double.self)
                    == x.detach().leakyRelu(negativeSlope: 0.2).scalars(as: Double.self))
        let a = RReLU(generator: SeededGenerator(seed: 1)), b = RReLU(generator: SeededGenerator(seed: 1))
        #expect(a(x.detach()).scalars(as: Double.self) == b(x.detach()).scalars(as: Double.self))
        #expect(failure { Functional.rrelu(x, lower: 0.5, upper: 0.1, training: true) }?.kind == .invalidArgument)
    }

    @Test func checkpointedRandomizedLeakyReLURepeatsItsSlopes() {
        let x = Tensor([-1.0, -2.0, 3.0, -0.5], dtype: .float64).requiringGrad()
        let plain = RReLU(generator: SeededGenerator(seed: 3))
        let wrapped = Checkpointed(RReLU(generator: SeededGenerator(seed: 3)))
        let expected = Autograd.gradients(of: plain(x).square().sum(), wrt: [x])[0]
        let got = Autograd.gradients(of: wrapped(x).square().sum(), wrt: [x])[0]
        #expect(got.scalars(as: Double.self) == expected.scalars(as: Double.self))
    }

    @Test func sizesNoMemoryHoldsAreRefused() {
        #expect(failure { Tensor([1, 2, 3]).vander(n: Int.max / 2) }?.kind == .outOfMemory)
        #expect(failure { Tensor.arange(0, 200).combinations(r: 40) }?.kind == .outOfMemory)
        #expect(failure { Tensor([1, 2]).combinations(r: -1) }?.kind == .invalidArgument)
        #expect(Tensor([1, 2]).combinations(r: 0).shape == [0])
        #expect(Tensor([1, 2]).combinations(r: 1 << 50).shape == [0, 1 << 50])   // at once, without counting rows
        #expect(failure { Tensor([1, 2]).combinations(r: Int.max, withReplacement: true) }?.kind == .outOfMemory)
        #expect(Tensor.zeros([0]).vander(n: 1 << 40).shape == [0, 1 << 40])
    }
}
