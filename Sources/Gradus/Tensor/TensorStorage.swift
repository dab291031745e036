/// The element buffer behind a ``Tensor``: contiguous, 64-byte aligned memory owned by this object
/// and freed when the last tensor using it goes away.
///
/// Tensors never share a storage with a different layout: every op writes a new contiguous buffer,
/// except the in-place updates that optimizers make under ``GradMode/noGrad(_:)``.
public final class TensorStorage: @unchecked Sendable {
    /// Start of the buffer.
    public let pointer: UnsafeMutableRawPointer
    /// Size of the buffer in bytes.
    public let byteCount: Int

    /// Allocates an uninitialized buffer of `byteCount` bytes.
    public init(byteCount: Int) {
        self.byteCount = byteCount
        self.pointer = UnsafeMutableRawPointer.allocate(byteCount: max(byteCount, 1), alignment: 64)
    }

    /// Allocates a buffer of `byteCount` bytes set to zero.
    public convenience init(zeroedByteCount byteCount: Int) {
        self.init(byteCount: byteCount)
        pointer.initializeMemory(as: UInt8.self, repeating: 0, count: byteCount)
    }

    deinit { pointer.deallocate() }
}
