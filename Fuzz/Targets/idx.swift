import Gradus

/// Fuzz target `idx`: the in-memory path of `IDXReader.read` — gzip detection and inflation, then
/// `IDXReader.decode` with the natural dtype and as scaled float32 (the MNIST call).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var bytes = fuzzBytes(data, size)
    return expectDataErrorOrSuccess {
        if Gzip.isGzip(bytes) { bytes = try Gzip.decompress(bytes, file: "fuzz.idx.gz") }
        touch(try IDXReader.decode(bytes, file: "fuzz.idx"))
        touch(try IDXReader.decode(bytes, file: "fuzz.idx", dtype: .float32, scale: 1.0 / 255))
    }
}
