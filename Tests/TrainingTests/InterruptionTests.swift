import Foundation
import Gradus
import Testing
#if canImport(Glibc)
import Glibc
#endif

final class StopRequest: @unchecked Sendable { var signal: Int32? = nil }

/// Stopping a run at a batch boundary (SIGINT/SIGTERM or a request), saving, and resuming exactly;
/// one run per output folder; leftovers of killed saves removed.
@Suite("Interrupted training", .serialized)
struct InterruptionTests {
    func config(_ csv: String, schedule: ScheduleSpec, dropout: Bool = false) -> RunConfig {
        RunConfig(data: DataSpec(format: .csv, path: csv, target: "label", standardize: true),
                  model: ModelSpec(architecture: .mlp, inputShape: [], hidden: [8], outputs: 0),
                  task: .classify, optimizer: OptimizerSpec(kind: .sgd, learningRate: 0.05, momentum: 0.9),
                  schedule: schedule, epochs: 4, batchSize: 16, seed: 5)
    }

    @Test("a run stopped mid-epoch at a random batch saves, and resumes bit-identical to the uninterrupted run",
          arguments: [(ScheduleSpec.onecycle, 1, 3), (ScheduleSpec.cosine, 2, 1), (ScheduleSpec.onecycle, 3, 4),
                      (ScheduleSpec.onecycle, 2, 5)])   // 72 training samples in batches of 16: batch 5 ends the epoch
    func midEpochResume(schedule: ScheduleSpec, stopEpoch: Int, stopBatch: Int) throws {
        let dir = try temporaryFolder("interrupt")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let csv = dir + "/blobs.csv"
        try writeBlobsCSV(to: csv)
        let full = try TrainingRun(config: config(csv, schedule: schedule), outputDirectory: dir + "/full")
        let fullHistory = try full.run()

        // This run's own request: the process-wide one would stop other tests' runs in parallel.
        let stopped = try TrainingRun(config: config(csv, schedule: schedule), outputDirectory: dir + "/stopped")
        let request = StopRequest()
        stopped.trainer.interruptionRequest = { request.signal }
        do {
            try stopped.run(onBatch: { p in
                if p.epoch == stopEpoch && p.batch == stopBatch { request.signal = SIGTERM }
            })
            Issue.record("the run was not interrupted")
        } catch let stop as TrainingInterrupted {
            #expect(stop.signal == SIGTERM && stop.exitStatus == 143)
            // A request during an epoch's last batch stops after the epoch (batch 0 = at the boundary).
            #expect(stop.epoch == stopEpoch && stop.batch == (stopBatch == 5 ? 0 : stopBatch))
            #expect(stop.checkpoint == dir + "/stopped/checkpoint.safetensors")
            #expect(stop.message.contains("--resume"))
        }
        let saved = try Checkpoint.load(dir + "/stopped/checkpoint.safetensors")
        if stopBatch == 5 {
            #expect(saved.unfinishedEpoch == nil && saved.epoch == stopEpoch)
        } else {
            #expect(saved.unfinishedEpoch?.batches == stopBatch && saved.epoch == stopEpoch - 1)
        }

        let resumed = try TrainingRun(resuming: dir + "/stopped/checkpoint.safetensors")
        let resumedHistory = try resumed.run()
        #expect(bytes(resumed.model.stateDict()) == bytes(full.model.stateDict()))
        #expect(resumed.trainer.step == full.trainer.step)
        #expect(resumedHistory.map(\.trainLoss) == fullHistory.map(\.trainLoss))
        #expect(resumedHistory.map(\.trainAccuracy) == fullHistory.map(\.trainAccuracy))
        #expect(resumedHistory.map(\.testAccuracy) == fullHistory.map(\.testAccuracy))
    }

    @Test("a finished one-cycle run resumed on data with fewer batches per epoch is refused, not stepped past its schedule")
    func finishedOneCycleOnSmallerData() throws {
        let dir = try temporaryFolder("onecycle-resume")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let csv = dir + "/blobs.csv"
        try writeBlobsCSV(to: csv)   // 72 training samples: 5 batches of 16, 20 steps in 4 epochs
        _ = try TrainingRun(config: config(csv, schedule: .onecycle), outputDirectory: dir + "/run").run()
        try writeBlobsCSV(to: csv, count: 75)   // 60 training samples: 4 batches, a 16-step schedule
        do {
            _ = try TrainingRun(resuming: dir + "/run/checkpoint.safetensors").run()
            Issue.record("the resumed run was not refused")
        } catch let error as TrainingError {
            #expect(error.message.contains("step 20") && error.message.contains("4 batches per epoch"))
        }
    }

    @Test("a second run on a folder in use is refused; stale temporary files are removed by the next run")
    func folderLockAndLeftovers() throws {
        let dir = try temporaryFolder("lock")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let csv = dir + "/blobs.csv"
        try writeBlobsCSV(to: csv)
        let out = dir + "/out"
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let stale = out + "/.checkpoint.safetensors.tmp-99999-12345"
        #expect(FileManager.default.createFile(atPath: stale, contents: Data([1, 2, 3])))
        do {
            let held = try FolderLock(out)
            let blocked = try TrainingRun(config: config(csv, schedule: .none), outputDirectory: out)
            do {
                try blocked.run()
                Issue.record("a second run wrote into a locked folder")
            } catch let error as DataError {
                #expect(error.message.contains("another gradus run") && error.message.contains("\(getpid())"), "\(error)")
            }
            withExtendedLifetime(held) {}
        }
        #expect(FileManager.default.fileExists(atPath: stale))
        let run = try TrainingRun(config: config(csv, schedule: .none), outputDirectory: out)
        try run.run()
        #expect(!FileManager.default.fileExists(atPath: stale))
        let names = try FileManager.default.contentsOfDirectory(atPath: out)
        #expect(!names.contains { $0.contains(".tmp-") })
    }

    @Test("the progress record of a checkpoint is validated")
    func progressRecord() {
        #expect(EpochProgress(text: "3,1.5,48,48,40,0") == EpochProgress(batches: 3, lossSum: 1.5, seen: 48, processed: 48, correct: 40))
        for bad in ["", "3,1.5,48,48,40", "0,0,0,0,0,0", "3,nan,48,48,40,0", "3,1.5,48,40,40,0", "3,1.5,48,48,60,0", "3,1.5,48,48,40,9"] {
            #expect(EpochProgress(text: bad) == nil, "\(bad)")
        }
    }
}
