import Foundation
import Gradus
import GradusDistributed

/// The data-parallel workloads, run when gradus-bench is started by mpirun:
///   mpirun -np N gradus-bench [ddp_mlp_sgd_b64 | ddp_lenet_sgd_b64 | allreduce_sweep]
/// They mirror ../shared/bench/pytorch_ddp.py (and scripts/pytorch_ddp_workloads.py for LeNet): a global
/// batch of 64 split evenly over the N processes (one thread each), SGD lr 0.05 momentum 0.9, 5 warm-up
/// steps, then the best of 3 rounds of `steps` steps between barriers. Only rank 0 prints:
///   ddp_mlp_sgd_b64 VALUE samples/s world=N
/// followed by a comment line with the overlap: the all-reduce time left exposed after backward (the wait
/// at its end) against the time the same buckets take to reduce with nothing else running.
enum DistributedWorkloads {
    static let names = ["ddp_mlp_sgd_b64", "ddp_lenet_sgd_b64", "allreduce_sweep"]

    /// The bucket size given by `--bucket-mb` (PyTorch's default 25 MiB otherwise).
    nonisolated(unsafe) static var bucketMB = 25.0

    static func run(_ only: [String], group: ProcessGroup) throws {
        for name in names where only.isEmpty || only.contains(name) {
            switch name {
            case "ddp_mlp_sgd_b64":
                try step(name, group: group, inputShape: [784], steps: 100, model: TrainingWorkloads.mlp)
            case "ddp_lenet_sgd_b64":
                try step(name, group: group, inputShape: [1, 28, 28], steps: 30, model: TrainingWorkloads.lenet)
            default:
                try allReduceSweep(group)
            }
        }
    }

    static func say(_ group: ProcessGroup, _ text: String) {
        guard group.rank == 0 else { return }
        FileHandle.standardOutput.write((text + "\n").data(using: .utf8)!)
    }

    static func step(_ name: String, group: ProcessGroup, inputShape: [Int], steps: Int,
                     model build: (inout SeededGenerator) -> Sequential) throws {
        var rng = SeededGenerator(seed: 0)
        let model = build(&rng)
        let ddp = try DistributedDataParallel(model, group: group, bucketCapacityMB: bucketMB)
        let optimizer = SGD(model.parameters(), lr: 0.05, momentum: 0.9)
        let per = 64 / group.worldSize
        var data = SeededGenerator(seed: UInt64(group.rank) + 1)
        let x = Tensor.uniform([per] + inputShape, generator: &data)
        let y = Tensor.randint(0, 10, shape: [per], generator: &data)
        var waits: [Double] = [], backward: [Double] = []
        func oneStep(record: Bool) {
            optimizer.zeroGrad()
            let loss = ddp(x).crossEntropy(y)
            let start = DispatchTime.now().uptimeNanoseconds
            loss.backward()
            if record {
                backward.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
                waits.append(ddp.statistics.waitSeconds)
            }
            optimizer.step()
        }
        for _ in 0..<5 { oneStep(record: false) }
        var best = Double.infinity
        for _ in 0..<3 {
            try group.barrier()
            let start = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<steps { oneStep(record: true) }
            try group.barrier()
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 / Double(steps))
        }
        // The same buckets reduced with nothing to overlap: what communication costs on its own.
        let buckets = ddp.statistics.bucketCount
        let flat = Tensor.zeros([model.parameters().reduce(0) { $0 + $1.count }])
        var alone: [Double] = []
        for _ in 0..<max(steps, 20) {
            try group.barrier()
            let start = DispatchTime.now().uptimeNanoseconds
            try group.allReduce(flat, .mean)
            alone.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        // The process that finishes backward last waits only for communication that backward did not
        // hide; the others also wait for it. So the exposed time of a step is the smallest wait.
        let waitTensor = Tensor(shape: [waits.count], values: waits, dtype: .float64)
        try group.allReduce(waitTensor, .min)
        let exposed = median(waitTensor.scalars(as: Double.self)), communication = median(alone)
        say(group, "\(name) \(String(format: "%.1f", 64 / best)) samples/s world=\(group.worldSize)\(bucketMB == 25 ? "" : " bucket=\(bucketMB)MB")")
        say(group, String(format: "# %@: %d bucket(s), %d started during backward; backward %.1f us (median), all-reduce alone %.1f us, exposed wait %.1f us: %.0f%% of the all-reduce hidden behind backward",
                          name, buckets, ddp.statistics.bucketsStartedDuringBackward, median(backward) * 1e6, communication * 1e6,
                          exposed * 1e6, max(0, 1 - exposed / max(communication, 1e-12)) * 100))
    }

    /// Latency and bandwidth of one all-reduce of 8 B to 64 MiB (float32), median of repetitions.
    static func allReduceSweep(_ group: ProcessGroup) throws {
        var bytes = 8
        while bytes <= 64 << 20 {
            let t = Tensor.zeros([bytes / 4])
            let reps = bytes <= 1 << 16 ? 200 : (bytes <= 1 << 22 ? 30 : 8)
            var times: [Double] = []
            for _ in 0..<3 { try group.allReduce(t) }
            for _ in 0..<reps {
                try group.barrier()
                let start = DispatchTime.now().uptimeNanoseconds
                try group.allReduce(t)
                times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            }
            let m = median(times)
            // Bus bandwidth as NCCL reports it: 2(p−1)/p · bytes / time for a ring all-reduce.
            let p = Double(group.worldSize)
            say(group, String(format: "allreduce_%d %.2f us world=%d  algbw %.3f GB/s  busbw %.3f GB/s", bytes, m * 1e6, group.worldSize,
                              Double(bytes) / m / 1e9, 2 * (p - 1) / p * Double(bytes) / m / 1e9))
            bytes *= 8
        }
    }

    static func median(_ xs: [Double]) -> Double {
        guard !xs.isEmpty else { return 0 }
        let s = xs.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
}
