import Foundation
import Gradus
import GradusTestSupport
import Testing

/// One distribution case recorded by PyTorch (scripts/make_distribution_fixtures.py).
struct DistributionFixture: Decodable {
    struct Inverse: Decodable { let input: TensorFixture; let output: TensorFixture }
    let name: String
    let kind: String
    let params: [String: TensorFixture]
    let value: TensorFixture
    let logProb: TensorFixture
    let entropy: TensorFixture
    let grads: [String: TensorFixture]
    let batchShape: [Int]
    let eventShape: [Int]
    let mean: TensorFixture?
    let variance: TensorFixture?
    let cdf: TensorFixture?
    let icdf: Inverse?
}

/// One divergence recorded by PyTorch.
struct DivergenceFixture: Decodable {
    struct Side: Decodable { let kind: String; let params: [String: TensorFixture] }
    let name: String
    let p: Side
    let q: Side
    let kl: TensorFixture
    let grads: [String: TensorFixture]
}

struct DistributionFixtures: Decodable {
    let cases: [DistributionFixture]
    let kl: [DivergenceFixture]
}

/// Builds the distribution a fixture names, from (leaf) parameter tensors.
func makeDistribution(_ kind: String, _ p: [String: Tensor]) throws -> any Distribution {
    switch kind {
    case "normal": return try Normal(loc: p["loc"]!, scale: p["scale"]!)
    case "uniform": return try Uniform(low: p["low"]!, high: p["high"]!)
    case "bernoulli_probs": return try Bernoulli(probs: p["probs"]!)
    case "bernoulli_logits": return try Bernoulli(logits: p["logits"]!)
    case "categorical_probs": return try Categorical(probs: p["probs"]!)
    case "categorical_logits": return try Categorical(logits: p["logits"]!)
    case "independent_normal": return try Independent(Normal(loc: p["loc"]!, scale: p["scale"]!), reinterpretedBatchDims: 1)
    default: throw GradusError(.invalidArgument, "unknown kind \(kind)")
    }
}

@Suite("Distributions against PyTorch (torch.distributions), sampling laws, refusals")
struct DistributionTests {
    static let fixtures = try! Fixtures.decode(DistributionFixtures.self, "distributions/distributions.json", nonFiniteStrings: true)

    func leaves(_ params: [String: TensorFixture]) -> [String: Tensor] {
        params.mapValues { f in
            let t = f.tensor()
            if t.dtype.isFloatingPoint { t.requiresGrad = true }
            return t
        }
    }

    @Test(arguments: DistributionTests.fixtures.cases.map(\.name))
    func againstPyTorch(_ name: String) throws {
        let f = Self.fixtures.cases.first { $0.name == name }!
        let params = leaves(f.params)
        let d = try makeDistribution(f.kind, params)
        #expect(d.batchShape == f.batchShape && d.eventShape == f.eventShape, "\(name): shapes")
        let value = f.value.tensor()
        let logProb = d.logProb(value), entropy = d.entropy()
        if let m = mismatch(logProb, f.logProb.tensor(), rtol: 1e-10, atol: 1e-12) { Issue.record("\(name) logProb \(m)") }
        if let m = mismatch(entropy, f.entropy.tensor(), rtol: 1e-10, atol: 1e-12) { Issue.record("\(name) entropy \(m)") }
        if let mean = f.mean, let m = mismatch(d.mean, mean.tensor(), rtol: 1e-12, atol: 1e-12) { Issue.record("\(name) mean \(m)") }
        if let variance = f.variance, let m = mismatch(d.variance, variance.tensor(), rtol: 1e-12, atol: 1e-12) {
            Issue.record("\(name) variance \(m)")
        }
        if let cdf = f.cdf {
            let actual = (d as? Normal)?.cdf(value) ?? (d as! Uniform).cdf(value)
            if let m = mismatch(actual, cdf.tensor(), rtol: 1e-10, atol: 1e-12) { Issue.record("\(name) cdf \(m)") }
        }
        if let icdf = f.icdf {
            let input = icdf.input.tensor()
            let actual = (d as? Normal)?.icdf(input) ?? (d as! Uniform).icdf(input)
            if let m = mismatch(actual, icdf.output.tensor(), rtol: 1e-10, atol: 1e-12) { Issue.record("\(name) icdf \(m)") }
        }
        guard !f.grads.isEmpty else { return }
        (logProb.sum() + entropy.sum()).backward()
        for (key, expected) in f.grads {
            guard let g = params[key]!.grad else { Issue.record("\(name): no gradient for \(key)"); continue }
            if let m = mismatch(g, expected.tensor(), rtol: 1e-8, atol: 1e-10) { Issue.record("\(name) gradient of \(key) \(m)") }
        }
    }

    @Test(arguments: DistributionTests.fixtures.kl.map(\.name))
    func divergenceAgainstPyTorch(_ name: String) throws {
        let f = Self.fixtures.kl.first { $0.name == name }!
        let pParams = leaves(f.p.params), qParams = leaves(f.q.params)
        let kl = Distributions.klDivergence(try makeDistribution(f.p.kind, pParams), try makeDistribution(f.q.kind, qParams))
        if let m = mismatch(kl, f.kl.tensor(), rtol: 1e-10, atol: 1e-12) { Issue.record("\(name) kl \(m)") }
        guard !f.grads.isEmpty else { return }
        kl.sum().backward()
        for (key, expected) in f.grads {
            let side = key.hasPrefix("p.") ? pParams : qParams
            guard let g = side[String(key.dropFirst(2))]!.grad else { Issue.record("\(name): no gradient for \(key)"); continue }
            if let m = mismatch(g, expected.tensor(), rtol: 1e-8, atol: 1e-10) { Issue.record("\(name) gradient of \(key) \(m)") }
        }
    }

    // MARK: Float64 gradient checks

    func normal64(_ shape: [Int], seed: UInt64) -> Tensor {
        var rng = SeededGenerator(seed: seed)
        return Tensor.normal(shape, dtype: .float64, generator: &rng)
    }

    @Test func gradientChecks() {
        let loc = normal64([3], seed: 1), scale = normal64([3], seed: 2).abs() + 0.3, x = normal64([2, 3], seed: 3)
        #expect(GradCheck.check(inputs: [loc, scale]) { (try! Normal(loc: $0[0], scale: $0[1])).logProb(x) }.passed)
        #expect(GradCheck.check(inputs: [scale]) { (try! Normal(loc: loc.detach(), scale: $0[0])).entropy() }.passed)
        let logits = normal64([2, 4], seed: 4)
        let classes = Tensor(shape: [2], values: [3, 1], dtype: .int64)
        #expect(GradCheck.check(inputs: [logits]) { (try! Categorical(logits: $0[0])).logProb(classes) }.passed)
        #expect(GradCheck.check(inputs: [logits]) { (try! Categorical(logits: $0[0])).entropy() }.passed)
        let binary = Tensor([1, 0, 1], dtype: .float64)
        #expect(GradCheck.check(inputs: [loc]) { (try! Bernoulli(logits: $0[0])).logProb(binary) }.passed)
        let q = normal64([3], seed: 5)
        #expect(GradCheck.check(inputs: [loc, scale, q]) {
            Distributions.klDivergence(try! Normal(loc: $0[0], scale: $0[1]), try! Normal(loc: $0[2], scale: scale.detach()))
        }.passed)
        let low = Tensor([0, -1], dtype: .float64), width = Tensor([1, 2], dtype: .float64)
        #expect(GradCheck.check(inputs: [low, width]) {
            (try! Uniform(low: $0[0], high: $0[0] + $0[1])).logProb(Tensor([0.5, 0.2], dtype: .float64))
        }.passed)
    }

    /// Float32: probabilities 0 and 1 are clamped by Float32's epsilon (PyTorch's `clamp_probs`), so the
    /// logits are ±(log ε − log(1 − ε)) and the log-probabilities finite.
    @Test func float32ClampsAtFloat32Epsilon() throws {
        let d = try Bernoulli(probs: Tensor([0, 1]))
        let eps = Double(Float.ulpOfOne), edge = Foundation.log(eps) - Foundation.log1p(-eps)
        #expect(mismatch(d.logits, Tensor([edge, -edge]), rtol: 1e-6, atol: 0) == nil)
        let lp = d.logProb(Tensor([0, 1])).scalars(as: Double.self)
        #expect(lp.allSatisfy { $0.isFinite && $0 <= 0 && $0 > -1e-5 })
        let c = try Categorical(probs: Tensor([0, 1]))
        #expect(c.entropy().item(Double.self).isFinite)
        #expect(c.logProb(Tensor(shape: [1], values: [0], dtype: .int64)).item(Double.self) < -15)
    }

    // MARK: Sampling

    @Test func samplingLaws() throws {
        var rng = SeededGenerator(seed: 7)
        let n = 40_000
        let normal = try Normal(loc: Tensor([2.0, -1.0], dtype: .float64), scale: Tensor([0.5, 3.0], dtype: .float64))
        let z = normal.sample([n], generator: &rng)
        #expect(z.shape == [n, 2] && !z.requiresGrad)
        let m = z.mean(axes: [0]).scalars(as: Double.self), s = z.std(axes: [0]).scalars(as: Double.self)
        #expect(abs(m[0] - 2) < 4 * 0.5 / Double(n).squareRoot() && abs(m[1] + 1) < 4 * 3 / Double(n).squareRoot())
        #expect(abs(s[0] - 0.5) < 0.01 && abs(s[1] - 3) < 0.06)

        let uniform = try Uniform(low: -1, high: 3, dtype: .float64)
        let u = uniform.sample([n], generator: &rng).scalars(as: Double.self)
        #expect(u.allSatisfy { $0 >= -1 && $0 < 3 })
        #expect(abs(u.reduce(0, +) / Double(n) - 1) < 4 * (16.0 / 12).squareRoot() / Double(n).squareRoot())

        let bernoulli = try Bernoulli(probs: Tensor([0.1, 0.7], dtype: .float64))
        let b = bernoulli.sample([n], generator: &rng)
        let rates = b.mean(axes: [0]).scalars(as: Double.self)
        #expect(abs(rates[0] - 0.1) < 4 * (0.09 / Double(n)).squareRoot() && abs(rates[1] - 0.7) < 4 * (0.21 / Double(n)).squareRoot())

        let categorical = try Categorical(probs: Tensor([[0.1, 0.0, 0.9], [1, 1, 2]], dtype: .float64))
        let c = categorical.sample([n], generator: &rng)
        #expect(c.shape == [n, 2] && c.dtype == .int64)
        let first = c[0..., 0].scalars(as: Double.self), second = c[0..., 1].scalars(as: Double.self)
        #expect(!first.contains(1), "a class of probability 0 is never drawn")
        let share = Double(first.filter { $0 == 2 }.count) / Double(n)
        #expect(abs(share - 0.9) < 4 * (0.09 / Double(n)).squareRoot())
        #expect(abs(Double(second.filter { $0 == 2 }.count) / Double(n) - 0.5) < 4 * (0.25 / Double(n)).squareRoot())
        #expect(try Categorical(probs: Tensor([0.5, 0.5])).sample().shape == [])
        #expect(categorical.sample([0]).shape == [0, 2])
    }

    @Test func reparameterizedSamplesCarryGradients() throws {
        let loc = Tensor([1.0, 2.0], dtype: .float64).requiringGrad(), scale = Tensor([0.5, 2.0], dtype: .float64).requiringGrad()
        var rng = SeededGenerator(seed: 8)
        let d = try Normal(loc: loc, scale: scale)
        let z = d.rsample([5], generator: &rng)
        z.sum().backward()
        #expect(loc.grad!.scalars(as: Double.self) == [5, 5], "∂(loc + ε·scale)/∂loc = 1 per sample")
        let noise = ((z.detach() - loc.detach()) / scale.detach()).sum(axes: [0]).scalars(as: Double.self)
        let g = scale.grad!.scalars(as: Double.self)
        #expect(abs(g[0] - noise[0]) < 1e-12 && abs(g[1] - noise[1]) < 1e-12, "∂/∂scale = Σ ε")

        let independent = try Independent(Normal(loc: Tensor.zeros([4, 3]), scale: Tensor.ones([4, 3])), reinterpretedBatchDims: 1)
        #expect(independent.batchShape == [4] && independent.eventShape == [3])
        #expect(independent.rsample([2]).shape == [2, 4, 3])
        #expect(independent.logProb(Tensor.zeros([4, 3])).shape == [4])
    }

    // MARK: Refusals (catchable, naming the problem)

    @Test func refusals() throws {
        #expect(throws: GradusError.self) { try Normal(loc: 0, scale: 0) }
        #expect(throws: GradusError.self) { try Normal(loc: Tensor([.nan]), scale: Tensor([1])) }
        #expect(throws: GradusError.self) { try Normal(loc: Tensor([0, 0]), scale: Tensor([1, 1, 1])) }
        #expect(throws: GradusError.self) { try Normal(loc: Tensor([0], dtype: .float64), scale: Tensor([1])) }
        #expect(throws: GradusError.self) { try Uniform(low: 1, high: 1) }
        #expect(throws: GradusError.self) { try Uniform(low: 0, high: .infinity) }
        #expect(throws: GradusError.self) { try Bernoulli(probs: Tensor([1.5])) }
        #expect(throws: GradusError.self) { try Bernoulli(probs: Tensor([1], dtype: .int64)) }
        #expect(throws: GradusError.self) { try Categorical(probs: Tensor([[0, 0]])) }
        #expect(throws: GradusError.self) { try Categorical(probs: Tensor([-0.1, 1.1])) }
        #expect(throws: GradusError.self) { try Categorical(logits: Tensor([-Double.infinity, -.infinity])) }
        #expect(throws: GradusError.self) { try Categorical(logits: Tensor.zeros([2, 0])) }
        #expect(throws: GradusError.self) { try Independent(Normal(loc: 0, scale: 1), reinterpretedBatchDims: 1) }

        #expect(throws: GradusError.self) { try GradusError.catching { try Normal(loc: 0, scale: 1).logProb(Tensor([.nan])) } }
        #expect(throws: GradusError.self) { try GradusError.catching { try Uniform(low: 0, high: 1).logProb(Tensor([1.5])) } }
        #expect(throws: GradusError.self) { try GradusError.catching { try Bernoulli(probs: Tensor([0.5])).logProb(Tensor([0.5])) } }
        #expect(throws: GradusError.self) {
            try GradusError.catching { try Categorical(probs: Tensor([0.5, 0.5])).logProb(Tensor(shape: [1], values: [2], dtype: .int64)) }
        }
        #expect(throws: GradusError.self) {
            try GradusError.catching { try Normal(loc: Tensor.zeros([3]), scale: Tensor.ones([3])).logProb(Tensor.zeros([2])) }
        }
        #expect(throws: GradusError.self) {
            try GradusError.catching { Distributions.klDivergence(try Normal(loc: 0, scale: 1), try Bernoulli(probs: Tensor([0.5]))) }
        }
        // An event is not broadcast into (PyTorch: "the right-most size of value must match event_shape").
        let independent = try Independent(Normal(loc: Tensor.zeros([2, 3]), scale: Tensor.ones([2, 3])), reinterpretedBatchDims: 1)
        #expect(throws: GradusError.self) { try GradusError.catching { independent.logProb(Tensor.zeros([2, 1])) } }
        // Sample counts that overflow or are negative.
        let categorical = try Categorical(probs: Tensor([0.5, 0.5]))
        #expect(throws: GradusError.self) { try GradusError.catching { categorical.sample([1 << 32, 1 << 32]) } }
        #expect(throws: GradusError.self) { try GradusError.catching { categorical.sample([-1]) } }
        #expect(categorical.sample([3, 0]).shape == [3, 0])
        #expect(throws: GradusError.self) { try GradusError.catching { try Uniform(low: 0, high: 1).cdf(Tensor([2])) } }
    }

    /// The code of the article "Sampling and scoring with probability distributions", run with small
    /// networks.
    @Test func articleExamples() throws {
        var rng = SeededGenerator(seed: 9)
        let network = Linear(4, 3, generator: &rng)
        let observations = Tensor.normal([5, 4], generator: &rng), advantages = Tensor.normal([5], generator: &rng)
        let policy = try Categorical(logits: network(observations))
        let actions = policy.sample()
        #expect(actions.shape == [5] && actions.dtype == .int64)
        let loss = -(policy.logProb(actions) * advantages).mean() - 0.01 * policy.entropy().mean()
        loss.backward()
        #expect(network.weight.grad != nil)

        let encoder = Linear(6, 4, generator: &rng), decoder = Linear(2, 6, generator: &rng)
        let images = Tensor.normal([3, 6], generator: &rng)
        let code = encoder(images)
        let mu = code[0..., 0..<2], logVariance = code[0..., 2..<4]
        let posterior = try Independent(Normal(loc: mu, scale: (0.5 * logVariance).exp()), reinterpretedBatchDims: 1)
        let prior = try Independent(Normal(loc: Tensor.zeros(mu.shape), scale: Tensor.ones(mu.shape)), reinterpretedBatchDims: 1)
        let z = posterior.rsample()
        #expect(z.shape == [3, 2])
        let kl = Distributions.klDivergence(posterior, prior)
        #expect(kl.shape == [3] && kl.scalars(as: Double.self).allSatisfy { $0 >= 0 })
        let vaeLoss = decoder(z).mseLoss(images, reduction: .sum) + kl.sum()
        vaeLoss.backward()
        #expect(encoder.weight.grad != nil && decoder.weight.grad != nil, "gradients reach the encoder through the sample")
    }
}
