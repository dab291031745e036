import CMPI

/// How ``ProcessGroup/allReduce(_:_:)`` combines the ranks' values, element by element.
public enum ReduceOperation: String, Sendable, CaseIterable {
    /// The sum over ranks.
    case sum
    /// The mean over ranks (the sum divided by the world size).
    case mean
    /// The largest value over ranks.
    case max
    /// The smallest value over ranks.
    case min

    var mpiOp: MPI_Op {
        switch self {
        case .sum, .mean: return gradus_mpi_sum()
        case .max: return gradus_mpi_max()
        case .min: return gradus_mpi_min()
        }
    }
}
