import Foundation
import Gradus

/// Data-parallel training of a module over a ``ProcessGroup``: every rank holds a replica, computes
/// gradients on its own part of the batch, and `backward` leaves every rank with the gradients averaged
/// over all ranks — so one optimizer step per rank keeps the replicas identical. PyTorch's
/// `DistributedDataParallel`.
///
/// - When it is made, rank 0's parameters and buffers are copied to every rank (and the ranks check that
///   their models have the same parameters).
/// - Gradients are grouped into buckets of about ``bucketCapacityBytes`` (the first one at most 1 MiB)
///   in reverse order of the parameters (the order in which backward finishes them). A post-accumulate hook on every parameter
///   notes when its gradient is final; as soon as a bucket's gradients are all final, its non-blocking
///   all-reduce starts, while backward goes on with the layers below. Buckets start in the same order on
///   every rank.
/// - At the end of the backward pass, buckets still waiting (parameters that got no gradient in this
///   step) are sent too, with zeros for the missing gradients, and every reduction is waited for: when
///   `backward()` returns, the averaged gradients are in each parameter's `grad`.
/// - Inside ``noSync(_:)`` gradients only accumulate locally (gradient accumulation); the first backward
///   outside it averages the accumulated sums.
/// - A parameter that no rank used in a step keeps its `grad` untouched (nil), as it would in one
///   process — each bucket carries one flag per parameter saying whether the rank had a gradient, so
///   this costs no extra communication (PyTorch needs `find_unused_parameters` for it).
/// - Buffers (batch norm's running statistics) are copied from rank 0 before each forward pass made
///   through ``callAsFunction(_:)`` in training mode, as PyTorch's `broadcast_buffers`
///   (``synchronizeBuffers()`` does it for other calls).
/// - Its collectives run on a communicator of their own (`MPI_Comm_dup`), so they never pair with
///   other collectives of the program that ranks issue in a different order.
/// - The averaging lasts as long as this object: keep it (call the model through it); when it is
///   released its hooks are removed and gradients stay local.
///
/// ```swift
/// let group = try ProcessGroup.initialize()
/// let ddp = try DistributedDataParallel(model, group: group)
/// for (x, y) in loader {                      // each rank reads its own shard (DistributedSampler)
///     optimizer.zeroGrad()
///     crossEntropy(ddp(x), y).backward()      // gradients averaged over ranks here
///     optimizer.step()
/// }
/// ```
public final class DistributedDataParallel: @unchecked Sendable {
    /// The wrapped module (the replica of this rank).
    public let module: Module
    /// The processes that train together.
    public let group: ProcessGroup
    /// The target size of one bucket of gradients, in bytes (25 MiB by default, as in PyTorch).
    public let bucketCapacityBytes: Int
    /// Accepted for PyTorch's signature: parameters that no rank used keep their `grad` untouched in
    /// any case (see the type's description).
    public let findUnusedParameters: Bool
    /// The communicator of the gradient reductions: a duplicate of `group`'s.
    private let communication: ProcessGroup

    /// Measurements of the last synchronized backward pass.
    public struct Statistics: Sendable {
        /// How many buckets were sent during the pass (before its end), out of ``bucketCount``.
        public var bucketsStartedDuringBackward = 0
        /// How many buckets the parameters fill.
        public var bucketCount = 0
        /// Seconds spent at the end of the pass waiting for reductions that were not done yet.
        public var waitSeconds = 0.0
        /// Seconds from the first bucket's start to the end of the pass's last wait.
        public var communicationSpanSeconds = 0.0
    }

    /// Measurements of the last synchronized backward pass.
    public private(set) var statistics = Statistics()

    private let parameters: [Tensor]
    private var buckets: [Bucket] = []
    /// For each parameter: its bucket, its offset in the bucket and its flag's index, in elements.
    private var placement: [(bucket: Int, offset: Int, flag: Int)] = []
    private var hooks: [HookHandle] = []
    private var synchronizing = true
    /// A failure of ``callAsFunction(_:)``'s buffer copy, thrown by the next gradient hook.
    private var pendingError: Error? = nil
    private var pass = PassState()

    private final class Bucket {
        let dtype: DType
        let members: [Int]
        let count: Int
        var buffer: Tensor
        var ready = 0
        var work: AllReduceWork?
        // The buffer holds the members' gradients, then one flag per member (1: this rank had a
        // gradient); after the mean, a flag above 0 means some rank used the parameter.
        init(dtype: DType, members: [Int], count: Int) {
            self.dtype = dtype
            self.members = members
            self.count = count
            buffer = Tensor.zeros([count], dtype: dtype)
        }
    }

    /// Per-pass state: which parameters are final, which buckets were started.
    private struct PassState {
        var active = false
        var filled: [Bool] = []
        var nextBucket = 0
        var firstStart: UInt64 = 0
        /// The backward pass (``Autograd/backwardPassNumber``) this state belongs to.
        var number: Int? = nil
    }

    /// Wraps `module` for data-parallel training: broadcasts rank 0's parameters and buffers and registers
    /// the gradient hooks.
    ///
    /// - Parameters:
    ///   - module: this rank's replica; the same architecture on every rank.
    ///   - group: the process group.
    ///   - bucketCapacityMB: the bucket size in MiB (PyTorch's `bucket_cap_mb`, 25 by default).
    ///   - findUnusedParameters: accepted for PyTorch's signature; unused parameters are always found.
    /// - Throws: ``DistributedError`` when the ranks' models differ or a collective fails.
    ///
    /// ```swift
    /// let ddp = try DistributedDataParallel(model, group: group, bucketCapacityMB: 1)
    /// ```
    public init(_ module: Module, group: ProcessGroup, bucketCapacityMB: Double = 25, findUnusedParameters: Bool = false) throws {
        guard bucketCapacityMB.isFinite, bucketCapacityMB > 0, bucketCapacityMB <= 1_048_576 else {
            throw DistributedError(call: "DistributedDataParallel", message: "DistributedDataParallel: bucketCapacityMB must be a positive number of MiB up to 1048576, got \(bucketCapacityMB)")
        }
        self.module = module
        self.group = group
        self.bucketCapacityBytes = Int(bucketCapacityMB * 1_048_576)
        self.findUnusedParameters = findUnusedParameters
        self.parameters = module.trainableParameters()
        self.communication = try group.duplicate()

        // The ranks must hold the same model: compare every parameter's and buffer's shape, dtype,
        // layout and whether it is trained.
        let named = module.namedParameters() + module.namedBuffers()
        var signature: [Int64] = [Int64(named.count)]
        for (_, t) in named {
            signature += [Int64(t.dtype.byteSize), Int64(t.rank), t.isContiguous ? 1 : 0, t.requiresGrad ? 1 : 0] + t.shape.map(Int64.init)
        }
        let fingerprint = signature.reduce(Int64(17)) { $0 &* 1_000_003 &+ $1 }
        let all = try communication.allGatherSignatures([fingerprint, Int64(named.count)], "DistributedDataParallel")
        if let bad = all.firstIndex(where: { $0 != all[0] }) {
            throw DistributedError(call: "DistributedDataParallel", message: "DistributedDataParallel: rank \(bad)'s model (\(all[bad][1]) parameters and buffers) differs from rank 0's (\(all[0][1])) in its tensors' shapes, dtypes or trained parameters; every rank must build the same model")
        }
        // The same on every rank now (the fingerprint holds the layouts): all refuse or none does.
        for (name, t) in named where !t.isContiguous {
            throw DistributedError(call: "DistributedDataParallel", message: "DistributedDataParallel: '\(name)' is a strided view; parameters and buffers must be contiguous")
        }
        for (_, t) in named { try communication.broadcast(t, from: 0) }

        // Buckets in reverse parameter order, one dtype per bucket.
        var current: [Int] = []
        var currentBytes = 0
        var currentType: DType? = nil
        placement = Array(repeating: (0, 0, 0), count: parameters.count)
        func close() {
            guard let dtype = currentType, !current.isEmpty else { return }
            var offset = 0
            for i in current { offset += parameters[i].count }
            var start = 0
            for (k, i) in current.enumerated() {
                placement[i] = (buckets.count, start, offset + k)
                start += parameters[i].count
            }
            buckets.append(Bucket(dtype: dtype, members: current, count: offset + current.count))
            current = []
            currentBytes = 0
        }
        for i in parameters.indices.reversed() {
            let p = parameters[i]
            // As in PyTorch, the first bucket (the last layers, whose gradients are final first) holds at
            // most 1 MiB, so that communication starts early in backward.
            let capacity = buckets.isEmpty ? min(bucketCapacityBytes, 1 << 20) : bucketCapacityBytes
            if currentType != p.dtype || currentBytes + p.count * p.dtype.byteSize > capacity && !current.isEmpty {
                close()
                currentType = p.dtype
            }
            current.append(i)
            currentBytes += p.count * p.dtype.byteSize
        }
        close()
        statistics.bucketCount = buckets.count

        for (i, p) in parameters.enumerated() {
            hooks.append(p.registerPostAccumulateGradHook { [weak self] _ in try self?.gradientIsFinal(i) })
        }
    }

    deinit {
        for h in hooks { h.remove() }
    }

    /// Applies the wrapped module, when it is a ``Layer``, to `input`; in training mode rank 0's buffers
    /// are copied to every rank first.
    ///
    /// - Parameter input: this rank's part of the batch.
    /// - Returns: the module's output.
    public func callAsFunction(_ input: Tensor) -> Tensor {
        guard let layer = module as? any Layer else {
            preconditionFailure("DistributedDataParallel: \(type(of: module)) is not a Layer; call ddp.module with its own inputs")
        }
        if module.isTraining {
            // A failure here is thrown by the backward pass that follows (from the gradient hooks).
            do { try synchronizeBuffers() } catch { pendingError = error }
        }
        return layer(input)
    }

    /// Copies rank 0's buffers (batch norm's running statistics) to every rank. ``callAsFunction(_:)``
    /// does it before each training forward; call it yourself when you run the module another way.
    public func synchronizeBuffers() throws {
        for (_, t) in module.namedBuffers() { try communication.broadcast(t, from: 0) }
    }

    /// Runs `body` (forward and backward passes) with gradients accumulating only locally: no
    /// communication. The next backward outside `noSync` averages the accumulated gradients.
    /// PyTorch's `no_sync()`.
    ///
    /// ```swift
    /// ddp.noSync { criterion(ddp(x1), y1).backward() }   // local only
    /// criterion(ddp(x2), y2).backward()                   // averages the sum of both
    /// ```
    public func noSync<R>(_ body: () throws -> R) rethrows -> R {
        let previous = synchronizing
        synchronizing = false
        defer { synchronizing = previous }
        return try body()
    }

    /// Called by each parameter's hook when backward has accumulated its gradient.
    private func gradientIsFinal(_ index: Int) throws {
        if let error = pendingError {
            pendingError = nil
            throw error
        }
        guard synchronizing else { return }
        if pass.active && pass.number != Autograd.backwardPassNumber {
            // The pass that started these reductions failed before its end: its buckets may have been
            // sent on this rank and not on others, so the ranks are out of step (as PyTorch's reducer,
            // refuse rather than pair mismatched collectives).
            pass.active = false
            throw DistributedError(call: "DistributedDataParallel", message: "DistributedDataParallel: the previous backward pass failed while its gradients were being averaged, so the processes are out of step; stop the job (gradus train does) and resume from the last checkpoint")
        }
        if !pass.active { try beginPass() }
        guard !pass.filled[index] else { return }
        try fill(index, with: parameters[index].grad)
        let bucket = buckets[placement[index].bucket]
        bucket.ready += 1
        try startReadyBuckets()
        // Let MPI move the buckets already sent forward (it progresses them inside its calls).
        for b in buckets[..<pass.nextBucket] { _ = try b.work?.test() }
    }

    private func beginPass() throws {
        pass = PassState(active: true, filled: Array(repeating: false, count: parameters.count), nextBucket: 0, firstStart: 0,
                         number: Autograd.backwardPassNumber)
        statistics = Statistics(bucketCount: buckets.count)
        for b in buckets {
            b.ready = 0
            b.work = nil
            b.buffer = Tensor.zeros([b.count], dtype: b.dtype)
        }
        Autograd.queueCallback { [weak self] in try self?.finishPass() }
    }

    /// Copies a final gradient (or zeros) into its bucket.
    private func fill(_ index: Int, with gradient: Tensor?) throws {
        pass.filled[index] = true
        guard let gradient else { return }   // the buffer starts at zero, the flag too
        let (b, offset, flag) = placement[index]
        let p = parameters[index]
        let bucket = buckets[b]
        let region = bucket.buffer.slice(axis: 0, start: offset, end: offset + p.count)
        try GradusError.catching {
            GradMode.noGrad {
                region.assign(gradient.reshape([p.count]).to(bucket.dtype))
                bucket.buffer.slice(axis: 0, start: flag, end: flag + 1).fillInPlace(1)
            }
        }
    }

    /// Starts, in bucket order, every bucket whose gradients are all final.
    private func startReadyBuckets() throws {
        while pass.nextBucket < buckets.count, buckets[pass.nextBucket].ready == buckets[pass.nextBucket].members.count {
            try start(pass.nextBucket)
        }
    }

    private func start(_ b: Int) throws {
        if pass.firstStart == 0 { pass.firstStart = Self.now() }
        buckets[b].work = try communication.allReduceAsync(buckets[b].buffer, .mean)
        pass.nextBucket = b + 1
    }

    /// At the end of backward: sends the buckets still waiting, waits for all, and writes the averages.
    private func finishPass() throws {
        defer { pass.active = false }
        statistics.bucketsStartedDuringBackward = pass.nextBucket
        for i in parameters.indices where !pass.filled[i] { try fill(i, with: parameters[i].grad) }
        while pass.nextBucket < buckets.count { try start(pass.nextBucket) }
        let waitStart = Self.now()
        for b in buckets { try b.work?.wait() }
        let end = Self.now()
        statistics.waitSeconds = Double(end - waitStart) / 1e9
        statistics.communicationSpanSeconds = Double(end - pass.firstStart) / 1e9
        for (i, p) in parameters.enumerated() {
            let (b, offset, flag) = placement[i]
            // Used by some rank: its flag's mean is above zero.
            guard buckets[b].buffer.slice(axis: 0, start: flag, end: flag + 1).item(Double.self) > 0 else { continue }
            // A fresh tensor per step (the bucket's buffer is replaced next pass), so a gradient that a
            // caller keeps is never overwritten.
            p.grad = buckets[b].buffer.slice(axis: 0, start: offset, end: offset + p.count).reshape(p.shape).to(p.dtype)
        }
        for b in buckets { b.work = nil }
    }

    private static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }
}
