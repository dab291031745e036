import CGradusMath

/// One sample through a ``Linear`` layer: a matrix-vector product over the weight packed once into
/// panels of 16 rows (one contiguous stream; AVX-512 where the processor has it), split over Gradus's
/// threads by panels for large layers, with bias and ReLU applied as each panel's outputs are stored.
final class RowProduct: @unchecked Sendable {
    /// Output and input features.
    let rows: Int, columns: Int
    /// The slope below zero of a fused ReLU (0) or LeakyReLU, or nil.
    let negativeSlope: Float?
    /// The weight in `gradus_sgemv_pack_panels`'s layout (64-byte aligned; immutable after init).
    private let packed: UnsafeMutablePointer<Float>
    /// `[rows]`, or nil.
    private let bias: [Float]?

    /// - Parameters:
    ///   - weight: `[out, in]` Float32.
    ///   - bias: `[out]` Float32, or nil.
    init(weight: Tensor, bias: Tensor?, negativeSlope: Float?) {
        let w = weight.contiguous()
        rows = w.shape[0]
        columns = w.shape[1]
        self.negativeSlope = negativeSlope
        self.bias = bias?.scalars(as: Float.self)
        let count = Swift.max(gradus_sgemv_packed_count(rows, columns), 1)
        packed = UnsafeMutableRawPointer.allocate(byteCount: count * MemoryLayout<Float>.stride, alignment: 64)
            .bindMemory(to: Float.self, capacity: count)
        gradus_sgemv_pack_panels(rows, columns, w.pointer(Float.self), columns, packed)
    }

    deinit { packed.deallocate() }

    func run(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>) {
        let panels = (rows + Int(GRADUS_SGEMV_PANEL) - 1) / Int(GRADUS_SGEMV_PANEL)
        let relu: Int32 = negativeSlope == nil ? 0 : 1, slope = negativeSlope ?? 0
        let threads = Threading.count
        guard threads > 1, rows &* columns >= RawBLAS.splitMatrixElements, panels >= 2 else {
            run(panels: 0..<panels, x, y, relu: relu, slope: slope)
            return
        }
        let parts = Swift.min(threads, panels)
        let (sx, sy) = (UncheckedSendable(x), UncheckedSendable(y))
        WorkerPool.shared.run(parts: parts) { p in
            self.run(panels: panels * p / parts..<panels * (p + 1) / parts, sx.value, sy.value, relu: relu, slope: slope)
        }
    }

    private func run(panels: Range<Int>, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, relu: Int32, slope: Float) {
        if let bias {
            bias.withUnsafeBufferPointer { b in
                gradus_sgemv_panels(rows, columns, packed, x, b.baseAddress, relu, slope, panels.lowerBound, panels.upperBound, y)
            }
        } else {
            gradus_sgemv_panels(rows, columns, packed, x, nil, relu, slope, panels.lowerBound, panels.upperBound, y)
        }
    }
}
