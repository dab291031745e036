import Gradus

/// Fuzz target `safetensors`: `SafeTensors.decode` on arbitrary bytes (the in-memory path of
/// `SafeTensors.load`). Decoded tensors are read back, then re-encoded and decoded again, which must
/// succeed with the same names and metadata.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = fuzzBytes(data, size)
    return expectDataErrorOrSuccess {
        let contents = try SafeTensors.decode(bytes, file: "fuzz.safetensors")
        for t in contents.tensors.values { touch(t) }
        let again: SafeTensors.Contents
        do {
            again = try SafeTensors.decode(SafeTensors.encode(contents.tensors, metadata: contents.metadata),
                                           file: "fuzz-roundtrip.safetensors")
        } catch {
            fatalError("re-reading an encoded checkpoint failed: \(error)")
        }
        precondition(Set(again.tensors.keys) == Set(contents.tensors.keys) && again.metadata == contents.metadata,
                     "safetensors round trip changed the names or metadata")
    }
}
