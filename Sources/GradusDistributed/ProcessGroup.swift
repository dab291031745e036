import CMPI
import Foundation
import Gradus

/// The processes of one data-parallel job, connected by MPI: each knows its ``rank``, the ``worldSize``
/// and its ``localRank`` on its machine, and they exchange tensors with collective operations
/// (``allReduce(_:_:)``, ``broadcast(_:from:)``, ``allGather(_:)``, ``barrier()``).
///
/// Start the processes with Open MPI's launcher, on one machine or on several (a hostfile names them);
/// every process runs the same program and calls ``initialize()`` once:
///
/// ```sh
/// mpirun -np 2 ./my-trainer
/// ```
/// ```swift
/// let group = try ProcessGroup.initialize()
/// let t = Tensor([Float(group.rank)])
/// try group.allReduce(t, .sum)            // every rank now holds 0 + 1 + … + (worldSize − 1)
/// ```
///
/// MPI errors come back as ``DistributedError`` naming the MPI call (the group sets `MPI_ERRORS_RETURN`).
/// Collective calls must be made by every rank, in the same order. A program run without `mpirun` is a
/// group of one process, in which every collective returns its input.
public final class ProcessGroup: @unchecked Sendable {
    /// This process's number, 0 ..< ``worldSize``. Rank 0 conventionally prints and writes files.
    public let rank: Int
    /// How many processes the job has.
    public let worldSize: Int
    /// This process's number among the processes on the same machine (to choose a device or a core set).
    public let localRank: Int
    /// How many of the job's processes run on this machine.
    public let localWorldSize: Int
    /// The name of this process's machine, as MPI reports it.
    public let processorName: String

    let comm: MPI_Comm

    nonisolated(unsafe) private static var shared: ProcessGroup?
    private static let lock = NSLock()

    /// Whether this process was started by an MPI launcher (`mpirun`, `mpiexec`, `srun` with PMIx):
    /// read from the environment that launchers set, without initializing MPI.
    public static var isLaunchedByMPI: Bool {
        let env = ProcessInfo.processInfo.environment
        return ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK", "MPI_LOCALNRANKS"].contains { env[$0] != nil }
    }

    /// Initializes MPI (once per process) and returns the group of all the job's processes. Later calls
    /// return the same group.
    ///
    /// - Returns: the world group.
    /// - Throws: ``DistributedError`` when MPI cannot be initialized or was finalized already.
    ///
    /// ```swift
    /// let group = try ProcessGroup.initialize()
    /// if group.rank == 0 { print("training on \(group.worldSize) processes") }
    /// ```
    public static func initialize() throws -> ProcessGroup {
        lock.lock()
        defer { lock.unlock() }
        var finalized: Int32 = 0
        MPI_Finalized(&finalized)
        if let shared, finalized == 0 { return shared }
        guard finalized == 0 else {
            throw DistributedError(call: "MPI_Init_thread", message: "ProcessGroup.initialize: MPI was already finalized in this process; it can be initialized only once")
        }
        var initialized: Int32 = 0
        MPI_Initialized(&initialized)
        if initialized == 0 {
            // A process waiting in a collective yields its core instead of spinning on it, unless the
            // user chose otherwise: with as many processes as cores and anything else running (or more
            // processes than cores), spinning ranks starve the rank they wait for — measured on 2 cores
            // beside a compiler: 8,600 samples/s spinning against 33,000 yielding (ddp_mlp_sgd_b64).
            setenv("OMPI_MCA_mpi_yield_when_idle", "1", 0)
            var provided: Int32 = 0
            // Serialized: collectives may be issued from whichever thread runs backward, one at a time.
            try check(MPI_Init_thread(nil, nil, gradus_mpi_thread_serialized(), &provided), "MPI_Init_thread")
            guard provided >= gradus_mpi_thread_serialized() else {
                throw DistributedError(call: "MPI_Init_thread", message: "ProcessGroup.initialize: this MPI library offers thread level \(provided), below MPI_THREAD_SERIALIZED, which Gradus needs (backward may run on another thread than the one that initialized MPI)")
            }
        }
        guard let world = gradus_mpi_comm_world() else {
            throw DistributedError(call: "MPI_COMM_WORLD", message: "ProcessGroup.initialize: MPI has no world communicator")
        }
        try check(MPI_Comm_set_errhandler(world, gradus_mpi_errors_return()), "MPI_Comm_set_errhandler")
        var rank: Int32 = 0, size: Int32 = 0
        try check(MPI_Comm_rank(world, &rank), "MPI_Comm_rank")
        try check(MPI_Comm_size(world, &size), "MPI_Comm_size")
        var node: MPI_Comm? = gradus_mpi_comm_null()
        try check(MPI_Comm_split_type(world, gradus_mpi_comm_type_shared(), rank, gradus_mpi_info_null(), &node), "MPI_Comm_split_type")
        var localRank: Int32 = 0, localSize: Int32 = 1
        try check(MPI_Comm_rank(node, &localRank), "MPI_Comm_rank")
        try check(MPI_Comm_size(node, &localSize), "MPI_Comm_size")
        MPI_Comm_free(&node)
        var nameBuffer = [CChar](repeating: 0, count: Int(MPI_MAX_PROCESSOR_NAME) + 1)
        var nameLength: Int32 = 0
        MPI_Get_processor_name(&nameBuffer, &nameLength)
        let group = ProcessGroup(comm: world, rank: Int(rank), worldSize: Int(size), localRank: Int(localRank),
                                 localWorldSize: Int(localSize),
                                 processorName: String(decoding: nameBuffer.prefix(Int(nameLength)).map { UInt8(bitPattern: $0) }, as: UTF8.self))
        shared = group
        return group
    }

    private init(comm: MPI_Comm, rank: Int, worldSize: Int, localRank: Int, localWorldSize: Int, processorName: String) {
        self.comm = comm
        self.rank = rank
        self.worldSize = worldSize
        self.localRank = localRank
        self.localWorldSize = localWorldSize
        self.processorName = processorName
    }

    /// A group of the same processes on a communicator of its own (`MPI_Comm_dup`): its collectives never
    /// pair with this group's. Every rank must call it, in the same order.
    func duplicate() throws -> ProcessGroup {
        var copy: MPI_Comm? = nil
        try Self.check(MPI_Comm_dup(comm, &copy), "MPI_Comm_dup")
        guard let copy else { throw DistributedError(call: "MPI_Comm_dup", message: "MPI_Comm_dup returned no communicator") }
        try Self.check(MPI_Comm_set_errhandler(copy, gradus_mpi_errors_return()), "MPI_Comm_set_errhandler")
        return ProcessGroup(comm: copy, rank: rank, worldSize: worldSize, localRank: localRank,
                            localWorldSize: localWorldSize, processorName: processorName)
    }

    /// Waits until every rank has called `barrier()`.
    ///
    /// ```swift
    /// try group.barrier()   // rank 0 has written the file the others read next
    /// ```
    public func barrier() throws {
        try Self.check(MPI_Barrier(comm), "MPI_Barrier")
    }

    /// Ends the job's MPI use in this process. Call it once, after the last collective, on every rank;
    /// the group cannot be used afterwards.
    public func finalize() throws {
        Self.lock.lock()
        defer { Self.lock.unlock() }
        var finalized: Int32 = 0
        MPI_Finalized(&finalized)
        guard finalized == 0 else { return }
        try Self.check(MPI_Finalize(), "MPI_Finalize")
    }

    /// Stops every process of the job: the launcher ends the other ranks too. For a rank that failed in
    /// a way the others cannot learn through a collective (they would wait for it forever).
    ///
    /// - Parameter code: the exit status the launcher reports.
    public func abort(code: Int32 = 1) -> Never {
        MPI_Abort(comm, code)
        exit(code)
    }

    /// Throws a ``DistributedError`` naming `call` when `code` is not `MPI_SUCCESS`.
    static func check(_ code: Int32, _ call: String) throws {
        guard code != gradus_mpi_success() else { return }
        var buffer = [CChar](repeating: 0, count: Int(gradus_mpi_max_error_string()) + 1)
        var length: Int32 = 0
        MPI_Error_string(code, &buffer, &length)
        let text = String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        throw DistributedError(call: call, code: code, message: "\(call) failed (MPI error \(code)): \(text)")
    }
}
