import Gradus
import GradusTestSupport
import Testing

/// Layer arguments that PyTorch 2.15 accepts or refuses differently than Gradus did (PyTorch's outputs
/// in the comments, one thread).
@Suite("Layer edges as PyTorch: ceil-mode windows longer than the input, transposed output padding, batch norm's statistics")
struct LayerEdgeParityTests {
    @Test("ceil mode: a window longer than the padded input gives one output when it starts inside")
    func ceilModeLongWindow() {
        // PyTorch: max_pool2d(arange(4).view(1,1,2,2), 3, 2, ceil_mode=True) = [[3.]]; avg = [[1.5]].
        let x = Tensor([0.0, 1.0, 2.0, 3.0]).reshape([1, 1, 2, 2])
        let maxed = Functional.maxPool2d(x, kernelSize: (3, 3), stride: (2, 2), ceilMode: true)
        #expect(maxed.shape == [1, 1, 1, 1] && maxed.scalars(as: Float.self) == [3])
        let averaged = Functional.avgPool2d(x, kernelSize: (3, 3), stride: (2, 2), ceilMode: true)
        #expect(averaged.shape == [1, 1, 1, 1] && averaged.scalars(as: Float.self) == [1.5])
        // PyTorch: max_pool2d(ones(1,1,1,1), 2, 2, ceil_mode=True) has shape [1,1,1,1]; MaxPool1d(3, 2, ceil_mode=True) on L=2 gives [1,1,1].
        #expect(Functional.maxPool2d(Tensor.ones([1, 1, 1, 1]), kernelSize: (2, 2), stride: (2, 2), ceilMode: true).shape == [1, 1, 1, 1])
        let line = Tensor([5.0, -1.0]).reshape([1, 1, 2])
        #expect(MaxPool1d(3, stride: 2, ceilMode: true)(line).scalars(as: Float.self) == [5])
        #expect(AvgPool1d(3, stride: 2, ceilMode: true)(line).scalars(as: Float.self) == [2])
        // The gradient reaches the window's maximum.
        let g = x.detach().requiringGrad()
        Functional.maxPool2d(g, kernelSize: (3, 3), stride: (2, 2), ceilMode: true).sum().backward()
        #expect(g.grad!.scalars(as: Float.self) == [0, 0, 0, 1])
        // Without ceil mode, or when the window would start past the input, it is still an error.
        #expect(failure { Functional.maxPool2d(x, kernelSize: (3, 3), stride: (2, 2)) }?.kind == .shapeMismatch)
        #expect(failure { Functional.maxPool2d(Tensor.ones([1, 1, 1, 1]), kernelSize: (5, 5), stride: (1, 1), ceilMode: true) }?.kind == .shapeMismatch)
    }

    @Test("transposed convolution: output padding below the dilation is accepted when the stride is 1")
    func transposedOutputPaddingWithDilation() {
        // PyTorch: ConvTranspose2d(2, 2, 3, stride=1, dilation=2, output_padding=1) on 4x4 gives 9x9.
        var rng = SeededGenerator(seed: 31)
        let x = Tensor.normal([1, 2, 4, 4], dtype: .float64, generator: &rng)
        let w = Tensor.normal([2, 2, 3, 3], dtype: .float64, generator: &rng)
        let b = Tensor.normal([2], dtype: .float64, generator: &rng)
        let padded = Functional.convTranspose2d(x, weight: w, bias: b, outputPadding: (1, 1), dilation: (2, 2))
        #expect(padded.shape == [1, 2, 9, 9])
        // The extra row and column hold only the bias; the rest is the unpadded result (computed another
        // way, as a convolution's input gradient: equal to Float64 rounding).
        let plain = Functional.convTranspose2d(x, weight: w, bias: b, dilation: (2, 2))
        #expect(mismatch(padded[0..., 0..., 0..<8, 0..<8].contiguous(), plain, rtol: 1e-13, atol: 1e-13) == nil)
        let bias = b.scalars(as: Double.self)
        for c in 0..<2 {
            #expect(padded[0, c, 8].scalars(as: Double.self) == [Double](repeating: bias[c], count: 9))
            #expect(padded[0, c, 0..., 8].scalars(as: Double.self) == [Double](repeating: bias[c], count: 9))
        }
        // With padding the extra row and column also hold what the padding would have cropped: PyTorch's
        // conv_transpose2d(arange(16).view(1,1,4,4)/7, arange(18).view(1,2,3,3)/5-1, padding=2,
        // output_padding=1, dilation=2), printed to 5 decimals.
        let torchOut: [Double] = [-2.45714, -2.8, -1.88571, -2.11429, -0.85714, -3.82857, -4.17143, -2.8, -3.02857, -1.2,
            -0.74286, -0.74286, -0.17143, -0.05714, 0.17143, -0.74286, -0.74286, 0.28571, 0.4, 0.51429, 0.74286, 0.82857,
            1.25714, 1.4, 0.85714, 2.68571, 3.37143, 3.25714, 4.05714, 2.22857, 5.42857, 6.11429, 6.45714, 7.25714, 3.94286,
            4.4, 5.42857, 4.97143, 6.11429, 3.25714, 8.51429, 9.54286, 9.54286, 10.68571, 5.65714, 5.37143, 5.97143,
            5.88571, 6.54286, 3.42857]
        let xs = Tensor.arange(0, 16, dtype: .float64).reshape([1, 1, 4, 4]) / 7
        let ws = Tensor.arange(0, 18, dtype: .float64).reshape([1, 2, 3, 3]) / 5 - 1
        let cropped = Functional.convTranspose2d(xs, weight: ws, padding: (2, 2), outputPadding: (1, 1), dilation: (2, 2))
        #expect(cropped.shape == [1, 2, 5, 5])
        for (got, want) in zip(cropped.scalars(as: Double.self), torchOut) { #expect(abs(got - want) < 1e-5) }
        // At least the stride or the dilation must exceed the output padding.
        #expect(failure { Functional.convTranspose2d(x, weight: w, outputPadding: (2, 0), dilation: (2, 2)) }?.message.contains("or dilation") == true)
        #expect(failure { Functional.convTranspose2d(x, weight: w, stride: (2, 2), outputPadding: (2, 2)) } != nil)
    }

    @Test("batch norm: evaluation needs running statistics, and they come in pairs")
    func batchNormStatistics() {
        // PyTorch: "running_mean must be defined in evaluation mode"; "... must either both be None or neither be None".
        let x = Tensor.normal([4, 3])
        #expect(failure { Functional.batchNorm(x, runningMean: nil, runningVar: nil, weight: nil, bias: nil, training: false) }?
            .message.contains("evaluation (training: false) needs runningMean and runningVar") == true)
        #expect(failure { Functional.batchNorm(x, runningMean: Tensor.zeros([3]), runningVar: nil, weight: nil, bias: nil, training: true) }?
            .message.contains("both be given or both be nil") == true)
        // A layer that tracks no statistics still normalizes with the batch's in evaluation (PyTorch's module does too).
        let layer = BatchNorm1d(3, trackRunningStats: false)
        layer.eval()
        let y = layer(x).scalars(as: Float.self)
        let batch = Functional.batchNorm(x, runningMean: nil, runningVar: nil, weight: layer.weight, bias: layer.bias, training: true)
        #expect(y == batch.scalars(as: Float.self))
    }

    @Test("unbatched samples ([C, H, W], [C, L]) through convolutions, pooling and instance norm equal the batch of one")
    func unbatchedInputs() {
        // PyTorch: Conv2d(3,4,3)([3,5,5]) → [4,3,3]; MaxPool1d(2)([3,4]) → [3,2]; InstanceNorm1d(3)([3,5]) → [3,5].
        var rng = SeededGenerator(seed: 40)
        let image = Tensor.normal([3, 6, 7], generator: &rng), signal = Tensor.normal([3, 9], generator: &rng)
        let twoD: [(String, any Layer)] = [
            ("Conv2d", Conv2d(3, 4, kernelSize: 3, padding: 1, generator: &rng)),
            ("Conv2d reflect", Conv2d(3, 2, kernelSize: 3, padding: 1, paddingMode: .reflect, generator: &rng)),
            ("ConvTranspose2d", ConvTranspose2d(3, 2, kernelSize: 2, stride: 2, generator: &rng)),
            ("MaxPool2d", MaxPool2d(2)), ("AvgPool2d", AvgPool2d(2, ceilMode: true)),
            ("AdaptiveAvgPool2d", AdaptiveAvgPool2d(Size2(2, 3))), ("AdaptiveMaxPool2d", AdaptiveMaxPool2d(1)),
            ("InstanceNorm2d", InstanceNorm2d(3, affine: true)),
        ]
        let oneD: [(String, any Layer)] = [
            ("Conv1d", Conv1d(3, 5, kernelSize: 3, generator: &rng)),
            ("Conv1d circular", Conv1d(3, 2, kernelSize: 3, padding: 1, paddingMode: .circular, generator: &rng)),
            ("MaxPool1d", MaxPool1d(2)), ("AvgPool1d", AvgPool1d(3, stride: 2)),
            ("AdaptiveAvgPool1d", AdaptiveAvgPool1d(4)), ("AdaptiveMaxPool1d", AdaptiveMaxPool1d(2)),
            ("InstanceNorm1d", InstanceNorm1d(3)),
        ]
        for (layers, sample) in [(twoD, image), (oneD, signal)] {
            for (name, layer) in layers {
                let single = layer(sample)
                let batched = layer(sample.unsqueeze(0))
                #expect(single.shape == Array(batched.shape.dropFirst()), "\(name): \(single.shape) vs \(batched.shape)")
                #expect(single.scalars(as: Float.self) == batched.scalars(as: Float.self), "\(name)")
            }
        }
        // Gradients reach the unbatched input, and the functional forms take it too.
        let x = image.detach().requiringGrad()
        Functional.maxPool2d(Functional.conv2d(x, weight: Tensor.ones([2, 3, 3, 3])), kernelSize: (2, 2)).sum().backward()
        #expect(x.grad?.shape == [3, 6, 7])
        #expect(Functional.conv1d(signal, weight: Tensor.ones([2, 3, 3]), padding: .same).shape == [2, 9])
        // Other ranks are still refused with the layer's message.
        #expect(failure { Functional.conv2d(Tensor.ones([6, 7]), weight: Tensor.ones([2, 3, 3, 3])) }?.kind == .shapeMismatch)
    }

    @Test("adaptive average pooling refuses integer input instead of truncating every average to 0")
    func adaptiveAveragePoolIntegers() {
        // PyTorch: "adaptive_avg_pool2d" not implemented for 'Long'.
        let x = Tensor(shape: [1, 1, 3, 3], integers: Array(1...9))
        #expect(failure { Functional.adaptiveAvgPool2d(x, outputSize: (2, 2)) }?.kind == .dtypeMismatch)
        #expect(failure { Functional.adaptiveAvgPool2d(x, outputSize: (1, 1)) }?.kind == .dtypeMismatch)
    }
}
