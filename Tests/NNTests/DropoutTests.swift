import Gradus
import GradusTestSupport
import Testing

@Suite("Dropout")
struct DropoutTests {
    @Test func evalModeIsIdentity() {
        let drop = Dropout(p: 0.5)
        drop.eval()
        let x = Tensor.normal([10, 10])
        #expect(drop(x) === x)
    }

    @Test func trainModeDropsAndRescales() {
        let p = 0.3, n = 100_000
        let drop = Dropout(p: p, generator: SeededGenerator(seed: 4))
        let x = Tensor.full([n], value: 2).requiringGrad()
        let y = drop(x)
        let values = y.scalars(as: Double.self)
        let zeros = values.filter { $0 == 0 }.count
        // Zero fraction within 5 standard deviations of the binomial's.
        let sd = (p * (1 - p) / Double(n)).squareRoot()
        #expect(Swift.abs(Double(zeros) / Double(n) - p) < 5 * sd)
        // Survivors are scaled by 1 / (1 − p), so the mean is kept.
        #expect(values.allSatisfy { $0 == 0 || Swift.abs($0 - 2 / (1 - p)) < 1e-5 })
        y.sum().backward()
        let g = x.grad!.scalars(as: Double.self)
        let wrong = (0..<n).filter { i in
            values[i] == 0 ? g[i] != 0 : Swift.abs(g[i] - 1 / (1 - p)) > 1e-5
        }
        #expect(wrong.isEmpty, "gradient differs from mask / (1 − p) at \(wrong.prefix(5))")
        // A different mask on the next call.
        let y2 = drop(x.detach())
        #expect(y2.scalars() != y.scalars())
    }

    @Test func extremes() {
        let x = Tensor.normal([50])
        #expect(Dropout(p: 0)(x) === x)
        #expect(Dropout(p: 1)(x).scalars().allSatisfy { $0 == 0 })
    }
}
