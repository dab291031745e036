// 2-D convolution, grouped or not, as three recorded operations on top of ConvolutionKernels: the
// convolution, the gradient of its input and the gradient of its weight. Each is linear in each of its
// two tensor arguments, and the backward rule of each is written with the other two, so gradients of
// any order stay on the fast kernels.

extension Functional {
    /// conv(x, w) + bias for `x` `[N, C, H, W]`, `w` `[O, C / groups, kH, kW]`, `bias` `[O]`: `[N, O, outH, outW]`.
    static func convolution(_ input: Tensor, _ weight: Tensor, _ bias: Tensor?, _ g: ConvGeometry) throws -> Tensor {
        try require(input.shape == g.inputShape && weight.shape == g.weightShape,
                "conv2d: input \(input.shape) and weight \(weight.shape) do not match \(g.inputShape) and \(g.weightShape)", .shapeMismatch)
        let out = Tensor(uninitializedShape: g.outputShape, dtype: input.dtype)
        func run<T: TensorFloat>(_: T.Type) {
            ConvolutionKernels.forward(input.pointer(T.self), weight.pointer(T.self), bias: bias.map { UnsafePointer($0.pointer(T.self)) },
                                       g, into: out.pointer(T.self))
        }
        if input.dtype == .float32 { run(Float.self) } else { run(Double.self) }
        var inputs = [input, weight]
        if let bias { inputs.append(bias) }
        Tensor.record("conv2d", output: out, inputs: inputs) { gy, _ in
            var grads: [Tensor?] = [
                input.requiresGrad ? try convolutionInputGradient(gy, weight, g) : nil,
                weight.requiresGrad ? try convolutionWeightGradient(input, gy, g) : nil,
            ]
            if let bias { grads.append(bias.requiresGrad ? convolutionBiasGradient(gy, g) : nil) }
            return grads
        }
        return out
    }

    /// The gradient of a convolution's input for output gradient `dy` `[N, O, outH, outW]`: `[N, C, H, W]`
    /// (a transposed convolution of `dy` with `weight`).
    static func convolutionInputGradient(_ dy: Tensor, _ weight: Tensor, _ g: ConvGeometry) throws -> Tensor {
        try require(dy.shape == g.outputShape && weight.shape == g.weightShape,
                "conv2d backward: gradient \(dy.shape) and weight \(weight.shape) do not match \(g.outputShape) and \(g.weightShape)", .shapeMismatch)
        let out = Tensor(uninitializedShape: g.inputShape, dtype: dy.dtype)
        func run<T: TensorFloat>(_: T.Type) {
            ConvolutionKernels.inputGradient(dy.pointer(T.self), weight.pointer(T.self), g, into: out.pointer(T.self))
        }
        if dy.dtype == .float32 { run(Float.self) } else { run(Double.self) }
        Tensor.record("conv2dInputGradient", output: out, inputs: [dy, weight]) { gg, _ in
            [dy.requiresGrad ? try convolution(gg, weight, nil, g) : nil,
             weight.requiresGrad ? try convolutionWeightGradient(gg, dy, g) : nil]
        }
        return out
    }

    /// The gradient of a convolution's weight for input `x` and output gradient `dy`: `[O, C / groups, kH, kW]`.
    static func convolutionWeightGradient(_ input: Tensor, _ dy: Tensor, _ g: ConvGeometry) throws -> Tensor {
        try require(input.shape == g.inputShape && dy.shape == g.outputShape,
                "conv2d backward: input \(input.shape) and gradient \(dy.shape) do not match \(g.inputShape) and \(g.outputShape)", .shapeMismatch)
        let out = Tensor(uninitializedShape: g.weightShape, dtype: dy.dtype)
        func run<T: TensorFloat>(_: T.Type) {
            ConvolutionKernels.weightGradient(input.pointer(T.self), dy.pointer(T.self), g, into: out.pointer(T.self))
        }
        if dy.dtype == .float32 { run(Float.self) } else { run(Double.self) }
        Tensor.record("conv2dWeightGradient", output: out, inputs: [input, dy]) { gg, _ in
            [input.requiresGrad ? try convolutionInputGradient(dy, gg, g) : nil,
             dy.requiresGrad ? try convolution(input, gg, nil, g) : nil]
        }
        return out
    }

    /// The gradient of a convolution's bias: `dy` summed over samples and positions, `[O]`.
    static func convolutionBiasGradient(_ dy: Tensor, _ g: ConvGeometry) -> Tensor {
        // When this pass is recorded (createGraph), the differentiable sum; otherwise one direct pass.
        if GradMode.isEnabled && dy.requiresGrad { return dy.sum(axes: [0, 2, 3]) }
        let out = Tensor(uninitializedShape: [g.outChannels], dtype: dy.dtype)
        func run<T: BatchNormElement>(_: T.Type) {
            ConvolutionKernels.biasGradient(dy.pointer(T.self), g, into: out.pointer(T.self))
        }
        if dy.dtype == .float32 { run(Float.self) } else { run(Double.self) }
        return out
    }
}
