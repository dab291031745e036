import Gradus

/// Fuzz target `npy`: the in-memory path of `NPYReader.read` — gzip detection, then `NPYReader.decode`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var bytes = fuzzBytes(data, size)
    return expectDataErrorOrSuccess {
        if Gzip.isGzip(bytes) { bytes = try Gzip.decompress(bytes, file: "fuzz.npy.gz") }
        touch(try NPYReader.decode(bytes, file: "fuzz.npy"))
    }
}
