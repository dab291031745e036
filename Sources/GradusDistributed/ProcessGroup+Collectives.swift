import CMPI
import Gradus

extension ProcessGroup {
    /// Combines `tensor` across all ranks, element by element, and writes the result into it on every rank.
    ///
    /// - Parameters:
    ///   - tensor: a contiguous float32, float64 or int64 tensor of the same shape on every rank; written
    ///     in place (without recording a graph).
    ///   - operation: sum (the default), mean, max or min. Mean is for floating-point tensors.
    /// - Throws: ``DistributedError`` for a strided view, an unsupported dtype, or a failed MPI call.
    ///
    /// ```swift
    /// let correct = Tensor([Double(hits), Double(seen)], dtype: .float64)
    /// try group.allReduce(correct)        // exact counts over the ranks' shards
    /// ```
    public func allReduce(_ tensor: Tensor, _ operation: ReduceOperation = .sum) throws {
        let datatype = try Self.datatype(of: tensor, for: operation, "allReduce")
        try Self.withRawPointer(tensor, "allReduce") { pointer, count in
            try Self.forEachChunk(count, elementSize: tensor.dtype.byteSize) { start, n in
                try Self.check(MPI_Allreduce(gradus_mpi_in_place(), pointer + start * tensor.dtype.byteSize, Int32(n),
                                             datatype, operation.mpiOp, comm), "MPI_Allreduce")
            }
        }
        if operation == .mean && worldSize > 1 {
            GradMode.noGrad { _ = tensor.mulInPlace(1 / Double(worldSize)) }
        }
    }

    /// Starts combining `tensor` across ranks and returns at once; the result is in `tensor` after
    /// ``AllReduceWork/wait()``. Do not read or write `tensor` before then. Every rank must start its
    /// non-blocking collectives in the same order.
    ///
    /// - Parameters:
    ///   - tensor: as for ``allReduce(_:_:)``; at most `Int32.max` elements.
    ///   - operation: sum, mean, max or min.
    /// - Returns: the pending operation.
    ///
    /// ```swift
    /// let work = try group.allReduceAsync(bucket, .mean)
    /// computeSomethingElse()
    /// try work.wait()
    /// ```
    public func allReduceAsync(_ tensor: Tensor, _ operation: ReduceOperation = .sum) throws -> AllReduceWork {
        let datatype = try Self.datatype(of: tensor, for: operation, "allReduceAsync")
        guard tensor.count <= Int(Int32.max) else {
            throw DistributedError(call: "allReduceAsync", message: "allReduceAsync: \(tensor.count) elements exceed MPI's count limit \(Int32.max); split the tensor")
        }
        var request: MPI_Request? = gradus_mpi_request_null()
        try Self.withRawPointer(tensor, "allReduceAsync") { pointer, count in
            // The tensor is kept alive by the work object until the request completes, so its storage
            // (which never moves) outlives MPI's use of the pointer.
            try Self.check(MPI_Iallreduce(gradus_mpi_in_place(), pointer, Int32(count), datatype,
                                          operation.mpiOp, comm, &request), "MPI_Iallreduce")
        }
        return AllReduceWork(tensor: tensor, request: request, divisor: operation == .mean ? worldSize : 1)
    }

    /// Copies rank `root`'s `tensor` into `tensor` on every other rank.
    ///
    /// - Parameters:
    ///   - tensor: a contiguous tensor of the same shape and dtype on every rank; written on the others.
    ///   - root: the rank whose values are sent.
    ///
    /// ```swift
    /// for p in model.parameters() { try group.broadcast(p, from: 0) }   // same start everywhere
    /// ```
    public func broadcast(_ tensor: Tensor, from root: Int = 0) throws {
        try GradusError.throwIfRecorded()   // as for allReduce: never on a failed scope's placeholders
        guard (0..<worldSize).contains(root) else {
            throw DistributedError(call: "broadcast", message: "broadcast: root rank \(root) is outside 0..<\(worldSize)")
        }
        try Self.withRawPointer(tensor, "broadcast") { pointer, count in
            try Self.forEachChunk(count * tensor.dtype.byteSize, elementSize: 1) { start, n in
                try Self.check(MPI_Bcast(pointer + start, Int32(n), gradus_mpi_byte(), Int32(root), comm), "MPI_Bcast")
            }
        }
    }

    /// Gathers every rank's `tensor` into one tensor of shape `[worldSize] + tensor.shape` on every rank,
    /// rank `r`'s values at index `r`.
    ///
    /// - Parameter tensor: a tensor of the same shape and dtype on every rank.
    /// - Returns: the stacked tensors.
    /// - Throws: ``DistributedError`` naming the ranks when the shapes or dtypes differ.
    ///
    /// ```swift
    /// let losses = try group.allGather(Tensor([Float(loss)]))   // shape [worldSize, 1]
    /// ```
    public func allGather(_ tensor: Tensor) throws -> Tensor {
        // Every rank checks that all agree on the dtype and shape before sizing the buffer.
        let signature = [Int64(tensor.dtype.byteSize), Int64(tensor.rank)] + tensor.shape.map(Int64.init)
        let signatures = try allGatherSignatures(signature, "allGather")
        if let bad = signatures.firstIndex(where: { $0 != signature }) {
            throw DistributedError(call: "allGather", message: "allGather: rank \(bad) gives \(signatures[bad].dropFirst(2).map { Int($0) }) (element size \(signatures[bad][0])), rank \(rank) gives \(tensor.shape) (\(tensor.dtype)); all ranks must give the same shape and dtype")
        }
        let local = tensor.contiguous()
        let result = Tensor.zeros([worldSize] + tensor.shape, dtype: tensor.dtype)
        let bytes = local.count * tensor.dtype.byteSize
        guard bytes <= Int(Int32.max) else {
            throw DistributedError(call: "allGather", message: "allGather: \(bytes) bytes per rank exceed MPI's count limit; gather in pieces")
        }
        try Self.withRawPointer(local, "allGather") { source, _ in
            try Self.withRawPointer(result, "allGather") { destination, _ in
                try Self.check(MPI_Allgather(source, Int32(bytes), gradus_mpi_byte(), destination, Int32(bytes),
                                             gradus_mpi_byte(), comm), "MPI_Allgather")
            }
        }
        return result
    }

    /// Sums (or combines) a few numbers across ranks: metric counts, flags to agree on.
    ///
    /// - Parameters:
    ///   - values: the same number of values on every rank.
    ///   - operation: sum, mean, max or min.
    /// - Returns: the combined values.
    ///
    /// ```swift
    /// let total = try group.allReduce([Double(correct), Double(seen)])
    /// ```
    public func allReduce(_ values: [Double], _ operation: ReduceOperation = .sum) throws -> [Double] {
        let t = Tensor(shape: [values.count], values: values, dtype: .float64)
        try allReduce(t, operation)
        return t.scalars(as: Double.self)
    }

    /// Gathers a short integer array from every rank (used to check that ranks agree before a collective).
    func allGatherSignatures(_ signature: [Int64], _ op: String) throws -> [[Int64]] {
        try GradusError.throwIfRecorded()
        // First the lengths, so that a rank with a different rank-of-tensor does not overrun the buffer.
        var length = Int64(signature.count)
        var lengths = [Int64](repeating: 0, count: worldSize)
        try Self.check(MPI_Allgather(&length, 1, gradus_mpi_int64(), &lengths, 1, gradus_mpi_int64(), comm), "MPI_Allgather")
        let longest = Int(lengths.max() ?? 0)
        guard longest <= 64 else {
            throw DistributedError(call: op, message: "\(op): a rank gives a tensor of rank \(longest - 2); at most 62 dimensions")
        }
        var padded = signature + [Int64](repeating: -1, count: longest - signature.count)
        var all = [Int64](repeating: 0, count: longest * worldSize)
        try Self.check(MPI_Allgather(&padded, Int32(longest), gradus_mpi_int64(), &all, Int32(longest), gradus_mpi_int64(), comm), "MPI_Allgather")
        return (0..<worldSize).map { r in Array(all[(r * longest)..<(r * longest + Int(lengths[r]))]) }
    }

    static func datatype(of tensor: Tensor, for operation: ReduceOperation, _ op: String) throws -> MPI_Datatype {
        // A collective never runs on what a failed scope's operations returned (empty placeholders): the
        // scope's error is thrown instead, and the launcher ends the other ranks when this one exits.
        try GradusError.throwIfRecorded()
        switch tensor.dtype {
        case .float32: return gradus_mpi_float()
        case .float64: return gradus_mpi_double()
        case .int64:
            guard operation != .mean else {
                throw DistributedError(call: op, message: "\(op): the mean of an int64 tensor is not an integer; reduce with .sum and divide, or use a floating-point tensor")
            }
            return gradus_mpi_int64()
        }
    }

    /// Calls `body` with the tensor's first byte, for writing, without recording a graph.
    static func withRawPointer<R>(_ tensor: Tensor, _ op: String, _ body: (UnsafeMutableRawPointer, Int) throws -> R) throws -> R {
        guard tensor.isContiguous else {
            throw DistributedError(call: op, message: "\(op): the tensor is a strided view (shape \(tensor.shape), strides \(tensor.strides)); pass a contiguous tensor (contiguous()) and copy the result back")
        }
        return try GradMode.noGrad {
            switch tensor.dtype {
            case .float32: return try tensor.withUnsafeMutableBufferPointer(as: Float.self) { try body(UnsafeMutableRawPointer($0.baseAddress ?? UnsafeMutablePointer(bitPattern: 16)!), $0.count) }
            case .float64: return try tensor.withUnsafeMutableBufferPointer(as: Double.self) { try body(UnsafeMutableRawPointer($0.baseAddress ?? UnsafeMutablePointer(bitPattern: 16)!), $0.count) }
            case .int64: return try tensor.withUnsafeMutableBufferPointer(as: Int64.self) { try body(UnsafeMutableRawPointer($0.baseAddress ?? UnsafeMutablePointer(bitPattern: 16)!), $0.count) }
            }
        }
    }

    /// Splits `count` elements into pieces that MPI's 32-bit counts can address.
    static func forEachChunk(_ count: Int, elementSize: Int, _ body: (Int, Int) throws -> Void) throws {
        let limit = Int(Int32.max)
        var start = 0
        repeat {
            let n = min(limit, count - start)
            try body(start, n)
            start += n
        } while start < count
    }
}
