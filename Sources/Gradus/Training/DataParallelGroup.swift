/// The processes of a data-parallel job as the ``Trainer`` sees them: which one this is, how many there
/// are, sums of a few numbers across them, and a way to keep the model's gradients averaged across them.
/// GradusDistributed's `ProcessGroup` (over MPI) conforms; the core library needs no MPI.
///
/// ```swift
/// import GradusDistributed
/// let group = try ProcessGroup.initialize()
/// try trainer.distribute(over: group)      // then fit / trainEpoch / evaluate as usual
/// ```
public protocol DataParallelGroup: CrossProcessReduction {
    /// This process's number, `0..<worldSize`.
    var rank: Int { get }
    /// The number of processes.
    var worldSize: Int { get }
    /// The element-wise sums of `values` over the processes (every process gives as many values).
    func sumAcrossProcesses(_ values: [Double]) throws -> [Double]
    /// Copies the first process's values of `tensors` into them on every process (the model's buffers,
    /// such as batch norm's running statistics, before each training step and each evaluation).
    func broadcastFromFirst(_ tensors: [Tensor]) throws
    /// Makes `module`'s parameters equal on every process (the first process's) and keeps their
    /// gradients averaged over the processes after every backward pass, for as long as the returned
    /// object lives (GradusDistributed returns its `DistributedDataParallel`).
    func synchronizeGradients(of module: Module) throws -> AnyObject
}
