/// A differentiable sum over the processes of a data-parallel job: what synchronized batch
/// normalization needs from the communication layer, so that the core library does not depend on it.
/// GradusDistributed's `ProcessGroup` conforms.
///
/// ```swift
/// final class LocalOnly: CrossProcessReduction {          // a world of one process
///     func sumAcrossProcesses(_ t: Tensor) throws -> Tensor { t }
///     func sumZerosAcrossProcesses(count: Int, dtype: DType) throws {}
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
    /// Takes part in one ``sumAcrossProcesses(_:)`` of the other processes with `count` zeros of `dtype`,
    /// without computing anything: what a layer does when the pass failed on this process, so that the
    /// others are not left waiting in the reduction.
    func sumZerosAcrossProcesses(count: Int, dtype: DType) throws
}

/// Counts the reductions a layer made, so that it can make the missing ones when its computation failed.
final class CountingReduction: CrossProcessReduction, @unchecked Sendable {
    let base: any CrossProcessReduction
    private(set) var calls = 0

    init(_ base: any CrossProcessReduction) { self.base = base }

    func sumAcrossProcesses(_ tensor: Tensor) throws -> Tensor {
        calls += 1
        return try base.sumAcrossProcesses(tensor)
    }

    func sumZerosAcrossProcesses(count: Int, dtype: DType) throws {
        calls += 1
        try base.sumZerosAcrossProcesses(count: count, dtype: dtype)
    }
}
