import Foundation
import Gradus
import GradusTestSupport
import Testing

/// Options of a schedule in a fixture: numbers, lists of numbers or names.
enum OptionValue: Decodable, Sendable {
    case number(Double)
    case list([Double])
    case text(String)

    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let d = try? c.decode(Double.self) { self = .number(d) } else if let l = try? c.decode([Double].self) {
            self = .list(l)
        } else { self = .text(try c.decode(String.self)) }
    }

    var number: Double { if case .number(let d) = self { return d }; fatalError("not a number: \(self)") }
    var list: [Double] { if case .list(let l) = self { return l }; fatalError("not a list: \(self)") }
    var text: String { if case .text(let s) = self { return s }; fatalError("not a name: \(self)") }
}

/// One schedule run recorded by scripts/make_optim_fixtures.py: SGD with group rates 0.1 and 0.05.
struct ScheduleCase: Decodable, Sendable, CustomTestStringConvertible {
    let schedule: String
    let options: [String: OptionValue]
    let metrics: [Double]?
    /// The group rates after construction and after each step.
    let lrs: [[Double]]
    var testDescription: String { "\(schedule) \(options.keys.sorted())" }

    static let all: [ScheduleCase] = {
        struct File: Decodable { let cases: [ScheduleCase] }
        return (try? Fixtures.decode(File.self, "optim/schedules.json").cases) ?? []
    }()
}

@Test func scheduleFixturesLoad() {
    #expect(ScheduleCase.all.count >= 33)
}

@Test(arguments: ScheduleCase.all)
func scheduleMatchesPyTorch(_ c: ScheduleCase) {
    let optimizer = SGD(groups: [ParameterGroup([Tensor([0.0]).requiringGrad()]),
                                 ParameterGroup([Tensor([0.0]).requiringGrad()], ["lr": 0.05])], lr: 0.1)
    let o = c.options
    var stepper: (Int) -> Void
    switch c.schedule {
    case "StepLR":
        let s = StepLR(optimizer, stepSize: Int(o["stepSize"]!.number), gamma: o["gamma"]!.number)
        stepper = { _ in s.step() }
    case "MultiStepLR":
        let s = MultiStepLR(optimizer, milestones: o["milestones"]!.list.map { Int($0) }, gamma: o["gamma"]!.number)
        stepper = { _ in s.step() }
    case "ExponentialLR":
        let s = ExponentialLR(optimizer, gamma: o["gamma"]!.number)
        stepper = { _ in s.step() }
    case "CosineAnnealingLR":
        let s = CosineAnnealingLR(optimizer, tMax: Int(o["tMax"]!.number), etaMin: o["etaMin"]!.number)
        stepper = { _ in s.step() }
    case "LinearLR":
        let s = LinearLR(optimizer, startFactor: o["startFactor"]!.number, endFactor: o["endFactor"]!.number,
                         totalIters: Int(o["totalIters"]!.number))
        stepper = { _ in s.step() }
    case "OneCycleLR":
        let s = OneCycleLR(optimizer, maxLRs: o["maxLR"]!.list, totalSteps: Int(o["totalSteps"]!.number),
                           pctStart: o["pctStart"]?.number ?? 0.3,
                           annealStrategy: AnnealStrategy(rawValue: o["annealStrategy"]?.text ?? "cos")!,
                           divFactor: o["divFactor"]?.number ?? 25,
                           finalDivFactor: o["finalDivFactor"]?.number ?? 1e4,
                           threePhase: (o["threePhase"]?.number ?? 0) != 0,
                           // The fixtures' runs use cycle_momentum=False (their SGD has no momentum).
                           cycleMomentum: (o["cycleMomentum"]?.number ?? 0) != 0)
        stepper = { _ in s.step() }
    case "ReduceLROnPlateau":
        let s = ReduceLROnPlateau(
            optimizer, mode: PlateauMode(rawValue: o["mode"]!.text)!, factor: o["factor"]!.number,
            patience: Int(o["patience"]!.number), threshold: o["threshold"]?.number ?? 1e-4,
            thresholdMode: PlateauThresholdMode(rawValue: o["thresholdMode"]?.text ?? "rel")!,
            cooldown: Int(o["cooldown"]?.number ?? 0), minLRs: o["minLR"]?.list ?? [0, 0])
        let metrics = c.metrics!
        stepper = { k in s.step(metrics[k]) }
    case "ConstantLR":
        let s = ConstantLR(optimizer, factor: o["factor"]!.number, totalIters: Int(o["totalIters"]!.number))
        stepper = { _ in s.step() }
    case "PolynomialLR":
        let s = PolynomialLR(optimizer, totalIters: Int(o["totalIters"]!.number), power: o["power"]!.number)
        stepper = { _ in s.step() }
    case "LambdaLR" where o["lambda"]?.text == "pow0.9":
        let s = LambdaLR(optimizer) { Foundation.pow(0.9, Double($0)) }
        stepper = { _ in s.step() }
    case "LambdaLR":
        let s = LambdaLR(optimizer, lrLambdas: [{ 1 / Double($0 + 1) }, { Foundation.pow(0.95, Double($0)) }])
        stepper = { _ in s.step() }
    case "MultiplicativeLR":
        let s = MultiplicativeLR(optimizer) { $0 % 2 == 1 ? 0.9 : 0.8 }
        stepper = { _ in s.step() }
    case "CosineAnnealingWarmRestarts":
        let s = CosineAnnealingWarmRestarts(optimizer, t0: Int(o["t0"]!.number), tMult: Int(o["tMult"]!.number),
                                            etaMin: o["etaMin"]!.number)
        stepper = { _ in s.step() }
    case "ChainedScheduler" where o["chain"]?.text == "constant-exponential":
        let s = ChainedScheduler(optimizer, schedulers: [ConstantLR(optimizer, factor: 0.1, totalIters: 2),
                                                         ExponentialLR(optimizer, gamma: 0.9)])
        stepper = { _ in s.step() }
    case "ChainedScheduler":
        let s = ChainedScheduler(optimizer, schedulers: [LinearLR(optimizer, startFactor: 0.25, totalIters: 4),
                                                         StepLR(optimizer, stepSize: 3, gamma: 0.5),
                                                         MultiStepLR(optimizer, milestones: [5, 12], gamma: 0.7)])
        stepper = { _ in s.step() }
    case "SequentialLR" where o["sequence"]?.text == "linear-cosine":
        let warmup = LinearLR(optimizer, startFactor: 0.1, totalIters: 3)
        let decay = CosineAnnealingLR(optimizer, tMax: 10)
        let s = SequentialLR(optimizer, schedulers: [warmup, decay], milestones: [3])
        stepper = { _ in s.step() }
    case "SequentialLR":
        let s = SequentialLR(optimizer, schedulers: [ConstantLR(optimizer, factor: 0.5, totalIters: 2),
                                                     ExponentialLR(optimizer, gamma: 0.9),
                                                     StepLR(optimizer, stepSize: 2, gamma: 0.5)], milestones: [2, 6])
        stepper = { _ in s.step() }
    case "CyclicLR":
        let s = CyclicLR(optimizer, baseLRs: o["baseLR"]!.list, maxLRs: o["maxLR"]!.list, stepSizeUp: Int(o["stepSizeUp"]!.number),
                         stepSizeDown: o["stepSizeDown"].map { Int($0.number) }, mode: CyclicLR.Mode(rawValue: o["mode"]!.text)!,
                         gamma: o["gamma"]?.number ?? 1, cycleMomentum: false)
        stepper = { _ in s.step() }
    case "SWALR":
        if let steps = o["afterCosineSteps"] {
            let cosine = CosineAnnealingLR(optimizer, tMax: 10)
            for _ in 0..<Int(steps.number) {
                optimizer.step()
                cosine.step()
            }
        }
        let cosine = o["builtBeforeCosineSteps"].map { _ in CosineAnnealingLR(optimizer, tMax: 10) }
        let s = SWALR(optimizer, swaLRs: o["swaLR"]!.list, annealEpochs: Int(o["annealEpochs"]!.number),
                      annealStrategy: SWAAnnealStrategy(rawValue: o["annealStrategy"]!.text)!)
        if let cosine, let steps = o["builtBeforeCosineSteps"] {
            for _ in 0..<Int(steps.number) {
                optimizer.step()
                cosine.step()
            }
        }
        stepper = { _ in s.step() }
    default:
        Issue.record("unknown schedule \(c.schedule)")
        return
    }
    var got = [optimizer.learningRates]
    for k in 0..<(c.lrs.count - 1) {
        optimizer.step()
        stepper(k)
        got.append(optimizer.learningRates)
    }
    for (k, (g, want)) in zip(got, c.lrs).enumerated() {
        for (a, b) in zip(g, want) {
            #expect(abs(a - b) <= 1e-12 + 1e-9 * abs(b), "\(c.schedule) epoch \(k): \(g) vs PyTorch \(want)")
        }
    }
}

@Test func schedulesReadTheOptimizersInitialRates() {
    let p = Tensor([1.0]).requiringGrad()
    let optimizer = Adam([p], lr: 0.01)
    let schedule = CosineAnnealingLR(optimizer, tMax: 10)
    #expect(schedule.baseLearningRates == [0.01])
    for _ in 0..<10 { schedule.step() }
    #expect(abs(optimizer.learningRate) < 1e-15)
    #expect(schedule.lastEpoch == 10)
    #expect(schedule.learningRates(atEpoch: 5)[0] == 0.005)
}

@Test func newSchedulesRefuseBadSettingsAndSurviveExtremeEpochs() throws {
    let optimizer = SGD([Tensor([0.0]).requiringGrad()], lr: 0.1)
    let other = SGD([Tensor([0.0]).requiringGrad()], lr: 0.1)
    func message(_ body: () -> Void) -> String? {
        do { try GradusError.catching { body() }; return nil } catch { return "\(error)" }
    }
    #expect(message { _ = ConstantLR(optimizer, factor: 1.5) }?.contains("factor") == true)
    #expect(message { _ = PolynomialLR(optimizer, totalIters: 0) }?.contains("totalIters") == true)
    #expect(message { _ = PolynomialLR(optimizer, power: .nan) }?.contains("power") == true)
    #expect(message { _ = CosineAnnealingWarmRestarts(optimizer, t0: 0) }?.contains("t0") == true)
    #expect(message { _ = CosineAnnealingWarmRestarts(optimizer, t0: 2, tMult: 0) }?.contains("tMult") == true)
    #expect(message { _ = LambdaLR(optimizer, lrLambdas: []) }?.contains("groups") == true)
    #expect(message { _ = SequentialLR(optimizer, schedulers: [], milestones: []) }?.contains("at least one") == true)
    #expect(message { _ = ChainedScheduler(optimizer, schedulers: []) }?.contains("at least one") == true)
    #expect(message { _ = ChainedScheduler(optimizer, schedulers: [ConstantLR(other)]) }?.contains("optimizer") == true)
    #expect(message {
        _ = SequentialLR(optimizer, schedulers: [ConstantLR(other)], milestones: [])
    }?.contains("optimizer") == true)
    #expect(message {
        _ = SequentialLR(optimizer, schedulers: [ConstantLR(optimizer), ConstantLR(optimizer)], milestones: [3, 4])
    }?.contains("milestones") == true)
    #expect(message {
        _ = SequentialLR(optimizer, schedulers: [ConstantLR(optimizer), ConstantLR(optimizer), ConstantLR(optimizer)],
                         milestones: [4, 3])
    }?.contains("increasing") == true)
    // Extreme epochs compute without trapping or looping for long.
    let restarts = CosineAnnealingWarmRestarts(optimizer, t0: 3, tMult: 2, etaMin: 0.001)
    for epoch in [Int.max, Int.max - 1, 1 << 62] {
        let rate = restarts.learningRates(atEpoch: epoch)[0]
        #expect(rate >= 0.001 - 1e-12 && rate <= 0.1 + 1e-12)
    }
    #expect(PolynomialLR(optimizer, totalIters: 3).learningRates(atEpoch: Int.max) == [0])
    #expect(ConstantLR(optimizer, factor: 0.5, totalIters: 2).learningRates(atEpoch: Int.max) == [0.1])
}

@Test func aSecondScheduleStartsFromTheInitialRatesAsInPyTorch() {
    let optimizer = SGD([Tensor([0.0]).requiringGrad()], lr: 0.1)
    let warmup = LinearLR(optimizer, startFactor: 0.1, totalIters: 3)
    #expect(abs(optimizer.learningRate - 0.01) < 1e-15)
    let decay = CosineAnnealingLR(optimizer, tMax: 10)   // PyTorch's initial_lr: 0.1, not the 0.01 warm-up rate
    #expect(warmup.baseLearningRates == [0.1] && decay.baseLearningRates == [0.1])
}

@Test func oneCycleInsideSequentialStillCyclesMomentum() {
    let optimizer = SGD([Tensor([0.0]).requiringGrad()], lr: 0.1, momentum: 0.9)
    let warmup = ConstantLR(optimizer, factor: 0.5, totalIters: 3)
    let cycle = OneCycleLR(optimizer, maxLRs: [1.0], totalSteps: 10)
    let schedule = SequentialLR(optimizer, schedulers: [warmup, cycle], milestones: [3])
    for epoch in 1...8 {
        schedule.step()
        if epoch >= 3 {
            #expect(optimizer.option("momentum") == cycle.momentum(atEpoch: epoch - 3), "epoch \(epoch)")
            #expect(abs(optimizer.learningRate - cycle.learningRates(atEpoch: epoch - 3)[0]) < 1e-15)
        }
    }
    // The cycle moved the momentum off its start.
    #expect(optimizer.option("momentum") != 0.95)
}

@Test func aGroupAddedLaterGetsItsOwnInitialRateWithoutResettingTheOthers() {
    let optimizer = SGD([Tensor([0.0]).requiringGrad()], lr: 0.1)
    _ = LinearLR(optimizer, startFactor: 0.1, totalIters: 3)   // the first group's rate is now 0.01
    optimizer.addParameterGroup(ParameterGroup([Tensor([0.0]).requiringGrad()], ["lr": 0.05]))
    let decay = CosineAnnealingLR(optimizer, tMax: 10)
    #expect(decay.baseLearningRates == [0.1, 0.05])   // PyTorch: initial_lr kept, the new group's set
}

@Test func multiplicativeRatesAreTheSameSteppedOrAskedForOutOfOrder() {
    let optimizer = SGD([Tensor([0.0]).requiringGrad()], lr: 0.1)
    let schedule = MultiplicativeLR(optimizer) { 1 - 0.01 * Double($0 % 7) }
    var stepped: [Double] = []
    for _ in 0..<40 { schedule.step(); stepped.append(optimizer.learningRate) }
    let reference = MultiplicativeLR(SGD([Tensor([0.0]).requiringGrad()], lr: 0.1)) { 1 - 0.01 * Double($0 % 7) }
    for epoch in [17, 3, 40, 1, 40, 25] {
        #expect(reference.learningRates(atEpoch: epoch)[0] == stepped[epoch - 1], "epoch \(epoch)")
    }
}

@Test func aScheduleAfterOneCycleStartsFromOneCyclesInitialRate() {
    let optimizer = SGD([Tensor([0.0]).requiringGrad()], lr: 0.1)
    _ = OneCycleLR(optimizer, maxLRs: [1.0], totalSteps: 100, cycleMomentum: false)
    let after = StepLR(optimizer, stepSize: 10, gamma: 0.5)
    #expect(after.baseLearningRates == [1.0 / 25])   // PyTorch: OneCycleLR sets initial_lr = max_lr / div_factor
}

@Test("CyclicLR cycles SGD's momentum against the rate, as PyTorch")
func cyclicMomentumMatchesPyTorch() throws {
    struct File: Decodable {
        struct Run: Decodable { let lrs: [Double]; let momentums: [Double] }
        let cyclicMomentum: Run
    }
    let run = try Fixtures.decode(File.self, "optim/schedules.json").cyclicMomentum
    let optimizer = SGD([Tensor([0.0]).requiringGrad()], lr: 0.1, momentum: 0.9)
    let schedule = CyclicLR(optimizer, baseLR: 0.01, maxLR: 0.1, stepSizeUp: 3, baseMomentum: 0.7, maxMomentum: 0.95)
    var lrs = [optimizer.learningRates[0]], momentums = [optimizer.parameterGroups[0].options["momentum"]!]
    for _ in 0..<12 {
        schedule.step()
        lrs.append(optimizer.learningRates[0])
        momentums.append(optimizer.parameterGroups[0].options["momentum"]!)
    }
    #expect(zip(lrs, run.lrs).allSatisfy { abs($0 - $1) < 1e-12 }, "\(lrs) vs \(run.lrs)")
    #expect(zip(momentums, run.momentums).allSatisfy { abs($0 - $1) < 1e-12 }, "\(momentums) vs \(run.momentums)")
    // An optimizer without momentum needs cycleMomentum: false.
    #expect(throws: GradusError.self) {
        try GradusError.catching { _ = CyclicLR(Adagrad([Tensor([0.0]).requiringGrad()]), baseLR: 0.01, maxLR: 0.1) }
    }
}
