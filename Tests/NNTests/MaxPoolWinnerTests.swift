import Gradus
import Testing

/// Max pooling's winners (the element each window's value and gradient come from) against a plain
/// reference, on the inputs random values miss: ties, NaN at each window position, infinities, and
/// windows that overlap or skip rows.
@Suite("Max pooling winners")
struct MaxPoolWinnerTests {
    /// The first NaN of each window, else its first largest element (PyTorch's choice), as flat indices.
    func referenceWinners(_ x: [Double], h: Int, w: Int, kernel: (Int, Int), stride: (Int, Int), dilation: (Int, Int)) -> [Int] {
        let outH = (h - dilation.0 * (kernel.0 - 1) - 1) / stride.0 + 1, outW = (w - dilation.1 * (kernel.1 - 1) - 1) / stride.1 + 1
        var winners: [Int] = []
        for oy in 0..<outH {
            for ox in 0..<outW {
                var best = -1
                for ky in 0..<kernel.0 {
                    for kx in 0..<kernel.1 {
                        let i = (oy * stride.0 + ky * dilation.0) * w + ox * stride.1 + kx * dilation.1
                        if best < 0 { best = i; continue }
                        if x[best].isNaN { continue }
                        if x[i].isNaN || x[i] > x[best] { best = i }
                    }
                }
                winners.append(best)
            }
        }
        return winners
    }

    @Test("2x2 and other windows: values and gradients from the first NaN, else the first largest element",
          arguments: [DType.float32, .float64])
    func winnersMatchTheReference(dtype: DType) {
        let (h, w) = (6, 7)
        var x = [Double](repeating: 1, count: h * w)   // every window a four-way tie at first
        // Ties between later elements, NaN in each of the four positions, infinities, a larger value last.
        x[8] = 5; x[9] = 5
        x[2] = .nan
        x[16] = .nan; x[17] = .nan
        x[22] = -.infinity; x[29] = .infinity
        x[35] = .nan
        x[40] = 7; x[41] = 9
        x[26] = -3; x[27] = 2
        let cases: [((Int, Int), (Int, Int), (Int, Int))] = [
            ((2, 2), (2, 2), (1, 1)),   // the common pooling
            ((2, 2), (1, 1), (1, 1)),   // overlapping windows
            ((2, 2), (1, 2), (2, 1)),   // rows two apart
            ((2, 2), (2, 3), (1, 1)),   // skipping columns
            ((3, 2), (2, 2), (1, 1)),   // the general loop
            ((2, 3), (1, 2), (2, 1)),
        ]
        for (kernel, stride, dilation) in cases {
            let input = Tensor(shape: [1, 1, h, w], values: x, dtype: dtype).requiringGrad()
            let y = Functional.maxPool2d(input, kernelSize: kernel, stride: stride, dilation: dilation)
            let winners = referenceWinners(x, h: h, w: w, kernel: kernel, stride: stride, dilation: dilation)
            let label = "kernel \(kernel) stride \(stride) dilation \(dilation) \(dtype)"
            #expect(y.count == winners.count, "\(label)")
            let values = y.scalars(as: Double.self)
            for (j, i) in winners.enumerated() {
                #expect(values[j] == x[i] || (values[j].isNaN && x[i].isNaN), "\(label): output \(j)")
            }
            // The gradient of Σ (j + 1)·y[j] puts j + 1 on window j's winner (summed where windows share one).
            let weights = Tensor(shape: y.shape, values: (0..<y.count).map { Double($0 + 1) }, dtype: dtype)
            (y * weights).sum().backward()
            var expected = [Double](repeating: 0, count: h * w)
            for (j, i) in winners.enumerated() { expected[i] += Double(j + 1) }
            #expect(input.grad?.scalars(as: Double.self) == expected, "\(label): gradient")
        }
    }
}
