/// A differentiable sum over the processes of a data-parallel job: what synchronized batch
/// normalization needs from the communication layer, so that the core library does not depend on it.
/// GradusDistributed's `ProcessGroup` conforms.
///
/// ```swift
/// final class LocalOnly: CrossProcessReduction {          // a world of one process
///     func sumAcrossProcesses(_ t: Tensor) throws -> Tensor { t }
/// }
/// batchNorm.crossProcess = LocalOnly()
/// ```
public protocol CrossProcessReduction: AnyObject, Sendable {
    /// The element-wise sum of `tensor` over all processes, as a new tensor; every process must call it
    /// with the same shape, in the same order. Differentiable: the gradient of each process's input is
    /// the sum over processes of the gradients of the result.
    ///
    /// - Parameter tensor: this process's values.
    /// - Returns: the sums, on every process.
    func sumAcrossProcesses(_ tensor: Tensor) throws -> Tensor
}
