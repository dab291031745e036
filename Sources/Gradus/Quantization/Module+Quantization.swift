/// Dynamic quantization of a whole model (PyTorch's `quantize_dynamic`): see ``DynamicQuantization``.
extension Module {
    /// Quantizes the weights of every ``Linear`` and ungrouped ``Conv2d`` layer in this module and its
    /// descendants to 8-bit integers, one scale per output channel (``QuantizedWeights``), and replaces their Float32 weights
    /// by the values the integers stand for, so that the integer path (inference) and the Float32 path
    /// (gradients, non-finite inputs) compute the same model. Float64 layers, grouped convolutions and
    /// layers whose weights hold a NaN or an infinity, and layers wider than
    /// ``QuantizedWeights/maximumInputs`` inputs, and layers whose weight is parametrized
    /// (``Module/registerParametrization(_:for:unsafe:)-(Layer,_,_)``) are left as they are.
    /// Calling it again re-quantizes from the current weights (the integers do not change). A layer whose
    /// weight changes afterwards (an optimizer step, an in-place update) computes in Float32 until it is
    /// quantized again.
    ///
    /// - Returns: the number of layers quantized.
    ///
    /// ```swift
    /// let trained = try TrainedModel.load("runs/mnist-mlp/checkpoint.safetensors")
    /// trained.model.quantizeDynamic()
    /// let p = trained.predict(try trained.prepare(images))   // integer products
    /// ```
    @discardableResult
    public func quantizeDynamic() -> Int {
        var quantized = 0
        // A parametrized weight is computed from its originals at each call: its integers would go stale
        // at the first step, so such layers stay in Float32 (remove the parametrizations first).
        for case let layer as any DynamicallyQuantizable in modules()
        where !layer.isParametrized("weight") && layer.weight.dtype == .float32 && layer.supportsQuantization {
            guard let q = QuantizedWeights(quantizing: layer.weight) else { continue }
            _ = GradMode.noGrad { layer.weight.assign(q.dequantized(shape: layer.weight.shape)) }
            layer.quantizedWeights = q
            quantized += 1
        }
        return quantized
    }

    /// Whether some layer of this module computes with quantized weights (``quantizeDynamic()``).
    ///
    /// ```swift
    /// if model.isQuantized { print("int8 inference") }
    /// ```
    public var isQuantized: Bool {
        modules().contains { ($0 as? any DynamicallyQuantizable)?.quantizedWeights != nil }
    }

    /// Returns every quantized layer to Float32 products (with the dequantized weights it holds).
    ///
    /// ```swift
    /// model.dequantize()
    /// ```
    public func dequantize() {
        for case let layer as any DynamicallyQuantizable in modules() { layer.quantizedWeights = nil }
    }
}

/// A layer whose weight ``Module/quantizeDynamic()`` can quantize (``Linear``, ``Conv2d``).
protocol DynamicallyQuantizable: Module {
    var weight: Tensor { get }
    var quantizedWeights: QuantizedWeights? { get set }
    /// The integers inference computes with: `quantizedWeights` while the weight is unchanged since quantizing.
    var activeQuantizedWeights: QuantizedWeights? { get }
    /// Whether this layer's integer path exists (a grouped convolution has none).
    var supportsQuantization: Bool { get }
}

extension Linear: DynamicallyQuantizable {
    var supportsQuantization: Bool { true }
}

extension Conv2d: DynamicallyQuantizable {
    var supportsQuantization: Bool { groups == 1 }
}
