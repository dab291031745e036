#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// An exclusive lock on an output folder (`flock` on `.gradus.lock` inside it), held while a run writes
/// there, so that two runs given the same `--out` cannot interleave their checkpoints. The kernel drops
/// the lock when the process ends, however it ends, so a killed run never leaves the folder locked.
///
/// ```swift
/// let lock = try FolderLock("runs/a")   // throws when another run holds it
/// ```
public final class FolderLock {
    private let descriptor: Int32
    /// The locked folder.
    public let folder: String

    /// Takes the lock, or throws a ``DataError`` naming the process that holds it.
    public init(_ folder: String) throws {
        self.folder = folder
        let path = (folder as NSString).appendingPathComponent(".gradus.lock")
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o644)
        guard fd >= 0 else { throw DataError(.io, file: path, "cannot open the lock file: \(FileBytes.errnoText())") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            var buffer = [UInt8](repeating: 0, count: 32)
            let n = pread(fd, &buffer, 31, 0)
            close(fd)
            let holder = n > 0 ? String(decoding: buffer[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : "?"
            throw DataError(.io, file: folder,
                            "another gradus run (pid \(holder)) is writing to this folder; wait for it to finish or choose another --out")
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pwrite(fd, pid, pid.count, 0)
        descriptor = fd
    }

    deinit {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }

    /// Removes the temporary files that interrupted atomic saves left in the folder (`.<name>.tmp-<pid>-<n>`,
    /// see ``AtomicFile``); call it while holding the lock, when no save of this folder can be under way.
    ///
    /// - Returns: the names removed.
    @discardableResult
    public func removeStaleTemporaries() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        var removed: [String] = []
        for name in names where name.hasPrefix(".") && name.contains(".tmp-") {
            if unlink((folder as NSString).appendingPathComponent(name)) == 0 { removed.append(name) }
        }
        return removed
    }
}
