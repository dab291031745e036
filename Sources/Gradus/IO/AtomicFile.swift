#if canImport(Glibc)
import Glibc
#endif

/// Writes a file atomically: the bytes go to a temporary file in the same folder, which is flushed
/// to disk (`fsync`) and then renamed over the destination. A crash leaves either the old file or the
/// complete new one, never a torn file.
///
/// ```swift
/// try AtomicFile.write(to: "model.safetensors") { out in
///     try out.write(headerBytes)
/// }
/// ```
public enum AtomicFile {
    /// The sink handed to the body of ``AtomicFile/write(to:_:)``.
    public struct Writer {
        let fd: Int32
        let path: String

        /// Appends `count` bytes from `pointer`.
        ///
        /// ```swift
        /// try tensor.withUnsafeBufferPointer(as: Float.self) { try out.write(UnsafeRawPointer($0.baseAddress!), count: $0.count * 4) }
        /// ```
        public func write(_ pointer: UnsafeRawPointer, count: Int) throws {
            var done = 0
            while done < count {
                let n = Glibc.write(fd, pointer + done, count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw DataError(.io, file: path, "write failed: \(FileBytes.errnoText())")
                }
                done += n
            }
        }

        /// Appends `bytes`.
        ///
        /// ```swift
        /// try out.write([0x01, 0x02])
        /// ```
        public func write(_ bytes: [UInt8]) throws {
            try bytes.withUnsafeBytes { raw in
                if let base = raw.baseAddress { try write(base, count: raw.count) }
            }
        }
    }

    /// Runs `body` to produce the file's bytes, then atomically replaces `path` with them.
    ///
    /// The destination must be missing or a regular file (a symbolic link is replaced by the file, not
    /// followed): renaming over a device, a FIFO, a socket or a folder would replace it — `--out
    /// /dev/full` run as root once replaced the device with a model — so those are refused before
    /// anything is written.
    ///
    /// - Parameters:
    ///   - path: the destination.
    ///   - body: writes the content through the given ``Writer``.
    /// Inside a ``GradusError/catching(_:)`` scope that has recorded a failed operation, nothing is
    /// written: the scope's error is thrown, before `body` runs and again before the rename, because what
    /// the operations returned since the failure are empty placeholders, not the values meant.
    ///
    /// - Throws: a ``DataError`` for a destination that is not a regular file, or an I/O failure; the
    ///   scope's recorded ``GradusError``.
    ///
    /// ```swift
    /// try AtomicFile.write(to: "notes.txt") { try $0.write(Array("hello".utf8)) }
    /// ```
    public static func write(to path: String, _ body: (Writer) throws -> Void) throws {
        try GradusError.throwIfRecorded()
        try requireReplaceable(path)
        let slash = path.lastIndex(of: "/")
        let folder = slash.map { String(path[..<$0]) } ?? "."
        let base = slash.map { String(path[path.index(after: $0)...]) } ?? path
        let temporary = (folder.isEmpty ? "" : folder + "/") + ".\(base).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw DataError(.io, file: path, "cannot create the temporary file \(temporary): \(FileBytes.errnoText())")
        }
        var closed = false
        do {
            try body(Writer(fd: fd, path: path))
            try GradusError.throwIfRecorded()   // an operation of `body` failed: its bytes are not the file meant
            guard fsync(fd) == 0 else { throw DataError(.io, file: path, "fsync failed: \(FileBytes.errnoText())") }
            closed = true
            guard close(fd) == 0 else { throw DataError(.io, file: path, "close failed: \(FileBytes.errnoText())") }
            guard rename(temporary, path) == 0 else {
                throw DataError(.io, file: path, "cannot rename the temporary file into place: \(FileBytes.errnoText())")
            }
        } catch {
            if !closed { close(fd) }
            unlink(temporary)
            throw error
        }
        // Make the rename itself durable.
        let dirfd = open(folder.isEmpty ? "/" : folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dirfd >= 0 {
            _ = fsync(dirfd)
            close(dirfd)
        }
    }

    /// Refuses a destination that exists and is not a regular file (or a symbolic link).
    static func requireReplaceable(_ path: String) throws {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }   // missing: created
        let kind = info.st_mode & S_IFMT
        guard kind != S_IFREG && kind != S_IFLNK else { return }
        let what = kind == S_IFDIR ? "a folder" : kind == S_IFIFO ? "a FIFO" : kind == S_IFSOCK ? "a socket"
            : kind == S_IFCHR || kind == S_IFBLK ? "a device" : "not a regular file"
        throw DataError(.io, file: path, "the destination is \(what); give the path of a regular file to write")
    }
}
