/// The weights of a linear or convolution layer in 8-bit integers, one scale per output channel
/// (symmetric: wᵢⱼ ≈ qᵢⱼ · scaleᵢ, qᵢⱼ ∈ [-127, 127], scaleᵢ = max|wᵢ·| / 127), as PyTorch's
/// per-channel `qint8` weights.
///
/// Layers hold them once ``Module/quantizeDynamic()`` ran; see ``DynamicQuantization``.
///
/// ```swift
/// let q = QuantizedWeights(quantizing: Tensor([[0.5, -1.0], [0.25, 0.0]]))!
/// print(q.scales, q.values)   // [0.007874016, 0.0019685039] [64, -127, 127, 0]
/// ```
public struct QuantizedWeights: Sendable {
    /// The integers, `[outputs, inputs]` row-major (a convolution's `[O, C·kH·kW]`).
    public let values: [Int8]
    /// One scale per output channel.
    public let scales: [Float]
    /// Output channels (rows).
    public let outputs: Int
    /// Inputs per output channel (columns).
    public let inputs: Int
    /// Σⱼ qᵢⱼ per row: the correction for the activations' zero point in kernels that multiply the
    /// unshifted 8-bit activations.
    let rowSums: [Int32]
    /// The integers packed for one-sample products (``DynamicQuantization``'s row kernel).
    let panels: PackedInt8Panels

    /// The widest row quantized: the products' 32-bit sums of 8-bit activations (up to 255) times
    /// 8-bit weights (up to 127 in magnitude) cannot overflow over this many inputs.
    public static let maximumInputs = Int(Int32.max) / (255 * 127)

    /// Quantizes `weight` (`[outputs, …]`, Float32 or Float64) row by row, or returns nil when it holds
    /// a NaN or an infinity (a diverged model), which no scale represents, or when its rows are wider
    /// than ``maximumInputs``.
    ///
    /// - Parameter weight: a layer's weight; every dimension after the first is one row.
    public init?(quantizing weight: Tensor) {
        let outputs = weight.rank == 0 ? 1 : weight.shape[0]
        let inputs = outputs == 0 ? 0 : weight.count / outputs
        guard inputs <= Self.maximumInputs else { return nil }
        let w = weight.scalars(as: Float.self)
        var values = [Int8](repeating: 0, count: w.count), scales = [Float](repeating: 1, count: outputs)
        for o in 0..<outputs {
            let row = w[(o * inputs)..<((o + 1) * inputs)]
            let largest = row.reduce(Float(0)) { Swift.max($0, abs($1)) }
            guard largest.isFinite, !row.contains(where: { $0.isNaN }) else { return nil }
            // An all-zero row keeps scale 1: its integers are 0 whatever the scale.
            let scale = largest > 0 ? largest / 127 : 1
            scales[o] = scale
            for (j, v) in row.enumerated() {
                values[o * inputs + j] = Int8(Swift.max(-127, Swift.min(127, (v / scale).rounded(.toNearestOrEven))))
            }
        }
        self.values = values
        rowSums = (0..<outputs).map { o in values[(o * inputs)..<((o + 1) * inputs)].reduce(Int32(0)) { $0 + Int32($1) } }
        self.scales = scales
        panels = PackedInt8Panels(values, outputs: outputs, inputs: inputs)
        self.outputs = outputs
        self.inputs = inputs
    }

    /// The weights the integers stand for, qᵢⱼ · scaleᵢ, in Float32 with the given shape.
    ///
    /// ```swift
    /// let w = q.dequantized(shape: [2, 2])
    /// ```
    public func dequantized(shape: [Int]) -> Tensor {
        invariant(shape.reduce(1, *) == values.count, "QuantizedWeights.dequantized: shape \(shape) does not hold \(values.count) values")
        var out = [Float](repeating: 0, count: values.count)
        for o in 0..<outputs {
            for j in 0..<inputs { out[o * inputs + j] = Float(values[o * inputs + j]) * scales[o] }
        }
        return Tensor(shape: shape, values: out)
    }
}

/// Which values a layer's weight held: its storage and that storage's version (see
/// ``TensorStorage/version``), to tell when quantized integers no longer match the weight.
struct WeightVersion: Equatable {
    let storage: ObjectIdentifier
    let version: Int
    init(_ weight: Tensor) {
        storage = ObjectIdentifier(weight.storage)
        version = weight.storage.version
    }
}
