import Gradus
import GradusTestSupport
import Testing

@Suite("Backward pass")
struct BackwardTests {
    @Test func gradientsAccumulateAcrossBackwardCalls() {
        let w = Tensor([1, 2, 3]).requiringGrad()
        (w * 2).sum().backward()
        (w * 3).sum().backward()
        #expect(w.grad!.scalars() == [5, 5, 5])
        w.grad = nil
        (w * w).sum().backward()
        #expect(w.grad!.scalars() == [2, 4, 6])
    }

    @Test func sharedSubexpressionsSumTheirGradients() {
        // y = a·a + a: dy/da = 2a + 1, with `a` used three times in the graph.
        let x = Tensor([0.5, -2]).requiringGrad()
        let a = x * 3
        (a * a + a).sum().backward()
        let expected: [Float] = [3 * (2 * 1.5 + 1), 3 * (2 * -6 + 1)]
        #expect(x.grad!.scalars() == expected)
    }

    @Test func upstreamGradientForNonScalar() {
        let x = Tensor([1, 2]).requiringGrad()
        let y = x * x
        y.backward(Tensor([10, 100]))
        #expect(x.grad!.scalars() == [20, 400])
    }

    @Test func detachStopsGradients() {
        let x = Tensor([3]).requiringGrad()
        let y = x * x.detach()
        y.sum().backward()
        #expect(x.grad!.scalars() == [3])
        #expect(!x.detach().requiresGrad)
    }

    @Test func noGradRecordsNothing() {
        let x = Tensor([1, 2]).requiringGrad()
        let y = GradMode.noGrad { x * 2 }
        #expect(!y.requiresGrad && y.gradFn == nil)
        #expect(GradMode.isEnabled)
        let z = x * 2
        #expect(z.requiresGrad && z.gradFn?.name == "mul")
    }

    @Test func retainGraphAllowsASecondPass() {
        let x = Tensor([2]).requiringGrad()
        let y = (x * x).sum()
        y.backward(retainGraph: true)
        y.backward()
        #expect(x.grad!.scalars() == [8])
        #expect(y.gradFn!.isReleased)
    }

    @Test func graphIsFreedAfterBackward() {
        let x = Tensor([2, 3]).requiringGrad()
        weak var intermediate: Tensor?
        let loss: Tensor = {
            let h = x.exp()
            intermediate = h
            return (h * 2).sum()
        }()
        #expect(intermediate != nil)
        loss.backward()
        #expect(intermediate == nil, "the graph still holds intermediate tensors after backward")
    }

    @Test func tensorsAreFreedWithoutBackward() {
        weak var leaked: Tensor?
        do {
            let x = Tensor([1, 2]).requiringGrad()
            let y = x.exp().sigmoid() * x
            leaked = y
            _ = y.sum()
        }
        #expect(leaked == nil, "a graph kept itself alive (retain cycle)")
    }

    @Test("10,000 training steps keep the number of live graph nodes flat")
    func noGrowthOverManySteps() {
        var rng = SeededGenerator(seed: 3)
        let w = Tensor.normal([8, 4], generator: &rng).requiringGrad()
        let b = Tensor.zeros([4]).requiringGrad()
        let x = Tensor.normal([16, 8], generator: &rng), y = Tensor.normal([16, 4], generator: &rng)
        weak var firstLoss: Tensor?
        weak var lastHidden: Tensor?
        for step in 0..<10_000 {
            let h = (x.matmul(w) + b).tanh()
            let loss = (h - y).square().mean()
            if step == 0 { firstLoss = loss }
            lastHidden = h
            loss.backward()
            GradMode.noGrad {
                // Scoped access: the temporary w - 0.01·grad stays alive while its elements are copied.
                let updated = w - w.grad! * 0.01
                try? w.withUnsafeMutableBufferPointer(as: Float.self) { dst in
                    try updated.withUnsafeBufferPointer(as: Float.self) { src in _ = dst.update(fromContentsOf: src) }
                }
            }
            w.grad = nil
            b.grad = nil
        }
        #expect(firstLoss == nil)
        #expect(lastHidden == nil)
    }

    @Test func functionalValueWithGradient() {
        let x = Tensor([1, 2, 3])
        let (v, g) = Autograd.valueWithGradient(at: x) { ($0 * $0).sum() }
        #expect(v.item() == 14)
        #expect(g.scalars() == [2, 4, 6])
        #expect(x.grad == nil && !x.requiresGrad, "the functional API must not touch its inputs")
    }

    @Test func gradientsOfUnusedInputAreZero() {
        let a = Tensor([1, 2]).requiringGrad(), b = Tensor([3]).requiringGrad()
        let g = Autograd.gradients(of: (a * 2).sum(), wrt: [a, b])
        #expect(g[1].scalars() == [0])
        #expect(a.grad == nil, "Autograd.gradients returns gradients instead of accumulating them")
    }

    @Test func broadcastGradientsAreSummedBack() {
        let x = Tensor.ones([4, 3]).requiringGrad()
        let bias = Tensor([1, 2, 3]).requiringGrad()
        (x + bias).sum().backward()
        #expect(bias.grad!.shape == [3])
        #expect(bias.grad!.scalars() == [4, 4, 4])
    }

    @Test func backwardOfNonScalarWithoutGradientStops() async {
        await #expect(processExitsWith: .failure) {
            let x = Tensor([1, 2]).requiringGrad()
            (x * 2).backward()
        }
    }

    @Test func shapeErrorsStop() async {
        await #expect(processExitsWith: .failure) {
            _ = Tensor.zeros([2, 3]) + Tensor.zeros([4])
        }
        await #expect(processExitsWith: .failure) {
            _ = Tensor.zeros([2, 3]).matmul(Tensor.zeros([2, 3]))
        }
    }
}

@Suite("Anomaly mode")
struct AnomalyModeTests {
    @Test func namesTheOpThatProducedNaN() async {
        await #expect(processExitsWith: .failure) {
            AnomalyMode.isEnabled = true
            let x = Tensor([0, 1]).requiringGrad()
            _ = (x.log() * 0).sum()
        }
    }

    @Test("inside an error scope, anomalies throw .nonFinite naming the operation, forward and backward")
    func anomaliesThrowInScope() {
        AnomalyMode.enabled {
            let x = Tensor([-1, 1]).requiringGrad()
            do {
                try GradusError.catching { _ = (x.sqrt() * 2).sum() }
                Issue.record("no error")
            } catch let error as GradusError {
                #expect(error.kind == .nonFinite && error.op == "sqrt" && error.message.contains("forward of 'sqrt'"), "\(error)")
            } catch { Issue.record("\(error)") }
            // Infinities in a forward pass are not anomalies (masks): a causally masked attention trains.
            var rng = SeededGenerator(seed: 2)
            let attention = MultiheadAttention(embedDim: 4, numHeads: 2, batchFirst: true, generator: &rng)
            let tokens = Tensor.normal([2, 3, 4], generator: &rng).requiringGrad()
            #expect(throws: Never.self) {
                try GradusError.catching {
                    attention(query: tokens, key: tokens, value: tokens, attentionMask: Tensor.causalMask(3)).output.sum().backward()
                }
            }
            #expect(tokens.grad != nil)
            let zero = Tensor([0, 1]).requiringGrad()
            #expect(throws: Never.self) { try GradusError.catching { _ = (zero.log() * 2).sum() } }
            // sqrt at 0 is finite forward, infinite backward.
            let y = Tensor([0, 4]).requiringGrad()
            do {
                try GradusError.catching { y.sqrt().sum().backward() }
                Issue.record("no error")
            } catch let error as GradusError {
                #expect(error.kind == .nonFinite && error.message.contains("backward of 'sqrt'"), "\(error)")
            } catch { Issue.record("\(error)") }
            #expect(y.grad == nil)
        }
    }

    @Test func findsNonFiniteValues() {
        #expect(Tensor([1, .nan]).firstNonFinite() == "nan at index 1")
        #expect(Tensor([1, 2]).firstNonFinite() == nil)
    }
}
