import Gradus
import Testing

/// Settings of layers, optimizers, schedules, loaders and other configured objects fail as an operation's
/// arguments do: inside `GradusError.catching` the first bad setting is thrown when the scope ends (as
/// PyTorch's constructors raise), and the object built in its place lets the rest of the scope run
/// without trapping. Outside a scope they still stop the program; that path is not run here.
@Suite("Invalid settings inside a scope")
struct InvalidSettingTests {
    /// One bad setting: what builds (and then uses) the object, and a part of the message it must give.
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let message: String
        let build: @Sendable () -> Void
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        // Layers: built, then called on an input in the failed scope.
        Case(name: "Linear negative size", message: "Linear: sizes must not be negative, got -1, 3") {
            let layer = Linear(-1, 3)
            _ = layer(Tensor.zeros([2, 4]))
        },
        Case(name: "Linear weight of rank 1", message: "Linear: weight must be [out, in], got [3]") {
            let layer = Linear(weight: Tensor.zeros([3]), bias: Tensor.zeros([3]))
            _ = layer(Tensor.zeros([2, 3])).sum()
            _ = layer.inFeatures + layer.outFeatures
        },
        Case(name: "Linear bias of the wrong size", message: "Linear: bias shape [4] must be [2]") {
            let layer = Linear(weight: Tensor.zeros([2, 3]), bias: Tensor.zeros([4]))
            _ = layer(Tensor.zeros([1, 3]))
        },
        Case(name: "Conv2d groups", message: "Conv2d: channels 3 -> 16 are not divisible by 2 groups") {
            let conv = Conv2d(3, 16, kernelSize: 3, groups: 2)
            _ = conv(Tensor.zeros([1, 3, 8, 8]))
        },
        Case(name: "Conv2d zero groups", message: "Conv2d: channels 4 -> 4 are not divisible by 0 groups") {
            _ = Conv2d(4, 4, kernelSize: 3, groups: 0)
        },
        Case(name: "Conv2d same padding with stride 2", message: "Conv2d: padding same needs stride 1") {
            let conv = Conv2d(1, 2, kernelSize: 3, stride: 2, padding: .same)
            _ = conv(Tensor.zeros([1, 1, 5, 5]))
        },
        Case(name: "Conv2d weight of rank 2", message: "Conv2d: weight must be [out, in/groups, kH, kW], got [2, 2]") {
            let conv = Conv2d(weight: Tensor.zeros([2, 2]), bias: nil)
            _ = conv.kernelSize
            _ = conv(Tensor.zeros([1, 2, 4, 4]))
        },
        Case(name: "Conv1d negative padding", message: "Conv1d: padding") {
            let conv = Conv1d(2, 2, kernelSize: 3, padding: -1)
            _ = conv(Tensor.zeros([1, 2, 6]))
        },
        Case(name: "ConvTranspose2d groups", message: "ConvTranspose2d: channels 4 -> 3 are not divisible by 2 groups") {
            let up = ConvTranspose2d(4, 3, kernelSize: 2, stride: 2, groups: 2)
            _ = up(Tensor.zeros([1, 4, 3, 3]))
        },
        Case(name: "ConvTranspose2d bias", message: "ConvTranspose2d: bias shape [5] must be [2]") {
            _ = ConvTranspose2d(weight: Tensor.zeros([4, 2, 2, 2]), bias: Tensor.zeros([5]))
        },
        Case(name: "BatchNorm2d zero features", message: "numFeatures must be positive, got 0") {
            let norm = BatchNorm2d(0)
            _ = norm(Tensor.zeros([2, 3, 4, 4]))
        },
        Case(name: "LayerNorm empty shape", message: "LayerNorm: normalized shape [] must be non-empty and positive") {
            let norm = LayerNorm([Int]())
            _ = norm(Tensor.zeros([2, 3]))
        },
        Case(name: "GroupNorm groups", message: "GroupNorm: 6 channels are not divisible by 4 groups") {
            let norm = GroupNorm(4, 6)
            _ = norm(Tensor.zeros([2, 6, 3]))
        },
        Case(name: "Dropout above 1", message: "Dropout: p must be in [0, 1], got 1.5") {
            let drop = Dropout(p: 1.5)
            _ = drop(Tensor.ones([4]))
        },
        Case(name: "Embedding padding index", message: "Embedding: paddingIdx 5 is out of range for 5 rows") {
            let embed = Embedding(5, 3, paddingIdx: 5)
            _ = embed(Tensor(labels: [0, 4]))
        },
        Case(name: "Embedding negative rows", message: "Embedding: sizes must not be negative, got -2, 3") {
            let embed = Embedding(-2, 3, paddingIdx: 0)
            _ = embed(Tensor(labels: [0]))
        },
        Case(name: "LSTM zero hidden size", message: "LSTM: inputSize 4, hiddenSize 0 and numLayers 1 must be at least 1") {
            let lstm = LSTM(inputSize: 4, hiddenSize: 0)
            _ = lstm(Tensor.zeros([3, 2, 4]))
        },
        Case(name: "GRU dropout", message: "GRU: dropout must be in [0, 1], got -0.5") {
            _ = GRU(inputSize: 2, hiddenSize: 2, numLayers: 2, dropout: -0.5)
        },
        Case(name: "MultiheadAttention heads", message: "MultiheadAttention: embedDim 6 must be positive, at most 2147483647, and divisible by numHeads 4") {
            let attention = MultiheadAttention(embedDim: 6, numHeads: 4)
            let x = Tensor.zeros([2, 1, 6])
            _ = attention(query: x, key: x, value: x)
        },
        Case(name: "TransformerEncoder without layers", message: "TransformerEncoder: numLayers must be at least 1, got 0") {
            let encoder = TransformerEncoder(numLayers: 0) { TransformerEncoderLayer(dModel: 4, numHeads: 2, dimFeedforward: 8) }
            _ = encoder(Tensor.zeros([3, 1, 4]))
        },
        Case(name: "GPTLanguageModel empty vocabulary", message: "GPTLanguageModel: vocabularySize 0") {
            var g = SeededGenerator(seed: 1)
            let gpt = GPTLanguageModel(vocabularySize: 0, contextLength: 8, embeddingSize: 8, numHeads: 2, numLayers: 1, generator: &g)
            _ = gpt(Tensor(labels: [0, 0]).reshape([1, 2]))
        },
        // Optimizers: built, then stepped.
        Case(name: "SGD negative rate", message: "SGD: invalid learning rate -0.1") {
            let w = Tensor.ones([2]).requiringGrad()
            let sgd = SGD([w], lr: -0.1)
            (w * w).sum().backward()
            sgd.step()
        },
        Case(name: "SGD Nesterov without momentum", message: "SGD: Nesterov momentum needs momentum > 0 and dampening 0") {
            _ = SGD([Tensor.ones([1]).requiringGrad()], lr: 0.1, nesterov: true)
        },
        Case(name: "Adam betas", message: "Adam: invalid betas (1.0, 0.999)") {
            let w = Tensor.ones([2]).requiringGrad()
            let adam = Adam([w], betas: (1.0, 0.999))
            (w * w).sum().backward()
            adam.step()
        },
        Case(name: "AdamW weight decay", message: "AdamW: invalid weightDecay -1.0") {
            _ = AdamW([Tensor.ones([1]).requiringGrad()], weightDecay: -1)
        },
        Case(name: "RMSprop alpha", message: "RMSprop: invalid alpha -0.5") {
            _ = RMSprop([Tensor.ones([1]).requiringGrad()], alpha: -0.5)
        },
        Case(name: "Adagrad eps", message: "Adagrad: invalid eps -1.0") {
            _ = Adagrad([Tensor.ones([1]).requiringGrad()], eps: -1)
        },
        Case(name: "Adadelta rho", message: "Adadelta: invalid rho 2.0") {
            _ = Adadelta([Tensor.ones([1]).requiringGrad()], rho: 2)
        },
        Case(name: "Adamax rate", message: "Adamax: invalid learning rate -1.0") {
            _ = Adamax([Tensor.ones([1]).requiringGrad()], lr: -1)
        },
        Case(name: "unknown option read", message: "SGD: unknown option 'betas'") {
            let sgd = SGD([Tensor.ones([1]).requiringGrad()], lr: 0.1)
            #expect(sgd.option("betas").isNaN)
        },
        Case(name: "option of a missing group", message: "SGD.option: group 3 is out of range for 1 groups") {
            let sgd = SGD([Tensor.ones([1]).requiringGrad()], lr: 0.1)
            _ = sgd.option("momentum", group: 3)
        },
        Case(name: "learning rates for too many groups", message: "SGD.learningRates: 2 values for 1 groups") {
            let sgd = SGD([Tensor.ones([1]).requiringGrad()], lr: 0.1)
            sgd.learningRates = [0.1, 0.2]
            #expect(sgd.learningRates == [0.1])
        },
        // Schedules: built, then stepped past where a bad length would divide by zero.
        Case(name: "StepLR zero step size", message: "StepLR: stepSize must be positive, got 0") {
            let schedule = StepLR(SGD([Tensor.ones([1]).requiringGrad()], lr: 0.1), stepSize: 0)
            for _ in 0..<3 { schedule.step() }
        },
        Case(name: "CosineAnnealingLR zero length", message: "CosineAnnealingLR: tMax must be positive, got 0") {
            let schedule = CosineAnnealingLR(SGD([Tensor.ones([1]).requiringGrad()], lr: 0.1), tMax: 0)
            for _ in 0..<3 { schedule.step() }
        },
        Case(name: "LinearLR start factor", message: "LinearLR: startFactor must lie in (0, 1], got 0.0") {
            let schedule = LinearLR(SGD([Tensor.ones([1]).requiringGrad()], lr: 0.1), startFactor: 0, totalIters: 0)
            for _ in 0..<3 { schedule.step() }
        },
        Case(name: "OneCycleLR zero steps", message: "OneCycleLR: totalSteps must be positive, got 0") {
            let schedule = OneCycleLR(SGD([Tensor.ones([1]).requiringGrad()], lr: 0.1, momentum: 0.9), maxLRs: [0.1], totalSteps: 0)
            schedule.step()
        },
        Case(name: "OneCycleLR rates per group", message: "OneCycleLR: 2 maximum rates for 1 parameter groups") {
            _ = OneCycleLR(SGD([Tensor.ones([1]).requiringGrad()], lr: 0.1, momentum: 0.9), maxLRs: [0.1, 0.2], totalSteps: 10)
        },
        Case(name: "OneCycleLR momentum without a momentum option", message: "OneCycleLR: cycleMomentum needs") {
            let schedule = OneCycleLR(Adagrad([Tensor.ones([1]).requiringGrad()]), maxLRs: [0.1], totalSteps: 4)
            schedule.step()
        },
        Case(name: "OneCycleLR stepped past its end", message: "OneCycleLR: stepped 3 times but the cycle has 2 steps") {
            let schedule = OneCycleLR(SGD([Tensor.ones([1]).requiringGrad()], lr: 0.1, momentum: 0.9), maxLRs: [0.1], totalSteps: 2)
            for _ in 0..<4 { schedule.step() }
        },
        Case(name: "ReduceLROnPlateau factor", message: "ReduceLROnPlateau: factor must lie in [0, 1), got 1.0") {
            let schedule = ReduceLROnPlateau(SGD([Tensor.ones([1]).requiringGrad()], lr: 0.1), factor: 1, patience: 0)
            for loss in [1.0, 2, 3] { schedule.step(loss) }
        },
        // Data and the rest.
        Case(name: "DataLoader batch of zero", message: "DataLoader: batchSize must be at least 1, got 0") {
            let data = TensorDataset(Tensor.zeros([5, 2]), Tensor(labels: [0, 1, 0, 1, 0]))
            var batches = 0
            for _ in DataLoader(data, batchSize: 0) { batches += 1 }
            #expect(batches == 5)
        },
        Case(name: "Subset index", message: "Subset: index 7 is out of range 0..<3") {
            let data = TensorDataset(Tensor.zeros([3, 2]), Tensor(labels: [0, 1, 0]))
            let subset = Subset(base: data, indices: [0, 7, 2])
            #expect(subset.count == 2)
            _ = subset[1]
        },
        Case(name: "Standardizer shapes", message: "Standardizer: mean [2] and scale [3] must be matching vectors") {
            _ = Standardizer(mean: Tensor([0, 1]), scale: Tensor([1, 1, 1]))
        },
        Case(name: "generator state", message: "SeededGenerator(state:): needs 4 words, got 2") {
            var g = SeededGenerator(state: [1, 2])
            _ = g.next()
        },
        Case(name: "confusion matrix without classes", message: "ConfusionMatrix: needs at least one class, got 0") {
            _ = ConfusionMatrix(classes: 0)
        },
        Case(name: "reserved checkpoint metadata", message: "Checkpoint: metadata keys starting with 'gradus.' are reserved, got 'gradus.version'") {
            let c = Checkpoint(model: ["w": Tensor([1])], metadata: ["gradus.version": "9", "note": "x"])
            #expect(c.metadata.keys.allSatisfy { !$0.hasPrefix("gradus.") })
        },
        Case(name: "repeated group name", message: "TensorGroup: the name \"image\" appears twice") {
            let group = TensorGroup([("image", Tensor.zeros([1])), ("image", Tensor.zeros([2]))])
            #expect(group.names == ["image"])
        },
        Case(name: "storage too small for its shape", message: "Tensor(shape:dtype:storage:): storage of 8 bytes is too small for shape [3] of float32") {
            let t = Tensor(shape: [3], dtype: .float32, storage: TensorStorage(zeroedByteCount: 8))
            _ = (t + 1).sum()
        },
        Case(name: "storage with a negative shape", message: "Tensor(shape:dtype:storage:): negative dimension in shape [-1, 2]") {
            _ = Tensor(shape: [-1, 2], dtype: .float64, storage: TensorStorage(zeroedByteCount: 64)).sum()
        },
        Case(name: "gradients on integers", message: "requiresGrad: only floating-point tensors can require gradients, not int64") {
            let ids = Tensor(labels: [1, 2])
            ids.requiresGrad = true
            #expect(!ids.requiresGrad)
        },
    ]

    @Test("a bad setting is thrown with its message, and the scope runs to its end", arguments: cases)
    func badSettingIsThrown(_ c: Case) {
        var ranToEnd = false
        do {
            try GradusError.catching {
                c.build()
                ranToEnd = true
            }
            Issue.record("\(c.name): the scope did not throw")
        } catch let error as GradusError {
            #expect(error.message.contains(c.message), "\(c.name): got \"\(error.message)\"")
        } catch {
            Issue.record("\(c.name): threw \(error) instead of a GradusError")
        }
        #expect(ranToEnd)
    }

    @Test("Extreme but valid settings compute instead of overflowing")
    func extremeSettingsCompute() throws {
        let data = TensorDataset(Tensor.zeros([5, 3]), Tensor(labels: [0, 1, 0, 1, 0]))
        // A batch of Int.max ("everything"): one batch, as PyTorch gives.
        let everything = DataLoader(data, batchSize: .max)
        #expect(everything.count == 1)
        #expect(Array(everything).map { $0.inputs.shape } == [[5, 3]])
        #expect(DataLoader(data, batchSize: 2).count == 3 && DataLoader(data, batchSize: 2, dropLast: true).count == 2)
        // "Train until stopped" shows Int.max epochs: the time left is computed in Doubles.
        var g = SeededGenerator(seed: 5)
        let model = Sequential { Linear(3, 2, generator: &g) }
        let trainer = Trainer(model: model, optimizer: SGD(model.parameters(), lr: 0.1), seed: 9)
        var lines: [String] = []
        _ = try trainer.trainEpoch(data, batchSize: 2, epochs: .max) { lines.append($0.line(barWidth: -3)) }
        #expect(lines.count == 3 && lines.allSatisfy { $0.contains("[]") && $0.contains("/\(Int.max)") })
        _ = trainer.evaluate(data, batchSize: .max)
        // More classes than a confusion matrix fits in the memory budget (a large vocabulary): the
        // accuracy is counted without one. 1 MiB holds 362 classes.
        var wideGenerator = SeededGenerator(seed: 2)
        let wide = Sequential { Linear(3, 400, generator: &wideGenerator) }
        let wideTrainer = Trainer(model: wide, optimizer: SGD(wide.parameters(), lr: 0.1), seed: 9)
        let wideData = TensorDataset(Tensor.normal([6, 3], generator: &wideGenerator), Tensor(labels: [0, 399, 7, 7, 200, 1]))
        let inBudget = wideTrainer.evaluate(wideData)
        let overBudget = MemoryBudget.withBudget(1 << 20) { wideTrainer.evaluate(wideData) }
        #expect(inBudget.confusion != nil && overBudget.confusion == nil)
        #expect(overBudget.accuracy == inBudget.accuracy && overBudget.loss == inBudget.loss)
        // Progress lines with widths and times at their extremes.
        let p = TrainingProgress(epoch: 1, epochs: 1, batch: 3, batches: 4, loss: 0.5, accuracy: nil,
                                 samplesPerSecond: 10, secondsLeft: 1e19)
        #expect(p.line(barWidth: .max).contains(String(repeating: "=", count: 750) + ">"))
        #expect(p.line().contains("--:--"))
        // Threads: any count is clamped into 1...maximumCount.
        #expect(Threading.withCount(.max) { Threading.count } == Threading.maximumCount)
        #expect(Threading.withCount(.min) { Threading.count } == 1)
        // A spec that does not validate has no parameter count (its formulas assume the limits).
        var lstm = ModelSpec(architecture: .lstm, inputShape: [8], hidden: [4], outputs: 10)
        (lstm.embedding, lstm.layers) = (4, 1)
        #expect(lstm.parameterCount != nil)
        lstm.layers = -1
        #expect(lstm.parameterCount == nil)
        var gpt = ModelSpec(architecture: .gpt, inputShape: [8], outputs: 10)
        (gpt.embedding, gpt.layers) = (Int.max / 2, 1)
        #expect(gpt.parameterCount == nil)
        #expect(throws: TrainingError.self) { try gpt.checkMemory(source: "test") }
    }

    @Test("indices and sizes out of range are errors, not traps")
    func indicesOutOfRange() {
        let data = TensorDataset(Tensor.zeros([3, 2]), Tensor(labels: [0, 1, 0]))
        let subset = Subset(base: data, indices: [2, 0])
        let model = Sequential { Linear(2, 2); ReLU() }
        let attempts: [(String, () -> Void)] = [
            ("Subset: index 2 is out of range 0..<2", { _ = subset.sample(at: 2) }),
            ("Subset: index -1 is out of range 0..<2", { _ = subset.batch(at: [0, -1]) }),
            ("Sequential: index 2 is out of range 0..<2", { _ = model[2] }),
            ("maxPool2d: padding", { _ = Functional.maxPool2d(Tensor.zeros([1, 1, 4, 4]), kernelSize: (2, 2), padding: (Int.max, 0)) }),
            ("avgPool2d: padding", { _ = Functional.avgPool2d(Tensor.zeros([1, 1, 4, 4]), kernelSize: (2, 2), padding: (0, Int.max / 2 + 1)) }),
            ("LSTM: inputSize 2, hiddenSize \(Int.max)", { _ = LSTM(inputSize: 2, hiddenSize: .max) }),
            ("MultiheadAttention: embedDim \(Int.max)", { _ = MultiheadAttention(embedDim: .max, numHeads: 1) }),
        ]
        for (message, attempt) in attempts {
            #expect {
                try GradusError.catching { attempt() }
            } throws: { error in
                (error as? GradusError)?.message.contains(message) == true
            }
        }
        #expect(subset.sample(at: 1).target.intScalars == [0])
        #expect(model[1] is ReLU)
    }

    @Test("settings at the edges of samplers, readers, schedules and matrices fail with messages")
    func edgesOfOtherSettings() throws {
        #expect(throws: GradusError.self) { try DistributedSampler(count: 10, worldSize: .max, rank: 0) }
        let wide = try DistributedSampler(count: 10, worldSize: 1 << 24, rank: 3)
        #expect(wide.samplesPerRank == 1)
        #expect(try DistributedSampler(count: 10, worldSize: 4, rank: 0).samplesPerRank == 3)
        #expect(try DistributedSampler(count: 10, worldSize: 4, rank: 0, dropLast: true).samplesPerRank == 2)
        // An IDX file compared against an impossible expected rank: a DataError, not a trap.
        let idx: [UInt8] = [0, 0, 0x08, 1, 0, 0, 0, 2, 7, 9]
        #expect(throws: DataError.self) { try IDXReader.decode(idx, file: "t.idx", expect: (type: .uint8, rank: -1)) }
        #expect(try IDXReader.decode(idx, file: "t.idx").shape == [2])
        // A one-cycle schedule over Int.max epochs of batches.
        let sgd = SGD([Tensor.ones([1]).requiringGrad()], lr: 0.1, momentum: 0.9)
        let (schedule, _) = ScheduleSpec.onecycle.make(sgd, epochs: .max, batchesPerEpoch: 3)
        schedule?.step()
        #expect(sgd.learningRate > 0)
        // A confusion matrix over the memory budget is refused before its classes² counts are allocated.
        #expect {
            try GradusError.catching { _ = ConfusionMatrix(classes: 1 << 20) }
        } throws: { ($0 as? GradusError)?.message.contains("more than the memory budget") == true }
        #expect(ConfusionMatrix(classes: 300).classes == 300)
    }

    @Test("in a scope that has already failed, valid look-ups still give real values")
    func validLookUpsAfterAFailure() throws {
        let model = Sequential { Linear(2, 3); ReLU() }
        let sgd = SGD(model.parameters(), lr: 0.1, momentum: 0.9)
        #expect(throws: GradusError.self) {
            try GradusError.catching {
                _ = Tensor.zeros([2]) + Tensor.zeros([3])   // fails first
                #expect(model[0] is Linear && model[1] is ReLU)
                #expect(sgd.option("momentum") == 0.9)
                _ = model[5]
            }
        }
    }

    @Test("the first bad setting is the one reported; work after the scope is unaffected")
    func firstSettingWins() throws {
        #expect {
            try GradusError.catching {
                _ = Linear(4, -3)
                _ = DataLoader(TensorDataset(Tensor.zeros([2, 1]), Tensor(labels: [0, 1])), batchSize: -1)
            }
        } throws: { error in
            (error as? GradusError)?.message.contains("Linear: sizes must not be negative") == true
        }
        let layer = Linear(4, 3)
        #expect(layer(Tensor.zeros([1, 4])).shape == [1, 3])
    }

    @Test("valid settings record nothing, at their boundaries too")
    func validSettingsPass() throws {
        try GradusError.catching {
            let w = Tensor.ones([1]).requiringGrad()
            _ = Linear(0, 0)
            _ = Dropout(p: 0)
            _ = Dropout(p: 1)
            _ = Adam([w], lr: 0, betas: (0, 0), eps: 0, weightDecay: 0)
            _ = SGD([w], lr: 0.1, momentum: 0.5, nesterov: true)
            _ = ReduceLROnPlateau(SGD([w], lr: 0.1), factor: 0)
            _ = OneCycleLR(SGD([w], lr: 0.1, momentum: 0.9), maxLRs: [0.1], totalSteps: 1, pctStart: 1)
            _ = LinearLR(SGD([w], lr: 0.1), startFactor: 1, endFactor: 0, totalIters: 1)
            _ = DataLoader(TensorDataset(Tensor.zeros([1, 1]), Tensor(labels: [0])), batchSize: 1)
            _ = Conv2d(4, 8, kernelSize: 1, groups: 4)
            _ = Embedding(3, 2, paddingIdx: -3)
        }
    }
}
