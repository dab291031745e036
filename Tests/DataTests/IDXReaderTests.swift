import Foundation
import Gradus
import GradusTestSupport
import Testing

@Suite struct IDXReaderTests {
    @Test func readsRawUnsignedBytesScaled() throws {
        let folder = try temporaryFolder()
        let data: [UInt8] = [0, 51, 102, 153, 204, 255]
        let path = try writeFile(folder, "x.idx", idxBytes(type: 0x08, dims: [2, 3], data: data))
        let t = try IDXReader.read(path, dtype: .float32, scale: 1.0 / 255)
        #expect(t.shape == [2, 3] && t.dtype == .float32)
        #expect(t.scalars(as: Float.self) == data.map { Float($0) * Float(1.0 / 255) })
        let ints = try IDXReader.read(path)
        #expect(ints.dtype == .int64 && ints.intScalars == data.map(Int.init))
    }

    @Test func readsGzipFixtureLikeMNIST() throws {
        let expected = try Fixtures.decode(ExpectedFixtures.self, "data/expected.json")
        let images = try MNIST.loadImages(fixturePath("small-images-idx3-ubyte.gz"))
        let scaled = Tensor(shape: expected.idx.images.shape,
                            values: expected.idx.images.data.map { Float($0) * Float(1.0 / 255) })
        #expect(mismatch(images, scaled, rtol: 0, atol: 0) == nil)
        let labels = try MNIST.loadLabels(fixturePath("small-labels-idx1-ubyte.gz"))
        #expect(labels.dtype == .int64 && labels.intScalars == expected.idx.labels.data.map { Int($0) })
    }

    @Test func decodesBigEndianTypes() throws {
        // int16 -2 and 258; int32 -1; float32 1.5 (0x3FC00000); float64 -0.25 (0xBFD0000000000000).
        let i16 = try IDXReader.decode(idxBytes(type: 0x0B, dims: [2], data: [0xFF, 0xFE, 0x01, 0x02]), file: "i16")
        #expect(i16.intScalars == [-2, 258])
        let i32 = try IDXReader.decode(idxBytes(type: 0x0C, dims: [1], data: [0xFF, 0xFF, 0xFF, 0xFF]), file: "i32")
        #expect(i32.intScalars == [-1])
        let f32 = try IDXReader.decode(idxBytes(type: 0x0D, dims: [1], data: [0x3F, 0xC0, 0, 0]), file: "f32")
        #expect(f32.dtype == .float32 && f32.scalars() == [1.5])
        let f64 = try IDXReader.decode(idxBytes(type: 0x0E, dims: [1], data: [0xBF, 0xD0, 0, 0, 0, 0, 0, 0]), file: "f64")
        #expect(f64.dtype == .float64 && f64.scalars(as: Double.self) == [-0.25])
        let i8 = try IDXReader.decode(idxBytes(type: 0x09, dims: [2], data: [0xFF, 0x7F]), file: "i8")
        #expect(i8.intScalars == [-1, 127])
    }

    @Test func rejectsMalformedFiles() throws {
        let folder = try temporaryFolder()
        let wrongMagic = try writeFile(folder, "magic.idx", [0x12, 0x34, 0x08, 0x01, 0, 0, 0, 1, 7])
        expectDataError(.badMagic, file: "magic.idx", mentions: ["magic"]) { _ = try IDXReader.read(wrongMagic) }
        let unknownType = try writeFile(folder, "type.idx", idxBytes(type: 0x07, dims: [1], data: [1]))
        expectDataError(.badMagic, file: "type.idx", mentions: ["element type"]) { _ = try IDXReader.read(unknownType) }
        let truncated = try writeFile(folder, "short.idx", idxBytes(type: 0x08, dims: [10], data: [1, 2, 3, 4, 5]))
        expectDataError(.truncated, file: "short.idx", mentions: ["[10]"]) { _ = try IDXReader.read(truncated) }
        let headerCut = try writeFile(folder, "cut.idx", Array(idxBytes(type: 0x08, dims: [2, 3], data: []).prefix(9)))
        expectDataError(.truncated, file: "cut.idx", mentions: ["dimension 2"]) { _ = try IDXReader.read(headerCut) }
        let tiny = try writeFile(folder, "tiny.idx", [0, 0])
        expectDataError(.truncated, file: "tiny.idx") { _ = try IDXReader.read(tiny) }
        let lying = try writeFile(folder, "lying.idx", idxBytes(type: 0x08, dims: [2], data: [1, 2, 3]))
        expectDataError(.badHeader, file: "lying.idx", mentions: ["3 bytes follow"]) { _ = try IDXReader.read(lying) }
        let overflow = try writeFile(folder, "huge.idx", idxBytes(type: 0x0E, dims: [UInt32.max, UInt32.max, UInt32.max], data: [0]))
        expectDataError(.overflow, file: "huge.idx") { _ = try IDXReader.read(overflow) }
        let big = try writeFile(folder, "big.idx", idxBytes(type: 0x08, dims: [100], data: Array(repeating: 0, count: 100)))
        expectDataError(.tooLarge, file: "big.idx", mentions: ["limit"]) { _ = try IDXReader.read(big, maxBytes: 50) }
        expectDataError(.io, file: "missing.idx") { _ = try IDXReader.read(folder + "/missing.idx") }
    }

    @Test func mnistLoadersCheckTheMagicNumber() throws {
        // A label file (2049) is not an image file (2051), and the reverse.
        expectDataError(.badMagic, file: "small-labels", mentions: ["2049", "2051"]) {
            _ = try MNIST.loadImages(fixturePath("small-labels-idx1-ubyte.gz"))
        }
        expectDataError(.badMagic, file: "small-images", mentions: ["2051", "2049"]) {
            _ = try MNIST.loadLabels(fixturePath("small-images-idx3-ubyte.gz"))
        }
    }

    @Test func mnistFolderWithGzipAndRawFiles() throws {
        let folder = try temporaryFolder()
        try writeFile(folder, "train-images-idx3-ubyte.gz", fixtureBytes("small-images-idx3-ubyte.gz"))
        try writeFile(folder, "train-labels-idx1-ubyte.gz", fixtureBytes("small-labels-idx1-ubyte.gz"))
        try writeFile(folder, "t10k-images-idx3-ubyte", idxBytes(type: 0x08, dims: [2, 2, 2], data: [0, 255, 0, 255, 255, 0, 255, 0]))
        try writeFile(folder, "t10k-labels-idx1-ubyte", idxBytes(type: 0x08, dims: [2], data: [4, 2]))
        let mnist = try MNIST.load(folder: folder)
        #expect(mnist.trainImages.shape == [3, 4, 5] && mnist.trainLabels.shape == [3])
        #expect(mnist.testImages.scalars() == [0, 1, 0, 1, 1, 0, 1, 0])
        #expect(mnist.testLabels.intScalars == [4, 2])

        try writeFile(folder, "t10k-labels-idx1-ubyte", idxBytes(type: 0x08, dims: [3], data: [4, 2, 1]))
        expectDataError(.badHeader, file: "t10k-labels", mentions: ["3 labels", "2 images"]) { _ = try MNIST.load(folder: folder) }
        try FileManager.default.removeItem(atPath: folder + "/t10k-labels-idx1-ubyte")
        expectDataError(.io, file: "t10k-labels-idx1-ubyte", mentions: ["not found"]) { _ = try MNIST.load(folder: folder) }
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/work/shared/data/mnist/train-images-idx3-ubyte.gz")))
    func realMNISTWhenPresent() throws {
        let mnist = try MNIST.load(folder: "/work/shared/data/mnist")
        #expect(mnist.trainImages.shape == [60000, 28, 28] && mnist.trainLabels.shape == [60000])
        #expect(mnist.testImages.shape == [10000, 28, 28] && mnist.testLabels.shape == [10000])
        #expect(mnist.trainImages.min().item() == 0 && mnist.trainImages.max().item() == 1)
        let labels = mnist.trainLabels.intScalars + mnist.testLabels.intScalars
        #expect(labels.allSatisfy { (0...9).contains($0) })
        #expect(Set(labels).count == 10)
    }
}

@Suite struct GzipTests {
    @Test func roundTripsThroughTheFixture() throws {
        let compressed = try fixtureBytes("small-labels-idx1-ubyte.gz")
        #expect(Gzip.isGzip(compressed) && !Gzip.isGzip([0, 0, 8, 1]))
        let raw = try Gzip.decompress(compressed, file: "labels.gz")
        let expected = try Fixtures.decode(ExpectedFixtures.self, "data/expected.json")
        #expect(raw == idxBytes(type: 0x08, dims: [3], data: expected.idx.labels.data.map { UInt8($0) }))
        // Two concatenated members decompress to the concatenation, as gunzip does.
        #expect(try Gzip.decompress(compressed + compressed, file: "twice.gz") == raw + raw)
    }

    @Test func rejectsTruncatedCorruptAndOversizedStreams() throws {
        let compressed = try fixtureBytes("small-images-idx3-ubyte.gz")
        expectDataError(.truncated, file: "cut.gz", mentions: ["ends early"]) {
            _ = try Gzip.decompress(Array(compressed.prefix(compressed.count / 2)), file: "cut.gz")
        }
        var badCRC = compressed
        badCRC[badCRC.count - 6] ^= 0xFF  // inside the CRC-32 of the trailer
        expectDataError(.corrupt, file: "crc.gz", mentions: ["corrupt"]) { _ = try Gzip.decompress(badCRC, file: "crc.gz") }
        expectDataError(.corrupt, file: "tail.gz", mentions: ["unexpected bytes"]) {
            _ = try Gzip.decompress(compressed + [1, 2, 3], file: "tail.gz")
        }
        expectDataError(.tooLarge, file: "bomb.gz", mentions: ["limit"]) {
            _ = try Gzip.decompress(compressed, file: "bomb.gz", maxBytes: 10)
        }
        let folder = try temporaryFolder()
        let path = try writeFile(folder, "t10k-images-idx3-ubyte.gz", Array(compressed.dropLast(20)))
        expectDataError(.truncated, file: "t10k-images-idx3-ubyte.gz") { _ = try MNIST.loadImages(path) }
    }
}
