import Gradus
import GradusTestSupport
import Testing

/// What the fixture table cannot say about medians, quantiles and searches: graphs of empty inputs, huge
/// sorter indices, agreement with a sort on random lines.
@Suite("Order statistics and binary search")
struct OrderStatisticsTests {
    @Test("the median of an empty tensor is NaN with a graph: backward gives an empty gradient")
    func emptyMedianBackward() throws {
        let x = Tensor.zeros([0, 3]).requiringGrad()
        let m = x.median()
        #expect(m.scalars(as: Double.self)[0].isNaN)
        try GradusError.catching { m.backward() }
        #expect(x.grad?.shape == [0, 3])
    }

    @Test("a sorter index beyond any size is an error, not a stop (int64 read exactly)")
    func hugeSorterIndex() {
        let message = failure {
            Tensor.searchsorted(Tensor([1.0, 2.0, 3.0]), Tensor([2.0]), sorter: Tensor(shape: [3], integers: [0, 1, Int.max]))
        }.map { "\($0)" }
        #expect(message?.contains("sorter holds an index outside") == true, "\(message ?? "no error")")
    }

    @Test("median, kthvalue and quantile agree with a sorted copy on random lines, views included")
    func againstSorting() {
        var rng = SeededGenerator(seed: 11)
        let x = Tensor.normal([7, 9], dtype: .float64, generator: &rng).transpose(0, 1)   // [9, 7], strided
        let sorted = x.sort(axis: 1).values.scalars(as: Double.self)
        let median = x.median(axis: 1).values.scalars(as: Double.self)
        let third = x.kthvalue(3, axis: 1).values.scalars(as: Double.self)
        let q = x.quantile(0.25, axis: 1).scalars(as: Double.self)
        for row in 0..<9 {
            let line = Array(sorted[row * 7..<(row + 1) * 7])
            #expect(median[row] == line[3])
            #expect(third[row] == line[2])
            #expect(Swift.abs(q[row] - (line[1] + 0.5 * (line[2] - line[1]))) < 1e-12)   // rank 1.5
        }
        let indices = x.median(axis: 1).indices
        #expect(x.gather(axis: 1, index: indices.unsqueeze(1)).squeeze(1).scalars(as: Double.self) == median)
    }
}
