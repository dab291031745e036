import Foundation

/// The resident memory of this process (`VmRSS` in `/proc/self/status`), for `gradus train --log-memory`.
enum ResidentMemory {
    /// The resident set size in bytes, or nil where `/proc/self/status` does not exist or has no `VmRSS`.
    ///
    /// ```swift
    /// if let rss = ResidentMemory.bytes() { print(Double(rss) / 1_048_576, "MiB") }
    /// ```
    static func bytes() -> Int? {
        // /proc files report size 0, so read them to the end rather than by their size.
        guard let handle = FileHandle(forReadingAtPath: "/proc/self/status") else { return nil }
        defer { try? handle.close() }
        return parse(status: String(decoding: handle.readDataToEndOfFile(), as: UTF8.self))
    }

    /// The `VmRSS` value of a `/proc/<pid>/status` text in bytes (the file gives kB).
    static func parse(status text: String) -> Int? {
        for line in text.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            // "VmRSS:\t  123456 kB"
            let fields = line.dropFirst(6).split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard let kb = fields.first.flatMap({ Int($0) }) else { return nil }
            return kb * 1024
        }
        return nil
    }
}
