import Gradus
import GradusTestSupport
import Testing

/// scatterReduce beyond the PyTorch fixtures: an index smaller than the source (PyTorch 2.15's own
/// backward fails there), an empty index, and the message-passing use of its documentation.
@Suite("scatterReduce")
struct ScatterReduceTests {
    @Test("an index smaller than the source: Float64 gradient check of every reduction; the unreached source gets 0",
          arguments: Tensor.ScatterReduction.allCases)
    func smallerIndex(_ reduce: Tensor.ScatterReduction) {
        var rng = SeededGenerator(seed: 11)
        // Distinct values, so that maxima and minima are unique under finite differences.
        let input = Tensor.arange(0, 6, dtype: .float64).reshape([3, 2]) * 0.37 + 0.5
        let source = Tensor.uniform([4, 3], low: 0.6, high: 1.9, dtype: .float64, generator: &rng)
        let index = Tensor(shape: [2, 2], integers: [2, 0, 2, 1])
        for includeSelf in [true, false] {
            let report = GradCheck.check(inputs: [input, source]) {
                $0[0].scatterReduce(axis: 0, index: index, source: $0[1], reduce: reduce, includeSelf: includeSelf)
            }
            #expect(report.passed, "\(reduce) includeSelf \(includeSelf): \(report)")
        }
        let s = source.requiringGrad()
        input.scatterReduce(axis: 0, index: index, source: s, reduce: reduce).sum().backward()
        let g = s.grad!.scalars()
        // Rows 2 and 3 and column 2 of the source are beyond the index: no gradient.
        for row in 0..<4 { for column in 0..<3 where row >= 2 || column == 2 { #expect(g[row * 3 + column] == 0) } }
    }

    @Test("an empty index leaves the input as it is, gradient included")
    func emptyIndex() {
        let input = Tensor([1.0, 2.0, 3.0], dtype: .float64).requiringGrad()
        let out = input.scatterReduce(axis: 0, index: Tensor(shape: [0], integers: []), source: Tensor.zeros([0], dtype: .float64),
                                      reduce: .prod, includeSelf: false)
        #expect(out.scalars() == [1, 2, 3])
        out.sum().backward()
        #expect(input.grad?.scalars() == [1, 1, 1])
    }

    @Test("the mean message per node (includeSelf: false) is each node's average of its incoming messages, 0 for none")
    func meanAggregation() {
        let messages = Tensor(shape: [4, 2], values: [1, 10, 3, 30, 5, 50, 7, 70])
        let destination = Tensor(shape: [4], integers: [0, 2, 0, 2])
        let index = destination.unsqueeze(1).expand([4, 2])
        let mean = Tensor.zeros([3, 2]).scatterReduce(axis: 0, index: index, source: messages, reduce: .mean, includeSelf: false)
        #expect(mean.scalars() == [3, 30, 0, 0, 5, 50])
        let most = Tensor.zeros([3, 2]).scatterReduce(axis: 0, index: index, source: messages, reduce: .amax, includeSelf: false)
        #expect(most.scalars() == [5, 50, 0, 0, 7, 70])
    }
}
