import Gradus
import GradusTestSupport
import Testing

/// Every op of the table against central finite differences in Float64, on the fixture's inputs
/// (broadcast cases included).
@Suite("Gradient checks")
struct GradientCheckTests {
    @Test("analytic gradient equals finite differences", arguments: opCases)
    func gradientCheck(_ c: OpCase) throws {
        let op = try #require(opTable[c.name])
        let inputs = c.inputs.map { $0.tensor($0.dtype == "int64" ? .int64 : .float64) }
        let report = GradCheck.check(inputs: inputs, epsilon: 1e-6, absoluteTolerance: 1e-6, relativeTolerance: 1e-4, op)
        #expect(report.passed, "\(c.name):\n\(report)")
    }

    @Test("gradcheck detects a wrong backward rule")
    func detectsWrongGradient() {
        // x.detach() * x has true derivative 2x, but the detached factor hides half of it from backward.
        let x = Tensor([0.5, -1.0, 2.0], dtype: .float64)
        let report = GradCheck.check(inputs: [x]) { $0[0].detach() * $0[0] }
        #expect(!report.passed)
        #expect(report.entries[0].maxAbsoluteError > 0.4)
    }
}
