/// What the dropout layers share — ``Dropout``, ``Dropout1d``, ``Dropout2d``, ``Dropout3d``,
/// ``AlphaDropout`` and ``FeatureAlphaDropout``: a probability, an optional generator of their own (for
/// repeatable masks; nil draws from the default generator, ``Random``), and the identity in evaluation
/// mode. Each layer is this class with its own rule of what to drop.
///
/// ```swift
/// let layers: [DropoutLayer] = [Dropout(p: 0.1), Dropout2d(p: 0.2)]
/// print(layers.map(\.p))   // [0.1, 0.2]
/// ```
public class DropoutLayer: Module, Layer, GeneratorOwningLayer {
    /// The probability of dropping an element (or a channel, for the channel dropouts).
    public let p: Double
    /// The layer's own generator, or nil to draw from the default generator (``Random``).
    public var generator: SeededGenerator?
    /// How the layer drops in training mode: the functional form with `p` and a generator.
    private let rule: (Tensor, Double, inout SeededGenerator) -> Tensor

    /// A dropout layer named `name` (in the message of a `p` outside [0, 1], which is then 0) dropping by `rule`.
    init(p: Double, generator: SeededGenerator?, name: String, rule: @escaping (Tensor, Double, inout SeededGenerator) -> Tensor) {
        self.p = validSetting(p >= 0 && p <= 1, "\(name): p must be in [0, 1], got \(p)") ? p : 0
        self.generator = generator
        self.rule = rule
        super.init()
    }

    /// Drops in training mode; returns `input` in evaluation mode (or with `p` = 0).
    public func callAsFunction(_ input: Tensor) -> Tensor {
        withForwardHooks(input) { input in
            guard isTraining && p > 0 else { return input }
            return Module.drawing(from: &generator) { rule(input, p, &$0) }
        }
    }

    /// The configuration shown by ``Module/description`` (PyTorch's `extra_repr`).
    public override var extraDescription: String { "p: \(p)" }
}

/// A layer that may keep a generator of its own (the dropout layers, ``RReLU``): what a second run of it
/// (activation checkpointing) sets back to repeat its numbers.
protocol GeneratorOwningLayer: Module {
    /// The layer's own generator, or nil when it draws from the default generator.
    var generator: SeededGenerator? { get set }
}

extension Module {
    /// Runs `body` with a layer's own generator (kept for the next call) or, when it has none, with the
    /// default generator (``Random``): how the dropout layers draw their masks.
    static func drawing(from generator: inout SeededGenerator?, _ body: (inout SeededGenerator) -> Tensor) -> Tensor {
        guard var g = generator else { return Random.withDefault { body(&$0) } }
        defer { generator = g }
        return body(&g)
    }
}
