import Gradus
import GradusTestSupport
import Testing

/// A tiny language-model head whose output projection may be tied to its embedding.
private final class TinyLM: Module, Layer {
    let embedding = Embedding(6, 3)
    let head = Linear(3, 6, bias: false)
    func callAsFunction(_ tokens: Tensor) -> Tensor { head(embedding(tokens)) }
}

/// Weight tying and shared modules as PyTorch has them: one tensor under several names, trained once,
/// listed under every name by the state dictionary; state dictionaries that lack an alias or a batch
/// count, and what a non-strict load reports.
@Suite("Tied parameters, shared modules and what loadStateDict reports")
struct TiedParameterTests {
    @Test("assigning another parameter ties the two; the gradient of both uses reaches the one tensor")
    func tying() throws {
        let model = TinyLM()
        model.head.weight = model.embedding.weight
        #expect(model.head.weight === model.embedding.weight)
        #expect(model.parameters().count == 1, "parameters() lists a tied tensor once, as PyTorch's")
        #expect(Set(model.stateDict().keys) == ["embedding.weight", "head.weight"], "state_dict lists it under both names")

        // Gradient: both uses add up (looked up rows, and every row through the head).
        let tokens = Tensor(labels: [1, 4])
        let w = model.embedding.weight
        let upstream = Tensor.normal([2, 6], dtype: .float32)
        (model(tokens) * upstream).sum().backward()
        let wv = w.detach()
        let manual = w.detach().requiringGrad()
        let rows = manual.indexSelect(axis: 0, index: tokens)
        (rows.matmul(wv.transpose(0, 1)) * upstream + wv.indexSelect(axis: 0, index: tokens).matmul(manual.transpose(0, 1)) * upstream).sum().backward()
        let got = try #require(w.grad).scalars(as: Float.self), want = try #require(manual.grad).scalars(as: Float.self)
        for (a, b) in zip(got, want) { #expect(abs(a - b) < 1e-5) }

        // An optimizer built after tying updates the one tensor.
        let optimizer = SGD(model.parameters(), lr: 0.5)
        let before = w.scalars(as: Float.self)
        optimizer.step()
        #expect(w.scalars(as: Float.self) != before && model.head.weight.scalars(as: Float.self) == w.scalars(as: Float.self))
    }

    @Test("a detached value is copied, not tied; a mis-shaped parameter cannot be tied")
    func copyingAndRefusals() {
        let a = Linear(3, 4), b = Linear(3, 4)
        b.weight = a.weight.detach()
        #expect(b.weight !== a.weight && b.weight.scalars(as: Float.self) == a.weight.scalars(as: Float.self))
        let other = Linear(4, 3)
        let error = failure { b.weight = other.weight }
        #expect(error?.message.contains("tying to a parameter of shape [3, 4]") == true)
        #expect(b.weight !== other.weight)
    }

    @Test("a module used twice is listed under both paths, and a checkpoint holding one alias still loads")
    func sharedModules() throws {
        let shared = Linear(2, 2)
        let model = Sequential([shared, ReLU(), shared])
        #expect(Set(model.stateDict().keys) == ["0.weight", "0.bias", "2.weight", "2.bias"])   // PyTorch's keys
        let fresh = Sequential([Linear(2, 2), ReLU(), Linear(2, 2)])
        // A fresh model of two distinct layers cannot take the shared model's dictionary minus one alias...
        var state = model.stateDict()
        state["2.weight"] = nil
        state["2.bias"] = nil
        #expect(throws: StateDictError.self) { try fresh.loadStateDict(state) }
        // ...but the shared model itself (a checkpoint written when aliases were listed once) loads it.
        let copy = Sequential({ let l = Linear(2, 2); return [l, ReLU(), l] }())
        let report = try copy.loadStateDict(state)
        #expect(report.missingKeys.isEmpty && report.unexpectedKeys.isEmpty)
        #expect((copy.children[0] as! Linear).weight.scalars(as: Float.self) == shared.weight.scalars(as: Float.self))
    }

    @Test("a non-strict load reports the keys it skipped; batch norm loads without num_batches_tracked")
    func reports() throws {
        let model = Sequential([Linear(3, 2), BatchNorm1d(2)])
        var state = Sequential([Linear(3, 2), BatchNorm1d(2)]).stateDict()
        state["extra.weight"] = Tensor.ones([1])
        state["0.bias"] = nil
        let report = try model.loadStateDict(state, strict: false)
        #expect(report.missingKeys == ["0.bias"] && report.unexpectedKeys == ["extra.weight"])
        // PyTorch: a plain dict without 1.num_batches_tracked loads strictly ("All keys matched").
        var noCount = model.stateDict()
        noCount["1.num_batches_tracked"] = nil
        let strict = try model.loadStateDict(noCount)
        #expect(strict.missingKeys.isEmpty)
        noCount["1.running_mean"] = nil
        #expect(throws: StateDictError.self) { try model.loadStateDict(noCount) }
    }
}
