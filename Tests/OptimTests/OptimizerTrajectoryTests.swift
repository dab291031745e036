import Foundation
import Gradus
import GradusTestSupport
import Testing

/// A parameter group in a fixture: indices of the parameters and its option overrides.
struct GroupSpec: Decodable, Sendable {
    let params: [Int]
    let options: [String: Double]
}

/// One optimizer trajectory recorded by scripts/make_optim_fixtures.py.
struct OptimizerCase: Decodable, Sendable, CustomTestStringConvertible {
    let optimizer: String
    let options: [String: Double]
    let groups: [GroupSpec]?
    let dtype: String
    /// Per step, per parameter: the values after the step.
    let trajectory: [[[Double]]]

    var testDescription: String {
        "\(optimizer) \(options.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))"
            + (groups == nil ? "" : " (groups)") + " \(dtype)"
    }
}

struct OptimizerFixtures: Decodable, Sendable {
    let initial: [[Double]]
    let shapes: [[Int]]
    let scale: [[Double]]
    let center: [[Double]]
    let cases: [OptimizerCase]
    static let loaded: OptimizerFixtures? = try? Fixtures.decode(OptimizerFixtures.self, "optim/optimizers.json")
    static var all: [OptimizerCase] { loaded?.cases ?? [] }
}

/// Builds an optimizer by name; `options` become the options of every group (group specs override).
func makeOptimizer(_ name: String, _ groups: [ParameterGroup]) -> Optimizer {
    switch name {
    case "SGD": return SGD(groups: groups)
    case "Adam": return Adam(groups: groups)
    case "AdamW": return AdamW(groups: groups)
    case "Adagrad": return Adagrad(groups: groups)
    case "RMSprop": return RMSprop(groups: groups)
    case "Adadelta": return Adadelta(groups: groups)
    case "Adamax": return Adamax(groups: groups)
    case "NAdam": return NAdam(groups: groups)
    case "RAdam": return RAdam(groups: groups)
    case "Rprop": return Rprop(groups: groups)
    case "ASGD": return ASGD(groups: groups)
    default: fatalError("unknown optimizer \(name)")
    }
}

/// The fixture's gradient of element j at step k: a_j·(θ_j − c_j) + 0.1·cos(0.7·k + j), in float64.
func fixtureGradient(_ p: Tensor, scale: [Double], center: [Double], step k: Int) -> Tensor {
    let values = p.scalars(as: Double.self)
    let g = values.indices.map { j in scale[j] * (values[j] - center[j]) + 0.1 * cos(0.7 * Double(k) + Double(j)) }
    return Tensor(shape: p.shape, values: g, dtype: p.dtype)
}

@Test func optimizerFixturesLoad() {
    #expect(OptimizerFixtures.all.count >= 47)
}

@Test(arguments: OptimizerFixtures.all)
func optimizerTrajectoryMatchesPyTorch(_ c: OptimizerCase) throws {
    let f = try #require(OptimizerFixtures.loaded)
    let dtype = DType(rawValue: c.dtype)!
    let params = zip(f.shapes, f.initial).map { Tensor(shape: $0, values: $1, dtype: dtype).requiringGrad() }
    let specs = c.groups ?? [GroupSpec(params: Array(params.indices), options: [:])]
    let groups = specs.map { s in
        ParameterGroup(s.params.map { params[$0] }, c.options.merging(s.options) { _, group in group })
    }
    let optimizer = makeOptimizer(c.optimizer, groups)
    let (rtol, atol) = dtype == .float64 ? (1e-6, 1e-9) : (1e-5, 1e-6)
    for (k, expected) in c.trajectory.enumerated() {
        optimizer.zeroGrad()
        for (i, p) in params.enumerated() {
            #expect(p.grad == nil)
            p.grad = fixtureGradient(p, scale: f.scale[i], center: f.center[i], step: k)
        }
        optimizer.step()
        for (i, p) in params.enumerated() {
            let want = Tensor(shape: f.shapes[i], values: expected[i], dtype: dtype)
            let problem = mismatch(p, want, rtol: rtol, atol: atol)
            #expect(problem == nil, "step \(k + 1), parameter \(i): \(problem ?? "")")
            if problem != nil { return }
        }
    }
}
