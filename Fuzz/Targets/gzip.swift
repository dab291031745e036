import Gradus

/// Fuzz target `gzip`: `Gzip.decompress` (gzip or zlib streams, concatenated members) with the
/// default size limit, and with a 4 KiB limit to exercise the "output too large" path.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = fuzzBytes(data, size)
    return expectDataErrorOrSuccess {
        _ = expectDataErrorOrSuccess { _ = try Gzip.decompress(bytes, file: "fuzz-small.gz", maxBytes: 4096) }
        let out = try Gzip.decompress(bytes, file: "fuzz.gz")
        fuzzSink = Double(out.count)
    }
}
