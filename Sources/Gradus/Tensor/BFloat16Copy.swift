import CGradusOneDNN
import Synchronization

/// A Float32 tensor's elements rounded to bfloat16 once, for the bfloat16 products that read them
/// (``Float32ProductPrecision/medium``).
///
/// Products used to round both operands themselves, each time: a batched product (attention's per-head
/// ones) rounded its operands once per matrix of the batch, and a backward rule rounded the output
/// gradient once for each of its two products. Now an operand is rounded once per operation
/// (``Tensor/matmulCore(_:_:transA:transB:rounding:)``, ``Tensor/linear(_:weight:bias:)``), and a
/// backward rule's products share one copy of the output gradient (``BFloat16Copies``).
///
/// Tried and not kept: the forward products keeping their copies for the backward rule (as PyTorch's
/// autocast saves its casts), which rounds a linear layer's operands 3 times instead of 5 per step:
/// transformer_l128_bf16 ran no faster (1 and 2 threads, 8 alternating runs: within 1%; the rounding's
/// share of the step fell, the products' grew, reading the kept copies from memory instead of freshly
/// rounded ones from cache), and the copies held 0.5× the memory of every saved product input.
///
/// A copy knows the storage, place and ``TensorStorage/version`` it was rounded from, and serves a
/// tensor only while all three are the same (``holds(_:)``): values written in place since are
/// rounded again.
final class BFloat16Copy: @unchecked Sendable {
    /// The rounded values, in the order of the source's elements.
    private let values: TensorStorage
    /// Where they came from; nil for a strided view (rounded from its contiguous copy, never reused).
    private let source: TensorStorage?
    private let byteOffset: Int
    private let count: Int
    private let version: Int

    /// Rounds the elements of the Float32 `tensor` (in its logical order) to bfloat16, over the threads
    /// when there are many.
    convenience init(rounding tensor: Tensor) {
        invariant(tensor.dtype == .float32, "BFloat16Copy: a \(tensor.dtype) tensor reached bfloat16 rounding")
        self.init(tensor) { BFloat16Product.round(tensor.pointer(Float.self), count: tensor.count, into: $0) }
    }

    /// Rounds the contiguous Float32 matrix `matrix` (`[rows, columns]`) as ``init(rounding:)`` does and
    /// writes each column's sum over the rows into the contiguous Float32 `sums` (`[columns]`), in one
    /// pass: the sums are Float32 additions from 0 in row order within blocks of 128 rows, the blocks'
    /// totals added in Float64 — the bits ``Tensor/sum(axes:keepDims:)`` gives. Split over the threads by bands of columns when there are many values.
    convenience init(rounding matrix: Tensor, columnSumsInto sums: Tensor) {
        invariant(matrix.dtype == .float32 && matrix.rank == 2 && matrix.isContiguous && sums.dtype == .float32
                  && sums.isContiguous && sums.count == matrix.shape[1],
                  "BFloat16Copy: column sums of \(matrix.shape) (\(matrix.dtype)) into \(sums.shape) (\(sums.dtype))")
        let (rows, columns) = (matrix.shape[0], matrix.shape[1])
        let parts = matrix.count >= BFloat16Product.parallelRoundingCount ? Swift.min(Threading.count, Swift.max(1, columns / 64)) : 1
        let (from, total) = (UncheckedSendable(matrix.pointer(Float.self)), UncheckedSendable(sums.pointer(Float.self)))
        self.init(matrix) { out in
            let to = UncheckedSendable(out)
            WorkerPool.shared.run(parts: parts) { p in
                // Bands of whole 16-column groups (the kernel's vector width), the last one taking the rest.
                let lo = columns * p / parts / 16 * 16
                let hi = p == parts - 1 ? columns : columns * (p + 1) / parts / 16 * 16
                if hi > lo { gradus_round_to_bf16_column_sums(from.value, rows, columns, lo, hi, to.value, total.value, -1) }
            }
        }
        withExtendedLifetime(sums) {}
    }

    /// A copy of `tensor`'s place and version whose values `round` writes (`tensor.count` of them).
    private init(_ tensor: Tensor, round: (UnsafeMutablePointer<UInt16>) -> Void) {
        count = tensor.count
        values = TensorStorage(byteCount: Swift.max(1, count) * 2)
        source = tensor.viewStrides == nil ? tensor.storage : nil
        byteOffset = tensor.byteOffset
        version = tensor.storage.version
        round(values.pointer.assumingMemoryBound(to: UInt16.self))
        withExtendedLifetime(tensor) {}
        KernelTesting.bfloat16Roundings?.count.add(1, ordering: .relaxed)
    }

    /// The rounded values; element i of the source is element i here.
    var pointer: UnsafePointer<UInt16> { UnsafePointer(values.pointer.assumingMemoryBound(to: UInt16.self)) }

    /// Whether this copy holds `tensor`'s current elements: `tensor` is contiguous and starts at the same
    /// place of the same storage, has as many elements, and nothing was written into the storage since
    /// the rounding. (Reshapes and the stored matrix behind a transposed view are held by the same copy.)
    func holds(_ tensor: Tensor) -> Bool {
        guard let source, tensor.viewStrides == nil else { return false }
        return tensor.storage === source && tensor.byteOffset == byteOffset && tensor.count == count
            && source.version == version
    }
}

/// The bfloat16 copies that the products of one operation share (a backward rule's two gradient
/// products): each tensor is rounded the first time a product asks for it.
final class BFloat16Copies: @unchecked Sendable {
    private let copies: Mutex<[BFloat16Copy]>

    init() { copies = Mutex([]) }

    /// The copy of `tensor` held here, else a new one, kept for the next product that asks.
    func copy(of tensor: Tensor) -> BFloat16Copy {
        if let found = copies.withLock({ $0.first { $0.holds(tensor) } }) { return found }
        let made = BFloat16Copy(rounding: tensor)
        copies.withLock { $0.append(made) }
        return made
    }

    /// The sums over the rows of each column of the contiguous Float32 matrix `matrix` (`[rows, columns]`),
    /// computed while rounding it for the products that will ask for its copy here: a linear layer's
    /// bias gradient from the output gradient that its two gradient products read.
    func columnSums(rounding matrix: Tensor) -> Tensor {
        let sums = Tensor(uninitializedShape: [matrix.shape[1]], dtype: .float32)
        let made = BFloat16Copy(rounding: matrix, columnSumsInto: sums)
        copies.withLock { $0.append(made) }
        return sums
    }
}
