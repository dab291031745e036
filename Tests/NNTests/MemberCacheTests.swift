import Gradus
import Testing

/// Members of built-in layers are cached (reflection is slow); every change that can alter them must
/// still show in `parameters()`, `namedBuffers()` and `stateDict()`.
@Suite("Member discovery cache")
struct MemberCacheTests {
    final class Model: Module, Layer {
        var head = Linear(4, 2)
        let body = Sequential([Linear(3, 4), ReLU()])
        func callAsFunction(_ x: Tensor) -> Tensor { head(body(x)) }
    }

    @Test("a built-in layer's optional parameter set to nil and back shows at once")
    func optionalParameterChanges() {
        let layer = Linear(3, 2)
        #expect(layer.namedParameters().map(\.name) == ["weight", "bias"])
        #expect(layer.namedParameters().map(\.name) == ["weight", "bias"])   // from the cache
        layer.bias = nil
        #expect(layer.namedParameters().map(\.name) == ["weight"])
        let b = Tensor.ones([2])
        layer.bias = b
        #expect(layer.parameters().count == 2 && layer.parameters()[1] === b && b.requiresGrad)
    }

    @Test("a buffer given a new tensor shows in the state dictionary")
    func bufferReplaced() {
        let norm = BatchNorm1d(3)
        _ = norm.stateDict()
        let fresh = Tensor([7, 8, 9])
        norm.runningMean = fresh
        #expect(norm.stateDict()["running_mean"]?.scalars() == [7, 8, 9])
        #expect(norm.namedBuffers().first { $0.name == "running_mean" }?.tensor === fresh)
    }

    @Test("a user module that replaces a child is discovered again")
    func userModuleReplacesChild() {
        let model = Model()
        let before = Set(model.parameters().map(ObjectIdentifier.init))
        #expect(before.count == 4)
        let oldHead = model.head
        model.head = Linear(4, 2)
        let after = model.parameters()
        #expect(after.count == 4 && !after.contains { $0 === oldHead.weight })
        #expect(after.contains { $0 === model.head.weight })
        // The built-in child's members still come from its cache and are the same objects.
        #expect(model.body.parameters().allSatisfy { p in before.contains(ObjectIdentifier(p)) })
    }

    @Test("zeroGrad reaches every parameter after the structure changed")
    func zeroGradAfterChange() {
        let layer = Linear(2, 2)
        layer.zeroGrad()
        layer.bias = Tensor([1, 2])
        layer.bias!.grad = Tensor([5, 5])
        layer.zeroGrad()
        #expect(layer.bias!.grad == nil || layer.bias!.grad!.scalars() == [0, 0])
    }
}
