import CGradusMath

/// A quantized weight `[outputs, inputs]` packed once for one-sample products: panels of 16 output rows,
/// four inputs per lane (`gradus_s8_pack_panels`), the layout AVX512-VNNI's dot products read with one
/// load per 16 rows × 4 inputs. Immutable after init.
final class PackedInt8Panels: @unchecked Sendable {
    /// 64-byte aligned, `gradus_s8_panels_count(outputs, inputs)` bytes.
    let pointer: UnsafeMutablePointer<Int8>

    /// Packs `values` (`[outputs, inputs]` row-major).
    init(_ values: [Int8], outputs: Int, inputs: Int) {
        let count = Swift.max(gradus_s8_panels_count(outputs, inputs), 1)
        pointer = UnsafeMutableRawPointer.allocate(byteCount: count, alignment: 64).bindMemory(to: Int8.self, capacity: count)
        values.withUnsafeBufferPointer { gradus_s8_pack_panels(outputs, inputs, $0.baseAddress, pointer) }
    }

    deinit { pointer.deallocate() }
}
