import Gradus

/// Fuzz target `npz`: `NPZReader.decode` (zip central directory, ZIP64, stored and deflated entries,
/// CRC-32, then each `.npy`), with the default size limit, and `ZipArchive` on its own for every entry.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = fuzzBytes(data, size)
    return expectDataErrorOrSuccess {
        let zip = try ZipArchive(bytes: bytes, file: "fuzz.zip")
        for name in zip.names { _ = expectDataErrorOrSuccess { _ = try zip.read(name) } }
        for t in try NPZReader.decode(bytes, file: "fuzz.npz").values { touch(t) }
    }
}
