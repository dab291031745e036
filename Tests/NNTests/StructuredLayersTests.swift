import Foundation
import Gradus
import GradusTestSupport
import Testing

/// Initializers of a given structure (truncated normal, identity matrices and convolutions), channel
/// dropout, and the layers around instance normalization and 1-D / adaptive max pooling.
@Suite("Structured initializers, channel dropout, instance norm and 1-D pooling layers")
struct StructuredLayersTests {
    @Test("truncNormal stays inside [a, b] with the truncated distribution's mean and spread")
    func truncatedNormal() {
        var rng = SeededGenerator(seed: 5)
        let w = Tensor.zeros([200_000], dtype: .float64)
        Init.truncNormal(w, mean: 1, std: 2, a: 0, b: 5, generator: &rng)
        let v = w.scalars(as: Double.self)
        #expect(v.allSatisfy { $0 >= 0 && $0 <= 5 })
        // Moments of N(1, 2²) truncated to [0, 5]: α = −0.5, β = 2.
        let phi = { (x: Double) in exp(-x * x / 2) / (2 * Double.pi).squareRoot() }
        let cdf = { (x: Double) in (1 + erf(x / 2.0.squareRoot())) / 2 }
        let (alpha, beta) = (-0.5, 2.0), z = cdf(beta) - cdf(alpha)
        let mean = 1 + 2 * (phi(alpha) - phi(beta)) / z
        let variance = 4 * (1 + (alpha * phi(alpha) - beta * phi(beta)) / z - pow((phi(alpha) - phi(beta)) / z, 2))
        let m = v.reduce(0, +) / Double(v.count)
        let s = v.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(v.count)
        #expect(abs(m - mean) < 0.01 && abs(s - variance) < 0.02, "mean \(m) vs \(mean), variance \(s) vs \(variance)")
        // A narrow, distant interval has no rejection loop to spin in.
        Init.truncNormal(w, mean: 0, std: 1, a: 8, b: 8.001, generator: &rng)
        #expect(w.scalars(as: Double.self).allSatisfy { $0 >= 8 && $0 <= 8.001 })
        #expect(throws: GradusError.self) { try GradusError.catching { Init.truncNormal(w, std: 0) } }
        #expect(throws: GradusError.self) { try GradusError.catching { Init.truncNormal(w, a: 1, b: 1) } }
    }

    @Test("eye and dirac make identities: a Linear and a padded convolution that copy their input")
    func identities() throws {
        let linear = Linear(3, 3)
        Init.eye(linear.weight)
        Init.zeros(linear.bias!)
        let x = Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6])
        #expect(linear(x).scalars() == x.scalars())
        let rectangular = Tensor.ones([2, 3])
        Init.eye(rectangular)
        #expect(rectangular.scalars() == [1, 0, 0, 0, 1, 0])
        let conv = Conv2d(2, 3, kernelSize: 3, padding: 1, bias: false)
        Init.dirac(conv.weight)
        let image = Tensor.arange(0, 32).reshape([1, 2, 4, 4])
        let y = conv(image)
        #expect(y[.all, 0..<2].scalars() == image.scalars())
        #expect(y[.all, 2].scalars().allSatisfy { $0 == 0 })   // an output channel beyond the inputs
        let grouped = Tensor.ones([4, 1, 3])
        Init.dirac(grouped, groups: 2)
        #expect(grouped.scalars() == [0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0])
        #expect(throws: GradusError.self) { try GradusError.catching { Init.dirac(Tensor.ones([3, 3])) } }
        #expect(throws: GradusError.self) { try GradusError.catching { Init.dirac(Tensor.ones([3, 1, 3]), groups: 2) } }
    }

    @Test("Dropout2d zeroes whole channels with probability p and rescales the rest; eval passes through")
    func channelDropout() {
        let drop = Dropout2d(p: 0.25, generator: SeededGenerator(seed: 3))
        let x = Tensor.ones([64, 32, 3, 3])
        let y = drop(x).reshape([64 * 32, 9]).scalars()
        var dropped = 0
        for c in 0..<(64 * 32) {
            let channel = Array(y[(c * 9)..<(c * 9 + 9)])
            #expect(Set(channel).count == 1, "channel \(c) is not all one value")
            if channel[0] == 0 { dropped += 1 } else { #expect(abs(channel[0] - 1 / 0.75) < 1e-6) }
        }
        #expect(abs(Double(dropped) / 2048 - 0.25) < 0.04, "dropped \(dropped) of 2048")
        drop.eval()
        #expect(drop(x).scalars() == x.scalars())
        #expect(throws: GradusError.self) { try GradusError.catching { Functional.dropout2d(Tensor.ones([4, 4]), p: 0.5, training: true) } }
        // 3-D input: one draw per row of [N, C, L], as PyTorch 2.x.
        var rng = SeededGenerator(seed: 4)
        let rows = Functional.dropout2d(Tensor.ones([16, 8, 5]), p: 0.5, training: true, generator: &rng).reshape([128, 5]).scalars()
        #expect((0..<128).allSatisfy { r in Set(rows[(r * 5)..<(r * 5 + 5)]).count == 1 })
        // Rows of one sample differ (a [C, H, W] reading would drop a sample's rows together).
        let firstOfRow: [Float] = (0..<128).map { rows[$0 * 5] }
        let mixed = (0..<16).filter { n in Set(firstOfRow[(n * 8)..<(n * 8 + 8)]).count > 1 }.count
        #expect(mixed > 8)
    }

    @Test("Dropout1d and Dropout3d zero whole channels of batches and of one sample; eval passes through", arguments: [1, 3])
    func channelDropoutOtherRanks(spatialAxes: Int) {
        let spatial = [Int](repeating: 3, count: spatialAxes), positions = spatial.reduce(1, *)
        func layer(_ seed: UInt64) -> Module & Layer {
            spatialAxes == 1 ? Dropout1d(p: 0.25, generator: SeededGenerator(seed: seed)) : Dropout3d(p: 0.25, generator: SeededGenerator(seed: seed))
        }
        for shape in [[64, 32] + spatial, [512] + spatial] {   // a batch, and one unbatched sample of 512 channels
            let drop = layer(5)
            let x = Tensor.ones(shape)
            let channels = x.count / positions
            let y = drop(x).reshape([channels, positions]).scalars()
            var dropped = 0
            for c in 0..<channels {
                let channel = Array(y[(c * positions)..<((c + 1) * positions)])
                #expect(Set(channel).count == 1, "channel \(c) of \(shape) is not all one value")
                if channel[0] == 0 { dropped += 1 } else { #expect(abs(channel[0] - 1 / 0.75) < 1e-6) }
            }
            #expect(abs(Double(dropped) / Double(channels) - 0.25) < 0.05, "dropped \(dropped) of \(channels) for \(shape)")
            drop.eval()
            #expect(drop(x).scalars() == x.scalars())
        }
        // Other ranks and bad probabilities are errors naming the expected layout.
        let bad = Tensor.ones([2, 3, 4, 5, 6, 7].prefix(spatialAxes + 3).map { $0 })
        let error = failure { spatialAxes == 1 ? Functional.dropout1d(bad, p: 0.5, training: true) : Functional.dropout3d(bad, p: 0.5, training: true) }
        #expect(error?.message.contains(spatialAxes == 1 ? "[N, C, L] or [C, L]" : "[N, C, D, H, W] or [C, D, H, W]") == true)
        #expect(failure { Functional.dropout1d(Tensor.ones([2, 3]), p: 1.5, training: true) }?.message.contains("p must be in [0, 1]") == true)
    }

    @Test("the layers call their functions and check their inputs")
    func layers() throws {
        var rng = SeededGenerator(seed: 9)
        let x = Tensor.normal([2, 3, 8], generator: &rng)
        #expect(MaxPool1d(2)(x).scalars() == Functional.maxPool1d(x, kernelSize: 2).scalars())
        #expect(AvgPool1d(3, stride: 1, padding: 1)(x).shape == [2, 3, 8])
        let norm1 = InstanceNorm1d(3)
        let normalized = norm1(x)
        let rowMeans = normalized.mean(axes: [2]).scalars()
        #expect(rowMeans.allSatisfy { abs($0) < 1e-5 })
        #expect(norm1.parameters().isEmpty && InstanceNorm2d(4, affine: true).parameters().count == 2)
        #expect(throws: GradusError.self) { try GradusError.catching { InstanceNorm2d(4)(Tensor.ones([1, 3, 2, 2])) } }
        let images = Tensor.normal([1, 2, 5, 6], generator: &rng)
        let pooled = AdaptiveMaxPool2d(Size2(1, 1))(images).reshape([2])
        #expect(pooled.scalars() == images.amax(axes: [2, 3]).scalars())
        // Any number of cells up to the memory (no per-cell graph), and an impossible one refused.
        #expect(Functional.adaptiveMaxPool2d(images, outputSize: (300, 400)).shape == [1, 2, 300, 400])
        #expect(throws: GradusError.self) { try GradusError.catching { Functional.adaptiveMaxPool2d(images, outputSize: (1 << 40, 1 << 40)) } }
        // The 1-D layers added for PyTorch's arguments: dilation and ceil mode, and adaptive pooling.
        #expect(MaxPool1d(2, stride: 1, dilation: 3)(x).scalars()
                == Functional.maxPool1d(x, kernelSize: 2, stride: 1, dilation: 3).scalars())
        #expect(AvgPool1d(3, stride: 2, ceilMode: true)(x).shape == [2, 3, 4])
        #expect(AdaptiveMaxPool1d(1)(x).reshape([2, 3]).scalars() == x.amax(axes: [2]).scalars())
        #expect(zip(AdaptiveAvgPool1d(1)(x).reshape([2, 3]).scalars(), x.mean(axes: [2]).scalars()).allSatisfy { abs($0 - $1) < 1e-6 })
    }
}

@Suite("Convolution padding modes")
struct ConvolutionPaddingModeTests {
    @Test("a padding mode pads as pad(_:mode:) then convolves unpadded, in the layer, its inference plan and quantized")
    func paddingModeMatchesExplicitPadding() throws {
        var rng = SeededGenerator(seed: 5)
        let x = Tensor.normal([2, 2, 6, 7], generator: &rng)
        for mode in [PaddingMode.reflect, .replicate, .circular] {
            let conv = Conv2d(2, 3, kernelSize: 3, padding: [1, 2], paddingMode: mode, generator: &rng)
            let plain = Conv2d(weight: conv.weight.detach(), bias: conv.bias?.detach())
            let expected = plain(x.pad([2, 2, 1, 1], mode: mode))
            #expect(mismatch(conv(x), expected, rtol: 1e-6, atol: 1e-6) == nil, "\(mode)")
            // The inference plan runs such a layer as the model does (oneDNN pads with zeros only).
            let model = Sequential { conv; ReLU() }
            model.eval()
            let planned = try InferencePlan(model)(x)
            #expect(mismatch(planned, model(x), rtol: 1e-5, atol: 1e-5) == nil, "plan, \(mode)")
            #expect(conv.description.contains("paddingMode: \(mode.rawValue)"))
        }
        // Reflection needs each amount smaller than the dimension: a caught error naming it.
        let reflect = Conv2d(2, 1, kernelSize: 3, padding: 3, paddingMode: .reflect, generator: &rng)
        #expect(throws: GradusError.self) { try GradusError.catching { reflect(Tensor.zeros([1, 2, 3, 3])) } }
        // Quantized: the integer path convolves the padded input.
        let q = Conv2d(2, 4, kernelSize: 3, padding: 1, paddingMode: .replicate, generator: &rng)
        let reference = q(x)
        let quantized = Sequential { q }
        _ = quantized.quantizeDynamic()
        let integer = GradMode.noGrad { quantized(x) }
        #expect(mismatch(integer, reference, rtol: 0.05, atol: 0.05) == nil)
        let zeroPadded = Conv2d(weight: q.weight.detach(), bias: q.bias?.detach(), padding: 1)
        #expect(mismatch(integer, zeroPadded(x), rtol: 0.05, atol: 0.05) != nil, "the quantized path ignored the mode")
    }
}
