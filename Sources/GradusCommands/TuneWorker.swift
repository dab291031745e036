import ArgumentParser
import Foundation
import Gradus

/// `gradus tune-worker`: trains one trial for a parallel `gradus tune --workers N` (see ``TrialWorker``
/// for the line protocol on standard input and output). Started by the coordinator; not for people.
public struct TuneWorker: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "tune-worker",
        abstract: "Train one trial of a parallel gradus tune (started by gradus tune --workers; speaks a line protocol on stdin/stdout).",
        shouldDisplay: false
    )

    @Option(help: ArgumentHelp("Relay the trial to another process of an MPI job through this socket (see TrialRelay).", visibility: .hidden))
    public var relay: String?

    public init() {}

    public func run() throws {
        let status = relay.map { TrialRelay.run(socketPath: $0) } ?? TrialWorker.serve()
        if status != 0 { throw ExitCode(status) }
    }
}
