
/// Reuses large element buffers instead of returning them to the system.
///
/// A training step allocates the same sizes every iteration. Buffers of 64 KiB and more come from
/// `mmap` in glibc, so each fresh one costs a page fault per 4 KiB on first touch (a 64 MiB buffer:
/// 16,384 faults, several milliseconds). Keeping freed buffers by size and handing them out again makes
/// steady-state allocation nearly free. The pool holds at most ``capacityBytes`` in total.
enum StoragePool {
    /// Buffers smaller than this are left to malloc, which is fast for them.
    static let minimumBytes = 1 << 16
    /// The most memory kept for reuse.
    static let capacityBytes = 1 << 30

    private struct State {
        var free: [Int: [UncheckedSendable<UnsafeMutableRawPointer>]] = [:]
        var heldBytes = 0
    }

    private static let state = Locked(State())

    /// Rounds a request so that nearby sizes share buffers.
    @inline(__always)
    static func bucket(_ byteCount: Int) -> Int { (byteCount + 4095) & ~4095 }

    static func take(_ bucket: Int) -> UnsafeMutableRawPointer? {
        state.withLock { s in
            guard var list = s.free[bucket], let p = list.popLast() else { return nil }
            s.free[bucket] = list
            s.heldBytes -= bucket
            return p.value
        }
    }

    /// Keeps `pointer` for reuse, or returns false when the pool is full (the caller frees it).
    static func give(_ pointer: UnsafeMutableRawPointer, _ bucket: Int) -> Bool {
        let block = UncheckedSendable(pointer)
        return state.withLock { s in
            guard s.heldBytes + bucket <= capacityBytes else { return false }
            s.free[bucket, default: []].append(block)
            s.heldBytes += bucket
            return true
        }
    }

    /// Frees every pooled buffer (for memory measurements and tests).
    static func drain() {
        let all = state.withLock { s -> [UnsafeMutableRawPointer] in
            let ptrs = s.free.values.flatMap { $0 }.map { $0.value }
            s.free = [:]
            s.heldBytes = 0
            return ptrs
        }
        for p in all { p.deallocate() }
    }

    /// Bytes currently held for reuse.
    static var heldBytes: Int { state.withLock { $0.heldBytes } }
}
