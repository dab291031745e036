import Foundation

/// A model rebuilt from a training checkpoint written by ``TrainingRun``, with the preprocessing it
/// was trained with, ready for evaluation, prediction and explanation.
///
/// ```swift
/// let trained = try TrainedModel.load("runs/digits-mlp/checkpoint.safetensors")
/// let data = try trained.loadData()                  // the run's own test split
/// print(trained.evaluate(data.test).summaryLines)
/// let probabilities = try trained.predict(data.test.inputs)
/// ```
public final class TrainedModel {
    /// The run's configuration.
    public let config: RunConfig
    /// The model, in evaluation mode.
    public let model: Module

    /// The model as a ``Layer`` (one input tensor), or nil for a model of several named inputs
    /// (``FusionModel``, a ``MultiInputLayer``).
    ///
    /// ```swift
    /// let logits = trained.layer!(x)
    /// ```
    public var layer: (any Layer)? { model as? any Layer }
    /// The feature standardization fitted on the training data, if the run used one.
    public let standardizer: Standardizer?
    /// The standardization of regression targets, if the run used one: ``predict(_:)-(Tensor)`` returns data units.
    public let targetStandardizer: Standardizer?
    /// The feature names of tabular training data, if known.
    public let featureNames: [String]?
    /// The height and width of image inputs, if the data were images.
    public let imageShape: [Int]?
    /// The checkpoint the model came from.
    public let checkpoint: Checkpoint
    /// The model compiled for inference (``predict(_:)-(Tensor)`` runs it), or nil for a model of several inputs.
    public let inferencePlan: InferencePlan?
    /// The factor that turned stored 8-bit pixels into training inputs (see ``LoadedData/pixelScale``),
    /// applied by ``prepare(_:)-(Tensor)`` to integer inputs.
    public let pixelScale: Double?
    /// Several inputs: the standardizer of each feature-vector input.
    public let inputStandardizers: [String: Standardizer]

    init(config: RunConfig, model: Module, checkpoint: Checkpoint, preprocessing: Preprocessing) {
        self.config = config
        self.model = model
        self.checkpoint = checkpoint
        standardizer = preprocessing.standardizer
        targetStandardizer = preprocessing.targetStandardizer
        featureNames = checkpoint.metadata["feature_names"].map { $0.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) }
        imageShape = preprocessing.imageShape
        pixelScale = preprocessing.pixelScale
        inputStandardizers = preprocessing.inputStandardizers
        model.eval()
        inferencePlan = (model as? any Layer).map { InferencePlan($0) }
    }

    /// What a checkpoint records about the data's preprocessing, validated.
    struct Preprocessing {
        var standardizer: Standardizer?
        var targetStandardizer: Standardizer?
        var imageShape: [Int]?
        var pixelScale: Double?
        var inputStandardizers: [String: Standardizer] = [:]
    }

    /// Checks everything a checkpoint says about the model before anything is built from it: the
    /// configuration's numbers and sizes (against ``MemoryBudget``), the weights, and the preprocessing
    /// (standardizer statistics, image shape, pixel scale), which it returns.
    static func validate(_ config: RunConfig, _ checkpoint: Checkpoint, file: String) throws -> Preprocessing {
        do {
            try config.validate()
            try config.model.validate()
        } catch let error as TrainingError {
            throw TrainingError("\(file): the checkpoint's run configuration is invalid: \(error.message)")
        }
        try config.model.checkMemory(source: file)
        for (name, t) in checkpoint.model.sorted(by: { $0.key < $1.key }) {
            guard t.dtype.isFloatingPoint else {
                throw DataError(.badHeader, file: file, "model tensor \(name) is \(t.dtype); a model's weights are floating point")
            }
            if let bad = t.firstNonFinite() {
                throw DataError(.badHeader, file: file, "model tensor \(name) holds a value that is not finite (\(bad))")
            }
        }
        var standardizer: Standardizer? = nil
        let mean = checkpoint.extra["standardizer.mean"], scale = checkpoint.extra["standardizer.scale"]
        if let mean, let scale {
            standardizer = try Standardizer.validated(mean: mean, scale: scale, features: config.model.inputFeatures, source: file)
        } else if (mean == nil) != (scale == nil) {
            throw DataError(.badHeader, file: file, "the checkpoint holds only one of standardizer.mean and standardizer.scale")
        }
        var imageShape: [Int]? = nil
        if let text = checkpoint.metadata["image_shape"] {
            let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { Int($0) }
            guard parts.count == 2, let h = parts[0], let w = parts[1], h >= 1, w >= 1, h <= ModelSpec.maxWidth, w <= ModelSpec.maxWidth else {
                throw DataError(.badHeader, file: file, "metadata image_shape '\(text)' must be two positive sizes 'height,width'")
            }
            imageShape = [h, w]
        }
        var targetStandardizer: Standardizer? = nil
        if let mean = checkpoint.extra["target_standardizer.mean"] {
            guard let scale = checkpoint.extra["target_standardizer.scale"] else {
                throw DataError(.badHeader, file: file, "the checkpoint holds target_standardizer.mean without its scale")
            }
            targetStandardizer = try Standardizer.validated(mean: mean, scale: scale, features: config.model.outputs, source: file)
        }
        var pixelScale: Double? = nil
        if let text = checkpoint.metadata["pixel_scale"] {
            guard let scale = Double(text), scale.isFinite, scale > 0, scale <= 1 else {
                throw DataError(.badHeader, file: file, "metadata pixel_scale '\(text)' must be a number in (0, 1]")
            }
            pixelScale = scale
        }
        var inputStandardizers: [String: Standardizer] = [:]
        for input in config.model.inputs ?? [] {
            let mean = checkpoint.extra["input_standardizer.\(input.name).mean"], scale = checkpoint.extra["input_standardizer.\(input.name).scale"]
            guard let mean, let scale else {
                if (mean == nil) != (scale == nil) {
                    throw DataError(.badHeader, file: file, "the checkpoint holds only one of input_standardizer.\(input.name).mean and .scale")
                }
                continue
            }
            guard input.shape.count == 1 else {
                throw DataError(.badHeader, file: file, "the checkpoint standardizes input \(input.name), an image \(input.shape)")
            }
            inputStandardizers[input.name] = try Standardizer.validated(mean: mean, scale: scale, features: input.shape[0], source: file)
        }
        return Preprocessing(standardizer: standardizer, targetStandardizer: targetStandardizer, imageShape: imageShape,
                             pixelScale: pixelScale, inputStandardizers: inputStandardizers)
    }

    /// The checkpoint metadata key that marks a quantized model (``Module/quantizeDynamic()``), and its value.
    public static let quantizationKey = "quantization"
    /// The value of ``quantizationKey`` for dynamic 8-bit quantization (`gradus quantize`).
    public static let dynamicInt8 = "dynamic-int8"

    /// Reads a checkpoint and rebuilds its model (quantized again when the checkpoint says it was).
    ///
    /// - Parameter path: the checkpoint file.
    /// - Returns: the model with its configuration.
    /// - Throws: ``DataError`` for unreadable files, ``TrainingError`` when the file holds no run
    ///   configuration or its weights do not fit the model it describes.
    ///
    /// ```swift
    /// let trained = try TrainedModel.load("checkpoint.safetensors")
    /// ```
    public static func load(_ path: String) throws -> TrainedModel {
        let checkpoint = try Checkpoint.load(path)
        guard let json = checkpoint.metadata["config"] else {
            throw TrainingError("\(path): the checkpoint has no run configuration (metadata 'config'); was it written by gradus train?")
        }
        let config = try RunConfig.decode(json: json)
        let preprocessing = try validate(config, checkpoint, file: path)
        var rng = SeededGenerator(seed: config.seed)
        let model = try config.model.build(generator: &rng)
        do {
            try model.loadStateDict(checkpoint.model)
        } catch {
            throw TrainingError("\(path): the weights do not fit the model \(config.model.summary): \(error)")
        }
        switch checkpoint.metadata[quantizationKey] {
        case nil: break
        case dynamicInt8?: model.quantizeDynamic()
        case let other?:
            throw DataError(.badHeader, file: path, "metadata \(quantizationKey) '\(other)' is not a quantization Gradus knows (\(dynamicInt8))")
        }
        return TrainedModel(config: config, model: model, checkpoint: checkpoint, preprocessing: preprocessing)
    }

    /// The model as a language model (nil for other tasks), for ``LanguageModel/generate(prompt:length:sampler:generator:onToken:)``.
    ///
    /// ```swift
    /// let trained = try TrainedModel.load("runs/text-gpt/checkpoint.safetensors")
    /// let ids = try trained.languageModel!.generate(prompt: try trained.encode("ROMEO:"), length: 100,
    ///                                               sampler: TokenSampler(temperature: 0.8), generator: &rng)
    /// ```
    public var languageModel: (any LanguageModel)? { model as? any LanguageModel }

    /// A language model's tokens for `text`: character ids in the model's vocabulary, or UTF-8 bytes.
    ///
    /// - Throws: a ``GradusError`` naming a character outside the vocabulary.
    public func encode(_ text: String) throws -> [Int] {
        if let vocabulary = config.model.vocabulary { return try vocabulary.encode(text) }
        return ByteTokenizer().encode(text)
    }

    /// A language model's text for `tokens` (the inverse of ``encode(_:)``).
    ///
    /// - Throws: a ``GradusError`` for an id outside the vocabulary.
    public func decode(_ tokens: [Int]) throws -> String {
        if let vocabulary = config.model.vocabulary { return try vocabulary.decode(tokens) }
        return try ByteTokenizer().decode(tokens)
    }

    /// The task the model was trained for.
    public var task: LearningTask { config.task }

    /// Loads data as the run did (or from `override`), reshaped and standardized for the model.
    ///
    /// - Parameter override: other data to use, or nil for the run's own data.
    /// - Returns: the training and test parts.
    /// - Throws: ``DataError`` or ``TrainingError`` when the data cannot be read or does not fit the model.
    ///
    /// ```swift
    /// let test = try trained.loadData().test
    /// ```
    public func loadData(_ override: DataSpec? = nil) throws -> LoadedData {
        var data = try (override ?? config.data).load(task: task, vocabulary: config.model.vocabulary)
        if let groups = data.groups {
            guard groups.shapes == config.model.inputs ?? [] else {
                throw TrainingError("\(data.source): inputs \(groups.shapes.map { "\($0.name) \($0.shape)" }) do not fit the model \(config.model.summary)")
            }
            data.groups = groups.standardized(inputStandardizers)
            if task.predictsClasses, let classes = data.classes, classes > config.model.outputs {
                throw TrainingError("\(data.source): labels go up to \(classes - 1) but the model has \(config.model.outputs) classes")
            }
            return data
        }
        guard config.model.architecture != .fusion else {
            throw TrainingError("\(data.source): the model \(config.model.summary) takes several named inputs; give NPZ data with --inputs")
        }
        data = try data.reshaped(to: config.model.sampleShape)
        if let standardizer, data.sampleShape.count == 1 { data = data.standardized(with: standardizer) }
        // The width first: the target standardizer refuses other widths (by stopping outside a scope).
        if task == .regress, data.targetWidth != config.model.outputs {
            throw TrainingError("\(data.source): regression targets have \(data.targetWidth) value(s) per sample but the model has \(config.model.outputs) outputs (was it trained for classification? the checkpoint's task is \(task.rawValue))")
        }
        if let targetStandardizer, task == .regress { data = data.targetsStandardized(with: targetStandardizer) }
        if task.predictsClasses, let classes = data.classes, classes > config.model.outputs {
            throw TrainingError("\(data.source): labels go up to \(classes - 1) but the model has \(config.model.outputs) classes")
        }
        return data
    }

    /// Prepares raw inputs (`[n, ...]` or one sample) for the model: checks the element count, scales
    /// raw pixels as training did, reshapes and standardizes.
    ///
    /// Integer inputs to a model trained on scaled pixels (``pixelScale``) are raw pixels: they are scaled
    /// the same way. Floating-point inputs far outside the pixels' scaled range (say 0–255 where training
    /// saw 0–1) are refused with a message rather than predicted confidently and wrongly.
    ///
    /// - Parameter raw: the inputs as read from a file.
    /// - Returns: a batch `[n] + sampleShape`.
    /// - Throws: ``TrainingError`` when the inputs do not fit the model.
    ///
    /// ```swift
    /// let batch = try trained.prepare(NPYReader.read("x.npy"))
    /// ```
    public func prepare(_ raw: Tensor) throws -> Tensor {
        let per = config.model.inputFeatures
        guard raw.count > 0, raw.count % per == 0 else {
            throw TrainingError("inputs of shape \(raw.shape) do not fit the model's \(per) features per sample \(config.model.sampleShape)")
        }
        let n = raw.count / per
        var x = (raw.dtype == .float32 ? raw : raw.to(.float32)).reshape([n, per])
        if let bad = x.firstNonFinite() {
            throw TrainingError("inputs hold a value that is not finite (\(bad)); the model needs finite numbers")
        }
        if let pixelScale {
            if raw.dtype == .int64 {
                x = x * pixelScale
            } else {
                // Scaled pixels lie in [0, 1].
                let top = Double(x.max().item()), bottom = Double(x.min().item())
                guard top <= 1.5 && bottom >= -0.5 else {
                    throw TrainingError("inputs range from \(bottom) to \(top), but the model was trained on pixels scaled to 0...1; "
                                        + "give raw pixels as integers (they are scaled as in training), or multiply floating-point pixels by \(pixelScale)")
                }
            }
        }
        if let standardizer { x = standardizer.transform(x) }
        return x.reshape([n] + config.model.sampleShape)
    }

    /// Runs the model on a prepared batch: class probabilities (softmax) for classification, the output
    /// values for regression. The model runs through its ``inferencePlan`` (the model itself when the
    /// plan cannot, e.g. after ``Module/train(_:)``, with the model's own errors).
    ///
    /// - Parameter batch: inputs from ``prepare(_:)-(Tensor)``.
    /// - Returns: `[n, classes]` probabilities or `[n, outputs]` values.
    ///
    /// ```swift
    /// let p = trained.predict(try trained.prepare(x))
    /// ```
    public func predict(_ batch: Tensor) -> Tensor {
        GradMode.noGrad {
            guard let layer = model as? any Layer else {
                return ErrorScope.fail(GradusError(.invalidArgument, "TrainedModel.predict: the model takes named inputs; pass a TensorGroup"),
                                       Tensor.placeholder)
            }
            let out = (try? inferencePlan?(batch)) ?? layer(batch)
            if task == .classify { return out.softmax(axis: -1) }
            return targetStandardizer?.inverseTransform(out) ?? out
        }
    }

    /// Evaluates the model on `data`.
    ///
    /// - Throws: a ``GradusError`` when the data does not fit the model (sample shape, labels beyond its
    ///   classes, targets of another width): a server evaluating data it was sent keeps running.
    ///
    /// ```swift
    /// let e = try trained.evaluate(try trained.loadData().test)
    /// ```
    public func evaluate<D: Dataset>(_ data: D) throws -> Evaluation {
        try GradusError.catching {
            try Trainer.runEvaluation(try ForwardModel(model), objective: .single(task), data: data, batchSize: 256,
                                      classes: task.predictsClasses ? config.model.outputs : nil, op: "TrainedModel.evaluate")
        }
    }

    /// Named raw inputs prepared as in training: each input checked against the model's names and
    /// shapes, 8-bit integer images scaled to [0, 1], feature vectors standardized.
    ///
    /// - Throws: a ``GradusError`` when the model takes one input, or an input is missing, misshapen or
    ///   not finite.
    ///
    /// ```swift
    /// let batch = try trained.prepare(["image": images, "features": features])
    /// ```
    public func prepare(_ inputs: TensorGroup) throws -> TensorGroup {
        guard model is any MultiInputLayer, let expected = config.model.inputs else {
            throw GradusError(.invalidArgument, "TrainedModel: the model takes one input tensor, not named inputs")
        }
        var fields: [(String, Tensor)] = []
        for input in expected {
            guard let x = inputs.tensor(named: input.name) else {
                throw GradusError(.invalidArgument, "TrainedModel: input \(input.name) is missing; the model takes \(expected.map(\.name))")
            }
            guard Array(x.shape.dropFirst()) == input.shape else {
                throw GradusError(.shapeMismatch, "TrainedModel: input \(input.name) of shape \(x.shape) must be [N] + \(input.shape)")
            }
            var v = x.dtype == .float32 ? x : x.to(.float32)
            if x.rank >= 3, DataSpec.holdsPixels(x) { v = v * (1.0 / 255) }
            if let bad = v.firstNonFinite() { throw GradusError(.invalidArgument, "TrainedModel: input \(input.name) holds \(bad)") }
            fields.append((input.name, inputStandardizers[input.name].map { $0.transform(v) } ?? v))
        }
        return TensorGroup(fields)
    }

    /// Predictions for a batch of named raw inputs (see ``prepare(_:)-(TensorGroup)``): class
    /// probabilities for classification, values for regression.
    ///
    /// - Throws: a ``GradusError`` when the model takes one input, or an input is missing or misshapen.
    ///
    /// ```swift
    /// let p = try trained.predict(["image": images, "features": features])
    /// ```
    public func predict(_ inputs: TensorGroup) throws -> Tensor {
        try predict(prepared: prepare(inputs))
    }

    /// Predictions for named inputs already prepared (``prepare(_:)-(TensorGroup)``, or a test part).
    public func predict(prepared group: TensorGroup) throws -> Tensor {
        guard let multi = model as? any MultiInputLayer else {
            throw GradusError(.invalidArgument, "TrainedModel.predict: the model takes one input tensor, not named inputs")
        }
        return try GradusError.catching {
            GradMode.noGrad {
                let out = multi(group)
                if task == .classify { return out.softmax(axis: -1) }
                return targetStandardizer?.inverseTransform(out) ?? out
            }
        }
    }
}
