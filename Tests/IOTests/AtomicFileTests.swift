#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Gradus
import Testing

/// AtomicFile replaces regular files only: a FIFO, a folder or a device at the destination is refused
/// and left as it was (renaming over /dev/full as root once replaced the device).
@Suite("Atomic writes refuse destinations that are not files")
struct AtomicFileTests {
    @Test("FIFOs, folders and devices are refused and kept; files and links to files are replaced")
    func refusesSpecialFiles() throws {
        let dir = NSTemporaryDirectory() + "gradus-atomic-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let fifo = dir + "/fifo", folder = dir + "/folder", device = dir + "/null-device"
        #expect(mkfifo(fifo, 0o600) == 0)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
        // A character device (the same as /dev/null) where we may make one (root); skipped otherwise.
        let haveDevice = mknod(device, S_IFCHR | 0o666, (1 << 8) | 3) == 0
        for (path, kind) in [(fifo, "a FIFO"), (folder, "a folder")] + (haveDevice ? [(device, "a device")] : []) {
            do {
                try AtomicFile.write(to: path) { try $0.write([1, 2, 3]) }
                Issue.record("\(kind) was replaced")
            } catch let error as DataError {
                #expect(error.message.contains(kind), "\(error)")
            }
            var info = stat()
            #expect(lstat(path, &info) == 0 && (info.st_mode & S_IFMT) != S_IFREG, "\(kind) is gone")
        }
        // Regular files (and symbolic links) are replaced as before.
        let file = dir + "/file.bin", link = dir + "/link.bin"
        try AtomicFile.write(to: file) { try $0.write([1]) }
        #expect(symlink(file, link) == 0)
        try AtomicFile.write(to: link) { try $0.write([2, 2]) }
        try AtomicFile.write(to: file) { try $0.write([3, 3, 3]) }
        #expect(try Data(contentsOf: URL(fileURLWithPath: file)).count == 3)
        #expect(try Data(contentsOf: URL(fileURLWithPath: link)).count == 2)
        // Nothing left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).allSatisfy { !$0.contains(".tmp-") })
    }

    @Test("nothing is written inside a scope whose operations have failed: their results are placeholders")
    func noWriteAfterFailure() throws {
        let path = NSTemporaryDirectory() + "gradus-atomic-scope-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { unlink(path) }
        try AtomicFile.write(to: path) { try $0.write([1, 2, 3]) }
        // Failed before the write: refused at once. Failed while the bytes were produced: the old file stays.
        for failFirst in [true, false] {
            #expect(throws: GradusError.self) {
                try GradusError.catching {
                    if failFirst { _ = Tensor.ones([2]).reshape([3]) }
                    try AtomicFile.write(to: path) { out in
                        let bad = Tensor.ones([2]).reshape([3])   // records a shape error; an empty placeholder
                        try out.write(bad.scalars().map { UInt8($0) })
                    }
                }
            }
            #expect(FileManager.default.contents(atPath: path) == Data([1, 2, 3]))
        }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory())
            .filter { $0.hasPrefix(".gradus-atomic-scope-\(getpid())") }
        #expect(leftovers.isEmpty, "temporary files left: \(leftovers)")
    }
}
