import Gradus
import Testing

/// In-place operations, the version counter that protects recorded graphs, and parameters that keep
/// their identity when assigned.
@Suite("In-place updates and parameter identity")
struct InPlaceTests {
    private func kind(_ body: () -> Void) -> GradusError.Kind? {
        do { try GradusError.catching(body); return nil } catch { return (error as? GradusError)?.kind }
    }

    @Test("in-place operations write into the same storage, broadcast, and count versions")
    func inPlaceOperations() {
        let t = Tensor([[1, 2], [3, 4]])
        let view = t.reshape([4])          // shares the storage
        let v0 = t.version
        t.addInPlace(Tensor([10, 20]))
        #expect(t.scalars() == [11, 22, 13, 24] && view.scalars() == [11, 22, 13, 24])
        t.mulInPlace(0.5).subInPlace(Tensor([1]), alpha: 2)
        #expect(t.scalars() == [3.5, 9, 4.5, 10])
        t.clampInPlace(min: 4, max: 9)
        #expect(t.scalars() == [4, 9, 4.5, 9])
        t.assign(Tensor([7]))
        #expect(t.scalars() == [7, 7, 7, 7])
        t.fillInPlace(-1)
        #expect(t.scalars() == [-1, -1, -1, -1])
        t.zeroInPlace()
        #expect(t.scalars() == [0, 0, 0, 0] && t.version == v0 + 7 && view.version == t.version)
        let d = Tensor([1.5, 2.5], dtype: .float64)
        Tensor([0, 0]).assign(d)   // converted to float32
        #expect(kind { Tensor([1, 2]).addInPlace(Tensor([1, 2, 3])) } == .shapeMismatch)
        #expect(kind { Tensor([1, 2]).assign(Tensor.zeros([2, 2])) } == .shapeMismatch)   // would change the shape
    }

    @Test("leaves that require gradients change in place only under noGrad; recorded results never")
    func gradModeRules() {
        let w = Tensor([1.0, 2.0]).requiringGrad()
        #expect(kind { w.addInPlace(Tensor([1, 1])) } == .inPlaceModification)
        #expect(w.scalars() == [1, 2])
        _ = GradMode.noGrad { w.addInPlace(Tensor([1, 1])) }
        #expect(w.scalars() == [2, 3])
        let y = w * 2
        #expect(kind { y.zeroInPlace() } == .inPlaceModification)
    }

    @Test("backward refuses a saved tensor that was changed in place after it was used")
    func versionCounterProtectsTheGraph() {
        let w = Tensor([1.0, 2.0]).requiringGrad()
        let x = Tensor([3.0, 4.0])
        let loss = (w * x).sum()            // mul's rule reads x
        x.mulInPlace(10)
        #expect {
            try GradusError.catching { loss.backward() }
        } throws: { error in
            guard let e = error as? GradusError else { return false }
            return e.kind == .inPlaceModification && e.message.contains("'mul'")
        }
        #expect(w.grad == nil)

        // exp's rule reads its output: changing the output under noGrad is caught too.
        let a = Tensor([0.5]).requiringGrad()
        let e = a.exp()
        let s = e.sum()
        _ = GradMode.noGrad { e.fillInPlace(0) }
        #expect(kind { s.backward() } == .inPlaceModification)

        // An optimizer step changes the parameters: a retained graph from before the step is stale.
        let p = Tensor([1.0, -1.0]).requiringGrad()
        let q = (p * p).sum()
        q.backward(retainGraph: true)
        SGD([p], lr: 0.1).step()
        #expect(kind { q.backward() } == .inPlaceModification)

        // Without in-place changes, backward works as before.
        let u = Tensor([2.0]).requiringGrad()
        (u * u).sum().backward()
        #expect(u.grad!.scalars() == [4])
    }

    final class Scale: Module, Layer {
        @Parameter var factor = Tensor([1.0])
        @Parameter var offset: Tensor? = nil
        func callAsFunction(_ x: Tensor) -> Tensor { offset.map { x * factor + $0 } ?? x * factor }
    }

    @Test("assigning to a parameter property updates the tensor the optimizer trains")
    func parametersKeepTheirIdentity() {
        let layer = Linear(2, 1)
        let weight = layer.weight
        let optimizer = SGD(layer.parameters(), lr: 0.1)
        layer.weight += Tensor([[1, 1]])            // `+=` on the property: values copied in, identity kept
        #expect(layer.weight === weight && weight.requiresGrad && weight.isLeaf)
        layer.weight = Tensor([[0.5, -0.5]])
        #expect(weight.scalars() == [0.5, -0.5])
        // The optimizer still trains it.
        let x = Tensor([[1, 2]]), y = Tensor([[3]])
        for _ in 0..<3 {
            optimizer.zeroGrad()
            MSELoss()(layer(x), y).backward()
            optimizer.step()
        }
        #expect(layer.weight === weight && weight.scalars() != [0.5, -0.5])
        // A value of another shape is refused, naming both shapes.
        #expect {
            try GradusError.catching { layer.weight = Tensor([1, 2, 3]) }
        } throws: { ($0 as? GradusError)?.message.contains("[3]") == true && "\($0)".contains("[1, 2]") }
        #expect(layer.weight === weight)
    }

    @Test("optional parameters: nil is absent; a tensor set from nil becomes a trained parameter")
    func optionalParameters() {
        let m = Scale()
        #expect(m.namedParameters().map(\.name) == ["factor"])
        m.offset = Tensor([0.5])
        #expect(m.namedParameters().map(\.name) == ["factor", "offset"] && m.offset!.requiresGrad)
        m.factor = Tensor([3.0])
        #expect(m(Tensor([2.0])).scalars() == [6.5])
        m.offset = nil
        #expect(m.parameters().count == 1)
    }

    final class Careless: Module, Layer {
        let cache = Tensor([1.0])
        func callAsFunction(_ x: Tensor) -> Tensor { x }
    }

    @Test("a plain stored tensor is refused with a message naming it, not made a parameter silently")
    func plainTensorPropertyIsAnError() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Careless().parameters()
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("Careless.cache") && message.contains("@Parameter"), "\(message)")
    }
}

@Suite("In-place dtype rules")
struct InPlaceDTypeTests {
    @Test("arithmetic in place refuses a floating-point result for an int64 tensor; assign converts")
    func intTensorsStayExact() throws {
        let counts = Tensor(labels: [1, 2, 3])
        #expect(throws: GradusError.self) { _ = try GradusError.catching { counts.addInPlace(Tensor([0.5, 0.5, 0.5])) } }
        #expect(counts.scalars(as: Double.self) == [1, 2, 3])
        counts.addInPlace(Tensor(labels: [1, 1, 1]))
        #expect(counts.scalars(as: Double.self) == [2, 3, 4])
        counts.assign(Tensor([7.9, 8.2, 9.0]))
        #expect(counts.scalars(as: Double.self) == [7, 8, 9])
        let x = Tensor([1.0, 2.0])
        x.addInPlace(Tensor([0.5, 0.5], dtype: .float64))   // float64 into float32: allowed, as PyTorch
        #expect(x.scalars() == [1.5, 2.5])
    }
}
