import Foundation
import Gradus
import GradusTestSupport
import Testing

/// A quadratic bowl Σ a·(θ − c)² with its minimum at c.
struct Bowl {
    let a = Tensor([1.0, 3.0, 0.5, 2.0])
    let c = Tensor([0.5, -1.0, 2.0, 0.0])
    func loss(_ p: Tensor) -> Tensor { ((p - c).square() * a).sum() }
}

/// Runs `steps` optimizer steps on the bowl and returns the largest distance to the minimum.
func distanceAfterTraining(_ make: ([Tensor]) -> Optimizer, steps: Int) -> Double {
    let bowl = Bowl()
    let p = Tensor([3.0, 2.0, -1.0, -2.0]).requiringGrad()
    let optimizer = make([p])
    for _ in 0..<steps {
        optimizer.zeroGrad()
        bowl.loss(p).backward()
        optimizer.step()
    }
    return zip(p.scalars(as: Double.self), bowl.c.scalars(as: Double.self)).map { abs($0 - $1) }.max()!
}

@Test func sgdConverges() {
    #expect(distanceAfterTraining({ SGD($0, lr: 0.1) }, steps: 200) < 1e-4)
    #expect(distanceAfterTraining({ SGD($0, lr: 0.05, momentum: 0.9, nesterov: true) }, steps: 300) < 1e-4)
}

@Test func adamFamilyConverges() {
    // Adam's steps have size ≈ lr near the minimum, so the learning rate decays.
    for make in [{ Adam($0, lr: 0.1) as Optimizer }, { Adam($0, lr: 0.1, amsgrad: true) },
                 { AdamW($0, lr: 0.1, weightDecay: 0) }] as [([Tensor]) -> Optimizer] {
        let bowl = Bowl()
        let p = Tensor([3.0, 2.0, -1.0, -2.0]).requiringGrad()
        let optimizer = make([p])
        let schedule = ExponentialLR(optimizer, gamma: 0.99)
        for _ in 0..<600 {
            optimizer.zeroGrad()
            bowl.loss(p).backward()
            optimizer.step()
            schedule.step()
        }
        let d = zip(p.scalars(as: Double.self), bowl.c.scalars(as: Double.self)).map { abs($0 - $1) }.max()!
        #expect(d < 1e-3, "\(type(of: optimizer)) ended \(d) from the minimum")
    }
}

@Test func adaptiveOptimizersConverge() {
    #expect(distanceAfterTraining({ Adagrad($0, lr: 0.5) }, steps: 500) < 1e-3)
    #expect(distanceAfterTraining({ RMSprop($0, lr: 0.01, centered: true) }, steps: 1000) < 1e-2)
    // Adadelta oscillates around the minimum at lr 1 (its step size tracks past steps); at 0.5 it settles.
    #expect(distanceAfterTraining({ Adadelta($0, lr: 0.5, eps: 1e-3) }, steps: 2000) < 1e-4)
    #expect(distanceAfterTraining({ Adamax($0, lr: 0.1) }, steps: 1500) < 1e-4)
    // Rprop's steps shrink each time the sign flips, down to stepSizeMin.
    #expect(distanceAfterTraining({ Rprop($0, lr: 0.1) }, steps: 300) < 1e-4)
}

/// A NaN gradient element moves nothing and keeps its step size; the next finite gradient resumes (PyTorch
/// 2.15: Rprop([p], lr=0.1) from [1, 2] with gradients [nan, 1], [1, 1], [1, -1] gives [1, 1.9],
/// [0.9, 1.78], [0.78, 1.78]).
@Test func rpropNaNGradientMovesNothing() {
    let p = Tensor([1.0, 2.0]).requiringGrad()
    let optimizer = Rprop([p], lr: 0.1)
    let expected: [[Float]] = [[1, 1.9], [0.9, 1.78], [0.78, 1.78]]
    for (g, want) in zip([[Double.nan, 1], [1, 1], [1, -1]], expected) {
        p.grad = Tensor(g)
        optimizer.step()
        for (a, b) in zip(p.scalars(), want) { #expect(abs(a - b) < 1e-6, "\(p.scalars()) vs \(want)") }
    }
}

@Test func rpropRefusesInvalidSettings() {
    let p = [Tensor([1.0]).requiringGrad()]
    #expect(failure { Rprop(p, etas: (1.5, 2)) }?.kind == .invalidArgument)
    #expect(failure { Rprop(p, etas: (0.5, 0.9)) }?.kind == .invalidArgument)
    #expect(failure { Rprop(p, stepSizes: (1, 0.5)) }?.kind == .invalidArgument)
    #expect(failure { Rprop(p, lr: -1) }?.kind == .invalidArgument)
}

@Test func adamWDecaysTowardZeroNotTheMinimum() {
    // With decoupled weight decay the fixed point of AdamW moves away from the bowl's minimum.
    let plain = distanceAfterTraining({ AdamW($0, lr: 0.01, weightDecay: 0) }, steps: 50)
    let decayed = distanceAfterTraining({ AdamW($0, lr: 0.01, weightDecay: 0.5) }, steps: 50)
    #expect(plain != decayed)
}

@Test func fullBatchGradientDescentIsSGDOnTheWholeDataSet() {
    // Linear least squares: the gradient of mean((Xw − y)²) is (2/N)·Xᵀ(Xw − y).
    var rng = SeededGenerator(seed: 3)
    let x = Tensor.normal([8, 3], dtype: .float64, generator: &rng)
    let y = Tensor.normal([8, 1], dtype: .float64, generator: &rng)
    let w = Tensor.zeros([3, 1], dtype: .float64).requiringGrad()
    let optimizer = SGD([w], lr: 0.1)
    let xs = x.scalars(as: Double.self), ys = y.scalars(as: Double.self)
    var manual = [0.0, 0.0, 0.0]
    for _ in 0..<25 {
        optimizer.zeroGrad()
        x.matmul(w).mseLoss(y).backward()
        optimizer.step()
        var grad = [0.0, 0.0, 0.0]
        for n in 0..<8 {
            let residual = (0..<3).reduce(0.0) { $0 + xs[n * 3 + $1] * manual[$1] } - ys[n]
            for j in 0..<3 { grad[j] += 2.0 / 8.0 * xs[n * 3 + j] * residual }
        }
        for j in 0..<3 { manual[j] -= 0.1 * grad[j] }
    }
    #expect(mismatch(w, Tensor(shape: [3, 1], values: manual, dtype: .float64), rtol: 1e-12, atol: 1e-14) == nil)
}

@Test func stepSkipsParametersWithoutGradientAndZeroGradClears() {
    let a = Tensor([1.0, 2.0]).requiringGrad()
    let b = Tensor([3.0]).requiringGrad()
    let optimizer = SGD([a, b], lr: 0.5)
    a.grad = Tensor([1.0, -1.0])
    optimizer.step()
    #expect(a.scalars(as: Double.self) == [0.5, 2.5])
    #expect(b.scalars(as: Double.self) == [3.0])
    optimizer.zeroGrad()
    #expect(a.grad == nil && b.grad == nil)
}

@Test func learningRatePerGroup() {
    let a = Tensor([1.0]).requiringGrad(), b = Tensor([1.0]).requiringGrad()
    let optimizer = SGD(groups: [ParameterGroup([a]), ParameterGroup([b], ["lr": 0.01])], lr: 0.1)
    #expect(optimizer.learningRates == [0.1, 0.01])
    optimizer.learningRates = [0.2, 0.02]
    #expect(optimizer.learningRate == 0.2)
    optimizer.learningRate = 0.3
    #expect(optimizer.learningRates == [0.3, 0.3])
    optimizer.setOption("momentum", 0.9, group: 1)
    #expect(optimizer.option("momentum", group: 1) == 0.9 && optimizer.option("momentum", group: 0) == 0)
}

/// Runs `steps` steps of the fixture-style gradient from step `from` on `params`.
func run(_ optimizer: Optimizer, _ params: [Tensor], steps: Range<Int>) {
    for k in steps {
        optimizer.zeroGrad()
        for p in params {
            let n = p.count
            p.grad = fixtureGradient(p, scale: [Double](repeating: 1.5, count: n),
                                     center: [Double](repeating: 0.25, count: n), step: k)
        }
        optimizer.step()
    }
}

@Test(arguments: ["SGD", "Adam", "AdamW", "Adagrad", "RMSprop", "Adadelta", "Adamax", "NAdam", "RAdam", "Rprop", "ASGD"])
func stateDictRoundTrip(_ name: String) throws {
    let options: [String: Double] = name == "SGD" ? ["lr": 0.1, "momentum": 0.9]
        : name == "RMSprop" ? ["centered": 1, "momentum": 0.5] : name.hasPrefix("Adam") && name != "Adamax" ? ["amsgrad": 1] : [:]
    func fresh() -> [Tensor] {
        [Tensor([0.5, -1.0, 2.0]).requiringGrad(), Tensor(shape: [2, 2], values: [1.0, 2, 3, 4]).requiringGrad()]
    }
    let a = fresh()
    let first = makeOptimizer(name, [ParameterGroup([a[0]], options), ParameterGroup([a[1]], options.merging(["lr": 0.003]) { $1 })])
    run(first, a, steps: 0..<5)
    let saved = first.stateDict()
    #expect(saved.scalars["state.0.step"] == 5)

    // A second optimizer on copies of the parameters, restored from the state, continues identically.
    let b = a.map { Tensor(shape: $0.shape, values: $0.scalars(as: Double.self)).requiringGrad() }
    let second = makeOptimizer(name, [ParameterGroup([b[0]]), ParameterGroup([b[1]])])
    try second.loadStateDict(saved)
    #expect(second.learningRates == first.learningRates)
    run(first, a, steps: 5..<10)
    run(second, b, steps: 5..<10)
    for (p, q) in zip(a, b) { #expect(p.scalars() == q.scalars()) }
}

@Test func loadStateDictRejectsMismatches() throws {
    let p = Tensor([1.0, 2.0]).requiringGrad()
    let sgd = SGD([p], lr: 0.1, momentum: 0.9)
    p.grad = Tensor([1.0, 1.0])
    sgd.step()
    let sgdState = sgd.stateDict()

    let adam = Adam([p])
    #expect(throws: OptimizerStateError.self) { try adam.loadStateDict(sgdState) }

    let twoGroups = SGD(groups: [ParameterGroup([p]), ParameterGroup([Tensor([1.0]).requiringGrad()])])
    #expect(throws: OptimizerStateError.groupCountMismatch(expected: 2, found: 1)) {
        try twoGroups.loadStateDict(sgdState)
    }

    let other = SGD([Tensor([1.0, 2.0, 3.0]).requiringGrad()], momentum: 0.9)
    #expect(throws: OptimizerStateError.shapeMismatch(key: "state.0.momentum_buffer", expected: [3], found: [2])) {
        try other.loadStateDict(sgdState)
    }

    var missing = sgdState
    missing.scalars["group.0.lr"] = nil
    #expect(throws: OptimizerStateError.missingKey("group.0.lr")) { try sgd.loadStateDict(missing) }

    // The failed loads changed nothing.
    #expect(other.learningRate == 0.001)
    #expect(OptimizerStateError.missingKey("group.0.lr").description.contains("group.0.lr"))
}

@Test func float32AndFloat64UpdatesAgree() {
    // The same Adam run in both element types stays within float32 rounding.
    let p32 = Tensor([0.3, -0.7, 1.1]).requiringGrad()
    let p64 = Tensor([0.3, -0.7, 1.1], dtype: .float64).requiringGrad()
    let o32 = Adam([p32], lr: 0.01), o64 = Adam([p64], lr: 0.01)
    run(o32, [p32], steps: 0..<20)
    run(o64, [p64], steps: 0..<20)
    #expect(mismatch(p32.to(.float64), p64, rtol: 1e-5, atol: 1e-6) == nil)
}

@Suite("Subnormal optimizer state")
struct SubnormalStateTests {
    /// A momentum buffer whose gradient stays zero decays by 0.9 per step from just above the smallest
    /// normal Float: it must reach exactly 0 without holding a subnormal value (slow on x86), and the
    /// calling thread's floating-point mode must be as before the step.
    @Test func decayingMomentumSkipsSubnormalsAndRestoresTheMode() throws {
        let p = Tensor(shape: [2], values: [Float(1), 2]).requiringGrad()
        let optimizer = SGD([p], lr: 0.1, momentum: 0.9)
        p.grad = Tensor(shape: [2], values: [Float.leastNormalMagnitude * 1.5, Float.leastNormalMagnitude * 1.2])
        optimizer.step()
        p.grad = Tensor(shape: [2], values: [Float(0), 0])
        var seenZero = false
        for _ in 0..<10 {
            optimizer.step()
            let buffer = try #require(optimizer.stateDict().tensors["state.0.momentum_buffer"]).scalars()
            for v in buffer {
                #expect(v == 0 || abs(v) >= Float.leastNormalMagnitude, "momentum buffer holds the subnormal \(v)")
            }
            seenZero = seenZero || buffer.allSatisfy { $0 == 0 }
        }
        #expect(seenZero, "the buffer never reached 0")
        // Subnormal arithmetic still works on this thread after the steps (the mode was restored).
        let tiny = Tensor(shape: [1], values: [Float.leastNormalMagnitude]) * 0.25
        #expect(tiny.scalars()[0] == Float.leastNormalMagnitude / 4)
    }
}


@Test("ReduceLROnPlateau with one minimum rate extends it to groups added later; a list per group is refused then")
func plateauAfterAddedGroup() throws {
    let a = Tensor([1.0]).requiringGrad(), b = Tensor([2.0]).requiringGrad()
    let sgd = SGD([a], lr: 0.1)
    let shared = ReduceLROnPlateau(sgd, factor: 0.5, patience: 0, minLR: 0.06)
    sgd.addParameterGroup(ParameterGroup([b], ["lr": 0.1]))
    shared.step(1)
    shared.step(1)   // a plateau: both groups reduced, the first held at its minimum
    #expect(sgd.learningRates == [0.06, 0.06])
    let c = Tensor([3.0]).requiringGrad()
    let other = SGD([a], lr: 0.1)
    let perGroup = ReduceLROnPlateau(other, patience: 0, minLRs: [0.01])
    other.addParameterGroup(ParameterGroup([c], ["lr": 0.1]))
    perGroup.step(1)
    #expect(throws: GradusError.self) { try GradusError.catching { perGroup.step(1) } }
}

@Test("an optimizer loads what it saved: any finite dampening, and momentum buffers missing for parameters without gradients")
func optimizerLoadsItsOwnStates() throws {
    let p = Tensor([1.0, 2.0]).requiringGrad(), q = Tensor([3.0]).requiringGrad()
    let sgd = SGD([p, q], lr: 0.1, momentum: 0.9, dampening: 1.5)
    p.grad = Tensor([1, 1])
    sgd.step()                     // q has no gradient: no momentum buffer, one step for p only
    q.grad = Tensor([1])
    p.grad = nil
    sgd.step()                     // now q steps and p does not
    let state = sgd.stateDict()
    let copy = SGD([p.detach().requiringGrad(), q.detach().requiringGrad()], lr: 0.1, momentum: 0.9, dampening: 1.5)
    try copy.loadStateDict(state)
    #expect(copy.stateDict().scalars == state.scalars)
    // Momentum switched on after a parameter stepped without it.
    let r = Tensor([1.0]).requiringGrad(), s = Tensor([1.0]).requiringGrad()
    let late = SGD([r, s], lr: 0.1)
    r.grad = Tensor([1]); s.grad = Tensor([1])
    late.step()
    late.setOption("momentum", 0.9)
    s.grad = nil
    late.step()                    // r gets a buffer, s (stepped before) does not
    let reloaded = SGD([r.detach().requiringGrad(), s.detach().requiringGrad()], lr: 0.1)
    reloaded.setOption("momentum", 0.9)
    try reloaded.loadStateDict(late.stateDict())
}

/// ASGD's average: the parameter itself until t0, then the running mean of the steps after it
/// (PyTorch 2.15: ASGD([p], lr=0.1, lambd=0, t0=0) from 1.0 with gradients 1, 1, 1 gives p = 0.9, 0.8, 0.7
/// and ax = 0.9, 0.8, 0.75; PyTorch holds η in float32, so its values differ from these by 1e-8).
@Test func asgdAveragesAfterT0() throws {
    let p = Tensor([1.0], dtype: .float64).requiringGrad()
    let optimizer = ASGD([p], lr: 0.1, lambd: 0, t0: 0)
    #expect(optimizer.average(of: p) == nil)
    var averages: [Double] = []
    for _ in 0..<3 {
        p.grad = Tensor([1.0], dtype: .float64)
        optimizer.step()
        averages.append(try #require(optimizer.average(of: p)).scalars(as: Double.self)[0])
    }
    #expect(abs(p.scalars(as: Double.self)[0] - 0.7) < 1e-8)   // PyTorch keeps η in float32: 0.69999999553
    #expect(zip(averages, [0.9, 0.8, 0.75]).allSatisfy { abs($0 - $1) < 1e-8 }, "\(averages)")
    #expect(optimizer.average(of: Tensor([1.0])) == nil)
}

/// ASGD resumed from its state dict takes the steps it would have taken: η at a step comes from the
/// group's rate at the step before, which the state saves (`group.0.previousLR`); the rate changes between
/// the saved step and the next, as a schedule changes it.
@Test func asgdResumesExactlyAcrossARateChange() throws {
    let rates = [0.1, 0.05, 0.2, 0.02, 0.3, 0.07]
    func run(_ p: Tensor, _ optimizer: ASGD, _ steps: Range<Int>) {
        for k in steps {
            optimizer.setOption("lr", rates[k])
            p.grad = Tensor([Double(k) + 1, -0.5], dtype: .float64)
            optimizer.step()
        }
    }
    let whole = Tensor([1.0, 2.0], dtype: .float64).requiringGrad()
    let straight = ASGD([whole], lambd: 0.3, alpha: 0.75, t0: 1)
    run(whole, straight, 0..<6)
    let first = Tensor([1.0, 2.0], dtype: .float64).requiringGrad()
    let before = ASGD([first], lambd: 0.3, alpha: 0.75, t0: 1)
    run(first, before, 0..<3)
    let saved = before.stateDict()
    #expect(saved.scalars["group.0.previousLR"] == rates[2])
    let resumed = first.detach().requiringGrad()
    let after = ASGD([resumed], lambd: 0.3, alpha: 0.75, t0: 1)
    try after.loadStateDict(saved)
    run(resumed, after, 3..<6)
    #expect(resumed.scalars(as: Double.self) == whole.scalars(as: Double.self))
    #expect(try #require(after.average(of: resumed)).scalars(as: Double.self)
            == (try #require(straight.average(of: whole))).scalars(as: Double.self))
    // A saved rate that is not a rate is refused, naming the key.
    var damaged = saved
    damaged.scalars["group.0.previousLR"] = -1
    #expect(throws: OptimizerStateError.self) { try after.loadStateDict(damaged) }
}
