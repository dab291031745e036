import Gradus
import Testing

/// A shared body with two classification heads: the digit (10 classes) and whether it is odd (2).
private final class DigitAndParity: Module, MultiOutputLayer {
    let body: Sequential
    let digit: Linear
    let odd: Linear

    init(inputs: Int = 64, generator rng: inout SeededGenerator) {
        body = Sequential {
            Linear(inputs, 32, generator: &rng)
            ReLU()
        }
        digit = Linear(32, 10, generator: &rng)
        odd = Linear(32, 2, generator: &rng)
    }

    func callAsFunction(_ x: Tensor) -> TensorGroup {
        let h = body(x)
        return ["digit": digit(h), "odd": odd(h)]
    }
}

/// Several inputs and several outputs: an image and a feature vector, a class and a regressed value.
private final class TwoInTwoOut: Module, MultiOutputLayer {
    let image: Linear
    let features: Linear
    let label: Linear
    let value: Linear

    init(generator rng: inout SeededGenerator) {
        image = Linear(4, 8, generator: &rng)
        features = Linear(2, 8, generator: &rng)
        label = Linear(16, 2, generator: &rng)
        value = Linear(16, 1, generator: &rng)
    }

    func callAsFunction(_ inputs: TensorGroup) -> TensorGroup {
        let h = Tensor.concatenate([image(inputs["image"]).tanh(), features(inputs["features"]).tanh()], axis: 1)
        return ["label": label(h), "value": value(h)]
    }
}

/// A dataset written the way a user writes one, with named targets collated by the default `batch(at:)`.
private struct ParityByIndex: Dataset {
    var count: Int { 24 }
    func sample(at i: Int) -> (input: Tensor, target: TensorGroup) {
        (input: Tensor(shape: [64], values: (0..<64).map { Double(($0 + i) % 5) / 5 }),
         target: ["digit": Tensor(shape: [], integers: [i % 10]), "odd": Tensor(shape: [], integers: [i % 2])])
    }
}

/// The embedded digits with two targets: the digit and whether it is odd.
private func digitsWithParity() throws -> MultiTargetDataset<Tensor> {
    let (images, labels) = try Digits.load()
    let odd = Tensor(labels: labels.intScalars.map { $0 % 2 })
    return try MultiTargetDataset(images, targets: ["digit": labels, "odd": odd])
}

private let heads = [OutputHead("digit", task: .classify), OutputHead("odd", task: .classify, weight: 0.5)]

@Suite struct MultiOutputTrainerTests {
    @Test func twoHeadModelLearnsBothOutputsOfTheDigits() throws {
        let (train, test) = try digitsWithParity().holdingOut(0.2, seed: 3)
        var rng = SeededGenerator(seed: 0)
        let model = DigitAndParity(generator: &rng)
        let trainer = try Trainer(model: model, optimizer: Adam(model.parameters(), lr: 0.01), outputs: heads, seed: 1)
        #expect(trainer.outputHeads == heads && trainer.module === model)
        let history = try trainer.fit(train: train, test: test, epochs: 8, batchSize: 32)
        let last = try #require(history.last)
        #expect(last.outputs.map(\.name) == ["digit", "odd"] && last.testOutputs.map(\.name) == ["digit", "odd"])
        #expect(last.trainAccuracy == nil, "one accuracy does not describe two outputs")
        let digit = last.testOutputs[0], odd = last.testOutputs[1]
        #expect(digit.accuracy! > 0.9 && odd.accuracy! > 0.9, "digit \(digit.accuracy!), odd \(odd.accuracy!)")
        // The total is the weighted sum of the outputs' losses, on the train and the test side.
        #expect(abs(last.testLoss! - (digit.loss + 0.5 * odd.loss)) < 1e-9)
        let train0 = last.outputs[0], train1 = last.outputs[1]
        #expect(abs(last.trainLoss - (train0.loss + 0.5 * train1.loss)) < 1e-4 * last.trainLoss)
        // The first epoch learned less than the last.
        #expect(history[0].testOutputs[0].loss > digit.loss)

        // The evaluation's per-output metrics are what one computes by hand from the outputs.
        let e = trainer.evaluate(test, batchSize: 50)
        #expect(e.count == test.count && e.outputs.map(\.name) == ["digit", "odd"] && e.accuracy == nil)
        model.eval()
        let outputs = GradMode.noGrad { model(test.inputs) }
        model.train()
        for (k, name) in ["digit", "odd"].enumerated() {
            let y = test.targets[name], logits = outputs[name]
            let loss = Double(logits.crossEntropy(y).item(Double.self))
            let correct = zip(logits.argmax(axis: 1).intScalars, y.intScalars).filter { $0 == $1 }.count
            #expect(abs(e.outputs[k].loss - loss) < 1e-5, "\(name): \(e.outputs[k].loss) vs \(loss)")
            #expect(e.outputs[k].accuracy == Double(correct) / Double(test.count))
            // fit evaluated in batches of 256: the same numbers up to Float32 summation order.
            #expect(e.outputs[k].accuracy == last.testOutputs[k].accuracy && abs(e.outputs[k].loss - last.testOutputs[k].loss) < 1e-6)
        }
        #expect(abs(e.loss - (e.outputs[0].loss + 0.5 * e.outputs[1].loss)) < 1e-9)
        #expect(e.summaryLines.contains { $0.contains("digit") } && e.summaryLines.contains { $0.contains("odd") })
        let again = Trainer.evaluate(model: model, outputs: heads, data: test, batchSize: 50)
        #expect(again.outputs == e.outputs)
    }

    @Test func oneStepMinimizesTheWeightedSumOfTheOutputsLosses() throws {
        let data = try digitsWithParity().subset(Array(0..<16))
        let (x, y) = data.batch(at: Array(0..<16))
        for weights in [(1.0, 0.5), (0.3, 2.0), (1.0, 0.0)] {
            var rng = SeededGenerator(seed: 5)
            let model = DigitAndParity(generator: &rng)
            rng = SeededGenerator(seed: 5)
            let reference = DigitAndParity(generator: &rng)
            let trainer = try Trainer(model: model, optimizer: SGD(model.parameters(), lr: 0.5),
                                      outputs: [OutputHead("digit", task: .classify, weight: weights.0),
                                                OutputHead("odd", task: .classify, weight: weights.1)])
            let oddBefore = model.odd.weight.scalars()
            let r = try trainer.trainStep(inputs: x, targets: y)
            #expect(r.count == 16 && !r.skipped && r.outputs.map(\.name) == ["digit", "odd"])
            #expect(abs(r.loss - (weights.0 * r.outputs[0].loss + weights.1 * r.outputs[1].loss)) < 1e-5)

            // The same step by hand: loss = w₀·CE(digit) + w₁·CE(odd), backward, SGD.
            let optimizer = SGD(reference.parameters(), lr: 0.5)
            optimizer.zeroGrad()
            let out = reference(x)
            let d = out["digit"].crossEntropy(y["digit"]), o = out["odd"].crossEntropy(y["odd"])
            (d * weights.0 + o * weights.1).backward()
            optimizer.step()
            #expect(abs(r.outputs[0].loss - Double(d.item(Double.self))) < 1e-6)
            #expect(abs(r.outputs[1].loss - Double(o.item(Double.self))) < 1e-6)
            #expect(r.outputs[1].accuracy == Double(zip(out["odd"].argmax(axis: 1).intScalars, y["odd"].intScalars).filter { $0 == $1 }.count) / 16)
            for (a, b) in zip(model.parameters(), reference.parameters()) {
                let diff = zip(a.scalars(), b.scalars()).map { abs($0 - $1) }.max() ?? 0
                #expect(diff < 1e-6, "weights \(weights): parameters differ by \(diff)")
            }
            // A head weighted 0 learns nothing.
            if weights.1 == 0 { #expect(model.odd.weight.scalars() == oddBefore) }
            else { #expect(model.odd.weight.scalars() != oddBefore) }
        }
    }

    @Test func severalInputsAndAClassificationAndARegressionHead() throws {
        var rng = SeededGenerator(seed: 9)
        let n = 256
        var image: [Double] = [], features: [Double] = [], labels: [Int] = [], values: [Double] = []
        for _ in 0..<n {
            let i = (0..<4).map { _ in 2 * rng.nextUnit() - 1 }, f = (0..<2).map { _ in 2 * rng.nextUnit() - 1 }
            image += i
            features += f
            labels.append(i.reduce(0, +) > 0 ? 1 : 0)
            values.append(0.5 * f[0] - f[1])
        }
        let data = try MultiTargetDataset(["image": Tensor(shape: [n, 4], values: image), "features": Tensor(shape: [n, 2], values: features)],
                                          targets: ["label": Tensor(labels: labels), "value": Tensor(shape: [n, 1], values: values)])
        let (train, test) = try data.holdingOut(0.25, seed: 0)
        let model = TwoInTwoOut(generator: &rng)
        let outputs = [OutputHead("label", task: .classify), OutputHead("value", task: .regress)]
        let trainer = try Trainer(model: model, optimizer: Adam(model.parameters(), lr: 0.02), outputs: outputs, seed: 2)
        let history = try trainer.fit(train: train, test: test, epochs: 30, batchSize: 16)
        let last = try #require(history.last)
        #expect(last.testOutputs[0].accuracy! > 0.9, "label accuracy \(last.testOutputs[0].accuracy!)")
        #expect(last.testOutputs[1].accuracy == nil && last.outputs[1].accuracy == nil)
        #expect(last.testOutputs[1].loss < 0.1 * history[0].testOutputs[1].loss, "value MSE \(history.map { $0.testOutputs[1].loss })")
        // The regression output's evaluation loss is the mean squared error over its elements.
        let e = trainer.evaluate(test)
        let predicted = GradMode.noGrad { model(test.inputs)["value"] }
        let mse = Double(predicted.mseLoss(test.targets["value"]).item(Double.self))
        #expect(abs(e.outputs[1].loss - mse) < 1e-6 * max(mse, 1))
    }

    @Test func batchesOfNamedTargetsFromDataLoaderAndDefaultCollation() throws {
        let data = try digitsWithParity()
        let loader = DataLoader(data, batchSize: 100, shuffle: true, seed: 4)
        var seen: [Int] = [], digits: [Int] = []
        for (x, y) in loader {
            #expect(x.shape[0] == y["digit"].shape[0] && y["odd"].shape == y["digit"].shape && x.shape.count == 2)
            #expect(y.names.sorted() == ["digit", "odd"])
            for (d, o) in zip(y["digit"].intScalars, y["odd"].intScalars) { #expect(d % 2 == o) }
            seen.append(x.shape[0])
            digits += y["digit"].intScalars
        }
        #expect(seen.reduce(0, +) == data.count && seen.count == 18)
        #expect(digits.sorted() == data.targets["digit"].intScalars.sorted())
        let (x3, y3) = data[3]
        #expect(x3.shape == [64] && y3["digit"].shape == [] && y3["odd"].intScalars == [y3["digit"].intScalars[0] % 2])

        // A hand-written dataset with named targets trains through the default collation.
        var rng = SeededGenerator(seed: 1)
        let model = DigitAndParity(generator: &rng)
        let trainer = try Trainer(model: model, optimizer: SGD(model.parameters(), lr: 0.1), outputs: heads)
        let (bx, by) = ParityByIndex().batch(at: [0, 3, 5])
        #expect(bx.shape == [3, 64] && by["digit"].intScalars == [0, 3, 5] && by["odd"].intScalars == [0, 1, 1])
        let m = try trainer.trainEpoch(ParityByIndex(), batchSize: 8)
        #expect(trainer.step == 3 && m.outputs.count == 2 && m.outputs.allSatisfy { $0.loss.isFinite })
    }

    @Test func dataThatDoesNotFitIsAGradusError() throws {
        var rng = SeededGenerator(seed: 0)
        let model = DigitAndParity(generator: &rng)
        let trainer = try Trainer(model: model, optimizer: SGD(model.parameters(), lr: 0.1), outputs: heads)
        let before = model.parameters().map { $0.scalars() }
        let x = Tensor.zeros([4, 64])

        // A target missing, a head naming an output the model lacks.
        expectGradusError(.invalidArgument, mentions: ["no target named \"odd\"", "[\"digit\"]"]) {
            try trainer.trainStep(inputs: x, targets: ["digit": Tensor(labels: [0, 1, 2, 3])])
        }
        let lost = try Trainer(model: model, optimizer: SGD(model.parameters(), lr: 0.1),
                               outputs: [OutputHead("digit", task: .classify), OutputHead("box", task: .regress)])
        expectGradusError(.invalidArgument, mentions: ["no output named \"box\"", "digit", "odd"]) {
            try lost.trainStep(inputs: x, targets: ["digit": Tensor(labels: [0, 1, 2, 3]), "box": Tensor.zeros([4, 1])])
        }
        // A label outside an output's classes names the output.
        expectGradusError(.indexOutOfRange, mentions: ["output \"odd\"", "label 2", "2 classes"]) {
            try trainer.trainStep(inputs: x, targets: ["digit": Tensor(labels: [0, 1, 2, 3]), "odd": Tensor(labels: [0, 1, 2, 0])])
        }
        expectGradusError(mentions: ["output \"digit\"", "-1"]) {
            try trainer.trainStep(inputs: x, targets: ["digit": Tensor(labels: [0, -1, 2, 3]), "odd": Tensor(labels: [0, 1, 0, 1])])
        }
        // One tensor of targets for a model of several outputs, and named targets for one output.
        expectGradusError(.invalidArgument, mentions: ["Trainer.trainEpoch", "TensorGroup", "MultiTargetDataset"]) {
            try trainer.trainEpoch(TensorDataset(x, Tensor(labels: [0, 1, 2, 3])), batchSize: 2)
        }
        expectGradusError(.invalidArgument, mentions: ["Trainer.trainStep", "TensorGroup"]) {
            try trainer.trainStep(inputs: x, targets: Tensor(labels: [0, 1, 2, 3]))
        }
        let single = Sequential { Linear(64, 10, generator: &rng) }
        let singleTrainer = Trainer(model: single, optimizer: SGD(single.parameters(), lr: 0.1))
        let named = try MultiTargetDataset(x, targets: ["digit": Tensor(labels: [0, 1, 2, 3])])
        expectGradusError(.invalidArgument, mentions: ["Trainer.fit", "MultiOutputLayer"]) {
            try singleTrainer.fit(train: named, epochs: 1, batchSize: 2)
        }
        expectGradusError(.invalidArgument, mentions: ["Trainer.trainStep", "MultiOutputLayer"]) {
            try singleTrainer.trainStep(inputs: x, targets: ["digit": Tensor(labels: [0, 1, 2, 3])])
        }
        expectGradusError(.invalidArgument, mentions: ["Trainer.evaluate", "TensorGroup"]) {
            _ = try GradusError.catching { singleTrainer.evaluate(named) }
        }
        // Inputs of the wrong kind.
        expectGradusError(.invalidArgument, mentions: ["Trainer.trainStep"]) {
            try trainer.trainStep(inputs: ["image": x] as TensorGroup, targets: ["digit": Tensor(labels: [0, 1, 2, 3])])
        }
        #expect(trainer.step == 0 && singleTrainer.step == 0 && lost.step == 0)
        #expect(model.parameters().map { $0.scalars() } == before)

        // Heads that cannot be trained.
        expectGradusError(mentions: ["at least one OutputHead"]) {
            _ = try Trainer(model: model, optimizer: SGD(model.parameters(), lr: 0.1), outputs: [])
        }
        expectGradusError(mentions: ["\"digit\"", "unique"]) {
            _ = try Trainer(model: model, optimizer: SGD(model.parameters(), lr: 0.1),
                            outputs: [OutputHead("digit", task: .classify), OutputHead("digit", task: .regress)])
        }
        for w in [-1.0, .nan, .infinity] {
            expectGradusError(mentions: ["weight of output \"odd\""]) {
                _ = try Trainer(model: model, optimizer: SGD(model.parameters(), lr: 0.1),
                                outputs: [OutputHead("digit", task: .classify), OutputHead("odd", task: .classify, weight: w)])
            }
        }
        expectGradusError(mentions: ["at least one OutputHead"]) {
            _ = try GradusError.catching { Trainer.evaluate(model: model, outputs: [], data: named) }
        }
    }

    @Test func multiTargetDatasetRefusesMismatchedRows() throws {
        expectGradusError(.shapeMismatch, mentions: ["5 rows", "4"]) {
            _ = try MultiTargetDataset(Tensor.zeros([5, 3]), targets: ["a": Tensor(labels: [0, 1, 0, 1])])
        }
        expectGradusError(mentions: ["\"b\""]) {
            _ = try MultiTargetDataset(Tensor.zeros([4, 3]), targets: ["a": Tensor(labels: [0, 1, 0, 1]), "b": Tensor.zeros([3, 1])])
        }
        expectGradusError(mentions: ["\"features\""]) {
            _ = try MultiTargetDataset(["image": Tensor.zeros([4, 2]), "features": Tensor.zeros([2, 2])] as TensorGroup,
                                       targets: ["a": Tensor(labels: [0, 1, 0, 1])])
        }
        expectGradusError(.invalidArgument, mentions: ["at least one named tensor"]) {
            _ = try MultiTargetDataset(Tensor.zeros([4, 3]), targets: [:])
        }
        expectGradusError(.shapeMismatch, mentions: ["no first dimension"]) {
            _ = try MultiTargetDataset(Tensor.zeros([4, 3]), targets: ["a": Tensor.zeros([])])
        }
        let data = try MultiTargetDataset(Tensor.zeros([4, 3]), targets: ["a": Tensor(labels: [0, 1, 0, 1])])
        expectGradusError(.indexOutOfRange, mentions: ["index 4", "0..<4"]) {
            _ = try GradusError.catching { data.sample(at: 4) }
        }
        let (train, validation) = try data.holdingOut(0.25, seed: 0)
        #expect(train.count == 3 && validation.count == 1)
        expectGradusError(mentions: ["fraction"]) { _ = try data.holdingOut(1.5, seed: 0) }
    }

    /// The code of the DocC article "Models of several outputs", run as written (the model's class is
    /// the one above, with a narrower body).
    @Test func theArticlesExampleRuns() throws {
        let (images, labels) = try Digits.load()
        let odd = Tensor(labels: labels.intScalars.map { $0 % 2 })
        let (train, test) = try MultiTargetDataset(images, targets: ["digit": labels, "odd": odd]).holdingOut(0.2, seed: 0)

        var rng = SeededGenerator(seed: 0)
        let model = DigitAndParity(generator: &rng)
        let trainer = try Trainer(model: model, optimizer: Adam(model.parameters(), lr: 1e-2),
                                  outputs: [OutputHead("digit", task: .classify),
                                            OutputHead("odd", task: .classify, weight: 0.5)])
        let history = try trainer.fit(train: train, test: test, epochs: 10, batchSize: 32)
        let outputs = try #require(history.last).testOutputs
        #expect(outputs.count == 2 && outputs.allSatisfy { $0.accuracy! > 0.9 }, "\(outputs)")
    }
}
