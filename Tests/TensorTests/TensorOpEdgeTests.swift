import Gradus
import GradusTestSupport
import Testing

/// Behaviour of the log-space sums, closeness tests, running extremes, grids, contractions and picking
/// along an axis that the PyTorch fixtures (ops.json, nonfinite.json, semantics.json) cannot state:
/// refusals where PyTorch answers from outside the tensor, dtypes where PyTorch refuses, second
/// derivatives, views, and the doc comments' examples.
@Suite struct TensorOpEdgeTests {
    @Test("takeAlongDim refuses an index past the axis, also after broadcasting (PyTorch 2.15 reads outside the tensor)")
    func takeAlongDimRange() {
        let x = Tensor([[1.0, 2.0]])
        let e = failure { x.takeAlongDim(Tensor(shape: [1, 1], integers: [2]), axis: 1) }
        #expect(e?.kind == .indexOutOfRange)
        #expect(e?.message.contains("index 2") == true)
        #expect(failure { x.takeAlongDim(Tensor(shape: [3, 1], integers: [0, 1, -1]), axis: 1) }?.kind == .indexOutOfRange)
        #expect(failure { x.takeAlongDim(Tensor([[0.0]]), axis: 1) }?.kind == .dtypeMismatch)
        // Flattened, and the doc comment's use with argmax.
        let scores = Tensor([[0.1, 0.7, 0.2], [0.9, 0.05, 0.05]])
        #expect(scores.takeAlongDim(scores.argmax(axis: 1, keepDims: true), axis: 1).scalars() == [0.7, 0.9])
        #expect(scores.takeAlongDim(Tensor(labels: [5, 0])).scalars() == [0.05, 0.1])
    }

    @Test("logaddexp and hypot of int64 tensors compute in float32 (PyTorch refuses them)")
    func integerOperands() {
        let l = Tensor(labels: [0, 1]).logaddexp(Tensor(labels: [0, -1]))
        #expect(l.dtype == .float32)
        #expect(l.allClose(Tensor([0.6931472, 1.126928]), atol: 1e-6))
        let h = Tensor(labels: [3, 5]).hypot(Tensor(labels: [4, 12]))
        #expect(h.dtype == .float32 && h.scalars() == [5, 13])
        #expect(Tensor(labels: [0, 1, 2]).logcumsumexp(axis: 0).dtype == .float32)
    }

    @Test("logcumsumexp and logaddexp have second derivatives (Float64 check of the gradient's gradient)")
    func secondDerivatives() {
        var rng = SeededGenerator(seed: 1202)
        let functions: [(Tensor) -> Tensor] = [
            { $0.logcumsumexp(axis: 1) }, { $0.logaddexp($0.flip(axes: [1]) * 0.5) }, { $0.hypot($0.square() + 1) },
        ]
        for function in functions {
            // GradCheck evaluates without recording too; the gradient then needs a variable of its own.
            let report = GradCheck.check(inputs: [Tensor.normal([2, 4], dtype: .float64, generator: &rng)]) { args in
                GradMode.with(enabled: true) {
                    let x = args[0].requiresGrad ? args[0] : args[0].detach().requiringGrad()
                    let y = function(x)
                    return Autograd.gradients(of: (y * y).sum(), wrt: [x], createGraph: true)[0]
                }
            }
            #expect(report.passed, "\(report)")
        }
    }

    @Test("logcumsumexp's gradient stays finite where the running sums span more than the float range")
    func logcumsumexpWideRange() {
        let x = Tensor([-1000.0, 0, 1000, -1000]).requiringGrad()
        let y = x.logcumsumexp(axis: 0)
        #expect(y.scalars() == [-1000, 0, 1000, 1000])
        (y * Tensor([1.0, -2, 3, 1])).sum().backward()
        // d y_j / d x_i = exp(x_i − y_j) for i ≤ j: x₀ only feeds y₀ (and the others with weight ~0).
        #expect(x.grad!.allClose(Tensor([1.0, -2, 4, 0]), atol: 1e-6))
    }

    @Test("cummax's gradient adds up where one element is the maximum of several prefixes")
    func cummaxGradientAccumulates() {
        let x = Tensor([1.0, 3, 2, 2, 5]).requiringGrad()
        let (values, indices) = x.cummax(axis: 0)
        #expect(values.scalars() == [1, 3, 3, 3, 5])
        #expect(indices.intScalars == [0, 1, 1, 1, 4])
        values.sum().backward()
        #expect(x.grad!.scalars() == [1, 3, 0, 0, 1])
    }

    @Test("meshgrid's grids are views of the vectors, and gradients sum back over the grid")
    func meshgridViews() {
        let a = Tensor([1.0, 2, 3]).requiringGrad(), b = Tensor([10.0, 20]).requiringGrad()
        let grids = Tensor.meshgrid([a, b])
        #expect(grids.map(\.shape) == [[3, 2], [3, 2]])
        #expect(grids[0].sharesStorage(with: a) && grids[1].sharesStorage(with: b))
        #expect(grids[1].scalars() == [10, 20, 10, 20, 10, 20])
        (grids[0] * grids[1]).sum().backward()
        #expect(a.grad!.scalars() == [30, 30, 30])
        #expect(b.grad!.scalars() == [6, 6])
        #expect(Tensor.meshgrid([a, b], indexing: .xy).map(\.shape) == [[2, 3], [2, 3]])
        #expect(failure { Tensor.meshgrid([]) }?.kind == .invalidArgument)
    }

    @Test("addmm with beta 0 gives the added tensor a zero gradient and ignores its NaN")
    func addmmBetaZero() {
        let bias = Tensor([Double.nan, 1]).requiringGrad()
        let y = bias.addmm(Tensor([[1.0, 2]]), Tensor([[1.0, 0], [0, 1]]), beta: 0)
        #expect(y.scalars() == [1, 2])
        y.sum().backward()
        #expect(bias.grad?.scalars() == [0, 0])
    }

    @Test("closeness: the documented examples, refusals of negative tolerances, broadcasting")
    func closeness() {
        #expect(Tensor([1.0, 2.0]).isClose(Tensor([1.0 + 1e-9, 2.1])).scalars() == [1, 0])
        #expect(Tensor([1.0, 2.0]).equal(Tensor(labels: [1, 2])))
        #expect(!Tensor([1.0, 2.0]).equal(Tensor([1.0, 2.0]).reshape([1, 2])))
        #expect(failure { Tensor([1.0]).isClose(Tensor([1.0]), atol: -1) }?.kind == .invalidArgument)
        #expect(failure { Tensor([1.0, 2]).allClose(Tensor([1.0, 2, 3])) }?.kind == .shapeMismatch)
        #expect(Tensor([[1.0], [2.0]]).allClose(Tensor([1.0, 1.0]).reshape([1, 2]) + Tensor([[0.0], [1.0]])))
        // Float64 keeps tolerances below float32's resolution.
        #expect(!Tensor([1.0], dtype: .float64).allClose(Tensor([1.0 + 1e-7], dtype: .float64), rtol: 1e-9, atol: 0))
    }

    @Test("fullLike, tile, rot90, kron, tensordot and diff: the documented examples")
    func documentedExamples() {
        let t = Tensor.full(like: Tensor.zeros([2, 3], dtype: .float64), value: -.infinity)
        #expect(t.shape == [2, 3] && t.dtype == .float64 && t.scalars(as: Double.self).allSatisfy { $0 == -.infinity })
        #expect(Tensor([[1.0, 2]]).tile([2]).scalars() == [1, 2, 1, 2])
        #expect(Tensor([[1.0, 2], [3, 4]]).rot90().scalars() == [2, 4, 1, 3])
        #expect(Tensor([[1.0, 2]]).kron(Tensor([1.0, 10])).scalars() == [1, 10, 2, 20])
        #expect(Tensor.ones([2, 3, 4]).tensordot(Tensor.ones([3, 4, 5]), dims: 2).shape == [2, 5])
        #expect(Tensor([1.0, 4, 9, 16]).diff().scalars() == [3, 5, 7])
        #expect(Tensor([1.0, 4, 9, 16]).diff(n: 2).scalars() == [2, 2])
        #expect(Tensor([0.0, 0, 0]).logcumsumexp(axis: 0).allClose(Tensor([0, 0.6931472, 1.0986123])))
        #expect(Tensor([3.0]).logaddexp2(Tensor([3.0])).scalars() == [4])
        // unfold: a view (no copy) whose overlapping windows add their gradients.
        let signal = Tensor.arange(0, 7).requiringGrad()
        let windows = signal.unfold(axis: 0, size: 3, step: 2)
        #expect(windows.shape == [3, 3] && windows.sharesStorage(with: signal))
        #expect(windows.scalars() == [0, 1, 2, 2, 3, 4, 4, 5, 6])
        windows.sum().backward()
        #expect(signal.grad!.scalars() == [1, 1, 2, 1, 2, 1, 1])
        // Of a view with an offset; a view too large for memory is an error, not a stop.
        let offsetView = Tensor.arange(0, 12).reshape([3, 4]).slice(axis: 0, start: 1, end: 3).t
        #expect(offsetView.unfold(axis: 1, size: 2, step: 1).scalars() == [4, 8, 5, 9, 6, 10, 7, 11])
        #expect(failure { Tensor.zeros([1 << 20]).unfold(axis: 0, size: 1 << 19, step: 1) }?.kind == .outOfMemory)
        #expect(Tensor(scalar: 5).unfold(axis: 0, size: 0, step: 1).shape == [0])
        #expect(failure { ConvTranspose1d(2, 2, kernelSize: 3, stride: 2, outputPadding: 2) }?.kind == .invalidArgument)
        #expect(failure { ConvTranspose1d(weight: Tensor.zeros([0, 2, 3]), bias: nil, groups: 1 << 62) }?.kind == .invalidArgument)
        #expect(Tensor([[0.0, 1], [2, 3]]).countNonzero(axes: [1]).intScalars == [1, 2])
        // beta 0: the result's dtype does not depend on whether the added tensor requires gradients.
        let (x, w) = (Tensor([[1.0, 2]]), Tensor([[1.0], [1.0]]))
        let bias = Tensor([0.5], dtype: .float64)
        #expect(bias.addmm(x, w, beta: 0).dtype == .float64 && bias.requiringGrad().addmm(x, w, beta: 0).dtype == .float64)
        // equal and allClose answer false after an earlier failure in the scope, never true.
        #expect(throws: GradusError.self) {
            try GradusError.catching { () -> Bool in
                _ = Tensor.ones([2]).reshape([3])
                let same = Tensor([1.0]).equal(Tensor([2.0]))
                #expect(!same)
                return same
            }
        }
        let (v, m) = Tensor([[1.0, 2, 3]]).varMean(axes: [1])
        #expect(v.scalars() == [1] && m.scalars() == [2])
        #expect(failure { Tensor.ones([2, 2]).tensordot(Tensor.ones([2]), dims: 3) }?.kind == .invalidArgument)
        // A size-1 dimension against a huge one in empty tensors: summed, not expanded, and no overflow.
        let huge = Tensor.zeros([0, 1 << 40, 1]).tensordot(Tensor.zeros([1, 1 << 40, 0]), axes: ([1, 2], [0, 1]))
        #expect(huge.shape == [0, 0])
        #expect(Tensor(labels: [1, 5, 2]).threshold(2, value: 0).intScalars == [0, 5, 0])
        #expect(failure { Tensor(labels: [1]).threshold(1e300, value: 0) }?.kind == .invalidArgument)
        #expect(failure { Tensor(labels: [1, 2]).varMean() }?.kind == .dtypeMismatch)
    }
}

/// The activation, padding and bilinear layers apply their functions with their settings, start as
/// PyTorch's do, and refuse settings PyTorch refuses.
@Suite struct NewLayerTests {
    @Test("activation layers equal their functions; the shrink layers' settings show in the description")
    func activationLayers() {
        var rng = SeededGenerator(seed: 3)
        let x = Tensor.normal([3, 4], generator: &rng)
        let pairs: [(any Layer, Tensor)] = [
            (Hardshrink(lambda: 0.2), x.hardshrink(lambda: 0.2)), (Softshrink(lambda: 0.7), x.softshrink(lambda: 0.7)),
            (Tanhshrink(), x.tanhshrink()), (Threshold(0.3, value: -1), x.threshold(0.3, value: -1)),
            (GLU(axis: 1), x.glu(axis: 1)), (Softmin(axis: 0), x.softmin(axis: 0)),
        ]
        for (layer, expected) in pairs { #expect(layer(x).equal(expected), "\(layer)") }
        #expect("\(Softshrink(lambda: 0.7))".contains("lambda: 0.7"))
        #expect(failure { Softshrink(lambda: -1) }?.kind == .invalidArgument)
        #expect(failure { GLU()(Tensor.ones([2, 3])) }?.kind == .shapeMismatch)
    }

    @Test("padding layers: amounts as PyTorch orders them; negative amounts only for constant padding")
    func paddingLayers() {
        let x = Tensor.arange(0, 6).reshape([1, 1, 2, 3])
        #expect(ZeroPad2d(1)(x).shape == [1, 1, 4, 5])
        #expect(ZeroPad2d((1, 0, 0, 2))(x).shape == [1, 1, 4, 4])
        #expect(ConstantPad2d((0, 1, 0, 0), value: 9)(x).scalars() == [0, 1, 2, 9, 3, 4, 5, 9])
        #expect(ReflectionPad1d(2)(Tensor([[[1.0, 2, 3]]])).scalars() == [3, 2, 1, 2, 3, 2, 1])
        #expect(ReplicationPad2d((1, 0, 0, 0))(x).scalars() == [0, 0, 1, 2, 3, 3, 4, 5])
        #expect(failure { ReflectionPad1d(3)(Tensor([[[1.0, 2, 3]]])) } != nil)
        #expect(ConstantPad1d((-1, 0), value: 0)(Tensor([[[1.0, 2, 3]]])).scalars() == [2, 3])
    }

    @Test("Bilinear: PyTorch's initial ranges, its function, and refusals of mismatched inputs")
    func bilinearLayer() {
        var rng = SeededGenerator(seed: 4)
        let layer = Bilinear(16, 3, 2, generator: &rng)
        #expect(layer.weight.shape == [2, 16, 3] && layer.bias?.shape == [2])
        let bound = Float(0.25)
        #expect(layer.weight.scalars().allSatisfy { abs($0) <= bound } && layer.bias!.scalars().allSatisfy { abs($0) <= bound })
        #expect(layer.namedParameters().map(\.name) == ["weight", "bias"])
        let a = Tensor.normal([5, 16], generator: &rng), b = Tensor.normal([5, 3], generator: &rng)
        let y = layer(a, b)
        #expect(y.shape == [5, 2])
        let manual = Tensor.einsum("ni,oij,nj->no", a, layer.weight, b) + layer.bias!
        #expect(y.allClose(manual, atol: 1e-5))
        #expect(failure { layer(a, Tensor.ones([4, 3])) }?.kind == .shapeMismatch)
        #expect(failure { layer(a, Tensor.ones([5, 2])) }?.kind == .shapeMismatch)
        #expect(Bilinear(4, 4, 3, bias: false).parameterCount == 48)
    }
}
