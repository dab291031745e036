// Checks of GradusDistributed that need several processes: run under `mpirun -np 2` by the
// DistributedTests suite (on shared memory and on TCP), one scenario per launch:
//   gradus-distributed-check <scenario>
// Each rank prints "PASS <scenario> rank <r>" and exits 0, or prints what failed and exits 1.
import Foundation
import Gradus
import GradusDistributed

/// Prints unbuffered, so that a rank's last words survive an abort.
func say(_ text: String) {
    FileHandle.standardOutput.write((text + "\n").data(using: .utf8)!)
}

struct CheckFailure: Error, CustomStringConvertible {
    let description: String
}

func expect(_ condition: Bool, _ message: @autoclosure () -> String) throws {
    if !condition { throw CheckFailure(description: message()) }
}

/// ‖a − b‖ / ‖b‖ (Euclidean norms, in Float64).
func relativeError(_ a: Tensor, _ b: Tensor) -> Double {
    let x = a.to(.float64).scalars(as: Double.self), y = b.to(.float64).scalars(as: Double.self)
    guard x.count == y.count else { return .infinity }
    var d = 0.0, n = 0.0
    for (u, v) in zip(x, y) { d += (u - v) * (u - v); n += v * v }
    return n == 0 ? d.squareRoot() : (d / n).squareRoot()
}

/// The largest element-wise |a − b| / max(|b|, 1e-3).
func maxRelativeDifference(_ a: Tensor, _ b: Tensor) -> Double {
    let x = a.to(.float64).scalars(as: Double.self), y = b.to(.float64).scalars(as: Double.self)
    var worst = 0.0
    for (u, v) in zip(x, y) { worst = max(worst, abs(u - v) / max(abs(v), 1e-3)) }
    return x.count == y.count ? worst : .infinity
}

// MARK: Scenarios

func collectives(_ g: ProcessGroup) throws {
    let r = Double(g.rank), n = Double(g.worldSize)
    for dtype in [DType.float32, .float64] {
        let t = Tensor(shape: [3], values: [r, 2 * r, -r], dtype: dtype)
        try g.allReduce(t, .sum)
        let s = n * (n - 1) / 2
        try expect(t.to(.float64).scalars(as: Double.self) == [s, 2 * s, -s], "allReduce sum \(dtype): \(t)")
        let m = Tensor(shape: [2], values: [r, 1], dtype: dtype)
        try g.allReduce(m, .mean)
        try expect(m.to(.float64).scalars(as: Double.self) == [(n - 1) / 2, 1], "allReduce mean \(dtype): \(m)")
        let mx = Tensor(shape: [2], values: [r, -r], dtype: dtype)
        try g.allReduce(mx, .max)
        try expect(mx.to(.float64).scalars(as: Double.self) == [n - 1, 0], "allReduce max \(dtype): \(mx)")
        let mn = Tensor(shape: [1], values: [r], dtype: dtype)
        try g.allReduce(mn, .min)
        try expect(mn.item(Double.self) == 0, "allReduce min \(dtype)")
    }
    let counts = Tensor(shape: [2], integers: [g.rank + 1, 1_000_000_007])
    try g.allReduce(counts)
    try expect(counts.scalars(as: Double.self) == [n * (n + 1) / 2, n * 1_000_000_007], "allReduce int64 \(counts)")
    // Empty tensors and a large one.
    try g.allReduce(Tensor.zeros([0]))
    let big = Tensor.full([3_000_000], value: r + 1)
    try g.allReduce(big)
    try expect(big.sum().item(Double.self) == 3_000_000 * n * (n + 1) / 2, "allReduce large")
    // Non-blocking: two in flight, completed in order.
    let a = Tensor.full([1000], value: r), b = Tensor.full([5], value: 1, dtype: .float64)
    let wa = try g.allReduceAsync(a, .sum), wb = try g.allReduceAsync(b, .mean)
    try wb.wait()
    try wa.wait()
    try expect(a.max().item(Double.self) == n * (n - 1) / 2 && b.scalars(as: Double.self) == Array(repeating: 1, count: 5), "allReduceAsync")
    try expect(try wa.test(), "test after wait")
    // Broadcast from the last rank.
    let bc = Tensor(shape: [2, 2], values: [r, r, r, r])
    try g.broadcast(bc, from: g.worldSize - 1)
    try expect(bc.scalars() == Array(repeating: Float(n - 1), count: 4), "broadcast \(bc)")
    // All-gather.
    let gathered = try g.allGather(Tensor(shape: [2], values: [r, 10 * r]))
    try expect(gathered.shape == [g.worldSize, 2], "allGather shape \(gathered.shape)")
    try expect(gathered.scalars() == (0..<g.worldSize).flatMap { [Float($0), Float(10 * $0)] }, "allGather \(gathered)")
    try g.barrier()
    // Errors that every rank finds the same way, and the group still works afterwards.
    do {
        _ = try g.allGather(Tensor.zeros([g.rank + 1]))
        try expect(false, "allGather with different shapes did not throw")
    } catch let e as DistributedError {
        try expect(e.call == "allGather" && e.message.contains("same shape"), "allGather error: \(e)")
    }
    do {
        try g.allReduce(Tensor(shape: [1], integers: [1]), .mean)
        try expect(false, "int64 mean did not throw")
    } catch let e as DistributedError { try expect(e.message.contains("int64"), "\(e)") }
    do {
        try g.allReduce(Tensor.zeros([2, 3]).transpose(0, 1))
        try expect(false, "strided view did not throw")
    } catch let e as DistributedError { try expect(e.message.contains("strided"), "\(e)") }
    do {
        try g.broadcast(Tensor.zeros([1]), from: g.worldSize)
        try expect(false, "bad root did not throw")
    } catch let e as DistributedError { try expect(e.message.contains("root rank"), "\(e)") }
    let after = Tensor([1])
    try g.allReduce(after)
    try expect(after.item(Double.self) == n, "group unusable after errors")
}

/// A small two-layer network whose parameters depend only on the seed.
func makeModel(_ dtype: DType, extra: Bool = false) -> Sequential {
    var rng = SeededGenerator(seed: 7)
    if extra {
        let a = Linear(6, 16, dtype: dtype, generator: &rng)
        let b = Linear(16, 16, dtype: dtype, generator: &rng)
        let c = Linear(16, 3, dtype: dtype, generator: &rng)
        return Sequential([a, Tanh(), b, ReLU(), c])
    }
    let a = Linear(6, 16, dtype: dtype, generator: &rng)
    let b = Linear(16, 3, dtype: dtype, generator: &rng)
    return Sequential([a, Tanh(), b])
}

func makeOptimizer(_ name: String, _ params: [Tensor]) -> Optimizer {
    name == "adam" ? Adam(params, lr: 0.01) : SGD(params, lr: 0.05, momentum: 0.9)
}

/// 20 steps on 2 ranks × 32 samples against 20 steps of one process on all 64, computed in this process.
func ddpEquivalence(_ g: ProcessGroup) throws {
    let perRank = 32, global = perRank * g.worldSize
    var worst: [DType: Double] = [:]
    for dtype in [DType.float32, .float64] {
        for optimizerName in ["sgd", "adam"] {
            for bucketMB in [25.0, 0.0005] {
                var rng = SeededGenerator(seed: 11)
                let x = Tensor.normal([20 * global, 6], dtype: dtype, generator: &rng)
                let y = Tensor.randint(0, 3, shape: [20 * global], generator: &rng)
                let model = makeModel(dtype), reference = makeModel(dtype)
                if g.rank != 0 {   // DDP must replace these by rank 0's parameters.
                    GradMode.noGrad { for p in model.parameters() { _ = p.fillInPlace(0.25) } }
                }
                let ddp = try DistributedDataParallel(model, group: g, bucketCapacityMB: bucketMB)
                let opt = makeOptimizer(optimizerName, model.parameters())
                let refOpt = makeOptimizer(optimizerName, reference.parameters())
                let sampler = try DistributedSampler(count: global, worldSize: g.worldSize, rank: g.rank, shuffle: false)
                for step in 0..<20 {
                    let base = step * global
                    let mine = Tensor(labels: sampler.indices(epoch: 0).map { base + $0 })
                    opt.zeroGrad()
                    ddp(x.indexSelect(axis: 0, index: mine)).crossEntropy(y.indexSelect(axis: 0, index: mine)).backward()
                    try expect(ddp.statistics.bucketCount >= 1, "no buckets")
                    opt.step()
                    refOpt.zeroGrad()
                    reference(x.slice(axis: 0, start: base, end: base + global)).crossEntropy(y.slice(axis: 0, start: base, end: base + global)).backward()
                    refOpt.step()
                }
                let tolerance = dtype == .float32 ? 1e-6 : 1e-13
                for ((name, p), q) in zip(model.namedParameters(), reference.parameters()) {
                    let d = relativeError(p, q)
                    worst[dtype] = max(worst[dtype] ?? 0, d)
                    try expect(d <= tolerance, "\(dtype) \(optimizerName) bucket \(bucketMB) MB: \(name) differs from one process by \(d) (‖Δ‖/‖p‖)")
                }
                if bucketMB < 0.001 {
                    try expect(ddp.statistics.bucketCount == (dtype == .float32 ? 2 : 3), "buckets: \(ddp.statistics.bucketCount)")
                }
            }
        }
    }
    say("rank \(g.rank): 20 SGD-momentum and Adam steps on \(g.worldSize)×\(perRank) match 1×\(global): largest ‖Δ‖/‖p‖ over parameters: Float32 \(worst[.float32]!), Float64 \(worst[.float64]!)")
}

/// Gradient accumulation with noSync, and parameters that some ranks do not use.
func ddpAccumulationAndUnused(_ g: ProcessGroup) throws {
    var rng = SeededGenerator(seed: 3)
    let x = Tensor.normal([4 * g.worldSize, 6], dtype: .float64, generator: &rng)
    let y = Tensor.randint(0, 3, shape: [4 * g.worldSize], generator: &rng)
    let model = makeModel(.float64), reference = makeModel(.float64)
    let ddp = try DistributedDataParallel(model, group: g)
    // Two micro-batches of 2 per rank; the first under noSync.
    let mine = { (k: Int) -> Tensor in
        let first: Int = 4 * g.rank + 2 * k
        return Tensor(labels: [first, first + 1])
    }
    ddp.noSync { ddp(x.indexSelect(axis: 0, index: mine(0))).crossEntropy(y.indexSelect(axis: 0, index: mine(0))).backward() }
    ddp(x.indexSelect(axis: 0, index: mine(1))).crossEntropy(y.indexSelect(axis: 0, index: mine(1))).backward()
    // Reference: Σ over micro-batches of mean losses, averaged over ranks = Σ_k mean over ranks' micro-batch k.
    for k in 0..<2 {
        var indices: [Int] = []
        for rank in 0..<g.worldSize { indices += [4 * rank + 2 * k, 4 * rank + 2 * k + 1] }
        let rows = Tensor(labels: indices)
        reference(x.indexSelect(axis: 0, index: rows)).crossEntropy(y.indexSelect(axis: 0, index: rows)).backward()
    }
    for (p, q) in zip(model.parameters(), reference.parameters()) {
        try expect(maxRelativeDifference(p.grad!, q.grad!) < 1e-12, "noSync accumulation: \(maxRelativeDifference(p.grad!, q.grad!))")
    }
    // Unused parameters: the middle layer is skipped on rank 1 only, the last layer's bias never used.
    for find in [false, true] {
        let net = makeModel(.float64, extra: true)
        let layers = net.layers.map { $0 as Module }
        let ddp2 = try DistributedDataParallel(net, group: g, bucketCapacityMB: 0.0001, findUnusedParameters: find)
        var h = (layers[1] as! any Layer)((layers[0] as! any Layer)(x))
        if g.rank == 0 { h = (layers[3] as! any Layer)((layers[2] as! any Layer)(h)) }
        let last = layers[4] as! Linear
        h.matmul(last.weight.transpose(0, 1)).sum().backward()
        _ = ddp2
        let middle = (layers[2] as! Linear).weight
        try expect(middle.grad != nil, "a parameter used by one rank has no gradient on rank \(g.rank)")
        // Rank 0's gradient is averaged with rank 1's zeros: the same on both ranks.
        let gathered = try g.allGather(middle.grad!)
        try expect(maxRelativeDifference(gathered.select(axis: 0, index: 0), gathered.select(axis: 0, index: g.worldSize - 1)) == 0, "unused: ranks differ")
        // A parameter that no rank used keeps no gradient, as in one process (flags in the buckets).
        try expect(last.bias!.grad == nil, "a parameter no rank used got a gradient (findUnusedParameters \(find))")
    }
    // A backward pass that fails part-way (a hook throws after some buckets were sent) leaves the ranks
    // out of step: the next backward refuses instead of pairing mismatched reductions.
    do {
        let net = makeModel(.float64)
        let ddp3 = try DistributedDataParallel(net, group: g, bucketCapacityMB: 0.0001)
        let first = net.parameters()[0]
        let handle = first.registerHook { _ in throw GradusError(.invalidArgument, "testHook: failing on purpose") }
        let failed = Result { try GradusError.catching { ddp3(x).crossEntropy(y).backward() } }
        if case .success = failed { try expect(false, "the failing hook did not fail backward") }
        handle.remove()
        let next = Result { try GradusError.catching { ddp3(x).crossEntropy(y).backward() } }
        guard case .failure(let e) = next else { throw CheckFailure(description: "a backward after a failed one was accepted") }
        try expect("\(e)".contains("out of step"), "\(e)")
        // Drain what the failed pass left in flight so the group stays usable for the next checks.
        try g.barrier()
    }
    // Ranks with different models are refused with a message naming the rank.
    do {
        _ = try DistributedDataParallel(g.rank == 0 ? makeModel(.float32) : makeModel(.float32, extra: true), group: g)
        try expect(false, "different models were accepted")
    } catch let e as DistributedError {
        try expect(e.message.contains("rank"), "\(e)")
    }
}

/// Synchronized batch norm on 2 ranks equals BatchNorm on the whole batch: outputs, gradients, running stats.
func syncBatchNorm(_ g: ProcessGroup) throws {
    for dtype in [DType.float32, .float64] {
        var rng = SeededGenerator(seed: 5)
        let global = 6 * g.worldSize
        let x = Tensor.normal([global, 3, 4, 4], mean: 2, std: 3, dtype: dtype, generator: &rng)
        let upstream = Tensor.normal([global, 3, 4, 4], dtype: dtype, generator: &rng)
        let bn = BatchNorm2d(3, dtype: dtype), whole = BatchNorm2d(3, dtype: dtype)
        try expect(SyncBatchNorm.convert(Sequential { bn }, group: g) == 1, "convert count")
        let rows = Tensor(labels: Array((6 * g.rank)..<(6 * g.rank + 6)))
        let mine = x.indexSelect(axis: 0, index: rows).detach().requiringGrad()
        let all = x.detach().requiringGrad()
        // Loss = Σ over ranks of Σ upstream·y: the sum of the ranks' losses is the whole batch's loss.
        (bn(mine) * upstream.indexSelect(axis: 0, index: rows)).sum().backward()
        let yWhole = whole(all)
        (yWhole * upstream).sum().backward()
        let tolerance = dtype == .float32 ? 1e-4 : 1e-11
        let y = GradMode.noGrad { bn(mine) }   // a second forward: same statistics; the running stats move again
        _ = GradMode.noGrad { whole(all) }
        try expect(maxRelativeDifference(y, yWhole.detach().indexSelect(axis: 0, index: rows)) < tolerance, "SyncBatchNorm output \(dtype)")
        try expect(maxRelativeDifference(mine.grad!, all.grad!.indexSelect(axis: 0, index: rows)) < tolerance, "SyncBatchNorm input gradient \(dtype): \(maxRelativeDifference(mine.grad!, all.grad!.indexSelect(axis: 0, index: rows)))")
        // Parameter gradients: each rank holds its part; their sum is the whole batch's.
        let wg = bn.weight!.grad!.clone(), bg = bn.bias!.grad!.clone()
        try g.allReduce(wg)
        try g.allReduce(bg)
        try expect(maxRelativeDifference(wg, whole.weight!.grad!) < tolerance && maxRelativeDifference(bg, whole.bias!.grad!) < tolerance, "SyncBatchNorm parameter gradients \(dtype)")
        try expect(maxRelativeDifference(bn.runningMean!, whole.runningMean!) < tolerance && maxRelativeDifference(bn.runningVar!, whole.runningVar!) < tolerance, "SyncBatchNorm running statistics \(dtype)")
        bn.eval(); whole.eval()
        try expect(maxRelativeDifference(bn(mine), whole(all).indexSelect(axis: 0, index: rows)) < tolerance, "eval mode")
    }
}

/// A rank that fails: rank 1 stops abruptly in the middle of a training loop, rank 0 is in a collective.
func rankDies(_ g: ProcessGroup) throws {
    let t = Tensor.zeros([1000])
    for step in 0..<1_000_000 {
        if g.rank == 1 && step == 20 {
            FileHandle.standardError.write("rank 1: dying on purpose at step 20\n".data(using: .utf8)!)
            kill(getpid(), SIGKILL)
        }
        try g.allReduce(t)
        usleep(1000)
    }
}

/// A rank that fails with an error (not a crash): it reports it and stops the job.
func rankFails(_ g: ProcessGroup) throws {
    let t = Tensor.zeros([10])
    for step in 0..<1_000_000 {
        if g.rank == 1 && step == 10 {
            throw DistributedError(call: "rankFails", message: "rank 1: failing on purpose at step 10")
        }
        try g.allReduce(t)
    }
}

/// The Trainer over several processes: a batch whose loss is NaN on one process only is skipped by all
/// (or stops all); epoch metrics and evaluations are the processes' exact totals.
func trainerAgreement(_ g: ProcessGroup) throws {
    var rng = SeededGenerator(seed: 21)
    let count = 40 * g.worldSize
    let x = Tensor.normal([count, 6], generator: &rng)
    let y = Tensor.randint(0, 3, shape: [count], generator: &rng)
    // One poisoned sample: NaN in its features. Only the process that reads it sees a NaN loss.
    let poisoned = x.clone()
    GradMode.noGrad { _ = poisoned.select(axis: 0, index: 5).fillInPlace(.nan) }
    for policy in [NonFiniteLossPolicy.skip, .stop] {
        let model = makeModel(.float32)
        let trainer = Trainer(model: model, optimizer: SGD(model.parameters(), lr: 0.1), seed: 3, nonFiniteLoss: policy)
        try trainer.distribute(over: g)
        let data = TensorDataset(poisoned, y)
        if policy == .skip {
            let m = try trainer.trainEpoch(data, batchSize: 8 * g.worldSize)
            try expect(m.skippedBatches == 1, "skipped \(m.skippedBatches) batches on rank \(g.rank)")
            // The parameters stayed equal on every process.
            for p in model.parameters() {
                let all = try g.allGather(p)
                try expect(maxRelativeDifference(all.select(axis: 0, index: 0), all.select(axis: 0, index: g.worldSize - 1)) == 0, "replicas diverged")
            }
            try expect(m.trainLoss.isFinite, "epoch loss \(m.trainLoss)")
        } else {
            do {
                try trainer.trainEpoch(data, batchSize: 8 * g.worldSize)
                try expect(false, "a NaN loss on one process did not stop rank \(g.rank)")
            } catch let e as TrainingError {
                try expect(e.message.contains("not finite") || e.message.contains("nan"), "\(e.message)")
            }
        }
    }
    // Evaluation: each process evaluates its share; the totals equal one process's evaluation of all.
    let model = makeModel(.float32)
    let trainer = Trainer(model: model, optimizer: SGD(model.parameters(), lr: 0.1))
    let whole = trainer.evaluate(TensorDataset(x, y), batchSize: 7, classes: 3)
    try trainer.distribute(over: g)
    let shared = trainer.evaluate(TensorDataset(x, y), batchSize: 7, classes: 3)
    try expect(shared.confusion == whole.confusion, "confusion matrices differ")
    try expect(abs(shared.loss - whole.loss) < 1e-6 * abs(whole.loss), "loss \(shared.loss) vs \(whole.loss)")
    try expect(shared.count == count, "count \(shared.count)")
    // Epoch metrics are totals: two processes on 2×20 samples report what one process on 40 reports.
    let m = try trainer.trainEpoch(TensorDataset(x, y), batchSize: 2 * g.worldSize)
    try expect(m.trainAccuracy != nil && m.trainLoss.isFinite, "metrics \(m)")
    do {
        try trainer.trainEpoch(TensorDataset(x, y), batchSize: 2 * g.worldSize + 1)
        try expect(false, "an uneven global batch was accepted")
    } catch let e as GradusError { try expect(e.message.contains("divisible"), "\(e)") }
}

/// Two outputs (3 classes and a regressed value) from one body, for the multi-output scenario.
final class TwoHeads: Module, MultiOutputLayer {
    let body: Linear
    let label: Linear
    let value: Linear

    override init() {
        var rng = SeededGenerator(seed: 13)
        body = Linear(6, 16, generator: &rng)
        label = Linear(16, 3, generator: &rng)
        value = Linear(16, 1, generator: &rng)
    }

    func callAsFunction(_ x: Tensor) -> TensorGroup {
        let h = body(x).tanh()
        return ["label": label(h), "value": value(h)]
    }
}

/// A model with several outputs trained and evaluated across processes: each output's evaluation equals
/// one process's evaluation of all the data, and the epoch's per-output metrics are the same totals on
/// every process, their weighted sum the epoch's loss.
func multiOutputAgreement(_ g: ProcessGroup) throws {
    var rng = SeededGenerator(seed: 23)
    let count = 48 * g.worldSize
    let x = Tensor.normal([count, 6], generator: &rng)
    let data = try MultiTargetDataset(x, targets: ["label": Tensor.randint(0, 3, shape: [count], generator: &rng),
                                                  "value": Tensor.normal([count, 1], generator: &rng)])
    let heads = [OutputHead("label", task: .classify), OutputHead("value", task: .regress, weight: 0.25)]
    let model = TwoHeads()
    let trainer = try Trainer(model: model, optimizer: SGD(model.parameters(), lr: 0.05), outputs: heads, seed: 5)
    let whole = trainer.evaluate(data, batchSize: 7)
    try trainer.distribute(over: g)
    let shared = trainer.evaluate(data, batchSize: 7)
    try expect(shared.count == count && shared.outputs.map(\.name) == ["label", "value"], "evaluation \(shared.outputs)")
    for (a, b) in zip(shared.outputs, whole.outputs) {
        try expect(a.accuracy == b.accuracy, "\(a.name): accuracy \(a.accuracy ?? -1) vs \(b.accuracy ?? -1)")
        try expect(abs(a.loss - b.loss) <= 1e-6 * abs(b.loss), "\(a.name): loss \(a.loss) vs \(b.loss)")
    }
    let m = try trainer.trainEpoch(data, batchSize: 8 * g.worldSize)
    try expect(m.outputs.count == 2 && m.outputs.allSatisfy { $0.loss.isFinite }, "epoch outputs \(m.outputs)")
    try expect(abs(m.trainLoss - (m.outputs[0].loss + 0.25 * m.outputs[1].loss)) <= 1e-5 * m.trainLoss,
               "epoch loss \(m.trainLoss) is not the weighted sum of \(m.outputs)")
    let numbers = Tensor([m.trainLoss, m.outputs[0].loss, m.outputs[0].accuracy!, m.outputs[1].loss], dtype: .float64)
    let all = try g.allGather(numbers)
    try expect(maxRelativeDifference(all.select(axis: 0, index: 0), all.select(axis: 0, index: g.worldSize - 1)) == 0,
               "the processes report different epoch metrics: \(all.scalars(as: Double.self))")
    let correct = m.outputs[0].accuracy! * Double(count)
    try expect(abs(correct - correct.rounded()) < 1e-9, "accuracy \(m.outputs[0].accuracy!) is not a count over all \(count) samples")
}

/// Synchronized batch norm, and a batch that fails in the forward pass on one process only (an embedding
/// index out of range): every process stops with an error, none waits forever in a batch-norm reduction.
func syncBatchNormFailure(_ g: ProcessGroup) throws {
    var rng = SeededGenerator(seed: 2)
    let count = 8 * g.worldSize
    var indices = (0..<count).map { $0 % 10 }
    indices[1] = 12                                   // read by rank 1 in the first batch
    let x = Tensor(shape: [count], integers: indices)
    let y = Tensor.randint(0, 3, shape: [count], generator: &rng)
    let model = Sequential([Embedding(10, 6, generator: &rng), BatchNorm1d(6), ReLU(), Linear(6, 3, generator: &rng)])
    SyncBatchNorm.convert(model, group: g)
    let trainer = Trainer(model: model, optimizer: SGD(model.parameters(), lr: 0.1))
    try trainer.distribute(over: g)
    do {
        try trainer.trainEpoch(TensorDataset(x, y), batchSize: 4 * g.worldSize)
        try expect(false, "rank \(g.rank) trained through a failed batch")
    } catch let e as GradusError {
        try expect(e.message.contains("12") || e.message.contains("range"), "rank \(g.rank): \(e)")
    } catch let e as TrainingError {
        try expect(e.message.contains("another process"), "rank \(g.rank): \(e.message)")
    }
}

// MARK: Main

let scenarios: [String: (ProcessGroup) throws -> Void] = [
    "collectives": collectives,
    "ddp-equivalence": ddpEquivalence,
    "ddp-accumulation-unused": ddpAccumulationAndUnused,
    "sync-batchnorm": syncBatchNorm,
    "rank-dies": rankDies,
    "rank-fails": rankFails,
    "trainer-agreement": trainerAgreement,
    "syncbn-failure": syncBatchNormFailure,
    "multi-output-agreement": multiOutputAgreement,
]

let arguments = CommandLine.arguments.dropFirst()
guard let name = arguments.first, let scenario = scenarios[name] else {
    say("usage: gradus-distributed-check <\(scenarios.keys.sorted().joined(separator: "|"))>")
    exit(2)
}
do {
    let group = try ProcessGroup.initialize()
    do {
        try GradusError.catching { try scenario(group) }
        try group.barrier()
        say("PASS \(name) rank \(group.rank) of \(group.worldSize)")
        try group.finalize()
    } catch {
        say("FAIL \(name) rank \(group.rank): \(error)")
        group.abort(code: 1)
    }
} catch {
    say("FAIL \(name): \(error)")
    exit(1)
}
