import Foundation
import Testing

/// GradusDistributed across real processes: each scenario of `gradus-distributed-check` runs under
/// `mpirun -np 2`, on shared memory and on TCP over the loopback interface.
@Suite("Distributed: two processes under mpirun", .serialized)
struct MultiProcessTests {
    static let scenarios = ["collectives", "ddp-equivalence", "ddp-accumulation-unused", "sync-batchnorm", "trainer-agreement", "syncbn-failure", "multi-output-agreement"]

    @Test("every rank passes", arguments: scenarios, MPILaunch.Transport.allCases)
    func scenario(_ name: String, _ transport: MPILaunch.Transport) throws {
        let result = try MPILaunch.run(name, transport: transport)
        #expect(result.status == 0, "\(name) over \(transport) exited \(result.status):\n\(result.output)")
        for rank in 0..<2 {
            #expect(result.output.contains("PASS \(name) rank \(rank) of 2"), "rank \(rank) did not pass:\n\(result.output)")
        }
    }

    @Test("a rank killed by a signal stops the job within 30 s, naming the rank", arguments: MPILaunch.Transport.allCases)
    func rankKilled(_ transport: MPILaunch.Transport) throws {
        let result = try MPILaunch.run("rank-dies", transport: transport, timeout: 60)
        #expect(result.status != 0)
        #expect(result.seconds < 30, "took \(result.seconds) s")
        #expect(result.output.contains("rank 1"), "\(result.output)")
        #expect(!result.output.contains("PASS"))
    }

    @Test("a rank that fails with an error reports it and stops the others within 30 s")
    func rankFails() throws {
        let result = try MPILaunch.run("rank-fails", timeout: 60)
        #expect(result.status != 0)
        #expect(result.seconds < 30, "took \(result.seconds) s")
        #expect(result.output.contains("FAIL rank-fails rank 1: rank 1: failing on purpose at step 10"), "\(result.output)")
    }

    @Test("ranks that cannot reach each other fail with a clear error, not a hang")
    func unreachable() throws {
        // Only the `self` transport: the two processes have no way to talk.
        // Open MPI's help-message system sometimes loses the explanation under load ("Data unpack would
        // read past end of buffer" instead): try again before judging the message.
        var result = try MPILaunch.run("collectives", transport: .sharedMemory, extra: ["--mca", "btl", "self"], timeout: 60)
        for _ in 0..<2 where !result.output.contains("unable to reach each other") && result.status != 0 {
            result = try MPILaunch.run("collectives", transport: .sharedMemory, extra: ["--mca", "btl", "self"], timeout: 60)
        }
        #expect(result.status != 0)
        #expect(result.seconds < 30)
        #expect(result.output.contains("unable to reach each other"), "\(result.output)")
    }
}
