/// Inverted dropout (PyTorch's `nn.Dropout`): in training mode each element is zeroed with
/// probability `p` and the others scaled by 1 / (1 − p), so the expected value is unchanged; in
/// evaluation mode it passes the input through.
///
/// ```swift
/// let drop = Dropout(p: 0.5)
/// model.eval()   // now drop(x) is x
/// ```
public final class Dropout: Module, Layer {
    /// The probability of zeroing an element.
    public let p: Double
    /// The layer's own generator, or nil to draw from the default generator (``Random``).
    public var generator: SeededGenerator?

    /// A dropout layer.
    ///
    /// - Parameters:
    ///   - p: the probability of zeroing an element, in [0, 1].
    ///   - generator: a generator of its own (for repeatable masks), or nil to use the default one.
    ///
    /// ```swift
    /// let drop = Dropout(p: 0.2, generator: SeededGenerator(seed: 1))
    /// ```
    public init(p: Double = 0.5, generator: SeededGenerator? = nil) {
        self.p = validSetting(p >= 0 && p <= 1, "Dropout: p must be in [0, 1], got \(p)") ? p : 0
        self.generator = generator
        super.init()
    }

    /// Applies dropout in training mode; returns `input` in evaluation mode.
    public func callAsFunction(_ input: Tensor) -> Tensor {
        guard isTraining && p > 0 else { return input }
        if var g = generator {
            defer { generator = g }
            return Functional.dropout(input, p: p, training: true, generator: &g)
        }
        return Functional.dropout(input, p: p, training: true)
    }

    /// The configuration shown by ``Module/description`` (PyTorch\'s `extra_repr`).

    public override var extraDescription: String { "p: \(p)" }
}
