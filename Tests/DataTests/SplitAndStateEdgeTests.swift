import Gradus
import GradusTestSupport
import Testing

/// Split sizes at fractions whose products miss a whole number by rounding error, and saved states that
/// are damaged in ways the earlier checks let through.
@Suite("Split sizes at rounding edges; optimizer and standardizer states that must be refused")
struct SplitAndStateEdgeTests {
    @Test("holdingOut holds out round(n·fraction) samples at every size, never one more")
    func holdOutSizes() throws {
        // 39 at 0.2 held out 9 (39·(31/39) = 30.999999999999996 rounded down to 30 training samples).
        for n in 1...400 {
            for fraction in [0.1, 0.2, 0.25, 0.3] {
                let data = indexedDataset(n)
                let (train, held) = try data.holdingOut(fraction, seed: 1)
                let want = max(1, Int((Double(n) * fraction).rounded()))
                #expect(held.count == want && train.count == n - want, "n \(n) fraction \(fraction): \(train.count) + \(held.count)")
            }
        }
        let (train, held) = try indexedDataset(547).holdingOut(0.1, seed: 0)
        #expect(held.count == 55 && train.count == 492)
    }

    @Test("split(trainFraction:) does not lose a sample to rounding error")
    func splitSizes() throws {
        // PyTorch: random_split(range(100), [0.29, 0.71]) gives 29 and 71.
        let (train, validation) = try indexedDataset(100).split(trainFraction: 0.29, seed: 0)
        #expect(train.count == 29 && validation.count == 71)
        let (t2, v2) = try indexedDataset(10).split(trainFraction: 0.8, seed: 0)
        #expect(t2.count == 8 && v2.count == 2)
        let (t3, v3) = try indexedDataset(7).split(trainFraction: 0.5, seed: 0)
        #expect(t3.count == 3 && v3.count == 4, "3.5 rounds down")
    }

    @Test("an optimizer state with buffers but no step count, or with indices spelled twice, is refused")
    func optimizerStateKeys() throws {
        let p = Tensor([1.0, 2.0]).requiringGrad()
        let adam = Adam([p])
        p.grad = Tensor([0.5, -0.5])
        adam.step()
        var saved = adam.stateDict()
        #expect(saved.scalars["state.0.step"] == 1)
        // PyTorch: KeyError 'step'. Loaded, the moments would be bias-corrected as if fresh.
        var noStep = saved
        noStep.scalars["state.0.step"] = nil
        #expect(throws: OptimizerStateError.missingKey("state.0.step")) { try Adam([p]).loadStateDict(noStep) }
        // "+0" and "00" name the same entry as "0"; "-1" no group.
        for key in ["group.-1.lr", "group.+0.lr", "state.00.step"] {
            var odd = saved
            odd.scalars[key] = 0.001
            #expect(throws: OptimizerStateError.unexpectedKey(key)) { try Adam([p]).loadStateDict(odd) }
        }
        // The intact state still loads.
        saved.scalars["state.0.step"] = 1
        try Adam([p]).loadStateDict(saved)
        // SGD's update reads no step (PyTorch's SGD state has none): a momentum buffer alone loads.
        let sgd = SGD([p], lr: 0.1, momentum: 0.9)
        sgd.step()
        var momentumOnly = sgd.stateDict()
        momentumOnly.scalars["state.0.step"] = nil
        try SGD([p], lr: 0.1, momentum: 0.9).loadStateDict(momentumOnly)
    }

    @Test("standardizer statistics are checked as the Float32 values they become")
    func standardizerRange() {
        // A Float64 scale of 1e-300 is positive but Float32 holds 0: every prediction would be infinite.
        let tiny = Tensor([1e-300, 1.0], dtype: .float64), huge = Tensor([1e300, 0.0], dtype: .float64)
        let ones = Tensor([1.0, 1.0], dtype: .float64), zeros = Tensor([0.0, 0.0], dtype: .float64)
        #expect(throws: DataError.self) { try Standardizer.validated(mean: zeros, scale: tiny, features: 2, source: "test") }
        #expect(throws: DataError.self) { try Standardizer.validated(mean: huge, scale: ones, features: 2, source: "test") }
        #expect(throws: Never.self) { try Standardizer.validated(mean: zeros, scale: ones, features: 2, source: "test") }
    }
}

@Suite("ConcatDataset: parts one after another")
struct ConcatDatasetTests {
    @Test("indices run across the parts (empty ones too), batches within and across parts, negative indices from the end")
    func concatenation() {
        let all = ConcatDataset([indexedDataset(3), indexedDataset(0), indexedDataset(4)])
        #expect(all.count == 7)
        let targets = (0..<7).map { all.sample(at: $0).target.intScalars[0] }
        #expect(targets == [0, 1, 2, 0, 1, 2, 3])
        #expect(all.sample(at: -1).target.intScalars == [3])
        let within = all.batch(at: [4, 6])
        #expect(within.targets.intScalars == [1, 3])
        let across = all.batch(at: [2, 3, 0])
        #expect(across.targets.intScalars == [2, 0, 0] && across.inputs.shape[0] == 3)
        var seen: [Int] = []
        for (_, y) in DataLoader(all, batchSize: 3, shuffle: true, seed: 1) { seen += y.intScalars }
        #expect(seen.sorted() == [0, 0, 1, 1, 2, 2, 3])
        #expect(throws: GradusError.self) { try GradusError.catching { _ = all.sample(at: 7) } }
        #expect(throws: GradusError.self) { try GradusError.catching { _ = all.batch(at: [0, -1]) } }
        #expect(ConcatDataset([TensorDataset]()).count == 0)
    }
}
