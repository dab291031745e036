import Gradus
import GradusTestSupport
import Testing

/// Streams of samples batched in order by IterableDataLoader.
@Suite("Iterable datasets")
struct IterableDatasetTests {
    /// `count` samples (n, 2n) for n = 0, 1, …; the epoch is added to each target, so that passes differ.
    struct Numbers: IterableDataset {
        var count: Int
        func makeSamples(epoch: Int) -> AnyIterator<(input: Tensor, target: Tensor)> {
            var n = 0
            let count = count
            return AnyIterator {
                defer { n += 1 }
                return n < count ? (Tensor([Double(n)]), Tensor([Double(2 * n + 100 * epoch)])) : nil
            }
        }
    }

    @Test("consecutive samples in stream order, the last batch smaller or dropped, an empty stream gives no batch")
    func batchesInOrder() {
        let batches = Array(IterableDataLoader(Numbers(count: 10), batchSize: 4).batches(epoch: 0))
        #expect(batches.map { $0.inputs.shape } == [[4, 1], [4, 1], [2, 1]])
        #expect(batches.flatMap { $0.inputs.scalars(as: Double.self) } == (0..<10).map(Double.init))
        #expect(batches.flatMap { $0.targets.scalars(as: Double.self) } == (0..<10).map { Double(2 * $0) })
        #expect(Array(IterableDataLoader(Numbers(count: 10), batchSize: 4, dropLast: true).batches(epoch: 0)).count == 2)
        #expect(Array(IterableDataLoader(Numbers(count: 8), batchSize: 4, dropLast: true).batches(epoch: 0)).count == 2)
        #expect(Array(IterableDataLoader(Numbers(count: 0), batchSize: 4).batches(epoch: 0)).isEmpty)
        #expect(Array(IterableDataLoader(Numbers(count: 3), batchSize: 4, dropLast: true).batches(epoch: 0)).isEmpty)
    }

    @Test("iterating the loader starts the next epoch each time; batches(epoch:) picks one")
    func epochs() {
        let loader = IterableDataLoader(Numbers(count: 3), batchSize: 3)
        let firstTargets = loader.flatMap { $0.targets.scalars(as: Double.self) }
        let secondTargets = loader.flatMap { $0.targets.scalars(as: Double.self) }
        #expect(firstTargets == [0, 2, 4] && secondTargets == [100, 102, 104])
        var seventh = loader.batches(epoch: 7)
        #expect(seventh.next()?.targets.scalars(as: Double.self) == [700, 702, 704])
        loader.epoch = 4   // resuming: the next loop reads epoch 4
        #expect(loader.flatMap { $0.targets.scalars(as: Double.self) } == [400, 402, 404] && loader.epoch == 5)
    }

    @Test("an endless stream is read only as far as batches are asked for")
    func endlessStream() {
        struct Endless: IterableDataset {
            func makeSamples(epoch: Int) -> AnyIterator<(input: Tensor, target: Tensor)> {
                var n = 0
                return AnyIterator {
                    defer { n += 1 }
                    return (Tensor([Double(n)]), Tensor([0.0]))
                }
            }
        }
        let firstThree = Array(IterableDataLoader(Endless(), batchSize: 5).batches(epoch: 0).prefix(3))
        #expect(firstThree.map { $0.inputs.scalars(as: Double.self).first! } == [0, 5, 10])
    }

    @Test("after its end the stream is not asked again (an iterator that would restart gives no extra batch)")
    func streamEndIsFinal() {
        struct Restarting: IterableDataset {
            func makeSamples(epoch: Int) -> AnyIterator<(input: Tensor, target: Tensor)> {
                var n = 0
                return AnyIterator {
                    defer { n += 1 }
                    return n % 4 == 3 ? nil : (Tensor([Double(n)]), Tensor([0.0]))   // 3 samples, nil, 3 more, …
                }
            }
        }
        let batches = Array(IterableDataLoader(Restarting(), batchSize: 2).batches(epoch: 0))
        #expect(batches.map { $0.inputs.shape[0] } == [2, 1])
    }

    @Test("several inputs per sample collate field by field")
    func groups() {
        struct Pairs: IterableDataset {
            typealias Input = TensorGroup
            func makeSamples(epoch: Int) -> AnyIterator<(input: TensorGroup, target: Tensor)> {
                var n = 0
                return AnyIterator {
                    defer { n += 1 }
                    guard n < 5 else { return nil }
                    return (TensorGroup([("image", Tensor.zeros([2, 3])), ("length", Tensor([Double(n)]))]), Tensor([Double(n % 2)]))
                }
            }
        }
        var batches = IterableDataLoader(Pairs(), batchSize: 5).batches(epoch: 0)
        let batch = batches.next()
        #expect(batch?.inputs["image"].shape == [5, 2, 3])
        #expect(batch?.inputs["length"].scalars(as: Double.self) == [0, 1, 2, 3, 4])
        #expect(batch?.targets.shape == [5, 1])
    }

    @Test("samples that cannot be batched together fail with their positions in the stream, and the pass ends; batchSize 0 is refused")
    func refusals() {
        struct Ragged: IterableDataset {
            func makeSamples(epoch: Int) -> AnyIterator<(input: Tensor, target: Tensor)> {
                var n = 0
                return AnyIterator {
                    defer { n += 1 }
                    guard n < 12 else { return nil }
                    return (Tensor.zeros([n == 6 ? 3 : 2]), Tensor([0.0]))
                }
            }
        }
        var batches = IterableDataLoader(Ragged(), batchSize: 4).batches(epoch: 0)
        let first = batches.next()
        #expect(first?.inputs.shape == [4, 2])
        let error = failure { batches.next() }
        #expect(error?.message.contains("samples 4..<8") == true, "\(String(describing: error))")
        #expect(batches.next() == nil, "the pass ended at the failure")
        let zero = failure { IterableDataLoader(Numbers(count: 3), batchSize: 0) }
        #expect(zero?.message.contains("batchSize must be at least 1") == true, "\(String(describing: zero))")
        // The whole stream in one batch.
        #expect(Array(IterableDataLoader(Numbers(count: 5), batchSize: .max).batches(epoch: 0)).map { $0.inputs.shape } == [[5, 1]])
    }
}
