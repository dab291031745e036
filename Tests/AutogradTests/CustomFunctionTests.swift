import Gradus
import GradusTestSupport
import Testing

/// A reduction that stands for a world of `copies` identical processes: the sum over processes of a
/// tensor every process holds equally is `copies` times it, and so is the sum of the gradients.
private final class IdenticalProcesses: CrossProcessReduction, @unchecked Sendable {
    let copies: Double
    var calls = 0
    init(_ copies: Double) { self.copies = copies }
    var zeroCalls = 0
    func sumZerosAcrossProcesses(count: Int, dtype: DType) throws { zeroCalls += 1 }
    func sumAcrossProcesses(_ tensor: Tensor) throws -> Tensor {
        calls += 1
        return Autograd.function("sumOverCopies", inputs: [tensor], forward: { $0[0] * self.copies },
                                 backward: { [copies] g, _ in [g * copies] })
    }
}

@Suite("Custom differentiable functions and cross-process batch norm")
struct CustomFunctionTests {
    func normal(_ shape: [Int], seed: UInt64) -> Tensor {
        var rng = SeededGenerator(seed: seed)
        return Tensor.normal(shape, dtype: .float64, generator: &rng)
    }

    @Test("a custom function's rule is what backward uses; Float64 gradient check")
    func customRule() {
        let cube: ([Tensor]) -> Tensor = { inputs in
            Autograd.function("cube", inputs: inputs, forward: { $0[0] * $0[0] * $0[0] }) { g, _ in
                [g * inputs[0].detach().square() * 3]
            }
        }
        let x = normal([3, 4], seed: 1)
        let report = GradCheck.check(inputs: [x]) { cube($0) }
        #expect(report.passed, "\(report)")
        // Two inputs, one of which gets no gradient.
        let a = Tensor([1.0, 2.0], dtype: .float64).requiringGrad(), b = Tensor([3.0, 4.0], dtype: .float64).requiringGrad()
        let y = Autograd.function("firstOnly", inputs: [a, b], forward: { $0[0] * $0[1] }) { g, _ in [g * b.detach(), nil] }
        y.sum().backward()
        #expect(a.grad!.scalars(as: Double.self) == [3, 4])
        #expect(b.grad == nil)
        #expect(y.gradFn?.name == "firstOnly")
    }

    @Test("the forward runs detached and without recording; inputs and captured tensors stay untouched")
    func forwardIsolation() {
        let x = Tensor([1.0, 2.0]).requiringGrad()
        let held = Tensor([5.0, 6.0])
        var sawGradMode = true
        let y = Autograd.function("passThrough", inputs: [x], forward: { inputs in
            sawGradMode = GradMode.isEnabled
            #expect(!inputs[0].requiresGrad)
            return held                    // a tensor held elsewhere
        }) { g, _ in [g] }
        #expect(!sawGradMode)
        #expect(y.requiresGrad && held.gradFn == nil && !held.requiresGrad)
        // Without an input that requires gradients, nothing is recorded.
        let z = Autograd.function("plain", inputs: [Tensor([1.0])], forward: { $0[0] + 1 }) { g, _ in [g] }
        #expect(!z.requiresGrad && z.gradFn == nil)
    }

    @Test("wrong rules and failing forwards are catchable errors")
    func failures() {
        let x = Tensor([1.0]).requiringGrad()
        let wrongCount = Autograd.function("twoGrads", inputs: [x], forward: { $0[0] * 2 }) { g, _ in [g, g] }
        let e1 = #expect(throws: GradusError.self) { try GradusError.catching { wrongCount.sum().backward() } }
        #expect(e1?.message.contains("2 gradients for 1 inputs") == true)
        let e2 = #expect(throws: GradusError.self) {
            try GradusError.catching {
                _ = Autograd.function("boom", inputs: [x], forward: { _ in throw GradusError(.invalidArgument, "boom: refused") }) { g, _ in [g] }
            }
        }
        #expect(e2?.op == "boom")
    }

    @Test("batch norm with a cross-process reduction: one process equals plain batch norm; gradients check in Float64")
    func crossProcessBatchNorm() {
        let x = normal([6, 3, 2, 2], seed: 7)
        let plain = BatchNorm2d(3, dtype: .float64), synced = BatchNorm2d(3, dtype: .float64)
        let world = IdenticalProcesses(1)
        synced.crossProcess = world
        let a = x.detach().requiringGrad(), b = x.detach().requiringGrad()
        let upstream = normal([6, 3, 2, 2], seed: 8)
        (plain(a) * upstream).sum().backward()
        (synced(b) * upstream).sum().backward()
        #expect(world.calls == 2)   // the mean, then the variance about it
        #expect((plain(x) - synced(x)).abs().max().item(Double.self) < 1e-12)
        #expect((a.grad! - b.grad!).abs().max().item(Double.self) < 1e-12)
        #expect((plain.weight!.grad! - synced.weight!.grad!).abs().max().item(Double.self) < 1e-12)
        #expect((plain.runningVar! - synced.runningVar!).abs().max().item(Double.self) < 1e-12)
        // Several identical processes have the statistics of one: same normalized output; the variance's
        // unbiased correction uses the global count (n·copies − 1).
        let four = BatchNorm2d(3, dtype: .float64)
        four.crossProcess = IdenticalProcesses(4)
        let y4 = four(x)
        #expect((y4 - plain(x)).abs().max().item(Double.self) < 1e-12)
        // Float64 gradient check through the cross-process path, in training mode.
        let checked = BatchNorm2d(3, dtype: .float64)
        checked.crossProcess = IdenticalProcesses(3)
        let report = GradCheck.check(inputs: [normal([4, 3, 2, 2], seed: 9)]) { checked($0[0]) * upstream.slice(axis: 0, start: 0, end: 4) }
        #expect(report.passed, "\(report)")
        // A failed pass still takes part in both reductions (with zeros), so other processes are not
        // left waiting: a wrong input, and a scope that failed before the layer.
        let failing = IdenticalProcesses(2)
        let layer = BatchNorm2d(3, dtype: .float64)
        layer.crossProcess = failing
        _ = try? GradusError.catching { _ = layer(Tensor.zeros([2, 5, 2, 2], dtype: .float64)) }
        #expect(failing.calls + failing.zeroCalls == 2 && failing.zeroCalls == 2)
        _ = try? GradusError.catching {
            _ = Tensor.zeros([2]).matmul(Tensor.zeros([3]))   // fails first
            _ = layer(x)
        }
        #expect(failing.zeroCalls == 4)
        // Evaluation mode never calls the reduction.
        let calls = world.calls
        synced.eval()
        _ = synced(x)
        #expect(world.calls == calls)
    }
}
