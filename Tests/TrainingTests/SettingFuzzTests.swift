import Gradus
import Testing

/// Every combination of edge settings (negative, zero, one, small; NaN, infinite and out-of-range
/// rates) for the configured objects, built and then used inside `GradusError.catching`: each either
/// computes or throws a `GradusError`. A setting that still traps stops this test's process.
@Suite("Edge settings inside a scope never trap")
struct SettingFuzzTests {
    static let sizes = [-1, 0, 1, 2, 3]
    static let rates = [-0.5, 0, 0.5, 1, 1.5, .nan, .infinity]

    /// Runs `body` in a scope and tallies what it came to.
    static func attempt(_ tally: inout [String: Int], _ body: () -> Void) {
        do {
            try GradusError.catching { body() }
            tally["computed", default: 0] += 1
        } catch is GradusError {
            tally["refused", default: 0] += 1
        } catch {
            tally["other", default: 0] += 1
        }
    }

    @Test("layers over every combination of edge sizes, built and called")
    func layers() {
        var tally: [String: Int] = [:]
        let s = Self.sizes
        for a in s { for b in s {
            Self.attempt(&tally) { _ = Linear(a, b)(Tensor.ones([2, max(a, 0)])) }
            Self.attempt(&tally) { _ = LayerNorm([a, b])(Tensor.ones([2, max(a, 0), max(b, 0)])) }
            Self.attempt(&tally) { _ = GroupNorm(a, b)(Tensor.ones([2, max(b, 0), 3])) }
            Self.attempt(&tally) { _ = MultiheadAttention(embedDim: a, numHeads: b)(query: Tensor.ones([2, 1, max(a, 0)]), key: Tensor.ones([2, 1, max(a, 0)]), value: Tensor.ones([2, 1, max(a, 0)])) }
            for p in s {
                Self.attempt(&tally) { _ = Embedding(a, b, paddingIdx: p)(Tensor(labels: [0])) }
                for k in s { for g in s {
                    Self.attempt(&tally) { _ = Conv2d(a, b, kernelSize: Size2(k), padding: .zeros(Size2(p)), groups: g)(Tensor.ones([1, max(a, 0), 5, 5])) }
                    Self.attempt(&tally) { _ = Conv1d(a, b, kernelSize: k, stride: p, groups: g)(Tensor.ones([1, max(a, 0), 6])) }
                    Self.attempt(&tally) { _ = ConvTranspose2d(a, b, kernelSize: Size2(k), stride: Size2(p), groups: g)(Tensor.ones([1, max(a, 0), 3, 3])) }
                } }
            }
            for layers in s { for dropout in Self.rates {
                Self.attempt(&tally) { _ = LSTM(inputSize: a, hiddenSize: b, numLayers: layers, dropout: dropout)(Tensor.ones([2, 1, max(a, 0)])) }
                Self.attempt(&tally) { _ = GRU(inputSize: a, hiddenSize: b, numLayers: layers, dropout: dropout)(Tensor.ones([2, 1, max(a, 0)])) }
            } }
        } }
        for a in s {
            Self.attempt(&tally) { _ = BatchNorm2d(a)(Tensor.ones([2, max(a, 0), 2, 2])) }
            Self.attempt(&tally) { _ = TransformerEncoder(numLayers: a) { TransformerEncoderLayer(dModel: 4, numHeads: 2, dimFeedforward: 8) }(Tensor.ones([3, 1, 4])) }
        }
        for p in Self.rates { Self.attempt(&tally) { _ = Dropout(p: p)(Tensor.ones([4])) } }
        #expect(tally["other"] == nil)
        #expect((tally["computed"] ?? 0) > 100 && (tally["refused"] ?? 0) > 100, "\(tally)")
    }

    @Test("optimizers and schedules over edge rates and lengths, stepped")
    func optimizersAndSchedules() {
        var tally: [String: Int] = [:]
        func parameter() -> Tensor {
            let w = Tensor.ones([2]).requiringGrad()
            w.grad = Tensor([0.5, -0.5])
            return w
        }
        for lr in Self.rates { for x in Self.rates {
            Self.attempt(&tally) { SGD([parameter()], lr: lr, momentum: x, nesterov: x > 0).step() }
            Self.attempt(&tally) { Adam([parameter()], lr: lr, betas: (x, 0.999), eps: x).step() }
            Self.attempt(&tally) { AdamW([parameter()], lr: lr, weightDecay: x).step() }
            Self.attempt(&tally) { RMSprop([parameter()], lr: lr, alpha: x, momentum: x).step() }
            Self.attempt(&tally) { Adagrad([parameter()], lr: lr, lrDecay: x).step() }
            Self.attempt(&tally) { Adadelta([parameter()], lr: lr, rho: x).step() }
            Self.attempt(&tally) { Adamax([parameter()], lr: lr, betas: (0.9, x)).step() }
            Self.attempt(&tally) {
                let schedule = ReduceLROnPlateau(SGD([parameter()], lr: 0.1), factor: x, patience: 0)
                for loss in [1.0, 2, 3, lr] { schedule.step(loss) }
            }
            for n in Self.sizes {
                Self.attempt(&tally) {
                    let schedule = LinearLR(SGD([parameter()], lr: 0.1), startFactor: lr, endFactor: x, totalIters: n)
                    for _ in 0..<4 { schedule.step() }
                }
                Self.attempt(&tally) {
                    let schedule = OneCycleLR(SGD([parameter()], lr: 0.1, momentum: 0.9), maxLRs: [lr], totalSteps: n, pctStart: x)
                    for _ in 0..<4 { schedule.step() }
                }
            }
        } }
        for n in Self.sizes {
            Self.attempt(&tally) { let s = StepLR(SGD([parameter()], lr: 0.1), stepSize: n); for _ in 0..<4 { s.step() } }
            Self.attempt(&tally) { let s = CosineAnnealingLR(SGD([parameter()], lr: 0.1), tMax: n); for _ in 0..<4 { s.step() } }
            Self.attempt(&tally) {
                for _ in DataLoader(TensorDataset(Tensor.ones([3, 2]), Tensor(labels: [0, 1, 0])), batchSize: n, shuffle: true) {}
            }
            Self.attempt(&tally) { _ = ConfusionMatrix(classes: n).accuracy }
        }
        #expect(tally["other"] == nil)
        #expect((tally["computed"] ?? 0) > 50 && (tally["refused"] ?? 0) > 50, "\(tally)")
    }
}
