import CBLAS
import Dispatch
import Synchronization

/// How many threads Gradus uses: for its own kernels and for OpenBLAS's matrix products.
///
/// The default is the number of cores. Work is split across threads only where it outweighs the cost
/// of waking a thread (about 20-40 µs here); small tensors are always done on the calling thread.
///
/// ```swift
/// Threading.count = 1   // deterministic single-thread benchmarks
/// ```
public enum Threading {
    private static let stored = Atomic<Int>(0)

    /// The number of threads (at least 1). Setting it also sets OpenBLAS's thread count.
    public static var count: Int {
        get {
            let c = stored.load(ordering: .relaxed)
            if c > 0 { return c }
            let n = max(1, Int(openblas_get_num_threads()))
            stored.store(n, ordering: .relaxed)
            return n
        }
        set {
            let n = max(1, newValue)
            stored.store(n, ordering: .relaxed)
            openblas_set_num_threads(Int32(n))
        }
    }

    /// Runs `body(range)` over `0..<total` split into contiguous chunks, on several threads when there
    /// are at least `grain` items per thread, otherwise on the calling thread.
    @inline(__always)
    static func parallelFor(_ total: Int, grain: Int, _ body: (Range<Int>) -> Void) {
        let threads = min(count, total / max(grain, 1))
        if threads <= 1 {
            body(0..<total)
            return
        }
        let chunk = (total + threads - 1) / threads
        withoutActuallyEscaping(body) { body in
            let task = UncheckedSendable(body)
            DispatchQueue.concurrentPerform(iterations: threads) { t in
                let lo = t * chunk
                let hi = Swift.min(total, lo + chunk)
                if lo < hi { task.value(lo..<hi) }
            }
        }
    }

    /// Runs `body(part, range)` for `0..<total` split into `parts` contiguous, nearly equal ranges, one
    /// per thread (on the calling thread alone when `parts` is 1). `part` numbers the ranges from 0, so
    /// that each can own a slice of scratch memory.
    static func parallelParts(_ total: Int, parts: Int, _ body: (_ part: Int, _ range: Range<Int>) -> Void) {
        let parts = Swift.max(1, Swift.min(parts, total))
        if parts == 1 {
            body(0, 0..<total)
            return
        }
        withoutActuallyEscaping(body) { body in
            let task = UncheckedSendable(body)
            DispatchQueue.concurrentPerform(iterations: parts) { p in
                task.value(p, (total * p / parts)..<(total * (p + 1) / parts))
            }
        }
    }

    /// Elements per thread below which elementwise kernels stay on one thread.
    ///
    /// Set so high that they always do: measured here (16M-element relu and a·x+b), splitting across two
    /// threads made them 1.6-3x slower. The loops are memory-bound (two threads share one memory
    /// bus), and the closure handed to Dispatch is no longer inlined into the loop, which then calls
    /// the element function indirectly. Revisit with per-dtype kernels that do not take closures.
    static let elementwiseGrain = Int.max / 4
}

/// Carries a value into concurrent work that the caller knows to be race-free (each thread touches its
/// own part of the output).
struct UncheckedSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
