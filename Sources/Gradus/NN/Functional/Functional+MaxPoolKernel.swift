import CGradusMath

// Max pooling as one recorded operation: one pass over each plane writes the pooled values and each
// window's winner (a 32-bit index within the plane), and the backward pass writes each plane's input
// gradient in one go (2×2 windows: each element once; others: zeroed while in cache, the output
// gradients then added at the winners). The loops
// are in CGradusMath (gradus_pooling.h); planes are split over threads. It replaced a search for the
// winners followed by a gather through a table of 64-bit indices, whose backward zeroed the whole
// input gradient and then scattered into it (some 11% of cnn_c3_b64's training step).
//
// With `createGraph` the backward rule is the differentiable scatter of Functional+PatchGather.swift,
// so that gradients of gradients stay exact.

/// The element types that the max-pooling loops of CGradusMath are compiled for.
protocol MaxPoolElement: TensorFloat {
    static func maxPool(_ x: UnsafePointer<Self>, planes: Int, height: Int, width: Int,
                        window: UnsafePointer<gradus_pool_window>, into y: UnsafeMutablePointer<Self>,
                        winners: UnsafeMutablePointer<Int32>)
    static func maxPoolBackward(_ dy: UnsafePointer<Self>, winners: UnsafePointer<Int32>, planes: Int, height: Int, width: Int,
                                window: UnsafePointer<gradus_pool_window>, into dx: UnsafeMutablePointer<Self>)
}

extension Float: MaxPoolElement {
    static func maxPool(_ x: UnsafePointer<Float>, planes: Int, height: Int, width: Int,
                        window: UnsafePointer<gradus_pool_window>, into y: UnsafeMutablePointer<Float>,
                        winners: UnsafeMutablePointer<Int32>) {
        gradus_maxpool2d_f32(x, planes, height, width, window, y, winners)
    }
    static func maxPoolBackward(_ dy: UnsafePointer<Float>, winners: UnsafePointer<Int32>, planes: Int, height: Int, width: Int,
                                window: UnsafePointer<gradus_pool_window>, into dx: UnsafeMutablePointer<Float>) {
        gradus_maxpool2d_backward_f32(dy, winners, planes, height, width, window, dx)
    }
}

extension Double: MaxPoolElement {
    static func maxPool(_ x: UnsafePointer<Double>, planes: Int, height: Int, width: Int,
                        window: UnsafePointer<gradus_pool_window>, into y: UnsafeMutablePointer<Double>,
                        winners: UnsafeMutablePointer<Int32>) {
        gradus_maxpool2d_f64(x, planes, height, width, window, y, winners)
    }
    static func maxPoolBackward(_ dy: UnsafePointer<Double>, winners: UnsafePointer<Int32>, planes: Int, height: Int, width: Int,
                                window: UnsafePointer<gradus_pool_window>, into dx: UnsafeMutablePointer<Double>) {
        gradus_maxpool2d_backward_f64(dy, winners, planes, height, width, window, dx)
    }
}

extension Functional {
    /// Elements of input planes from which max pooling is split over threads (by planes): each element
    /// is read once forward and written once backward, some 10-20 µs per 64K elements.
    static let maxPoolGrain = 1 << 16

    /// Max pooling of a float `[N, C, H, W]` input with a checked window (output size at least 1×1),
    /// recorded with its backward rule; with `indices`, also each value's winner as int64 flat indices
    /// within its plane (−1 for a window wholly in the padding).
    static func maxPoolKernel(_ input: Tensor, _ window: gradus_pool_window, indices: Bool = false) throws -> (values: Tensor, indices: Tensor?) {
        let (n, c, h, w) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
        let planes = n * c, planeSize = h * w, outputs = window.outH * window.outW
        try require(planeSize <= Int(Int32.max),
                    "maxPool2d: a plane of \(h)×\(w) elements is too large (at most \(Int32.max))", .invalidArgument)
        if input.dtype == .int64 { return integerMaxPool(input, window, indices: indices) }
        let out = Tensor(uninitializedShape: [n, c, window.outH, window.outW], dtype: input.dtype)
        // The winners in a pooled buffer: a fresh one each step would be faulted in page by page.
        let winners = TensorStorage(byteCount: planes * outputs * MemoryLayout<Int32>.stride)
        let at = UncheckedSendable(winners.pointer.assumingMemoryBound(to: Int32.self))
        let grain = Swift.max(1, maxPoolGrain / Swift.max(planeSize, 1))
        func forward<T: MaxPoolElement>(_: T.Type) {
            let x = UncheckedSendable(UnsafePointer(input.pointer(T.self))), y = UncheckedSendable(out.pointer(T.self))
            withUnsafePointer(to: window) { geometry in
                let g = UncheckedSendable(geometry)
                Threading.parallelFor(planes, grain: grain) { range in
                    T.maxPool(x.value + range.lowerBound &* planeSize, planes: range.count, height: h, width: w,
                              window: g.value, into: y.value + range.lowerBound &* outputs,
                              winners: at.value + range.lowerBound &* outputs)
                }
            }
        }
        if planes > 0 {
            if input.dtype == .float32 { forward(Float.self) } else { forward(Double.self) }
        }
        var winnerIndices: Tensor?
        if indices {
            let t = Tensor(uninitializedShape: out.shape, dtype: .int64)
            let dst = t.pointer(Int64.self)
            for k in 0..<planes * outputs { dst[k] = Int64(at.value[k]) }
            winnerIndices = t
        }
        let inputShape = input.shape, dtype = input.dtype
        Tensor.record("maxPool2d", output: out, inputs: [input]) { [winners] g, _ in
            // Recording the backward (createGraph), or a gradient of another dtype: the differentiable scatter.
            if GradMode.isEnabled || g.dtype != dtype {
                let table = PatchTable(indices: UnsafeBufferPointer(start: at.value, count: planes * outputs).map { Int($0) },
                                       width: outputs, perSample: true)
                return [try patchScatter(g.reshape([planes, outputs]), table, inputShape: [planes, planeSize]).reshape(inputShape)]
            }
            let dx = Tensor(uninitializedShape: inputShape, dtype: dtype)
            func backward<T: MaxPoolElement>(_: T.Type) {
                let dy = UncheckedSendable(UnsafePointer(g.pointer(T.self))), d = UncheckedSendable(dx.pointer(T.self))
                withUnsafePointer(to: window) { geometry in
                    let g = UncheckedSendable(geometry)
                    Threading.parallelFor(planes, grain: grain) { range in
                        T.maxPoolBackward(dy.value + range.lowerBound &* outputs, winners: at.value + range.lowerBound &* outputs,
                                          planes: range.count, height: h, width: w, window: g.value,
                                          into: d.value + range.lowerBound &* planeSize)
                    }
                }
                withExtendedLifetime(winners) {}
            }
            if planes > 0 {
                if dtype == .float32 { backward(Float.self) } else { backward(Double.self) }
            }
            return [dx]
        }
        return (out, winnerIndices)
    }

    /// Max pooling of an int64 `[N, C, H, W]` input, as PyTorch pools integer tensors: the first largest
    /// element of each window wins, padding never does, and a window wholly in the padding gives
    /// Int64.min with index −1. Integer tensors take no gradient, so nothing is recorded.
    private static func integerMaxPool(_ input: Tensor, _ window: gradus_pool_window, indices: Bool) -> (values: Tensor, indices: Tensor?) {
        let (n, c, h, w) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
        let (outH, outW) = (window.outH, window.outW)
        let values = input.contiguous().intScalars
        var out = [Int](repeating: Int(Int64.min), count: n * c * outH * outW)
        var winners = [Int](repeating: -1, count: out.count)
        // The kernel taps whose positions lie inside 0..<size (windows are clipped, never walked through
        // the padding, whose extent may be far larger than the input).
        func taps(_ start: Int, _ kernel: Int, _ dilation: Int, _ size: Int) -> ClosedRange<Int>? {
            let first = start >= 0 ? 0 : (-start + dilation - 1) / dilation
            let last = start <= size - 1 ? Swift.min(kernel - 1, (size - 1 - start) / dilation) : -1
            return first <= last ? first...last : nil
        }
        for plane in 0..<(n * c) {
            let base = plane * h * w
            for oy in 0..<outH {
                let top = oy * window.strideH - window.padH
                guard let rows = taps(top, window.kernelH, window.dilationH, h) else { continue }
                for ox in 0..<outW {
                    let left = ox * window.strideW - window.padW
                    guard let columns = taps(left, window.kernelW, window.dilationW, w) else { continue }
                    let at = (plane * outH + oy) * outW + ox
                    for ky in rows {
                        let y = top + ky * window.dilationH
                        for kx in columns {
                            let x = left + kx * window.dilationW
                            let v = values[base + y * w + x]
                            if winners[at] < 0 || v > out[at] { (out[at], winners[at]) = (v, y * w + x) }
                        }
                    }
                }
            }
        }
        let shape = [n, c, outH, outW]
        return (Tensor(shape: shape, integers: out), indices ? Tensor(shape: shape, integers: winners) : nil)
    }
}
