/// Dynamic quantization of a whole model (PyTorch's `quantize_dynamic`): see ``DynamicQuantization``.
extension Module {
    /// Quantizes the weights of every ``Linear`` and ungrouped ``Conv2d`` layer in this module and its
    /// descendants to 8-bit integers, one scale per output channel (``QuantizedWeights``), and replaces their Float32 weights
    /// by the values the integers stand for, so that the integer path (inference) and the Float32 path
    /// (gradients, non-finite inputs) compute the same model. Float64 layers, grouped convolutions and
    /// layers whose weights hold a NaN or an infinity are left as they are.
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
        for module in modules() {
            if let linear = module as? Linear, linear.weight.dtype == .float32,
               let q = QuantizedWeights(quantizing: linear.weight) {
                _ = GradMode.noGrad { linear.weight.assign(q.dequantized(shape: linear.weight.shape)) }
                linear.quantizedWeights = q
                quantized += 1
            } else if let conv = module as? Conv2d, conv.weight.dtype == .float32, conv.groups == 1,
                      let q = QuantizedWeights(quantizing: conv.weight) {
                _ = GradMode.noGrad { conv.weight.assign(q.dequantized(shape: conv.weight.shape)) }
                conv.quantizedWeights = q
                quantized += 1
            }
        }
        return quantized
    }

    /// Whether some layer of this module computes with quantized weights (``quantizeDynamic()``).
    ///
    /// ```swift
    /// if model.isQuantized { print("int8 inference") }
    /// ```
    public var isQuantized: Bool {
        modules().contains { ($0 as? Linear)?.quantizedWeights != nil || ($0 as? Conv2d)?.quantizedWeights != nil }
    }

    /// Returns every quantized layer to Float32 products (with the dequantized weights it holds).
    ///
    /// ```swift
    /// model.dequantize()
    /// ```
    public func dequantize() {
        for module in modules() {
            (module as? Linear)?.quantizedWeights = nil
            (module as? Conv2d)?.quantizedWeights = nil
        }
    }
}
