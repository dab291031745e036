import Foundation

/// A description of one of the built-in models, small enough to store in a checkpoint's metadata so
/// that the model can be rebuilt from the file alone.
///
/// - `mlp`: an optional `Flatten`, then `Linear` layers of the ``hidden`` sizes each followed by `ReLU`,
///   then a `Linear` to ``outputs``. With no hidden sizes it is a single `Linear` layer.
/// - `linear`: a single `Linear` layer (an `mlp` without hidden layers).
/// - `lenet`: LeNet-5 for `[channels, height, width]` images: Conv2d(c, 6, 5, padding 2), ReLU,
///   MaxPool2d(2), Conv2d(6, 16, 5), ReLU, MaxPool2d(2), Flatten, Linear(·, 120), ReLU, Linear(120, 84),
///   ReLU, Linear(84, outputs). Images need to be at least 12×12.
/// - `gpt`, `lstm`, `gru`: language models over ``inputShape`` `[contextLength]` tokens with
///   ``outputs`` tokens in the vocabulary: ``GPTLanguageModel`` (``embedding`` wide, ``layers`` blocks
///   of ``heads`` heads) or ``RecurrentLanguageModel`` (``embedding``, ``layers`` layers of `hidden[0]`).
/// - `fusion`: a ``FusionModel`` over the named ``inputs`` (images and feature vectors), branches
///   ``embedding`` wide, combined by ``fusion``, a head of the ``hidden`` sizes, ``dropout``.
///
/// ```swift
/// let spec = ModelSpec(architecture: .mlp, inputShape: [64], hidden: [128], outputs: 10)
/// var rng = SeededGenerator(seed: 0)
/// let model = try spec.build(generator: &rng)
/// ```
public struct ModelSpec: Codable, Sendable, Equatable {
    /// The family of model.
    public enum Architecture: String, Codable, Sendable, CaseIterable {
        /// A multi-layer perceptron with ReLU activations.
        case mlp
        /// A single linear layer.
        case linear
        /// LeNet-5.
        case lenet
        /// A decoder-only Transformer language model (``GPTLanguageModel``).
        case gpt
        /// A recurrent language model with LSTM layers (``RecurrentLanguageModel``).
        case lstm
        /// A recurrent language model with GRU layers (``RecurrentLanguageModel``).
        case gru
        /// A model of several named inputs (images and feature vectors) fused (``FusionModel``).
        case fusion

        /// Whether this is a language model (tokens in, next-token logits out).
        public var isLanguageModel: Bool { self == .gpt || self == .lstm || self == .gru }
    }

    /// The family of model.
    public var architecture: Architecture
    /// The shape of one input sample (without the batch dimension), e.g. `[64]` or `[1, 28, 28]`.
    public var inputShape: [Int]
    /// The hidden layer sizes of an `mlp`.
    public var hidden: [Int]
    /// The number of outputs: classes for classification, values for regression, tokens for a
    /// language model.
    public var outputs: Int
    /// Language models: the embedding width (the model width of a GPT).
    public var embedding: Int? = nil
    /// Language models: the number of blocks or recurrent layers.
    public var layers: Int? = nil
    /// GPT: attention heads per block.
    public var heads: Int? = nil
    /// Language models: dropout while training.
    public var dropout: Double? = nil
    /// Language models with character tokens: the vocabulary (nil: byte tokens, 256).
    public var vocabulary: CharacterVocabulary? = nil
    /// `fusion`: the named inputs and their per-sample shapes, in order.
    public var inputs: [NamedShape]? = nil
    /// `fusion`: how the inputs' embeddings are combined (default concat).
    public var fusion: FusionModel.Fusion? = nil

    /// A named input's per-sample shape.
    public struct NamedShape: Codable, Sendable, Equatable {
        /// The input's name (its array's name in the data file).
        public var name: String
        /// The shape of one sample of it.
        public var shape: [Int]

        /// Creates a named shape.
        public init(name: String, shape: [Int]) {
            self.name = name
            self.shape = shape
        }
    }

    /// Creates a description.
    ///
    /// - Parameters:
    ///   - architecture: the family of model.
    ///   - inputShape: the shape of one sample.
    ///   - hidden: hidden sizes (`mlp` only).
    ///   - outputs: the number of outputs.
    ///
    /// ```swift
    /// let lenet = ModelSpec(architecture: .lenet, inputShape: [1, 28, 28], outputs: 10)
    /// ```
    public init(architecture: Architecture, inputShape: [Int], hidden: [Int] = [], outputs: Int) {
        self.architecture = architecture
        self.inputShape = inputShape
        self.hidden = hidden
        self.outputs = outputs
    }

    /// The number of input features, the product of ``inputShape`` (`Int.max` when it overflows, for
    /// a spec that ``validate()`` would refuse).
    public var inputFeatures: Int {
        inputShape.reduce(1) { let (p, overflow) = $0.multipliedReportingOverflow(by: $1); return overflow ? Int.max : p }
    }

    /// The shape a data sample must have for this model: flat for `mlp`/`linear` (any shape with the
    /// same element count is flattened), `[c, h, w]` for `lenet`.
    ///
    /// ```swift
    /// let s = spec.sampleShape   // [64]
    /// ```
    public var sampleShape: [Int] { architecture == .lenet || architecture.isLanguageModel ? inputShape : [inputFeatures] }

    /// Checks the sizes and throws a ``TrainingError`` explaining what does not fit.
    ///
    /// ```swift
    /// try spec.validate()
    /// ```
    public func validate() throws {
        guard outputs >= 1 else { throw TrainingError("the model needs at least one output, got \(outputs)") }
        guard outputs <= Self.maxWidth else {
            throw TrainingError("the model's \(outputs) outputs are over the limit of \(Self.maxWidth)")
        }
        guard !inputShape.isEmpty, inputShape.count <= 8, inputShape.allSatisfy({ $0 >= 1 && $0 <= Self.maxWidth }) else {
            throw TrainingError("the model's input shape \(inputShape) must have 1 to 8 sizes, each from 1 to \(Self.maxWidth)")
        }
        // The features of one sample, all sizes multiplied, within the same limit (summaries, the
        // first layer's width and the standardizer use the product).
        let features = inputShape.reduce((1, false)) { acc, d in
            let (p, o) = acc.0.multipliedReportingOverflow(by: d)
            return (p, acc.1 || o || p > Self.maxWidth)
        }
        guard !features.1 else {
            throw TrainingError("the model's input shape \(inputShape) holds more than \(Self.maxWidth) values per sample")
        }
        if let bad = hidden.first(where: { $0 < 1 || $0 > Self.maxWidth }) {
            throw TrainingError("--hidden sizes must lie in 1...\(Self.maxWidth), got \(bad)")
        }
        guard hidden.count <= 1024 else { throw TrainingError("--hidden lists \(hidden.count) layers; at most 1024") }
        if architecture.isLanguageModel { try validateLanguageModel() }
        if architecture == .fusion { try validateFusion() }
        if architecture == .lenet {
            guard inputShape.count == 3 else {
                throw TrainingError("lenet needs image samples [channels, height, width], got \(inputShape); use --model mlp for tabular data")
            }
            guard inputShape[1] >= 12, inputShape[2] >= 12 else {
                throw TrainingError("lenet needs images of at least 12x12 pixels, got \(inputShape[1])x\(inputShape[2]); use --model mlp")
            }
        }
    }

    /// The largest size of any one dimension: an input dimension, a hidden layer, the outputs.
    public static let maxWidth = 1 << 24

    /// The inputs and sizes of a fusion model.
    private func validateFusion() throws {
        guard let inputs, !inputs.isEmpty, inputs.count <= 64 else {
            throw TrainingError("fusion: needs 1 to 64 named inputs (--inputs), got \(inputs?.count ?? 0)")
        }
        guard Set(inputs.map(\.name)).count == inputs.count else { throw TrainingError("fusion: input names \(inputs.map(\.name)) repeat") }
        for input in inputs {
            guard (1...3).contains(input.shape.count), input.shape.allSatisfy({ $0 >= 1 && $0 <= 1 << 16 }) else {
                throw TrainingError("fusion: input \(input.name) of shape \(input.shape) must be a vector [F] or an image [H, W] / [C, H, W] with sizes up to 65536")
            }
            // One sample of each input is built whole (an export's example input, a summary): its values
            // within the limit of a model's input, as for the other architectures.
            guard input.shape.reduce(1, *) <= Self.maxWidth else {   // at most 2^48: no overflow
                throw TrainingError("fusion: input \(input.name) of shape \(input.shape) holds more than \(Self.maxWidth) values per sample")
            }
            if input.shape.count > 1 {
                guard input.shape.suffix(2).allSatisfy({ $0 >= 4 }) else {
                    throw TrainingError("fusion: image input \(input.name) \(input.shape) must be at least 4x4")
                }
            }
        }
        guard let embedding, embedding >= 1, embedding <= 1 << 16 else {
            throw TrainingError("fusion: --embedding must lie in 1...65536, got \(embedding.map(String.init) ?? "none")")
        }
        if let dropout, !(dropout >= 0 && dropout < 1) { throw TrainingError("fusion: --dropout must lie in [0, 1), got \(dropout)") }
    }

    /// The sizes of a language model: a context, widths, layers and heads in range.
    private func validateLanguageModel() throws {
        let name = architecture.rawValue
        guard inputShape.count == 1, inputShape[0] <= 1 << 16 else {
            throw TrainingError("\(name): the context length must be one size in 1...65536, got \(inputShape)")
        }
        guard let embedding, embedding >= 1, embedding <= 1 << 16 else {
            throw TrainingError("\(name): --embedding must lie in 1...65536, got \(embedding.map(String.init) ?? "none")")
        }
        guard let layers, layers >= 1, layers <= 256 else {
            throw TrainingError("\(name): --layers must lie in 1...256, got \(layers.map(String.init) ?? "none")")
        }
        if let dropout, !(dropout >= 0 && dropout < 1) {
            throw TrainingError("\(name): --dropout must lie in [0, 1), got \(dropout)")
        }
        if let vocabulary, vocabulary.size != outputs {
            throw TrainingError("\(name): the vocabulary has \(vocabulary.size) characters but the model \(outputs) outputs")
        }
        if architecture == .gpt {
            guard let heads, heads >= 1, embedding % heads == 0 else {
                throw TrainingError("gpt: --heads must divide --embedding \(embedding), got \(heads.map(String.init) ?? "none")")
            }
        } else {
            guard hidden.count == 1, hidden[0] <= 1 << 16 else {
                throw TrainingError("\(name): --hidden must be one recurrent size in 1...65536, got \(hidden)")
            }
        }
    }

    /// The number of trainable parameters, or nil when the spec is not valid (``validate()`` throws) or
    /// computing it overflows.
    ///
    /// ```swift
    /// ModelSpec(architecture: .mlp, inputShape: [64], hidden: [128], outputs: 10).parameterCount   // 9610
    /// ```
    public var parameterCount: Int? {
        // The sequence and fusion formulas below rely on validate's limits (each size at most 2^16).
        guard (try? validate()) != nil else { return nil }
        func affine(_ i: Int, _ o: Int) -> Int? {
            let (w, o1) = i.multipliedReportingOverflow(by: o)
            let (b, o2) = w.addingReportingOverflow(o)
            return o1 || o2 ? nil : b
        }
        func sum(_ parts: [Int?]) -> Int? {
            var total = 0
            for p in parts {
                guard let p else { return nil }
                let (t, o) = total.addingReportingOverflow(p)
                if o { return nil }
                total = t
            }
            return total
        }
        var features = 1
        for d in inputShape {
            let (p, o) = features.multipliedReportingOverflow(by: d)
            if o { return nil }
            features = p
        }
        switch architecture {
        case .fusion:
            // Sizes were validated (each at most 2^16; channels times 144 and widths times 512 fit).
            let w = embedding ?? 0
            let all = inputs ?? []
            var parts: [Int?] = all.map { input in
                input.shape.count == 1 ? affine(input.shape[0], w)
                    : sum([affine((input.shape.count == 3 ? input.shape[0] : 1) * 9, 16), affine(16 * 9, 32), affine(512, w)])
            }
            let m = all.count
            switch fusion ?? .concat {
            case .concat: break
            case .gated: parts.append(affine(m * w, m))
            case .attention: parts += [affine(w, 3 * w), affine(w, w), m * w]
            }
            let widths = [(fusion ?? .concat) == .concat ? m * w : w] + hidden + [outputs]
            return sum(parts + zip(widths, widths.dropFirst()).map { affine($0, $1) })
        case .gpt:
            // Sizes were validated (each at most 2^16), so these products fit in Int.
            let (e, l, v, c) = (embedding ?? 0, layers ?? 0, outputs, inputShape.first ?? 0)
            let block = (3 * e * e + 3 * e) + (e * e + e) + (e * 4 * e + 4 * e) + (4 * e * e + e) + 4 * e
            return sum([v * e, c * e, l * block, 2 * e])
        case .lstm, .gru:
            let (e, l, v, h) = (embedding ?? 0, layers ?? 0, outputs, hidden.first ?? 0)
            let gates = architecture == .lstm ? 4 : 3
            let recurrent = (0..<l).map { i in gates * h * ((i == 0 ? e : h) + h) + 2 * gates * h }
            return sum([v * e, affine(h, v)] + recurrent)
        case .mlp, .linear:
            let widths = [features] + (architecture == .mlp ? hidden : []) + [outputs]
            return sum(zip(widths, widths.dropFirst()).map { affine($0, $1) })
        case .lenet:
            guard inputShape.count == 3 else { return nil }
            let c = inputShape[0], h = inputShape[1], w = inputShape[2]
            let (hw, o) = ((h / 2 - 4) / 2).multipliedReportingOverflow(by: (w / 2 - 4) / 2)
            let (flat, o2) = hw.multipliedReportingOverflow(by: 16)
            guard !o, !o2 else { return nil }
            let (conv1, o3) = c.multipliedReportingOverflow(by: 6 * 25)
            guard !o3 else { return nil }
            return sum([conv1 + 6, 6 * 16 * 25 + 16, affine(flat, 120), affine(120, 84), affine(84, outputs)])
        }
    }

    /// Checks that the model's parameters, their gradients and two optimizer buffers per parameter fit
    /// in ``MemoryBudget``, before anything is allocated.
    ///
    /// - Parameter source: what the sizes came from (a flag or a checkpoint), for the message.
    /// - Throws: ``TrainingError`` when the spec is not valid (``validate()``), or when the memory is over
    ///   the budget.
    public func checkMemory(source: String) throws {
        try validate()
        let bytes = parameterCount.flatMap { n -> Int? in
            let (b, o) = n.multipliedReportingOverflow(by: 16)   // 4 bytes × (weights, grads, 2 buffers)
            return o ? nil : b
        }
        try MemoryBudget.check(bytes, for: "the model \(summary) (parameters, gradients and optimizer state)", source: source)
    }

    /// Builds the model with fresh parameters drawn from `generator`.
    ///
    /// - Parameter generator: the source of the initial weights.
    /// - Returns: the model, in training mode.
    /// - Throws: ``TrainingError`` when the sizes do not fit (see ``validate()``).
    ///
    /// ```swift
    /// var rng = SeededGenerator(seed: 0)
    /// let model = try ModelSpec(architecture: .linear, inputShape: [1], outputs: 1).build(generator: &rng)
    /// ```
    public func build(generator: inout SeededGenerator) throws -> Module {
        try validate()
        try checkMemory(source: "model")
        var layers: [any Layer] = []
        switch architecture {
        case .fusion:
            return try FusionModel(inputs: (inputs ?? []).map { ($0.name, $0.shape) }, width: embedding!, hidden: hidden,
                                   outputs: outputs, fusion: fusion ?? .concat, dropout: dropout ?? 0, generator: &generator)
        case .gpt:
            return GPTLanguageModel(vocabularySize: outputs, contextLength: inputShape[0], embeddingSize: embedding!,
                                    numHeads: heads!, numLayers: self.layers!, dropout: dropout ?? 0, generator: &generator)
        case .lstm, .gru:
            return RecurrentLanguageModel(cell: architecture == .lstm ? .lstm : .gru, vocabularySize: outputs,
                                          embeddingSize: embedding!, hiddenSize: hidden[0], numLayers: self.layers!,
                                          dropout: dropout ?? 0, generator: &generator)
        case .mlp, .linear:
            if inputShape.count > 1 { layers.append(Flatten()) }
            var width = inputFeatures
            for h in architecture == .mlp ? hidden : [] {
                layers.append(Linear(width, h, generator: &generator))
                layers.append(ReLU())
                width = h
            }
            layers.append(Linear(width, outputs, generator: &generator))
        case .lenet:
            let c = inputShape[0], h = inputShape[1], w = inputShape[2]
            let flat = 16 * ((h / 2 - 4) / 2) * ((w / 2 - 4) / 2)
            layers = [
                Conv2d(c, 6, kernelSize: 5, padding: 2, generator: &generator), ReLU(), MaxPool2d(2),
                Conv2d(6, 16, kernelSize: 5, generator: &generator), ReLU(), MaxPool2d(2), Flatten(),
                Linear(flat, 120, generator: &generator), ReLU(),
                Linear(120, 84, generator: &generator), ReLU(),
                Linear(84, outputs, generator: &generator),
            ]
        }
        return Sequential(layers)
    }

    /// A one-line summary, e.g. `mlp 64-128-10`.
    ///
    /// ```swift
    /// print(spec.summary)
    /// ```
    public var summary: String {
        switch architecture {
        case .mlp, .linear:
            let sizes = [inputFeatures] + (architecture == .mlp ? hidden : []) + [outputs]
            return "\(architecture.rawValue) " + sizes.map(String.init).joined(separator: "-")
        case .lenet:
            return "lenet \(inputShape.map(String.init).joined(separator: "x"))->\(outputs)"
        case .gpt:
            return "gpt \(layers ?? 0)x\(embedding ?? 0) (\(heads ?? 0) heads), context \(inputShape.first ?? 0), \(outputs) tokens"
        case .lstm, .gru:
            return "\(architecture.rawValue) \(layers ?? 0)x\(hidden.first ?? 0) (embedding \(embedding ?? 0)), \(outputs) tokens"
        case .fusion:
            let names = (inputs ?? []).map { "\($0.name) \($0.shape.map(String.init).joined(separator: "x"))" }.joined(separator: " + ")
            return "fusion (\((fusion ?? .concat).rawValue)) of \(names), width \(embedding ?? 0), head \(hidden.map(String.init).joined(separator: "-"))->\(outputs)"
        }
    }
}
