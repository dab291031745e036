import Foundation
import Gradus
import GradusTestSupport
import Testing

/// Every op of the fixture tables (OpTable.swift, NonFiniteTests.swift, SemanticsTests.swift) against operands of every odd kind inside
/// `GradusError.catching`: each call, forward and backward, computes or throws a `GradusError`, and
/// none stops the process. (`split` and `chunk` are left out: their table entries index the returned
/// array, which is empty after a failure.)
@Suite("Ops against odd operands")
struct OpInputFuzzTests {
    static let operands: [(String, Tensor)] = [
        ("scalar", Tensor(scalar: 0.5)), ("[0]", Tensor.zeros([0])), ("[3]", Tensor([1, -2, 0.5])),
        ("[2, 4]", Tensor.uniform([2, 4]) - 0.5), ("[2, 0]", Tensor.zeros([2, 0])), ("[0, 4]", Tensor.zeros([0, 4])),
        ("[2, 3, 4]", Tensor.uniform([2, 3, 4])), ("[1, 1]", Tensor([[3]])),
        ("NaN [2, 4]", Tensor.full([2, 4], value: .nan)), ("-inf [4]", Tensor.full([4], value: -.infinity)),
        ("huge [2, 4]", Tensor.full([2, 4], value: 3e38)), ("zeros [4, 4]", Tensor.zeros([4, 4])),
        ("float64 [2, 4]", Tensor.uniform([2, 4], dtype: .float64)), ("int64 [2, 4]", Tensor.zeros([2, 4], dtype: .int64)),
        ("int64 index [2, 1]", Tensor(shape: [2, 1], integers: [0, 7])), ("int64 index [1]", Tensor(labels: [-3])),
        ("transposed [4, 2]", Tensor.uniform([2, 4]).t), ("expanded [3, 4]", Tensor([1, 2, 3, 4]).expand([3, 4])),
    ]

    @Test("each op computes or throws a GradusError for same and mixed odd operands")
    func everyOpOddOperands() {
        var rng = SeededGenerator(seed: 3)
        var computed = 0, refused = 0
        // The ops of the PyTorch fixture tables: ops.json, the non-finite cases and the semantics cases.
        var ops = opTable
        for (name, op) in nonFiniteTable { ops["nonfinite." + name] = op }
        for (name, op) in semanticTable { ops["semantics." + name] = op }
        for (name, op) in ops.sorted(by: { $0.key < $1.key }) where !name.contains("split") && !name.contains("chunk") {
            // Four operands: the most any table entry reads (bilinear's inputs, weight and bias).
            var cases = Self.operands.map { [$0.1, $0.1, $0.1, $0.1] }
            for _ in 0..<24 {
                cases.append((0..<4).map { _ in Self.operands[Int(rng.next() % UInt64(Self.operands.count))].1 })
            }
            for operands in cases {
                switch ScopedOutcome.of({ op(operands.map { $0.dtype.isFloatingPoint ? $0.detach().requiringGrad() : $0 }) }) {
                case .computed: computed += 1
                case .refused: refused += 1
                case .otherError(let error): Issue.record("\(name) on \(operands.map(\.shape)) threw \(error), not a GradusError")
                }
            }
        }
        #expect(computed > 2000 && refused > 2000, "computed \(computed), refused \(refused)")
    }
}
