import Foundation
import Gradus
import Testing

@Suite struct ExplainTests {
    /// For a linear model, saliency is the weight row and integrated gradients from zero are x ⊙ w exactly.
    @Test func linearModelAttributions() {
        let w = Tensor([[1, -2, 3], [0.5, 0.25, -1]], dtype: .float64)
        let model = Sequential { Linear(weight: w, bias: Tensor([0.3, -0.7], dtype: .float64)) }
        let x = Tensor([2, 1, -1], dtype: .float64)
        let s = Explain.saliency(model: model, input: x, classIndex: 1)
        #expect(s.shape == [3])
        #expect(s.scalars(as: Double.self) == [0.5, 0.25, -1])
        let ig = Explain.integratedGradients(model: model, input: x, classIndex: 0, steps: 7).scalars(as: Double.self)
        for (a, e) in zip(ig, [2.0, -2.0, -3.0]) { #expect(abs(a - e) < 1e-12) }
    }

    /// Saliency matches central differences, and integrated gradients add up to f(x) − f(0) (completeness)
    /// on a non-linear MLP in Float64.
    @Test func mlpSaliencyAndCompleteness() {
        var rng = SeededGenerator(seed: 2)
        let model = Sequential {
            Linear(4, 6, dtype: .float64, generator: &rng); Tanh(); Linear(6, 3, dtype: .float64, generator: &rng)
        }
        let x = Tensor.normal([4], dtype: .float64, generator: &rng)
        func score(_ v: [Double]) -> Double {
            GradMode.noGrad { model(Tensor(shape: [1, 4], values: v, dtype: .float64)).select(axis: 1, index: 2).item(Double.self) }
        }
        let s = Explain.saliency(model: model, input: x, classIndex: 2).scalars(as: Double.self)
        let xv = x.scalars(as: Double.self)
        for i in 0..<4 {
            var a = xv, b = xv
            a[i] += 1e-6; b[i] -= 1e-6
            #expect(abs((score(a) - score(b)) / 2e-6 - s[i]) < 1e-6)
        }
        let ig = Explain.integratedGradients(model: model, input: x, classIndex: 2, steps: 2000).scalars(as: Double.self)
        let gap = score(xv) - score([0, 0, 0, 0])
        #expect(abs(ig.reduce(0, +) - gap) < 1e-3 * Swift.max(1, abs(gap)))
        // With a baseline equal to the input every attribution is 0.
        let none = Explain.integratedGradients(model: model, input: x, classIndex: 2, baseline: x)
        #expect(none.scalars(as: Double.self).allSatisfy { $0 == 0 })
    }

    @Test func heatMapRendering() throws {
        let values = (0..<12).map { Double($0) - 6 }
        let ascii = HeatMap.terminal(values, grid: [3, 4], color: false)
        let rows = ascii.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(rows.count == 3 && rows.allSatisfy { $0.count == 8 })
        #expect(rows[0].hasPrefix("@@"))   // |−6| is the largest magnitude
        let bars = HeatMap.terminal([1, -2], grid: nil, featureNames: ["a", "b"], color: false)
        #expect(bars.split(separator: "\n").count == 2 && bars.contains("+") && bars.contains("-"))
        let svg = HeatMap.svg(panels: [("input", values), ("ig", values)], grid: [3, 4], title: "t")
        #expect(XMLParser(data: Data(svg.utf8)).parse())
        // 12 cells per panel, and a 21-step colour bar under each grid with its limits.
        #expect(svg.components(separatedBy: "fill=\"rgb(").count - 1 == 2 * (12 + 21))
        #expect(svg.contains(">-6</text>") && svg.contains(">6</text>"))
        let barSVG = HeatMap.svg(panels: [("ig", [1, -2])], grid: nil, featureNames: ["a", "b"], title: "t")
        #expect(XMLParser(data: Data(barSVG.utf8)).parse())
    }
}

#if canImport(FoundationXML)
import FoundationXML
#endif
