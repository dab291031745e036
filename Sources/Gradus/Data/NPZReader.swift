/// A reader of NumPy `.npz` archives (`np.savez` and `np.savez_compressed`): a zip file of `.npy`
/// entries, stored or deflated.
///
/// ```swift
/// let arrays = try NPZReader.read("data.npz")    // ["x": Tensor, "y": Tensor]
/// let x = arrays["x"]!
/// ```
public enum NPZReader {
    /// Reads every array of an `.npz` file, keyed by name without the `.npy` suffix.
    ///
    /// - Parameters:
    ///   - path: the archive.
    ///   - maxBytes: the largest file size, and the largest total decompressed size, accepted.
    ///
    /// ```swift
    /// let arrays = try NPZReader.read("weights.npz", maxBytes: 256 << 20)
    /// ```
    public static func read(_ path: String, maxBytes: Int = ReaderLimits.defaultMaxBytes) throws -> [String: Tensor] {
        try decode(FileBytes.read(path, maxBytes: maxBytes), file: path, maxBytes: maxBytes)
    }

    /// Decodes the bytes of an `.npz` archive held in memory; `file` names it in errors.
    ///
    /// - Parameters:
    ///   - bytes: the whole archive.
    ///   - path: the name used in error messages (entries appear as `file/entry.npy`).
    ///   - maxBytes: the largest total decompressed size accepted.
    ///
    /// ```swift
    /// let arrays = try NPZReader.decode(downloadedBytes, file: "weights.npz")
    /// ```
    public static func decode(_ bytes: [UInt8], file path: String,
                              maxBytes: Int = ReaderLimits.defaultMaxBytes) throws -> [String: Tensor] {
        let zip = try ZipArchive(bytes: bytes, file: path)
        var arrays: [String: Tensor] = [:]
        var budget = maxBytes
        for entry in zip.entries {
            guard entry.name.hasSuffix(".npy") else { continue }
            let key = String(entry.name.dropLast(4))
            guard arrays[key] == nil else {
                throw DataError(.badHeader, file: path, "the archive holds two entries named \"\(entry.name)\"")
            }
            let entryBytes = try zip.read(entry, maxBytes: budget)
            budget -= entryBytes.count
            arrays[key] = try NPYReader.decode(entryBytes, file: "\(path)/\(entry.name)")
        }
        return arrays
    }
}
