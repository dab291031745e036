import CMPI
import Gradus

extension ProcessGroup: CrossProcessReduction {
    /// The element-wise sum of `tensor` over the ranks, differentiably: backward sums the ranks' gradients
    /// of the result the same way (the derivative of Σ over ranks of every rank's loss). Used by
    /// synchronized batch normalization.
    ///
    /// - Parameter tensor: this rank's values; the same shape on every rank.
    /// - Returns: the sums, on every rank.
    ///
    /// ```swift
    /// let total = try group.sumAcrossProcesses(localSums)
    /// ```
    public func sumAcrossProcesses(_ tensor: Tensor) throws -> Tensor {
        var failure: Error? = nil
        let result = Autograd.function("allReduceSum", inputs: [tensor], forward: { inputs in
            let t = inputs[0].contiguous().clone()
            do { try self.allReduce(t, .sum) } catch { failure = error }
            return t
        }, backward: { [self] g, _ in
            let summed = g.contiguous().clone()
            try self.allReduce(summed, .sum)
            return [summed]
        })
        if let failure { throw failure }
        return result
    }
}

extension ProcessGroup {
    /// Takes part in the ranks' ``sumAcrossProcesses(_:)`` with `count` zeros, using no tensor operation
    /// (they do nothing in a failed error scope).
    public func sumZerosAcrossProcesses(count: Int, dtype: DType) throws {
        switch dtype {
        case .float32:
            var zeros = [Float](repeating: 0, count: count)
            try Self.check(MPI_Allreduce(gradus_mpi_in_place(), &zeros, Int32(count), gradus_mpi_float(), gradus_mpi_sum(), comm), "MPI_Allreduce")
        case .float64:
            var zeros = [Double](repeating: 0, count: count)
            try Self.check(MPI_Allreduce(gradus_mpi_in_place(), &zeros, Int32(count), gradus_mpi_double(), gradus_mpi_sum(), comm), "MPI_Allreduce")
        case .int64:
            var zeros = [Int64](repeating: 0, count: count)
            try Self.check(MPI_Allreduce(gradus_mpi_in_place(), &zeros, Int32(count), gradus_mpi_int64(), gradus_mpi_sum(), comm), "MPI_Allreduce")
        }
    }
}

extension ProcessGroup: DataParallelGroup {
    /// The element-wise sums of `values` over the ranks (``allReduce(_:_:)`` on numbers).
    public func sumAcrossProcesses(_ values: [Double]) throws -> [Double] {
        try allReduce(values, .sum)
    }

    /// Copies rank 0's values of `tensors` into them on every rank (``broadcast(_:from:)`` each).
    public func broadcastFromFirst(_ tensors: [Tensor]) throws {
        for t in tensors { try broadcast(t, from: 0) }
    }

    /// Wraps `module` in a ``DistributedDataParallel`` with the default buckets: what a ``Trainer`` does in
    /// `distribute(over:)`.
    public func synchronizeGradients(of module: Module) throws -> AnyObject {
        try DistributedDataParallel(module, group: self)
    }
}
