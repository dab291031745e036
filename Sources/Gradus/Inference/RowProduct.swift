/// One sample through a ``Linear`` layer: a matrix-vector product over the weight's rows (AVX-512 where
/// the processor has it, split over Gradus's threads for large layers), bias and ReLU applied in the
/// same pass over the outputs.
struct RowProduct {
    /// `[out, in]`, contiguous.
    let weight: Tensor
    /// `[out]`, contiguous, or nil.
    let bias: Tensor?
    /// The slope below zero of a fused ReLU (0) or LeakyReLU, or nil.
    let negativeSlope: Float?

    func run(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>) {
        let rows = weight.shape[0], columns = weight.shape[1]
        if let bias { y.update(from: bias.pointer(Float.self), count: rows) }
        RawBLAS.parallelGemv(rows: rows, columns: columns, UnsafePointer(weight.pointer(Float.self)), ld: columns,
                             transposed: false, x, beta: bias == nil ? 0 : 1, y)
        if let slope = negativeSlope {
            for i in 0..<rows where y[i] < 0 { y[i] = slope == 0 ? 0 : y[i] * slope }
        }
    }
}
