/// Builds the list of layers of a ``Sequential`` from a block, one layer per line, with `if`, `if/else`
/// and `for` allowed.
///
/// ```swift
/// let model = Sequential {
///     Linear(784, 256)
///     ReLU()
///     if useDropout { Dropout(p: 0.2) }
///     Linear(256, 10)
/// }
/// ```
@resultBuilder
public enum LayerBuilder {
    /// One layer.
    public static func buildExpression(_ layer: any Layer) -> [any Layer] { [layer] }
    /// Several layers at once (e.g. an array built elsewhere).
    public static func buildExpression(_ layers: [any Layer]) -> [any Layer] { layers }
    /// The lines of a block, concatenated.
    public static func buildBlock(_ parts: [any Layer]...) -> [any Layer] { parts.flatMap { $0 } }
    /// An `if` without `else`.
    public static func buildOptional(_ part: [any Layer]?) -> [any Layer] { part ?? [] }
    /// The `if` branch of `if/else`.
    public static func buildEither(first part: [any Layer]) -> [any Layer] { part }
    /// The `else` branch of `if/else`.
    public static func buildEither(second part: [any Layer]) -> [any Layer] { part }
    /// A `for` loop.
    public static func buildArray(_ parts: [[any Layer]]) -> [any Layer] { parts.flatMap { $0 } }
}

/// Layers applied one after another, each to the previous one's output (PyTorch's `nn.Sequential`).
/// Its children are named `0`, `1`, … so parameter names match PyTorch's (`0.weight`, `2.bias`).
///
/// ```swift
/// let model = Sequential {
///     Linear(784, 256)
///     ReLU()
///     Linear(256, 10)
/// }
/// let logits = model(images.flatten(startAxis: 1))
/// ```
public final class Sequential: Module, Layer {
    /// The layers, in order.
    public let layers: [any Layer]

    /// A sequential model of `layers`.
    ///
    /// - Parameter layers: the layers, applied in order.
    ///
    /// ```swift
    /// let block = Sequential([Conv2d(1, 6, kernelSize: 5), ReLU(), MaxPool2d(2)])
    /// ```
    public init(_ layers: [any Layer]) {
        self.layers = layers
        super.init()
    }

    /// A sequential model whose layers are listed in a block (see ``LayerBuilder``).
    public convenience init(@LayerBuilder _ build: () -> [any Layer]) {
        self.init(build())
    }

    /// The number of layers.
    public var count: Int { layers.count }

    /// The layer at `index`.
    ///
    /// An index out of range fails as an operation does (recorded inside ``GradusError/catching(_:)``,
    /// where an ``Identity`` layer stands in; a stop outside). A valid index gives its layer even in a
    /// scope that has already failed.
    public subscript(index: Int) -> any Layer {
        checkedEvenAfterFailure(or: Identity()) {
            try require(index >= 0 && index < layers.count,
                        "Sequential: index \(index) is out of range 0..<\(layers.count)", .indexOutOfRange)
            return layers[index]
        }
    }

    /// Applies the layers in order.
    ///
    /// Two neighbouring layers run as one operation when neither has hooks, with the values and
    /// gradients of the two: a ``BatchNorm`` layer followed by ``ReLU`` (the ReLU applied as the normalized
    /// values are written and its mask inside the normalization's backward passes, so that neither has a
    /// pass over the activations of its own; the output's operation is named
    /// "batchNormReLU"), and a quantized ``Linear`` followed by ``ReLU`` (one pass on the integer path).
    public func callAsFunction(_ input: Tensor) -> Tensor {
        withForwardHooks(input) { input in
            var x = input
            var i = 0
            while i < layers.count {
                if i + 1 < layers.count, let fused = fusedPair(layers[i], layers[i + 1], x) {
                    x = fused
                    i += 2
                    continue
                }
                x = layers[i](x)
                i += 1
            }
            return x
        }
    }

    /// `second(first(x))` computed as one operation, or nil when the pair has no fused form (or a hook
    /// must see the value between them).
    private func fusedPair(_ first: any Layer, _ second: any Layer, _ x: Tensor) -> Tensor? {
        guard second is ReLU, !first.hasForwardHooks, !first.hasBackwardHooks, !second.hasForwardHooks,
              !second.hasBackwardHooks else { return nil }
        if let norm = first as? BatchNorm { return norm.normalizedReLU(x) }   // unfused itself with synchronized statistics
        if let linear = first as? Linear, linear.quantizedWeights != nil { return linear.quantizedForward(x, relu: true) }
        return nil
    }

    override func discoverMembers() -> Members {
        var found = Members()
        for (i, layer) in layers.enumerated() { found.children.append(("\(i)", layer)) }
        return found
    }
}
