import Foundation
import Gradus
import GradusTestSupport
import Testing

/// One OneCycleLR run with momentum cycling recorded by scripts/make_optim_fixtures.py ("momentumCycles"
/// of schedules.json): one group holding both optimizer-test parameters (float64), the optimizer tests'
/// gradients, 10 steps.
struct MomentumCycleCase: Decodable, Sendable, CustomTestStringConvertible {
    let optimizer: String
    let optimizerOptions: [String: Double]
    let options: [String: OptionValue]
    let dtype: String
    /// The group's rate after construction and after each step.
    let lrs: [[Double]]
    /// The group's momentum (SGD) or β₁ (Adam) after construction and after each step.
    let momentums: [[Double]]
    /// Per step, per parameter: the values after the step.
    let trajectory: [[[Double]]]
    var testDescription: String { "OneCycleLR cycling \(optimizer)" }

    static let all: [MomentumCycleCase] = {
        struct File: Decodable { let momentumCycles: [MomentumCycleCase] }
        return (try? Fixtures.decode(File.self, "optim/schedules.json").momentumCycles) ?? []
    }()
}

@Test func momentumCycleFixturesLoad() {
    #expect(MomentumCycleCase.all.map(\.optimizer) == ["SGD", "Adam"])
}

/// Rates, momentum (or β₁) and parameters of every step agree with PyTorch's `OneCycleLR` with its default
/// `cycle_momentum=True`, including the 10th step of 10, one step past the end of the annealing (the
/// rate comes back up to 0.00495) — and Adam's bias correction 1 − β₁ᵗ with the current β₁.
@Test(arguments: MomentumCycleCase.all)
func oneCycleMomentumMatchesPyTorch(_ c: MomentumCycleCase) throws {
    let f = try #require(OptimizerFixtures.loaded)
    let dtype = try #require(DType(rawValue: c.dtype))
    let params = zip(f.shapes, f.initial).map { Tensor(shape: $0, values: $1, dtype: dtype).requiringGrad() }
    let optimizer = makeOptimizer(c.optimizer, [ParameterGroup(params, c.optimizerOptions)])
    let o = c.options
    let schedule = OneCycleLR(optimizer, maxLRs: o["maxLR"]!.list, totalSteps: Int(o["totalSteps"]!.number),
                              cycleMomentum: o["cycleMomentum"]!.number != 0,
                              baseMomentum: o["baseMomentum"]!.number, maxMomentum: o["maxMomentum"]!.number)
    let key = c.optimizer == "Adam" ? "beta1" : "momentum"
    #expect(schedule.momentumOption == key)
    #expect(schedule.cycleMomentum)
    #expect(c.lrs.count == c.trajectory.count + 1 && c.momentums.count == c.lrs.count)

    func near(_ a: Double, _ b: Double) -> Bool { abs(a - b) <= 1e-12 + 1e-9 * abs(b) }
    func checkScalars(_ k: Int) {
        let lr = optimizer.learningRate, m = optimizer.option(key)
        #expect(near(lr, c.lrs[k][0]), "\(c.optimizer) step \(k): lr \(lr) vs PyTorch \(c.lrs[k][0])")
        #expect(near(m, c.momentums[k][0]), "\(c.optimizer) step \(k): \(key) \(m) vs PyTorch \(c.momentums[k][0])")
        #expect(near(schedule.momentum(atEpoch: k)!, c.momentums[k][0]))
    }
    checkScalars(0)
    for (k, expected) in c.trajectory.enumerated() {
        optimizer.zeroGrad()
        for (i, p) in params.enumerated() {
            p.grad = fixtureGradient(p, scale: f.scale[i], center: f.center[i], step: k)
        }
        optimizer.step()
        schedule.step()
        checkScalars(k + 1)
        for (i, p) in params.enumerated() {
            let want = Tensor(shape: f.shapes[i], values: expected[i], dtype: dtype)
            let problem = mismatch(p, want, rtol: 1e-5, atol: 1e-9)
            #expect(problem == nil, "\(c.optimizer) step \(k + 1), parameter \(i): \(problem ?? "")")
            if problem != nil { return }
        }
    }
    #expect(schedule.lastEpoch == schedule.totalSteps)
}

/// Three phases with linear annealing: momentum falls to the base with the rising rate, comes back with
/// the falling rate, and stays at the maximum during the final annealing (values from PyTorch 2.15:
/// SGD(momentum=0.5), max_lr 0.6, total_steps 20, three_phase, base 0.8, max 0.9).
@Test func threePhaseMomentumMatchesPyTorch() {
    let optimizer = SGD([Tensor([0.0]).requiringGrad()], lr: 0.1, momentum: 0.5)
    let schedule = OneCycleLR(optimizer, maxLR: 0.6, totalSteps: 20, annealStrategy: .linear, threePhase: true,
                              baseMomentum: 0.8, maxMomentum: 0.9)
    let want = [0.9, 0.88, 0.86, 0.84, 0.82, 0.8, 0.82, 0.84, 0.86, 0.88, 0.9,
                0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9]
    let wantLR = [0.024, 0.1392, 0.2544, 0.3696, 0.4848, 0.6, 0.4848, 0.3696, 0.2544, 0.1392, 0.024,
                  0.0213336, 0.0186672, 0.0160008, 0.0133344, 0.010668, 0.0080016, 0.0053352, 0.0026688,
                  2.4e-06, -0.002664]
    var got = [optimizer.option("momentum")], gotLR = [optimizer.learningRate]
    for _ in 0..<20 {
        optimizer.step()
        schedule.step()
        got.append(optimizer.option("momentum"))
        gotLR.append(optimizer.learningRate)
    }
    for k in want.indices {
        #expect(abs(got[k] - want[k]) <= 1e-12, "step \(k): momentum \(got[k]) vs PyTorch \(want[k])")
        #expect(abs(gotLR[k] - wantLR[k]) <= 1e-12, "step \(k): lr \(gotLR[k]) vs PyTorch \(wantLR[k])")
    }
}

/// Adamax has betas: β₁ is cycled and β₂ is left alone (PyTorch: Adamax(lr=0.1), max_lr 0.1,
/// total_steps 7, pct_start 0.5, default momenta).
@Test func betasOfAdamaxAreCycled() {
    let optimizer = Adamax([Tensor([0.0]).requiringGrad()], lr: 0.1)
    let schedule = OneCycleLR(optimizer, maxLR: 0.1, totalSteps: 7, pctStart: 0.5)
    #expect(schedule.momentumOption == "beta1")
    let want = [0.95, 0.9154508497187474, 0.8595491502812526, 0.854951556604879, 0.8888739533021842,
                0.9311744900929366, 0.95, 0.9311744900929366]
    var got = [optimizer.option("beta1")]
    for _ in 0..<7 {
        schedule.step()
        got.append(optimizer.option("beta1"))
    }
    for k in want.indices {
        #expect(abs(got[k] - want[k]) <= 1e-12, "step \(k): beta1 \(got[k]) vs PyTorch \(want[k])")
    }
    #expect(optimizer.option("beta2") == 0.999)
}

/// With `cycleMomentum: false` the optimizer's momentum stays as it was, and the schedule reports none.
@Test func momentumStaysWhenNotCycled() {
    let optimizer = SGD([Tensor([0.0]).requiringGrad()], lr: 0.1, momentum: 0.9)
    let schedule = OneCycleLR(optimizer, maxLR: 0.1, totalSteps: 10, cycleMomentum: false)
    #expect(schedule.momentumOption == nil)
    #expect(schedule.momentum(atEpoch: 3) == nil)
    for _ in 0..<10 {
        schedule.step()
        #expect(optimizer.option("momentum") == 0.9)
    }
    // An optimizer without momentum or betas runs when cycling is off.
    let adagrad = Adagrad([Tensor([0.0]).requiringGrad()], lr: 0.1)
    let plain = OneCycleLR(adagrad, maxLR: 0.1, totalSteps: 4, cycleMomentum: false)
    plain.step()
    #expect(plain.momentumOption == nil)
}

/// Like PyTorch ("optimizer must support momentum or beta1 with `cycle_momentum` option enabled"), cycling
/// the momentum of an optimizer that has neither momentum nor betas is refused, with a message.
@Test func cyclingAnOptimizerWithoutMomentumStops() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
        let optimizer = Adagrad([Tensor([0.0]).requiringGrad()], lr: 0.1)
        _ = OneCycleLR(optimizer, maxLR: 0.1, totalSteps: 10)
    }
    if let result {
        let text = String(decoding: result.standardErrorContent, as: UTF8.self)
        #expect(text.contains("OneCycleLR: cycleMomentum needs an optimizer with a momentum or beta1 option"), "\(text)")
    }
}

/// The `onecycle` schedule of runs and the command cycles β₁ of Adam and AdamW and a non-zero momentum, and
/// leaves alone SGD without momentum (cycling would switch momentum on) and Adagrad (PyTorch refuses it).
@Test func onecycleSpecCyclesOnlyOptimizersWithMomentum() throws {
    func option(_ spec: OptimizerSpec) throws -> String? {
        let (s, interval) = ScheduleSpec.onecycle.make(spec.make([Tensor([0.0]).requiringGrad()]), epochs: 2,
                                                      batchesPerEpoch: 5)
        #expect(interval == .batch)
        return try #require(s as? OneCycleLR).momentumOption
    }
    #expect(try option(OptimizerSpec(kind: .adam)) == "beta1")
    #expect(try option(OptimizerSpec(kind: .adamw)) == "beta1")
    #expect(try option(OptimizerSpec(kind: .sgd, momentum: 0.9)) == "momentum")
    #expect(try option(OptimizerSpec(kind: .rmsprop, momentum: 0.5)) == "momentum")
    #expect(try option(OptimizerSpec(kind: .sgd)) == nil)
    #expect(try option(OptimizerSpec(kind: .rmsprop)) == nil)
    #expect(try option(OptimizerSpec(kind: .adagrad)) == nil)
    // SGD without momentum keeps momentum 0 through the cycle.
    let optimizer = OptimizerSpec(kind: .sgd).make([Tensor([0.0]).requiringGrad()])
    let (s, _) = ScheduleSpec.onecycle.make(optimizer, epochs: 1, batchesPerEpoch: 4)
    for _ in 0..<4 { s!.step() }
    #expect(optimizer.option("momentum") == 0)
}
