import Gradus

/// Fuzz target `csv`: the in-memory path of `CSVReader.read` — gzip detection, UTF-8 validation, then
/// `CSVReader.parse` with target column `y`, as float32 targets and as int64 class labels.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var bytes = fuzzBytes(data, size)
    return expectDataErrorOrSuccess {
        if Gzip.isGzip(bytes) { bytes = try Gzip.decompress(bytes, file: "fuzz.csv.gz") }
        guard let text = String(validating: bytes, as: UTF8.self) else { return }
        let a = try CSVReader.parse(text, file: "fuzz.csv", targetColumn: "y")
        touch(a.features)
        touch(a.targets)
        let b = try CSVReader.parse(text, file: "fuzz.csv", targetColumn: "y", dtype: .float64, targetDType: .int64)
        touch(b.features)
        touch(b.targets)
    }
}
