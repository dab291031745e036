import CBLAS
import Gradus

/// Tensor-level workloads: BLAS products through Gradus and directly, memory-bound elementwise ops,
/// and the fixed cost of one small op.
enum FoundationWorkloads {
    static func sgemm(_ n: Int) -> Workload {
        Workload(name: "sgemm_\(n)") {
            var rng = SeededGenerator(seed: 0)
            let a = Tensor.uniform([n, n], generator: &rng), b = Tensor.uniform([n, n], generator: &rng)
            let t = secondsPerCall(reps: n >= 4096 ? 2 : n >= 2048 ? 5 : 20) { _ = a.matmul(b) }
            return (2 * Double(n * n * n) / t / 1e9, "GFLOP/s")
        }
    }

    /// The same product by cblas_sgemm into a preallocated buffer, with OpenBLAS's own threads at the
    /// benchmark's thread count (Gradus otherwise keeps OpenBLAS on one): the reference for `sgemm_N`.
    static func sgemmDirect(_ n: Int) -> Workload {
        Workload(name: "sgemm_\(n)_openblas") {
            let a = [Float](repeating: 0.5, count: n * n), b = [Float](repeating: 0.25, count: n * n)
            var c = [Float](repeating: 0, count: n * n)
            openblas_set_num_threads(Int32(Threading.count))
            defer { openblas_set_num_threads(1) }
            let t = secondsPerCall(reps: n >= 2048 ? 5 : 20) {
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(n), Int32(n), 1,
                            a, Int32(n), b, Int32(n), 0, &c, Int32(n))
            }
            return (2 * Double(n * n * n) / t / 1e9, "GFLOP/s")
        }
    }

    static let elementCount = 16 * 1024 * 1024

    /// relu over 16M Float32: bytes read plus bytes written per second.
    static let relu = Workload(name: "relu_16m") {
        var rng = SeededGenerator(seed: 0)
        let x = Tensor.normal([elementCount], generator: &rng)
        let t = secondsPerCall(reps: 10) { _ = x.relu() }
        return (Double(2 * 4 * elementCount) / t / 1e9, "GB/s")
    }

    /// a·x + b over 16M Float32 (scalars a, b), counted as one read and one write of the tensor.
    static let axpb = Workload(name: "axpb_16m") {
        var rng = SeededGenerator(seed: 0)
        let x = Tensor.normal([elementCount], generator: &rng)
        let t = secondsPerCall(reps: 10) { _ = x * 1.5 + 0.5 }
        return (Double(2 * 4 * elementCount) / t / 1e9, "GB/s")
    }

    /// One elementwise op on a 1-element tensor that requires gradients (forward only, graph recorded).
    static let smallOpForward = Workload(name: "small_op_fwd") {
        let x = Tensor([0.5]).requiringGrad()
        let t = secondsPerCall(reps: 100_000) { _ = x * x }
        return (t * 1e6, "us/op")
    }

    /// Forward and backward of one op on 1-element tensors.
    static let smallOpForwardBackward = Workload(name: "small_op_fwdbwd") {
        let x = Tensor([0.5]).requiringGrad()
        let t = secondsPerCall(reps: 100_000) {
            (x * x).backward()
            x.grad = nil
        }
        return (t * 1e6, "us/op")
    }

    /// The first layer of mlp_infer_b1 alone: one sample through a 784 -> 256 linear map without bias
    /// (a matrix-vector product streaming 0.8 MB of weights).
    static let linearOneSample = Workload(name: "linear_b1_784x256") {
        var rng = SeededGenerator(seed: 0)
        let x = Tensor.uniform([1, 784], generator: &rng), w = Tensor.uniform([256, 784], generator: &rng)
        let t = secondsPerCall(reps: 5000) { _ = Tensor.linear(x, weight: w, bias: nil) }
        return (t * 1e6, "us/call")
    }

    /// A spatial transformer's sampling step: bilinear `gridSample` of [8, 16, 64, 64] images at an affine
    /// grid (zeros padding), forward and backward to the images and the affine parameters.
    static let gridSample = Workload(name: "grid_sample_b8") {
        var rng = SeededGenerator(seed: 0)
        let images = Tensor.normal([8, 16, 64, 64], generator: &rng).requiringGrad()
        let theta = (Tensor([[[0.9, 0.1, 0.05], [-0.1, 0.9, 0.0]]]).expand([8, 2, 3]).contiguous()
                     + Tensor.normal([8, 2, 3], std: 0.05, generator: &rng)).requiringGrad()
        let t = secondsPerCall(reps: 5) {
            let grid = Functional.affineGrid(theta: theta, size: [8, 16, 64, 64])
            Functional.gridSample(images, grid: grid).sum().backward()
            images.grad = nil
            theta.grad = nil
        }
        return (t * 1e6, "us/step")
    }

    static let all: [Workload] = [linearOneSample, gridSample,
        sgemm(512), sgemm(1024), sgemm(2048), sgemm(4096), sgemmDirect(1024), sgemmDirect(2048),
        relu, axpb, smallOpForward, smallOpForwardBackward,
    ]
}
