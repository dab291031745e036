import Gradus
import GradusTestSupport
import Testing

/// Counts calls from inside hooks (hooks are escaping closures).
private final class Log: @unchecked Sendable {
    var entries: [String] = []
    var gradients: [[Float]] = []
}

@Suite("Gradient hooks")
struct GradientHookTests {
    @Test func leafHookSeesThePassSumOnce() {
        // w is used three times; its hook must run once, on the sum 2w + 3.
        let w = Tensor([1, -2]).requiringGrad()
        let log = Log()
        w.registerHook { g in log.gradients.append(g.scalars()); return nil }
        (w * w + w * 3).sum().backward()
        #expect(log.gradients == [[5, -1]])
        #expect(w.grad!.scalars() == [5, -1])
    }

    @Test func replacedGradientIsWhatAccumulatesAndFlows() {
        let x = Tensor([1, 2]).requiringGrad()
        x.registerHook { g in g * 10 }
        let a = x * 3
        a.registerHook { g in g * 2 }                 // on an interior tensor: flows on to x
        a.sum().backward()
        #expect(x.grad!.scalars() == [60, 60])       // 1 · 2 · 3 · 10
        // Hooks chain in registration order, each on the previous result.
        let y = Tensor([1]).requiringGrad()
        y.registerHook { g in g + 1 }
        y.registerHook { g in g * 5 }
        (y * 1).sum().backward()
        #expect(y.grad!.scalars() == [10])
    }

    @Test func postAccumulateHookRunsWhenTheGradientIsFinal() {
        // Two layers: the second weight's gradient is final before the first one's is computed.
        let w1 = Tensor([[0.5, -1], [2, 1]]).requiringGrad()
        let w2 = Tensor([[1], [-3]]).requiringGrad()
        let x = Tensor([[1, 2]])
        let log = Log()
        w1.registerPostAccumulateGradHook { p in log.entries.append("w1 \(p.grad != nil)") }
        w2.registerPostAccumulateGradHook { _ in log.entries.append("w2, w1 has grad: \(w1.grad != nil)") }
        x.matmul(w1).relu().matmul(w2).sum().backward()
        #expect(log.entries == ["w2, w1 has grad: false", "w1 true"])
        // The hook sees the accumulated value: a second pass adds to the first.
        var seen: [Float] = []
        w2.registerPostAccumulateGradHook { p in seen = p.grad!.scalars() }
        x.matmul(w1).relu().matmul(w2).sum().backward()
        let once = x.matmul(w1).relu().detach().scalars()
        #expect(seen == once.map { 2 * $0 })
    }

    @Test func slicedLeafHookRunsOnceWithTheFullGradient() {
        let w = Tensor([1, 2, 3, 4]).requiringGrad()
        let log = Log()
        w.registerHook { g in log.gradients.append(g.scalars()); return nil }
        let y = w.slice(axis: 0, start: 0, end: 2) * 2 + w.slice(axis: 0, start: 1, end: 3) * 5
        y.sum().backward()
        #expect(log.gradients == [[2, 7, 5, 0]])
        #expect(w.grad!.scalars() == [2, 7, 5, 0])
    }

    @Test func hooksRunOnEveryPassAndStopWhenRemoved() {
        let w = Tensor([3]).requiringGrad()
        let log = Log()
        let handle = w.registerHook { _ in log.entries.append("pre"); return nil }
        let post = w.registerPostAccumulateGradHook { _ in log.entries.append("post") }
        let loss = (w * w).sum()
        loss.backward(retainGraph: true)
        loss.backward()
        #expect(log.entries == ["pre", "post", "pre", "post"])
        handle.remove()
        handle.remove()   // a second removal does nothing
        post.remove()
        (w * w).sum().backward()
        #expect(log.entries.count == 4)
        #expect(w.grad!.scalars() == [18])
    }

    @Test func leafRootRunsItsHooks() {
        let w = Tensor([1, 2]).requiringGrad()
        let log = Log()
        w.registerHook { g in log.gradients.append(g.scalars()); return g * 2 }
        w.backward(Tensor([3, 4]))
        #expect(log.gradients == [[3, 4]])
        #expect(w.grad!.scalars() == [6, 8])
    }

    @Test func queuedCallbackRunsAfterTheWholePass() {
        let w1 = Tensor([1, 2]).requiringGrad()
        let w2 = Tensor([3, 4]).requiringGrad()
        let log = Log()
        #expect(!Autograd.queueCallback { log.entries.append("outside") })
        w2.registerPostAccumulateGradHook { _ in
            log.entries.append("w2")
            Autograd.queueCallback { log.entries.append("end: w1 has grad \(w1.grad != nil)") }
        }
        w1.registerPostAccumulateGradHook { _ in log.entries.append("w1") }
        ((w1 * 2).exp() * w2).sum().backward()
        #expect(log.entries.last == "end: w1 has grad true")
        #expect(log.entries.count == 3)
    }

    @Test func interiorHooksRunInFunctionalGradients() {
        let x = Tensor([1, 2]).requiringGrad()
        let a = x * 3
        a.registerHook { g in g * 2 }
        let g = Autograd.gradients(of: (a * a).sum(), wrt: [x])[0]
        #expect(g.scalars() == [36, 72])   // 2a · 2 · 3
        #expect(x.grad == nil)
    }

    @Test func badHooksAreCatchableErrors() throws {
        let w = Tensor([1, 2]).requiringGrad()
        w.registerHook { _ in Tensor([1, 2, 3]) }
        let error = #expect(throws: GradusError.self) { try GradusError.catching { (w * w).sum().backward() } }
        #expect(error?.kind == .autograd)
        #expect(error?.message.contains("returned") == true)

        let v = Tensor([1]).requiringGrad()
        v.registerHook { _ in throw GradusError(.invalidArgument, "myHook: refused") }
        let thrown = #expect(throws: GradusError.self) { try GradusError.catching { (v * 2).sum().backward() } }
        #expect(thrown?.op == "myHook")

        let interior = v * 2
        let onInterior = #expect(throws: GradusError.self) {
            try GradusError.catching { interior.registerPostAccumulateGradHook { _ in } }
        }
        #expect(onInterior?.message.contains("leaves") == true)
        let noGrad = #expect(throws: GradusError.self) {
            try GradusError.catching { Tensor([1]).registerHook { _ in nil } }
        }
        #expect(noGrad?.kind == .autograd)
    }
}
