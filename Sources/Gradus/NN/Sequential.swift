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
    /// A ``BatchNorm`` layer, ``ReLU`` and a ``MaxPool2d`` of 2×2 windows with stride 2 (no padding or
    /// dilation; `ceilMode` only with even sizes) run as one operation too, "batchNormReLUMaxPool2x2", on
    /// `[N, C, H, W]` inputs when none of the three has hooks (and the normalization's statistics are not
    /// synchronized across processes in training): only the pooled values are written, and the backward
    /// passes read the pooled gradient. Its values are the three layers'; its gradients are theirs up to
    /// the rounding of the per-channel sums (see ``Functional/batchNormReLUMaxPool2x2(_:runningMean:runningVar:weight:bias:training:momentum:eps:)``).
    public func callAsFunction(_ input: Tensor) -> Tensor {
        withForwardHooks(input) { input in
            var x = input
            var i = 0
            while i < layers.count {
                if i + 2 < layers.count, let fused = fusedTriple(layers[i], layers[i + 1], layers[i + 2], x) {
                    x = fused
                    i += 3
                    continue
                }
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

    /// `third(second(first(x)))` computed as one operation, or nil when the three have no fused form.
    private func fusedTriple(_ first: any Layer, _ second: any Layer, _ third: any Layer, _ x: Tensor) -> Tensor? {
        guard let norm = first as? BatchNorm, norm.fusesReLUMaxPool2x2, second is ReLU, let pool = third as? MaxPool2d,
              !second.hasForwardHooks, !second.hasBackwardHooks, !pool.hasForwardHooks, !pool.hasBackwardHooks,
              pool.kernelSize == 2, pool.stride == 2, pool.padding == 0, pool.dilation == 1, x.rank == 4,
              x.shape[2] >= 2, x.shape[3] >= 2, !pool.ceilMode || (x.shape[2] % 2 == 0 && x.shape[3] % 2 == 0) else { return nil }
        return norm.normalizedReLUMaxPool2x2(x)
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
