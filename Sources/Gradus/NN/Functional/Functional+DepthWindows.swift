// The depth part of a 3-D convolution's im2col, as one recorded operation and its adjoint: every output
// depth's window of input slices stacked on the channels, `[N, C, D, H, W]` → `[N·outD, C·kD, H, W]`,
// with the depth padding as zero slices. conv3d runs a 2-D convolution on the result. One pass of
// plane copies replaces the padding copy, the `indexSelect` gather and the permutation copy it took
// before (and the three copies of their gradients): on cnn3d_b8 they were about a sixth of the step.
// Each operation's backward rule is the other, so gradients of any order stay on these loops.

/// Where each output depth's window reads: depth `i`, tap `t` reads input depth
/// `i·stride + t·dilation − padding` (a zero slice outside `0..<depth`).
struct DepthWindows {
    /// Batch, channels, input depth, and the elements of one `[H, W]` slice.
    let batch: Int, channels: Int, depth: Int, plane: Int
    let kernel: Int, stride: Int, padding: Int, dilation: Int
    /// The number of output depths.
    let outDepth: Int

    /// The input depth that output depth `i`'s tap `t` reads, or nil for a padding slice.
    @inline(__always)
    func source(_ i: Int, _ t: Int) -> Int? {
        let d = i * stride + t * dilation - padding
        return d >= 0 && d < depth ? d : nil
    }

    var inputShape: [Int] { [batch, channels, depth, plane] }
    var windowsShape: [Int] { [batch * outDepth, channels * kernel, plane] }
}

extension Functional {
    /// `input` `[N, C, D, …]` (the trailing dimensions one slice of `geometry.plane` elements) as
    /// `[N·outD, C·kD, …]`: output depth `i`'s `kD` slices on the channels, channel-major.
    static func depthWindows(_ input: Tensor, _ geometry: DepthWindows) -> Tensor {
        let x = input.contiguous()
        let g = geometry
        let trailing = Array(input.shape.dropFirst(3))
        let out = Tensor(uninitializedShape: [g.batch * g.outDepth, g.channels * g.kernel] + trailing, dtype: input.dtype)
        let bytes = g.plane * input.dtype.byteSize
        let source = x.rawPointer, destination = out.rawPointer
        var slot = 0                                     // (n, i, c, t) in the output's order
        for n in 0..<g.batch {
            for i in 0..<g.outDepth {
                for c in 0..<g.channels {
                    for t in 0..<g.kernel {
                        let to = destination + slot * bytes
                        if let d = g.source(i, t) {
                            to.copyMemory(from: source + ((n * g.channels + c) * g.depth + d) * bytes, byteCount: bytes)
                        } else {
                            to.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
                        }
                        slot += 1
                    }
                }
            }
        }
        let shape = input.shape
        Tensor.record("depthWindows", output: out, inputs: [input]) { gradient, _ in
            [depthWindowsAdjoint(gradient, g, inputShape: shape)]
        }
        return out
    }

    /// The adjoint of ``depthWindows(_:_:)``: `windows` `[N·outD, C·kD, …]` summed back into
    /// `inputShape` `[N, C, D, …]` (each slice into the input depth it was read from; padding dropped).
    static func depthWindowsAdjoint(_ windows: Tensor, _ geometry: DepthWindows, inputShape: [Int]) -> Tensor {
        let w = windows.contiguous()
        let g = geometry
        let out = Tensor(uninitializedShape: inputShape, dtype: windows.dtype)
        func run<T: TensorFloat>(_: T.Type) {
            let source = w.pointer(T.self), destination = out.pointer(T.self)
            destination.initialize(repeating: 0, count: out.count)
            var slot = 0
            for n in 0..<g.batch {
                for i in 0..<g.outDepth {
                    for c in 0..<g.channels {
                        for t in 0..<g.kernel {
                            if let d = g.source(i, t) {
                                let to = destination + ((n * g.channels + c) * g.depth + d) * g.plane
                                let from = source + slot * g.plane
                                for e in 0..<g.plane { to[e] += from[e] }
                            }
                            slot += 1
                        }
                    }
                }
            }
        }
        if windows.dtype == .float32 { run(Float.self) } else { run(Double.self) }
        Tensor.record("depthWindowsAdjoint", output: out, inputs: [windows]) { gradient, _ in
            [depthWindows(gradient, g)]
        }
        return out
    }
}
