import Gradus
import Testing

/// n samples: input row i is [i, -i], target i (int64).
func indexedDataset(_ n: Int) -> TensorDataset {
    let x = Tensor(shape: [n, 2], values: (0..<n).flatMap { [Double($0), -Double($0)] })
    return TensorDataset(x, Tensor(labels: Array(0..<n)))
}

/// The target indices of each batch of one pass.
func batchOrder<D: Dataset>(_ batches: some Sequence<(inputs: Tensor, targets: Tensor)>, _: D.Type = D.self) -> [[Int]] {
    batches.map { $0.targets.intScalars }
}

/// A dataset without a custom batch(at:): batches come from stacking samples.
struct Squares: Dataset {
    var count: Int { 7 }
    func sample(at index: Int) -> (input: Tensor, target: Tensor) {
        (Tensor([Double(index), 1]), Tensor(scalar: Double(index * index)))
    }
}

@Suite struct DataLoaderTests {
    @Test func everySampleOncePerEpochWithBatchShapes() {
        let loader = DataLoader(indexedDataset(10), batchSize: 3, shuffle: true, seed: 7)
        #expect(loader.count == 4)
        let batches = Array(loader.batches(epoch: 0))
        #expect(batches.map { $0.inputs.shape } == [[3, 2], [3, 2], [3, 2], [1, 2]])
        #expect(batches.map { $0.targets.shape } == [[3], [3], [3], [1]])
        let seen = batches.flatMap { $0.targets.intScalars }
        #expect(seen.sorted() == Array(0..<10))
        for (x, y) in batches {   // inputs stay aligned with targets
            let rows = x.scalars(as: Double.self)
            for (k, label) in y.intScalars.enumerated() {
                #expect(rows[2 * k] == Double(label) && rows[2 * k + 1] == -Double(label))
            }
        }
    }

    @Test func dropLastSkipsTheIncompleteBatch() {
        let loader = DataLoader(indexedDataset(10), batchSize: 3, shuffle: true, seed: 1, dropLast: true)
        #expect(loader.count == 3)
        let batches = Array(loader.batches(epoch: 2))
        #expect(batches.count == 3 && batches.allSatisfy { $0.inputs.shape == [3, 2] })
        let seen = batches.flatMap { $0.targets.intScalars }
        #expect(Set(seen).count == 9)
    }

    @Test func orderIsDeterministicPerSeedAndEpoch() {
        let data = indexedDataset(50)
        let a = DataLoader(data, batchSize: 8, shuffle: true, seed: 42)
        let b = DataLoader(data, batchSize: 8, shuffle: true, seed: 42)
        let c = DataLoader(data, batchSize: 8, shuffle: true, seed: 43)
        let a0 = batchOrder(a.batches(epoch: 0), TensorDataset.self)
        #expect(a0 == batchOrder(b.batches(epoch: 0), TensorDataset.self))
        #expect(batchOrder(a.batches(epoch: 1), TensorDataset.self) == batchOrder(b.batches(epoch: 1), TensorDataset.self))
        #expect(a0 != batchOrder(a.batches(epoch: 1), TensorDataset.self))
        #expect(a0 != batchOrder(c.batches(epoch: 0), TensorDataset.self))
        #expect(a.order(epoch: 3) == b.order(epoch: 3))
        #expect(a0.flatMap { $0 } == a.order(epoch: 0))
    }

    @Test func iteratingTheLoaderAdvancesTheEpoch() {
        let loader = DataLoader(indexedDataset(20), batchSize: 6, shuffle: true, seed: 3)
        #expect(loader.epoch == 0)
        let first = batchOrder(loader, TensorDataset.self)
        #expect(loader.epoch == 1)
        let second = batchOrder(loader, TensorDataset.self)
        #expect(first == batchOrder(loader.batches(epoch: 0), TensorDataset.self))
        #expect(second == batchOrder(loader.batches(epoch: 1), TensorDataset.self))
        #expect(first != second)
        loader.epoch = 0   // resuming replays the same order
        #expect(batchOrder(loader, TensorDataset.self) == first)
    }

    @Test func withoutShuffleTheOrderIsTheIndexOrder() {
        let loader = DataLoader(indexedDataset(7), batchSize: 4)
        #expect(batchOrder(loader.batches(epoch: 5), TensorDataset.self) == [[0, 1, 2, 3], [4, 5, 6]])
    }

    @Test func prefetchGivesTheSameBatchesAsNoPrefetch() {
        let data = indexedDataset(33)
        let on = DataLoader(data, batchSize: 5, shuffle: true, seed: 9, prefetch: true)
        let off = DataLoader(data, batchSize: 5, shuffle: true, seed: 9, prefetch: false)
        for epoch in 0..<3 {
            let a = Array(on.batches(epoch: epoch)), b = Array(off.batches(epoch: epoch))
            #expect(a.count == b.count)
            for (x, y) in zip(a, b) {
                #expect(x.inputs.scalars() == y.inputs.scalars() && x.targets.intScalars == y.targets.intScalars)
            }
        }
        // Stopping early leaves nothing running that matters: a new epoch starts cleanly.
        var it = on.batches(epoch: 0).makeIterator()
        _ = it.next()
        #expect(Array(on.batches(epoch: 0)).count == 7)
    }

    @Test func genericDatasetsAreStacked() {
        let loader = DataLoader(Squares(), batchSize: 3, shuffle: true, seed: 0)
        let batches = Array(loader.batches(epoch: 0))
        #expect(batches.map { $0.inputs.shape } == [[3, 2], [3, 2], [1, 2]])
        #expect(batches.map { $0.targets.shape } == [[3], [3], [1]])
        for (x, y) in batches {
            let rows = x.scalars(as: Double.self), squares = y.scalars(as: Double.self)
            for k in 0..<squares.count { #expect(squares[k] == rows[2 * k] * rows[2 * k]) }
        }
        let seen = batches.flatMap { $0.inputs.scalars(as: Double.self).enumerated().filter { $0.offset % 2 == 0 }.map { Int($0.element) } }
        #expect(seen.sorted() == Array(0..<7))
    }
}

@Suite struct DatasetTests {
    @Test func tensorDatasetSamplesAndSubsets() {
        let data = indexedDataset(5)
        #expect(data.count == 5)
        let (x, y) = data[3]
        #expect(x.shape == [2] && x.scalars() == [3, -3] && y.shape == [] && y.intScalars == [3])
        let sub = data.subset([4, 0])
        #expect(sub.count == 2 && sub.targets.intScalars == [4, 0])
    }

    @Test func randomSplitIsDisjointCompleteAndSeeded() throws {
        let data = indexedDataset(23)
        let parts = try randomSplit(data, lengths: [15, 5, 3], seed: 11)
        #expect(parts.map(\.count) == [15, 5, 3])
        let all = parts.flatMap { p in (0..<p.count).map { p[$0].target.intScalars[0] } }
        #expect(all.sorted() == Array(0..<23))
        #expect(try randomSplit(data, lengths: [15, 5, 3], seed: 11).map(\.indices) == parts.map(\.indices))
        #expect(try randomSplit(data, lengths: [15, 5, 3], seed: 12).map(\.indices) != parts.map(\.indices))
        let byFraction = try randomSplit(data, fractions: [0.5, 0.5], seed: 0)
        #expect(byFraction.map(\.count) == [12, 11])
        // Lengths whose sum overflows are refused (the sum used to trap), as are negative ones.
        #expect(throws: GradusError.self) { try randomSplit(data, lengths: [Int.max, 1], seed: 0) }
        #expect(throws: GradusError.self) { try randomSplit(data, lengths: [Int.max, Int.max, 2, 23], seed: 0) }
        #expect(throws: GradusError.self) { try randomSplit(data, lengths: [24, -1], seed: 0) }
        // A subset batches through its base.
        let (bx, by) = parts[1].batch(at: [0, 1])
        #expect(bx.shape == [2, 2] && by.intScalars == [parts[1].indices[0], parts[1].indices[1]])
    }

    @Test func tensorDatasetTrainValidationSplit() throws {
        let data = indexedDataset(10)
        let (train, validation) = try data.split(trainFraction: 0.8, seed: 5)
        #expect(train.count == 8 && validation.count == 2)
        #expect((train.targets.intScalars + validation.targets.intScalars).sorted() == Array(0..<10))
        let again = try data.split(trainFraction: 0.8, seed: 5)
        #expect(again.train.targets.intScalars == train.targets.intScalars)
    }
}
