import Foundation
@_spi(KernelTesting) import Gradus
import Testing

/// Dynamic int8 quantization of linear layers: the weights' integers and scales, the layer's output
/// against the documented integer arithmetic (computed here in Float64 and exact integers) and against
/// Float32, on both activation ranges (8 bits with VNNI, 7 bits without, forced either way), with the
/// edges random inputs miss: all-zero and constant batches, one-signed inputs, huge and tiny
/// magnitudes, an empty batch, a zero weight row; and when the layer must fall back to Float32.
@Suite("Dynamic int8 quantization", .serialized)
struct DynamicQuantizationTests {
    func values(_ count: Int, seed: UInt64, scale: Double = 1) -> [Double] {
        var rng = SeededGenerator(seed: seed)
        return (0..<count).map { _ in (Double(rng.next() % 2_000_001) / 1_000_000 - 1) * scale }
    }

    /// The output that the documented arithmetic gives (DynamicQuantization's steps 1-4).
    func reference(_ x: [Float], rows: Int, _ q: QuantizedWeights, bias: [Float]?, reduced: Bool) -> [Float] {
        let k = q.inputs, n = q.outputs
        let low = min(0, x.min() ?? 0), high = max(0, x.max() ?? 0)
        let levels: Float = reduced ? 127 : 255
        let (scale, zero): (Float, Float) = high - low > 0
            ? ((high - low) / levels, max(0, min(levels, (-low / ((high - low) / levels)).rounded(.toNearestOrEven))))
            : (0.1, 0)
        let xq = x.map { max(0, min(levels, ($0 * (1 / scale)).rounded(.toNearestOrEven) + zero)) }
        var y = [Float](repeating: 0, count: rows * n)
        for r in 0..<rows {
            for j in 0..<n {
                var acc = 0
                for p in 0..<k { acc += (Int(xq[r * k + p]) - Int(zero)) * Int(q.values[j * k + p]) }
                y[r * n + j] = Float(acc) * (scale * q.scales[j]) + (bias?[j] ?? 0)
            }
        }
        return y
    }

    @Test("weights: one symmetric scale per output row, ±127 at each row's largest magnitude, a zero row kept at 0")
    func weightQuantization() {
        let w = Tensor(shape: [3, 4], values: [0.5, -1.0, 0.25, 0.0, 0, 0, 0, 0, 3e-30, -1e-30, 2e-30, 0] as [Double])
        let q = QuantizedWeights(quantizing: w)!
        #expect(q.outputs == 3 && q.inputs == 4)
        #expect(q.scales[0] == Float(1.0) / 127 && q.values[0..<4] == [64, -127, 32, 0])
        #expect(q.scales[1] == 1 && q.values[4..<8] == [0, 0, 0, 0])
        #expect(q.values[8] == 127 && q.values[9] == -42 && q.values[10] == 85)   // tiny magnitudes keep their ratios
        let back = q.dequantized(shape: [3, 4]).scalars(as: Float.self)
        let original = w.scalars(as: Float.self)
        for i in 0..<12 { #expect(abs(back[i] - original[i]) <= q.scales[i / 4] / 2 + 1e-37) }
        // Quantizing the dequantized weights gives the same integers (what a saved checkpoint relies on).
        #expect(QuantizedWeights(quantizing: q.dequantized(shape: [3, 4]))?.values == q.values)
        // A diverged weight has no scale: refused, and a model with one keeps that layer in Float32.
        #expect(QuantizedWeights(quantizing: Tensor([[1, .nan]])) == nil)
        #expect(QuantizedWeights(quantizing: Tensor([[1, -.infinity]])) == nil)
        let broken = Linear(weight: Tensor([[1, .nan], [0, 1]]), bias: nil)
        #expect(broken.quantizeDynamic() == 0 && !broken.isQuantized)
    }

    @Test("the integer path computes the documented arithmetic exactly, on both activation ranges and both one-row kernels",
          arguments: [(false, true), (true, true), (false, false), (true, false)])
    func matchesIntegerArithmetic(reduced: Bool, rowKernel: Bool) {
        // The row kernel's panels of 16 outputs and groups of 4 inputs: 37 → 19 is two panels (the second
        // partial) of 10 groups (the last one partial); 200 → 7 one partial panel; 297 → 70 a block of four
        // panels over an odd number of groups (75, the last partial) and a fifth panel holding 6 outputs.
        for (inputs, outputs) in [(37, 19), (200, 7), (297, 70)] {
            checkIntegerArithmetic(inputs: inputs, outputs: outputs, reduced: reduced, rowKernel: rowKernel)
            // The row kernel's portable C form (what processors without AVX512-VNNI would run).
            if rowKernel { KernelTesting.withPortableKernels {
                checkIntegerArithmetic(inputs: inputs, outputs: outputs, reduced: reduced, rowKernel: rowKernel)
            } }
        }
    }

    func checkIntegerArithmetic(inputs: Int, outputs: Int, reduced: Bool, rowKernel: Bool) {
        var rng = SeededGenerator(seed: 9)
        let layer = Linear(inputs, outputs, generator: &rng)
        layer.quantizeDynamic()
        let q = layer.quantizedWeights!
        let bias = layer.bias!.scalars(as: Float.self)
        let batches: [(String, Int, [Double])] = [
            ("mixed signs", 5, values(5 * inputs, seed: 1)),
            ("one row", 1, values(inputs, seed: 2, scale: 3)),
            ("four rows", 4, values(4 * inputs, seed: 7)),
            ("all positive", 4, values(4 * inputs, seed: 3).map { abs($0) + 0.5 }),
            ("all negative", 3, values(3 * inputs, seed: 4).map { -abs($0) }),
            ("all zero", 2, [Double](repeating: 0, count: 2 * inputs)),
            ("constant", 2, [Double](repeating: 2.5, count: 2 * inputs)),
            ("huge", 3, values(3 * inputs, seed: 5, scale: 1e30)),
            ("tiny", 3, values(3 * inputs, seed: 6, scale: 1e-30)),
            ("empty batch", 0, []),
        ]
        if rowKernel && !KernelTesting.hasQuantizedRowKernel { return }   // no AVX512-VNNI here: the oneDNN cases cover it
        KernelTesting.withQuantizedRowKernel(rowKernel) { KernelTesting.withReducedActivationRange(reduced) {
            for (name, rows, x) in batches {
                let input = Tensor(shape: [rows, inputs], values: x)
                let out = GradMode.noGrad { layer(input) }
                #expect(out.shape == [rows, outputs], "\(name) \(inputs)→\(outputs)")
                let expected = reference(input.scalars(as: Float.self), rows: rows, q, bias: bias, reduced: reduced)
                #expect(out.scalars(as: Float.self) == expected, "\(name) \(inputs)→\(outputs) (row kernel \(rowKernel)): integer path differs from the documented arithmetic")
                // ReLU fused into the integer pass (Sequential): the same values, negatives at 0.
                let fused = GradMode.noGrad { Sequential([layer, ReLU()])(input) }
                #expect(fused.scalars(as: Float.self) == expected.map { $0 < 0 ? 0 : $0 }, "\(name) \(inputs)→\(outputs) with ReLU (row kernel \(rowKernel))")
            }
        } }
    }

    @Test("the integer path stays within the quantization error of the Float32 layer", arguments: [false, true])
    func closeToFloat(reduced: Bool) {
        var rng = SeededGenerator(seed: 11)
        let layer = Linear(256, 64, generator: &rng)
        let x = Tensor(shape: [8, 256], values: values(8 * 256, seed: 12))
        let float = GradMode.noGrad { layer(x) }.scalars(as: Float.self)
        layer.quantizeDynamic()
        let dequantizedFloat = GradMode.noGrad { Functional.linear(x, weight: layer.weight, bias: layer.bias) }.scalars(as: Float.self)
        let int8 = KernelTesting.withReducedActivationRange(reduced) { GradMode.noGrad { layer(x) } }.scalars(as: Float.self)
        // Activations rounded to half a step of (2/255 or 2/127) against weights of magnitude ≤ 1/16:
        // |error| ≤ Σ|w|·step/2 ≈ 256 · 0.03 · 0.008 / 2 (0.016 / 2 with 7 bits).
        let step: Float = reduced ? 2 / 127 : 2 / 255
        let worst = zip(int8, dequantizedFloat).map { abs($0 - $1) }.max()!
        #expect(worst <= 256 * 0.0625 * step / 2, "worst difference to the dequantized Float32 layer \(worst)")
        #expect(worst > 0, "the integer path was not taken")
        let drift = zip(int8, float).map { abs($0 - $1) }.max()!
        #expect(drift < 0.05, "worst difference to the unquantized layer \(drift)")
    }

    @Test("recorded gradients, non-finite inputs and weights changed after quantization use Float32")
    func float32Fallbacks() throws {
        var rng = SeededGenerator(seed: 13)
        let layer = Linear(6, 3, generator: &rng)
        layer.quantizeDynamic()
        #expect(layer.isQuantized && layer.description.contains("int8"))
        // A gradient through the input (explanations): the Float32 layer of the dequantized weights.
        let x = Tensor(shape: [2, 6], values: values(12, seed: 14)).requiringGrad()
        let y = layer(x)
        #expect(y.scalars(as: Float.self) == Functional.linear(x, weight: layer.weight, bias: layer.bias).scalars(as: Float.self))
        try y.sum().backward()
        #expect(x.grad != nil)
        // A NaN or an infinity propagates as in Float32 instead of wrecking the batch's scale.
        let bad = Tensor(shape: [2, 6], values: [Double.nan, 1, 2, 3, 4, 5, 1, 2, 3, 4, 5, .infinity])
        let out = GradMode.noGrad { layer(bad) }.scalars(as: Float.self)
        #expect(out[0..<3].allSatisfy { $0.isNaN })
        // The same past the first 16 values (the range's vector loop, not its tail), in both kernels' forms.
        let wide = Linear(40, 3, generator: &rng)
        wide.quantizeDynamic()
        for position in [3, 20, 39] {
            var v = values(40, seed: 16)
            v[position] = position == 20 ? -.infinity : .nan
            let row = Tensor(shape: [1, 40], values: v)
            let expected = Functional.linear(row, weight: wide.weight, bias: wide.bias).scalars(as: Float.self)
            for portable in [false, true] {
                let got = portable ? KernelTesting.withPortableKernels { GradMode.noGrad { wide(row) } } : GradMode.noGrad { wide(row) }
                #expect(zip(got.scalars(as: Float.self), expected).allSatisfy { $0.isNaN && $1.isNaN || $0 == $1 },
                        "non-finite value at \(position) (portable \(portable))")
            }
        }
        // Weights changed in place since quantization: the stale integers are not used.
        _ = GradMode.noGrad { layer.weight.assign(layer.weight * 2) }
        let z = Tensor(shape: [1, 6], values: values(6, seed: 15))
        let after = GradMode.noGrad { layer(z) }.scalars(as: Float.self)
        #expect(after == Functional.linear(z, weight: layer.weight, bias: layer.bias).scalars(as: Float.self))
        layer.dequantize()
        #expect(!layer.isQuantized)
    }

    @Test("a whole model: every Float32 linear layer quantized, predictions kept")
    func wholeModel() {
        var rng = SeededGenerator(seed: 16)
        let model = Sequential([Linear(20, 32, generator: &rng), ReLU(), Linear(32, 16, generator: &rng), ReLU(),
                                Linear(16, 4, generator: &rng)])
        model.eval()
        let x = Tensor(shape: [50, 20], values: values(1000, seed: 17, scale: 2))
        let before = GradMode.noGrad { model(x).argmax(axis: 1) }.scalars(as: Double.self)
        #expect(model.quantizeDynamic() == 3)
        let after = GradMode.noGrad { model(x).argmax(axis: 1) }.scalars(as: Double.self)
        // Sequential runs each quantized Linear and its ReLU as one pass: the same values as layer by layer.
        let fused = GradMode.noGrad { model(x) }.scalars(as: Float.self)
        var stepwise = x
        for layer in model.layers { stepwise = GradMode.noGrad { layer(stepwise) } }
        #expect(fused == stepwise.scalars(as: Float.self))
        let agree = zip(before, after).filter { $0 == $1 }.count
        #expect(agree >= 48, "\(agree) of 50 predicted classes unchanged")
        // Float64 layers stay as they are.
        let double = Linear(3, 2, dtype: .float64, generator: &rng)
        #expect(double.quantizeDynamic() == 0 && !double.isQuantized)
    }

    /// The documented arithmetic for a convolution: windows read the input quantized with the batch's
    /// scale (positions outside it are zeros, exactly the zero point), one integer sum per output.
    func referenceConv(_ x: [Float], shape: [Int], _ q: QuantizedWeights, bias: [Float]?, kernel: (Int, Int),
                       stride: (Int, Int), before: (Int, Int), dilation: (Int, Int), out: (Int, Int)) -> [Float] {
        let (n, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
        let low = min(0, x.min() ?? 0), high = max(0, x.max() ?? 0)
        let (scale, zero): (Float, Float) = high - low > 0
            ? ((high - low) / 255, max(0, min(255, (-low / ((high - low) / 255)).rounded(.toNearestOrEven))))
            : (0.1, 0)
        let xq = x.map { max(0, min(255, ($0 * (1 / scale)).rounded(.toNearestOrEven) + zero)) }
        var y = [Float](repeating: 0, count: n * q.outputs * out.0 * out.1)
        for s in 0..<n {
            for o in 0..<q.outputs {
                for oy in 0..<out.0 {
                    for ox in 0..<out.1 {
                        var acc = 0
                        for ch in 0..<c {
                            for ky in 0..<kernel.0 {
                                for kx in 0..<kernel.1 {
                                    let iy = oy * stride.0 - before.0 + ky * dilation.0, ix = ox * stride.1 - before.1 + kx * dilation.1
                                    guard iy >= 0, iy < h, ix >= 0, ix < w else { continue }
                                    let v = Int(xq[((s * c + ch) * h + iy) * w + ix]) - Int(zero)
                                    acc += v * Int(q.values[o * q.inputs + (ch * kernel.0 + ky) * kernel.1 + kx])
                                }
                            }
                        }
                        y[((s * q.outputs + o) * out.0 + oy) * out.1 + ox] = Float(acc) * (scale * q.scales[o]) + (bias?[o] ?? 0)
                    }
                }
            }
        }
        return y
    }

    @Test("quantized convolutions compute the documented arithmetic exactly: padded (wide path), strided, pointwise, dilated, odd 'same' padding")
    func convolutionMatchesIntegerArithmetic() {
        struct Case { var name: String; var channels: (Int, Int); var kernel: Size2; var stride: Size2 = 1
                      var padding: ConvPadding = 0; var dilation: Size2 = 1; var batch = 3; var size = (7, 6) }
        let cases = [
            Case(name: "3x3 padding 1", channels: (3, 5), kernel: 3, padding: 1),
            Case(name: "3x3 stride 2", channels: (2, 4), kernel: 3, stride: 2, padding: 1),
            Case(name: "1x1", channels: (4, 3), kernel: 1),
            Case(name: "dilated", channels: (2, 3), kernel: 3, padding: 2, dilation: 2),
            Case(name: "same, even kernel", channels: (2, 2), kernel: 2, padding: .same),
            Case(name: "5x5 no padding, one sample", channels: (1, 6), kernel: 5, batch: 1, size: (9, 9)),
            Case(name: "empty batch", channels: (2, 2), kernel: 3, padding: 1, batch: 0),
        ]
        KernelTesting.withReducedActivationRange(false) {
            for (i, t) in cases.enumerated() {
                var rng = SeededGenerator(seed: 30 + UInt64(i))
                let conv = Conv2d(t.channels.0, t.channels.1, kernelSize: t.kernel, stride: t.stride, padding: t.padding,
                                  dilation: t.dilation, generator: &rng)
                let shape = [t.batch, t.channels.0, t.size.0, t.size.1]
                let x = Tensor(shape: shape, values: values(shape.reduce(1, *), seed: 40 + UInt64(i), scale: 2))
                let float = GradMode.noGrad { conv(x) }
                #expect(conv.quantizeDynamic() == 1, "\(t.name)")
                let int8 = GradMode.noGrad { conv(x) }
                #expect(int8.shape == float.shape, "\(t.name)")
                let rows = t.padding.amounts(dimension: 0, kernel: t.kernel.height, dilation: t.dilation.height)
                let cols = t.padding.amounts(dimension: 1, kernel: t.kernel.width, dilation: t.dilation.width)
                let expected = referenceConv(x.scalars(as: Float.self), shape: shape, conv.quantizedWeights!,
                                             bias: conv.bias!.scalars(as: Float.self), kernel: (t.kernel.height, t.kernel.width),
                                             stride: (t.stride.height, t.stride.width), before: (rows.before, cols.before),
                                             dilation: (t.dilation.height, t.dilation.width), out: (float.shape[2], float.shape[3]))
                #expect(int8.scalars(as: Float.self) == expected, "\(t.name): integer convolution differs from the documented arithmetic")
                let drift = zip(int8.scalars(as: Float.self), float.scalars(as: Float.self)).map { abs($0 - $1) }.max() ?? 0
                #expect(drift < 0.1, "\(t.name): \(drift) from the Float32 convolution")
            }
        }
    }
}
