#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// The element buffer behind a ``Tensor``: contiguous memory owned by this object (64-byte aligned from
/// 64 KiB up, 16-byte below)
/// and released when the last tensor using it goes away (large buffers go back to a pool for reuse).
///
/// Tensors never share a storage with a different layout: every op writes a new contiguous buffer,
/// except reshapes and ``Tensor/detach()``, which share their input's storage. In-place operations
/// (``Tensor/assign(_:)`` and the other `…InPlace` methods, optimizer steps, ``Module/loadStateDict(_:strict:)``)
/// write into it and count a new ``version``.
public final class TensorStorage: @unchecked Sendable {
    /// Start of the buffer. Internal: outside the library, memory is reached through
    /// ``Tensor/withUnsafeBufferPointer(as:_:)`` and ``Tensor/withUnsafeMutableBufferPointer(as:_:)``,
    /// which keep the owner alive while the pointer is used.
    let pointer: UnsafeMutableRawPointer
    /// Size of the buffer in bytes.
    public let byteCount: Int
    /// How many times the elements were changed in place (PyTorch's `_version`). A recorded operation
    /// notes the versions of its inputs; the backward pass refuses to use a tensor whose version moved
    /// since, because its gradient rule would read the new values.
    public var version: Int { versionCounter.load(ordering: .relaxed) }
    /// An atomic rather than a stored `var`: every recorded operation reads it, and a class's `var`
    /// costs a dynamic exclusivity check on each access (measured: 7% of a linreg_step).
    let versionCounter = Atomic<Int>(0)

    /// Counts one in-place change.
    @inline(__always)
    func bumpVersion() { versionCounter.wrappingAdd(1, ordering: .relaxed) }
    /// The backward pass that last handed this storage to a leaf as its gradient (or took it as the
    /// seed): a second leaf given the same storage in that pass gets a copy (see ``Autograd``).
    @exclusivity(unchecked) var gradientPass = 0
    private let pooledBucket: Int

    /// Allocates an uninitialized buffer of `byteCount` bytes.
    public init(byteCount: Int) {
        self.byteCount = byteCount
        if byteCount >= StoragePool.minimumBytes {
            let bucket = StoragePool.bucket(byteCount)
            pooledBucket = bucket
            pointer = StoragePool.take(bucket) ?? UnsafeMutableRawPointer.allocate(byteCount: bucket, alignment: 64)
        } else {
            // Small buffers: malloc's own 16-byte alignment (asking for 64 goes through the slower
            // memalign path, measurable on one-element tensors).
            pooledBucket = 0
            pointer = UnsafeMutableRawPointer.allocate(byteCount: Swift.max(byteCount, 1), alignment: 16)
        }
    }

    /// Allocates an uninitialized buffer of `byteCount` bytes, or throws when the system refuses the
    /// memory (``GradusError/Kind/outOfMemory``) instead of stopping, as Swift's allocation does. For
    /// buffers whose size comes from a caller's shape (``Tensor/zeros(_:dtype:)`` and the other creation
    /// functions).
    ///
    /// - Parameters:
    ///   - byteCount: the size in bytes.
    ///   - op: the operation named in the error.
    init(allocatingOrThrowing byteCount: Int, op: String) throws {
        // Larger than RAM and swap together: it could never be filled, whatever the allocator promises
        // (with overcommit it may promise, and the process is killed when the pages are touched).
        guard byteCount <= TensorStorage.physicalMemoryBytes else {
            throw GradusError(.outOfMemory, "\(op): cannot allocate \(byteCount) bytes (\(MemoryBudget.describe(byteCount))), more than this machine's memory (\(MemoryBudget.describe(TensorStorage.physicalMemoryBytes)))")
        }
        self.byteCount = byteCount
        let bucket = byteCount >= StoragePool.minimumBytes ? StoragePool.bucket(byteCount) : 0
        if bucket > 0, let pooled = StoragePool.take(bucket) {
            pooledBucket = bucket
            pointer = pooled
            return
        }
        // Swift's own deallocation frees with free(3) on Linux, the match of posix_memalign.
        var raw: UnsafeMutableRawPointer?
        let status = posix_memalign(&raw, bucket > 0 ? 64 : 16, Swift.max(bucket > 0 ? bucket : byteCount, 1))
        guard status == 0, let raw else {
            throw GradusError(.outOfMemory, "\(op): cannot allocate \(byteCount) bytes (\(MemoryBudget.describe(byteCount)))")
        }
        pooledBucket = bucket
        pointer = raw
    }

    /// The machine's memory in bytes, RAM and swap together (`Int.max` when the system does not say): no
    /// buffer larger than this can ever be filled.
    static let physicalMemoryBytes: Int = {
        let pages = sysconf(Int32(_SC_PHYS_PAGES)), size = sysconf(Int32(_SC_PAGESIZE))
        guard pages > 0, size > 0 else { return Int.max }
        let (ram, overflow) = pages.multipliedReportingOverflow(by: size)
        guard !overflow else { return Int.max }
        let (total, sumOverflow) = ram.addingReportingOverflow(swapBytes())   // /proc/meminfo read once
        return sumOverflow ? Int.max : total
    }()

    /// The swap space in bytes, from the `SwapTotal:` line of /proc/meminfo (0 when it cannot be read).
    private static func swapBytes() -> Int {
        guard let file = fopen("/proc/meminfo", "r") else { return 0 }
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 256)
        while fgets(&line, Int32(line.count), file) != nil {
            let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            guard text.hasPrefix("SwapTotal:") else { continue }
            let kilobytes = text.dropFirst("SwapTotal:".count).split(separator: " ").first.flatMap { Int($0) } ?? 0
            return kilobytes > 0 && kilobytes < Int.max / 1024 ? kilobytes * 1024 : 0
        }
        return 0
    }

    /// Allocates a buffer of `byteCount` bytes set to zero.
    public convenience init(zeroedByteCount byteCount: Int) {
        self.init(byteCount: byteCount)
        TensorStorage.zeroFill(pointer, byteCount: byteCount)
    }

    /// Sets `byteCount` bytes at `pointer` to zero, split over the threads from
    /// ``Threading/elementwiseSplitGrain`` floats' worth of bytes per thread (a gradient buffer that
    /// slices are added into: 6 MB per Transformer layer at transformer_l128's size).
    static func zeroFill(_ pointer: UnsafeMutableRawPointer, byteCount: Int) {
        let target = UncheckedSendable(pointer)
        // Parts of whole 64-byte lines, so that two threads never write one line.
        let lines = (byteCount + 63) / 64
        Threading.parallelFor(lines, grain: Threading.elementwiseSplitGrain * 4 / 64) { range in
            let lo = range.lowerBound * 64, hi = Swift.min(byteCount, range.upperBound * 64)
            if hi > lo { (target.value + lo).initializeMemory(as: UInt8.self, repeating: 0, count: hi - lo) }
        }
    }

    deinit {
        if pooledBucket == 0 || !StoragePool.give(pointer, pooledBucket) { pointer.deallocate() }
    }
}

extension Tensor {
    /// Returns the buffers Gradus keeps for reuse to the system. Useful before measuring memory.
    ///
    /// ```swift
    /// Tensor.releaseCachedMemory()
    /// ```
    public static func releaseCachedMemory() { StoragePool.drain() }

    /// Bytes of freed tensor buffers that Gradus keeps for reuse.
    public static var cachedMemoryBytes: Int { StoragePool.heldBytes }
}
