import Foundation
import Gradus
import Testing

/// `gradus tune` under `mpirun`: rank 0 coordinates, the other ranks train one trial each.
@Suite("Distributed: gradus tune under mpirun", .serialized)
struct DistributedTuneTests {
    let scratch = ScratchFolder("gradus-distributed-tune")
    var root: String { scratch.root }

    func folder(_ name: String) -> String { scratch.folder(name) }

    /// results.csv without the timing column: trial, state, parameters, scores, epochs.
    func results(_ dir: String) throws -> [String] {
        try String(contentsOfFile: dir + "/results.csv", encoding: .utf8).split(separator: "\n").map { line in
            line.split(separator: ",", omittingEmptySubsequences: false).dropLast().joined(separator: ",")
        }
    }

    static let study = ["tune", "--trials", "6", "--epochs", "2", "--sampler", "random", "--pruner", "none", "--quiet"]

    @Test("3 processes (2 training) give the trials and scores of 2 local workers; every trial once in the journal")
    func sameAsLocalWorkers() throws {
        let viaMPI = folder("mpi"), local = folder("local")
        let a = try MPILaunch.gradus(Self.study + ["--out", viaMPI], processes: 3)
        #expect(a.status == 0, "\(a.output)")
        let b = try MPILaunch.gradus(Self.study + ["--workers", "2", "--out", local], processes: 0)
        #expect(b.status == 0, "\(b.output)")
        #expect(try results(viaMPI) == results(local))
        let journal = try String(contentsOfFile: viaMPI + "/study.jsonl", encoding: .utf8)
        for n in 0..<6 {
            #expect(journal.components(separatedBy: "\"trial\":\(n),").count - 1 >= 2, "trial \(n) not started and finished once")
        }
        #expect(FileManager.default.fileExists(atPath: viaMPI + "/best/checkpoint.safetensors"))
    }

    @Test("a trial killed on its rank fails alone; the study finishes; --workers is refused under mpirun")
    func killedTrial() throws {
        let dir = folder("killed"), log = root + "/tune.log"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        guard let mpirun = MPILaunch.mpirun else { Issue.record("no mpirun"); return }
        let p = try SignalableProcess(mpirun, ["--allow-run-as-root", "--oversubscribe", "-np", "3", MPILaunch.gradus]
                                               + ["tune", "--trials", "4", "--epochs", "60", "--sampler", "random", "--pruner", "none", "--out", dir],
                                      output: log)
        // A trial worker started by one of this study's ranks (the ranks are `gradus tune … --out DIR`;
        // rank 0's children are relays, with --relay). Other tests' workers are never touched.
        func pids(_ arguments: [String]) throws -> [Int32] {
            let ps = Process()
            ps.executableURL = URL(fileURLWithPath: "/usr/bin/pgrep")
            ps.arguments = arguments
            let pipe = Pipe()
            ps.standardOutput = pipe
            try ps.run()
            ps.waitUntilExit()
            return String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                .split(separator: "\n").compactMap { Int32($0) }
        }
        var victim: Int32? = nil
        let start = Date()
        while victim == nil && Date().timeIntervalSince(start) < 60 {
            for rank in try pids(["-f", "gradus tune .*--out \(dir)"]) {
                if let child = try pids(["-P", "\(rank)", "-f", "tune-worker$"]).first { victim = child; break }
            }
            if victim == nil { usleep(20_000) }
        }
        if let victim { kill(victim, SIGKILL) } else { Issue.record("no remote trial worker found") }
        let status = p.wait()
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        #expect(status == 0, "\(text)")
        #expect(text.contains("failed") && text.contains("SIGKILL"), "\(text)")
        #expect(text.contains("searched 4 trials"), "\(text)")
        let refused = try MPILaunch.gradus(["tune", "--trials", "2", "--workers", "2", "--out", folder("refused")], processes: 2, timeout: 60)
        #expect(refused.status != 0 && refused.output.contains("leave out --workers"), "\(refused.output)")
    }
}
