import Gradus
import GradusTestSupport
import Testing

struct DigitsSummary: Decodable {
    let count: Int
    let pixel_sum: Int
    let label_counts: [Int]
    let first_image: [Double]
    let first_label: Int
    let last_label: Int
}

@Suite struct DigitsTests {
    @Test func loadsTheEmbeddedResource() throws {
        let summary = try Fixtures.decode(DigitsSummary.self, "data/digits_summary.json")
        let (images, labels) = try Digits.load()
        #expect(images.shape == [1797, 64] && images.dtype == .float32)
        #expect(labels.shape == [1797] && labels.dtype == .int64 && summary.count == 1797)
        let y = labels.intScalars
        #expect(y.allSatisfy { (0...9).contains($0) })
        #expect((0...9).map { k in y.filter { $0 == k }.count } == summary.label_counts)
        #expect(y.first == summary.first_label && y.last == summary.last_label)
        let pixels = images.scalars(as: Double.self)
        #expect(pixels.allSatisfy { $0 >= 0 && $0 <= 1 })
        #expect(Int((pixels.reduce(0, +) * 16).rounded()) == summary.pixel_sum)
        #expect(Array(pixels[0..<64]) == summary.first_image.map { $0 / 16 })
    }

    @Test func fixedTrainTestSplit() throws {
        let summary = try Fixtures.decode(DigitsSummary.self, "data/digits_summary.json")
        let (train, test) = try Digits.trainTestSplit()
        #expect(train.count == 1437 && test.count == 360)
        let y = train.targets.intScalars + test.targets.intScalars
        #expect((0...9).map { k in y.filter { $0 == k }.count } == summary.label_counts)
        let again = try Digits.trainTestSplit()
        #expect(again.test.targets.intScalars == test.targets.intScalars)
        #expect(try Digits.trainTestSplit(seed: 1).test.targets.intScalars != test.targets.intScalars)
        let loader = DataLoader(train, batchSize: 64, shuffle: true, seed: 0)
        #expect(loader.count == 23)
        var iterator = loader.batches(epoch: 0).makeIterator()
        let (x, t) = iterator.next()!
        #expect(x.shape == [64, 64] && t.shape == [64])
    }
}
