import Gradus
import GradusTestSupport
import Testing

/// What the op table and edge fixtures (values and gradients against PyTorch) leave out: second
/// derivatives, where the hand-written bilinear kernel hands over to the composed sampler, and refusals.
@Suite("Grid sampling")
struct GridSampleTests {
    @Test(arguments: GridSamplePadding.allCases)
    func secondDerivativesAgreeWithTheKernelsFirstOnes(padding: GridSamplePadding) {
        var rng = SeededGenerator(seed: 3)
        let input = Tensor.normal([1, 2, 3, 4], dtype: .float64, generator: &rng).requiringGrad()
        let grid = (Tensor.uniform([1, 2, 3, 2], dtype: .float64, generator: &rng) * 2.4 - 1.2).requiringGrad()
        let w = Tensor.normal([1, 2, 2, 3], dtype: .float64, generator: &rng)
        let v = Tensor.normal([1, 2, 3, 2], dtype: .float64, generator: &rng)
        func directional(_ x: Tensor) -> Double {
            let g = Autograd.gradients(of: (Functional.gridSample(x, grid: grid, paddingMode: padding) * w).sum(), wrt: [grid])[0]
            return (g * v).sum().scalars(as: Double.self)[0]
        }
        let first = Autograd.gradients(of: (Functional.gridSample(input, grid: grid, paddingMode: padding) * w).sum(), wrt: [grid],
                                       createGraph: true)[0]
        let second = Autograd.gradients(of: (first * v).sum(), wrt: [input])[0].scalars(as: Double.self)
        let x = input.detach()
        let values = x.scalars(as: Double.self)
        let eps = 1e-6
        for k in values.indices {
            var up = values, down = values
            up[k] += eps
            down[k] -= eps
            let numeric = (directional(Tensor(shape: x.shape, values: up, dtype: .float64))
                           - directional(Tensor(shape: x.shape, values: down, dtype: .float64))) / (2 * eps)
            #expect(abs(numeric - second[k]) < 1e-6, "\(padding), element \(k): \(second[k]) vs \(numeric)")
        }
    }

    @Test func refusals() {
        let image = Tensor.zeros([1, 1, 2, 2])
        #expect(failure { Functional.gridSample(Tensor.zeros([1, 2, 2]), grid: Tensor.zeros([1, 2, 2])) }?.kind == .shapeMismatch)
        #expect(failure { Functional.gridSample(image, grid: Tensor.zeros([1, 2, 2, 3])) }?.kind == .shapeMismatch)
        #expect(failure { Functional.gridSample(image, grid: Tensor.zeros([2, 2, 2, 2])) }?.kind == .shapeMismatch)
        #expect(failure { Functional.gridSample(image, grid: Tensor.zeros([1, 2, 2, 2], dtype: .float64)) }?.kind == .dtypeMismatch)
        #expect(failure { Functional.gridSample(Tensor.zeros([1, 1, 0, 2]), grid: Tensor.zeros([1, 2, 2, 2])) }?.kind == .shapeMismatch)
        #expect(Functional.gridSample(image, grid: Tensor.zeros([1, 0, 3, 2])).shape == [1, 1, 0, 3])
        #expect(failure { Functional.affineGrid(theta: Tensor.zeros([1, 3, 4]), size: [1, 1, 4, 4]) }?.kind == .shapeMismatch)
        #expect(failure { Functional.affineGrid(theta: Tensor.zeros([1, 2, 3]), size: [1, 1, 0, 4]) }?.kind == .invalidArgument)
        #expect(failure { Functional.affineGrid(theta: Tensor.zeros([1, 2, 3]), size: [1, 1, 1 << 40, 1 << 40]) }?.kind == .outOfMemory)
    }

    @Test func theIdentityMapReadsTheInputBack() {
        var rng = SeededGenerator(seed: 8)
        let image = Tensor.normal([2, 3, 5, 7], generator: &rng)
        let identity = Tensor([[[1, 0, 0], [0, 1, 0]]]).expand([2, 2, 3]).contiguous()
        for align in [false, true] {
            let grid = Functional.affineGrid(theta: identity, size: [2, 3, 5, 7], alignCorners: align)
            for mode in GridSampleMode.allCases {
                let back = Functional.gridSample(image, grid: grid, mode: mode, alignCorners: align)
                let error = (back - image).abs().max().scalars()[0]
                #expect(error < 1e-5, "\(mode), alignCorners \(align): \(error)")
            }
        }
    }

    @Test func aSpatialTransformerLearnsItsMap() {
        // The DocC article's model: gradients reach the localization network through θ.
        final class SpatialTransformer: Module, Layer {
            let localization = Sequential { Flatten(); Linear(28 * 28, 32); ReLU(); Linear(32, 6) }
            func callAsFunction(_ images: Tensor) -> Tensor {
                let theta = localization(images).reshape([images.shape[0], 2, 3])
                let grid = Functional.affineGrid(theta: theta, size: images.shape)
                return Functional.gridSample(images, grid: grid, paddingMode: .border)
            }
        }
        var rng = SeededGenerator(seed: 1)
        let model = SpatialTransformer()
        let images = Tensor.uniform([4, 1, 28, 28], generator: &rng)
        let warped = model(images)
        #expect(warped.shape == [4, 1, 28, 28])
        warped.square().mean().backward()
        for (name, p) in model.namedParameters() {
            let g = p.grad?.abs().sum().scalars()[0] ?? 0
            #expect(g > 0 && g.isFinite, "\(name): \(g)")
        }
    }

    @Test func reviewedEdges() {
        // An infinite or NaN pixel read in place of an outside one leaves no NaN (PyTorch reads nothing).
        let image = Tensor(shape: [1, 1, 1, 2], values: [Double.nan, 1.0], dtype: .float64)
        let outside = Tensor(shape: [1, 1, 1, 2], values: [-3.0, 0.0], dtype: .float64)
        for mode in GridSampleMode.allCases {
            #expect(Functional.gridSample(image, grid: outside, mode: mode).scalars(as: Double.self) == [0], "\(mode)")
        }
        let volume = Tensor.full([1, 1, 2, 2, 2], value: .infinity, dtype: .float64)
        #expect(Functional.gridSample(volume, grid: Tensor.full([1, 1, 1, 1, 3], value: 5, dtype: .float64)).scalars(as: Double.self) == [0])
        // An empty result is still part of the graph: zero gradients.
        let x = Tensor.ones([1, 2, 3, 3]).requiringGrad()
        Functional.gridSample(x, grid: Tensor.zeros([1, 0, 4, 2])).sum().backward()
        #expect(x.grad?.shape == [1, 2, 3, 3] && x.grad!.abs().sum().scalars()[0] == 0)
        // An output no memory holds is refused before the kernel runs.
        #expect(failure { Functional.gridSample(Tensor.zeros([1, 1 << 20, 1, 1]), grid: Tensor.zeros([1, 2048, 4096, 2])) }?.kind == .outOfMemory)
        // Small results of large intermediate counts.
        #expect(Tensor.arange(0, 40).combinations(r: 40).shape == [1, 40])
        #expect(Tensor([1, 2]).combinations(r: 60, withReplacement: true).shape == [61, 60])
    }
}
