import Gradus
import GradusTestSupport
import Testing

/// A hand-written loop that checkpoints its optimizer and schedule and resumes: the rates after the
/// resume are those of the uninterrupted run (PyTorch: `optimizer.state_dict()` keeps `initial_lr`,
/// `scheduler.state_dict()` keeps `last_epoch`).
@Suite("Schedules resumed from a checkpoint in a hand-written loop")
struct ScheduleResumeTests {
    func parameters() -> [Tensor] { [Tensor([1.0, -2.0]).requiringGrad()] }

    /// Rates of 12 steps of `make`'s schedule on a fresh SGD at 0.1, without interruption.
    func uninterrupted(_ make: (Optimizer) -> LRScheduler) -> [Double] {
        let optimizer = SGD(parameters(), lr: 0.1, momentum: 0.9)
        let schedule = make(optimizer)
        var rates: [Double] = []
        for _ in 0..<12 { optimizer.step(); schedule.step(); rates.append(optimizer.learningRates[0]) }
        return rates
    }

    @Test("StepLR, OneCycleLR (with its momentum) and CosineAnnealingLR continue where they stopped, built before or after loading")
    func resume() throws {
        let schedules: [(String, (Optimizer) -> LRScheduler)] = [
            ("StepLR", { StepLR($0, stepSize: 3, gamma: 0.5) }),
            ("OneCycleLR", { OneCycleLR($0, maxLR: 1.0, totalSteps: 20) }),
            ("CosineAnnealingLR", { CosineAnnealingLR($0, tMax: 7) }),
        ]
        for (name, make) in schedules {
            let want = uninterrupted(make)
            // Five steps, then a checkpoint.
            let first = SGD(parameters(), lr: 0.1, momentum: 0.9)
            let schedule = make(first)
            for _ in 0..<5 { first.step(); schedule.step() }
            let (savedOptimizer, savedSchedule) = (first.stateDict(), schedule.stateDict())
            #expect(savedSchedule["lastEpoch"] == 5)

            for order in ["schedule first", "optimizer first"] {
                let optimizer = SGD(parameters(), lr: 0.1, momentum: 0.9)
                let resumed: LRScheduler
                if order == "schedule first" {
                    resumed = make(optimizer)
                    try optimizer.loadStateDict(savedOptimizer)
                } else {
                    // The optimizer's saved initial rate makes a schedule built now start from 0.1, not
                    // from the decayed rate it holds.
                    try optimizer.loadStateDict(savedOptimizer)
                    resumed = make(optimizer)
                    #expect(resumed.baseLearningRates == schedule.baseLearningRates, "\(name), \(order)")
                }
                try resumed.loadStateDict(savedSchedule)
                #expect(optimizer.learningRates == first.learningRates, "\(name), \(order): rate at the checkpoint")
                var rates: [Double] = []
                for _ in 5..<12 { optimizer.step(); resumed.step(); rates.append(optimizer.learningRates[0]) }
                #expect(rates == Array(want[5...]), "\(name), \(order)")
            }
        }
    }

    @Test("damaged schedule states are refused, naming the key, and change nothing")
    func refusals() {
        let optimizer = SGD(parameters(), lr: 0.1)
        let schedule = OneCycleLR(optimizer, maxLR: 1.0, totalSteps: 10)
        let good = schedule.stateDict()
        func message(_ change: (inout [String: Double]) -> Void) -> String? {
            var state = good
            change(&state)
            do { try schedule.loadStateDict(state); return nil } catch { return "\(error)" }
        }
        #expect(message { $0["lastEpoch"] = nil }?.contains("missing key lastEpoch") == true)
        #expect(message { $0["lastEpoch"] = -1 }?.contains("lastEpoch -1.0") == true)
        #expect(message { $0["lastEpoch"] = 2.5 }?.contains("not a whole number") == true)
        #expect(message { $0["lastEpoch"] = 11 }?.contains("past this schedule's end (10)") == true)
        #expect(message { $0["baseLR.0"] = .nan }?.contains("baseLR.0") == true)
        #expect(message { $0["baseLR.1"] = 0.1 }?.contains("unexpected key baseLR.1") == true)
        #expect(message { $0["baseLR.0"] = nil }?.contains("missing key baseLR.0") == true)
        #expect(schedule.lastEpoch == 0 && optimizer.learningRates == [schedule.learningRates(atEpoch: 0)[0]])
    }

    @Test("initial rates: a group added after the schedule has none and takes its rate; a state saved before any schedule has none")
    func initialRates() throws {
        // The fine-tuning pattern: schedule, then a group added (PyTorch loads such a state).
        let a = SGD(groups: [ParameterGroup(parameters(), ["lr": 0.1])])
        let schedule = StepLR(a, stepSize: 2)
        for _ in 0..<4 { a.step(); schedule.step() }
        a.addParameterGroup(ParameterGroup(parameters(), ["lr": 0.5]))
        let state = a.stateDict()
        #expect(state.scalars["group.0.initialLR"] == 0.1 && state.scalars["group.1.initialLR"] == nil)
        let b = SGD(groups: [ParameterGroup(parameters(), ["lr": 0.1]), ParameterGroup(parameters(), ["lr": 0.5])])
        try b.loadStateDict(state)
        #expect(abs(b.learningRates[0] - 0.001) < 1e-15 && b.learningRates[1] == 0.5, "\(b.learningRates)")   // 0.1 · 0.1², as saved
        // A schedule built now starts group 0 from its saved initial rate, group 1 from its rate.
        #expect(StepLR(b, stepSize: 2).baseLearningRates == [0.1, 0.5])
        let plain = SGD(parameters(), lr: 0.1).stateDict()
        #expect(plain.scalars.keys.allSatisfy { !$0.hasSuffix("initialLR") })
        try SGD(parameters(), lr: 0.1).loadStateDict(plain)
        var negative = state
        negative.scalars["group.0.initialLR"] = -1
        #expect(throws: OptimizerStateError.invalidValue(key: "group.0.initialLR", value: -1)) { try b.loadStateDict(negative) }
    }
}
