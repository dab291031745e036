/// A bilinear layer y = x₁ᵀ A x₂ + b, one matrix A per output feature (PyTorch's `nn.Bilinear`).
///
/// Parameters start as in PyTorch: the weight `[out, in1, in2]` and the bias `[out]` uniform in
/// ±1/√in1.
///
/// ```swift
/// let score = Bilinear(16, 8, 1)
/// let y = score(user, item)   // [N, 16] and [N, 8] -> [N, 1]
/// ```
public final class Bilinear: Module {
    /// The weight, `[outFeatures, in1Features, in2Features]`.
    @Parameter public var weight: Tensor
    /// The bias, `[outFeatures]`, or nil.
    @Parameter public var bias: Tensor?

    /// The size of each first input.
    public var in1Features: Int { _weight.shape[1] }
    /// The size of each second input.
    public var in2Features: Int { _weight.shape[2] }
    /// The size of each output.
    public var outFeatures: Int { _weight.shape[0] }

    /// A layer with PyTorch's default initialization drawn from `generator`.
    ///
    /// - Parameters:
    ///   - in1Features: the size of the first input.
    ///   - in2Features: the size of the second input.
    ///   - outFeatures: the output size.
    ///   - bias: whether to add a learned bias.
    ///   - dtype: the parameters' element type.
    ///   - generator: the source of randomness.
    public init(_ in1Features: Int, _ in2Features: Int, _ outFeatures: Int, bias: Bool = true, dtype: DType = .float32,
                generator: inout SeededGenerator) {
        var sizes = (in1Features, in2Features, outFeatures)
        if !validSetting(in1Features >= 0 && in2Features >= 0 && outFeatures >= 0,
                         "Bilinear: sizes must not be negative, got \(in1Features), \(in2Features), \(outFeatures)") {
            sizes = (Swift.max(in1Features, 0), Swift.max(in2Features, 0), Swift.max(outFeatures, 0))
        }
        // A weight too large to hold is refused before anything is allocated (an empty layer stands in).
        if !validSetting({ _ = try Tensor.elementCount([sizes.2, sizes.0, sizes.1], op: "Bilinear") }) { sizes = (0, 0, 0) }
        let w = Tensor.zeros([sizes.2, sizes.0, sizes.1], dtype: dtype)
        let b = bias ? Tensor.zeros([sizes.2], dtype: dtype) : nil
        if sizes.0 > 0 {
            let bound = 1 / Double(sizes.0).squareRoot()
            Init.uniform(w, low: -bound, high: bound, generator: &generator)
            if let b { Init.uniform(b, low: -bound, high: bound, generator: &generator) }
        }
        self.weight = w.requiringGrad()
        self.bias = b?.requiringGrad()
        super.init()
    }

    /// A layer with PyTorch's default initialization drawn from the default generator (``Random``).
    ///
    /// ```swift
    /// let layer = Bilinear(16, 8, 4)
    /// ```
    public convenience init(_ in1Features: Int, _ in2Features: Int, _ outFeatures: Int, bias: Bool = true,
                            dtype: DType = .float32) {
        var g = splitDefaultGenerator()
        self.init(in1Features, in2Features, outFeatures, bias: bias, dtype: dtype, generator: &g)
    }

    /// Applies the layer to `[…, in1Features]` and `[…, in2Features]` (the same leading dimensions),
    /// giving `[…, outFeatures]`.
    public func callAsFunction(_ input1: Tensor, _ input2: Tensor) -> Tensor {
        withForwardHooks(input1) { input1 in
            Functional.bilinear(input1, input2, weight: weight, bias: bias)
        }
    }

    /// The configuration shown by ``Module/description`` (PyTorch's `extra_repr`).
    public override var extraDescription: String {
        "in1Features: \(in1Features), in2Features: \(in2Features), outFeatures: \(outFeatures), bias: \(_bias.storedValue != nil)"
    }
}

extension Functional {
    /// `x₁ᵀ A_o x₂ + b_o` for every output feature o (PyTorch's `F.bilinear`), computed as one matrix
    /// product with the weight and a sum against the second input.
    ///
    /// - Parameters:
    ///   - input1: `[…, in1]`.
    ///   - input2: `[…, in2]`, with the leading dimensions of `input1`.
    ///   - weight: `[out, in1, in2]`.
    ///   - bias: `[out]` or nil.
    /// - Returns: `[…, out]`.
    ///
    /// ```swift
    /// let y = Functional.bilinear(a, b, weight: w, bias: nil)
    /// ```
    public static func bilinear(_ input1: Tensor, _ input2: Tensor, weight: Tensor, bias: Tensor?) -> Tensor {
        checked {
            try require(weight.rank == 3, "bilinear: weight must be [out, in1, in2], got \(weight.shape)", .shapeMismatch)
            let (out, in1, in2) = (weight.shape[0], weight.shape[1], weight.shape[2])
            try require(input1.rank >= 1 && input2.rank == input1.rank && Array(input1.shape.dropLast()) == Array(input2.shape.dropLast()),
                        "bilinear: inputs \(input1.shape) and \(input2.shape) must have the same dimensions except the last", .shapeMismatch)
            try require(input1.shape.last == in1 && input2.shape.last == in2,
                        "bilinear: inputs \(input1.shape) and \(input2.shape) must end in \(in1) and \(in2) for weight \(weight.shape)", .shapeMismatch)
            if let bias {
                try require(bias.shape == [out], "bilinear: bias shape \(bias.shape) must be [\(out)]", .shapeMismatch)
            }
            let leading = Array(input1.shape.dropLast())
            let rows = leading.reduce(1, *)
            // [N, in1] · [in1, out·in2] -> [N, out, in2], then summed against x₂ over in2.
            let mixed = input1.reshape([rows, in1])
                .matmul(weight.permute([1, 0, 2]).reshape([in1, out * in2]))
                .reshape([rows, out, in2])
            var y = (mixed * input2.reshape([rows, 1, in2])).sum(axes: [2])
            if let bias { y = y + bias }
            return y.reshape(leading + [out])
        }
    }
}
