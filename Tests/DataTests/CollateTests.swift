import Gradus
import Testing

/// n samples with two named inputs: "image" sample i is [1, 2, 2] filled with i, "features" sample i is
/// [i, -i, 2i]; target i (int64).
private func groupData(_ n: Int) throws -> GroupDataset {
    let image = Tensor(shape: [n, 1, 2, 2], values: (0..<n).flatMap { i in Array(repeating: Double(i), count: 4) })
    let features = Tensor(shape: [n, 3], values: (0..<n).flatMap { i in [Double(i), -Double(i), 2 * Double(i)] })
    return try GroupDataset(["image": image, "features": features], Tensor(labels: Array(0..<n)))
}

/// Samples with two named inputs and no `batch(at:)` of their own: batches come from collating samples.
/// With `ragged`, sample 3's "a" is longer than the others.
private struct PairSamples: Dataset {
    var ragged = false
    var count: Int { 5 }
    func sample(at index: Int) -> (input: TensorGroup, target: Tensor) {
        let width = ragged && index == 3 ? 3 : 2
        return (input: ["a": Tensor(Array(repeating: Double(index), count: width)), "b": Tensor(scalar: -Double(index))],
                target: Tensor(shape: [], integers: [index]))
    }
}

/// Expects `body` to throw a ``GradusError`` of `kind` whose message contains every string of `mentions`.
private func expectGradusError(_ kind: GradusError.Kind, mentions: [String], sourceLocation: SourceLocation = #_sourceLocation,
                               _ body: () throws -> Void) {
    do {
        try body()
        Issue.record("expected a GradusError of kind \(kind), nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as GradusError {
        #expect(error.kind == kind, "wrong kind in: \(error)", sourceLocation: sourceLocation)
        for m in mentions {
            #expect(error.message.contains(m), "\"\(m)\" not mentioned in: \(error)", sourceLocation: sourceLocation)
        }
    } catch {
        Issue.record("expected a GradusError, got \(error)", sourceLocation: sourceLocation)
    }
}

@Suite struct CollateTests {
    @Test func tensorsStackAlongANewFirstDimension() throws {
        let batch = try Tensor.collate([Tensor([1, 2, 3]), Tensor([4, 5, 6])])
        #expect(batch.shape == [2, 3] && batch.scalars() == [1, 2, 3, 4, 5, 6])
        let scalars = try Tensor.collate([Tensor(scalar: 1), Tensor(scalar: 2), Tensor(scalar: 3)])
        #expect(scalars.shape == [3] && scalars.scalars() == [1, 2, 3])
        let labels = try Tensor.collate([Tensor(labels: [1]), Tensor(labels: [2])])
        #expect(labels.shape == [2, 1] && labels.dtype == .int64 && labels.intScalars == [1, 2])
    }

    @Test func tensorMismatchesNameTheItemAndBothShapes() {
        expectGradusError(.shapeMismatch, mentions: ["Tensor.collate", "item 2", "shape [3]", "shape [2]"]) {
            _ = try GradusError.catching { try Tensor.collate([Tensor([1, 2]), Tensor([3, 4]), Tensor([5, 6, 7])]) }
        }
        expectGradusError(.dtypeMismatch, mentions: ["item 1", "int64", "float32"]) {
            _ = try GradusError.catching { try Tensor.collate([Tensor([1, 2]), Tensor(labels: [1, 2])]) }
        }
        expectGradusError(.invalidArgument, mentions: ["at least one"]) { _ = try Tensor.collate([]) }
    }

    @Test func groupsKeepTheirOrderAndNameMissingFields() {
        let x = Tensor([1, 2]), m = Tensor(labels: [1])
        let g: TensorGroup = ["x": x, "mask": m]
        #expect(g.names == ["x", "mask"] && g.count == 2 && !g.isEmpty)
        #expect(g["x"] === x && g["mask"] === m && g.tensors.count == 2)
        #expect(g.tensor(named: "mask") === m && g.tensor(named: "nope") == nil)
        #expect(g.map(\.name) == ["x", "mask"])
        let h = TensorGroup([("b", x), ("a", m)])
        #expect(h.names == ["b", "a"] && h["a"] === m)
        let empty: TensorGroup = [:]
        #expect(empty.isEmpty)
        expectGradusError(.invalidArgument, mentions: ["TensorGroup", "\"nope\"", "[\"x\", \"mask\"]"]) {
            _ = try GradusError.catching { g["nope"] }
        }
    }

    @Test func groupsCollateFieldByField() throws {
        let a: TensorGroup = ["image": Tensor([[1, 2], [3, 4]]), "n": Tensor(scalar: 1)]
        let b: TensorGroup = ["image": Tensor([[5, 6], [7, 8]]), "n": Tensor(scalar: 2)]
        let batch = try TensorGroup.collate([a, b, a])
        #expect(batch.names == ["image", "n"])
        #expect(batch["image"].shape == [3, 2, 2] && batch["n"].shape == [3])
        #expect(batch["image"].scalars() == [1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4])
        #expect(batch["n"].scalars() == [1, 2, 1])
    }

    @Test func groupMismatchesNameTheFirstDifference() {
        let a: TensorGroup = ["image": Tensor([1, 2]), "features": Tensor([3])]
        let missing: TensorGroup = ["image": Tensor([1, 2])]
        let extra: TensorGroup = ["image": Tensor([1, 2]), "features": Tensor([3]), "mask": Tensor([1])]
        let swapped: TensorGroup = ["features": Tensor([3]), "image": Tensor([1, 2])]
        let wide: TensorGroup = ["image": Tensor([1, 2, 3]), "features": Tensor([3])]
        expectGradusError(.invalidArgument, mentions: ["TensorGroup.collate", "item 2", "no field \"features\""]) {
            _ = try GradusError.catching { try TensorGroup.collate([a, a, missing]) }
        }
        expectGradusError(.invalidArgument, mentions: ["item 1", "\"mask\""]) { _ = try TensorGroup.collate([a, extra]) }
        expectGradusError(.invalidArgument, mentions: ["item 1", "another order"]) { _ = try TensorGroup.collate([a, swapped]) }
        expectGradusError(.shapeMismatch, mentions: ["field \"image\"", "item 1", "shape [3]", "shape [2]"]) {
            _ = try TensorGroup.collate([a, wide])
        }
        expectGradusError(.invalidArgument, mentions: ["at least one"]) { _ = try TensorGroup.collate([]) }
    }

    @Test func datasetsWithoutTheirOwnBatchCollateGroups() throws {
        let data = PairSamples()
        let (x, y) = data.batch(at: [4, 0, 2])
        #expect(x.names == ["a", "b"] && x["a"].shape == [3, 2] && x["b"].shape == [3])
        #expect(x["a"].scalars() == [4, 4, 0, 0, 2, 2] && x["b"].scalars() == [-4, 0, -2] && y.intScalars == [4, 0, 2])
        // Subsets and splits keep the group inputs.
        let parts = try randomSplit(data, lengths: [3, 2], seed: 1)
        let (px, py) = parts[0].batch(at: [0, 1, 2])
        #expect(px["a"].shape == [3, 2] && py.intScalars == parts[0].indices)
        // Samples that do not fit together: an error naming the samples, the field and the item.
        let ragged = PairSamples(ragged: true)
        expectGradusError(.shapeMismatch, mentions: ["Dataset.batch(at:)", "samples at [1, 3]", "field \"a\"", "item 1"]) {
            _ = try GradusError.catching { ragged.batch(at: [1, 3]) }
        }
        // A loader stacks them the same way.
        let batches = Array(DataLoader(data, batchSize: 2).batches(epoch: 0))
        #expect(batches.map { $0.inputs["a"].shape } == [[2, 2], [2, 2], [1, 2]])
    }

    @Test func groupDatasetBatchesEqualCollatedSamples() throws {
        let data = try groupData(9)
        #expect(data.count == 9)
        let (x, y) = data[4]
        #expect(x.names == ["image", "features"] && x["image"].shape == [1, 2, 2] && y.intScalars == [4])
        #expect(x["features"].scalars() == [4, -4, 8])
        let indices = [7, 2, 2, 0, 5]
        let (bx, by) = data.batch(at: indices)
        let expected = try TensorGroup.collate(indices.map { data.sample(at: $0).input })
        #expect(bx.names == expected.names)
        for (name, t) in bx {
            #expect(t.shape == expected[name].shape && t.scalars() == expected[name].scalars(), "field \(name)")
        }
        #expect(by.intScalars == indices)
        let sub = data.subset([3, 1])
        #expect(sub.count == 2 && sub.targets.intScalars == [3, 1])
        #expect(sub.inputs["features"].scalars() == [3, -3, 6, 1, -1, 2])
    }

    @Test func groupDatasetChecksTheFirstDimensions() {
        let labels = Tensor(labels: [0, 1, 2])
        expectGradusError(.shapeMismatch, mentions: ["GroupDataset", "\"features\"", "[2, 3]", "[3]"]) {
            _ = try GroupDataset(["image": Tensor.zeros([3, 4]), "features": Tensor.zeros([2, 3])], labels)
        }
        expectGradusError(.shapeMismatch, mentions: ["\"scalar\""]) { _ = try GroupDataset(["scalar": Tensor(scalar: 1)], labels) }
        expectGradusError(.shapeMismatch, mentions: ["targets"]) { _ = try GroupDataset(["x": Tensor.zeros([3, 2])], Tensor(scalar: 1)) }
        expectGradusError(.invalidArgument, mentions: ["at least one"]) { _ = try GroupDataset([:], labels) }
    }

    @Test func loaderGivesGroupBatchesInASeededOrder() throws {
        let data = try groupData(10)
        let a = DataLoader(data, batchSize: 4, shuffle: true, seed: 5)
        let b = DataLoader(data, batchSize: 4, shuffle: true, seed: 5)
        let c = DataLoader(data, batchSize: 4, shuffle: true, seed: 6)
        let batches = Array(a.batches(epoch: 0))
        #expect(batches.map { $0.inputs.names } == Array(repeating: ["image", "features"], count: 3))
        #expect(batches.map { $0.inputs["image"].shape } == [[4, 1, 2, 2], [4, 1, 2, 2], [2, 1, 2, 2]])
        #expect(batches.map { $0.inputs["features"].shape } == [[4, 3], [4, 3], [2, 3]])
        #expect(batches.map { $0.targets.shape } == [[4], [4], [2]])
        for (group, y) in batches {   // every field stays aligned with the targets
            let images = group["image"].scalars(as: Double.self), features = group["features"].scalars(as: Double.self)
            for (k, label) in y.intScalars.enumerated() {
                #expect(images[4 * k] == Double(label) && features[3 * k + 1] == -Double(label))
            }
        }
        #expect(batches.flatMap { $0.targets.intScalars }.sorted() == Array(0..<10))
        func order(_ loader: DataLoader<GroupDataset>, _ epoch: Int) -> [[Int]] {
            loader.batches(epoch: epoch).map { $0.targets.intScalars }
        }
        #expect(order(a, 0) == order(b, 0) && order(a, 1) == order(b, 1))
        #expect(order(a, 0) != order(a, 1) && order(a, 0) != order(c, 0))
        // Prefetching on a background thread gives the same batches.
        let off = DataLoader(data, batchSize: 4, shuffle: true, seed: 5, prefetch: false)
        for (p, q) in zip(a.batches(epoch: 2), off.batches(epoch: 2)) {
            #expect(p.inputs["image"].scalars() == q.inputs["image"].scalars() && p.targets.intScalars == q.targets.intScalars)
        }
        // A seeded split of a group dataset batches groups too.
        let parts = try randomSplit(data, fractions: [0.7, 0.3], seed: 3)
        let (px, py) = parts[1].batch(at: [0, 1, 2])
        #expect(px["features"].shape == [3, 3] && py.intScalars == parts[1].indices)
    }
}
