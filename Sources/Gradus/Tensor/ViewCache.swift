/// The contiguous copy of a strided view that kernels read.
///
/// Gradus's kernels (elementwise, reductions, convolutions, the C activation kernels) read their inputs
/// as contiguous row-major buffers. Rather than teaching each of them strides, a view that is not
/// contiguous is copied once, on first use, and the copy is reused by every later read until the
/// storage changes in place (its ``TensorStorage/version`` moves), when it is made again. This is
/// PyTorch's "make it contiguous on entry" done in one place; matrix products avoid even that copy by
/// passing transposed views to BLAS as flags (see `Tensor.blasOperand`).
///
/// Writes never go through the copy: in-place operations write into the view's storage by its strides.
final class ViewCache: @unchecked Sendable {
    private struct Copy: @unchecked Sendable {
        let version: Int
        let storage: TensorStorage
    }

    private let state = Locked<Copy?>(nil)

    /// The contiguous elements of `view`, copied from its storage if the storage changed since the last
    /// copy (or on first use).
    func contiguousPointer(of view: Tensor) -> UnsafeMutableRawPointer {
        let storage: TensorStorage = state.withLock { copy in
            let version = view.storage.version
            if let copy, copy.version == version { return copy.storage }
            let fresh = TensorStorage(byteCount: view.count * view.dtype.byteSize)
            view.copyElements(into: fresh.pointer)
            copy = Copy(version: version, storage: fresh)
            return fresh
        }
        return storage.pointer
    }
}
