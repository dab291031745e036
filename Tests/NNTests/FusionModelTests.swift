import Foundation
import Gradus
import Testing

/// FusionModel: shapes of every fusion, learning what no single input holds, ablations, attributions
/// per input and refusals.
@Suite("Fusion models")
struct FusionModelTests {
    /// A two-modality task: the label is the XOR of a bright quadrant in an 8×8 image and the sign of
    /// a feature — each input alone predicts it at chance (50%).
    static func xorData(_ n: Int, seed: UInt64) throws -> GroupDataset {
        var rng = SeededGenerator(seed: seed)
        var images: [Double] = [], features: [Double] = [], labels: [Int] = []
        for _ in 0..<n {
            let a = Int(rng.next() % 2), b = Int(rng.next() % 2)
            for r in 0..<8 {
                for c in 0..<8 {
                    let inQuadrant = a == 1 ? (r < 4 && c < 4) : (r >= 4 && c >= 4)
                    images.append((inQuadrant ? 1.0 : 0.0) + 0.2 * (rng.nextUnit() - 0.5))
                }
            }
            features += [(b == 1 ? 1.0 : -1.0) + 0.3 * (rng.nextUnit() - 0.5), rng.nextUnit() - 0.5, rng.nextUnit() - 0.5]
            labels.append(a ^ b)
        }
        return try GroupDataset(["image": Tensor(shape: [n, 1, 8, 8], values: images), "features": Tensor(shape: [n, 3], values: features)],
                                Tensor(labels: labels))
    }

    static func accuracy(_ model: any MultiInputLayer, _ data: GroupDataset) -> Double {
        Trainer.evaluate(model: model, task: .classify, data: data).accuracy ?? 0
    }

    @Test("every fusion gives [N, outputs] for images [C, H, W] or [H, W] and vectors", arguments: FusionModel.Fusion.allCases)
    func shapes(fusion: FusionModel.Fusion) throws {
        var rng = SeededGenerator(seed: 0)
        let model = try FusionModel(inputs: [("image", [1, 15, 16]), ("plain", [5, 6]), ("features", [7])], width: 12, hidden: [10],
                                    outputs: 4, fusion: fusion, generator: &rng)
        let batch: TensorGroup = ["image": Tensor.normal([3, 1, 15, 16], generator: &rng), "plain": Tensor.normal([3, 5, 6], generator: &rng),
                                  "features": Tensor.normal([3, 7], generator: &rng)]
        #expect(model(batch).shape == [3, 4])
        let names = model.namedParameters().map(\.0)
        #expect(names.contains { $0.hasPrefix("encoders.image.") } && names.contains { $0.hasPrefix("encoders.features.") })
        #expect(names.contains { $0.hasPrefix("gate.") } == (fusion == .gated))
        #expect(names.contains { $0.hasPrefix("attention.") } == (fusion == .attention))
        if fusion == .gated {
            let g = try #require(model.gateWeights(batch))
            // Zero-initialized gates: every input half open at the start.
            #expect(g.shape == [3, 3] && g.scalars().allSatisfy { abs($0 - 0.5) < 1e-6 })
        }
    }

    @Test("fused inputs learn what neither input alone can; the single-input ablations stay near chance",
          arguments: FusionModel.Fusion.allCases)
    func fusionBeatsAblations(fusion: FusionModel.Fusion) throws {
        let train = try Self.xorData(512, seed: 1), test = try Self.xorData(256, seed: 2)
        func fit(_ names: [String]) throws -> Double {
            var rng = SeededGenerator(seed: 3)
            let shapes: [(String, [Int])] = names.map { ($0, $0 == "image" ? [1, 8, 8] : [3]) }
            let model = try FusionModel(inputs: shapes, width: 16, hidden: [16], outputs: 2, fusion: fusion, generator: &rng)
            let trainer = Trainer(model: model, optimizer: Adam(model.parameters(), lr: 0.01), seed: 3)
            try trainer.fit(train: train, epochs: 12, batchSize: 32)
            return Self.accuracy(model, test)
        }
        let both = try fit(["image", "features"])
        let imageOnly = try fit(["image"]), featuresOnly = try fit(["features"])
        #expect(both > 0.95, "\(fusion): both inputs \(both)")
        #expect(imageOnly < 0.65 && featuresOnly < 0.65, "\(fusion): image alone \(imageOnly), features alone \(featuresOnly)")
    }

    @Test("integrated gradients per input add up to the score's change; saliency has each input's shape")
    func attributionsPerInput() throws {
        var rng = SeededGenerator(seed: 5)
        let model = try FusionModel(inputs: [("image", [1, 8, 8]), ("features", [3])], width: 8, hidden: [8], outputs: 2,
                                    fusion: .gated, generator: &rng)
        let data = try Self.xorData(4, seed: 6)
        let sample = data.sample(at: 0).input
        let ig = Explain.integratedGradients(model: model, inputs: sample, classIndex: 1, steps: 300)
        #expect(ig.names == ["image", "features"] && ig["image"].shape == [1, 8, 8] && ig["features"].shape == [3])
        let total = ig.tensors.reduce(0.0) { $0 + $1.sum().item(Double.self) }
        let score = { (g: TensorGroup) -> Double in
            GradMode.noGrad { model(g.mapTensors { $0.unsqueeze(0) }).select(axis: 1, index: 1).item(Double.self) }
        }
        let zero = sample.mapTensors { Tensor.zeros($0.shape) }
        let change = score(sample) - score(zero)
        #expect(abs(total - change) < 0.02 * max(1, abs(change)), "sum \(total) vs change \(change)")
        let s = Explain.saliency(model: model, inputs: sample, classIndex: 0)
        #expect(s["image"].shape == [1, 8, 8] && s["features"].shape == [3])
        #expect(throws: GradusError.self) {
            try GradusError.catching { _ = Explain.saliency(model: model, inputs: sample, classIndex: 2) }
        }
    }

    @Test("no inputs, repeated names, shapes that are neither images nor vectors, and a missing input are refused")
    func refusals() throws {
        var rng = SeededGenerator(seed: 0)
        #expect(throws: GradusError.self) { _ = try FusionModel(inputs: [], outputs: 2, generator: &rng) }
        #expect(throws: GradusError.self) { _ = try FusionModel(inputs: [("a", [3]), ("a", [4])], outputs: 2, generator: &rng) }
        #expect(throws: GradusError.self) { _ = try FusionModel(inputs: [("a", [1, 2, 3, 4])], outputs: 2, generator: &rng) }
        #expect(throws: GradusError.self) { _ = try FusionModel(inputs: [("a", [1, 2, 2])], outputs: 2, generator: &rng) }
        let model = try FusionModel(inputs: [("a", [3]), ("b", [2])], outputs: 2, generator: &rng)
        #expect(throws: GradusError.self) { try GradusError.catching { _ = model(["a": Tensor.zeros([1, 3])]) } }
    }
}
