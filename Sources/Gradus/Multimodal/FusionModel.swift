/// A classifier or regressor over several named inputs of different kinds — images and feature
/// vectors — that encodes each input with a branch of its own and fuses the branches' embeddings.
///
/// Branches (each ends in a `width`-wide embedding with ReLU):
/// - an image `[C, H, W]` (or `[H, W]`, one channel): Conv2d(C, 16, 3, padding 1), ReLU, MaxPool2d(2)
///   when both sides are at least 8, Conv2d(16, 32, 3, padding 1), ReLU, AdaptiveAvgPool2d(4),
///   Flatten, Linear(512, width), ReLU;
/// - a feature vector `[F]`: Linear(F, width), ReLU.
///
/// Fusions of the M embeddings `e₁ … e_M`:
/// - ``Fusion/concat`` (late fusion): the head reads `[e₁, …, e_M]` (M·width).
/// - ``Fusion/gated``: a gate network reads the concatenation and gives each input a sigmoid gate
///   `gₘ ∈ (0, 1)`; the head reads `Σ gₘ eₘ` (width), so the model learns how much to trust each input
///   per sample (gated multimodal units, Arevalo et al. 2017). The gates start at ½ (zero weights):
///   softmax gates were tried and collapsed onto the input that is informative earliest (2 of 3 seeds
///   on the UCI digits example, where the image alone is far better), sigmoid gates do not compete.
/// - ``Fusion/attention``: the embeddings plus a learned embedding per input form a sequence of M
///   tokens; one multi-head self-attention layer (4 heads, or 1 when width is not a multiple of 4)
///   with a residual connection mixes them, and the head reads their mean.
///
/// The head is Linear layers of the `hidden` sizes with ReLU and dropout, then Linear(·, outputs).
/// Children: `encoders.<name>` (each a ``Sequential``), `gate`, `attention`, `input_embedding`, `head`.
///
/// It is a ``MultiInputLayer``: ``Trainer``, ``DataLoader`` and ``GroupDataset`` handle it as any
/// several-input model, and ``Explain`` attributes its scores to each input.
///
/// ```swift
/// var rng = SeededGenerator(seed: 0)
/// let model = try FusionModel(inputs: [("image", [1, 15, 16]), ("features", [76])], width: 64, hidden: [64],
///                             outputs: 10, fusion: .gated, generator: &rng)
/// let logits = model(["image": images, "features": features])    // [N, 10]
/// ```
public final class FusionModel: Module, MultiInputLayer {
    /// How the branches' embeddings are combined.
    public enum Fusion: String, Codable, Sendable, CaseIterable {
        /// Concatenation before the head (late fusion).
        case concat
        /// Sigmoid-gated sum, the gates computed from all inputs.
        case gated
        /// Self-attention across the inputs' embeddings.
        case attention
    }

    /// The inputs' names and per-sample shapes, in order.
    public let inputs: [(name: String, shape: [Int])]
    /// One branch per input, in the order of ``inputs``.
    public let encoders: [Sequential]
    /// The fusion.
    public let fusion: Fusion
    /// The embedding width of every branch.
    public let width: Int
    /// ``Fusion/gated``: the gate network, or nil.
    public let gate: Linear?
    /// ``Fusion/attention``: the attention across inputs, or nil.
    public let attention: MultiheadAttention?
    /// ``Fusion/attention``: one learned embedding per input, `[M, width]`, or nil.
    @Parameter public var inputEmbedding: Tensor?
    /// The head from the fused embedding to the outputs.
    public let head: Sequential

    /// Creates a model with fresh weights.
    ///
    /// - Parameters:
    ///   - inputs: each input's name and per-sample shape: `[C, H, W]` or `[H, W]` for images (at
    ///     least 4×4), `[F]` for feature vectors.
    ///   - width: the embedding width of each branch.
    ///   - hidden: the head's hidden sizes.
    ///   - outputs: classes, or regression outputs.
    ///   - fusion: how the branches are combined.
    ///   - dropout: dropout in the head while training.
    ///   - generator: the source of the initial weights.
    /// - Throws: a ``GradusError`` for no inputs, repeated names, or a shape that is not an image or a
    ///   vector.
    public init(inputs: [(String, [Int])], width: Int = 64, hidden: [Int] = [64], outputs: Int, fusion: Fusion = .concat,
                dropout: Double = 0, generator: inout SeededGenerator) throws {
        try require(!inputs.isEmpty, "FusionModel: needs at least one input", .invalidArgument)
        try require(Set(inputs.map { $0.0 }).count == inputs.count, "FusionModel: input names \(inputs.map { $0.0 }) repeat", .invalidArgument)
        let largest = Int(Int32.max)   // keeps products such as inputs × width within Int
        try require((1...largest).contains(width) && (1...largest).contains(outputs) && hidden.allSatisfy { (1...largest).contains($0) },
                    "FusionModel: sizes must be positive and at most \(largest)", .invalidArgument)
        try require(dropout >= 0 && dropout < 1, "FusionModel: dropout must lie in [0, 1), got \(dropout)", .invalidArgument)
        var branches: [Sequential] = []
        for (name, shape) in inputs {
            switch shape.count {
            case 1:
                try require(shape[0] >= 1, "FusionModel: input \"\(name)\" has no features", .shapeMismatch)
                branches.append(Sequential([Linear(shape[0], width, generator: &generator), ReLU()]))
            case 2, 3:
                let (c, h, w) = shape.count == 3 ? (shape[0], shape[1], shape[2]) : (1, shape[0], shape[1])
                try require(c >= 1 && h >= 4 && w >= 4, "FusionModel: image input \"\(name)\" \(shape) must be at least 4×4", .shapeMismatch)
                var layers: [any Layer] = []
                if shape.count == 2 { layers.append(Unflatten(axis: 1, sizes: [1, h])) }
                layers += [Conv2d(c, 16, kernelSize: 3, padding: 1, generator: &generator), ReLU()]
                if h >= 8 && w >= 8 { layers.append(MaxPool2d(2)) }
                layers += [Conv2d(16, 32, kernelSize: 3, padding: 1, generator: &generator), ReLU(), AdaptiveAvgPool2d(4), Flatten(),
                           Linear(32 * 16, width, generator: &generator), ReLU()]
                branches.append(Sequential(layers))
            default:
                throw GradusError(.shapeMismatch, "FusionModel: input \"\(name)\" of shape \(shape) is neither a feature vector [F] nor an image [H, W] / [C, H, W]")
            }
        }
        self.inputs = inputs.map { (name: $0.0, shape: $0.1) }
        encoders = branches
        self.fusion = fusion
        self.width = width
        let m = inputs.count
        gate = fusion == .gated ? Linear(m * width, m, generator: &generator) : nil
        if let gate {
            // Every gate starts half open.
            unfailing {
                try GradMode.noGrad {
                    try gate.weight.copyValues(from: Tensor.zeros(gate.weight.shape))
                    try gate.bias?.copyValues(from: Tensor.zeros([m]))
                }
            }
        }
        attention = fusion == .attention
            ? MultiheadAttention(embedDim: width, numHeads: width % 4 == 0 ? 4 : 1, batchFirst: true, generator: &generator) : nil
        if fusion == .attention {
            let e = Tensor.zeros([m, width])
            Init.normal(e, std: 0.02, generator: &generator)
            inputEmbedding = e.requiringGrad()
        } else {
            inputEmbedding = nil
        }
        var layers: [any Layer] = []
        var features = fusion == .concat ? m * width : width
        for h in hidden {
            layers += [Linear(features, h, generator: &generator), ReLU()]
            if dropout > 0 { layers.append(Dropout(p: dropout)) }
            features = h
        }
        layers.append(Linear(features, outputs, generator: &generator))
        head = Sequential(layers)
        super.init()
    }

    override func discoverMembers() -> Members {
        var found = Members()
        // The stored tensor: discovery must not compute a parametrized value.
        if let inputEmbedding = _inputEmbedding.storedValue { found.parameters.append(("input_embedding", inputEmbedding)) }
        for (i, e) in encoders.enumerated() { found.children.append(("encoders.\(inputs[i].name)", e)) }
        if let gate { found.children.append(("gate", gate)) }
        if let attention { found.children.append(("attention", attention)) }
        found.children.append(("head", head))
        return found
    }

    /// The branches' embeddings, `[N, width]` each, in the order of ``inputs``.
    ///
    /// ```swift
    /// let parts = model.embeddings(batch)
    /// ```
    public func embeddings(_ group: TensorGroup) -> [Tensor] {
        inputs.indices.map { i in encoders[i](group[inputs[i].name]) }
    }

    /// The outputs for a batch of named inputs, each `[N] + shape`.
    public func callAsFunction(_ group: TensorGroup) -> Tensor {
        let parts = embeddings(group)
        switch fusion {
        case .concat:
            return head(Tensor.concatenate(parts, axis: 1))
        case .gated:
            let weights = gate!(Tensor.concatenate(parts, axis: 1)).sigmoid()                    // [N, M]
            let stacked = Tensor.stack(parts, axis: 1)                                           // [N, M, W]
            return head((stacked * weights.unsqueeze(2)).sum(axes: [1]))
        case .attention:
            let tokens = Tensor.stack(parts, axis: 1) + inputEmbedding!                         // [N, M, W]
            let mixed = tokens + attention!(query: tokens, key: tokens, value: tokens, needWeights: false).output
            return head(mixed.mean(axes: [1]))
        }
    }

    /// ``Fusion/gated``: the gates `[N, M]` in (0, 1) the model gives each input for a batch (how much
    /// it relies on each), or nil for other fusions.
    ///
    /// ```swift
    /// let trust = model.gateWeights(batch)   // [N, inputs]
    /// ```
    public func gateWeights(_ group: TensorGroup) -> Tensor? {
        guard let gate else { return nil }
        return gate(Tensor.concatenate(embeddings(group), axis: 1)).sigmoid()
    }

    public override var extraDescription: String {
        "inputs: " + inputs.map { "\($0.name) \($0.shape)" }.joined(separator: ", ") + ", fusion: \(fusion.rawValue), width: \(width)"
    }
}
