import Foundation
import Gradus
import GradusTestSupport
import Testing

/// L-BFGS against PyTorch's torch.optim.LBFGS (Tests/Fixtures/optim/lbfgs.json,
/// scripts/make_lbfgs_fixtures.py): Rosenbrock functions and a least-squares fit in Float64, with and
/// without the strong Wolfe line search, a short history, early stops by tolerance and by evaluations.
struct LBFGSCase: Decodable, Sendable, CustomTestStringConvertible {
    struct Step: Decodable, Sendable {
        let loss: Double
        let params: [[Double]]
        let iterations: Int
        let evaluations: Int
    }
    let name: String
    let problem: String
    let start: [[Double]]
    let shapes: [[Int]]
    let settings: [String: Double]
    let steps: [Step]
    var testDescription: String { name }
}

struct LBFGSFixtures: Decodable, Sendable {
    let x: [Double]
    let y: [Double]
    let cases: [LBFGSCase]
    static let loaded: LBFGSFixtures? = try? Fixtures.decode(LBFGSFixtures.self, "optim/lbfgs.json")
}

@Suite struct LBFGSTests {
    static func loss(_ problem: String, _ params: [Tensor], _ f: LBFGSFixtures) -> Tensor {
        switch problem {
        case "rosenbrock":
            let x = params[0], n = x.shape[0]
            let a = x.slice(axis: 0, start: 0, end: n - 1), b = x.slice(axis: 0, start: 1, end: n)
            return ((1 - a).square() + 100 * (b - a.square()).square()).sum()
        default:
            let (w, b) = (params[0], params[1])
            let x = Tensor(shape: [6, 3], values: f.x, dtype: .float64), y = Tensor(shape: [6, 2], values: f.y, dtype: .float64)
            return (x.matmul(w.t) + b - y).square().mean()
        }
    }

    @Test("trajectories, returned losses and counters as PyTorch's", arguments: LBFGSFixtures.loaded?.cases ?? [])
    func matchesPyTorch(_ c: LBFGSCase) throws {
        let f = try #require(LBFGSFixtures.loaded)
        let params = zip(c.shapes, c.start).map { Tensor(shape: $0, values: $1, dtype: .float64).requiringGrad() }
        let s = c.settings
        let optimizer = LBFGS(params, lr: s["lr"]!, maxIter: Int(s["maxIter"]!), maxEval: Int(s["maxEval"]!),
                              toleranceGrad: s["toleranceGrad"]!, toleranceChange: s["toleranceChange"]!,
                              historySize: Int(s["historySize"]!), lineSearch: s["strongWolfe"] == 1 ? .strongWolfe : .none)
        for (k, expected) in c.steps.enumerated() {
            let loss = try optimizer.step {
                optimizer.zeroGrad()
                let l = Self.loss(c.problem, params, f)
                l.backward()
                return l
            }
            #expect(abs(loss.item(Double.self) - expected.loss) <= 1e-9 * max(1, abs(expected.loss)), "\(c.name) step \(k) loss")
            #expect(optimizer.iterations == expected.iterations && optimizer.functionEvaluations == expected.evaluations,
                    "\(c.name) step \(k): \(optimizer.iterations) iterations, \(optimizer.functionEvaluations) evaluations; PyTorch \(expected.iterations), \(expected.evaluations)")
            // Parameters to 1e-6: near the least-squares minimum the last steps move along a flat valley
            // (the loss equal to 1e-9, the parameters still moving by 3e-5 per step), where rounding that
            // differs with the processor's Float64 product kernels (OpenBLAS's Zen kernels against its
            // SkylakeX ones) moves the point by 1.2e-7. A missed or wrong step moves it by far more.
            for (p, want) in zip(params, expected.params) {
                for (a, b) in zip(p.scalars(as: Double.self), want) {
                    #expect(abs(a - b) <= 1e-6 * max(1, abs(b)), "\(c.name) step \(k): \(p.scalars(as: Double.self)) vs \(want)")
                }
            }
        }
    }

    @Test("a 4-D Rosenbrock with a history of 2 converges (its path meets a near-tie, so it is not compared step by step)")
    func rosenbrockConverges() throws {
        let fixtures = try #require(LBFGSFixtures.loaded)
        let x = Tensor([-1.2, 1.0, -0.5, 0.8], dtype: .float64).requiringGrad()
        let optimizer = LBFGS([x], maxIter: 15, historySize: 2, lineSearch: .strongWolfe)
        var loss = Double.infinity
        for _ in 0..<20 where loss > 1e-12 {
            loss = try optimizer.step {
                optimizer.zeroGrad()
                let l = Self.loss("rosenbrock", [x], fixtures)
                l.backward()
                return l
            }.item(Double.self)
        }
        #expect(x.allClose(Tensor.ones([4], dtype: .float64), atol: 1e-4), "\(x)")   // PyTorch ends within 1e-4 too
    }

    @Test("refusals: step() without the loss function, a closure that returns several numbers, bad settings")
    func refusals() throws {
        let p = Tensor([1.0, 2.0]).requiringGrad()
        let optimizer = LBFGS([p])
        #expect(failure { optimizer.step() }?.kind == .invalidArgument)
        #expect(throws: GradusError.self) {
            try optimizer.step {
                optimizer.zeroGrad()
                let y = p * 2
                y.sum().backward()
                return y
            }
        }
        #expect(failure { LBFGS([p], maxIter: 0) }?.kind == .invalidArgument)
        #expect(failure { LBFGS([p], maxEval: .max) }?.kind == .invalidArgument)
        #expect(failure { LBFGS([p], historySize: .max) }?.kind == .invalidArgument)
        #expect(failure { optimizer.setOption("historySize", 0) }?.kind == .invalidArgument)
        #expect(failure { optimizer.setOption("maxIter", .nan) }?.kind == .invalidArgument)
        #expect(failure { optimizer.setOption("maxEval", 2.5) }?.kind == .invalidArgument)
        #expect(failure { optimizer.addParameterGroup(ParameterGroup([Tensor([0.0]).requiringGrad()])) }?.kind == .invalidArgument)
        // A closure that throws in the middle of a step leaves the parameters as they were.
        struct Stop: Error {}
        var calls = 0
        let before = p.scalars()
        #expect(throws: Stop.self) {
            try optimizer.step {
                calls += 1
                if calls == 3 { throw Stop() }
                optimizer.zeroGrad()
                let l = (p - 5).square().sum()
                l.backward()
                return l
            }
        }
        #expect(p.scalars() == before && calls == 3)
        #expect(failure { LBFGS([p], historySize: 0) }?.kind == .invalidArgument)
        // Float32 parameters converge on a quadratic too (the direction is computed in Float64).
        let q = Tensor([3.0, -2.0]).requiringGrad()
        let lbfgs = LBFGS([q], lineSearch: .strongWolfe)
        try lbfgs.step {
            lbfgs.zeroGrad()
            let l = (q - Tensor([1.0, 1.0])).square().sum()
            l.backward()
            return l
        }
        #expect(q.allClose(Tensor([1.0, 1.0]), atol: 1e-5))
    }

    @Test("a state saved mid-run and loaded into a new optimizer continues bit for bit, through safetensors; bad states are refused",
          arguments: [LBFGS.LineSearch.none, .strongWolfe])
    func resumesExactly(_ search: LBFGS.LineSearch) throws {
        let fixtures = try #require(LBFGSFixtures.loaded)
        func run(_ x: Tensor, _ optimizer: LBFGS, steps: Int) throws {
            for _ in 0..<steps {
                _ = try optimizer.step {
                    optimizer.zeroGrad()
                    let l = Self.loss("rosenbrock", [x], fixtures)
                    l.backward()
                    return l
                }
            }
        }
        let x = Tensor([-1.2, 1.0, -0.5, 0.8], dtype: .float64).requiringGrad()
        let optimizer = LBFGS([x], lr: search == .none ? 0.1 : 1, maxIter: 3, historySize: 3, lineSearch: search)
        try run(x, optimizer, steps: 2)
        // Through a file, as a checkpoint would keep it.
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("lbfgs-\(UUID().uuidString).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        let saved = optimizer.stateDict()
        #expect(saved.tensors["history.steps"]?.shape.first == 3, "three pairs stored after six iterations")
        try SafeTensors.save(saved.tensors, metadata: saved.scalars.mapValues { "\($0)" }, to: file)
        let read = try SafeTensors.load(file)
        var state = OptimizerState()
        state.tensors = read.tensors
        state.scalars = read.metadata.compactMapValues(Double.init)
        let y = x.detach().clone().requiringGrad()
        let resumed = LBFGS([y], lr: search == .none ? 0.1 : 1, maxIter: 3, historySize: 3, lineSearch: search)
        try resumed.loadStateDict(state)
        #expect(resumed.iterations == optimizer.iterations && resumed.functionEvaluations == optimizer.functionEvaluations)
        try run(x, optimizer, steps: 2)
        try run(y, resumed, steps: 2)
        #expect(y.scalars(as: Double.self) == x.scalars(as: Double.self), "\(y) vs \(x)")
        // A state that does not fit leaves the optimizer as it was.
        var wrong = saved
        wrong.tensors["history.direction"] = Tensor.zeros([5], dtype: .float64)
        #expect(throws: OptimizerStateError.self) { try resumed.loadStateDict(wrong) }
        var negative = saved
        negative.tensors["history.curvatures"] = Tensor([-1.0, 1.0, 1.0], dtype: .float64)
        #expect(throws: OptimizerStateError.self) { try resumed.loadStateDict(negative) }
        var unknown = saved
        unknown.scalars["history.temperature"] = 1
        #expect(throws: OptimizerStateError.self) { try resumed.loadStateDict(unknown) }
        var infinite = saved
        infinite.scalars["history.hessianScale"] = .infinity
        #expect(throws: OptimizerStateError.self) { try resumed.loadStateDict(infinite) }
        #expect(resumed.iterations == optimizer.iterations)
        // A state without the memory (an older file) restores the options and starts from steepest descent.
        var old = saved
        old.tensors = old.tensors.filter { !$0.key.hasPrefix("history.") }
        old.scalars = old.scalars.filter { !$0.key.hasPrefix("history.") }
        try resumed.loadStateDict(old)
        #expect(resumed.iterations == 0)
    }
}
