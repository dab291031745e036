import CGradusOneDNN

/// A chain of oneDNN inference primitives built layer by layer (CGradusOneDNN's `gradus_network`):
/// plain Float32 in, plain Float32 out, blocked layouts, packed weights and fused activations inside.
/// One step of an ``InferencePlan``.
final class OneDNNNetwork {
    /// An element-wise function oneDNN applies after a layer (fused) or on its own.
    struct Activation: Equatable {
        let kind: gradus_activation
        var alpha: Float = 0
        var beta: Float = 0

        static let none = Activation(kind: gradus_activation_none)

        /// The function that `layer` computes, or nil when oneDNN has none for it.
        init?(_ layer: any Layer) {
            switch layer {
            case is ReLU: self.init(kind: gradus_activation_relu)
            case let l as LeakyReLU: self.init(kind: gradus_activation_relu, alpha: Float(l.negativeSlope))
            case is Tanh: self.init(kind: gradus_activation_tanh)
            case is Sigmoid: self.init(kind: gradus_activation_sigmoid)
            case let l as ELU: self.init(kind: gradus_activation_elu, alpha: Float(l.alpha))
            case let l as GELU: self.init(kind: l.approximate == .tanh ? gradus_activation_gelu_tanh : gradus_activation_gelu_erf)
            case is SiLU: self.init(kind: gradus_activation_silu)
            case let l as Hardtanh: self.init(kind: gradus_activation_clip, alpha: Float(l.minValue), beta: Float(l.maxValue))
            case is ReLU6: self.init(kind: gradus_activation_clip, alpha: 0, beta: 6)
            // oneDNN 2.6 ignores alpha and beta for hardswish; 3.x reads them as x·clip(αx + β, 0, 1).
            case is Hardswish: self.init(kind: gradus_activation_hardswish, alpha: 1.0 / 6, beta: 0.5)
            case is Mish: self.init(kind: gradus_activation_mish)
            default: return nil
            }
        }

        init(kind: gradus_activation, alpha: Float = 0, beta: Float = 0) {
            self.kind = kind
            self.alpha = alpha
            self.beta = beta
        }
    }

    private let handle: OpaquePointer
    /// The input shape the chain was built for.
    let inputShape: [Int]

    /// An empty chain for plain inputs of `inputShape` (rank 2 or 4), or nil when oneDNN cannot make one.
    init?(inputShape: [Int]) {
        guard inputShape.count == 2 || inputShape.count == 4,
              let h = gradus_network_create(Int32(inputShape.count), inputShape) else { return nil }
        handle = h
        self.inputShape = inputShape
    }

    deinit { gradus_network_destroy(handle) }

    /// The current output shape.
    var outputShape: [Int] {
        var dims = [Int](repeating: 0, count: 4)
        let rank = Int(gradus_network_output_shape(handle, &dims))
        return Array(dims.prefix(rank))
    }

    /// What oneDNN runs, one entry per primitive (reorders included).
    var implementations: [String] {
        var names: [String] = []
        while let name = gradus_network_step_implementation(handle, Int32(names.count)) { names.append(String(cString: name)) }
        return names
    }

    /// Adds a convolution in `groups` channel groups (weights `[out, in / groups, kh, kw]`, contiguous
    /// Float32, copied) with its activation,
    /// computed by `algorithm` (by default the fastest of oneDNN's direct and Winograd kernels, chosen by
    /// timing each a few times);
    /// false when oneDNN refused (the chain is unchanged).
    func addConvolution(weight: [Float], bias: [Float]?, outChannels: Int, groups: Int, kernel: (Int, Int), stride: (Int, Int),
                        dilation: (Int, Int), padBefore: (Int, Int), padAfter: (Int, Int), activation: Activation,
                        algorithm: gradus_convolution_algorithm) -> Bool {
        weight.withUnsafeBufferPointer { w in
            withOptionalPointer(bias) { b in
                gradus_network_add_convolution(handle, outChannels, groups, kernel.0, kernel.1, stride.0, stride.1,
                                               dilation.0, dilation.1, padBefore.0, padBefore.1, padAfter.0, padAfter.1,
                                               w.baseAddress, b, Int32(activation.kind.rawValue), activation.alpha, activation.beta,
                                               Int32(algorithm.rawValue)) == 0
            }
        }
    }

    /// Adds a transposed convolution in `groups` channel groups (weights in PyTorch's layout
    /// `[in, out / groups, kh, kw]`, contiguous Float32, copied) with its activation, cropping `padBefore`
    /// and `padAfter` from the output; false when oneDNN refused (the chain is unchanged).
    func addDeconvolution(weight: [Float], bias: [Float]?, outChannels: Int, groups: Int, kernel: (Int, Int), stride: (Int, Int),
                          dilation: (Int, Int), padBefore: (Int, Int), padAfter: (Int, Int), activation: Activation) -> Bool {
        weight.withUnsafeBufferPointer { w in
            withOptionalPointer(bias) { b in
                gradus_network_add_deconvolution(handle, outChannels, groups, kernel.0, kernel.1, stride.0, stride.1,
                                                 dilation.0, dilation.1, padBefore.0, padBefore.1, padAfter.0, padAfter.1,
                                                 w.baseAddress, b, Int32(activation.kind.rawValue), activation.alpha,
                                                 activation.beta) == 0
            }
        }
    }

    /// Tests only: later convolutions compiled by timing consider only oneDNN kernels whose name contains
    /// `name` (nil: every kernel).
    func restrictConvolutionKernels(to name: String?) {
        gradus_network_set_kernel_filter(handle, name)
    }

    /// Tests: refuses steps past the first `limit` of the chain (0: no limit).
    func limitSteps(to limit: Int) {
        gradus_network_set_step_limit(handle, Int32(clamping: limit))
    }

    /// Adds a pooling of `kind`; false when oneDNN refused.
    func addPooling(_ kind: gradus_pooling, kernel: (Int, Int), stride: (Int, Int), dilation: (Int, Int),
                    padBefore: (Int, Int), padAfter: (Int, Int)) -> Bool {
        gradus_network_add_pooling(handle, Int32(kind.rawValue), kernel.0, kernel.1, stride.0, stride.1, dilation.0, dilation.1,
                                   padBefore.0, padBefore.1, padAfter.0, padAfter.1) == 0
    }

    /// Adds an inner product over each sample's elements in plain order (weights `[out, features]`,
    /// copied) with its activation; false when oneDNN refused.
    func addInnerProduct(weight: [Float], bias: [Float]?, outFeatures: Int, activation: Activation) -> Bool {
        weight.withUnsafeBufferPointer { w in
            withOptionalPointer(bias) { b in
                gradus_network_add_inner_product(handle, outFeatures, w.baseAddress, b, Int32(activation.kind.rawValue),
                                                 activation.alpha, activation.beta) == 0
            }
        }
    }

    /// Adds batch normalization with the given statistics and optional scale and shift (copied), and
    /// with `relu` a ReLU in the same step; false when oneDNN refused.
    func addBatchNormalization(mean: [Float], variance: [Float], scale: [Float]?, shift: [Float]?, epsilon: Float,
                               relu: Bool) -> Bool {
        mean.withUnsafeBufferPointer { m in
            variance.withUnsafeBufferPointer { v in
                withOptionalPointer(scale) { g in
                    withOptionalPointer(shift) { b in
                        gradus_network_add_batch_normalization(handle, m.baseAddress, v.baseAddress, g, b, epsilon, relu ? 1 : 0) == 0
                    }
                }
            }
        }
    }

    /// Adds an activation on its own; false when oneDNN refused.
    func addActivation(_ activation: Activation) -> Bool {
        gradus_network_add_activation(handle, Int32(activation.kind.rawValue), activation.alpha, activation.beta) == 0
    }

    /// Runs the chain; false when oneDNN failed (the output is then unspecified).
    func run(_ input: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>) -> Bool {
        gradus_network_run(handle, input, output) == 0
    }

    private func withOptionalPointer<R>(_ values: [Float]?, _ body: (UnsafePointer<Float>?) -> R) -> R {
        guard let values else { return body(nil) }
        return values.withUnsafeBufferPointer { body($0.baseAddress) }
    }
}
