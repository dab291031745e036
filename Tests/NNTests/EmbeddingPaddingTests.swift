import Gradus
import GradusTestSupport
import Testing

/// `paddingIdx` counts from the end when negative, as PyTorch's `nn.Embedding(padding_idx=-1)` does,
/// and is stored counted from the start (PyTorch's `padding_idx` attribute is 9 for -1 of 10 rows).
@Suite("Embedding paddingIdx")
struct EmbeddingPaddingTests {
    @Test func negativePaddingIdxCountsFromTheEnd() {
        let e = Embedding(10, 3, paddingIdx: -1)
        #expect(e.paddingIdx == 9)
        #expect(e.extraDescription == "10, 3, paddingIdx: 9")
        // Row 9 starts at zero; the other rows are drawn from N(0, 1).
        let table = e.weight.scalars(as: Double.self)
        #expect(Array(table[27..<30]) == [0, 0, 0])
        #expect(table[0..<27].contains { $0 != 0 })

        // Row 9 is looked up but receives no gradient; row 2 receives one per lookup.
        let out = e(Tensor(labels: [9, 2, 9]))
        #expect(out.shape == [3, 3])
        let values = out.scalars(as: Double.self)
        #expect(Array(values[0..<3]) == [0, 0, 0] && Array(values[6..<9]) == [0, 0, 0])
        #expect(Array(values[3..<6]) == Array(table[6..<9]))
        (out * 2).sum().backward()
        let grad = e.weight.grad!.scalars(as: Double.self)
        #expect(Array(grad[27..<30]) == [0, 0, 0])
        #expect(Array(grad[6..<9]) == [2, 2, 2])
        #expect(grad.enumerated().allSatisfy { i, g in (6..<9).contains(i) || g == 0 })
    }

    @Test func boundsOfTheAcceptedRange() {
        #expect(Embedding(10, 3, paddingIdx: -10).paddingIdx == 0)
        #expect(Embedding(10, 3, paddingIdx: 9).paddingIdx == 9)
        #expect(Embedding(10, 3, paddingIdx: 0).paddingIdx == 0)
        #expect(Embedding(10, 3).paddingIdx == nil)
        let first = Embedding(4, 2, paddingIdx: -4)
        #expect(Array(first.weight.scalars(as: Double.self)[0..<2]) == [0, 0])
        // A given table is kept as it is; only the index is normalized.
        let table = Tensor(shape: [3, 2], values: [1.0, 2, 3, 4, 5, 6], dtype: .float32)
        let given = Embedding(weight: table, paddingIdx: -2)
        #expect(given.paddingIdx == 1)
        #expect(given.weight.scalars(as: Double.self) == [1, 2, 3, 4, 5, 6])
    }

    /// Outside `-numEmbeddings..<numEmbeddings` the layer is refused (PyTorch: "Padding_idx must be
    /// within num_embeddings"); the check is in the initializer, so the program stops.
    @Test func outOfRangePaddingIdxStops() async {
        await #expect(processExitsWith: .failure) {
            _ = Embedding(10, 3, paddingIdx: -11)
        }
        await #expect(processExitsWith: .failure) {
            _ = Embedding(10, 3, paddingIdx: 10)
        }
    }
}

@Suite("Functional.embedding padding")
struct FunctionalEmbeddingPaddingTests {
    @Test("a negative paddingIdx counts from the end, as in the layer; out of range is refused")
    func negativePaddingIdx() throws {
        let weight = Tensor.ones([4, 2]).requiringGrad()
        let out = Functional.embedding(Tensor(labels: [3, 1, 3]), weight: weight, paddingIdx: -1)
        out.sum().backward()
        #expect(weight.grad!.scalars() == [0, 0, 1, 1, 0, 0, 0, 0])
        #expect(throws: GradusError.self) {
            _ = try GradusError.catching { Functional.embedding(Tensor(labels: [0]), weight: weight, paddingIdx: -5) }
        }
    }
}
