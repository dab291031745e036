import Foundation
import Gradus

extension TrainedModel {
    /// The model of a `gradus train` checkpoint as ONNX, with the run's preprocessing in the graph so
    /// that ONNX Runtime takes the same raw inputs as `gradus predict`.
    ///
    /// The graph's input is `[batch] + sampleShape` float32 (`[batch, 784]` for an MLP on MNIST,
    /// `[batch, 1, 28, 28]` for LeNet). With `preprocessing` (the default) it holds **raw** values: pixels
    /// as stored (0–255 for 8-bit images), multiplied in the graph by the checkpoint's `pixelScale`
    /// (`Mul`), then standardized with the run's `standardizer` (`Sub`, `Div`); regression outputs are
    /// turned back into the data's units with `targetStandardizer`. Without it the graph is the bare
    /// network: inputs must be prepared as `prepare(_:)` does. Classification outputs are logits, or
    /// with `probabilities` the softmax that `gradus predict` prints. Language models take int64 token ids
    /// `[batch, sequence]` (the sequence's length is free, up to a GPT's context) and give the next
    /// token's logits at each position. The model's configuration and what the input and output hold are
    /// stored in `metadata_props` (`gradus.model`, `gradus.input`, `gradus.output`).
    ///
    /// Models of several named inputs (`--model fusion`, a `FusionModel`) get one graph input per
    /// named input, named after it, float32 `[batch] + shape`. With `preprocessing`, feature vectors are
    /// raw (standardized in the graph with the run's `inputStandardizers`) and **images are
    /// taken as the network saw them in training: 8-bit pixels divided by 255 (values in [0, 1])**, floating-point
    /// images as stored; the graph does not scale pixels, since the checkpoint does not record which
    /// inputs were 8-bit. `gradus.input` lists every input and `gradus.input.<name>` describes each.
    ///
    /// - Parameters:
    ///   - options: opset, dynamic axes and names (the graph is named after the model's summary).
    ///   - preprocessing: whether the graph takes raw inputs and applies the run's preprocessing.
    ///   - probabilities: whether a classifier's graph ends with `Softmax`.
    /// - Returns: the model.
    /// - Throws: a `GradusError` when the model cannot be exported or `probabilities` is asked of a
    ///   regression model.
    ///
    /// ```swift
    /// let trained = try TrainedModel.load("runs/mnist-mlp/checkpoint.safetensors")
    /// let proto = try trained.onnxModel()
    /// let bytes: Data = try proto.serializedBytes()
    /// try bytes.write(to: URL(fileURLWithPath: "mnist.onnx"))
    ///
    /// let fusion = try TrainedModel.load("runs/digits-fusion/checkpoint.safetensors").onnxModel()
    /// print(fusion.graph.input.map(\.name))   // ["image", "features"]: images / 255, raw features
    /// ```
    public func onnxModel(options: ONNXExportOptions = ONNXExportOptions(), preprocessing: Bool = true,
                          probabilities: Bool = false) throws -> Onnx_ModelProto {
        if probabilities && !task.predictsClasses {
            throw ONNXExport.error("probabilities are for classifiers and language models; this model was trained to \(task.rawValue)")
        }
        let spec = config.model
        var options = options
        if options.graphName == nil { options.graphName = "gradus \(spec.summary)" }
        guard let layer else { return try multiInputONNXModel(options: options, preprocessing: preprocessing, probabilities: probabilities) }
        let languageModel = task == .languageModel
        let pre = ONNXInputPreprocessing(sampleShape: spec.sampleShape, pixelScale: preprocessing && !languageModel ? pixelScale : nil,
                                         standardizer: preprocessing && !languageModel ? standardizer : nil)
        let post = ONNXOutputPostprocessing(softmax: probabilities,
                                            targetStandardizer: preprocessing && task == .regress ? targetStandardizer : nil)
        let pipeline = ONNXPipeline(preprocess: pre, model: layer, postprocess: post)
        var sample = Tensor.zeros([1] + spec.sampleShape)
        var input = "float32 [batch, " + spec.sampleShape.map(String.init).joined(separator: ", ") + "]"
        if languageModel {
            // Tokens; the sequence's length is free too when the sample can grow along it (a GPT up to its context).
            let context = spec.inputShape.first ?? 1
            let free = options.dynamicAxes == .batch && (spec.architecture != .gpt || context >= 3)
            if free { options.dynamicAxes = .custom([0: "batch", 1: "sequence"]) }
            sample = Tensor.zeros([1, free ? 1 : context], dtype: .int64)
            input = "int64 [batch, \(free ? "sequence" : "\(context)")] token ids below \(spec.outputs)"
                + (spec.architecture == .gpt ? " (at most \(context) tokens)" : "")
        }
        if let scale = pre.pixelScale {
            // The checkpoint's scale is positive and finite, but 1/scale may not fit an Int (1e-320).
            let top = 1 / scale
            input += ", raw pixel values as stored (0-\(top < 1e15 ? "\(Int(top.rounded()))" : "\(top)")); the graph multiplies them by \(scale)"
        }
        if pre.standardizer != nil { input += "; standardized in the graph with the training data's mean and scale" }
        if !preprocessing && !languageModel && (pixelScale != nil || standardizer != nil) {
            input += "; prepared as TrainedModel.prepare does (scaled pixels, standardized features): the graph has no preprocessing"
        }
        let output: String
        switch task {
        case .classify: output = "[batch, \(spec.outputs)] " + (probabilities ? "class probabilities (softmax)" : "logits (argmax is the class)")
        case .regress: output = "[batch, \(spec.outputs)] values" + (post.targetStandardizer != nil ? " in the data's units" : "")
        case .languageModel:
            output = "[batch, sequence, \(spec.outputs)] " + (probabilities ? "probabilities" : "logits") + " of the next token at each position"
        }
        options.metadata["gradus.model"] = spec.summary
        options.metadata["gradus.task"] = task.rawValue
        options.metadata["gradus.input"] = input
        options.metadata["gradus.output"] = output
        if options.docString.isEmpty {
            options.docString = "Gradus \(spec.summary) (\(task.rawValue)). Input: \(input). Output: \(output)."
        }
        return try ONNXExport.model(of: pipeline, sampleInput: sample, options: options)
    }

    /// ``onnxModel(options:preprocessing:probabilities:)`` for a model of several named inputs.
    private func multiInputONNXModel(options: ONNXExportOptions, preprocessing: Bool, probabilities: Bool) throws -> Onnx_ModelProto {
        let spec = config.model
        guard let multi = model as? any ONNXMultiInputExportable, let named = spec.inputs, !named.isEmpty else {
            throw ONNXExport.error("\(spec.summary) takes several named inputs and has no ONNX conversion")
        }
        var options = options
        var preprocess: [(String, ONNXInputPreprocessing)] = []
        var descriptions: [String] = []
        for input in named {
            let standardizer = preprocessing ? inputStandardizers[input.name] : nil
            preprocess.append((input.name, ONNXInputPreprocessing(sampleShape: input.shape, pixelScale: nil, standardizer: standardizer)))
            var text = "float32 [batch, " + input.shape.map(String.init).joined(separator: ", ") + "]"
            if input.shape.count >= 2 {
                text += " image: pixels as in training, 8-bit values divided by 255 (0-1), floating-point images as stored; the graph does not scale pixels"
            } else if standardizer != nil {
                text += " features as stored; standardized in the graph with the training data's mean and scale"
            } else if !preprocessing && inputStandardizers[input.name] != nil {
                text += " features standardized as in training (TrainedModel.prepare): the graph has no preprocessing"
            } else {
                text += " features as stored"
            }
            options.metadata["gradus.input.\(input.name)"] = text
            descriptions.append("'\(input.name)': \(text)")
        }
        let input = descriptions.joined(separator: "; ")
        let output: String
        if task == .classify {
            output = "[batch, \(spec.outputs)] " + (probabilities ? "class probabilities (softmax)" : "logits (argmax is the class)")
        } else {
            output = "[batch, \(spec.outputs)] values" + (preprocessing && targetStandardizer != nil ? " in the data's units" : "")
        }
        options.metadata["gradus.model"] = spec.summary
        options.metadata["gradus.task"] = task.rawValue
        options.metadata["gradus.input"] = input
        options.metadata["gradus.output"] = output
        if options.docString.isEmpty {
            options.docString = "Gradus \(spec.summary) (\(task.rawValue)). Inputs: \(input). Output: \(output)."
        }
        let post = ONNXOutputPostprocessing(softmax: probabilities,
                                            targetStandardizer: preprocessing && task == .regress ? targetStandardizer : nil)
        let pipeline = ONNXMultiInputPipeline(preprocess: preprocess, model: multi, postprocess: post)
        let samples = TensorGroup(named.map { ($0.name, Tensor.zeros([1] + $0.shape)) })
        return try ONNXExport.model(of: pipeline, sampleInputs: samples, options: options)
    }

    /// Writes the checkpoint's model to an ONNX file (see ``onnxModel(options:preprocessing:probabilities:)``),
    /// atomically.
    ///
    /// - Parameters:
    ///   - path: the file to write.
    ///   - options: opset, dynamic axes and names.
    ///   - preprocessing: whether the graph takes raw inputs and applies the run's preprocessing.
    ///   - probabilities: whether a classifier's graph ends with `Softmax`.
    /// - Returns: the model written.
    /// - Throws: a `GradusError` when the model cannot be exported, or the error of writing the file.
    ///
    /// ```swift
    /// try TrainedModel.load("runs/digits-mlp/checkpoint.safetensors").exportONNX(to: "digits.onnx")
    /// ```
    @discardableResult
    public func exportONNX(to path: String, options: ONNXExportOptions = ONNXExportOptions(), preprocessing: Bool = true,
                           probabilities: Bool = false) throws -> Onnx_ModelProto {
        let proto = try onnxModel(options: options, preprocessing: preprocessing, probabilities: probabilities)
        let bytes: [UInt8] = try proto.serializedBytes()
        try ONNXExport.write(bytes, to: path)
        return proto
    }
}

/// The checkpoint's model between its preprocessing and its output transformation, as one layer whose
/// model parameters keep their own names (`0.weight`).
final class ONNXPipeline: Module, Layer, ONNXExportable {
    let preprocess: ONNXInputPreprocessing
    let model: any Layer
    let postprocess: ONNXOutputPostprocessing

    init(preprocess: ONNXInputPreprocessing, model: any Layer, postprocess: ONNXOutputPostprocessing) {
        self.preprocess = preprocess
        self.model = model
        self.postprocess = postprocess
        super.init()
    }

    func callAsFunction(_ input: Tensor) -> Tensor { postprocess(model(preprocess(input))) }

    func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String {
        let prepared = try graph.apply(preprocess, to: input, name: "preprocess")
        let output = try graph.apply(model, to: prepared, name: "")
        return try graph.apply(postprocess, to: output, name: "postprocess").name
    }
}

/// A model of several named inputs between the preprocessing of each input and the output
/// transformation; the model's parameters keep their own names (`encoders.image.0.weight`).
final class ONNXMultiInputPipeline: Module, MultiInputLayer, ONNXMultiInputExportable {
    let preprocess: [(String, ONNXInputPreprocessing)]
    let model: any ONNXMultiInputExportable
    let postprocess: ONNXOutputPostprocessing

    init(preprocess: [(String, ONNXInputPreprocessing)], model: any ONNXMultiInputExportable, postprocess: ONNXOutputPostprocessing) {
        self.preprocess = preprocess
        self.model = model
        self.postprocess = postprocess
        super.init()
    }

    func callAsFunction(_ inputs: TensorGroup) -> Tensor {
        let prepared = TensorGroup(preprocess.map { name, p in (name, p(inputs[name])) })
        return postprocess(model(prepared))
    }

    func exportONNX(_ inputs: [String: ONNXValue], to graph: ONNXGraphBuilder) throws -> String {
        var prepared: [(String, ONNXValue)] = []
        for (name, p) in preprocess {
            guard let x = inputs[name] else { throw graph.unsupported("no graph input named \(name)") }
            prepared.append((name, try graph.apply(p, to: x, name: "preprocess.\(name)")))
        }
        let output = try graph.apply(model, to: prepared, name: "")
        return try graph.apply(postprocess, to: output, name: "postprocess").name
    }
}

/// `prepare(_:)` for raw inputs of the sample shape: pixels scaled, features standardized.
final class ONNXInputPreprocessing: Module, Layer, ONNXExportable {
    let sampleShape: [Int]
    let pixelScale: Double?
    let standardizer: Standardizer?

    init(sampleShape: [Int], pixelScale: Double?, standardizer: Standardizer?) {
        self.sampleShape = sampleShape
        self.pixelScale = pixelScale
        self.standardizer = standardizer
        super.init()
    }

    func callAsFunction(_ input: Tensor) -> Tensor {
        guard pixelScale != nil || standardizer != nil else { return input }
        let n = input.shape[0], features = sampleShape.reduce(1, *)
        var x = input.reshape([n, features])
        if let pixelScale { x = x * pixelScale }
        if let standardizer { x = standardizer.transform(x) }
        return x.reshape([n] + sampleShape)
    }

    func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String {
        var x = input.name
        if let pixelScale { x = graph.scaled(x, by: pixelScale) }
        if let standardizer {
            let mean = try graph.constant(standardizer.mean.to(.float32).reshape(sampleShape), name: "standardizer.mean")
            let scale = try graph.constant(standardizer.scale.to(.float32).reshape(sampleShape), name: "standardizer.scale")
            x = graph.node("Div", [graph.node("Sub", [x, mean]), scale])
        }
        return x
    }
}

/// `predict(_:)`'s output transformation: softmax, or regression targets back in the data's units.
final class ONNXOutputPostprocessing: Module, Layer, ONNXExportable {
    let softmax: Bool
    let targetStandardizer: Standardizer?

    init(softmax: Bool, targetStandardizer: Standardizer?) {
        self.softmax = softmax
        self.targetStandardizer = targetStandardizer
        super.init()
    }

    func callAsFunction(_ input: Tensor) -> Tensor {
        if softmax { return input.softmax(axis: -1) }
        return targetStandardizer?.inverseTransform(input) ?? input
    }

    func exportONNX(_ input: ONNXValue, to graph: ONNXGraphBuilder) throws -> String {
        if softmax { return graph.node("Softmax", [input.name], attributes: [.int("axis", -1)]) }
        guard let t = targetStandardizer else { return input.name }
        let scale = try graph.constant(t.scale.to(.float32), name: "target_standardizer.scale")
        let mean = try graph.constant(t.mean.to(.float32), name: "target_standardizer.mean")
        return graph.node("Add", [graph.node("Mul", [input.name, scale]), mean])
    }
}
