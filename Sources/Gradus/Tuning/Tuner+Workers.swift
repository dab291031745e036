import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The coordinator of parallel trials: ``Tuner/run(trials:timeLimit:)`` with ``Tuner/workers`` of a
/// count above 1.
///
/// The tuner stays the only writer of the journal and the only place that samples values and prunes.
/// It keeps up to `count` worker processes busy, one trial each: it samples trial n from the trials
/// known at that moment (finished ones count; running ones are ignored by the samplers, as Optuna's
/// `n_jobs`), writes `started`, sends the job, and for every `epoch` line a worker sends it records
/// the score, asks the pruner and answers `continue` or `prune`. Trials a killed study left running are
/// started again first, from scratch, with their values. A worker that exits, is killed or sends a line
/// outside the protocol makes its trial failed, with a message naming the worker, its pid and how it
/// ended; the study goes on. At the time limit no trial starts and the workers are sent SIGTERM: each
/// running trial is recorded as pruned (at least one epoch) or failed, as in one process. An
/// interruption (``Tuner/interruptionRequest``) stops every worker and leaves their trials unfinished
/// in the journal, to be run again on resume.
extension Tuner {
    /// A worker and the trial it trains.
    private final class Slot {
        let worker: WorkerProcess
        /// The worker's number, 1...count (a number is reused once its worker is gone).
        let index: Int
        let trial: Int
        let began: UInt64
        /// The worker said `ready`.
        var ready = false
        /// The worker reported the trial's end (or the trial was finished for it).
        var done = false
        /// The time limit stopped it.
        var stoppedByTime = false
        /// When it must be killed if it has not exited (after a stop or its report).
        var killAt: UInt64? = nil

        init(worker: WorkerProcess, index: Int, trial: Int, began: UInt64) {
            self.worker = worker
            self.index = index
            self.trial = trial
            self.began = began
        }
    }

    /// Runs the study's trials on worker processes; returns whether the time limit stopped it.
    func runWithWorkers(_ workers: TrialWorkers, limit: Int, sampler: any Sampler, pruner: (any Pruner)?,
                        deadline: UInt64?) throws -> Bool {
        let direction = settings.direction
        var rerun = trials.filter { $0.state == .running }.map(\.number)
        var slots: [Slot] = []
        var stoppedByTime = false
        let memoryBytes = MemoryBudget.bytes
        func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }
        let grace = UInt64(workers.stopGrace * 1e9)
        let readyTimeout = UInt64(workers.readyTimeout * 1e9)

        func finishTrial(_ n: Int, began: UInt64, _ state: Trial.State, _ message: String?) throws {
            trials[n].state = state
            trials[n].score = trials[n].scores.last
            trials[n].seconds = Double(now() - began) / 1e9
            trials[n].message = message
            let t = trials[n]
            try journal.append(JournalRecord(type: .finished, trial: n, score: t.score, state: state, seconds: t.seconds,
                                             message: message, time: Date().timeIntervalSince1970))
            onEvent?(.trialFinished(t))
            try writeReports()
        }
        func finish(_ slot: Slot, _ state: Trial.State, _ message: String?) throws {
            guard !slot.done else { return }
            slot.done = true
            try finishTrial(slot.trial, began: slot.began, state, message)
        }
        func finishStoppedByTime(_ slot: Slot) throws {
            let e = trials[slot.trial].scores.count
            try finish(slot, e > 0 ? .pruned : .failed,
                       e > 0 ? "stopped by the time limit after epoch \(e)" : "stopped by the time limit before its first epoch")
        }
        /// `during trial 3, after epoch 2` / `during trial 3, before its first epoch`.
        func during(_ slot: Slot) -> String {
            let e = trials[slot.trial].scores.count
            return "during trial \(slot.trial), " + (e > 0 ? "after epoch \(e)" : "before its first epoch")
        }
        /// Kills a worker that broke the protocol and fails its trial.
        func reject(_ slot: Slot, _ problem: String) throws {
            slot.worker.signal(SIGKILL)
            slot.worker.reap(wait: true)
            slot.worker.closeConnection()
            try finish(slot, .failed, "\(slot.worker.label) broke the worker protocol \(during(slot)): \(problem); it was killed")
        }
        /// Stops every worker and forgets them (their trials stay as they are).
        func stopAll() {
            for s in slots { s.worker.signal(SIGTERM) }
            for s in slots { s.worker.stop(grace: workers.stopGrace) }
            slots.removeAll()
        }

        do {
            while true {
                if let signal = interruptionRequest() {
                    stopAll()
                    throw TrainingInterrupted(signal: signal, epoch: 0, batch: 0, checkpoint: nil)
                }
                if !stoppedByTime, let deadline, now() >= deadline {
                    stoppedByTime = true
                    for s in slots where !s.done {
                        s.stoppedByTime = true
                        s.worker.signal(SIGTERM)
                        s.killAt = now() &+ grace
                    }
                }
                // Start trials while workers are free and the budgets allow.
                while !stoppedByTime && slots.count < workers.count {
                    let number: Int, params: [String: TrialValue]
                    if !rerun.isEmpty {
                        number = rerun.removeFirst()
                        params = trials[number].parameters
                    } else if trials.count < limit {
                        number = trials.count
                        params = try settings.space.normalize(try sampler.sample(settings.space, number: number, history: trials,
                                                                                 direction: direction, seed: settings.seed))
                    } else {
                        break
                    }
                    try journal.append(JournalRecord(type: .started, trial: number, params: params, time: Date().timeIntervalSince1970))
                    let fresh = Trial(number: number, parameters: params)
                    if number == trials.count { trials.append(fresh) } else { trials[number] = fresh }
                    onEvent?(.trialStarted(fresh))
                    let began = now()
                    let folder = trialDirectory(number)
                    if FileManager.default.fileExists(atPath: folder) { try? FileManager.default.removeItem(atPath: folder) }
                    // Workers are numbered 1...count by slot: the lowest number no running worker has.
                    let busy = Set(slots.map(\.index))
                    let index = (1...workers.count).first { !busy.contains($0) } ?? slots.count + 1
                    do {
                        var config = try SearchSpace.apply(params, to: settings.base)
                        config.data.validationFraction = settings.validationFraction
                        config.saveEvery = 0
                        let job = TrialJob(trial: number, config: config, directory: folder, threads: workers.threads, memoryBytes: memoryBytes)
                        let line = try job.line()
                        let worker = try WorkerProcess(executable: workers.executable, arguments: workers.arguments, label: "worker \(index)")
                        slots.append(Slot(worker: worker, index: index, trial: number, began: began))
                        onEvent?(.workerStarted(fresh, pid: worker.pid, label: worker.label))
                        // A job that cannot be sent (the worker died at once, or does not read): the worker is
                        // killed if still there, and its end, seen below, fails the trial with how it ended.
                        if !worker.send(line) { worker.signal(SIGKILL) }
                    } catch let e as TrainingError {
                        // A value that does not fit, or a worker that cannot be started: the trial fails.
                        try finishTrial(number, began: began, .failed, e.message)
                    }
                }
                if slots.isEmpty { break }

                // Wait for output from any worker (at most 50 ms, to see interruptions and the deadline).
                var fds = slots.map { pollfd(fd: $0.worker.fd, events: Int16(POLLIN), revents: 0) }
                var timeout: Int32 = 50
                if !stoppedByTime, let deadline {
                    let left = deadline > now() ? Int32(Swift.min(50, (deadline - now()) / 1_000_000 + 1)) : 0
                    timeout = Swift.max(0, left)
                }
                let ready = poll(&fds, nfds_t(fds.count), timeout)
                if ready < 0 && errno != EINTR {
                    throw TrainingError("waiting for the trial workers failed: \(String(cString: strerror(errno)))")
                }
                var gone: [Int] = []
                for (i, slot) in slots.enumerated() {
                    var ended = false
                    if fds[i].revents != 0 || slot.worker.fd < 0 {
                        let received: (lines: [String], ended: Bool)
                        do {
                            received = try slot.worker.receive()
                        } catch let e as TrainingError {
                            if !slot.done { try reject(slot, e.message) }
                            gone.append(i)
                            continue
                        }
                        ended = received.ended
                        for line in received.lines where !slot.done {
                            let message: TrialWorkerMessage
                            do {
                                message = try TrialWorkerMessage.parse(line)
                            } catch let e as TrainingError {
                                try reject(slot, slot.ready ? "'\(TrialWorkerMessage.clip(line))': \(e.message)"
                                                            : "its first line is '\(TrialWorkerMessage.clip(line))', not 'ready'")
                                break
                            }
                            if !slot.ready {
                                guard case .ready(let v) = message else {
                                    try reject(slot, "its first line is '\(TrialWorkerMessage.clip(line))', not 'ready'")
                                    break
                                }
                                guard v == TrialWorkerMessage.version else {
                                    try reject(slot, "protocol version \(v), expected \(TrialWorkerMessage.version)")
                                    break
                                }
                                slot.ready = true
                                continue
                            }
                            let n = slot.trial
                            switch message {
                            case .ready:
                                try reject(slot, "a second 'ready'")
                            case .epoch(let metrics):
                                guard metrics.epoch == trials[n].scores.count + 1 else {
                                    try reject(slot, "epoch \(metrics.epoch) after epoch \(trials[n].scores.count)")
                                    break
                                }
                                let score = direction.score(metrics)
                                trials[n].scores.append(score)
                                trials[n].score = score
                                try journal.append(JournalRecord(type: .epoch, trial: n, epoch: metrics.epoch, score: score,
                                                                 time: Date().timeIntervalSince1970))
                                onEvent?(.epochScored(trials[n], metrics))
                                let answer: TrialWorkerAnswer
                                if slot.stoppedByTime {
                                    answer = .stop
                                } else if let pruner, pruner.shouldPrune(trials[n], others: trials, direction: direction) {
                                    answer = .prune
                                } else {
                                    answer = .continue
                                }
                                slot.worker.send(answer.rawValue)
                            case .complete:
                                guard !trials[n].scores.isEmpty else {
                                    try reject(slot, "'complete' before any epoch")
                                    break
                                }
                                try finish(slot, .complete, nil)
                            case .pruned:
                                guard !trials[n].scores.isEmpty else {
                                    try reject(slot, "'pruned' before any epoch")
                                    break
                                }
                                try finish(slot, .pruned, "pruned after epoch \(trials[n].scores.count) by the \(settings.pruner.name) rule")
                            case .stopped(let signal):
                                if slot.stoppedByTime {
                                    try finishStoppedByTime(slot)
                                } else if interruptionRequest() != nil {
                                    // The whole study is being interrupted (Ctrl-C reached the workers too):
                                    // leave the trial unfinished; the loop's top stops the rest.
                                    slot.done = true
                                } else {
                                    try finish(slot, .failed, "\(slot.worker.label) was stopped by signal \(signal) \(during(slot))")
                                }
                            case .failed(let text):
                                try finish(slot, .failed, text)
                            }
                            if slot.done, slot.killAt == nil { slot.killAt = now() &+ grace }
                        }
                    }
                    if ended {
                        // The worker's output ended: it exited (or closed it, then it is given the grace).
                        if slot.worker.reap(wait: false) == nil {
                            let until = now() &+ Swift.min(grace, 2_000_000_000)
                            while slot.worker.reap(wait: false) == nil && now() < until { usleep(5_000) }
                            if slot.worker.reap(wait: false) == nil {
                                slot.worker.signal(SIGKILL)
                                slot.worker.reap(wait: true)
                            }
                        }
                        slot.worker.closeConnection()
                        if !slot.done {
                            if slot.stoppedByTime {
                                try finishStoppedByTime(slot)
                            } else if interruptionRequest() != nil {
                                slot.done = true
                            } else {
                                try finish(slot, .failed, "\(slot.worker.label) \(slot.worker.statusText) \(during(slot)), without reporting its end")
                            }
                        }
                        gone.append(i)
                    } else if !slot.ready, !slot.done, now() >= slot.began &+ readyTimeout {
                        try reject(slot, "it did not say 'ready' within \(workers.readyTimeout) s")
                        gone.append(i)
                    } else if let killAt = slot.killAt, now() >= killAt {
                        // Asked to stop (or done) and still running after the grace: kill it.
                        slot.worker.signal(SIGKILL)
                        slot.worker.reap(wait: true)
                        slot.worker.closeConnection()
                        if !slot.done {
                            if slot.stoppedByTime { try finishStoppedByTime(slot) }
                            else { try finish(slot, .failed, "\(slot.worker.label) did not exit after reporting the end of trial \(slot.trial) and was killed") }
                        }
                        gone.append(i)
                    }
                }
                for i in gone.reversed() { slots.remove(at: i) }
            }
        } catch {
            stopAll()
            throw error
        }
        return stoppedByTime
    }
}
