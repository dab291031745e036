import CMPI

extension ProcessGroup {
    /// Sends `bytes` to rank `destination` with `tag` (blocking until the buffer may be reused).
    func sendBytes(_ bytes: [UInt8], to destination: Int, tag: Int32) throws {
        guard bytes.count <= Int(Int32.max) else {
            throw DistributedError(call: "MPI_Send", message: "MPI_Send: \(bytes.count) bytes exceed MPI's count limit")
        }
        try bytes.withUnsafeBytes { raw in
            try Self.check(MPI_Send(raw.baseAddress, Int32(bytes.count), gradus_mpi_byte(), Int32(destination), tag, comm), "MPI_Send")
        }
    }

    /// The next message waiting from any rank, if one is: its source, tag and size. Does not block.
    func probeMessage() throws -> (source: Int, tag: Int32, count: Int)? {
        var flag: Int32 = 0
        var status = MPI_Status()
        try Self.check(MPI_Iprobe(gradus_mpi_any_source(), gradus_mpi_any_tag(), comm, &flag, &status), "MPI_Iprobe")
        guard flag != 0 else { return nil }
        var count: Int32 = 0
        try Self.check(MPI_Get_count(&status, gradus_mpi_byte(), &count), "MPI_Get_count")
        return (Int(status.MPI_SOURCE), status.MPI_TAG, Int(count))
    }

    /// Receives the message `probeMessage` announced.
    func receiveBytes(from source: Int, tag: Int32, count: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        try bytes.withUnsafeMutableBytes { raw in
            try Self.check(MPI_Recv(raw.baseAddress, Int32(count), gradus_mpi_byte(), Int32(source), tag, comm,
                                    gradus_mpi_status_ignore()), "MPI_Recv")
        }
        return bytes
    }
}
