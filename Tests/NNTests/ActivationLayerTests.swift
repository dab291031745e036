import Gradus
import GradusTestSupport
import Testing

/// The activation layers added beside ReLU: each applies its tensor function, PReLU learns its slopes
/// under PyTorch's parameter name, and bad settings are errors of the scope.
@Suite("Activation layers")
struct ActivationLayerTests {
    @Test("each layer gives its function's values, in a Sequential too")
    func layersApplyTheirFunctions() {
        var rng = SeededGenerator(seed: 11)
        let x = Tensor.normal([4, 5], generator: &rng) * 4
        let pairs: [(any Layer, Tensor)] = [
            (Hardtanh(minValue: -2, maxValue: 3), x.hardtanh(minValue: -2, maxValue: 3)), (ReLU6(), x.relu6()),
            (Hardsigmoid(), x.hardsigmoid()), (Hardswish(), x.hardswish()), (Mish(), x.mish()), (SELU(), x.selu()),
            (CELU(alpha: 0.7), x.celu(alpha: 0.7)), (LogSigmoid(), x.logSigmoid()), (Softsign(), x.softsign()),
        ]
        for (layer, expected) in pairs {
            #expect(layer(x).scalars() == expected.scalars(), "\(type(of: layer))")
        }
        let model = Sequential { Linear(5, 3); Hardswish(); Linear(3, 2); Mish() }
        #expect(model(x).shape == [4, 2])
    }

    @Test("PReLU learns one slope per channel, saved as PyTorch's `weight`")
    func preluLearnsSlopes() throws {
        let layer = PReLU(numParameters: 3, initial: 0.25)
        #expect(Set(layer.stateDict().keys) == ["weight"])
        #expect(layer.weight.scalars() == [0.25, 0.25, 0.25])
        let x = Tensor(shape: [2, 3, 2], values: [1, -2, -1, 3, 0, -4, -1, -1, 2, 2, -3, 5])
        let y = layer(x)
        #expect(y.scalars() == Functional.prelu(x, weight: Tensor([0.25, 0.25, 0.25])).scalars())
        y.sum().backward()
        // d/da_c = Σ x over the channel's elements where x ≤ 0.
        #expect(try #require(layer.weight.grad).scalars() == x.clamp(max: 0.0).sum(axes: [0, 2]).scalars())
        #expect(layer.weight.grad?.scalars() == [-4, -1, -7])
        #expect(PReLU()(Tensor([-2.0, 3])).scalars() == [-0.5, 3])
    }

    @Test("bad settings and mismatched inputs are errors, not stops")
    func badSettings() {
        func failed(_ body: () -> Void) -> Bool {
            do { try GradusError.catching { body() }; return false } catch { return error is GradusError }
        }
        #expect(failed { _ = Hardtanh(minValue: 2, maxValue: 1) })
        #expect(failed { _ = CELU(alpha: 0) })
        #expect(failed { _ = PReLU(numParameters: 0) })
        #expect(failed { _ = PReLU(numParameters: 4)(Tensor.zeros([2, 3])) })
        #expect(failed { _ = Tensor.zeros([2]).hardtanh(minValue: 1, maxValue: 0) })
        #expect(failed { _ = Tensor.zeros([2]).celu(alpha: 0) })
        #expect(failed { _ = Functional.prelu(Tensor.zeros([2]), weight: Tensor.zeros([1, 1])) })
        #expect(!failed { _ = PReLU(numParameters: 4)(Tensor.zeros([2, 4, 3, 3])) })
    }
}
