import Gradus
import GradusTestSupport
import Testing

/// The 3-D layers checked against references of their own (PyTorch's values are in the op table and the
/// layer fixtures): a direct seven-loop convolution in Float64, the adjoint identity of the transposed
/// convolution, a direct max pool with PyTorch's tie rule, the article's training loop, and refusals.
@Suite("3-D convolutions, pools and normalization")
struct VolumeLayerTests {
    func normal(_ shape: [Int], seed: UInt64) -> Tensor {
        var rng = SeededGenerator(seed: seed)
        return Tensor.normal(shape, dtype: .float64, generator: &rng)
    }

    /// out[n, o, z, y, x] = bias[o] + Σ w[o, c, a, b, e] · in[n, g·C/G + c, z·s − p + a·d, …], zeros outside.
    func directConv3d(_ x: Tensor, _ w: Tensor, _ bias: Tensor?, stride s: [Int], padding p: [Int], dilation d: [Int],
                      groups: Int) -> (shape: [Int], values: [Double]) {
        let xs = x.scalars(as: Double.self), ws = w.scalars(as: Double.self), bs = bias?.scalars(as: Double.self)
        let (n, c, depth, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3], x.shape[4])
        let (o, cg, k) = (w.shape[0], w.shape[1], [w.shape[2], w.shape[3], w.shape[4]])
        let size = [depth, h, wd]
        var out = [Int]()
        for a in 0..<3 {
            let span: Int = size[a] + 2 * p[a] - d[a] * (k[a] - 1) - 1
            out.append(span / s[a] + 1)
        }
        var values = [Double](repeating: 0, count: n * o * out[0] * out[1] * out[2])
        let og = o / groups
        var at = 0
        for b in 0..<n { for f in 0..<o { for z in 0..<out[0] { for y in 0..<out[1] { for xo in 0..<out[2] {
            var sum = bs?[f] ?? 0
            let group = f / og
            for ch in 0..<cg { for a in 0..<k[0] { for bb in 0..<k[1] { for e in 0..<k[2] {
                let iz = z * s[0] - p[0] + a * d[0], iy = y * s[1] - p[1] + bb * d[1], ix = xo * s[2] - p[2] + e * d[2]
                guard (0..<depth).contains(iz), (0..<h).contains(iy), (0..<wd).contains(ix) else { continue }
                let input = xs[(((b * c + group * cg + ch) * depth + iz) * h + iy) * wd + ix]
                sum += ws[(((f * cg + ch) * k[0] + a) * k[1] + bb) * k[2] + e] * input
            } } } }
            values[at] = sum
            at += 1
        } } } } }
        return ([n, o] + out, values)
    }

    @Test("conv3d equals the direct sum over its window", arguments: [
        (stride: [1, 1, 1], padding: [0, 0, 0], dilation: [1, 1, 1], groups: 1, kernel: [3, 3, 3]),
        (stride: [2, 1, 2], padding: [1, 0, 1], dilation: [1, 2, 1], groups: 1, kernel: [2, 2, 3]),
        (stride: [1, 2, 1], padding: [2, 1, 0], dilation: [2, 1, 1], groups: 2, kernel: [3, 2, 2]),
        (stride: [3, 1, 1], padding: [0, 1, 1], dilation: [1, 1, 1], groups: 4, kernel: [1, 3, 3]),   // depth kernel 1, strided
    ])
    func directConvolution(_ c: (stride: [Int], padding: [Int], dilation: [Int], groups: Int, kernel: [Int])) {
        let x = normal([2, 4, 6, 5, 5], seed: 1), w = normal([4, 4 / c.groups] + c.kernel, seed: 2), b = normal([4], seed: 3)
        let y = Functional.conv3d(x, weight: w, bias: b, stride: (c.stride[0], c.stride[1], c.stride[2]),
                                  padding: (c.padding[0], c.padding[1], c.padding[2]),
                                  dilation: (c.dilation[0], c.dilation[1], c.dilation[2]), groups: c.groups)
        let expected = directConv3d(x, w, b, stride: c.stride, padding: c.padding, dilation: c.dilation, groups: c.groups)
        #expect(y.shape == expected.shape)
        let error = zip(y.scalars(as: Double.self), expected.values).map { abs($0 - $1) }.max() ?? .infinity
        #expect(error < 1e-12, "largest difference \(error)")
    }

    @Test("convTranspose3d is the adjoint of conv3d: ⟨conv(x), y⟩ = ⟨x, convTranspose(y)⟩", arguments: [
        (stride: [2, 1, 2], padding: [1, 0, 1], dilation: [1, 1, 1], groups: 1, outputPadding: [1, 0, 1]),
        (stride: [1, 2, 1], padding: [0, 1, 2], dilation: [2, 1, 2], groups: 2, outputPadding: [0, 1, 0]),
    ])
    func adjoint(_ c: (stride: [Int], padding: [Int], dilation: [Int], groups: Int, outputPadding: [Int])) {
        let x = normal([2, 4, 7, 6, 7], seed: 4), w = normal([6, 4 / c.groups, 2, 3, 2], seed: 5)
        let s = (c.stride[0], c.stride[1], c.stride[2]), p = (c.padding[0], c.padding[1], c.padding[2])
        let d = (c.dilation[0], c.dilation[1], c.dilation[2])
        let forward = Functional.conv3d(x, weight: w, stride: s, padding: p, dilation: d, groups: c.groups)
        let y = normal(forward.shape, seed: 6)
        let back = Functional.convTranspose3d(y, weight: w, stride: s, padding: p,
                                              outputPadding: (c.outputPadding[0], c.outputPadding[1], c.outputPadding[2]),
                                              dilation: d, groups: c.groups)
        #expect(back.shape == x.shape, "the output padding restores the input's size")
        let left = (forward * y).sum().item(Double.self), right = (x * back).sum().item(Double.self)
        #expect(abs(left - right) < 1e-9 * max(1, abs(left)), "\(left) vs \(right)")
    }

    @Test("second-order gradients of conv3d and convTranspose3d match central differences of the first", arguments: [
        (transposed: false, stride: [2, 1, 1], padding: [1, 1, 0], dilation: [1, 1, 2]),
        (transposed: false, stride: [1, 1, 2], padding: [2, 0, 1], dilation: [2, 1, 1]),
        (transposed: true, stride: [2, 1, 1], padding: [1, 0, 1], dilation: [1, 2, 1]),
        (transposed: true, stride: [3, 2, 1], padding: [2, 1, 0], dilation: [2, 1, 1]),
    ])
    func secondOrder(_ c: (transposed: Bool, stride: [Int], padding: [Int], dilation: [Int])) {
        let s = (c.stride[0], c.stride[1], c.stride[2]), p = (c.padding[0], c.padding[1], c.padding[2])
        let d = (c.dilation[0], c.dilation[1], c.dilation[2])
        func f(_ x: Tensor, _ w: Tensor) -> Tensor {
            c.transposed ? Functional.convTranspose3d(x, weight: w, stride: s, padding: p, dilation: d)
                         : Functional.conv3d(x, weight: w, stride: s, padding: p, dilation: d)
        }
        let x0 = normal([2, 3, 5, 4, 4], seed: 11), w0 = normal(c.transposed ? [3, 2, 3, 2, 2] : [2, 3, 3, 2, 2], seed: 12)
        let u = normal(f(x0, w0).shape, seed: 13)
        // φ(x, w) = ⟨∂⟨f(x, w), u⟩/∂a, v⟩ for the operand a, differentiated with respect to the other one, b;
        // φ is linear in b, so the central difference along δ is exact up to rounding.
        for (first, second) in [(0, 1), (1, 0)] {
            let v = normal(first == 0 ? x0.shape : w0.shape, seed: 14), delta = normal(second == 0 ? x0.shape : w0.shape, seed: 15)
            func phi(_ operands: [Tensor], graph: Bool) -> Tensor {
                let g = Autograd.gradients(of: (f(operands[0], operands[1]) * u).sum(), wrt: [operands[first]], createGraph: graph)[0]
                return (g * v).sum()
            }
            let operands = [x0.requiringGrad(), w0.requiringGrad()]
            let analytic = (Autograd.gradients(of: phi(operands, graph: true), wrt: [operands[second]])[0] * delta).sum().item(Double.self)
            func shifted(_ e: Double) -> Double {
                var moved = [x0, w0]
                moved[second] = moved[second] + delta * e
                return phi(moved.map { $0.requiringGrad() }, graph: false).item(Double.self)
            }
            let numeric = (shifted(0.5) - shifted(-0.5))
            #expect(abs(analytic - numeric) < 1e-9 * max(1, abs(numeric)), "∂²/∂\(first)∂\(second): \(analytic) vs \(numeric)")
        }
    }

    @Test("3-D max pooling: the first largest element in (d, h, w) order wins, its index is d·H·W + h·W + w")
    func maxPoolingTies() throws {
        // Small integers: many ties across depth and within slices.
        var rng = SeededGenerator(seed: 9)
        let x = Tensor.randint(0, 3, shape: [1, 2, 4, 5, 4], generator: &rng).to(.float32)
        let values = x.scalars(as: Float.self)
        let (pooled, indices) = MaxPool3d(2, stride: [2, 1, 1], padding: [1, 0, 1]).withIndices(x)
        var expectedIndex: [Int] = [], expectedValue: [Float] = []
        let (depth, h, w) = (4, 5, 4)
        for channel in 0..<2 { for z in 0..<pooled.shape[2] { for y in 0..<pooled.shape[3] { for xo in 0..<pooled.shape[4] {
            var best = -1, bestValue = -Float.infinity
            for a in 0..<2 { for b in 0..<2 { for e in 0..<2 {
                let iz = z * 2 - 1 + a, iy = y + b, ix = xo - 1 + e
                guard (0..<depth).contains(iz), (0..<h).contains(iy), (0..<w).contains(ix) else { continue }
                let at = (iz * h + iy) * w + ix, v = values[channel * depth * h * w + at]
                if v > bestValue { (best, bestValue) = (at, v) }
            } } }
            expectedIndex.append(best)
            expectedValue.append(bestValue)
        } } } }
        #expect(indices.intScalars == expectedIndex)
        #expect(pooled.scalars(as: Float.self) == expectedValue)
        // Unpooling puts each maximum back at its index; the gradient of the pool goes to the same place.
        let restored = MaxUnpool3d(2, stride: [2, 1, 1], padding: [1, 0, 1])(pooled, indices: indices, outputSize: (4, 5, 4))
        #expect(restored.shape == x.shape)
        let input = x.detach().requiringGrad()
        MaxPool3d(2, stride: [2, 1, 1], padding: [1, 0, 1])(input).sum().backward()
        let grad = try #require(input.grad)
        var counts = [Float](repeating: 0, count: x.count)
        for (k, index) in expectedIndex.enumerated() { counts[(k / (pooled.count / 2)) * depth * h * w + index] += 1 }
        #expect(grad.scalars(as: Float.self) == counts)
    }

    @Test("the article's 3-D classifier trains: its loss falls")
    func articleExample() throws {
        Random.manualSeed(3)
        let model = Sequential {
            Conv3d(1, 8, kernelSize: 3, padding: 1)
            BatchNorm3d(8)
            ReLU()
            MaxPool3d(2)
            Conv3d(8, 16, kernelSize: [1, 3, 3], padding: [0, 1, 1])
            ReLU()
            AdaptiveAvgPool3d(1)
            Flatten()
            Linear(16, 2)
        }
        let optimizer = SGD(model.parameters(), lr: 0.05, momentum: 0.9)
        let scans = Tensor.uniform([4, 1, 8, 16, 16])
        let labels = Tensor(labels: [0, 1, 1, 0])
        var losses: [Float] = []
        for _ in 0..<10 {
            optimizer.zeroGrad()
            let loss = model(scans).crossEntropy(labels)
            loss.backward()
            optimizer.step()
            losses.append(loss.item(Float.self))
        }
        #expect(losses.last! < losses.first!, "\(losses)")
        let keys = Set(model.stateDict().keys)
        #expect(keys.isSuperset(of: ["0.weight", "0.bias", "1.running_mean", "1.running_var", "1.num_batches_tracked", "4.weight"]))
        #expect(model.stateDict()["0.weight"]?.shape == [8, 1, 3, 3, 3])
    }

    @Test("empty batches pass through every 3-D layer with the right shape")
    func emptyBatch() {
        let x = Tensor.zeros([0, 2, 4, 4, 4])
        #expect(Conv3d(2, 3, kernelSize: 3, padding: 1)(x).shape == [0, 3, 4, 4, 4])
        #expect(ConvTranspose3d(2, 3, kernelSize: 2, stride: 2)(x).shape == [0, 3, 8, 8, 8])
        #expect(MaxPool3d(2)(x).shape == [0, 2, 2, 2, 2])
        #expect(AvgPool3d(2)(x).shape == [0, 2, 2, 2, 2])
        #expect(AdaptiveAvgPool3d([1, 2, 3])(x).shape == [0, 2, 1, 2, 3])
        #expect(AdaptiveMaxPool3d(1)(x).shape == [0, 2, 1, 1, 1])
    }

    @Test("hostile sizes: empty operands with huge extents give empty results or errors, never traps")
    func hostileSizes() {
        // An empty batch whose depth would need a 2^40-entry tap table: PyTorch returns an empty tensor.
        let deep = Tensor.zeros([0, 1, 1 << 40, 1, 1])
        #expect(Functional.conv3d(deep, weight: Tensor.ones([1, 1, 1, 1, 1])).shape == [0, 1, 1 << 40, 1, 1])
        #expect(Functional.conv3d(deep, weight: Tensor.ones([1, 1, 2, 1, 1]), stride: (2, 1, 1)).shape == [0, 1, 1 << 39, 1, 1])
        #expect(Functional.convTranspose3d(Tensor.zeros([0, 1, 1 << 20, 1, 1]), weight: Tensor.zeros([1, 1, 1 << 20, 1, 1])).shape
                == [0, 1, (1 << 21) - 1, 1, 1])
        // No input channels: the bias everywhere, and the empty weight still gets its (empty) gradient.
        let weight = Tensor.zeros([2, 0, 1, 1, 1]).requiringGrad()
        let y = Functional.conv3d(Tensor.zeros([1, 0, 2, 2, 2]), weight: weight, bias: Tensor([1, 2]))
        #expect(y.shape == [1, 2, 2, 2, 2] && y.scalars(as: Float.self) == [Float](repeating: 1, count: 8) + [Float](repeating: 2, count: 8))
        y.sum().backward()
        #expect(weight.grad?.shape == [2, 0, 1, 1, 1])
        // A huge depth padding with a stride as large reads three slices (padding, depth 0, padding), as
        // PyTorch computes it: no padded copy of the whole depth is made.
        let padded = Functional.conv3d(Tensor([1, 2, 3, 4, 5, 6, 7, 8]).reshape([1, 1, 2, 2, 2]), weight: Tensor.ones([1, 1, 1, 1, 1]),
                                       stride: (1 << 30, 1, 1), padding: (1 << 30, 0, 0))
        #expect(padded.shape == [1, 1, 3, 2, 2] && padded.scalars(as: Float.self) == [0, 0, 0, 0, 1, 2, 3, 4, 0, 0, 0, 0])
        for (name, body) in [
            ("huge groups", { _ = Functional.conv3d(Tensor.zeros([1, 0, 1, 1, 1]), weight: Tensor.zeros([0, 2, 1, 1, 1]), groups: 1 << 62) }),
            ("huge transposed groups", {
                _ = Functional.convTranspose3d(Tensor.zeros([1, 0, 1, 1, 1]), weight: Tensor.zeros([0, 2, 1, 1, 1]), groups: 1 << 62)
            }),
            ("same with a huge dilation", {
                _ = Functional.conv3d(Tensor.zeros([1, 1, 3, 3, 3]), weight: Tensor.ones([1, 1, 3, 3, 3]), padding: .same, dilation: (Int.max, 1, 1))
            }),
            ("same with a huge dilation, 2-D", {
                _ = Functional.conv2d(Tensor.zeros([1, 1, 3, 3]), weight: Tensor.ones([1, 1, 3, 3]), padding: .same, dilation: (Int.max, 1))
            }),
            ("same with a huge dilation, reflected", {
                _ = Conv2d(1, 1, kernelSize: 3, padding: .same, dilation: [1 << 40, 1], paddingMode: .reflect)(Tensor.zeros([1, 1, 3, 3]))
            }),
            ("a kernel no tensor can hold", { _ = Conv3d(1, 1, kernelSize: 2_097_152) }),
            ("a transposed output no memory holds (a huge depth stride)", {
                _ = Functional.convTranspose3d(Tensor.zeros([1, 1, 256, 1, 1]), weight: Tensor.zeros([1, 1, 1, 1, 1]), stride: (Int(Int32.max), 1, 1))
            }),
            ("an empty depth", { _ = Functional.maxPool3d(Tensor.zeros([1, 1, 0, 2, 2]), kernelSize: (2, 2, 2), padding: (1, 0, 0)) }),
        ] as [(String, () -> Void)] {
            #expect(throws: GradusError.self, "\(name)") { try GradusError.catching { body() } }
        }
    }

    @Test("bad inputs and settings are errors a caller catches, naming the problem", arguments: [
        ("conv3d", "input must be [N, C, D, H, W]"), ("conv3d kernel", "does not fit input"), ("conv3d groups", "do not match for 2 group(s)"),
        ("convTranspose3d", "outputPadding"), ("maxPool3d", "half the kernel"), ("avgPool3d", "does not fit"),
        ("adaptiveAvgPool3d", "output size"), ("maxUnpool3d", "outside"), ("conv3d same", "padding same needs stride 1"),
        ("batchNorm3d", "expected input of rank 5"), ("instanceNorm3d", "expected input [N, C, D, H, W]"),
    ])
    func refusals(_ c: (String, String)) {
        let x = Tensor.zeros([1, 2, 3, 4, 4])
        do {
            _ = try GradusError.catching { () -> Tensor in
                switch c.0 {
                case "conv3d": return Conv3d(2, 2, kernelSize: 1)(Tensor.zeros([2, 3, 4]))
                case "conv3d kernel": return Functional.conv3d(x, weight: Tensor.zeros([1, 2, 4, 1, 1]))
                case "conv3d groups": return Functional.conv3d(x, weight: Tensor.zeros([2, 2, 1, 1, 1]), groups: 2)
                case "convTranspose3d":
                    return Functional.convTranspose3d(x, weight: Tensor.zeros([2, 1, 2, 2, 2]), stride: (2, 2, 2), outputPadding: (0, 2, 0))
                case "maxPool3d": return MaxPool3d(2, padding: [0, 0, 2])(x)
                case "avgPool3d": return AvgPool3d([4, 1, 1])(x)
                case "adaptiveAvgPool3d": return AdaptiveAvgPool3d([0, 1, 1])(x)
                case "maxUnpool3d": return MaxUnpool3d(2)(Tensor.ones([1, 1, 1, 1, 2]), indices: Tensor(shape: [1, 1, 1, 1, 2], integers: [0, 16]))
                case "conv3d same": return Functional.conv3d(x, weight: Tensor.zeros([1, 2, 3, 3, 3]), stride: (2, 1, 1), padding: .same)
                case "batchNorm3d": return BatchNorm3d(2)(Tensor.zeros([2, 2, 3, 3]))
                default: return InstanceNorm3d(3)(x)
                }
            }
            Issue.record("\(c.0): no error")
        } catch let error as GradusError {
            #expect("\(error)".contains(c.1), "\(c.0): \(error)")
        } catch {
            Issue.record("\(c.0): \(error)")
        }
    }
}
