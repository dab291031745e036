import Foundation
import Gradus
import Testing

/// A model trained on 8-bit images predicts the same classes from raw pixels as from the scaled pixels
/// it was trained on, and refuses floating-point pixels on the wrong scale.
@Suite("Pixel scale recorded with the model")
struct PixelScaleTests {
    /// Writes an `.npy` file of unsigned bytes.
    func writeU8NPY(_ values: [UInt8], shape: [Int], to path: String) throws {
        let dims = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '|u1', 'fortran_order': False, 'shape': \(dims), }"
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        let n = header.utf8.count
        let bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(n & 0xFF), UInt8(n >> 8)] + Array(header.utf8) + values
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    @Test("raw uint8 pixels give the classes of the scaled pixels; 0-255 floats are refused")
    func rawPixels() throws {
        let dir = try temporaryFolder("pixels")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // Two classes of 8x8 images: bright left half or bright right half, with noise.
        var rng = SeededGenerator(seed: 4)
        var pixels: [UInt8] = [], labels: [UInt8] = []
        let n = 200
        for i in 0..<n {
            let label = i % 2
            for _ in 0..<8 { for c in 0..<8 {
                let bright = (c < 4) == (label == 0)
                pixels.append(UInt8(clamping: (bright ? 180 : 40) + Int(rng.next() % 60)))
            } }
            labels.append(UInt8(label))
        }
        try FileManager.default.createDirectory(atPath: dir + "/data", withIntermediateDirectories: true)
        try writeU8NPY(pixels, shape: [n, 8, 8], to: dir + "/data/x.npy")
        try writeU8NPY(labels, shape: [n], to: dir + "/data/y.npy")
        let config = RunConfig(data: DataSpec(format: .npy, path: dir + "/data"),
                               model: ModelSpec(architecture: .mlp, inputShape: [], hidden: [16], outputs: 0),
                               task: .classify, optimizer: OptimizerSpec(kind: .adam), schedule: .none, epochs: 3, batchSize: 20)
        let run = try TrainingRun(config: config, outputDirectory: dir + "/out")
        #expect(run.data.pixelScale == 1.0 / 255)
        #expect(Double(run.data.train.inputs.max().item()) <= 1)
        try run.run()
        let trained = try TrainedModel.load(dir + "/out/checkpoint.safetensors")
        #expect(trained.pixelScale == 1.0 / 255)

        let raw = Tensor(shape: [n, 8, 8], integers: pixels.map(Int.init))
        let scaled = Tensor(shape: [n, 8, 8], values: pixels.map { Double($0) / 255 })
        let fromRaw = trained.predict(try trained.prepare(raw)).argmax(axis: 1).intScalars
        let fromScaled = trained.predict(try trained.prepare(scaled)).argmax(axis: 1).intScalars
        #expect(fromRaw == fromScaled)
        #expect(Double(zip(fromRaw, labels).filter { $0 == Int($1) }.count) / Double(n) > 0.9)
        #expect(throws: TrainingError.self) {
            _ = try trained.prepare(Tensor(shape: [n, 8, 8], values: pixels.map(Double.init)))
        }
    }
}
