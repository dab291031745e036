import CMPI
import Gradus

/// A non-blocking all-reduce started by ``ProcessGroup/allReduceAsync(_:_:)``: the tensor holds the
/// combined values once ``wait()`` returns.
///
/// ```swift
/// let work = try group.allReduceAsync(gradients, .mean)
/// // … more backward work …
/// try work.wait()
/// ```
public final class AllReduceWork: @unchecked Sendable {
    /// The tensor being reduced (kept alive until the operation completes).
    public let tensor: Tensor
    private var request: MPI_Request?
    private let divisor: Int
    private var finished = false

    init(tensor: Tensor, request: MPI_Request?, divisor: Int) {
        self.tensor = tensor
        self.request = request
        self.divisor = divisor
    }

    /// Whether the operation has completed; also lets MPI progress it (MPI moves non-blocking
    /// collectives forward inside its calls). Does not block.
    public func test() throws -> Bool {
        if finished { return true }
        var flag: Int32 = 0
        try ProcessGroup.check(MPI_Test(&request, &flag, gradus_mpi_status_ignore()), "MPI_Test")
        if flag != 0 { complete() }
        return finished
    }

    /// Blocks until the operation has completed; the result is then in ``tensor``.
    public func wait() throws {
        if finished { return }
        try ProcessGroup.check(MPI_Wait(&request, gradus_mpi_status_ignore()), "MPI_Wait")
        complete()
    }

    private func complete() {
        finished = true
        if divisor > 1 { GradMode.noGrad { _ = tensor.mulInPlace(1 / Double(divisor)) } }
    }

    deinit {
        // An operation dropped before completion must still finish before the tensor's memory goes.
        if !finished { MPI_Wait(&request, gradus_mpi_status_ignore()) }
    }
}
