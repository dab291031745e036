import CGradusOneDNN
import Synchronization

/// Turns a model's layers into the steps of a ``CompiledInference`` (see ``InferencePlan`` for what is
/// fused and how), given the shape after each layer from a run of the model.
struct InferenceBuilder {
    let layers: [any Layer]
    /// `shapes[i]` is layer i's input shape; `shapes[layers.count]` the model's output shape.
    let shapes: [[Int]]
    private(set) var sources: [WeightSource] = []
    private var steps: [(step: CompiledInference.Step, outputShape: [Int])] = []
    private var network: OneDNNNetwork?
    /// Whether a compiled step (oneDNN chain or row product) was made: without one the model runs as it is.
    private var compiledAny = false

    /// Whether one-sample linear layers are row products (0: yes, the default; 1: no, oneDNN inner
    /// products); tests switch it through ``KernelTesting``.
    static let rowProductsOverride = Atomic<UInt8>(0)

    /// How convolutions are computed (gradus_convolution_algorithm; the fastest of oneDNN's kernels by
    /// default); tests force one through ``KernelTesting``.
    static let convolutionAlgorithm = Atomic<UInt32>(gradus_convolution_fastest.rawValue)

    /// When set, convolutions are chosen by timing only oneDNN's kernels whose name contains it; tests
    /// set it through ``KernelTesting`` to check each kernel.
    static let convolutionKernelFilter = Mutex<String?>(nil)

    /// When positive, each oneDNN chain refuses steps past this many; tests set it through
    /// ``KernelTesting`` to make a layer fail midway through adding its steps (task-local: plans that
    /// other tests compile at the same time are not limited).
    @TaskLocal static var chainStepLimit = 0

    init(layers: [any Layer], shapes: [[Int]]) {
        self.layers = layers
        self.shapes = shapes
    }

    /// The steps, or nil when nothing was compiled or a compiled step disagrees with the model's shapes.
    mutating func build() -> [(step: CompiledInference.Step, outputShape: [Int])]? {
        // Parametrized weights are computed at each call (and may change with their originals, which
        // the compiled weights' sources do not follow): such a model runs as it is.
        guard !layers.contains(where: { $0.modules().contains { $0.isParametrized() } }) else { return nil }
        var i = 0
        while i < layers.count {
            guard let consumed = compile(at: i) else { return nil }
            if consumed == 0 {
                closeNetwork()
                steps.append((.layer(layers[i], inputShape: shapes[i]), shapes[i + 1]))
                i += 1
            } else {
                i += consumed
            }
        }
        closeNetwork()
        return compiledAny ? steps : nil
    }

    /// Compiles layer `i` (with the layers fused into it): the number of layers consumed, 0 when it runs
    /// as the model runs it, nil when a compiled step disagreed with the model's shapes.
    private mutating func compile(at i: Int) -> Int? {
        let layer = layers[i], input = shapes[i]
        switch layer {
        case is DropoutLayer, is Identity:
            return 1
        case is Flatten:
            // Contiguous memory is already flat; an open chain keeps its layout for a following inner product.
            if network == nil || !(next(i) is Linear) { closeNetwork() }
            return 1
        case let conv as Conv2d:
            // A quantized convolution computes in integers as the model runs it, and one that pads with
            // anything but zeros pads as the model does (oneDNN's convolutions pad with zeros).
            return conv.activeQuantizedWeights == nil && conv.paddingMode == .constant ? convolution(conv, at: i) : 0
        case let deconv as ConvTranspose2d:
            return transposedConvolution(deconv, at: i)
        case let pool as MaxPool2d:
            guard input.count == 4 else { return 0 }
            let ph = pool.padding.height, pw = pool.padding.width
            let after = ceilPadding(input: input, output: shapes[i + 1], kernel: pool.kernelSize.pair, stride: pool.stride.pair,
                                    dilation: pool.dilation.pair, before: (ph, pw))
            return pooling(gradus_pooling_max, at: i, kernel: pool.kernelSize.pair, stride: pool.stride.pair,
                           dilation: pool.dilation.pair, before: (ph, pw), after: after)
        case let pool as AvgPool2d:
            guard input.count == 4 else { return 0 }
            let ph = pool.padding.height, pw = pool.padding.width
            let after = ceilPadding(input: input, output: shapes[i + 1], kernel: pool.kernelSize.pair, stride: pool.stride.pair,
                                    dilation: (1, 1), before: (ph, pw))
            // PyTorch divides a window that overhangs the padding by its part inside input + padding;
            // oneDNN would count the overhang too.
            if pool.countIncludePad && after != (ph, pw) { return 0 }
            return pooling(pool.countIncludePad ? gradus_pooling_average_including_padding : gradus_pooling_average_excluding_padding,
                           at: i, kernel: pool.kernelSize.pair, stride: pool.stride.pair, dilation: (1, 1), before: (ph, pw), after: after)
        case let pool as AdaptiveAvgPool2d:
            let (oh, ow) = pool.outputSize.pair
            guard input.count == 4, oh > 0, ow > 0, input[2] % oh == 0, input[3] % ow == 0 else { return 0 }
            let kernel = (input[2] / oh, input[3] / ow)
            return pooling(gradus_pooling_average_including_padding, at: i, kernel: kernel, stride: kernel, dilation: (1, 1),
                           before: (0, 0), after: (0, 0))
        case let linear as Linear:
            if let q = linear.activeQuantizedWeights { return quantizedLinear(linear, q, at: i) }
            return self.linear(linear, at: i)
        case let norm as BatchNorm:
            return batchNormalization(norm, at: i)
        default:
            guard let activation = OneDNNNetwork.Activation(layer), input.count == 2 || input.count == 4,
                  let net = openNetwork(for: input), net.addActivation(activation) else { return 0 }
            return checked(net, consumed: 1, at: i)
        }
    }

    private func next(_ i: Int) -> (any Layer)? { i + 1 < layers.count ? layers[i + 1] : nil }

    /// How convolutions are computed: by default every oneDNN kernel is timed a few runs when compiled
    /// (on at most four images of the batch, so compiling for a large one-off batch stays cheap) and the
    /// fastest kept.
    private var convolutionAlgorithm: gradus_convolution_algorithm {
        gradus_convolution_algorithm(Self.convolutionAlgorithm.load(ordering: .relaxed))
    }

    /// A convolution with a following ``BatchNorm2d`` folded in and a following activation fused.
    private mutating func convolution(_ conv: Conv2d, at i: Int) -> Int? {
        let input = shapes[i]
        guard conv.weight.dtype == .float32, conv.bias?.dtype ?? .float32 == .float32, input.count == 4,
              input[1] == conv.inChannels else { return 0 }
        let (kh, kw) = (conv.kernelSize.height, conv.kernelSize.width)
        let padH = conv.padding.amounts(dimension: 0, kernel: kh, dilation: conv.dilation.height)
        let padW = conv.padding.amounts(dimension: 1, kernel: kw, dilation: conv.dilation.width)
        var weight = conv.weight.contiguous().scalars(as: Float.self)
        var bias = conv.bias?.scalars(as: Float.self)
        var consumed = 1
        var used: [WeightSource] = [WeightSource { conv.weight }, WeightSource { conv.bias }]
        if let norm = next(i) as? BatchNorm2d, let folded = Self.fold(norm, weight: &weight, bias: bias, outputs: conv.outChannels) {
            bias = folded
            consumed += 1
            used += [WeightSource { norm.weight }, WeightSource { norm.bias }, WeightSource { norm.runningMean }, WeightSource { norm.runningVar }]
        }
        var activation = OneDNNNetwork.Activation.none
        if i + consumed < layers.count, let fused = OneDNNNetwork.Activation(layers[i + consumed]) {
            activation = fused
            consumed += 1
        }
        let kernelFilter = Self.convolutionKernelFilter.withLock { $0 }
        guard let net = openNetwork(for: input) else { return 0 }
        net.restrictConvolutionKernels(to: kernelFilter)
        guard net.addConvolution(weight: weight, bias: bias, outChannels: conv.outChannels, groups: conv.groups, kernel: (kh, kw),
                                 stride: conv.stride.pair, dilation: conv.dilation.pair,
                                 padBefore: (padH.before, padW.before), padAfter: (padH.after, padW.after), activation: activation,
                                 algorithm: kernelFilter == nil ? convolutionAlgorithm : gradus_convolution_fastest)
        else { return 0 }
        sources += used
        return checked(net, consumed: consumed, at: i)
    }

    /// Output channels from which a transposed convolution joins the chain. oneDNN computes it as a
    /// convolution's input gradient, whose channel-blocked kernels take a few output channels (an RGB
    /// generator's last layer) several times longer than the model's own path (as for training's input
    /// gradients, ``OneDNNConvolution/minimumInputGradientChannels``).
    static let minimumTransposedOutputChannels = OneDNNConvolution.minimumInputGradientChannels

    /// A transposed convolution with a following activation applied after it in the chain. A batch
    /// normalization after it stays a oneDNN step of its own: folded in, it gives the layer a bias, which
    /// oneDNN 2.6 adds to a deconvolution in a plain loop (dcgan_infer_b1_plan 201 → 243 µs at one thread).
    private mutating func transposedConvolution(_ deconv: ConvTranspose2d, at i: Int) -> Int? {
        let input = shapes[i]
        let (sh, sw) = deconv.stride.pair, (ph, pw) = deconv.padding.pair, (oph, opw) = deconv.outputPadding.pair
        // The output padding is cropped from the padding after; more of it than padding would need zeros
        // past the windows (the model's composed path).
        guard deconv.weight.dtype == .float32, deconv.bias?.dtype ?? .float32 == .float32, input.count == 4,
              input[1] == deconv.inChannels, deconv.outChannels >= Self.minimumTransposedOutputChannels,
              oph <= ph, opw <= pw else { return 0 }
        let weight = deconv.weight.contiguous().scalars(as: Float.self)
        let bias = deconv.bias?.scalars(as: Float.self)
        var consumed = 1
        var activation = OneDNNNetwork.Activation.none
        if i + 1 < layers.count, let following = OneDNNNetwork.Activation(layers[i + 1]) {
            activation = following
            consumed += 1
        }
        guard let net = openNetwork(for: input),
              net.addDeconvolution(weight: weight, bias: bias, outChannels: deconv.outChannels, groups: deconv.groups,
                                   kernel: deconv.kernelSize.pair, stride: (sh, sw), dilation: deconv.dilation.pair,
                                   padBefore: (ph, pw), padAfter: (ph - oph, pw - opw), activation: activation)
        else { return 0 }
        sources += [WeightSource { deconv.weight }, WeightSource { deconv.bias }]
        return checked(net, consumed: consumed, at: i)
    }

    /// Folds batch normalization with running statistics into the weights `[out, …]` and bias before it:
    /// the new bias, or nil when `norm` cannot be folded (batch statistics, another size or type).
    static func fold(_ norm: BatchNorm, weight: inout [Float], bias: [Float]?, outputs: Int) -> [Float]? {
        guard norm.numFeatures == outputs, let mean = norm.runningMean, let variance = norm.runningVar,
              mean.dtype == .float32, variance.dtype == .float32,
              norm.weight?.dtype ?? .float32 == .float32, norm.bias?.dtype ?? .float32 == .float32 else { return nil }
        let mu = mean.scalars(as: Double.self), v = variance.scalars(as: Double.self)
        let gamma = norm.weight?.scalars(as: Double.self), beta = norm.bias?.scalars(as: Double.self)
        let perOutput = weight.count / outputs
        var folded = [Float](repeating: 0, count: outputs)
        for c in 0..<outputs {
            let scale = (gamma?[c] ?? 1) / (v[c] + norm.eps).squareRoot()
            for j in c * perOutput..<(c + 1) * perOutput { weight[j] = Float(Double(weight[j]) * scale) }
            folded[c] = Float((Double(bias?[c] ?? 0) - mu[c]) * scale + (beta?[c] ?? 0))
        }
        return folded
    }

    /// Padding after each axis that gives the model's output size (more than `before` in ceil mode).
    private func ceilPadding(input: [Int], output: [Int], kernel: (Int, Int), stride: (Int, Int), dilation: (Int, Int),
                             before: (Int, Int)) -> (Int, Int) {
        func after(_ axis: Int, _ k: Int, _ s: Int, _ d: Int, _ p: Int) -> Int {
            Swift.max(p, (output[axis] - 1) * s + (k - 1) * d + 1 - input[axis] - p)
        }
        return (after(2, kernel.0, stride.0, dilation.0, before.0), after(3, kernel.1, stride.1, dilation.1, before.1))
    }

    private mutating func pooling(_ kind: gradus_pooling, at i: Int, kernel: (Int, Int), stride: (Int, Int), dilation: (Int, Int),
                                  before: (Int, Int), after: (Int, Int)) -> Int? {
        guard let net = openNetwork(for: shapes[i]),
              net.addPooling(kind, kernel: kernel, stride: stride, dilation: dilation, padBefore: before, padAfter: after) else { return 0 }
        return checked(net, consumed: 1, at: i)
    }

    /// A linear layer on `[n, features]` with a following activation fused: a row product for one
    /// sample, otherwise an inner product (straight from an open chain's image after a ``Flatten``).
    private mutating func linear(_ linear: Linear, at i: Int) -> Int? {
        let input = shapes[i]
        guard input.count == 2, input[1] == linear.inFeatures, linear.weight.dtype == .float32,
              linear.bias?.dtype ?? .float32 == .float32 else { return 0 }
        var weight = linear.weight.contiguous(), bias = linear.bias?.contiguous()
        var consumed = 1
        var used = [WeightSource { linear.weight }, WeightSource { linear.bias }]
        // A BatchNorm1d after it folds into its weights and bias.
        if let norm = next(i) as? BatchNorm1d {
            var w = weight.scalars(as: Float.self)
            if let b = Self.fold(norm, weight: &w, bias: bias?.scalars(as: Float.self), outputs: linear.outFeatures) {
                weight = Tensor(shape: weight.shape, values: w)
                bias = Tensor(shape: [linear.outFeatures], values: b)
                consumed += 1
                used += [WeightSource { norm.weight }, WeightSource { norm.bias }, WeightSource { norm.runningMean },
                         WeightSource { norm.runningVar }]
            }
        }
        let following = i + consumed < layers.count ? OneDNNNetwork.Activation(layers[i + consumed]) : nil
        let rowProducts = Self.rowProductsOverride.load(ordering: .relaxed) == 0
        if input[0] == 1 && rowProducts {
            var slope: Float? = nil
            if let following, following.kind == gradus_activation_relu {
                slope = following.alpha
                consumed += 1
            }
            closeNetwork()
            steps.append((.rows(RowProduct(weight: weight, bias: bias, negativeSlope: slope)), shapes[i + consumed]))
            sources += used
            compiledAny = true
            return consumed
        }
        // An open chain whose image flattens to this input feeds the inner product directly.
        if let net = network, net.outputShape != input, net.outputShape.reduce(1, *) != input.reduce(1, *) { closeNetwork() }
        let chain = network ?? openNetwork(for: input)
        guard let net = chain,
              net.addInnerProduct(weight: weight.scalars(as: Float.self), bias: bias?.scalars(as: Float.self),
                                  outFeatures: linear.outFeatures, activation: following ?? .none) else { return 0 }
        sources += used
        return checked(net, consumed: consumed + (following == nil ? 0 : 1), at: i)
    }

    /// A quantized linear layer: its integer path on `[n, features]`, with a following ``ReLU`` fused
    /// (as ``Sequential`` fuses it, so that the results are the model's, bit for bit).
    private mutating func quantizedLinear(_ linear: Linear, _ q: QuantizedWeights, at i: Int) -> Int? {
        let input = shapes[i]
        guard input.count == 2, input[1] == q.inputs, linear.bias?.dtype ?? .float32 == .float32 else { return 0 }
        let relu = next(i) is ReLU
        let consumed = relu ? 2 : 1
        guard shapes[i + consumed] == [input[0], q.outputs] else { return nil }
        closeNetwork()
        steps.append((.quantized(QuantizedLinearStep(weights: q, bias: linear.bias, relu: relu)), shapes[i + consumed]))
        sources += [WeightSource { linear.weight }, WeightSource { linear.bias }]
        compiledAny = true
        return consumed
    }

    /// Batch normalization on its own (not after a convolution or linear layer), with its running
    /// statistics, and a following ``ReLU`` in the same step (a transposed convolution's normalization in
    /// a generator: dcgan_infer_b1_plan 131-134 → 127-129 µs at two threads, unchanged at one, AMD EPYC
    /// Zen 5; one step and one pass over the activations fewer).
    private mutating func batchNormalization(_ norm: BatchNorm, at i: Int) -> Int? {
        let input = shapes[i]
        guard input.count == 2 || input.count == 4, input[1] == norm.numFeatures, let mean = norm.runningMean,
              let variance = norm.runningVar, mean.dtype == .float32, variance.dtype == .float32,
              norm.weight?.dtype ?? .float32 == .float32, norm.bias?.dtype ?? .float32 == .float32,
              let net = openNetwork(for: input) else { return 0 }
        func add(relu: Bool) -> Bool {
            net.addBatchNormalization(mean: mean.scalars(as: Float.self), variance: variance.scalars(as: Float.self),
                                      scale: norm.weight?.scalars(as: Float.self), shift: norm.bias?.scalars(as: Float.self),
                                      epsilon: Float(norm.eps), relu: relu)
        }
        // With the ReLU when oneDNN fuses it, else the normalization alone (the ReLU then compiles on its own).
        let relu = next(i) is ReLU && add(relu: true)
        guard relu || add(relu: false) else { return 0 }
        sources += [WeightSource { norm.weight }, WeightSource { norm.bias }, WeightSource { norm.runningMean },
                    WeightSource { norm.runningVar }]
        return checked(net, consumed: relu ? 2 : 1, at: i)
    }

    /// The open chain when its output is `shape`, otherwise a new chain from `shape` (the open one
    /// closed); nil when oneDNN cannot make one.
    private mutating func openNetwork(for shape: [Int]) -> OneDNNNetwork? {
        if let network, network.outputShape == shape { return network }
        closeNetwork()
        network = OneDNNNetwork(inputShape: shape)
        network?.limitSteps(to: Self.chainStepLimit)
        return network
    }

    private mutating func closeNetwork() {
        guard let net = network else { return }
        network = nil
        if net.implementations.isEmpty { return }   // nothing was added to it
        steps.append((.network(net), net.outputShape))
        compiledAny = true
    }

    /// `consumed` when the chain's output now has the model's shape after those layers, else nil.
    private func checked(_ net: OneDNNNetwork, consumed: Int, at i: Int) -> Int? {
        net.outputShape == shapes[i + consumed] ? consumed : nil
    }
}
