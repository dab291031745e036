import CGradusOneDNN
import CGradusMath
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#else
import Darwin
#endif

/// Gradus's own threads: every multi-threaded kernel (matrix products included, OpenBLAS itself runs
/// single-threaded) splits its work here, so that no two thread pools compete for the cores.
///
/// A job has one part per participating thread: the caller runs part 0 and worker `i` runs part `i + 1`.
/// Each worker has its own mailbox (a sequence number). After a job a worker spins on its mailbox for a
/// short while, so that the next job of a training step starts within about a microsecond, then sleeps
/// on a condition variable. One job runs at a time: a caller that finds the pool busy (another thread's
/// job, or a part of a job that splits again) runs its parts itself, one after another.
final class WorkerPool: @unchecked Sendable {
    /// The process-wide pool.
    static let shared = WorkerPool()

    /// `pause` instructions a worker spins for before it sleeps: at about 14 ns each here, 0.7 ms,
    /// longer than the gaps between the parallel kernels of a training step (with 28 µs, workers fell
    /// asleep within the MLP step and waking them cost more than the split saved).
    static let spinIterations = 50_000

    /// One worker's mailbox.
    private final class Worker: @unchecked Sendable {
        /// The sequence number of the last job posted to this worker.
        let posted = Atomic<Int>(0)
        /// The sequence number of the last job this worker finished.
        let done = Atomic<Int>(0)
        /// Set while the worker waits (or is about to wait) on `condition`.
        let sleeping = Atomic<Bool>(false)
        let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

        init() {
            pthread_mutex_init(mutex, nil)
            pthread_cond_init(condition, nil)
        }
    }

    /// What a new thread needs to start its loop.
    private final class Start {
        let pool: WorkerPool, worker: Worker, part: Int
        init(pool: WorkerPool, worker: Worker, part: Int) { (self.pool, self.worker, self.part) = (pool, worker, part) }
    }

    /// Held by the thread whose job is running.
    private let busy = Atomic<Bool>(false)
    /// Grown only by the holder of `busy`.
    private var workers: [Worker] = []
    /// The running job's body; set and cleared by the holder of `busy`, read by workers in between.
    private var job: ((Int) -> Void)?
    /// The caller's Float32 product precision scope (``MatrixProductBackend/withFloat32Precision(_:_:)``),
    /// which the workers take for the job's parts.
    private var jobPrecisionScope: Int32 = 0
    /// The caller's choice of plain C kernels (tests; ``KernelTesting``), which the workers take too.
    private var jobPortableKernels: Int32 = 0
    private var sequence = 0

    /// Runs `body(0)`, …, `body(parts − 1)`, concurrently when the pool is free, and returns when all
    /// are done.
    func run(parts: Int, _ body: (Int) -> Void) {
        guard parts > 1,
              busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
            for p in 0..<parts { body(p) }
            return
        }
        defer { busy.store(false, ordering: .releasing) }
        while workers.count < parts - 1 { startWorker() }
        sequence += 1
        let seq = sequence
        jobPrecisionScope = gradus_precision_scope_get()
        jobPortableKernels = gradus_portable_kernels_get()
        withoutActuallyEscaping(body) { body in
            job = body
            for i in 0..<(parts - 1) { post(seq, to: workers[i]) }
            body(0)
            for i in 0..<(parts - 1) {
                let w = workers[i]
                while w.done.load(ordering: .acquiring) != seq { gradus_cpu_relax() }
            }
            job = nil
        }
    }

    private func post(_ seq: Int, to w: Worker) {
        // Sequentially consistent with the worker's `sleeping` store and `posted` load: either it sees
        // the new job before waiting, or this sees it sleeping and wakes it (under its mutex).
        w.posted.store(seq, ordering: .sequentiallyConsistent)
        if w.sleeping.load(ordering: .sequentiallyConsistent) {
            pthread_mutex_lock(w.mutex)
            pthread_cond_signal(w.condition)
            pthread_mutex_unlock(w.mutex)
        }
    }

    private func startWorker() {
        let worker = Worker()
        workers.append(worker)
        let start = Unmanaged.passRetained(Start(pool: self, worker: worker, part: workers.count)).toOpaque()
        var thread = pthread_t()
        let rc = pthread_create(&thread, nil, { raw in
            let start = Unmanaged<Start>.fromOpaque(raw!).takeRetainedValue()
            start.pool.workerLoop(start.worker, part: start.part)
        }, start)
        invariant(rc == 0, "WorkerPool: could not start a worker thread (pthread_create returned \(rc))")
        pthread_detach(thread)
    }

    private func workerLoop(_ w: Worker, part: Int) -> Never {
        var seen = 0
        while true {
            var spins = 0
            var seq = w.posted.load(ordering: .acquiring)
            while seq == seen {
                if spins < Self.spinIterations {
                    spins &+= 1
                    gradus_cpu_relax()
                } else {
                    pthread_mutex_lock(w.mutex)
                    w.sleeping.store(true, ordering: .sequentiallyConsistent)
                    while w.posted.load(ordering: .sequentiallyConsistent) == seen {
                        pthread_cond_wait(w.condition, w.mutex)
                    }
                    w.sleeping.store(false, ordering: .relaxed)
                    pthread_mutex_unlock(w.mutex)
                }
                seq = w.posted.load(ordering: .acquiring)
            }
            seen = seq
            runPart(part)
            w.done.store(seq, ordering: .releasing)
        }
    }

    /// Calls the job's body in its own frame, so that the worker's reference to it is released before
    /// the worker reports the part done (the caller's `withoutActuallyEscaping` checks that).
    @inline(never)
    private func runPart(_ part: Int) {
        gradus_precision_scope_set(jobPrecisionScope)
        gradus_portable_kernels_set(jobPortableKernels)
        job!(part)
    }
}
