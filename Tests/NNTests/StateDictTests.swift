import Gradus
import GradusTestSupport
import Testing

@Suite("stateDict and loadStateDict")
struct StateDictTests {
    func cnn() -> Sequential { makeLayer("cnn") as! Sequential }

    @Test func keysFollowPyTorch() throws {
        let f = try Fixtures.decode(LayerFixture.self, "nn/cnn.json")
        let keys = cnn().stateDict().keys.sorted()
        #expect(keys == f.state.keys.sorted())
        #expect(keys.contains("1.running_mean") && keys.contains("1.num_batches_tracked"))
        #expect(cnn().stateDict()["1.num_batches_tracked"]?.dtype == .int64)
    }

    @Test func roundTripCopiesValuesInPlace() throws {
        var rng = SeededGenerator(seed: 1)
        let a = cnn(), b = cnn()
        a.train()
        _ = a(Tensor.normal([4, 1, 8, 8], generator: &rng))   // moves BatchNorm's running statistics
        let weightBefore = b.parameters()[0]
        try b.loadStateDict(a.stateDict())
        #expect(b.parameters()[0] === weightBefore)         // same tensor object: optimizers keep working
        #expect(b.parameters()[0].requiresGrad)
        for (key, value) in a.stateDict() {
            let loaded = b.stateDict()[key]!
            #expect(mismatch(loaded, value, rtol: 0, atol: 0) == nil, "\(key)")
        }
        a.eval(); b.eval()
        let x = Tensor.normal([2, 1, 8, 8], generator: &rng)
        #expect(mismatch(b(x), a(x), rtol: 0, atol: 0) == nil)
    }

    @Test func stateDictTensorsShareStorage() {
        let layer = Linear(2, 2)
        let state = layer.stateDict()
        Init.ones(layer.weight)
        #expect(state["weight"]!.scalars() == [1, 1, 1, 1])
        #expect(!state["weight"]!.requiresGrad)
    }

    @Test func rejectsMissingUnexpectedAndMisshapedKeys() throws {
        let model = cnn()
        let original = model.stateDict().mapValues { $0.clone() }
        var state = cnn().stateDict()

        var missing = state
        missing["5.bias"] = nil
        #expect(throws: StateDictError(missingKeys: ["5.bias"], unexpectedKeys: [], shapeMismatches: [])) {
            try model.loadStateDict(missing)
        }

        var unexpected = state
        unexpected["6.weight"] = Tensor.zeros([1])
        #expect(throws: StateDictError(missingKeys: [], unexpectedKeys: ["6.weight"], shapeMismatches: [])) {
            try model.loadStateDict(unexpected)
        }

        state["0.weight"] = Tensor.zeros([2, 1, 5, 5])
        do {
            try model.loadStateDict(state, strict: false)
            Issue.record("a mis-shaped entry was accepted")
        } catch let error as StateDictError {
            #expect(error.shapeMismatches == [.init(key: "0.weight", expected: [2, 1, 3, 3], given: [2, 1, 5, 5])])
            #expect(error.description.contains("size mismatch for 0.weight"))
        }
        // Nothing was loaded by the failed attempts.
        for (key, value) in model.stateDict() {
            #expect(mismatch(value, original[key]!, rtol: 0, atol: 0) == nil, "\(key) changed")
        }

        // Non-strict loading skips missing and unexpected keys.
        var partial = cnn().stateDict()
        partial["5.bias"] = nil
        partial["extra"] = Tensor.zeros([1])
        try model.loadStateDict(partial, strict: false)
        #expect(mismatch(model.stateDict()["5.weight"]!, partial["5.weight"]!, rtol: 0, atol: 0) == nil)
        #expect(mismatch(model.stateDict()["5.bias"]!, original["5.bias"]!, rtol: 0, atol: 0) == nil)
    }

    @Test func convertsDtypes() throws {
        let layer = Linear(2, 1)
        try layer.loadStateDict(["weight": Tensor([[1.5, -2]], dtype: .float64), "bias": Tensor([0.25], dtype: .float64)])
        #expect(layer.weight.dtype == .float32)
        #expect(layer.weight.scalars() == [1.5, -2])
        #expect(layer.bias!.scalars() == [0.25])
    }
}
