import Gradus
import GradusTestSupport
import Testing

/// Records which hooks ran (hooks are escaping closures).
private final class Calls: @unchecked Sendable {
    var names: [String] = []
}

private func allClose(_ a: Tensor, _ b: Tensor, atol: Double) -> Bool {
    a.shape == b.shape && zip(a.scalars(as: Double.self), b.scalars(as: Double.self)).allSatisfy { abs($0 - $1) <= atol }
}

/// A backward pass asked for some tensors runs only the part of the graph that leads to them, as
/// PyTorch's `torch.autograd.grad` and `backward(inputs=)` do.
@Suite("Pruned backward passes")
struct PrunedBackwardTests {
    @Test func gradientsRunOnlyThePathsToTheRequestedTensors() {
        let a = Tensor([1.0, 2.0]).requiringGrad()
        let c = Tensor([0.5, -1.0]).requiringGrad()
        let calls = Calls()
        let side = c.exp()
        side.registerHook { g in calls.names.append("side"); return nil }
        side.retainGrad()
        let main = a * 3
        main.registerHook { g in calls.names.append("main"); return nil }
        let y = (main + side * 2).sum()
        let g = Autograd.gradients(of: y, wrt: [a], retainGraph: true)[0]
        #expect(g.scalars() == [3, 3])
        #expect(calls.names == ["main"])
        #expect(side.grad == nil)
        // The unvisited branch is intact: a later full pass still runs it.
        y.backward()
        #expect(calls.names == ["main", "side", "main"])
        #expect(side.grad!.scalars() == [2, 2])
        #expect(a.grad!.scalars() == [3, 3])
    }

    @Test func requestedInteriorTensorStopsThePassBelowIt() {
        let x = Tensor([1.0, -2.0]).requiringGrad()
        let calls = Calls()
        let h = x.square()
        x.registerHook { g in calls.names.append("x"); return nil }
        let below = h * 1
        below.registerHook { g in calls.names.append("below"); return nil }
        let y = (below.tanh() * 2).sum()
        let g = Autograd.gradients(of: y, wrt: [below])[0]
        let t = below.detach().tanh()
        #expect(allClose(g, (1 - t * t) * 2, atol: 1e-5))
        #expect(calls.names.isEmpty)   // nothing below `below` runs: not even its own hook
        #expect(x.grad == nil)
    }

    @Test func sharedSubgraphStillSumsEveryPath() {
        // h feeds both branches; only w is requested, through both.
        let x = Tensor([0.3, -0.7]).requiringGrad()
        let w = Tensor([2.0, 5.0]).requiringGrad()
        let h = x.sin()
        let y = (h * w + (h * w).square() + x.cos()).sum()
        let g = Autograd.gradients(of: y, wrt: [w])[0]
        let hv = x.detach().sin()
        let expected = hv + 2 * hv * w.detach() * hv
        #expect(allClose(g, expected, atol: 1e-5))
    }

    @Test func aTensorListedTwiceGetsItsGradientTwice() {
        let x = Tensor([1.0, 2.0]).requiringGrad()
        let w = Tensor([3.0]).requiringGrad()
        let y = (x * x * w).sum()
        let g = Autograd.gradients(of: y, wrt: [x, w, x])
        #expect(g.count == 3)
        #expect(g[0].scalars() == [6, 12])
        #expect(g[2].scalars() == [6, 12])
        #expect(g[1].scalars() == [5])
    }

    @Test func unreachableRequestIsZeroWithoutRunningTheGraph() {
        let x = Tensor([1.0]).requiringGrad()
        let z = Tensor([4.0, 5.0]).requiringGrad()
        let calls = Calls()
        let h = x.exp()
        h.registerHook { g in calls.names.append("h"); return nil }
        let g = Autograd.gradients(of: h.sum(), wrt: [z])[0]
        #expect(g.scalars() == [0, 0])
        #expect(calls.names.isEmpty)
    }

    @Test func backwardWithInputsAccumulatesOnlyIntoThem() {
        let w1 = Tensor([[1.0, -1.0], [0.5, 2.0]]).requiringGrad()
        let w2 = Tensor([[2.0], [-3.0]]).requiringGrad()
        let x = Tensor([[1.0, 2.0]])
        let hidden = x.matmul(w1).relu()
        let y = hidden.matmul(w2).sum()
        let calls = Calls()
        w2.registerPostAccumulateGradHook { _ in calls.names.append("w2 post") }
        w1.registerHook { g in calls.names.append("w1"); return nil }
        y.backward(retainGraph: true, inputs: [w2])
        #expect(w1.grad == nil)
        #expect(w2.grad!.scalars() == hidden.detach().reshape([2, 1]).scalars())
        #expect(calls.names == ["w2 post"])
        // Accumulates like backward, and into a listed interior tensor's own grad.
        y.backward(retainGraph: true, inputs: [w2, hidden])
        #expect(w2.grad!.scalars() == (hidden.detach().reshape([2, 1]) * 2).scalars())
        #expect(hidden.grad!.scalars() == [2, -3])
        #expect(w1.grad == nil)
        // Without the list every leaf is reached.
        y.backward()
        #expect(w1.grad != nil)
        #expect(calls.names == ["w2 post", "w2 post", "w2 post", "w1"])
    }

    @Test func backwardWithInputsAppliesLeafHooksAndKeepsGradientsApart() {
        // y = x·1: the rule passes the seed on unchanged; the leaf's grad must not be the seed's storage.
        let x = Tensor([1.0, 2.0]).requiringGrad()
        x.registerHook { g in g * 10 }
        let seed = Tensor([1.0, 1.0])
        let y = x * 1
        y.backward(seed, inputs: [x])
        #expect(x.grad!.scalars() == [10, 10])
        _ = x.grad!.fillInPlace(0)
        #expect(seed.scalars() == [1, 1])
    }

    @Test func backwardWithInputsRefusesWhatItCannotReach() {
        let x = Tensor([1.0, 2.0]).requiringGrad()
        let y = (x * 2).sum()
        #expect(failure { y.backward(retainGraph: true, inputs: []) }?.kind == .autograd)
        #expect(failure { y.backward(retainGraph: true, inputs: [Tensor([1.0])]) }?.message.contains("input 0") == true)
        #expect(x.grad == nil)
    }

    @Test func createGraphThroughAPrunedPassDifferentiatesAgain() {
        let x = Tensor([0.5, 1.5]).requiringGrad()
        let unrelated = Tensor([2.0]).requiringGrad()
        let y = (x.pow(3) + unrelated.exp()).sum()
        let dx = Autograd.gradients(of: y, wrt: [x], createGraph: true)[0]    // 3x²
        let d2 = Autograd.gradients(of: dx.sum(), wrt: [x])[0]                // 6x
        #expect(allClose(d2, x.detach() * 6, atol: 1e-5))
    }

    @Test func functionalDerivativesLeaveTheCallersGraphAlone() {
        // The function reads `encoded`, a tensor of the caller's graph with a hook: the Hessian's passes
        // (with createGraph, recording) must neither run that hook nor walk below it.
        let w = Tensor([0.5, -1.0]).requiringGrad()
        let encoded = w.exp()
        let calls = Calls()
        encoded.registerHook { g in calls.names.append("encoded"); return nil }
        let x = Tensor([1.0, 2.0])
        let h = Autograd.hessian(at: x) { ($0.square() * encoded).sum() }
        let e = encoded.detach().scalars(as: Double.self)
        #expect(h.scalars(as: Double.self) == [2 * e[0], 0, 0, 2 * e[1]])
        #expect(calls.names.isEmpty)
        encoded.sum().backward()
        #expect(calls.names == ["encoded"])
        #expect(w.grad!.scalars(as: Double.self) == e)
    }

    @Test func aRetainedInteriorInputIsCountedOnce() {
        let w1 = Tensor([[1.0, -1.0], [0.5, 2.0]]).requiringGrad()
        let w2 = Tensor([[2.0], [-3.0]]).requiringGrad()
        let hidden = Tensor([[1.0, 2.0]]).matmul(w1).relu()
        hidden.retainGrad()
        hidden.matmul(w2).sum().backward(inputs: [hidden, w1])
        #expect(hidden.grad!.scalars() == [2, -3])
        #expect(w1.grad != nil && w2.grad == nil)
    }
}
