#if canImport(Glibc)
import Glibc
#endif

/// A value guarded by a pthread mutex: the lock Gradus uses for its shared state (the default random
/// generator, the storage pool, view and member caches, data loaders).
///
/// Written by hand rather than taken from the standard library's `Synchronization.Mutex` because on
/// Linux that one locks through the Swift runtime's own futex calls, which ThreadSanitizer cannot see:
/// `scripts/sanitize.sh thread` then reported races between accesses that the lock orders. pthread
/// mutexes are intercepted by ThreadSanitizer, so its reports mean something again; uncontended, they
/// cost about the same.
final class Locked<Value>: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var value: Value

    init(_ value: Value) {
        self.value = value
        mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deinitialize(count: 1)
        mutex.deallocate()
    }

    /// Runs `body` with exclusive access to the value.
    @inline(__always)
    func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}
