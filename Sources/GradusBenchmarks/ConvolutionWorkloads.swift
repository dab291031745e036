import Foundation
import Gradus

/// Convolution layers on both ``ConvolutionBackend``s, pass by pass (Gradus only): the evidence behind
/// the choice of backend per shape. For each layer and batch, three timings per backend: the forward
/// pass alone, forward + weight and bias gradients, and forward + all gradients; the differences are
/// each pass's time. Lines start with `#` (compare_pytorch.py ignores them); the workload's figure is
/// the geometric mean over the layers of unfolded time / oneDNN time for the whole training pass.
enum ConvolutionWorkloads {
    struct Layer {
        let name: String, inChannels: Int, size: Int, outChannels: Int, kernel: Int, stride: Int, padding: Int
        var groups = 1
    }

    static let layers: [Layer] = [
        Layer(name: "lenet1", inChannels: 1, size: 28, outChannels: 6, kernel: 5, stride: 1, padding: 2),
        Layer(name: "lenet2", inChannels: 6, size: 14, outChannels: 16, kernel: 5, stride: 1, padding: 0),
        Layer(name: "cnn1", inChannels: 3, size: 32, outChannels: 32, kernel: 3, stride: 1, padding: 1),
        Layer(name: "cnn2", inChannels: 32, size: 16, outChannels: 64, kernel: 3, stride: 1, padding: 1),
        Layer(name: "cnn3", inChannels: 64, size: 8, outChannels: 128, kernel: 3, stride: 1, padding: 1),
        Layer(name: "gan1", inChannels: 3, size: 32, outChannels: 64, kernel: 4, stride: 2, padding: 1),
        Layer(name: "gan2", inChannels: 64, size: 16, outChannels: 128, kernel: 4, stride: 2, padding: 1),
        Layer(name: "res", inChannels: 64, size: 28, outChannels: 64, kernel: 3, stride: 1, padding: 1),
        Layer(name: "point", inChannels: 64, size: 28, outChannels: 256, kernel: 1, stride: 1, padding: 0),
        // Depthwise (MobileNet's 3×3 layers, mobilenet_b64) and grouped (ResNeXt's 32 groups).
        Layer(name: "dw32", inChannels: 32, size: 32, outChannels: 32, kernel: 3, stride: 1, padding: 1, groups: 32),
        Layer(name: "dw64s2", inChannels: 64, size: 32, outChannels: 64, kernel: 3, stride: 2, padding: 1, groups: 64),
        Layer(name: "dw128", inChannels: 128, size: 16, outChannels: 128, kernel: 3, stride: 1, padding: 1, groups: 128),
        Layer(name: "dw256", inChannels: 256, size: 8, outChannels: 256, kernel: 3, stride: 1, padding: 1, groups: 256),
        Layer(name: "dw32k5", inChannels: 32, size: 32, outChannels: 32, kernel: 5, stride: 1, padding: 2, groups: 32),
        Layer(name: "dwx2", inChannels: 32, size: 32, outChannels: 64, kernel: 3, stride: 1, padding: 1, groups: 32),
        Layer(name: "group32", inChannels: 128, size: 16, outChannels: 128, kernel: 3, stride: 1, padding: 1, groups: 32),
        Layer(name: "group16", inChannels: 128, size: 16, outChannels: 128, kernel: 3, stride: 1, padding: 1, groups: 16),
        Layer(name: "group2", inChannels: 64, size: 16, outChannels: 64, kernel: 3, stride: 1, padding: 1, groups: 2),
    ]

    /// Microseconds per call of forward only, forward + weight gradients, forward + every gradient.
    static func passes(_ l: Layer, batch: Int, backend: ConvolutionBackend) -> [Double] {
        let saved = ConvolutionBackend.active
        ConvolutionBackend.active = backend
        defer { ConvolutionBackend.active = saved }
        var rng = SeededGenerator(seed: 0)
        let x = Tensor.normal([batch, l.inChannels, l.size, l.size], generator: &rng)
        let w = Tensor.normal([l.outChannels, l.inChannels / l.groups, l.kernel, l.kernel], generator: &rng).requiringGrad()
        let b = Tensor.normal([l.outChannels], generator: &rng).requiringGrad()
        let xg = x.detach().requiringGrad()
        let work = Double(batch * l.outChannels * l.inChannels / l.groups * l.kernel * l.kernel * l.size * l.size / (l.stride * l.stride))
        let reps = max(3, Int(2e8 / max(work, 1)))
        func conv(_ input: Tensor) -> Tensor {
            Functional.conv2d(input, weight: w, bias: b, stride: (l.stride, l.stride), padding: (l.padding, l.padding),
                              groups: l.groups)
        }
        let forward = secondsPerCall(reps: reps) { _ = GradMode.noGrad { conv(x) } }
        let weights = secondsPerCall(reps: reps) {
            conv(x).sum().backward()
            w.grad = nil; b.grad = nil
        }
        let all = secondsPerCall(reps: reps) {
            conv(xg).sum().backward()
            w.grad = nil; b.grad = nil; xg.grad = nil
        }
        return [forward, weights, all].map { $0 * 1e6 }
    }

    static let passesWorkload = Workload(name: "conv_passes") {
        var logRatio = 0.0
        var count = 0
        print("# layer batch: oneDNN forward / +weight grad / +input grad, unfolded the same (µs); unfolded/oneDNN")
        // GRADUS_CONV_LAYERS=name,name… measures those layers only.
        let only = ProcessInfo.processInfo.environment["GRADUS_CONV_LAYERS"].map { Set($0.split(separator: ",").map(String.init)) }
        for l in layers where only?.contains(l.name) ?? true {
            for batch in [1, 8, 64] {
                let a = passes(l, batch: batch, backend: .oneDNN), u = passes(l, batch: batch, backend: .unfolded)
                let line = String(format: "# %@ %d: %.1f / %.1f / %.1f   %.1f / %.1f / %.1f   fwd %.2f  train %.2f",
                                  l.name, batch, a[0], a[1], a[2], u[0], u[1], u[2], u[0] / a[0], u[2] / a[2])
                print(line)
                logRatio += log(u[2] / a[2])
                count += 1
            }
        }
        return (exp(logRatio / Double(count)), "x")
    }

    static let all: [Workload] = [passesWorkload]
}
