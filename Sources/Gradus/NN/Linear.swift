/// A fully connected layer y = x·Wᵀ + b (PyTorch's `nn.Linear`).
///
/// Weights start as in PyTorch: W ~ U(−1/√in, 1/√in) (Kaiming uniform with a = √5) and the bias from
/// the same range. Parameters: `weight` `[out, in]`, `bias` `[out]`.
///
/// ```swift
/// let layer = Linear(784, 10)
/// let logits = layer(x)   // [N, 784] -> [N, 10]
/// ```
public final class Linear: Module, Layer {
    /// The weight, `[outFeatures, inFeatures]`.
    @Parameter public var weight: Tensor
    /// The bias, `[outFeatures]`, or nil.
    @Parameter public var bias: Tensor?

    /// The 8-bit weights that inference uses after ``Module/quantizeDynamic()``, or nil (Float32).
    public internal(set) var quantizedWeights: QuantizedWeights? {
        didSet {
            quantizedFrom = quantizedWeights == nil ? nil : WeightVersion(weight)
            DynamicQuantization.quantizationChanged()
        }
    }
    /// The weight's storage and version when it was quantized: once the weight changes (an optimizer
    /// step, an in-place update), the integers are stale and the layer computes in Float32 again.
    private var quantizedFrom: WeightVersion?

    /// The weight's element type, read without computing a parametrized weight.
    var weightDType: DType { _weight.dtype }

    /// The size of each input sample.
    public var inFeatures: Int { _weight.shape[1] }
    /// The size of each output sample.
    public var outFeatures: Int { _weight.shape[0] }

    /// A layer with the given weight and bias (which become its parameters and require gradients).
    ///
    /// ```swift
    /// let layer = Linear(weight: Tensor([[1, 2], [3, 4]]), bias: nil)
    /// ```
    public init(weight: Tensor, bias: Tensor?) {
        var weight = weight, bias = bias
        if !validSetting(weight.rank == 2, "Linear: weight must be [out, in], got \(weight.shape)") {
            weight = Tensor.standIn([0, 0], for: weight)
        }
        if let b = bias, !validSetting(b.shape == [weight.shape[0]], "Linear: bias shape \(b.shape) must be [\(weight.shape[0])]") {
            bias = Tensor.zeros([weight.shape[0]], dtype: weight.dtype)
        }
        self.weight = weight.requiringGrad()
        self.bias = bias?.requiringGrad()
        super.init()
    }

    /// A layer with PyTorch's default initialization drawn from `generator`.
    ///
    /// - Parameters:
    ///   - inFeatures: the input size.
    ///   - outFeatures: the output size.
    ///   - bias: whether to add a learned bias.
    ///   - dtype: the parameters' element type.
    ///   - generator: the source of randomness.
    ///
    /// ```swift
    /// var rng = SeededGenerator(seed: 0)
    /// let layer = Linear(4, 2, generator: &rng)
    /// ```
    public convenience init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true, dtype: DType = .float32,
                            generator: inout SeededGenerator) {
        var inFeatures = inFeatures, outFeatures = outFeatures
        if !validSetting(inFeatures >= 0 && outFeatures >= 0, "Linear: sizes must not be negative, got \(inFeatures), \(outFeatures)") {
            (inFeatures, outFeatures) = (max(inFeatures, 0), max(outFeatures, 0))
        }
        let (w, b) = Linear.defaultParameters(weightShape: [outFeatures, inFeatures], biasCount: bias ? outFeatures : nil,
                                              fanIn: inFeatures, dtype: dtype, generator: &generator)
        self.init(weight: w, bias: b)
    }

    /// A layer with PyTorch's default initialization drawn from the default generator (``Random``).
    ///
    /// ```swift
    /// let layer = Linear(784, 256)
    /// ```
    public convenience init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true, dtype: DType = .float32) {
        var g = splitDefaultGenerator()
        self.init(inFeatures, outFeatures, bias: bias, dtype: dtype, generator: &g)
    }

    /// PyTorch's default weight and bias for Linear and convolution layers: Kaiming uniform (a = √5)
    /// weights and a bias uniform in ±1/√fanIn.
    static func defaultParameters(weightShape: [Int], biasCount: Int?, fanIn: Int, dtype: DType,
                                  generator: inout SeededGenerator) -> (Tensor, Tensor?) {
        let w = Tensor.zeros(weightShape, dtype: dtype)
        if w.count > 0 { Init.kaimingUniform(w, a: 5.0.squareRoot(), generator: &generator) }
        var b: Tensor? = nil
        if let biasCount {
            let t = Tensor.zeros([biasCount], dtype: dtype)
            if fanIn > 0 {
                let bound = 1 / Double(fanIn).squareRoot()
                Init.uniform(t, low: -bound, high: bound, generator: &generator)
            }
            b = t
        }
        return (w, b)
    }

    /// Applies the layer to `[…, inFeatures]`, giving `[…, outFeatures]`.
    /// A quantized layer (``Module/quantizeDynamic()``) computes in integers when no gradient is recorded
    /// (see ``DynamicQuantization``).
    public func callAsFunction(_ input: Tensor) -> Tensor {
        withForwardHooks(input) { input in
            if let out = quantizedForward(input, relu: false) { return out }
            return Functional.linear(input, weight: weight, bias: bias)
        }
    }

    /// The integer path's output (``DynamicQuantization``), followed by ReLU when `relu`, or nil when the
    /// layer is not quantized or must compute in Float32.
    func quantizedForward(_ input: Tensor, relu: Bool) -> Tensor? {
        guard let activeQuantizedWeights else { return nil }
        return DynamicQuantization.linear(input, activeQuantizedWeights, bias: bias, relu: relu)
    }

    /// The integers inference computes with: ``quantizedWeights`` while the weight is unchanged since
    /// quantizing, else nil.
    var activeQuantizedWeights: QuantizedWeights? { quantizedFrom == WeightVersion(weight) ? quantizedWeights : nil }

    /// The configuration shown by ``Module/description`` (PyTorch\'s `extra_repr`).

    public override var extraDescription: String {
        "inFeatures: \(inFeatures), outFeatures: \(outFeatures), bias: \(_bias.storedValue != nil)" + (quantizedWeights == nil ? "" : ", int8")
    }
}
