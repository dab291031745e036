import Foundation
import Gradus
import GradusONNX

/// A model exported in the fixture tests: how to build it (seeded), which inputs ONNX Runtime ran, and
/// Gradus's own way of computing its output.
struct ONNXCase: Sendable, CustomStringConvertible {
    /// The fixture files' base name in Tests/Fixtures/onnx.
    let name: String
    /// The input shapes, by key in the inputs file (`b1`, `b7`); the first key sorted is the export's sample.
    let shapes: [String: [Int]]
    /// int64 inputs in 0..<range (indices), or nil for float32 inputs.
    var indexRange: Int? = nil
    /// Raw 8-bit-like pixel values 0...top (integers stored as float32), or nil for normal floats.
    var pixelTop: Int? = nil
    var opset: Int = 17
    var dynamicAxes: ONNXExportOptions.DynamicAxes = .batch
    /// Builds the exporter and Gradus's forward function from a seeded generator.
    let make: @Sendable (inout SeededGenerator) throws -> ONNXSubject

    var description: String { name }

    var seed: UInt64 { UInt64(name.utf8.reduce(5381) { ($0 &* 33) &+ Int($1) } & 0xFFFF) }

    var options: ONNXExportOptions { ONNXExportOptions(opset: opset, dynamicAxes: dynamicAxes) }

    /// The input for shape key `key`, as recorded (the tests read the committed inputs instead).
    func makeInput(_ key: String) -> Tensor {
        let shape = shapes[key]!
        var g = SeededGenerator(seed: seed &+ UInt64(shape.reduce(17, &*)))
        if let indexRange { return Tensor.randint(0, indexRange, shape: shape, generator: &g) }
        if let pixelTop { return Tensor.randint(0, pixelTop + 1, shape: shape, generator: &g).to(.float32) }
        return Tensor.normal(shape, generator: &g)
    }

    /// The sample input of the export: zeros (only shapes and element type matter).
    var sampleInput: Tensor {
        let shape = shapes[shapes.keys.sorted()[0]]!
        return Tensor.zeros(shape, dtype: indexRange == nil ? .float32 : .int64)
    }
}

/// What a case exports and how Gradus computes the same thing.
struct ONNXSubject {
    let export: (ONNXExportOptions, Tensor) throws -> Onnx_ModelProto
    let forward: (Tensor) throws -> Tensor
    /// The model, when the case exports a module (not a checkpoint).
    var module: Module? = nil

    /// A module: exported with `onnxModel`, run in evaluation mode without gradients.
    init(_ module: Module, perturb generator: inout SeededGenerator) {
        ONNXSubject.prepare(module, generator: &generator)
        self.module = module
        export = { options, sample in try module.onnxModel(sampleInput: sample, options: options) }
        forward = { x in
            guard let layer = module as? any Layer else { throw GradusError(.invalidArgument, "not a layer") }
            return try GradusError.catching { GradMode.noGrad { layer(x) } }
        }
    }

    init(export: @escaping (ONNXExportOptions, Tensor) throws -> Onnx_ModelProto, forward: @escaping (Tensor) throws -> Tensor) {
        self.export = export
        self.forward = forward
    }

    /// Moves every parameter off its initial value (unit norm weights, zero biases) and gives batch
    /// normalization running statistics of its own, so that the checks see every parameter at work.
    static func prepare(_ module: Module, generator g: inout SeededGenerator) {
        GradMode.noGrad {
            for (_, p) in module.namedParameters() { _ = p.addInPlace(Tensor.normal(p.shape, std: 0.2, generator: &g)) }
            for (_, m) in module.namedModules() {
                guard let bn = m as? BatchNorm, let mean = bn.runningMean, let variance = bn.runningVar else { continue }
                _ = mean.assign(Tensor.normal(mean.shape, std: 0.3, generator: &g))
                _ = variance.assign(Tensor.uniform(variance.shape, low: 0.5, high: 2, generator: &g))
            }
        }
        module.eval()
    }
}

/// The models of the fixture tests (Tests/Fixtures/onnx): every exportable layer, in small sizes.
enum ONNXModelZoo {
    static let cases: [ONNXCase] = [
        ONNXCase(name: "mlp", shapes: ["b1": [1, 3, 4], "b7": [7, 3, 4]]) { g in
            ONNXSubject(Sequential {
                Flatten()
                Linear(12, 16, generator: &g)
                ReLU()
                Dropout(p: 0.3)
                Linear(16, 5, generator: &g)
                Identity()
            }, perturb: &g)
        },
        ONNXCase(name: "gradus_mlp", shapes: ["b1": [1, 20], "b7": [7, 20]]) { g in
            ONNXSubject(try ModelSpec(architecture: .mlp, inputShape: [20], hidden: [16, 8], outputs: 4).build(generator: &g), perturb: &g)
        },
        ONNXCase(name: "gradus_lenet", shapes: ["b1": [1, 1, 12, 12], "b7": [7, 1, 12, 12]]) { g in
            ONNXSubject(try ModelSpec(architecture: .lenet, inputShape: [1, 12, 12], outputs: 3).build(generator: &g), perturb: &g)
        },
        ONNXCase(name: "activations", shapes: ["b1": [1, 6], "b7": [7, 6]]) { g in
            ONNXSubject(Sequential {
                Linear(6, 8, generator: &g)
                LeakyReLU(negativeSlope: 0.2)
                Linear(8, 8, generator: &g)
                ELU(alpha: 0.7)
                Linear(8, 8, generator: &g)
                SiLU()
                Linear(8, 8, generator: &g)
                Sigmoid()
                Linear(8, 8, generator: &g)
                Tanh()
                Linear(8, 8, generator: &g)
                Softplus(beta: 2, threshold: 0.5)
                Linear(8, 8, generator: &g)
                Softplus()
                Linear(8, 5, generator: &g)
                LogSoftmax(axis: 1)
            }, perturb: &g)
        },
        ONNXCase(name: "gelu", shapes: ["b1": [1, 6], "b7": [7, 6]]) { g in geluModel(&g) },
        ONNXCase(name: "activations_more", shapes: ["b1": [1, 6], "b7": [7, 6]]) { g in moreActivationsModel(&g) },
        ONNXCase(name: "activations_more_opset18", shapes: ["b1": [1, 6], "b7": [7, 6]], opset: 18) { g in
            moreActivationsModel(&g)
        },
        ONNXCase(name: "prelu_conv", shapes: ["b1": [1, 2, 6, 5], "b7": [7, 2, 6, 5]]) { g in
            ONNXSubject(Sequential {
                Conv2d(2, 3, kernelSize: 3, padding: 1, generator: &g)
                PReLU(numParameters: 3)
                Conv2d(3, 2, kernelSize: 3, generator: &g)
                PReLU()
            }, perturb: &g)
        },
        ONNXCase(name: "gelu_opset20", shapes: ["b1": [1, 6], "b7": [7, 6]], opset: 20) { g in geluModel(&g) },
        ONNXCase(name: "conv2d", shapes: ["b1": [1, 2, 9, 8], "b7": [7, 2, 9, 8]]) { g in
            ONNXSubject(Sequential {
                Conv2d(2, 4, kernelSize: 3, stride: 2, padding: 1, generator: &g)
                ReLU()
                Conv2d(4, 4, kernelSize: [3, 2], padding: [1, 0], dilation: [2, 1], groups: 2, generator: &g)
                Conv2d(4, 3, kernelSize: [3, 2], padding: .same, bias: false, generator: &g)
            }, perturb: &g)
        },
        ONNXCase(name: "conv1d", shapes: ["b1": [1, 3, 11], "b7": [7, 3, 11]]) { g in
            ONNXSubject(Sequential {
                Conv1d(3, 4, kernelSize: 3, stride: 2, padding: 1, generator: &g)
                ReLU()
                Conv1d(4, 4, kernelSize: 3, padding: .same, dilation: 2, groups: 2, generator: &g)
                Conv1d(4, 2, kernelSize: 2, padding: .same, bias: false, generator: &g)
            }, perturb: &g)
        },
        ONNXCase(name: "conv_transpose2d", shapes: ["b1": [1, 4, 3, 5], "b7": [7, 4, 3, 5]]) { g in
            ONNXSubject(Sequential {
                ConvTranspose2d(4, 6, kernelSize: 3, stride: 2, padding: 1, outputPadding: 1, groups: 2, generator: &g)
                ReLU()
                ConvTranspose2d(6, 2, kernelSize: [2, 3], stride: [1, 2], bias: false, dilation: [2, 1], generator: &g)
            }, perturb: &g)
        },
        ONNXCase(name: "max_pool", shapes: ["b1": [1, 2, 10, 10], "b7": [7, 2, 10, 10]]) { g in
            ONNXSubject(Sequential {
                MaxPool2d(3, stride: 2, padding: 1, ceilMode: true)
                MaxPool2d(2, stride: 1, dilation: 2)
                MaxPool2d([3, 2], stride: [2, 1], ceilMode: true)
            }, perturb: &g)
        },
        ONNXCase(name: "avg_pool", shapes: ["b1": [1, 2, 10, 10], "b7": [7, 2, 10, 10]]) { g in
            ONNXSubject(Sequential {
                AvgPool2d(3, stride: 2, padding: 1, ceilMode: true)
                AvgPool2d(3, stride: 1, padding: 1, countIncludePad: false)
                AvgPool2d([2, 3], stride: [2, 2], padding: [1, 1], countIncludePad: false, ceilMode: true)
                AvgPool2d(2)
            }, perturb: &g)
        },
        ONNXCase(name: "adaptive_avg_pool", shapes: ["b1": [1, 2, 5, 7], "b7": [7, 2, 5, 7]]) { g in
            ONNXSubject(Sequential {
                Conv2d(2, 3, kernelSize: 1, generator: &g)
                AdaptiveAvgPool2d([2, 3])
            }, perturb: &g)
        },
        ONNXCase(name: "global_avg_pool", shapes: ["b1": [1, 2, 6, 6], "b7": [7, 2, 6, 6]]) { g in
            ONNXSubject(Sequential {
                Conv2d(2, 3, kernelSize: 3, generator: &g)
                AdaptiveAvgPool2d(1)
                Flatten()
            }, perturb: &g)
        },
        ONNXCase(name: "batchnorm", shapes: ["b1": [1, 2, 6, 6], "b7": [7, 2, 6, 6]]) { g in
            ONNXSubject(Sequential {
                Conv2d(2, 3, kernelSize: 3, generator: &g)
                BatchNorm2d(3)
                ReLU()
                Flatten()
                Linear(48, 6, generator: &g)
                BatchNorm1d(6, affine: false)
            }, perturb: &g)
        },
        ONNXCase(name: "batchnorm_sequence", shapes: ["b1": [1, 4, 5], "b7": [7, 4, 5]]) { g in
            ONNXSubject(Sequential {
                BatchNorm1d(4)
                BatchNorm1d(4, trackRunningStats: false)
            }, perturb: &g)
        },
        ONNXCase(name: "layernorm", shapes: ["b1": [1, 2, 6], "b7": [7, 2, 6]]) { g in
            ONNXSubject(Sequential {
                Linear(6, 8, generator: &g)
                LayerNorm(8)
                ReLU()
                LayerNorm([2, 8], elementwiseAffine: false)
                LayerNorm(8, bias: false)
            }, perturb: &g)
        },
        ONNXCase(name: "groupnorm", shapes: ["b1": [1, 4, 3, 5], "b7": [7, 4, 3, 5]]) { g in groupNormModel(&g) },
        ONNXCase(name: "groupnorm_opset18", shapes: ["b1": [1, 4, 3, 5], "b7": [7, 4, 3, 5]], opset: 18) { g in groupNormModel(&g) },
        ONNXCase(name: "embedding", shapes: ["b1": [1, 5], "b7": [7, 5]], indexRange: 10) { g in
            ONNXSubject(Sequential {
                Embedding(10, 4, generator: &g)
                Flatten()
                Linear(20, 3, generator: &g)
            }, perturb: &g)
        },
        ONNXCase(name: "flatten_partial", shapes: ["b1": [1, 3, 3, 4], "b7": [7, 3, 3, 4]]) { g in
            ONNXSubject(Sequential {
                Flatten(startAxis: 2)
                Linear(12, 5, generator: &g)
                Flatten(startAxis: 0, endAxis: 1)
            }, perturb: &g)
        },
        ONNXCase(name: "lstm", shapes: ["b1": [1, 5, 3], "b7": [7, 5, 3]]) { g in
            ONNXSubject(LSTM(inputSize: 3, hiddenSize: 4, numLayers: 2, batchFirst: true, generator: &g), perturb: &g)
        },
        ONNXCase(name: "lstm_bidirectional", shapes: ["b1": [5, 1, 3], "b7": [5, 7, 3]]) { g in
            ONNXSubject(LSTM(inputSize: 3, hiddenSize: 4, bidirectional: true, generator: &g), perturb: &g)
        },
        ONNXCase(name: "lstm_unbatched", shapes: ["t5": [5, 3]]) { g in
            ONNXSubject(LSTM(inputSize: 3, hiddenSize: 4, generator: &g), perturb: &g)
        },
        ONNXCase(name: "gru", shapes: ["b1": [1, 5, 3], "b7": [7, 5, 3]]) { g in
            ONNXSubject(GRU(inputSize: 3, hiddenSize: 4, numLayers: 2, batchFirst: true, bidirectional: true, generator: &g), perturb: &g)
        },
        ONNXCase(name: "rnn_relu", shapes: ["b1": [5, 1, 3], "b7": [5, 7, 3]]) { g in
            ONNXSubject(RNN(inputSize: 3, hiddenSize: 4, nonlinearity: .relu, bias: false, generator: &g), perturb: &g)
        },
        ONNXCase(name: "mha", shapes: ["b1": [4, 1, 8], "b7": [4, 7, 8]]) { g in
            ONNXSubject(MultiheadAttention(embedDim: 8, numHeads: 2, generator: &g), perturb: &g)
        },
        ONNXCase(name: "mha_batch_first", shapes: ["b1": [1, 4, 8], "b7": [7, 4, 8]]) { g in
            ONNXSubject(MultiheadAttention(embedDim: 8, numHeads: 2, bias: false, batchFirst: true, generator: &g), perturb: &g)
        },
        ONNXCase(name: "transformer_encoder", shapes: ["b1": [4, 1, 8], "b7": [4, 7, 8]]) { g in
            ONNXSubject(TransformerEncoder(numLayers: 2, norm: LayerNorm(8)) {
                TransformerEncoderLayer(dModel: 8, numHeads: 2, dimFeedforward: 16, generator: &g)
            }, perturb: &g)
        },
        ONNXCase(name: "transformer_norm_first_gelu", shapes: ["b1": [1, 4, 8], "b7": [7, 4, 8]]) { g in
            ONNXSubject(TransformerEncoderLayer(dModel: 8, numHeads: 4, dimFeedforward: 12, activation: .gelu, batchFirst: true,
                                                normFirst: true, generator: &g), perturb: &g)
        },
        ONNXCase(name: "lstm_language_model", shapes: ["b1": [1, 5], "b7": [7, 5], "b3_t9": [3, 9]], indexRange: 11,
                 dynamicAxes: .custom([0: "batch", 1: "sequence"])) { g in
            ONNXSubject(RecurrentLanguageModel(cell: .lstm, vocabularySize: 11, embeddingSize: 4, hiddenSize: 6, numLayers: 2, generator: &g),
                        perturb: &g)
        },
        ONNXCase(name: "gru_language_model", shapes: ["b1": [1, 5], "b7": [7, 5]], indexRange: 9) { g in
            ONNXSubject(RecurrentLanguageModel(cell: .gru, vocabularySize: 9, embeddingSize: 4, hiddenSize: 5, generator: &g), perturb: &g)
        },
        ONNXCase(name: "gpt_language_model", shapes: ["b1": [1, 5], "b7": [7, 5], "b3_t9": [3, 9], "b2_t1": [2, 1]], indexRange: 13,
                 dynamicAxes: .custom([0: "batch", 1: "sequence"])) { g in
            ONNXSubject(GPTLanguageModel(vocabularySize: 13, contextLength: 10, embeddingSize: 8, numHeads: 2, numLayers: 2, generator: &g),
                        perturb: &g)
        },
        ONNXCase(name: "unflatten", shapes: ["b1": [1, 6], "b7": [7, 6]]) { g in
            ONNXSubject(Sequential {
                Linear(6, 12, generator: &g)
                Unflatten(axis: 1, sizes: [3, 4])
                Conv1d(3, 2, kernelSize: 2, generator: &g)
            }, perturb: &g)
        },
        ONNXCase(name: "pool_1d", shapes: ["b1": [1, 3, 11], "b7": [7, 3, 11]]) { g in
            ONNXSubject(Sequential {
                Conv1d(3, 4, kernelSize: 3, padding: 1, generator: &g)
                MaxPool1d(3, stride: 2, padding: 1, ceilMode: true)
                MaxPool1d(2, stride: 1, dilation: 2)
                AvgPool1d(3, stride: 1, padding: 1, countIncludePad: false)
                AvgPool1d(3, stride: 2, padding: 1, ceilMode: true)
            }, perturb: &g)
        },
        ONNXCase(name: "adaptive_pool_1d", shapes: ["b1": [1, 4, 10], "b7": [7, 4, 10]]) { g in
            ONNXSubject(Sequential {
                AdaptiveMaxPool1d(7)
                AdaptiveAvgPool1d(3)
                Conv1d(4, 4, kernelSize: 1, generator: &g)
                AdaptiveMaxPool1d(1)
            }, perturb: &g)
        },
        ONNXCase(name: "adaptive_max_pool", shapes: ["b1": [1, 2, 7, 9], "b7": [7, 2, 7, 9]]) { g in
            ONNXSubject(Sequential {
                Conv2d(2, 3, kernelSize: 1, generator: &g)
                AdaptiveMaxPool2d([5, 4])   // uneven windows: slices
                AdaptiveMaxPool2d([5, 2])   // windows that tile the input: MaxPool
                AdaptiveMaxPool2d(1)
                Flatten()
            }, perturb: &g)
        },
        ONNXCase(name: "instance_norm", shapes: ["b1": [1, 2, 4, 5], "b7": [7, 2, 4, 5]]) { g in
            ONNXSubject(Sequential {
                InstanceNorm2d(2)
                Conv2d(2, 3, kernelSize: 1, generator: &g)
                Dropout2d(p: 0.4)
                InstanceNorm2d(3, eps: 1e-3, affine: true)
                Flatten(startAxis: 2)
                InstanceNorm1d(3, affine: true)
            }, perturb: &g)
        },
        ONNXCase(name: "upsample_nearest", shapes: ["b1": [1, 2, 3, 5], "b7": [7, 2, 3, 5]]) { g in
            ONNXSubject(Sequential {
                Conv2d(2, 2, kernelSize: 1, generator: &g)
                Upsample(scaleFactor: 2)
                Upsample(size: [7, 9])
                Upsample(scaleFactor: [1.5, 0.75], mode: .nearestExact)
                Upsample(size: [10, 6], mode: .nearestExact)
            }, perturb: &g)
        },
        ONNXCase(name: "upsample_bilinear", shapes: ["b1": [1, 2, 3, 4], "b7": [7, 2, 3, 4]]) { g in
            ONNXSubject(Sequential {
                Conv2d(2, 2, kernelSize: 1, generator: &g)
                Upsample(scaleFactor: 2, mode: .bilinear)
                Upsample(size: [5, 7], mode: .bilinear, alignCorners: true)
                Upsample(scaleFactor: [1.3, 0.6], mode: .bilinear)
            }, perturb: &g)
        },
        ONNXCase(name: "upsample_linear", shapes: ["b1": [1, 2, 5], "b7": [7, 2, 5]]) { g in
            ONNXSubject(Sequential {
                Upsample(scaleFactor: 1.7, mode: .linear)
                Upsample(size: [4], mode: .linear, alignCorners: true)
                Upsample(scaleFactor: 3)
            }, perturb: &g)
        },
        ONNXCase(name: "upsample_trilinear", shapes: ["b1": [1, 1, 2, 3, 4], "b7": [7, 1, 2, 3, 4]]) { g in
            ONNXSubject(Sequential {
                Upsample(size: [3, 5, 2], mode: .trilinear)
                Upsample(scaleFactor: 2)
            }, perturb: &g)
        },
        ONNXCase(name: "conv_padding_modes", shapes: ["b1": [1, 2, 6, 7], "b7": [7, 2, 6, 7]]) { g in
            ONNXSubject(Sequential {
                Conv2d(2, 3, kernelSize: 3, padding: 1, paddingMode: .reflect, generator: &g)
                Conv2d(3, 3, kernelSize: [4, 3], padding: .same, dilation: [1, 2], paddingMode: .replicate, generator: &g)
                Flatten(startAxis: 2)
                Conv1d(3, 2, kernelSize: 3, padding: 2, paddingMode: .reflect, generator: &g)
            }, perturb: &g)
        },
        ONNXCase(name: "conv_circular_opset19", shapes: ["b1": [1, 2, 5, 6], "b7": [7, 2, 5, 6]], opset: 19) { g in
            ONNXSubject(Sequential {
                Conv2d(2, 3, kernelSize: 3, stride: 2, padding: [1, 2], paddingMode: .circular, generator: &g)
                Flatten(startAxis: 2)
                Conv1d(3, 2, kernelSize: 2, padding: 1, paddingMode: .circular, generator: &g)
            }, perturb: &g)
        },
        ONNXCase(name: "checkpoint_digits", shapes: ["b1": [1, 64], "b7": [7, 64]], pixelTop: 16) { g in
            try checkpointSubject(task: .classify, generator: &g)
        },
        ONNXCase(name: "checkpoint_regression", shapes: ["b1": [1, 5], "b7": [7, 5]]) { g in
            try checkpointSubject(task: .regress, generator: &g)
        },
        ONNXCase(name: "shrink_activations", shapes: ["b1": [1, 6], "b7": [7, 6]]) { g in
            ONNXSubject(Sequential {
                Linear(6, 8, generator: &g)
                Hardshrink(lambda: 0.3)
                Linear(8, 8, generator: &g)
                Softshrink(lambda: 0.2)
                Linear(8, 8, generator: &g)
                Tanhshrink()
                Linear(8, 8, generator: &g)
                Threshold(0.1, value: -2)
                Linear(8, 8, generator: &g)
                GLU()
                Linear(4, 6, generator: &g)
                Softmin(axis: 1)
            }, perturb: &g)
        },
        ONNXCase(name: "glu_channels", shapes: ["b1": [1, 4, 3, 5], "b7": [7, 4, 3, 5]]) { g in
            ONNXSubject(Sequential {
                Conv2d(4, 6, kernelSize: 1, generator: &g)
                GLU(axis: 1)
                Softmin(axis: -1)
            }, perturb: &g)
        },
        ONNXCase(name: "padding", shapes: ["b1": [1, 2, 5, 6], "b7": [7, 2, 5, 6]]) { g in
            ONNXSubject(Sequential {
                ZeroPad2d((left: 1, right: 2, top: 0, bottom: 1))
                ConstantPad2d((left: -1, right: 2, top: 1, bottom: -2), value: 0.5)
                ReflectionPad2d((left: 2, right: 1, top: 1, bottom: 2))
                ReplicationPad2d((left: 3, right: 0, top: 1, bottom: 1))
                Conv2d(2, 3, kernelSize: 1, generator: &g)
                Flatten(startAxis: 2)
                ConstantPad1d((left: 2, right: -1), value: -1.5)
                ReflectionPad1d(1)
                ReplicationPad1d((left: 0, right: 2))
                ZeroPad1d(0)
            }, perturb: &g)
        },
        ONNXCase(name: "padding_circular_opset19", shapes: ["b1": [1, 2, 4, 5], "b7": [7, 2, 4, 5]], opset: 19) { g in
            ONNXSubject(Sequential {
                CircularPad2d((left: 1, right: 2, top: 2, bottom: 0))
                Conv2d(2, 2, kernelSize: 2, generator: &g)
                Flatten(startAxis: 2)
                CircularPad1d((left: 3, right: 1))
            }, perturb: &g)
        },
        ONNXCase(name: "pixel_shuffle", shapes: ["b1": [1, 8, 3, 4], "b7": [7, 8, 3, 4]]) { g in
            ONNXSubject(Sequential {
                Conv2d(8, 8, kernelSize: 1, generator: &g)
                PixelShuffle(2)
                PixelUnshuffle(2)
                Conv2d(8, 9, kernelSize: 1, generator: &g)
                PixelShuffle(3)
                PixelUnshuffle(3)
            }, perturb: &g)
        },
        ONNXCase(name: "rms_norm", shapes: ["b1": [1, 3, 6], "b7": [7, 3, 6]]) { g in
            ONNXSubject(Sequential {
                Linear(6, 6, generator: &g)
                RMSNorm(6)
                Linear(6, 6, generator: &g)
                RMSNorm([3, 6], eps: 1e-3, elementwiseAffine: false)
            }, perturb: &g)
        },
        ONNXCase(name: "conv_transpose1d", shapes: ["b1": [1, 4, 5], "b7": [7, 4, 5]]) { g in
            ONNXSubject(Sequential {
                ConvTranspose1d(4, 6, kernelSize: 3, stride: 2, padding: 1, outputPadding: 1, groups: 2, generator: &g)
                ReLU()
                ConvTranspose1d(6, 2, kernelSize: 2, bias: false, dilation: 2, generator: &g)
            }, perturb: &g)
        },
        ONNXCase(name: "embedding_bag_sum", shapes: ["b1": [1, 5], "b7": [7, 5]], indexRange: 10) { g in
            ONNXSubject(Sequential {
                EmbeddingBag(10, 4, mode: .sum, generator: &g)
                Linear(4, 3, generator: &g)
            }, perturb: &g)
        },
        ONNXCase(name: "embedding_bag_mean", shapes: ["b1": [1, 5], "b7": [7, 5]], indexRange: 10) { g in
            ONNXSubject(EmbeddingBag(10, 4, mode: .mean, generator: &g), perturb: &g)
        },
        ONNXCase(name: "embedding_bag_max", shapes: ["b1": [1, 5], "b7": [7, 5]], indexRange: 10) { g in
            ONNXSubject(EmbeddingBag(10, 4, mode: .max, generator: &g), perturb: &g)
        },
        // Indices 0..<3 in bags of 2: in the recorded inputs, 2-4 of the 16 bags (and 1-3 of the 7) hold
        // only the padding index.
        ONNXCase(name: "embedding_bag_sum_padding", shapes: ["b1": [1, 2], "b7": [7, 2], "b16": [16, 2]], indexRange: 3) { g in
            ONNXSubject(EmbeddingBag(3, 4, mode: .sum, paddingIdx: 1, generator: &g), perturb: &g)
        },
        ONNXCase(name: "embedding_bag_mean_padding", shapes: ["b1": [1, 2], "b7": [7, 2], "b16": [16, 2]], indexRange: 3) { g in
            ONNXSubject(EmbeddingBag(3, 4, mode: .mean, paddingIdx: -3, generator: &g), perturb: &g)
        },
        ONNXCase(name: "embedding_bag_max_padding", shapes: ["b1": [1, 2], "b7": [7, 2], "b16": [16, 2]], indexRange: 3) { g in
            ONNXSubject(EmbeddingBag(3, 4, mode: .max, paddingIdx: 1, generator: &g), perturb: &g)
        },
        ONNXCase(name: "lstm_cell", shapes: ["b1": [1, 3], "b7": [7, 3]]) { g in
            ONNXSubject(Sequential {
                LSTMCell(inputSize: 3, hiddenSize: 4, generator: &g)
                Linear(4, 2, generator: &g)
            }, perturb: &g)
        },
        ONNXCase(name: "gru_cell", shapes: ["b1": [1, 3], "b7": [7, 3]]) { g in
            ONNXSubject(GRUCell(inputSize: 3, hiddenSize: 5, generator: &g), perturb: &g)
        },
        ONNXCase(name: "rnn_cell_relu", shapes: ["b1": [1, 3], "b7": [7, 3]]) { g in
            ONNXSubject(RNNCell(inputSize: 3, hiddenSize: 4, bias: false, nonlinearity: .relu, generator: &g), perturb: &g)
        },
        // Output padding of a stride or more (ONNX Runtime refuses it as output_padding): taken off the end pads.
        ONNXCase(name: "conv_transpose_output_padding_past_stride", shapes: ["b1": [1, 2, 4, 5], "b7": [7, 2, 4, 5]]) { g in
            ONNXSubject(Sequential {
                ConvTranspose2d(2, 3, kernelSize: 3, stride: [1, 2], padding: [1, 1], outputPadding: [1, 1], dilation: [2, 1], generator: &g)
                Flatten(startAxis: 2)
                ConvTranspose1d(3, 2, kernelSize: 2, stride: 1, padding: 2, outputPadding: 1, dilation: 3, generator: &g)
            }, perturb: &g)
        },
        ONNXCase(name: "conv_unbatched", shapes: ["s": [2, 5, 6]]) { g in
            ONNXSubject(Sequential {
                Conv2d(2, 3, kernelSize: 3, padding: 1, paddingMode: .reflect, generator: &g)
                ConvTranspose2d(3, 2, kernelSize: 2, stride: 2, generator: &g)
            }, perturb: &g)
        },
        ONNXCase(name: "conv1d_unbatched", shapes: ["s": [3, 7]]) { g in
            ONNXSubject(Sequential {
                Conv1d(3, 2, kernelSize: 3, padding: .same, generator: &g)
                ReLU()
            }, perturb: &g)
        },
        ONNXCase(name: "channel_shuffle_softmax2d", shapes: ["b1": [1, 4, 3, 2], "b7": [7, 4, 3, 2]]) { g in
            ONNXSubject(Sequential {
                Conv2d(4, 4, kernelSize: 1, generator: &g)
                ChannelShuffle(groups: 2)
                Softmax2d()
            }, perturb: &g)
        },
        ONNXCase(name: "local_response_norm", shapes: ["b1": [1, 3, 4, 3], "b7": [7, 3, 4, 3]]) { g in
            ONNXSubject(Sequential {
                Conv2d(3, 5, kernelSize: 1, generator: &g)
                LocalResponseNorm(size: 3, alpha: 0.5, beta: 0.75, k: 1.5)
                LocalResponseNorm(size: 2, alpha: 0.3)
                Flatten(startAxis: 2)
                LocalResponseNorm(size: 4, alpha: 0.2, beta: 0.5, k: 2)
            }, perturb: &g)
        },
        ONNXCase(name: "upsampling_2d_alpha_dropout", shapes: ["b1": [1, 2, 3, 2], "b7": [7, 2, 3, 2]]) { g in
            ONNXSubject(Sequential {
                UpsamplingNearest2d(scaleFactor: 2)
                Conv2d(2, 2, kernelSize: 1, generator: &g)
                SELU()
                FeatureAlphaDropout(p: 0.2)
                UpsamplingBilinear2d(size: [5, 7])
                AlphaDropout(p: 0.1)
            }, perturb: &g)
        },
        ONNXCase(name: "cells_unbatched", shapes: ["s": [3]], dynamicAxes: .none) { g in
            ONNXSubject(Sequential {
                GRUCell(inputSize: 3, hiddenSize: 4, generator: &g)
                LSTMCell(inputSize: 4, hiddenSize: 4, generator: &g)
                RNNCell(inputSize: 4, hiddenSize: 2, generator: &g)
            }, perturb: &g)
        },
        ONNXCase(name: "conv3d", shapes: ["b1": [1, 2, 5, 6, 5], "b7": [7, 2, 5, 6, 5]]) { g in
            ONNXSubject(Sequential {
                Conv3d(2, 4, kernelSize: 3, stride: 2, padding: 1, generator: &g)
                ReLU()
                Conv3d(4, 4, kernelSize: [2, 3, 2], padding: .same, dilation: [1, 1, 2], groups: 2, generator: &g)
                BatchNorm3d(4)
                Conv3d(4, 3, kernelSize: [1, 3, 3], padding: [0, 1, 1], bias: false, paddingMode: .reflect, generator: &g)
                InstanceNorm3d(3, affine: true)
                ConstantPad3d((-1, 1, 0, 2, 1, 0), value: 0.5)
            }, perturb: &g)
        },
        ONNXCase(name: "conv_transpose3d_pools", shapes: ["b1": [1, 2, 3, 4, 3], "b7": [7, 2, 3, 4, 3]]) { g in
            ONNXSubject(Sequential {
                ConvTranspose3d(2, 3, kernelSize: [2, 3, 2], stride: [2, 1, 2], padding: [0, 1, 1], outputPadding: [1, 0, 1],
                                dilation: [1, 2, 1], generator: &g)
                MaxPool3d([2, 2, 3], stride: [1, 2, 2], padding: [1, 0, 1], ceilMode: true)
                AvgPool3d(2, stride: [2, 1, 2], padding: 1, countIncludePad: false, ceilMode: true)
                ReplicationPad3d((1, 0, 0, 1, 1, 0))
                AdaptiveMaxPool3d([3, 5, 3])
                AdaptiveAvgPool3d(1)
                Flatten()
                Linear(3, 2, generator: &g)
            }, perturb: &g)
        },
        ONNXCase(name: "pool2d_unbatched", shapes: ["s": [2, 5, 6]]) { g in
            ONNXSubject(Sequential {
                MaxPool2d(2, stride: 1, padding: 1)
                AvgPool2d(3, stride: 2, padding: 1, countIncludePad: false, ceilMode: true)
                Conv2d(2, 2, kernelSize: 1, generator: &g)
            }, perturb: &g)
        },
        ONNXCase(name: "pool3d_unbatched", shapes: ["s": [2, 3, 4, 4]]) { g in
            ONNXSubject(Sequential {
                MaxPool3d(2, stride: 1, padding: 1, ceilMode: true)
                AvgPool3d([1, 2, 2], stride: [1, 1, 2], padding: [0, 1, 1], countIncludePad: false)
                Conv3d(2, 2, kernelSize: 1, generator: &g)
            }, perturb: &g)
        },
        ONNXCase(name: "conv3d_unbatched", shapes: ["s": [2, 3, 4, 4]]) { g in
            ONNXSubject(Sequential {
                Conv3d(2, 3, kernelSize: 3, padding: 1, generator: &g)
                ConvTranspose3d(3, 2, kernelSize: 2, stride: 2, generator: &g)
            }, perturb: &g)
        },
        ONNXCase(name: "adaptive_pools_unbatched", shapes: ["s": [2, 6, 8]], dynamicAxes: .none) { g in
            ONNXSubject(Sequential {
                AdaptiveMaxPool2d([5, 4])   // uneven windows: slices
                AdaptiveAvgPool2d([3, 3])   // averaging matrices
                Conv2d(2, 2, kernelSize: 1, generator: &g)
                AdaptiveMaxPool2d(1)
            }, perturb: &g)
        },
        ONNXCase(name: "adaptive_pools_1d_3d_unbatched", shapes: ["s": [2, 4, 6, 4]], dynamicAxes: .none) { g in
            ONNXSubject(Sequential {
                AdaptiveMaxPool3d([2, 3, 2])
                AdaptiveAvgPool3d([1, 3, 1])
                Flatten(startDim: 1)        // [C, 3]
                AdaptiveMaxPool1d(2)
                AdaptiveAvgPool1d(1)
            }, perturb: &g)
        },
    ]

    /// Every activation added after GELU, between linear layers (inputs are spread so that each one's
    /// corners are crossed).
    static func moreActivationsModel(_ g: inout SeededGenerator) -> ONNXSubject {
        ONNXSubject(Sequential {
            Linear(6, 8, generator: &g)
            Hardtanh(minValue: -0.5, maxValue: 1.5)
            Linear(8, 8, generator: &g)
            ReLU6()
            Linear(8, 8, generator: &g)
            Hardsigmoid()
            Linear(8, 8, generator: &g)
            Hardswish()
            Linear(8, 8, generator: &g)
            Mish()
            Linear(8, 8, generator: &g)
            SELU()
            Linear(8, 8, generator: &g)
            CELU(alpha: 0.7)
            Linear(8, 8, generator: &g)
            LogSigmoid()
            Linear(8, 8, generator: &g)
            Softsign()
            Linear(8, 8, generator: &g)
            PReLU(numParameters: 8)
            Linear(8, 4, generator: &g)
        }, perturb: &g)
    }

    static func geluModel(_ g: inout SeededGenerator) -> ONNXSubject {
        ONNXSubject(Sequential {
            Linear(6, 8, generator: &g)
            GELU()
            Linear(8, 8, generator: &g)
            GELU(approximate: .tanh)
            Linear(8, 4, generator: &g)
            Softmax(axis: -1)
        }, perturb: &g)
    }

    static func groupNormModel(_ g: inout SeededGenerator) -> ONNXSubject {
        ONNXSubject(Sequential {
            Conv2d(4, 6, kernelSize: 1, generator: &g)
            GroupNorm(3, 6)
            GroupNorm(1, 6, affine: false)
        }, perturb: &g)
    }

    /// A `gradus train`-style checkpoint written by ``writeCheckpoint(task:to:generator:)``, loaded with
    /// `TrainedModel.load` and exported with its preprocessing (softmax output for the classifier, as
    /// `gradus predict`). Gradus's side is `predict(prepare(raw))`, the path of `gradus predict`.
    static func checkpointSubject(task: LearningTask, generator g: inout SeededGenerator) throws -> ONNXSubject {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("gradus-onnx-\(task.rawValue)-\(UUID().uuidString).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        try writeCheckpoint(task: task, to: file, generator: &g)
        let trained = try TrainedModel.load(file)
        return ONNXSubject(
            export: { options, _ in try trained.onnxModel(options: options, probabilities: task == .classify) },
            forward: { raw in
                // gradus predict reads pixels as integers, other inputs as floating point.
                let x = try trained.prepare(task == .classify ? raw.to(.int64) : raw)
                return trained.predict(x)
            })
    }

    /// Writes a checkpoint as `gradus train` does, by hand: a 64-12-10 MLP classifier of the digits with
    /// their pixel scale (1/16) and a feature standardizer, or a 5-12-2 MLP regression with feature and
    /// target standardizers.
    static func writeCheckpoint(task: LearningTask, to file: String, generator g: inout SeededGenerator) throws {
        let features = task == .classify ? 64 : 5, outputs = task == .classify ? 10 : 2
        let spec = ModelSpec(architecture: .mlp, inputShape: [features], hidden: [12], outputs: outputs)
        let model = try spec.build(generator: &g)
        ONNXSubject.prepare(model, generator: &g)
        var extra: [String: Tensor] = [
            "standardizer.mean": Tensor.uniform([features], low: 0, high: 8, generator: &g),
            "standardizer.scale": Tensor.uniform([features], low: 0.5, high: 5, generator: &g),
        ]
        var metadata = ["config": RunConfig(model: spec, task: task).json()]
        if task == .classify {
            metadata["pixel_scale"] = "\(1.0 / 16)"
        } else {
            extra["target_standardizer.mean"] = Tensor.normal([outputs], generator: &g)
            extra["target_standardizer.scale"] = Tensor.uniform([outputs], low: 0.5, high: 3, generator: &g)
        }
        try Checkpoint(model: model.stateDict(), extra: extra, metadata: metadata).save(to: file)
    }
}
