import Gradus
import GradusTestSupport
import Testing

/// Holds a tensor weakly, to see whether a graph still keeps it.
private final class WeakTensor: @unchecked Sendable {
    weak var tensor: Tensor?
}

private final class Count: @unchecked Sendable {
    var value = 0
}

private func expectClose(_ a: Tensor?, _ b: Tensor?, _ what: String, tolerance: Double = 1e-12) {
    guard let a, let b else {
        Issue.record("\(what): missing gradient (\(a == nil), \(b == nil))")
        return
    }
    #expect(a.shape == b.shape, "\(what): shapes \(a.shape) vs \(b.shape)")
    for (u, v) in zip(a.scalars(as: Double.self), b.scalars(as: Double.self)) {
        #expect(abs(u - v) <= tolerance * max(1, abs(v)), "\(what): \(u) vs \(v)")
    }
}

/// A small block with parameters it captures (not passed in), in Float64.
private final class Block: Module, Layer {
    let first: Linear
    let second: Linear
    init(_ width: Int, seed: UInt64) {
        var rng = SeededGenerator(seed: seed)
        first = Linear(width, 2 * width, dtype: .float64, generator: &rng)
        second = Linear(2 * width, width, dtype: .float64, generator: &rng)
    }
    func callAsFunction(_ x: Tensor) -> Tensor { x + second(first(x).tanh()) }
}

@Suite("Activation checkpointing")
struct ActivationCheckpointTests {
    func input(_ shape: [Int], seed: UInt64) -> Tensor {
        var rng = SeededGenerator(seed: seed)
        return Tensor.normal(shape, dtype: .float64, generator: &rng)
    }

    @Test func gradientsEqualThoseOfThePlainComputation() {
        let blocks = (0..<3).map { Block(4, seed: UInt64($0)) }
        let x = input([5, 4], seed: 9).requiringGrad()
        func run(checkpointing: Bool) -> [Tensor] {
            blocks.forEach { $0.zeroGrad() }
            x.grad = nil
            var h = x
            for block in blocks { h = checkpointing ? Autograd.checkpoint(h) { block($0) } : block(h) }
            h.square().sum().backward()
            return [x.grad!] + blocks.flatMap { $0.parameters().map { $0.grad! } }
        }
        let plain = run(checkpointing: false)
        let checkpointed = run(checkpointing: true)
        for (k, (a, b)) in zip(checkpointed, plain).enumerated() { expectClose(a, b, "gradient \(k)") }
    }

    @Test func intermediateTensorsAreNotKept() {
        let block = Block(3, seed: 1)
        let x = input([2, 3], seed: 2).requiringGrad()
        let inner = WeakTensor()
        let y = Autograd.checkpoint(x) { x in
            let h = block.first(x)
            inner.tensor = h
            return block.second(h.tanh())
        }
        #expect(inner.tensor == nil, "the graph inside the checkpoint was kept")
        // Without checkpointing the graph keeps it (so the test can fail).
        let kept = WeakTensor()
        let z = { () -> Tensor in let h = block.first(x); kept.tensor = h; return block.second(h.tanh()) }()
        #expect(kept.tensor != nil)
        y.sum().backward()
        z.sum().backward()
    }

    @Test(arguments: [false, true])
    func aTensorOfTheCallersGraphReadInsideIsNotCountedTwice(alsoOutside: Bool) throws {
        // `encoded` is an interior tensor made before the checkpoint; the body reads it (captured), and
        // (in one case) so does the loss outside. w reaches the loss through it and through the body directly.
        let w = input([3], seed: 3).requiringGrad()
        let x = input([3], seed: 4).requiringGrad()
        func loss(checkpointing: Bool) -> Tensor {
            let encoded = w.exp()
            let body: (Tensor) -> Tensor = { ($0 * encoded).sin() + w * 2 }
            let y = checkpointing ? Autograd.checkpoint(x, body) : body(x)
            return alsoOutside ? (y.square() + encoded).sum() : y.square().sum()
        }
        for retain in [false, true] {
            let plain = Autograd.gradients(of: loss(checkpointing: false), wrt: [w, x])
            let checkpointed = try GradusError.catching {
                Autograd.gradients(of: loss(checkpointing: true), wrt: [w, x], retainGraph: retain)
            }
            expectClose(checkpointed[0], plain[0], "w, retainGraph \(retain)")
            expectClose(checkpointed[1], plain[1], "x, retainGraph \(retain)")
        }
    }

    @Test func severalResultsAndInputsThatNeedNoGradient() {
        let a = input([2, 3], seed: 5).requiringGrad()
        let b = input([3], seed: 6)                          // needs no gradient
        let c = input([2, 3], seed: 7).requiringGrad()
        func losses(checkpointing: Bool) -> Tensor {
            let body: ([Tensor]) -> [Tensor] = { t in
                [(t[0] * t[1]).tanh(), t[2].sum(axes: [1]), (t[0] * 2).argmax(axis: 1)]
            }
            let r = checkpointing ? Autograd.checkpoint([a, b, c], body) : body([a, b, c])
            #expect(r[2].dtype == .int64 && !r[2].requiresGrad)
            return (r[0].square().sum() + (r[1] * r[1] * r[1]).sum())
        }
        let plain = Autograd.gradients(of: losses(checkpointing: false), wrt: [a, c])
        let checkpointed = Autograd.gradients(of: losses(checkpointing: true), wrt: [a, c])
        expectClose(checkpointed[0], plain[0], "a")
        expectClose(checkpointed[1], plain[1], "c")
    }

    @Test func secondDerivativesThroughACheckpoint() {
        let x = input([4], seed: 8).requiringGrad()
        let y = Autograd.checkpoint(x) { ($0 * $0 * $0).sin() }.sum()
        let dy = Autograd.gradients(of: y, wrt: [x], createGraph: true)[0]
        let d2 = Autograd.gradients(of: dy.sum(), wrt: [x])[0]
        // f = sin(x³): f'' = 6x cos(x³) − 9x⁴ sin(x³)
        let v = x.detach()
        let cube = v * v * v
        expectClose(d2, v * 6 * cube.cos() - v.pow(4) * 9 * cube.sin(), "f''", tolerance: 1e-10)
    }

    @Test func dropoutRepeatsItsMaskWhenComputedAgain() {
        // The default generator (functional dropout) and a layer's own generator (Checkpointed).
        let x = input([6, 8], seed: 10).requiringGrad()
        let w = input([8], seed: 11).requiringGrad()
        func gradients(checkpointing: Bool) -> [Tensor] {
            Random.withSeed(5) {
                let body: (Tensor) -> Tensor = { Functional.dropout($0 * w, p: 0.5, training: true) }
                let y = checkpointing ? Autograd.checkpoint(x, body) : body(x)
                _ = Tensor.uniform([3])   // draws after the forward pass must not disturb the replay
                return Autograd.gradients(of: y.square().sum(), wrt: [x, w])
            }
        }
        let plain = gradients(checkpointing: false)
        let checkpointed = gradients(checkpointing: true)
        expectClose(checkpointed[0], plain[0], "x")
        expectClose(checkpointed[1], plain[1], "w")
        // Without replaying the generator the masks differ (the test can fail).
        let unreplayed = Random.withSeed(5) {
            let y = Autograd.checkpoint(x, preserveRandomState: false) { Functional.dropout($0 * w, p: 0.5, training: true) }
            return Autograd.gradients(of: y.square().sum(), wrt: [x])[0]
        }
        #expect(unreplayed.scalars(as: Double.self) != plain[0].scalars(as: Double.self))

        let layer = Dropout(p: 0.5, generator: SeededGenerator(seed: 3))
        let wrapped = Checkpointed(Dropout(p: 0.5, generator: SeededGenerator(seed: 3)))
        let expected = Autograd.gradients(of: layer(x).square().sum(), wrt: [x])[0]
        let got = Autograd.gradients(of: wrapped(x).square().sum(), wrt: [x])[0]
        expectClose(got, expected, "own generator")
        // Both generators advanced alike: the next masks agree too.
        #expect(GradMode.noGrad { wrapped(x) }.scalars(as: Double.self) == GradMode.noGrad { layer(x) }.scalars(as: Double.self))
    }

    @Test func checkpointedLayerGivesTheSameGradientsAndStatistics() {
        var rng = SeededGenerator(seed: 12)
        func model() -> Sequential {
            var r = SeededGenerator(seed: 13)
            return Sequential {
                Linear(4, 6, dtype: .float64, generator: &r)
                BatchNorm1d(6, dtype: .float64)
                Dropout(p: 0.3, generator: SeededGenerator(seed: 14))
                ReLU()
                Linear(6, 2, dtype: .float64, generator: &r)
            }
        }
        let x = Tensor.normal([8, 4], dtype: .float64, generator: &rng)
        let plain = model()
        let inner = model()
        let wrapped = Checkpointed(inner)
        for step in 0..<2 {
            plain.zeroGrad()
            wrapped.zeroGrad()
            plain(x).square().sum().backward()
            wrapped(x).square().sum().backward()
            for ((name, p), (_, q)) in zip(plain.namedParameters(), wrapped.namedParameters()) {
                expectClose(q.grad, p.grad, "step \(step) \(name)")
            }
            for ((name, p), (_, q)) in zip(plain.namedBuffers(), wrapped.namedBuffers()) {
                expectClose(q, p, "step \(step) buffer \(name)")
            }
        }
        #expect(wrapped.namedParameters().map(\.name).first == "wrapped.0.weight")
    }

    @Test func sequentialSegmentsMatchThePlainModel() {
        var r = SeededGenerator(seed: 15)
        let model = Sequential {
            Linear(3, 5, dtype: .float64, generator: &r)
            Tanh()
            Linear(5, 5, dtype: .float64, generator: &r)
            Tanh()
            Linear(5, 1, dtype: .float64, generator: &r)
        }
        let x = input([4, 3], seed: 16)
        model(x).sum().backward()
        let expected = model.parameters().map { $0.grad!.clone() }
        for segments in 1...5 {
            model.zeroGrad()
            let y = model.checkpointed(segments: segments, x)
            expectClose(y, model(x), "output, \(segments) segments")
            y.sum().backward()
            for (k, (p, e)) in zip(model.parameters(), expected).enumerated() { expectClose(p.grad, e, "\(segments) segments, parameter \(k)") }
        }
        #expect(failure { model.checkpointed(segments: 0, x) }?.kind == .invalidArgument)
        #expect(failure { model.checkpointed(segments: 6, x) }?.kind == .invalidArgument)
    }

    @Test func parameterHooksRunOnceAndOnlyThroughTheEnclosingPass() {
        let block = Block(2, seed: 17)
        let count = Count()
        block.first.weight.registerHook { _ in count.value += 1; return nil }
        let x = input([3, 2], seed: 18).requiringGrad()
        Autograd.checkpoint(x) { block($0) }.sum().backward()
        #expect(count.value == 1)
        #expect(block.first.weight.grad != nil)
    }

    @Test func refusals() {
        let x = input([3], seed: 19).requiringGrad()
        // An input changed in place between the passes.
        let y = Autograd.checkpoint(x) { $0.exp() }
        GradMode.noGrad { _ = x.addInPlace(Tensor([1.0, 1.0, 1.0], dtype: .float64)) }
        #expect(failure { y.sum().backward() }?.kind == .inPlaceModification)
        // Results that carry gradients in two types.
        let z = input([3], seed: 20).requiringGrad()
        #expect(failure { Autograd.checkpoint([z]) { [$0[0] * 2, ($0[0] * 3).to(.float32)] } }?.kind == .dtypeMismatch)
        // A body that computes something else the second time.
        let calls = Count()
        let changing = Autograd.checkpoint(z) { t -> Tensor in
            calls.value += 1
            return calls.value == 1 ? t * 2 : t.slice(axis: 0, start: 0, end: 2) * 2
        }
        #expect(failure { changing.sum().backward() }?.message.contains("computed again") == true)
        // Outside grad mode the body simply runs, recording nothing.
        let plain = GradMode.noGrad { Autograd.checkpoint(z) { $0 * 2 } }
        #expect(!plain.requiresGrad)
    }

    @Test func createGraphPassesThroughACheckpointBesideOtherPaths() {
        // A residual around the checkpoint: the enclosing pass's partial gradient on h must survive the
        // checkpoint's recomputation (with createGraph, the copy of h is a recorded clone of it).
        let x = input([3], seed: 21).requiringGrad()
        let w = input([3], seed: 22).requiringGrad()
        func loss(checkpointing: Bool) -> Tensor {
            let h = x * 3
            let body: (Tensor) -> Tensor = { ($0 * w).sin() }
            return (h + (checkpointing ? Autograd.checkpoint(h, body) : body(h))).square().sum()
        }
        let plain = Autograd.gradients(of: loss(checkpointing: false), wrt: [x, w], createGraph: true)
        let checkpointed = Autograd.gradients(of: loss(checkpointing: true), wrt: [x, w], createGraph: true)
        expectClose(checkpointed[0], plain[0], "dx")
        expectClose(checkpointed[1], plain[1], "dw")
        // Second derivatives through the recorded first ones.
        let plain2 = Autograd.gradients(of: plain[0].sum() + plain[1].sum(), wrt: [x, w])
        let checkpointed2 = Autograd.gradients(of: checkpointed[0].sum() + checkpointed[1].sum(), wrt: [x, w])
        expectClose(checkpointed2[0], plain2[0], "d2x", tolerance: 1e-10)
        expectClose(checkpointed2[1], plain2[1], "d2w", tolerance: 1e-10)
        // backward(createGraph:) accumulates each path once.
        w.grad = nil
        loss(checkpointing: true).backward(createGraph: true)
        expectClose(w.grad, plain[1], "w.grad")
    }

    @Test func aBodyReturningATensorFromOutside() {
        let x = input([2], seed: 23).requiringGrad()
        let z = input([2], seed: 24).requiringGrad()
        func loss(checkpointing: Bool) -> Tensor {
            let o = x.exp()
            let body: ([Tensor]) -> [Tensor] = { t in [t[0] * 2, o] }
            let r = checkpointing ? Autograd.checkpoint([z], body) : body([z])
            return (r[0] * r[1]).sum() + r[1].sum() + o.square().sum()
        }
        let plain = Autograd.gradients(of: loss(checkpointing: false), wrt: [x, z])
        let checkpointed = Autograd.gradients(of: loss(checkpointing: true), wrt: [x, z])
        expectClose(checkpointed[0], plain[0], "x")
        expectClose(checkpointed[1], plain[1], "z")
    }

    @Test func aLeafGradientIsNeverTheCallersSeed() {
        let x = input([3], seed: 25).requiringGrad()
        let seed = Tensor([1.0, 2.0, 3.0], dtype: .float64)
        Autograd.checkpoint(x) { $0 }.backward(seed)
        _ = x.grad!.fillInPlace(0)
        #expect(seed.scalars(as: Double.self) == [1, 2, 3])
    }

    @Test func aBufferReadByARecordedOperationSurvivesTheReplay() {
        final class Shifted: Module, Layer {
            @Buffer("shift") var shift: Tensor? = Tensor([0.5, -1.0], dtype: .float64)
            let linear: Linear
            override init() {
                var r = SeededGenerator(seed: 26)
                linear = Linear(2, 2, dtype: .float64, generator: &r)
            }
            func callAsFunction(_ x: Tensor) -> Tensor { linear(x + shift!).tanh() }
        }
        let x = input([3, 2], seed: 27).requiringGrad()
        let plain = Shifted(), wrapped = Checkpointed(Shifted())
        let expected = Autograd.gradients(of: plain(x).sum(), wrt: [x] + plain.parameters())
        let got = Autograd.gradients(of: wrapped(x).sum(), wrt: [x] + wrapped.parameters())
        for (k, (a, b)) in zip(got, expected).enumerated() { expectClose(a, b, "gradient \(k)") }
    }

    @Test func aFailedScopeStillGetsOneResultPerOutput() {
        let x = input([2], seed: 28).requiringGrad()
        do {
            _ = try GradusError.catching {
                _ = x.reshape([5])                                   // fails first
                let r = Autograd.checkpoint([x]) { [$0[0] * 2, $0[0] + 1] }
                return r[1]
            }
            Issue.record("no error")
        } catch {
            #expect("\(error)".contains("reshape"))
        }
    }
}
