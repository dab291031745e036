import CBLAS
import CGradusOneDNN
#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// How many threads Gradus uses for its kernels, matrix products included.
///
/// The default is the number of online cores, or `GRADUS_NUM_THREADS` when that is set.
/// Gradus splits work over its own worker pool (`WorkerPool`) and keeps OpenBLAS on one thread: two pools spinning
/// for the same cores made two threads slower than one (see docs/benchmarks.md). Small tensors are
/// always done on the calling thread.
///
/// ```swift
/// Threading.count = 1   // deterministic single-thread benchmarks
/// ```
public enum Threading {
    private static let stored = Atomic<Int>(0)

    /// `GRADUS_NUM_THREADS` when set, otherwise the number of online cores; read once, when OpenBLAS
    /// is also set to one thread.
    private static let defaultCount: Int = {
        openblas_set_num_threads(1)
        if let v = getenv("GRADUS_NUM_THREADS"), let n = Int(String(cString: v)), n > 0 { return min(n, maximumCount) }
        return min(max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN))), maximumCount)
    }()

    /// The most threads Gradus uses, whatever is asked: a count beyond the machine's cores only adds
    /// switching, and one beyond what the system can start would stop the program in its worker pool.
    public static let maximumCount = 1024

    /// The number of threads (1 to ``maximumCount``): the calling thread's ``withCount(_:_:)`` scope
    /// when it is in one, else the process-wide count. Setting it sets the process-wide count; values
    /// outside 1…``maximumCount`` are clamped into it.
    public static var count: Int {
        get {
            let d = defaultCount   // pins OpenBLAS to one thread before anything else runs
            let scoped = gradus_thread_count_scope_get()
            if scoped > 0 { return Int(scoped) }
            let c = stored.load(ordering: .relaxed)
            return c > 0 ? c : d
        }
        set {
            _ = defaultCount
            stored.store(min(max(1, newValue), maximumCount), ordering: .relaxed)
        }
    }

    /// Runs `body` with the operations of the calling thread split over at most `count` threads
    /// (at least 1), whatever the process-wide ``count``; other threads are not affected, and the
    /// previous scope comes back when `body` returns. For a server that runs one request on one thread
    /// while others use all cores, or tests that run a path at a given thread count while other work goes on.
    ///
    /// - Parameters:
    ///   - count: the number of threads for the calling thread's operations.
    ///   - body: the work.
    ///
    /// ```swift
    /// let y = Threading.withCount(1) { model(x) }
    /// ```
    public static func withCount<R>(_ count: Int, _ body: () throws -> R) rethrows -> R {
        let saved = gradus_thread_count_scope_get()
        gradus_thread_count_scope_set(Int32(Swift.min(Swift.max(1, count), maximumCount)))
        defer { gradus_thread_count_scope_set(saved) }
        return try body()
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
        parallelParts(total, parts: threads) { _, range in body(range) }
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
        WorkerPool.shared.run(parts: parts) { p in
            body(p, (total * p / parts)..<(total * (p + 1) / parts))
        }
    }

    /// Elements per thread below which elementwise kernels stay on one thread.
    ///
    /// Set so high that they always do: the generic kernels take the element function as a closure,
    /// which is no longer inlined into a loop handed to another thread, and split across two threads
    /// they ran 1.6-3x slower (16M-element relu and a·x+b). Kernels whose loops are written out inside
    /// the parallel part split well (relu: 12 -> 34 GB/s at 2 threads; see `Tensor.reluGrain`).
    static let elementwiseGrain = Int.max / 4

    /// Elements per thread from which the elementwise operations whose loops are written out inside the
    /// part handed to each thread (same-shape and tensor-with-number operations of ElementwiseKernels.swift)
    /// are split: about 10 µs of streaming, as for ``Tensor/reluGrain``.
    static let elementwiseSplitGrain = 1 << 15

    /// Elements per thread from which optimizer updates are split across threads. Their loops are
    /// written out in the closure handed to the pool (no per-element closure call), and a large
    /// layer's parameter, gradient and state arrays are then streamed by two caches at once.
    static let optimizerGrain = 1 << 16
}

/// Carries a value into concurrent work that the caller knows to be race-free (each thread touches its
/// own part of the output).
struct UncheckedSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
