@_spi(KernelTesting) import Gradus
import Testing

/// Max pooling's winners (the element each window's value and gradient come from) against a plain
/// reference of PyTorch's CPU loop, on the inputs random values miss: ties, NaN at each window position,
/// infinities, padding, partial ceil-mode windows, windows that overlap or skip rows, a window wholly
/// in the padding, planes split over threads, and an empty batch; on the vector kernels this processor
/// runs (AVX-512 for 2×2 windows in Float32) and on the portable ones.
@Suite("Max pooling winners")
struct MaxPoolWinnerTests {
    struct Window {
        var kernel: (Int, Int)
        var stride: (Int, Int)
        var padding: (Int, Int) = (0, 0)
        var dilation: (Int, Int) = (1, 1)
        var ceilMode = false

        /// PyTorch's output size (a ceil-mode window must start inside the input or its left padding).
        func outputSize(_ size: Int, _ axis: Int) -> Int {
            let (k, s, p, d) = axis == 0 ? (kernel.0, stride.0, padding.0, dilation.0) : (kernel.1, stride.1, padding.1, dilation.1)
            let span = size + 2 * p - d * (k - 1) - 1
            var count = (ceilMode ? (span + s - 1) / s : span / s) + 1
            if ceilMode && (count - 1) * s >= size + p { count -= 1 }
            return count
        }
    }

    /// PyTorch's CPU kernel, window by window: the first element inside the input starts as the winner
    /// with −∞ as the value to beat; an element takes its place when it is larger or NaN. So the first
    /// largest element wins, or the last NaN; a window with no element inside the input gives −∞ and
    /// no winner (nil).
    func reference(_ x: [Double], h: Int, w: Int, _ window: Window) -> (values: [Double], winners: [Int?]) {
        let outH = window.outputSize(h, 0), outW = window.outputSize(w, 1)
        var values: [Double] = [], winners: [Int?] = []
        for oy in 0..<outH {
            for ox in 0..<outW {
                var best = -Double.infinity
                var winner: Int? = nil
                for ky in 0..<window.kernel.0 {
                    let iy = oy * window.stride.0 - window.padding.0 + ky * window.dilation.0
                    guard iy >= 0 && iy < h else { continue }
                    for kx in 0..<window.kernel.1 {
                        let ix = ox * window.stride.1 - window.padding.1 + kx * window.dilation.1
                        guard ix >= 0 && ix < w else { continue }
                        let i = iy * w + ix
                        if winner == nil { winner = i }
                        if x[i] > best || x[i].isNaN { best = x[i]; winner = i }
                    }
                }
                values.append(best)
                winners.append(winner)
            }
        }
        return (values, winners)
    }

    /// Pools `x` `[planes, h, w]` (as `[1, planes, h, w]`), then checks each value against its window's
    /// winner and the gradient of Σ (j + 1)·y[j], which puts j + 1 on window j's winner (summed where
    /// windows share one).
    func check(_ x: [Double], planes: Int, h: Int, w: Int, _ window: Window, _ dtype: DType, _ label: String) {
        let input = Tensor(shape: [1, planes, h, w], values: x, dtype: dtype).requiringGrad()
        let y = Functional.maxPool2d(input, kernelSize: window.kernel, stride: window.stride, padding: window.padding,
                                     dilation: window.dilation, ceilMode: window.ceilMode)
        let values = y.scalars(as: Double.self)
        var expectedGradient = [Double](repeating: 0, count: x.count)
        var mismatches = 0
        for p in 0..<planes {
            let plane = Array(x[(p * h * w)..<((p + 1) * h * w)])
            let (v, winners) = reference(plane, h: h, w: w, window)
            #expect(y.shape == [1, planes, window.outputSize(h, 0), window.outputSize(w, 1)], "\(label)")
            for (j, winner) in winners.enumerated() {
                let out = p * winners.count + j
                let same = values[out] == v[j] || (values[out].isNaN && v[j].isNaN)
                if !same { mismatches += 1 }
                if let winner { expectedGradient[p * h * w + winner] += Double(out + 1) }
            }
        }
        #expect(mismatches == 0, "\(label): \(mismatches) values differ")
        let weights = Tensor(shape: y.shape, values: (0..<y.count).map { Double($0 + 1) }, dtype: dtype)
        (y * weights).sum().backward()
        #expect(input.grad?.scalars(as: Double.self) == expectedGradient, "\(label): gradient")
    }

    /// Runs `body` on the portable C kernels or on those this processor would choose.
    func kernels(portable: Bool, _ body: () -> Void) {
        if portable { KernelTesting.withPortableKernels(body) } else { body() }
    }

    @Test("values and gradients from the first largest element, else the last NaN, on every window kind",
          arguments: [DType.float32, .float64], [false, true])
    func winnersMatchTheReference(dtype: DType, portable: Bool) {
        let (h, w) = (6, 7)
        var x = [Double](repeating: 1, count: h * w)   // every window a four-way tie at first
        // Ties between later elements, NaN in each of the four positions of a 2×2 window and two NaN in
        // one, infinities, a larger value last.
        x[8] = 5; x[9] = 5
        x[2] = .nan
        x[16] = .nan; x[17] = .nan
        x[22] = -.infinity; x[29] = .infinity
        x[35] = .nan
        x[40] = 7; x[41] = 9
        x[26] = -3; x[27] = 2
        let windows: [Window] = [
            Window(kernel: (2, 2), stride: (2, 2)),   // the common pooling (odd width: the last column is in no window)
            Window(kernel: (2, 2), stride: (1, 1)),   // overlapping windows
            Window(kernel: (2, 2), stride: (1, 2), dilation: (2, 1)),   // rows two apart
            Window(kernel: (2, 2), stride: (2, 3)),   // skipping columns
            Window(kernel: (3, 2), stride: (2, 2)),
            Window(kernel: (2, 3), stride: (1, 2), dilation: (2, 1)),
            Window(kernel: (3, 3), stride: (2, 2), padding: (1, 1)),   // padding never wins
            Window(kernel: (2, 2), stride: (2, 2), padding: (1, 1), ceilMode: true),
            Window(kernel: (3, 2), stride: (2, 2), ceilMode: true),   // partial windows at the bottom and right
            Window(kernel: (1, 7), stride: (1, 1)),   // one window per row, NaN pairs in a row
            // Windows one column wide (the rows kernel; the depth step of the 3-D pools): each output row
            // the elementwise winner of the rows it reads.
            Window(kernel: (2, 1), stride: (2, 1)),
            Window(kernel: (3, 1), stride: (1, 1), padding: (1, 0)),
            Window(kernel: (2, 1), stride: (2, 1), padding: (1, 0), dilation: (2, 1)),
            Window(kernel: (3, 1), stride: (2, 1), padding: (1, 0), ceilMode: true),
            Window(kernel: (4, 1), stride: (3, 1), dilation: (2, 1), ceilMode: true),
        ]
        kernels(portable: portable) {
            for window in windows {
                check(x, planes: 1, h: h, w: w, window, dtype,
                      "kernel \(window.kernel) stride \(window.stride) padding \(window.padding) dilation \(window.dilation) ceil \(window.ceilMode) \(dtype) portable \(portable)")
            }
            // All −∞: the first element of each window wins.
            check([Double](repeating: -.infinity, count: h * w), planes: 1, h: h, w: w, Window(kernel: (2, 2), stride: (2, 2)), dtype,
                  "all -inf \(dtype) portable \(portable)")
            // Rows of 37 windows (a whole vector of 16 and a masked tail), two NaN in some windows.
            var wide = (0..<(4 * 75)).map { Double(($0 * 7) % 5) }
            for i in stride(from: 3, to: wide.count, by: 11) { wide[i] = .nan }
            for i in stride(from: 4, to: wide.count, by: 22) { wide[i] = .nan }
            check(wide, planes: 1, h: 4, w: 75, Window(kernel: (2, 2), stride: (2, 2)), dtype, "37 windows a row \(dtype) portable \(portable)")
        }
    }

    @Test("a window wholly in the padding gives −∞ and no gradient, as in PyTorch")
    func windowInThePadding() {
        // Kernel 2 dilated by 2 with padding 1 on a 1×3 input: each window reads rows −1 and 1, both outside.
        let input = Tensor(shape: [1, 1, 1, 3], values: [1, 2, 3]).requiringGrad()
        let y = Functional.maxPool2d(input, kernelSize: (2, 2), stride: (1, 1), padding: (1, 1), dilation: (2, 2))
        #expect(y.shape == [1, 1, 1, 3])
        #expect(y.scalars(as: Double.self) == [-.infinity, -.infinity, -.infinity])
        y.sum().backward()
        #expect(input.grad?.scalars(as: Double.self) == [0, 0, 0])
        // The same with windows one column wide (the rows kernel): rows −1 and 1 of a one-row input.
        let column = Tensor(shape: [1, 1, 1, 3], values: [1, 2, 3]).requiringGrad()
        let z = Functional.maxPool2d(column, kernelSize: (2, 1), stride: (1, 1), padding: (1, 0), dilation: (2, 1))
        #expect(z.shape == [1, 1, 1, 3])
        #expect(z.scalars(as: Double.self) == [-.infinity, -.infinity, -.infinity])
        z.sum().backward()
        #expect(column.grad?.scalars(as: Double.self) == [0, 0, 0])
    }

    @Test("planes split over two threads, with ties", arguments: [(2, 2), (3, 3)], [false, true])
    func planesSplitOverThreads(kernel: (Int, Int), portable: Bool) {
        // 64 planes of 48×41 (odd width): about two threads' worth of the pooling grain.
        let (planes, h, w) = (64, 48, 41)
        var rng = SeededGenerator(seed: 7)
        let x = (0..<(planes * h * w)).map { _ in Double(Int.random(in: 0..<4, using: &rng)) }
        Threading.withCount(2) {
            kernels(portable: portable) {
                check(x, planes: planes, h: h, w: w, Window(kernel: kernel, stride: (2, 2)), .float32,
                      "kernel \(kernel), 2 threads, portable \(portable)")
            }
        }
    }

    @Test("an empty batch pools to an empty output and an empty gradient")
    func emptyBatch() {
        let input = Tensor.zeros([0, 3, 4, 4]).requiringGrad()
        let y = Functional.maxPool2d(input, kernelSize: (2, 2))
        #expect(y.shape == [0, 3, 2, 2])
        y.sum().backward()
        #expect(input.grad?.shape == [0, 3, 4, 4])
    }
}
