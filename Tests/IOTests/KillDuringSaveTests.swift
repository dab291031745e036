#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Gradus
import Testing

/// A process killed (SIGKILL) while it saves a checkpoint must leave the previous checkpoint loadable:
/// saves go to a temporary file that is renamed into place only when complete.
@Suite("Kill during save")
struct KillDuringSaveTests {
    static let folder = NSTemporaryDirectory() + "gradus-kill-during-save"
    static let path = folder + "/model.safetensors"
    static let elementCount = 4 * 1024 * 1024   // 16 MB per save: long enough to be caught mid-write

    static func checkpoint(value: Double) -> [String: Tensor] {
        ["weight": Tensor.full([elementCount], value: value), "bias": Tensor.full([3], value: value)]
    }

    @Test("a real saving process killed at random moments leaves a loadable checkpoint")
    func killedSaverLeavesPreviousCheckpoint() async throws {
        try? FileManager.default.removeItem(atPath: Self.folder)
        try FileManager.default.createDirectory(atPath: Self.folder, withIntermediateDirectories: true)
        try SafeTensors.save(Self.checkpoint(value: 1), to: Self.path)

        for _ in 0..<6 {
            await #expect(processExitsWith: .signal(SIGKILL)) {
                // The child: save new checkpoints (value 2) back to back, and die at a random moment.
                let saver = Thread {
                    while true { try? SafeTensors.save(KillDuringSaveTests.checkpoint(value: 2), to: KillDuringSaveTests.path) }
                }
                saver.start()
                usleep(UInt32.random(in: 2_000...60_000))
                kill(getpid(), SIGKILL)
            }
            let loaded = try SafeTensors.load(Self.path)
            let weight = try #require(loaded.tensors["weight"])
            let values = Set(weight.scalars())
            #expect(weight.count == Self.elementCount)
            #expect(values == [1] || values == [2], "torn checkpoint: values \(values.sorted().prefix(4))")
        }
        try? FileManager.default.removeItem(atPath: Self.folder)
    }
}
